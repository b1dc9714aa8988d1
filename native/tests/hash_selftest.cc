// Standalone check of the hash-attention kernels against the float64
// references on every supported tier, without Node: used by the sanitizer
// build and for kernel work.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <random>
#include <vector>

#include "../core/thread_pool.h"
#include "../kernels/hash/hash_attention.h"

using namespace tensorfold;

static int failures = 0, checks = 0;

static void expect_close(const char* what, const std::vector<float>& got, const std::vector<float>& want,
                         double tol) {
  ++checks;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(double(got[i]) - want[i]) / (1.0 + std::fabs(double(want[i])));
    worst = std::isnan(e) ? INFINITY : (e > worst ? e : worst);
  }
  if (!(worst <= tol)) {
    std::printf("FAIL %s: worst error %g > %g\n", what, worst, tol);
    ++failures;
  }
}

static std::vector<uint64_t> random_codes(int64_t count, int bits, std::mt19937& rng) {
  const int words = hash_words(bits);
  std::vector<uint64_t> c(static_cast<size_t>(count * words));
  for (int64_t i = 0; i < count; ++i)
    for (int w = 0; w < words; ++w) {
      uint64_t x = (uint64_t(rng()) << 32) | rng();
      const int left = bits - 64 * w;
      if (left < 64) x &= (uint64_t{1} << left) - 1;
      c[i * words + w] = x;
    }
  return c;
}

static std::vector<float> normal(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> d;
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

static void linear_case(IsaTier tier, int64_t heads, int64_t n, int64_t dim, int bits, bool causal,
                        LinearVariant variant, std::mt19937& rng, int64_t nq = -1) {
  const int words = hash_words(bits);
  if (nq < 0) nq = n;
  auto q = random_codes(heads * nq, bits, rng), k = random_codes(heads * n, bits, rng);
  auto v = normal(heads * n * dim, rng);
  std::vector<float> out(heads * nq * dim), ref(out.size());
  LinearAttentionArgs a;
  a.batch = 1;
  a.heads = heads;
  a.nq = nq;
  a.nk = n;
  a.dim = dim;
  a.bits = bits;
  a.qcodes = q.data();
  a.kcodes = k.data();
  a.v = v.data();
  a.lv = {heads * n * dim, n * dim, dim};
  a.out = out.data();
  a.lo = {heads * nq * dim, nq * dim, dim};
  a.causal = causal;
  a.variant = variant;
  linear_hash_attention_on_tier(tier, a, 2);
  a.out = ref.data();
  linear_hash_attention_reference(a);
  char what[160];
  std::snprintf(what, sizeof what, "linear %s nq=%lld nk=%lld dim=%lld bits=%d causal=%d variant=%d",
                tier_name(tier), (long long)nq, (long long)n, (long long)dim, bits, causal, int(variant));
  expect_close(what, out, ref, 2e-4);

  if (!causal || variant != LinearVariant::kExact) return;
  // The running state, fed in uneven steps, equals the causal result exactly.
  std::vector<float> p(heads * bits * dim), vs(heads * dim), ws(heads * dim), step(v.size());
  std::vector<int32_t> counts(heads * bits);
  std::vector<double> length(heads);
  int64_t t0 = 0;
  for (int64_t len : {int64_t{1}, int64_t{3}, int64_t{1}, n}) {
    len = std::min(len, n - t0);
    if (len <= 0) break;
    std::vector<uint64_t> qs(heads * len * words), ks(heads * len * words);
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < len * words; ++i) {
        qs[h * len * words + i] = q[(h * n + t0) * words + i];
        ks[h * len * words + i] = k[(h * n + t0) * words + i];
      }
    LinearStateArgs s;
    s.units = heads;
    s.heads = heads;
    s.dim = dim;
    s.n = len;
    s.bits = bits;
    s.p = p.data();
    s.vsum = vs.data();
    s.wsum = ws.data();
    s.counts = counts.data();
    s.length = length.data();
    s.qcodes = qs.data();
    s.kcodes = ks.data();
    s.v = v.data() + t0 * dim;
    s.lv = {0, n * dim, dim};
    s.out = step.data() + t0 * dim;
    s.lo = s.lv;
    linear_hash_state_step_on_tier(tier, s, 2);
    t0 += len;
  }
  std::snprintf(what, sizeof what, "state %s n=%lld dim=%lld bits=%d", tier_name(tier), (long long)n,
                (long long)dim, bits);
  expect_close(what, step, out, 0);
}

