#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu_features.h"

namespace tensorfold {
namespace {

constexpr int kMaxThreads = 256;
thread_local bool t_in_region = false;

inline void cpu_relax() { __builtin_ia32_pause(); }

// Workers sleep on a condition variable between regions, after a short spin
// so that back-to-back regions (a GEMM per layer) do not pay a wake-up each.
class Pool {
 public:
  Pool() : wanted_(std::max(1, cpu_features().logical_cores)) {}
  ~Pool() { stop_workers(); }

  // Lock-free, so that code running inside a region (a GEMM called per block
  // of a parallel loop) can ask without waiting on the region's own lock.
  int threads() { return wanted_.load(std::memory_order_relaxed); }

  void set_threads(int n) {
    n = std::max(1, std::min(n, kMaxThreads));
    std::lock_guard<std::mutex> lock(region_mutex_);
    wanted_.store(n, std::memory_order_relaxed);  // workers are (re)started lazily by the next region
  }

  void run(int nthreads, const std::function<void(int, int)>& body) {
    if (t_in_region || nthreads <= 1) {
      run_inline(body);
      return;
    }
    std::lock_guard<std::mutex> lock(region_mutex_);
    const int wanted = wanted_.load(std::memory_order_relaxed);
    int nt = std::min(nthreads, wanted);
    if (nt <= 1) {
      run_inline(body);
      return;
    }
    if (static_cast<int>(workers_.size()) != wanted - 1) {
      stop_workers();
      start_workers(wanted - 1);
    }
    body_ = &body;
    active_ = nt;
    // Every worker acknowledges every region, used or not, so that none can
    // lag behind and mistake the next region's body for this one's.
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> g(wake_mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_cv_.notify_all();
    t_in_region = true;
    body(0, nt);
    t_in_region = false;
    // Wait for the workers; they finish at about the same time as we do.
    while (pending_.load(std::memory_order_acquire) != 0) cpu_relax();
    body_ = nullptr;
  }

 private:
  static void run_inline(const std::function<void(int, int)>& body) {
    bool was = t_in_region;
    t_in_region = true;
    body(0, 1);
    t_in_region = was;
  }

  void start_workers(int count) {
    quit_ = false;
    // Workers start from the generation current now: a worker scheduled late
    // must still see the region that is about to be announced as new.
    const uint64_t start = generation_.load(std::memory_order_acquire);
    for (int i = 0; i < count; ++i) workers_.emplace_back([this, i, start] { worker_loop(i + 1, start); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> g(wake_mutex_);
      quit_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  void worker_loop(int id, uint64_t seen) {
    t_in_region = true;
    for (;;) {
      // Spin briefly, then sleep until the generation changes.
      uint64_t gen = seen;
      for (int spin = 0; spin < 20000; ++spin) {
        gen = generation_.load(std::memory_order_acquire);
        if (gen != seen) break;
        cpu_relax();
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lk(wake_mutex_);
        wake_cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        gen = generation_.load(std::memory_order_acquire);
      }
      seen = gen;
      if (quit_) return;
      if (id < active_) (*body_)(id, active_);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::mutex region_mutex_;  // one region at a time
  std::atomic<int> wanted_;
  std::vector<std::thread> workers_;
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(int, int)>* body_ = nullptr;
  int active_ = 0;
  bool quit_ = false;
};

// Never destroyed: worker threads must not be joined from static destructors
// that may run while a Node environment is still tearing down.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int pool_threads() { return pool().threads(); }
void set_pool_threads(int n) { pool().set_threads(n); }

void parallel_run(int nthreads, const std::function<void(int, int)>& body) {
  pool().run(nthreads, body);
}

void split_range(int64_t n, int64_t grain, int t, int nt, int64_t* begin, int64_t* end) {
  if (grain < 1) grain = 1;
  int64_t units = (n + grain - 1) / grain;
  int64_t b = units * t / nt, e = units * (t + 1) / nt;
  *begin = std::min(n, b * grain);
  *end = std::min(n, e * grain);
}

void parallel_for(int64_t n, int nthreads,
                  const std::function<void(int64_t, int64_t)>& body) {
  if (n <= 0) return;
  int nt = static_cast<int>(std::min<int64_t>(n, std::max(1, nthreads)));
  parallel_run(nt, [&](int t, int ntr) {
    int64_t b, e;
    split_range(n, 1, t, ntr, &b, &e);
    if (b < e) body(b, e);
  });
}

}  // namespace tensorfold
