// Standalone checks of the float64 linear algebra on every supported tier,
// without Node: GEMM against the reference, QR and SVD by their defining
// properties (orthonormal factors, reconstruction, known singular values) on
// random, ill-conditioned, rank-deficient and zero matrices, and Cholesky
// with triangular solves. Used by the sanitizer build and for kernel work.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "../core/cpu_features.h"
#include "../kernels/linalg/linalg.h"

using namespace tensorfold;
using Mat = std::vector<double>;

static int fails = 0;

static void expect(bool ok, const char* what, double value, int64_t m, int64_t n) {
  if (!ok) {
    std::printf("FAIL tier=%s %s = %g (m=%ld n=%ld)\n", tier_name(active_tier()), what, value, (long)m, (long)n);
    ++fails;
  }
}

static Mat randn(int64_t count, std::mt19937& rng) {
  std::normal_distribution<double> d;
  Mat x(count);
  for (auto& v : x) v = d(rng);
  return x;
}

// Orthonormal columns: m x k from the QR of a Gaussian matrix.
static Mat orthonormal(int64_t m, int64_t k, std::mt19937& rng) {
  Mat g = randn(m * k, rng), q(m * k);
  qr(m, k, g.data(), false, q.data(), nullptr, nullptr);
  return q;
}

// max |Q^T Q - I| over the k columns of row-major m x k q.
static double orth_error(const Mat& q, int64_t m, int64_t k) {
  Mat g(k * k);
  dgemm(true, false, k, k, m, 1.0, q.data(), k, q.data(), k, 0.0, g.data(), k);
  double e = 0;
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) e = std::max(e, std::abs(g[i * k + j] - (i == j ? 1.0 : 0.0)));
  return e;
}

static double fro(const Mat& a) {
  double s = 0;
  for (double v : a) s += v * v;
  return std::sqrt(s);
}

static void check_gemm(std::mt19937& rng) {
  for (auto [m, n, k] : {std::array<int64_t, 3>{1, 1, 1}, {5, 17, 3}, {67, 33, 300}, {130, 530, 260}})
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        Mat a = randn(m * k, rng), b = randn(k * n, rng), c = randn(m * n, rng), r = c;
        const int64_t lda = ta ? m : k, ldb = tb ? k : n;
        dgemm(ta, tb, m, n, k, 0.5, a.data(), lda, b.data(), ldb, 0.25, c.data(), n);
        dgemm_reference(ta, tb, m, n, k, 0.5, a.data(), lda, b.data(), ldb, 0.25, r.data(), n);
        double e = 0;
        for (int64_t i = 0; i < m * n; ++i) e = std::max(e, std::abs(c[i] - r[i]));
        expect(e < 1e-12 * std::sqrt(static_cast<double>(k)) * 10, "dgemm error", e, m, n);
      }
}

static void check_qr(std::mt19937& rng) {
  for (auto [m, n] : {std::array<int64_t, 2>{1, 1}, {7, 3}, {3, 7}, {100, 100}, {300, 70}, {70, 300}})
    for (int pivot = 0; pivot < 2; ++pivot) {
      const int64_t kq = std::min(m, n);
      Mat a = randn(m * n, rng), q(m * kq), r(kq * n);
      std::vector<int32_t> perm(n);
      qr(m, n, a.data(), pivot, q.data(), r.data(), perm.data());
      expect(orth_error(q, m, kq) < 1e-13, "qr orthogonality", orth_error(q, m, kq), m, n);
      Mat qrm(m * n);
      dgemm(false, false, m, n, kq, 1.0, q.data(), kq, r.data(), n, 0.0, qrm.data(), n);
      double e = 0;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) e = std::max(e, std::abs(qrm[i * n + j] - a[i * n + perm[j]]));
      expect(e < 1e-12, "qr reconstruction", e, m, n);
      if (pivot)
        for (int64_t i = 1; i < kq; ++i)
          expect(std::abs(r[i * n + i]) <= std::abs(r[(i - 1) * n + i - 1]) * (1 + 1e-12), "qr pivot order", i, m, n);
    }
}

