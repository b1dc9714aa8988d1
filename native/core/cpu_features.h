// CPU feature detection and the ISA tier that kernels are dispatched on.
#pragma once
#include <string>

namespace tensorfold {

// Kernel tiers, lowest to highest. Each tier's kernels live in their own
// translation units compiled with that tier's flags.
enum class IsaTier : int { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

struct CpuFeatures {
  std::string vendor;
  std::string brand;
  bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false, bmi2 = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512_vpopcntdq = false, avx512_bf16 = false, avx512_vnni = false;
  bool os_avx = false;     // OS saves YMM state (XCR0 bits 1,2)
  bool os_avx512 = false;  // OS saves opmask/ZMM state (XCR0 bits 5,6,7)
  // pdep/pext run in hardware: they are microcoded (hundreds of cycles) on
  // AMD before Zen 3. TENSORFOLD_NO_PDEP=1 clears it (tests, or a CPU this misses).
  bool fast_pdep = false;
  int logical_cores = 1;
};

const CpuFeatures& cpu_features();

// The best tier this CPU and OS can run.
IsaTier max_supported_tier();

const char* tier_name(IsaTier tier);
// Parses "generic" | "avx2" | "avx512"; returns false on anything else.
bool parse_tier(const std::string& name, IsaTier* out);

// Tier used by dispatch. Set once at load (from TENSORFOLD_ISA or the max);
// set_active_tier refuses a tier above max_supported_tier().
IsaTier active_tier();
bool set_active_tier(IsaTier tier);

}  // namespace tensorfold