static void hamming_case(IsaTier tier, int64_t heads, int64_t nq, int64_t nk, int64_t dim, int bits,
                         bool causal, int64_t topk, bool portable, std::mt19937& rng) {
  auto q = random_codes(heads * nq, bits, rng), k = random_codes(heads * nk, bits, rng);
  auto v = normal(heads * nk * dim, rng);
  std::vector<float> out(heads * nq * dim), ref(out.size());
  HammingAttentionArgs a;
  a.batch = 1;
  a.heads = heads;
  a.nq = nq;
  a.nk = nk;
  a.dim = dim;
  a.bits = bits;
  a.qcodes = q.data();
  a.kcodes = k.data();
  a.v = v.data();
  a.lv = {heads * nk * dim, nk * dim, dim};
  a.out = out.data();
  a.lo = {heads * nq * dim, nq * dim, dim};
  a.causal = causal;
  a.scale = 0.3f;
  a.topk = topk;
  a.portable_popcount = portable;
  hamming_attention_on_tier(tier, a, 2);
  a.out = ref.data();
  hamming_attention_reference(a);
  char what[160];
  std::snprintf(what, sizeof what, "hamming %s nq=%lld nk=%lld bits=%d causal=%d topk=%lld pop=%s",
                tier_name(tier), (long long)nq, (long long)nk, bits, causal, (long long)topk,
                hash_popcount_name(tier, portable));
  expect_close(what, out, ref, 1e-4);

  ++checks;
  std::vector<int32_t> dist(heads * nq * nk);
  hamming_distances(tier, heads, nq, nk, bits, q.data(), k.data(), dist.data(), portable, 2);
  const int words = hash_words(bits);
  for (int64_t u = 0; u < heads; ++u)
    for (int64_t i = 0; i < nq; ++i)
      for (int64_t j = 0; j < nk; ++j) {
        int want = 0;
        for (int t = 0; t < bits; ++t)
          want += ((q[(u * nq + i) * words + t / 64] ^ k[(u * nk + j) * words + t / 64]) >> (t % 64)) & 1;
        if (dist[(u * nq + i) * nk + j] != want) {
          std::printf("FAIL distances %s bits=%d\n", hash_popcount_name(tier, portable), bits);
          ++failures;
          return;
        }
      }
}

static void softmax_case(IsaTier tier, int64_t heads, int64_t nq, int64_t nk, int64_t dim, bool causal,
                         std::mt19937& rng) {
  auto q = normal(heads * nq * dim, rng), k = normal(heads * nk * dim, rng), v = normal(heads * nk * dim, rng);
  std::vector<float> out(heads * nq * dim), ref(out.size());
  SoftmaxAttentionArgs a;
  a.batch = 1;
  a.heads = heads;
  a.nq = nq;
  a.nk = nk;
  a.dim = a.dim_v = dim;
  a.q = q.data();
  a.lq = {heads * nq * dim, nq * dim, dim};
  a.k = k.data();
  a.lk = {heads * nk * dim, nk * dim, dim};
  a.v = v.data();
  a.lv = a.lk;
  a.out = out.data();
  a.lo = a.lq;
  a.causal = causal;
  a.scale = 1.0f / std::sqrt(float(dim));
  softmax_attention_on_tier(tier, a, 2);
  a.out = ref.data();
  softmax_attention_reference(a);
  char what[128];
  std::snprintf(what, sizeof what, "softmax %s nq=%lld nk=%lld dim=%lld causal=%d", tier_name(tier),
                (long long)nq, (long long)nk, (long long)dim, causal);
  expect_close(what, out, ref, 1e-4);
}

