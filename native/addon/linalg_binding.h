#pragma once
#include <napi.h>

namespace tensorfold {
namespace addon {

// Float64 linear algebra for decompositions (args documented in lib/native.ts):
// qr, svd, cholesky, trsm and dgemm, each with an Async form returning a
// Promise of the same result.
Napi::Value qr_sync(const Napi::CallbackInfo& info);
Napi::Value qr_async(const Napi::CallbackInfo& info);
Napi::Value svd_sync(const Napi::CallbackInfo& info);
Napi::Value svd_async(const Napi::CallbackInfo& info);
Napi::Value cholesky_sync(const Napi::CallbackInfo& info);
Napi::Value cholesky_async(const Napi::CallbackInfo& info);
Napi::Value trsm_sync(const Napi::CallbackInfo& info);
Napi::Value trsm_async(const Napi::CallbackInfo& info);
Napi::Value dgemm_sync(const Napi::CallbackInfo& info);
Napi::Value dgemm_async(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
