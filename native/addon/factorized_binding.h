#pragma once
#include <napi.h>

namespace tensorfold {
namespace addon {

// chainCreate(args) -> an opaque handle holding a factorized layer's step
// chain and its own copy of the weights; chainRun(args) and chainRunAsync
// (-> Promise<void>) run it on a token batch. Args documented in lib/native.ts.
Napi::Value chain_create(const Napi::CallbackInfo& info);
Napi::Value chain_run_sync(const Napi::CallbackInfo& info);
Napi::Value chain_run_async(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
