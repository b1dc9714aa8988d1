// Every kernel the planner or bench/ can time natively is set up here: the
// spec is turned into owned inputs (several sets when `rotate` > 1, so caches
// do not flatter a kernel that would meet cold data in a model) and a closure
// that runs the kernel once. Adding a kernel means adding one case.
#include "measure_binding.h"

#include <atomic>
#include <memory>
#include <vector>

#include "../core/thread_pool.h"
#include "../core/timer.h"
#include "../kernels/gemm/gemm.h"
#include "../kernels/gemm/gemm_pack.h"
#include "../kernels/nm/nm_format.h"
#include "../kernels/probe/fma_peak.h"
#include "args.h"
#include "async_job.h"
#include "hash_measure.h"

namespace tensorfold {
namespace addon {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 20;
constexpr double kMaxBytes = 8.0 * (1ull << 30);

struct Bench {
  std::function<void(int)> run;
  double flops = 0;
  std::vector<std::vector<float>> buffers;  // owned inputs and outputs
  std::vector<std::unique_ptr<PackedB>> packed;
};

void fill(std::vector<float>& v, uint32_t seed) {
  uint32_t s = seed * 2654435761u + 12345u;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(static_cast<int32_t>(s) >> 8) * (1.0f / 8388608.0f);
  }
}

std::shared_ptr<Bench> gemm_bench(const Napi::Object& spec, const std::string& where) {
  Napi::Env env = spec.Env();
  auto b = std::make_shared<Bench>();
  GemmArgs g;
  g.m = int_prop(spec, "m", where, 1, kMaxDim);
  g.n = int_prop(spec, "n", where, 1, kMaxDim);
  g.k = int_prop(spec, "k", where, 1, kMaxDim);
  bool ta = bool_prop(spec, "transA", where, false);
  bool tb = bool_prop(spec, "transB", where, false);
  int64_t count = int_prop(spec, "batch", where, 1, kMaxDim, 1);
  int rotate = static_cast<int>(int_prop(spec, "rotate", where, 1, 64, 1));
  int threads = static_cast<int>(int_prop(spec, "threads", where, 0, 1 << 16, 0));
  bool pack = bool_prop(spec, "packB", where, false);
  double per_set = 4.0 * count * (double(g.m) * g.k + double(g.k) * g.n + double(g.m) * g.n);
  if (per_set * rotate > kMaxBytes) throw_range(env, where + ": inputs would exceed 8 GiB");
  g.rs_a = ta ? 1 : g.k;
  g.cs_a = ta ? g.m : 1;
  g.rs_b = tb ? 1 : g.n;
  g.cs_b = tb ? g.k : 1;
  g.rs_c = g.n;
  for (int r = 0; r < rotate; ++r) {
    b->buffers.emplace_back(count * g.m * g.k);
    fill(b->buffers.back(), 3 * r + 1);
    b->buffers.emplace_back(count * g.k * g.n);
    fill(b->buffers.back(), 3 * r + 2);
    b->buffers.emplace_back(count * g.m * g.n);
  }
  // A packed B is a weight packed once, outside the timed runs.
  if (pack)
    for (int r = 0; r < rotate; ++r)
      b->packed.emplace_back(gemm_pack_b(active_tier(), b->buffers[3 * r + 1].data(), g.rs_b, g.cs_b, g.k, g.n, threads));
  GemmBatch batch{count, g.m * g.k, pack ? 0 : g.k * g.n, g.m * g.n};
  Bench* raw = b.get();
  b->run = [raw, g, batch, rotate, threads, pack](int rep) {
    GemmArgs it = g;
    int r = rep % rotate;
    it.a = raw->buffers[3 * r].data();
    it.b = raw->buffers[3 * r + 1].data();
    if (pack) it.b_packed = raw->packed[r].get();
    it.c = raw->buffers[3 * r + 2].data();
    sgemm_batched(it, batch, threads);
  };
  b->flops = 2.0 * count * double(g.m) * g.n * g.k;
  return b;
}

std::shared_ptr<Bench> fma_peak_bench(const Napi::Object& spec, const std::string& where) {
  auto b = std::make_shared<Bench>();
  int threads = static_cast<int>(int_prop(spec, "threads", where, 1, 1 << 16, 1));
  int64_t iters = int_prop(spec, "iters", where, 1, int64_t{1} << 40, 1 << 22);
  FmaPeakKernel kern = fma_peak_for(active_tier());
  b->run = [kern, threads, iters](int) {
    static std::atomic<float> sink{0};
    parallel_run(threads, [&](int, int) { sink.store(kern.run(iters), std::memory_order_relaxed); });
  };
  // parallel_run may use fewer threads than asked when the pool is smaller.
  int used = std::min(threads, pool_threads());
  b->flops = double(used) * double(iters) * double(kern.flops_per_iter);
  return b;
}

// An N:M product on a synthetic matrix (values random, indices spread
// evenly in each group): timing depends on the pattern, not on the values.
std::shared_ptr<Bench> nm_bench(const Napi::Object& spec, const std::string& where) {
  Napi::Env env = spec.Env();
  auto b = std::make_shared<Bench>();
  int64_t rows = int_prop(spec, "rows", where, 1, kMaxDim), k = int_prop(spec, "k", where, 1, kMaxDim);
  int n = static_cast<int>(int_prop(spec, "n", where, 1, kNmMaxM - 1));
  int m = static_cast<int>(int_prop(spec, "m", where, 2, kNmMaxM));
  int64_t tokens = int_prop(spec, "tokens", where, 1, kMaxDim);
  int threads = static_cast<int>(int_prop(spec, "threads", where, 0, 1 << 16, 0));
  if (n >= m || k % m) throw_range(env, where + ": needs n < m and k a multiple of m");
  if (4.0 * (double(rows) * k + double(tokens) * (k + rows)) > kMaxBytes) throw_range(env, where + ": inputs would exceed 8 GiB");
  auto w = std::make_shared<NmMatrix>();
  nm_allocate(w.get(), rows, k, n, m);
  std::vector<float> vals(w->values.size());
  fill(vals, 7);
  w->values.assign(vals.begin(), vals.end());
  for (int64_t r = 0; r < w->records(); ++r) {
    const int s = static_cast<int>(r % n);
    uint64_t rec = 0;
    for (int lane = 0; lane < kNmLanes; ++lane) rec |= uint64_t(s * m / n) << (lane * w->bits);
    for (int byte = 0; byte < 2 * w->bits; ++byte) w->indices[r * 2 * w->bits + byte] = uint8_t(rec >> (8 * byte));
  }
  b->buffers.emplace_back(tokens * k);
  fill(b->buffers.back(), 11);
  b->buffers.emplace_back(tokens * rows);
  Bench* raw = b.get();
  b->run = [raw, w, tokens, threads](int) {
    nm_matmul(w->view(), raw->buffers[0].data(), tokens, nullptr, raw->buffers[1].data(), threads);
  };
  b->flops = 2.0 * double(tokens) * rows * k * n / m;
  return b;
}

MeasureOptions parse_options(const Napi::Object& o, const std::string& where) {
  MeasureOptions m;
  m.warmup = static_cast<int>(int_prop(o, "warmup", where, 0, 1000000, m.warmup));
  m.min_reps = static_cast<int>(int_prop(o, "minReps", where, 1, 1000000, m.min_reps));
  m.max_reps = static_cast<int>(int_prop(o, "maxReps", where, m.min_reps, 1000000, std::max(m.max_reps, m.min_reps)));
  m.min_seconds = number_prop(o, "minSeconds", where, m.min_seconds);
  m.max_seconds = number_prop(o, "maxSeconds", where, m.max_seconds);
  if (m.min_seconds < 0 || m.max_seconds <= 0)
    throw_range(o.Env(), where + ": minSeconds must be >= 0 and maxSeconds > 0");
  return m;
}

}  // namespace

