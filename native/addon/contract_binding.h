#pragma once
#include <napi.h>

namespace tensorfold {
namespace addon {

// permute(args), multiply(args), sumProduct(args) and their Async forms
// (-> Promise<void>): the strided contraction kernels; args documented in
// lib/native.ts.
Napi::Value permute_sync(const Napi::CallbackInfo& info);
Napi::Value permute_async(const Napi::CallbackInfo& info);
Napi::Value multiply_sync(const Napi::CallbackInfo& info);
Napi::Value multiply_async(const Napi::CallbackInfo& info);
Napi::Value sum_product_sync(const Napi::CallbackInfo& info);
Napi::Value sum_product_async(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
