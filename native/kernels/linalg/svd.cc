// SVD by one-sided Jacobi, preconditioned by QR as Drmac and Veselic do:
// a tall A is first reduced to its square R factor (blocked QR), that R is
// factored again with column pivoting, and Jacobi rotations orthogonalise the
// columns of the pivoted factor's transpose, where they converge in few
// sweeps. One-sided Jacobi computes small singular values to high relative
// accuracy, which is why it suits ill-conditioned weights.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>
#include <vector>

#include "householder.h"
#include "linalg.h"
#include "linalg_kernels.h"

namespace tensorfold {
namespace {

constexpr int kMaxSweeps = 80;

// Rotates the columns of x (n rows, column-major, ld n) until every pair is
// orthogonal to working precision, applying the same rotations to j.
SvdInfo jacobi(int64_t rows, int64_t n, double* x, double* j) {
  const LinalgKernels& k = linalg_kernels();
  const double tol = std::sqrt(static_cast<double>(rows)) * DBL_EPSILON;
  std::vector<double> d(static_cast<size_t>(n));
  SvdInfo info;
  info.converged = false;
  for (int sweep = 1; sweep <= kMaxSweeps; ++sweep) {
    info.sweeps = sweep;
    for (int64_t i = 0; i < n; ++i) d[i] = k.dot(x + i * rows, x + i * rows, rows);
    int64_t rotations = 0;
    for (int64_t p = 0; p + 1 < n; ++p) {
      double* xp = x + p * rows;
      for (int64_t q = p + 1; q < n; ++q) {
        if (d[p] == 0.0 || d[q] == 0.0) continue;
        double* xq = x + q * rows;
        const double apq = k.dot(xp, xq, rows);
        if (std::abs(apq) <= tol * std::sqrt(d[p]) * std::sqrt(d[q])) continue;
        ++rotations;
        // Rutishauser's rotation: the smaller root t of t^2 + 2 zeta t - 1.
        const double zeta = (d[q] - d[p]) / (2.0 * apq);
        const double t = std::abs(zeta) > 1e150 ? 0.5 / zeta
                                                 : std::copysign(1.0, zeta) / (std::abs(zeta) + std::sqrt(1.0 + zeta * zeta));
        const double c = 1.0 / std::sqrt(1.0 + t * t), s = c * t;
        k.rot(xp, xq, rows, c, s);
        k.rot(j + p * n, j + q * n, n, c, s);
        d[p] = std::max(0.0, d[p] - t * apq);
        d[q] = std::max(0.0, d[q] + t * apq);
      }
    }
    if (rotations == 0) {
      info.converged = true;
      break;
    }
  }
  return info;
}

// Columns of u (n x cols, column-major) with `zero[c]` set are replaced by
// unit vectors orthogonal to all the others: each is built from the
// coordinate direction the current columns cover least, orthogonalised twice.
void complete_basis(const LinalgKernels& k, int64_t n, int64_t cols, double* u, const std::vector<bool>& zero) {
  std::vector<double> cover(static_cast<size_t>(n), 0.0);
  for (int64_t c = 0; c < cols; ++c)
    if (!zero[c])
      for (int64_t i = 0; i < n; ++i) cover[i] += u[c * n + i] * u[c * n + i];
  std::vector<int64_t> done;
  for (int64_t c = 0; c < cols; ++c)
    if (!zero[c]) done.push_back(c);
  for (int64_t c = 0; c < cols; ++c) {
    if (!zero[c]) continue;
    double* v = u + c * n;
    const int64_t e = std::min_element(cover.begin(), cover.end()) - cover.begin();
    std::fill(v, v + n, 0.0);
    v[e] = 1.0;
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t o : done) k.axpy(-k.dot(u + o * n, v, n), u + o * n, v, n);
    const double norm = std::sqrt(k.dot(v, v, n));
    for (int64_t i = 0; i < n; ++i) v[i] /= norm;
    for (int64_t i = 0; i < n; ++i) cover[i] += v[i] * v[i];
    done.push_back(c);
  }
}

// The tall case, m >= n >= 1: U (m x n), V (n x n) column-major.
SvdInfo svd_tall(int64_t m, int64_t n, const double* a, bool a_transposed, double* u_col, double* s, double* v_col,
                 int max_threads) {
  const LinalgKernels& k = linalg_kernels();
  // Column-major copy of A (a_transposed: `a` holds A^T row-major, which is
  // A column-major already).
  std::vector<double> w(static_cast<size_t>(m * n));
  if (a_transposed)
    std::copy(a, a + m * n, w.begin());
  else
    for (int64_t i = 0; i < m; ++i)
      for (int64_t c = 0; c < n; ++c) w[c * m + i] = a[i * n + c];

  // Stage 1: a tall A becomes its n x n R factor.
  const bool reduce = m > n;
  std::vector<double> tau1;
  std::vector<double> r1(static_cast<size_t>(n * n));
  if (reduce) {
    tau1.resize(static_cast<size_t>(n));
    hh::factor_blocked(m, n, w.data(), m, tau1.data(), max_threads);
    for (int64_t c = 0; c < n; ++c)
      for (int64_t i = 0; i < n; ++i) r1[c * n + i] = i <= c ? w[c * m + i] : 0.0;
  } else {
    std::copy(w.begin(), w.end(), r1.begin());
  }
  // Stage 2: R1 P = Q2 R2 with column pivoting.
  std::vector<double> tau2(static_cast<size_t>(n));
  std::vector<int32_t> perm(static_cast<size_t>(n));
  hh::factor_pivoted(n, n, r1.data(), n, tau2.data(), perm.data());
  // Stage 3: Jacobi on X = R2^T, accumulating the rotations in J.
  std::vector<double> x(static_cast<size_t>(n * n), 0.0), jm(static_cast<size_t>(n * n), 0.0);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t i = c; i < n; ++i) x[c * n + i] = r1[i * n + c];
  for (int64_t i = 0; i < n; ++i) jm[i * n + i] = 1.0;
  SvdInfo info = jacobi(n, n, x.data(), jm.data());

