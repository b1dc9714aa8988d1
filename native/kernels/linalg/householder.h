// Householder reflectors on column-major matrices, shared by qr.cc and
// svd.cc. A reflector H = I - tau v v^T has v[0] = 1 implicitly; the rest of
// v is stored below the diagonal of the factored matrix, LAPACK style.
#pragma once
#include <cstdint>

namespace tensorfold {
namespace hh {

// Blocked QR of a column-major m x n matrix (leading dim lda) in place:
// R on and above the diagonal, reflectors below, tau[min(m, n)].
void factor_blocked(int64_t m, int64_t n, double* a, int64_t lda, double* tau, int max_threads);

// Column-pivoted QR (unblocked): perm[j] is the original index of column j.
void factor_pivoted(int64_t m, int64_t n, double* a, int64_t lda, double* tau, int32_t* perm);

// C <- Q C for the m x m orthogonal Q = H_0 H_1 ... H_{k-1} held in (a, tau);
// C is column-major m x nc with leading dim ldc.
void apply_q(int64_t m, int64_t k, const double* a, int64_t lda, const double* tau, double* c, int64_t ldc,
             int64_t nc, int max_threads);

}  // namespace hh
}  // namespace tensorfold
