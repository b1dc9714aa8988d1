#include "hash_measure.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/thread_pool.h"
#include "../kernels/hash/hash_attention.h"
#include "args.h"

namespace tensorfold {
namespace addon {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 20;

std::shared_ptr<std::vector<uint64_t>> codes(int64_t count, int bits, uint32_t seed) {
  std::mt19937_64 rng(seed);
  const int words = hash_words(bits);
  auto c = std::make_shared<std::vector<uint64_t>>(static_cast<size_t>(count * words));
  for (int64_t i = 0; i < count; ++i)
    for (int w = 0; w < words; ++w) {
      uint64_t x = rng();
      if (bits - 64 * w < 64) x &= (uint64_t{1} << (bits - 64 * w)) - 1;
      (*c)[i * words + w] = x;
    }
  return c;
}

std::shared_ptr<std::vector<float>> floats(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  auto v = std::make_shared<std::vector<float>>(static_cast<size_t>(count));
  for (float& x : *v) x = d(rng);
  return v;
}

void check_size(const Napi::Env& env, double bytes, const std::string& where) {
  if (bytes > 8.0 * (1ull << 30)) throw_range(env, where + ": inputs would exceed 8 GiB");
}

}  // namespace

bool is_hash_bench(const std::string& kernel) {
  return kernel == "hamming-scores" || kernel == "qk-scores" || kernel == "hash-linear" || kernel == "add-peak";
}

HashBench hash_bench(const std::string& kernel, const Napi::Object& spec, const std::string& where) {
  Napi::Env env = spec.Env();
  if (kernel == "add-peak") {
    const int threads = static_cast<int>(int_prop(spec, "threads", where, 1, 1 << 16, 1));
    const int64_t iters = int_prop(spec, "iters", where, 1, int64_t{1} << 40, 1 << 22);
    const MaskedAddProbe probe = masked_add_probe(active_tier());
    HashBench b;
    b.run = [probe, threads, iters](int) {
      static std::atomic<float> sink{0};
      parallel_run(threads, [&](int, int) { sink.store(probe.run(iters), std::memory_order_relaxed); });
    };
    b.ops = double(std::min(threads, pool_threads())) * double(iters) * double(probe.adds_per_iter);
    return b;
  }
  const int64_t n = int_prop(spec, "n", where, 1, kMaxDim);
  const int64_t heads = int_prop(spec, "heads", where, 1, 4096, 1);
  const int threads = static_cast<int>(int_prop(spec, "threads", where, 0, 1 << 16, 0));
  HashBench b;
  if (kernel == "hamming-scores") {
    const int bits = static_cast<int>(int_prop(spec, "bits", where, 1, kMaxHashBits));
    const int64_t rows = int_prop(spec, "rows", where, 1, 4096, 32);
    const bool portable = bool_prop(spec, "portablePopcount", where, false);
    check_size(env, double(heads) * n * (hash_words(bits) * 16.0) + double(rows) * n * 4 * 64, where);
    auto q = codes(heads * n, bits, 1), k = codes(heads * n, bits, 2);
    auto kp = std::make_shared<std::vector<uint32_t>>(hamming_key_planes(heads, n, bits, k->data()));
    b.run = [q, kp, heads, n, bits, rows, portable, threads](int) {
      hamming_scores_blocked(active_tier(), heads, n, bits, q->data(), kp->data(), rows, portable, threads);
    };
    b.ops = 2.0 * bits * double(n) * n * heads;
  } else if (kernel == "qk-scores") {
    const int64_t dim = int_prop(spec, "dim", where, 1, kMaxDim);
    const int64_t rows = int_prop(spec, "rows", where, 1, 4096, 32);
    check_size(env, 8.0 * heads * n * dim + double(rows) * n * 4 * 64, where);
    auto q = floats(heads * n * dim, 1), k = floats(heads * n * dim, 2);
    b.run = [q, k, heads, n, dim, rows, threads](int) {
      qk_scores_blocked(active_tier(), heads, n, dim, q->data(), k->data(), rows, threads);
    };
    b.ops = 2.0 * dim * double(n) * n * heads;
  } else {
    const int bits = static_cast<int>(int_prop(spec, "bits", where, 1, kMaxHashBits));
    const int64_t dim = int_prop(spec, "dim", where, 1, kMaxDim);
    const bool causal = bool_prop(spec, "causal", where, false);
    check_size(env, 8.0 * heads * n * dim + 16.0 * heads * n * hash_words(bits), where);
    auto q = codes(heads * n, bits, 1), k = codes(heads * n, bits, 2);
    auto v = floats(heads * n * dim, 3);
    auto out = std::make_shared<std::vector<float>>(static_cast<size_t>(heads * n * dim));
    LinearAttentionArgs a;
    a.batch = 1;
    a.heads = heads;
    a.nq = a.nk = n;
    a.dim = dim;
    a.bits = bits;
    a.lv = a.lo = {heads * n * dim, n * dim, dim};
    a.causal = causal;
    b.run = [q, k, v, out, a, threads](int) {
      LinearAttentionArgs it = a;
      it.qcodes = q->data();
      it.kcodes = k->data();
      it.v = v->data();
      it.out = out->data();
      linear_hash_attention(it, threads);
    };
    b.ops = 2.0 * double(n) * bits * dim * heads;
  }
  return b;
}

}  // namespace addon
}  // namespace tensorfold