  // X J = U_x diag(sigma), so R2 = J diag(sigma) U_x^T and
  // A = (Q1 Q2 J) diag(sigma) (P U_x)^T.
  std::vector<double> sigma(static_cast<size_t>(n));
  for (int64_t c = 0; c < n; ++c) sigma[c] = std::sqrt(k.dot(x.data() + c * n, x.data() + c * n, n));
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return sigma[p] > sigma[q]; });

  std::vector<double> ux(static_cast<size_t>(n * n));
  std::vector<bool> zero(static_cast<size_t>(n), false);
  for (int64_t c = 0; c < n; ++c) {
    const int64_t o = order[c];
    s[c] = sigma[o];
    if (sigma[o] == 0.0) {
      zero[c] = true;
      continue;
    }
    for (int64_t i = 0; i < n; ++i) ux[c * n + i] = x[o * n + i] / sigma[o];
  }
  complete_basis(k, n, n, ux.data(), zero);
  if (v_col)
    for (int64_t c = 0; c < n; ++c)
      for (int64_t i = 0; i < n; ++i) v_col[c * n + perm[i]] = ux[c * n + i];

  if (u_col) {
    std::fill(u_col, u_col + m * n, 0.0);
    for (int64_t c = 0; c < n; ++c)
      for (int64_t i = 0; i < n; ++i) u_col[c * m + i] = jm[order[c] * n + i];
    // Q2 acts on the first n rows, Q1 on all m.
    hh::apply_q(n, n, r1.data(), n, tau2.data(), u_col, m, n, max_threads);
    if (reduce) hh::apply_q(m, n, w.data(), m, tau1.data(), u_col, m, n, max_threads);
  }
  return info;
}

}  // namespace

SvdInfo svd(int64_t m, int64_t n, const double* a, double* u, double* s, double* vt, int max_threads) {
  const int64_t kq = std::min(m, n);
  if (kq <= 0) return SvdInfo{};
  const bool wide = m < n;
  const int64_t rows = wide ? n : m;  // of the tall matrix that is factored
  std::vector<double> uc(static_cast<size_t>(rows * kq)), vc(static_cast<size_t>(kq * kq));
  // A wide A is factored as A^T = U' S V'^T, so A = V' S U'^T. Row-major A
  // read as column-major is exactly A^T.
  SvdInfo info = svd_tall(rows, kq, a, wide, uc.data(), s, vc.data(), max_threads);
  if (!wide) {
    if (u)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < kq; ++c) u[i * kq + c] = uc[c * m + i];
    if (vt)
      for (int64_t c = 0; c < kq; ++c)
        for (int64_t j = 0; j < n; ++j) vt[c * n + j] = vc[c * kq + j];
  } else {
    if (u)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < kq; ++c) u[i * kq + c] = vc[c * kq + i];
    if (vt)
      for (int64_t c = 0; c < kq; ++c)
        for (int64_t j = 0; j < n; ++j) vt[c * n + j] = uc[c * n + j];
  }
  return info;
}

}  // namespace tensorfold
