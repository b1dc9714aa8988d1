// Packing: operands copied into the panel layouts the microkernels read.
// Per call for A and for B, or once for a B that is reused (a weight).
#pragma once
#include <cstdint>
#include "../../core/aligned_buffer.h"
#include "../../core/cpu_features.h"
#include "gemm_microkernel.h"

namespace tensorfold {

// Rows [i0, i0 + mc) x cols [p0, p0 + kc) of A into mr-row panels: panel q
// holds kc steps of mr floats; rows past the matrix are zero.
void pack_a_panels(const float* a, int64_t rs_a, int64_t cs_a, int mr, int64_t i0, int64_t mc,
                   int64_t p0, int64_t kc, float* out);

// Rows [p0, p0 + kc) x cols [j0, j0 + nc) of B into nr-column panels: panel
// q holds kc rows of nr floats; columns past the matrix are zero.
void pack_b_panels(const float* b, int64_t rs_b, int64_t cs_b, int nr, int64_t p0, int64_t kc,
                   int64_t j0, int64_t nc, float* out);

// The same from operands given by offset tables (GemmArgs::a_rows etc.):
// element (i, p) at a[rows[i] + cols[p]].
void pack_a_indexed(const float* a, const int64_t* rows, const int64_t* cols, int mr, int64_t i0,
                    int64_t mc, int64_t p0, int64_t kc, float* out);
void pack_b_indexed(const float* b, const int64_t* rows, const int64_t* cols, int nr, int64_t p0,
                    int64_t kc, int64_t j0, int64_t nc, float* out);

// A whole k x n B packed for `tier`'s kernel: column blocks of nc (the last
// one narrower), each split into row blocks of kc, each a run of kc x nr
// panels. Block (jb, pc) starts at jb * k + pc * padded_width(jb).
struct PackedB {
  IsaTier tier;
  int64_t k = 0, n = 0;
  int nr = 0, kc = 0, nc = 0;
  int64_t size = 0;  // floats, k x n rounded up to whole panels
  AlignedBuffer buf;  // on huge pages when large: a weight is packed into fresh memory
  const float* data() const { return buf.data(); }
};

// Packs B (B[p, j] = b[p * rs_b + j * cs_b]) on up to max_threads threads.
PackedB* gemm_pack_b(IsaTier tier, const float* b, int64_t rs_b, int64_t cs_b, int64_t k,
                     int64_t n, int max_threads);

// Start of block (jb, pc); jb a multiple of nc, pc of kc.
const float* packed_b_block(const PackedB& p, int64_t jb, int64_t pc);

const GemmKernelInfo& gemm_kernel_info(IsaTier tier);

}  // namespace tensorfold
