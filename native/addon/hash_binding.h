#pragma once
#include <napi.h>

namespace tensorfold {
namespace addon {

// Hash attention bindings; argument objects are documented in lib/native.ts.
// Each heavy call has a sync form and an ...Async form returning a Promise.
Napi::Value hash_codes_sync(const Napi::CallbackInfo& info);
Napi::Value hash_codes_async(const Napi::CallbackInfo& info);
Napi::Value hash_linear_sync(const Napi::CallbackInfo& info);
Napi::Value hash_linear_async(const Napi::CallbackInfo& info);
Napi::Value hash_hamming_sync(const Napi::CallbackInfo& info);
Napi::Value hash_hamming_async(const Napi::CallbackInfo& info);
Napi::Value hash_state_sync(const Napi::CallbackInfo& info);
Napi::Value hash_state_async(const Napi::CallbackInfo& info);
Napi::Value softmax_attention_sync(const Napi::CallbackInfo& info);
Napi::Value softmax_attention_async(const Napi::CallbackInfo& info);
// hashDistances({ qCodes, kCodes, dist: Int32Array, units, nq, nk, bits,
// portablePopcount? }) -> name of the popcount kernel used.
Napi::Value hash_distances(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
