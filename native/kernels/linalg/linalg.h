// Dense float64 linear algebra for the decompositions behind factorized
// layers: a blocked GEMM, Householder QR (blocked, or column-pivoted), the SVD
// by one-sided Jacobi on the QR factor, Cholesky and triangular solves.
//
// The interface is row-major, as JavaScript hands matrices over; the
// factorizations copy into column-major work arrays, where the columns that
// Householder reflectors and Jacobi rotations touch are contiguous. Accuracy
// over speed where they conflict: everything accumulates in float64.
#pragma once
#include <cstdint>

namespace tensorfold {

// C = alpha * op(A) * op(B) + beta * C, row-major. op(A) is m x k, op(B) is
// k x n; lda/ldb/ldc are row strides. beta == 0 never reads C.
void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
           int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc,
           int max_threads = 0);

// A (m x n) = Q R P^T with kq = min(m, n): q is m x kq with orthonormal
// columns, r is kq x n upper trapezoidal. With `pivot`, columns are chosen by
// largest remaining norm (Businger-Golub), so |r[i][i]| does not increase,
// and perm[j] is the column of A that became column j; without it perm (if
// given) is the identity. q may be null when only R is wanted.
void qr(int64_t m, int64_t n, const double* a, bool pivot, double* q, double* r, int32_t* perm,
        int max_threads = 0);

struct SvdInfo {
  int sweeps = 0;         // Jacobi sweeps run
  bool converged = true;  // false: stopped at the sweep limit
};

// A (m x n) = U diag(s) V^T with k = min(m, n): u is m x k, s has k values in
// decreasing order (>= 0), vt is k x n; U and V have orthonormal columns even
// where A is rank-deficient (null directions are completed). Either of u, vt
// may be null when not wanted (the work is the same).
SvdInfo svd(int64_t m, int64_t n, const double* a, double* u, double* s, double* vt,
            int max_threads = 0);

// Lower Cholesky factor of a symmetric positive definite n x n matrix, in
// place (the strict upper triangle is zeroed). Returns -1 on success, else
// the first column whose pivot was not positive (a is then unspecified).
int64_t cholesky(int64_t n, double* a);

// Triangular solves with T (n x n, row-major; only its `lower` or upper
// triangle is read): left: op(T) X = B with B n x nrhs; right: X op(T) = B
// with B nrhs x n. op transposes when `trans`. B is overwritten with X.
// Returns false (B unspecified) when T has a zero on its diagonal.
bool trsm(bool left, bool lower, bool trans, int64_t n, int64_t nrhs, const double* t, double* b);

// Plain, unblocked versions: the references the tests compare against.
void dgemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                     const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
                     int64_t ldc);

}  // namespace tensorfold
