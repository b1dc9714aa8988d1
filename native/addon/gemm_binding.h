#pragma once
#include <napi.h>

#include <functional>
#include <string>

namespace tensorfold {
namespace addon {

// gemm(args) and gemmAsync(args) -> Promise<void>; args documented in lib/native.ts.
Napi::Value gemm_sync(const Napi::CallbackInfo& info);
Napi::Value gemm_async(const Napi::CallbackInfo& info);

// One gemm's args checked and bound, to run later (runSequence); throws the
// same JS errors gemm would, prefixed with `where`.
std::function<void()> gemm_runner(const Napi::Object& args, const std::string& where);

// packB({ b, k, n, transB?, threads? }) -> an opaque handle holding B packed
// once for the active tier's kernel; gemm takes it as `bPacked`.
Napi::Value pack_b_matrix(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
