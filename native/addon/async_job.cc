#include "async_job.h"

#include <new>
#include <stdexcept>

namespace tensorfold {
namespace addon {

AsyncJob::AsyncJob(Napi::Env env, const char* name, std::function<void()> work,
                   std::function<Napi::Value(Napi::Env)> result)
    : Napi::AsyncWorker(env, name),
      deferred_(Napi::Promise::Deferred::New(env)),
      work_(std::move(work)),
      result_(std::move(result)) {}

Napi::Value AsyncJob::Start(Napi::Env env, const char* name, std::initializer_list<Napi::Object> keep,
                            std::function<void()> work,
                            std::function<Napi::Value(Napi::Env)> result) {
  auto* job = new AsyncJob(env, name, std::move(work), std::move(result));
  for (const Napi::Object& o : keep) job->keep_.push_back(Napi::Persistent(o));
  Napi::Promise promise = job->deferred_.Promise();
  job->Queue();  // the worker deletes itself after OnOK / OnError
  return promise;
}

void AsyncJob::Execute() {
  try {
    work_();
  } catch (const std::bad_alloc&) {
    out_of_memory_ = true;
    SetError("out of memory");
  } catch (const std::exception& e) {
    SetError(e.what());
  }
}

// When a worker thread is terminated while a job is in flight, the job still
// completes (Node waits for it) but its environment can no longer run JS:
// settling the promise then fails, and there is nobody left to tell.
void AsyncJob::OnOK() {
  Napi::Env env = Env();
  try {
    deferred_.Resolve(result_ ? result_(env) : env.Undefined());
  } catch (const Napi::Error&) {
  }
}

void AsyncJob::OnError(const Napi::Error& e) {
  Napi::Env env = Env();
  try {
    if (out_of_memory_)
      deferred_.Reject(Napi::RangeError::New(env, "tensorfold: out of memory").Value());
    else
      deferred_.Reject(e.Value());
  } catch (const Napi::Error&) {
  }
}

void run_guarded(const Napi::Env& env, const std::function<void()>& work) {
  try {
    work();
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, "tensorfold: out of memory");
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("tensorfold: ") + e.what());
  }
}

}  // namespace addon
}  // namespace tensorfold