Napi::Value measure_kernel(const Napi::CallbackInfo& info) {
  const std::string where = "measure";
  Napi::Env env = info.Env();
  Napi::Object spec = object_arg(info, 0, where);
  Napi::Object opts = info.Length() > 1 && !info[1].IsUndefined() ? object_arg(info, 1, where)
                                                                   : Napi::Object::New(env);
  std::string kernel = string_prop(spec, "kernel", where);
  std::shared_ptr<Bench> bench;
  run_guarded(env, [&] {
    if (kernel == "gemm")
      bench = gemm_bench(spec, where + "(gemm)");
    else if (kernel == "fma-peak")
      bench = fma_peak_bench(spec, where + "(fma-peak)");
    else if (kernel == "nm")
      bench = nm_bench(spec, where + "(nm)");
    else if (is_hash_bench(kernel)) {
      HashBench hb = hash_bench(kernel, spec, where + "(" + kernel + ")");
      bench = std::make_shared<Bench>();
      bench->run = hb.run;
      bench->flops = hb.ops;
    } else
      throw_range(env, where + ": unknown kernel '" + kernel +
                           "' (known: gemm, nm, fma-peak, hamming-scores, qk-scores, hash-linear)");
  });
  MeasureOptions mo = parse_options(opts, where);
  auto stats = std::make_shared<MeasureStats>();
  return AsyncJob::Start(
      env, "tensorfold.measure", {},
      [bench, mo, stats] { *stats = measure(bench->run, mo); },
      [bench, stats](Napi::Env e) -> Napi::Value {
        Napi::Object r = Napi::Object::New(e);
        r.Set("medianS", stats->median_s);
        r.Set("minS", stats->min_s);
        r.Set("maxS", stats->max_s);
        r.Set("trimmedMeanS", stats->trimmed_mean_s);
        r.Set("reps", stats->reps);
        r.Set("flops", bench->flops);
        Napi::Float64Array samples = Napi::Float64Array::New(e, stats->samples_s.size());
        for (size_t i = 0; i < stats->samples_s.size(); ++i) samples[i] = stats->samples_s[i];
        r.Set("samplesS", samples);
        return r;
      });
}

}  // namespace addon
}  // namespace tensorfold
