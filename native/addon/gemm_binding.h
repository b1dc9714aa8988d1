#pragma once
#include <napi.h>

namespace tensorfold {
namespace addon {

// gemm(args) and gemmAsync(args) -> Promise<void>; args documented in lib/native.ts.
Napi::Value gemm_sync(const Napi::CallbackInfo& info);
Napi::Value gemm_async(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
