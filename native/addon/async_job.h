// A Promise-returning job that runs native work off the event loop. The work
// itself fans out on the compute pool; the libuv thread that runs Execute is
// just its caller. Objects passed in stay referenced until the job settles,
// so the memory the work reads and writes cannot be collected under it.
#pragma once
#include <napi.h>

#include <functional>
#include <initializer_list>
#include <vector>

namespace tensorfold {
namespace addon {

class AsyncJob : public Napi::AsyncWorker {
 public:
  // `work` runs on a worker thread; `result` (optional) builds the resolved
  // value on the JS thread afterwards.
  static Napi::Value Start(Napi::Env env, const char* name, std::initializer_list<Napi::Object> keep,
                           std::function<void()> work,
                           std::function<Napi::Value(Napi::Env)> result = nullptr);

 private:
  AsyncJob(Napi::Env env, const char* name, std::function<void()> work,
           std::function<Napi::Value(Napi::Env)> result);
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> keep_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> result_;
  bool out_of_memory_ = false;
};

// Runs native work on the JS thread, mapping C++ failures to JS errors.
void run_guarded(const Napi::Env& env, const std::function<void()>& work);

}  // namespace addon
}  // namespace tensorfold
