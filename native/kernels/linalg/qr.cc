// Householder QR. The unpivoted form is blocked: a panel of kNb columns is
// factored with level-2 updates, then its reflectors are applied to the rest
// of the matrix at once in compact WY form (I - V T V^T), which is two GEMMs.
// The pivoted form (Businger-Golub with LAPACK's norm downdating) is
// unblocked: it runs on the square factor inside the SVD, where the pivoting
// matters more than the speed.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "householder.h"
#include "linalg.h"
#include "linalg_kernels.h"

namespace tensorfold {
namespace hh {
namespace {

constexpr int64_t kNb = 32;

// Turns x (length len) into beta e_1; x[1:] becomes v[1:]. Returns tau.
double make_reflector(const LinalgKernels& k, double* x, int64_t len) {
  if (len <= 1) return 0.0;
  const double alpha = x[0];
  const double xnorm = std::sqrt(k.dot(x + 1, x + 1, len - 1));
  if (xnorm == 0.0) return 0.0;
  const double beta = -std::copysign(std::hypot(alpha, xnorm), alpha);
  const double tau = (beta - alpha) / beta;
  const double scale = 1.0 / (alpha - beta);
  for (int64_t i = 1; i < len; ++i) x[i] *= scale;
  x[0] = beta;
  return tau;
}

// Applies H = I - tau v v^T (v = [1, v_rest]) to the column c (length len).
void apply_reflector(const LinalgKernels& k, const double* v, double tau, double* c, int64_t len) {
  if (tau == 0.0) return;
  const double w = tau * (c[0] + k.dot(v + 1, c + 1, len - 1));
  c[0] -= w;
  k.axpy(-w, v + 1, c + 1, len - 1);
}

// V (len x jb, column-major, ld len) with the unit diagonal and zeros above
// it made explicit, and T (jb x jb, row-major, upper) with H_0..H_{jb-1} =
// I - V T V^T (LAPACK's dlarft, forward and columnwise).
void block_reflector(const LinalgKernels& k, const double* a, int64_t lda, int64_t len, int64_t jb,
                     const double* tau, double* v, double* t) {
  for (int64_t j = 0; j < jb; ++j) {
    double* col = v + j * len;
    for (int64_t i = 0; i < len; ++i) col[i] = i < j ? 0.0 : i == j ? 1.0 : a[j * lda + i];
  }
  std::fill(t, t + jb * jb, 0.0);
  std::vector<double> z(static_cast<size_t>(jb));
  for (int64_t i = 0; i < jb; ++i) {
    t[i * jb + i] = tau[i];
    if (tau[i] == 0.0) continue;
    for (int64_t j = 0; j < i; ++j) z[j] = -tau[i] * k.dot(v + j * len + i, v + i * len + i, len - i);
    for (int64_t r = 0; r < i; ++r) {
      double s = 0;
      for (int64_t j = r; j < i; ++j) s += t[r * jb + j] * z[j];
      t[r * jb + i] = s;
    }
  }
}

}  // namespace

void factor_blocked(int64_t m, int64_t n, double* a, int64_t lda, double* tau, int max_threads) {
  const LinalgKernels& k = linalg_kernels();
  const int64_t kq = std::min(m, n);
  std::vector<double> v, t, w, w2;
  for (int64_t j0 = 0; j0 < kq; j0 += kNb) {
    const int64_t jb = std::min(kNb, kq - j0);
    const int64_t len = m - j0;
    for (int64_t j = j0; j < j0 + jb; ++j) {
      double* col = a + j * lda + j;
      tau[j] = make_reflector(k, col, m - j);
      for (int64_t c = j + 1; c < j0 + jb; ++c) apply_reflector(k, col, tau[j], a + c * lda + j, m - j);
    }
    const int64_t n2 = n - (j0 + jb);
    if (n2 <= 0) continue;
    v.resize(static_cast<size_t>(len * jb));
    t.resize(static_cast<size_t>(jb * jb));
    w.resize(static_cast<size_t>(n2 * jb));
    w2.resize(static_cast<size_t>(n2 * jb));
    block_reflector(k, a + j0 * lda + j0, lda, len, jb, tau + j0, v.data(), t.data());
    // Column-major A2 (len x n2) is row-major A2^T. Applying Q_b^T:
    // A2 -= V (T^T (V^T A2)), i.e. A2^T -= ((A2^T V) T) V^T.
    double* a2 = a + (j0 + jb) * lda + j0;
    dgemm(false, true, n2, jb, len, 1.0, a2, lda, v.data(), len, 0.0, w.data(), jb, max_threads);
    dgemm(false, false, n2, jb, jb, 1.0, w.data(), jb, t.data(), jb, 0.0, w2.data(), jb, max_threads);
    dgemm(false, false, n2, len, jb, -1.0, w2.data(), jb, v.data(), len, 1.0, a2, lda, max_threads);
  }
}

void factor_pivoted(int64_t m, int64_t n, double* a, int64_t lda, double* tau, int32_t* perm) {
  const LinalgKernels& k = linalg_kernels();
  const int64_t kq = std::min(m, n);
  const double tol3z = std::sqrt(2.220446049250313e-16);
  std::vector<double> vn1(static_cast<size_t>(n)), vn2(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    vn1[j] = vn2[j] = std::sqrt(k.dot(a + j * lda, a + j * lda, m));
    perm[j] = static_cast<int32_t>(j);
  }
  for (int64_t i = 0; i < kq; ++i) {
    const int64_t p = i + (std::max_element(vn1.begin() + i, vn1.end()) - (vn1.begin() + i));
    if (p != i) {
      std::swap_ranges(a + p * lda, a + p * lda + m, a + i * lda);
      std::swap(perm[p], perm[i]);
      vn1[p] = vn1[i];
      vn2[p] = vn2[i];
    }
    double* col = a + i * lda + i;
    tau[i] = make_reflector(k, col, m - i);
    for (int64_t j = i + 1; j < n; ++j) {
      double* cj = a + j * lda;
      apply_reflector(k, col, tau[i], cj + i, m - i);
      if (vn1[j] == 0.0) continue;
      // The norm of the rest of column j, downdated; recomputed when the
      // downdate has cancelled too much to be trusted.
      double temp = std::abs(cj[i]) / vn1[j];
      temp = std::max(0.0, 1.0 - temp * temp);
      const double ratio = vn1[j] / vn2[j];
      if (temp * ratio * ratio <= tol3z) {
        vn1[j] = i + 1 < m ? std::sqrt(k.dot(cj + i + 1, cj + i + 1, m - i - 1)) : 0.0;
        vn2[j] = vn1[j];
      } else {
        vn1[j] *= std::sqrt(temp);
      }
    }
  }
}

void apply_q(int64_t m, int64_t kq, const double* a, int64_t lda, const double* tau, double* c, int64_t ldc,
             int64_t nc, int max_threads) {
  const LinalgKernels& k = linalg_kernels();
  if (nc <= 0 || kq <= 0) return;
  std::vector<double> v, t, w, w2;
  // Q C = Q_0 (Q_1 (... (Q_last C))): the last block goes first.
  for (int64_t j0 = ((kq - 1) / kNb) * kNb; j0 >= 0; j0 -= kNb) {
    const int64_t jb = std::min(kNb, kq - j0);
    const int64_t len = m - j0;
    v.resize(static_cast<size_t>(len * jb));
    t.resize(static_cast<size_t>(jb * jb));
    w.resize(static_cast<size_t>(nc * jb));
    w2.resize(static_cast<size_t>(nc * jb));
    block_reflector(k, a + j0 * lda + j0, lda, len, jb, tau + j0, v.data(), t.data());
    // C_sub -= V (T (V^T C_sub)), i.e. C_sub^T -= ((C_sub^T V) T^T) V^T.
    double* cs = c + j0;
    dgemm(false, true, nc, jb, len, 1.0, cs, ldc, v.data(), len, 0.0, w.data(), jb, max_threads);
    dgemm(false, true, nc, jb, jb, 1.0, w.data(), jb, t.data(), jb, 0.0, w2.data(), jb, max_threads);
    dgemm(false, false, nc, len, jb, -1.0, w2.data(), jb, v.data(), len, 1.0, cs, ldc, max_threads);
  }
}

}  // namespace hh

void qr(int64_t m, int64_t n, const double* a, bool pivot, double* q, double* r, int32_t* perm,
        int max_threads) {
  const int64_t kq = std::min(m, n);
  std::vector<double> w(static_cast<size_t>(m * n)), tau(static_cast<size_t>(std::max<int64_t>(kq, 1)));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) w[j * m + i] = a[i * n + j];
  std::vector<int32_t> order(static_cast<size_t>(n));
  if (pivot) {
    hh::factor_pivoted(m, n, w.data(), m, tau.data(), order.data());
  } else {
    hh::factor_blocked(m, n, w.data(), m, tau.data(), max_threads);
    std::iota(order.begin(), order.end(), 0);
  }
  if (perm) std::copy(order.begin(), order.end(), perm);
  if (r)
    for (int64_t i = 0; i < kq; ++i)
      for (int64_t j = 0; j < n; ++j) r[i * n + j] = j < i ? 0.0 : w[j * m + i];
  if (q) {
    std::vector<double> qc(static_cast<size_t>(m * kq), 0.0);
    for (int64_t j = 0; j < kq; ++j) qc[j * m + j] = 1.0;
    hh::apply_q(m, kq, w.data(), m, tau.data(), qc.data(), m, kq, max_threads);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < kq; ++j) q[i * kq + j] = qc[j * m + i];
  }
}

}  // namespace tensorfold