// Codes against a float64 evaluation of the hash, ignoring bits whose
// projection is within rounding of zero.
static void codes_case(IsaTier tier, HashKind kind, int bits, int64_t dim, bool normalize, std::mt19937& rng) {
  const int64_t heads = 2, seq = 300, m = 37;
  const int words = hash_words(bits);
  auto x = normal(heads * seq * dim, rng), planes = normal(heads * dim * bits, rng);
  auto centers = normal(heads * m * dim, rng), weights = normal(heads * bits * m, rng), mean = normal(heads * m, rng);
  std::vector<float> gamma = {0.3f, 0.05f};
  if (normalize)
    for (int64_t i = 0; i < heads * m; ++i) {
      double n = 0;
      for (int64_t d = 0; d < dim; ++d) n += centers[i * dim + d] * centers[i * dim + d];
      for (int64_t d = 0; d < dim; ++d) centers[i * dim + d] /= std::sqrt(n);
    }
  HashCodesArgs a;
  a.batch = 1;
  a.heads = heads;
  a.seq = seq;
  a.x = x.data();
  a.lx = {heads * seq * dim, seq * dim, dim};
  a.fn.kind = kind;
  a.fn.bits = bits;
  a.fn.dim = dim;
  a.fn.heads = heads;
  a.fn.planes = planes.data();
  a.fn.anchors = m;
  a.fn.centers = centers.data();
  a.fn.weights = weights.data();
  a.fn.mean = mean.data();
  a.fn.gamma = gamma.data();
  a.fn.normalize = normalize;
  std::vector<uint64_t> codes(heads * seq * words, ~uint64_t{0});
  a.codes = codes.data();
  ++checks;
  bool ok = hash_codes_on_tier(tier, a, 2) == -1;
  for (int64_t h = 0; h < heads && ok; ++h)
    for (int64_t s = 0; s < seq && ok; ++s) {
      const float* xs = x.data() + (h * seq + s) * dim;
      std::vector<double> phi(m);
      double xn = 0;
      for (int64_t d = 0; d < dim; ++d) xn += double(xs[d]) * xs[d];
      for (int64_t c = 0; c < m; ++c) {
        double d2 = 0;
        for (int64_t d = 0; d < dim; ++d) {
          const double xv = normalize ? xs[d] / std::sqrt(xn) : xs[d];
          d2 += (xv - centers[(h * m + c) * dim + d]) * (xv - centers[(h * m + c) * dim + d]);
        }
        phi[c] = std::exp(-gamma[h] * d2) - mean[h * m + c];
      }
      for (int t = 0; t < bits; ++t) {
        double p = 0;
        if (kind == HashKind::kSimhash)
          for (int64_t d = 0; d < dim; ++d) p += double(xs[d]) * planes[(h * dim + d) * bits + t];
        else
          for (int64_t c = 0; c < m; ++c) p += phi[c] * weights[(h * bits + t) * m + c];
        const int bit = (codes[(h * seq + s) * words + t / 64] >> (t % 64)) & 1;
        if (std::fabs(p) > 1e-3 && bit != (p > 0)) ok = false;
      }
      if (bits % 64 && (codes[(h * seq + s) * words + words - 1] >> (bits % 64))) ok = false;
    }
  if (!ok) {
    std::printf("FAIL codes %s kind=%d bits=%d dim=%lld normalize=%d\n", tier_name(tier), int(kind), bits,
                (long long)dim, normalize);
    ++failures;
  }
}

int main() {
  std::mt19937 rng(7);
  set_pool_threads(2);
  // TENSORFOLD_ISA caps the tiers tested (valgrind cannot decode AVX-512).
  IsaTier top = max_supported_tier();
  if (const char* env = std::getenv("TENSORFOLD_ISA")) {
    IsaTier t;
    if (parse_tier(env, &t) && static_cast<int>(t) < static_cast<int>(top)) top = t;
  }
  for (int t = 0; t <= static_cast<int>(top); ++t) {
    const IsaTier tier = static_cast<IsaTier>(t);
    for (int bits : {1, 5, 16, 31, 32, 33, 64, 100, 256})
      for (int64_t dim : {1, 7, 16, 33, 64, 80})
        for (bool causal : {false, true}) {
          linear_case(tier, 2, bits == 256 ? 40 : 150, dim, bits, causal, LinearVariant::kExact, rng);
          linear_case(tier, 1, 37, dim, bits, causal, LinearVariant::kEcoformer, rng);
        }
    // Long enough for the byte tables of the non-causal path.
    for (int bits : {1, 9, 32, 64, 256})
      for (int64_t dim : {5, 64, 100}) {
        linear_case(tier, 2, 300, dim, bits, false, LinearVariant::kExact, rng);
        linear_case(tier, 1, 400, dim, bits, false, LinearVariant::kExact, rng, 260);
        linear_case(tier, 1, 270, dim, bits, false, LinearVariant::kEcoformer, rng);
      }
    for (bool portable : {false, true})
      for (int bits : {1, 8, 32, 33, 64, 200, 256})
        for (bool causal : {false, true})
          for (int64_t topk : {int64_t{0}, int64_t{5}, int64_t{1000}}) {
            hamming_case(tier, 2, causal ? 130 : 70, 130, 24, bits, causal, topk, portable, rng);
            if (!causal) hamming_case(tier, 1, 3, 700, 9, bits, false, topk, portable, rng);
          }
    for (int bits : {1, 16, 33, 64, 200})
      for (int64_t dim : {3, 16, 64, 70}) {
        codes_case(tier, HashKind::kSimhash, bits, dim, false, rng);
        codes_case(tier, HashKind::kKernel, bits, dim, bits % 2 == 0, rng);
      }
    for (bool causal : {false, true})
      for (int64_t dim : {1, 16, 64, 70}) {
        softmax_case(tier, 2, 130, 130, dim, causal, rng);
        if (!causal) softmax_case(tier, 1, 5, 600, dim, false, rng);
      }
  }
  std::printf("%d/%d hash checks passed\n", checks - failures, checks);
  return failures ? 1 : 0;
}
