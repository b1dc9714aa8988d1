#pragma once
#include <napi.h>

#include <functional>
#include <string>

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

// One permute, multiply or sumProduct (`kind`) checked and bound, to run
// later (runSequence); an unknown kind is a RangeError.
std::function<void()> contract_runner(const std::string& kind, const Napi::Object& args, const std::string& where);

}  // namespace addon
}  // namespace tensorfold