// A = U diag(sigma) V^T from given singular values; checks the SVD recovers
// them to relative accuracy `rel` and reconstructs A.
static void check_svd_of(int64_t m, int64_t n, const Mat& sigma, double rel, std::mt19937& rng) {
  const int64_t kq = std::min(m, n);
  Mat u0 = orthonormal(m, kq, rng), v0 = orthonormal(n, kq, rng), a(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t c = 0; c < kq; ++c) s += u0[i * kq + c] * sigma[c] * v0[j * kq + c];
      a[i * n + j] = s;
    }
  Mat u(m * kq), s(kq), vt(kq * n);
  SvdInfo info = svd(m, n, a.data(), u.data(), s.data(), vt.data());
  expect(info.converged, "svd converged", info.sweeps, m, n);
  expect(orth_error(u, m, kq) < 1e-12, "svd U orthogonality", orth_error(u, m, kq), m, n);
  Mat v(n * kq);
  for (int64_t c = 0; c < kq; ++c)
    for (int64_t j = 0; j < n; ++j) v[j * kq + c] = vt[c * n + j];
  expect(orth_error(v, n, kq) < 1e-12, "svd V orthogonality", orth_error(v, n, kq), m, n);
  Mat sorted = sigma;
  std::sort(sorted.begin(), sorted.end(), std::greater<double>());
  const double smax = sorted[0];
  for (int64_t c = 0; c < kq; ++c) {
    const double err = std::abs(s[c] - sorted[c]);
    expect(err <= rel * sorted[c] + 1e-14 * smax, "svd singular value error", err, m, n);
    if (c) expect(s[c] <= s[c - 1], "svd order", c, m, n);
  }
  Mat us(m * kq), rec(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t c = 0; c < kq; ++c) us[i * kq + c] = u[i * kq + c] * s[c];
  dgemm(false, false, m, n, kq, 1.0, us.data(), kq, vt.data(), n, 0.0, rec.data(), n);
  for (int64_t i = 0; i < m * n; ++i) rec[i] -= a[i];
  const double scale = std::max(fro(a), 1e-300);
  expect(fro(rec) <= 1e-13 * scale || fro(a) == 0.0, "svd reconstruction", fro(rec) / scale, m, n);
}

static void check_svd(std::mt19937& rng) {
  for (auto [m, n] : {std::array<int64_t, 2>{1, 1}, {1, 5}, {5, 1}, {10, 10}, {60, 25}, {25, 60}, {200, 200}, {257, 130}}) {
    const int64_t kq = std::min(m, n);
    Mat flat(kq), graded(kq), deficient(kq, 0.0), zero(kq, 0.0);
    std::uniform_real_distribution<double> u(1, 2);
    for (int64_t i = 0; i < kq; ++i) {
      flat[i] = u(rng);
      graded[i] = std::pow(10.0, -12.0 * i / std::max<int64_t>(1, kq - 1));  // condition 1e12
      if (i < kq / 3) deficient[i] = u(rng);
    }
    check_svd_of(m, n, flat, 1e-13, rng);
    check_svd_of(m, n, graded, 1e-10, rng);
    check_svd_of(m, n, deficient, 1e-13, rng);
    check_svd_of(m, n, zero, 0, rng);
  }
}

static void check_cholesky(std::mt19937& rng) {
  for (int64_t n : {1, 5, 64, 300}) {
    Mat x = randn(2 * n * n, rng), g(n * n);
    dgemm(true, false, n, n, 2 * n, 1.0, x.data(), n, x.data(), n, 0.0, g.data(), n);
    Mat l = g;
    expect(cholesky(n, l.data()) == -1, "cholesky failed", 0, n, n);
    Mat llt(n * n);
    dgemm(false, true, n, n, n, 1.0, l.data(), n, l.data(), n, 0.0, llt.data(), n);
    double e = 0;
    for (int64_t i = 0; i < n * n; ++i) e = std::max(e, std::abs(llt[i] - g[i]));
    expect(e < 1e-10 * n, "cholesky reconstruction", e, n, n);
    for (int left = 0; left < 2; ++left)
      for (int lower = 0; lower < 2; ++lower)
        for (int trans = 0; trans < 2; ++trans) {
          const int64_t nrhs = 7;
          Mat t(n * n, 0.0);
          for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < n; ++j)
              if (lower ? j <= i : j >= i) t[i * n + j] = l[lower ? i * n + j : j * n + i];
          Mat xs = randn(n * nrhs, rng), b(n * nrhs);
          // b = op(T) X (left) or X op(T) (right).
          if (left)
            dgemm(trans, false, n, nrhs, n, 1.0, t.data(), n, xs.data(), nrhs, 0.0, b.data(), nrhs);
          else
            dgemm(false, trans, nrhs, n, n, 1.0, xs.data(), n, t.data(), n, 0.0, b.data(), n);
          expect(trsm(left, lower, trans, n, nrhs, t.data(), b.data()), "trsm singular", 0, n, nrhs);
          double err = 0;
          for (int64_t i = 0; i < n * nrhs; ++i) err = std::max(err, std::abs(b[i] - xs[i]));
          expect(err < 1e-8, "trsm error", err, n, nrhs);
        }
  }
}

int main() {
  std::mt19937 rng(7);
  // TENSORFOLD_ISA caps the tiers run (valgrind cannot run AVX-512).
  IsaTier top = max_supported_tier(), asked;
  if (const char* env = std::getenv("TENSORFOLD_ISA"); env && parse_tier(env, &asked) && asked < top) top = asked;
  for (IsaTier tier : {IsaTier::kGeneric, IsaTier::kAvx2, IsaTier::kAvx512}) {
    if (static_cast<int>(tier) > static_cast<int>(top)) continue;
    set_active_tier(tier);
    check_gemm(rng);
    check_qr(rng);
    check_svd(rng);
    check_cholesky(rng);
    std::printf("tier %s done\n", tier_name(tier));
  }
  std::printf(fails ? "linalg selftest: %d failures\n" : "linalg selftest: ok\n", fails);
  return fails ? 1 : 0;
}
