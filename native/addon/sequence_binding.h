#pragma once
#include <napi.h>

namespace tensorfold {
namespace addon {

// runSequence(calls) and runSequenceAsync(calls) -> Promise<void>: kernel
// calls ({ kind: 'gemm' | 'permute' | 'multiply' | 'sumProduct', args }, args
// as each kernel's own binding takes them), all checked first, then run in
// order: one trip into the addon, and for the async form one job, where a
// Promise per call would cost an event-loop turn each.
Napi::Value run_sequence_sync(const Napi::CallbackInfo& info);
Napi::Value run_sequence_async(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
