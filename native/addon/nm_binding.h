#pragma once
#include <napi.h>

namespace tensorfold {
namespace addon {

// nmCreate({ rows, k, n, m, values, indices }) -> handle owning a validated
// copy; nmExport(handle) -> { values, indices }; nmMatmul / nmMatmulAsync
// ({ w, x, tokens, y, bias?, threads? }). Layout: native/kernels/nm/nm_format.h.
Napi::Value nm_create(const Napi::CallbackInfo& info);
Napi::Value nm_export(const Napi::CallbackInfo& info);
Napi::Value nm_matmul_sync(const Napi::CallbackInfo& info);
Napi::Value nm_matmul_async(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
