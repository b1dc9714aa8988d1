#pragma once
#include <napi.h>

namespace tensorfold {
namespace addon {

// measure(spec, options) -> Promise<stats>: times one kernel natively under
// the harness in core/timer.h. The spec names the kernel and its shape.
Napi::Value measure_kernel(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace tensorfold
