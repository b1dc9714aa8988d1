// Cholesky factorization and triangular solves (row-major, float64). Used to
// whiten calibration activations: with G = X^T X = L L^T, the output error
// ||X (W - W')^T|| equals ||(W - W') L||.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../../core/thread_pool.h"
#include "linalg.h"
#include "linalg_kernels.h"

namespace tensorfold {

int64_t cholesky(int64_t n, double* a) {
  const LinalgKernels& k = linalg_kernels();
  for (int64_t j = 0; j < n; ++j) {
    double* rj = a + j * n;
    const double s = rj[j] - k.dot(rj, rj, j);
    if (!(s > 0.0)) return j;
    const double d = std::sqrt(s);
    rj[j] = d;
    // Rows below are independent given row j: split them between threads
    // when there is enough work.
    const int64_t rest = n - j - 1;
    const int nt = static_cast<double>(rest) * j > 4e5 ? pool_threads() : 1;
    parallel_for(rest, nt, [&](int64_t b, int64_t e) {
      for (int64_t i = j + 1 + b; i < j + 1 + e; ++i) {
        double* ri = a + i * n;
        ri[j] = (ri[j] - k.dot(ri, rj, j)) / d;
      }
    });
  }
  for (int64_t i = 0; i < n; ++i) std::fill(a + i * n + i + 1, a + (i + 1) * n, 0.0);
  return -1;
}

namespace {

// op(T) X = B, B n x nrhs row-major. op(T) is lower triangular when
// `lower != trans`; then rows are solved first to last.
bool solve_left(bool lower, bool trans, int64_t n, int64_t nrhs, const double* t, double* b) {
  const LinalgKernels& k = linalg_kernels();
  for (int64_t i = 0; i < n; ++i)
    if (t[i * n + i] == 0.0) return false;
  const bool forward = lower != trans;
  // Element (i, p) of op(T).
  auto op = [&](int64_t i, int64_t p) { return trans ? t[p * n + i] : t[i * n + p]; };
  const int nt = static_cast<double>(n) * n * nrhs > 4e6 && nrhs >= 64 ? pool_threads() : 1;
  parallel_for((nrhs + 15) / 16, nt, [&](int64_t c0, int64_t c1) {
    const int64_t j0 = c0 * 16, j1 = std::min(nrhs, c1 * 16), w = j1 - j0;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t i = forward ? s : n - 1 - s;
      double* bi = b + i * nrhs + j0;
      if (forward)
        for (int64_t p = 0; p < i; ++p) k.axpy(-op(i, p), b + p * nrhs + j0, bi, w);
      else
        for (int64_t p = i + 1; p < n; ++p) k.axpy(-op(i, p), b + p * nrhs + j0, bi, w);
      const double d = 1.0 / op(i, i);
      for (int64_t j = 0; j < w; ++j) bi[j] *= d;
    }
  });
  return true;
}

}  // namespace

bool trsm(bool left, bool lower, bool trans, int64_t n, int64_t nrhs, const double* t, double* b) {
  if (n <= 0 || nrhs <= 0) return true;
  if (left) return solve_left(lower, trans, n, nrhs, t, b);
  // X op(T) = B  <=>  op(T)^T X^T = B^T.
  std::vector<double> bt(static_cast<size_t>(n * nrhs));
  for (int64_t r = 0; r < nrhs; ++r)
    for (int64_t i = 0; i < n; ++i) bt[i * nrhs + r] = b[r * n + i];
  if (!solve_left(lower, !trans, n, nrhs, t, bt.data())) return false;
  for (int64_t r = 0; r < nrhs; ++r)
    for (int64_t i = 0; i < n; ++i) b[r * n + i] = bt[i * nrhs + r];
  return true;
}

}  // namespace tensorfold
