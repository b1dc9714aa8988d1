// The hot loop of the many-token N:M kernel for its full tile (two row
// blocks, eight tokens), written out so that its 16 sums stay in registers.
// Compiled from C++, GCC kept them in registers but also stored all 16 to
// the stack at every span, with register moves around the stores, whatever
// the tile's shape or flags. That costs most where a span holds two slots
// (1:8): written out, 1:8 runs 1.05-1.3x faster; with 4 or 8 slots per span
// it measured within a few per cent either way, so those keep the C++ loop
// (docs/PERF.md, N:M item 17). span_step is the same loop in C++.
//
// zmm0-7: sums of row block 0 for tokens 0-7, zmm8-15 the same for row
// block 1, zmm16-23 the eight tokens' spans, zmm24/25 the slot's index
// vectors, zmm26/27 its values, zmm28-31 permuted spans.
#pragma once
#include <immintrin.h>

#include <cstdint>

#if defined(__GNUC__) && defined(__x86_64__)
#define TF_NM_SPAN_ASM 1
#else
#define TF_NM_SPAN_ASM 0
#endif

namespace tensorfold {

#if TF_NM_SPAN_ASM

// acc: 16 vectors, [row block][token]. For `spans` spans from x (token t's
// at x + t * k_bytes, advancing span_bytes per span, loaded under `mask`),
// adds `slots` kept slots per span of the two row blocks, whose index and
// value vectors run contiguously from idx0 / idx1 and vals0 / vals1 (64-byte
// aligned indices). spans >= 1, slots >= 1.
inline void span_run_2x8(__m512* acc, const float* x, int64_t k_bytes, int64_t span_bytes, __mmask16 mask,
                         const int32_t* idx0, const int32_t* idx1, const float* vals0, const float* vals1,
                         int64_t spans, int64_t slots) {
  const float* x2 = reinterpret_cast<const float*>(reinterpret_cast<const char*>(x) + 2 * k_bytes);
  const float* x3 = reinterpret_cast<const float*>(reinterpret_cast<const char*>(x) + 3 * k_bytes);
  int64_t o, c;
  __asm__ volatile(
      "vmovups 0(%[acc]), %%zmm0\n\t"
      "vmovups 64(%[acc]), %%zmm1\n\t"
      "vmovups 128(%[acc]), %%zmm2\n\t"
      "vmovups 192(%[acc]), %%zmm3\n\t"
      "vmovups 256(%[acc]), %%zmm4\n\t"
      "vmovups 320(%[acc]), %%zmm5\n\t"
      "vmovups 384(%[acc]), %%zmm6\n\t"
      "vmovups 448(%[acc]), %%zmm7\n\t"
      "vmovups 512(%[acc]), %%zmm8\n\t"
      "vmovups 576(%[acc]), %%zmm9\n\t"
      "vmovups 640(%[acc]), %%zmm10\n\t"
      "vmovups 704(%[acc]), %%zmm11\n\t"
      "vmovups 768(%[acc]), %%zmm12\n\t"
      "vmovups 832(%[acc]), %%zmm13\n\t"
      "vmovups 896(%[acc]), %%zmm14\n\t"
      "vmovups 960(%[acc]), %%zmm15\n\t"
      "xor %[o], %[o]\n\t"
      "1:\n\t"
      "vmovups (%[x]), %%zmm16%{%[m]%}%{z%}\n\t"
      "vmovups (%[x],%[kb],1), %%zmm17%{%[m]%}%{z%}\n\t"
      "vmovups (%[x],%[kb],2), %%zmm18%{%[m]%}%{z%}\n\t"
      "vmovups (%[x3]), %%zmm19%{%[m]%}%{z%}\n\t"
      "vmovups (%[x],%[kb],4), %%zmm20%{%[m]%}%{z%}\n\t"
      "vmovups (%[x3],%[kb],2), %%zmm21%{%[m]%}%{z%}\n\t"
      "vmovups (%[x2],%[kb],4), %%zmm22%{%[m]%}%{z%}\n\t"
      "vmovups (%[x3],%[kb],4), %%zmm23%{%[m]%}%{z%}\n\t"
      "mov %[slots], %[c]\n\t"
      "2:\n\t"
      "vmovdqa32 (%[i0],%[o]), %%zmm24\n\t"
      "vmovdqa32 (%[i1],%[o]), %%zmm25\n\t"
      "vmovups (%[v0],%[o]), %%zmm26\n\t"
      "vmovups (%[v1],%[o]), %%zmm27\n\t"
      "vpermps %%zmm16, %%zmm24, %%zmm28\n\t"
      "vfmadd231ps %%zmm28, %%zmm26, %%zmm0\n\t"
      "vpermps %%zmm16, %%zmm25, %%zmm29\n\t"
      "vfmadd231ps %%zmm29, %%zmm27, %%zmm8\n\t"
      "vpermps %%zmm17, %%zmm24, %%zmm30\n\t"
      "vfmadd231ps %%zmm30, %%zmm26, %%zmm1\n\t"
      "vpermps %%zmm17, %%zmm25, %%zmm31\n\t"
      "vfmadd231ps %%zmm31, %%zmm27, %%zmm9\n\t"
      "vpermps %%zmm18, %%zmm24, %%zmm28\n\t"
      "vfmadd231ps %%zmm28, %%zmm26, %%zmm2\n\t"
      "vpermps %%zmm18, %%zmm25, %%zmm29\n\t"
      "vfmadd231ps %%zmm29, %%zmm27, %%zmm10\n\t"
      "vpermps %%zmm19, %%zmm24, %%zmm30\n\t"
      "vfmadd231ps %%zmm30, %%zmm26, %%zmm3\n\t"
      "vpermps %%zmm19, %%zmm25, %%zmm31\n\t"
      "vfmadd231ps %%zmm31, %%zmm27, %%zmm11\n\t"
      "vpermps %%zmm20, %%zmm24, %%zmm28\n\t"
      "vfmadd231ps %%zmm28, %%zmm26, %%zmm4\n\t"
      "vpermps %%zmm20, %%zmm25, %%zmm29\n\t"
      "vfmadd231ps %%zmm29, %%zmm27, %%zmm12\n\t"
      "vpermps %%zmm21, %%zmm24, %%zmm30\n\t"
      "vfmadd231ps %%zmm30, %%zmm26, %%zmm5\n\t"
      "vpermps %%zmm21, %%zmm25, %%zmm31\n\t"
      "vfmadd231ps %%zmm31, %%zmm27, %%zmm13\n\t"
      "vpermps %%zmm22, %%zmm24, %%zmm28\n\t"
      "vfmadd231ps %%zmm28, %%zmm26, %%zmm6\n\t"
      "vpermps %%zmm22, %%zmm25, %%zmm29\n\t"
      "vfmadd231ps %%zmm29, %%zmm27, %%zmm14\n\t"
      "vpermps %%zmm23, %%zmm24, %%zmm30\n\t"
      "vfmadd231ps %%zmm30, %%zmm26, %%zmm7\n\t"
      "vpermps %%zmm23, %%zmm25, %%zmm31\n\t"
      "vfmadd231ps %%zmm31, %%zmm27, %%zmm15\n\t"
      "add $64, %[o]\n\t"
      "dec %[c]\n\t"
      "jnz 2b\n\t"
      "add %[sb], %[x]\n\t"
      "add %[sb], %[x2]\n\t"
      "add %[sb], %[x3]\n\t"
      "dec %[spans]\n\t"
      "jnz 1b\n\t"
      "vmovups %%zmm0, 0(%[acc])\n\t"
      "vmovups %%zmm1, 64(%[acc])\n\t"
      "vmovups %%zmm2, 128(%[acc])\n\t"
      "vmovups %%zmm3, 192(%[acc])\n\t"
      "vmovups %%zmm4, 256(%[acc])\n\t"
      "vmovups %%zmm5, 320(%[acc])\n\t"
      "vmovups %%zmm6, 384(%[acc])\n\t"
      "vmovups %%zmm7, 448(%[acc])\n\t"
      "vmovups %%zmm8, 512(%[acc])\n\t"
      "vmovups %%zmm9, 576(%[acc])\n\t"
      "vmovups %%zmm10, 640(%[acc])\n\t"
      "vmovups %%zmm11, 704(%[acc])\n\t"
      "vmovups %%zmm12, 768(%[acc])\n\t"
      "vmovups %%zmm13, 832(%[acc])\n\t"
      "vmovups %%zmm14, 896(%[acc])\n\t"
      "vmovups %%zmm15, 960(%[acc])\n\t"
      : [x] "+r"(x), [x2] "+r"(x2), [x3] "+r"(x3), [spans] "+r"(spans), [o] "=&r"(o), [c] "=&r"(c)
      : [acc] "r"(acc), [kb] "r"(k_bytes), [sb] "r"(span_bytes), [m] "Yk"(mask), [i0] "r"(idx0), [i1] "r"(idx1),
        [v0] "r"(vals0), [v1] "r"(vals1), [slots] "m"(slots)
      : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
        "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
        "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}
#endif

}  // namespace tensorfold
