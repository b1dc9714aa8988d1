// Standalone GEMM check against the float64 reference on every supported
// tier, without Node: used by the sanitizer build and for kernel work.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "../core/thread_pool.h"
#include "../kernels/gemm/gemm.h"
#include "../kernels/gemm/gemm_pack.h"

using namespace tensorfold;

static int check(IsaTier tier, int64_t m, int64_t n, int64_t k, bool ta, bool tb, float beta,
                 int64_t batch, std::mt19937& rng, bool packed = false) {
  std::normal_distribution<float> d;
  std::vector<float> a(batch * m * k), b(batch * k * n), c(batch * m * n), r;
  for (auto& x : a) x = d(rng);
  for (auto& x : b) x = d(rng);
  for (auto& x : c) x = beta == 0.0f ? NAN : d(rng);
  r = c;
  GemmArgs g;
  g.m = m; g.n = n; g.k = k;
  g.a = a.data(); g.rs_a = ta ? 1 : k; g.cs_a = ta ? m : 1;
  g.b = b.data(); g.rs_b = tb ? 1 : n; g.cs_b = tb ? k : 1;
  g.c = c.data(); g.rs_c = n; g.alpha = 0.75f; g.beta = beta;
  GemmBatch bt{batch, m * k, k * n, m * n};
  std::unique_ptr<PackedB> pb;
  if (packed) {  // one weight shared by the batch
    pb.reset(gemm_pack_b(tier, b.data(), g.rs_b, g.cs_b, k, n, 0));
    g.b_packed = pb.get();
    bt.stride_b = 0;
  }
  sgemm_on_tier(tier, g, bt, 0);
  if (packed) g.b_packed = nullptr;
  double worst = 0;
  for (int64_t t = 0; t < batch; ++t) {
    GemmArgs gr = g;
    gr.a += t * m * k; gr.b += t * bt.stride_b; gr.c = r.data() + t * m * n;
    sgemm_reference(gr);
  }
  // Error relative to the magnitude of the dot products (sqrt(k) scale).
  double scale = std::sqrt(static_cast<double>(k) + 1.0);
  for (size_t i = 0; i < c.size(); ++i) {
    double e = std::fabs(static_cast<double>(c[i]) - r[i]) / scale;
    if (!(e <= 1e-5)) worst = std::isnan(e) ? INFINITY : std::max(worst, e);
  }
  if (worst > 0) {
    std::printf("FAIL tier=%s m=%ld n=%ld k=%ld ta=%d tb=%d beta=%g batch=%ld err=%g\n",
                tier_name(tier), (long)m, (long)n, (long)k, ta, tb, beta, (long)batch, worst);
    return 1;
  }
  return 0;
}

int main() {
  std::mt19937 rng(42);
  int fails = 0, runs = 0;
  const int64_t dims[] = {1, 2, 7, 13, 31, 33, 64, 97, 257};
  // TENSORFOLD_ISA caps the tiers tested (valgrind cannot decode AVX-512).
  IsaTier top = max_supported_tier();
  if (const char* env = std::getenv("TENSORFOLD_ISA")) {
    IsaTier t;
    if (parse_tier(env, &t) && static_cast<int>(t) < static_cast<int>(top)) top = t;
  }
  for (int t = 0; t <= static_cast<int>(top); ++t) {
    IsaTier tier = static_cast<IsaTier>(t);
    for (int threads : {1, 2}) {
      set_pool_threads(threads);
      for (int64_t m : dims)
        for (int64_t n : dims)
          for (int64_t k : {int64_t{0}, int64_t{1}, int64_t{17}, int64_t{300}}) {
            fails += check(tier, m, n, k, (m + n) % 2, (n + k) % 3 == 0, (m % 3) ? 0.0f : 0.5f, 1, rng);
            ++runs;
          }
      fails += check(tier, 300, 700, 600, false, false, 0.0f, 1, rng);
      fails += check(tier, 5, 3, 9, false, true, 1.0f, 7, rng);
      fails += check(tier, 64, 80, 96, true, false, 0.0f, 3, rng);
      runs += 3;
      for (int64_t m : {1, 3, 4, 5, 29})
        for (int64_t n : {1, 33, 1100})
          for (int64_t k : {1, 300}) {
            fails += check(tier, m, n, k, false, (m + n) % 2 == 0, m == 3 ? 0.5f : 0.0f, m == 5 ? 2 : 1, rng, true);
            ++runs;
          }
    }
  }
  std::printf("%d/%d gemm checks passed\n", runs - fails, runs);
  return fails ? 1 : 0;
}
