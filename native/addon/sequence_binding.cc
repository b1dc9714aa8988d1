#include "sequence_binding.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "async_job.h"
#include "contract_binding.h"
#include "gemm_binding.h"

namespace tensorfold {
namespace addon {
namespace {

constexpr uint32_t kMaxCalls = 1 << 16;

using Steps = std::vector<std::function<void()>>;

std::shared_ptr<Steps> parse(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw_type(env, where + ": calls must be an array of { kind, args }");
  Napi::Array calls = info[0].As<Napi::Array>();
  if (calls.Length() > kMaxCalls)
    throw_range(env, where + ": calls has " + std::to_string(calls.Length()) + " entries; at most " +
                         std::to_string(kMaxCalls) + " are supported");
  auto steps = std::make_shared<Steps>();
  steps->reserve(calls.Length());
  for (uint32_t i = 0; i < calls.Length(); ++i) {
    // The kernels' own checks run under their own short names (long ones
    // would cost an allocation per message part on every call); a failure
    // is then prefixed with the call's place.
    try {
      Napi::Value c = calls.Get(i);
      if (!c.IsObject() || c.IsArray()) throw_type(env, "must be an object { kind, args }");
      Napi::Object o = c.As<Napi::Object>();
      const std::string kind = string_prop(o, "kind", "");
      Napi::Value args = o.Get("args");
      if (!args.IsObject() || args.IsArray()) throw_type(env, kind + ": args must be an object");
      steps->push_back(kind == "gemm" ? gemm_runner(args.As<Napi::Object>(), kind)
                                      : contract_runner(kind, args.As<Napi::Object>(), kind));
    } catch (Napi::Error& e) {
      e.Value().Set("message", where + ": calls[" + std::to_string(i) + "]: " + e.Message());
      throw;
    }
  }
  return steps;
}

}  // namespace

Napi::Value run_sequence_sync(const Napi::CallbackInfo& info) {
  auto steps = parse(info, "runSequence");
  run_guarded(info.Env(), [&] {
    for (auto& step : *steps) step();
  });
  return info.Env().Undefined();
}

Napi::Value run_sequence_async(const Napi::CallbackInfo& info) {
  auto steps = parse(info, "runSequenceAsync");
  // The calls array holds every args object, and they the arrays.
  return AsyncJob::Start(info.Env(), "tensorfold.sequence", {info[0].As<Napi::Object>()}, [steps] {
    for (auto& step : *steps) step();
  });
}

}  // namespace addon
}  // namespace tensorfold
