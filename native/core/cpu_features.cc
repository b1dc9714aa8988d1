#include "cpu_features.h"

#include <atomic>
#include <cpuid.h>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace tensorfold {
namespace {

void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

// XGETBV is only legal when CPUID reports OSXSAVE; callers check that first.
unsigned long long xgetbv0() {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned r[4];
  cpuid(0, 0, r);
  unsigned max_leaf = r[0];
  char vendor[13];
  std::memcpy(vendor, &r[1], 4);
  std::memcpy(vendor + 4, &r[3], 4);
  std::memcpy(vendor + 8, &r[2], 4);
  vendor[12] = 0;
  f.vendor = vendor;

  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    char brand[49] = {0};
    for (unsigned i = 0; i < 3; ++i) {
      cpuid(0x80000002u + i, 0, r);
      std::memcpy(brand + 16 * i, r, 16);
    }
    std::string b = brand;
    size_t s = b.find_first_not_of(' ');
    size_t e = b.find_last_not_of(' ');
    f.brand = s == std::string::npos ? "" : b.substr(s, e - s + 1);
  }

  int family = 0;
  if (max_leaf >= 1) {
    cpuid(1, 0, r);
    family = static_cast<int>((r[0] >> 8) & 0xF);
    if (family == 0xF) family += static_cast<int>((r[0] >> 20) & 0xFF);
    f.sse42 = r[2] & (1u << 20);
    f.fma = r[2] & (1u << 12);
    f.f16c = r[2] & (1u << 29);
    bool osxsave = r[2] & (1u << 27);
    f.avx = r[2] & (1u << 28);
    if (osxsave) {
      unsigned long long xcr0 = xgetbv0();
      f.os_avx = (xcr0 & 0x6) == 0x6;
      f.os_avx512 = f.os_avx && (xcr0 & 0xE0) == 0xE0;
    }
  }
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    f.avx2 = r[1] & (1u << 5);
    f.bmi2 = r[1] & (1u << 8);
    f.avx512f = r[1] & (1u << 16);
    f.avx512dq = r[1] & (1u << 17);
    f.avx512bw = r[1] & (1u << 30);
    f.avx512vl = r[1] & (1u << 31);
    f.avx512_vnni = r[2] & (1u << 11);
    f.avx512_vpopcntdq = r[2] & (1u << 14);
    cpuid(7, 1, r);
    f.avx512_bf16 = r[0] & (1u << 5);
  }
  const char* no_pdep = std::getenv("TENSORFOLD_NO_PDEP");
  f.fast_pdep = f.bmi2 && !(f.vendor == "AuthenticAMD" && family < 0x19) && !(no_pdep && *no_pdep && *no_pdep != '0');
  unsigned hc = std::thread::hardware_concurrency();
  f.logical_cores = hc == 0 ? 1 : static_cast<int>(hc);
  return f;
}

}  // namespace

IsaTier max_supported_tier();

namespace {

std::atomic<int>& active_slot() {
  static std::atomic<int> slot{static_cast<int>(max_supported_tier())};
  return slot;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

IsaTier max_supported_tier() {
  const CpuFeatures& f = cpu_features();
  // BMI2 (pdep, for unpacking sparse metadata) ships with every AVX2 CPU.
  if (f.os_avx512 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq &&
      f.avx2 && f.fma && f.bmi2)
    return IsaTier::kAvx512;
  if (f.os_avx && f.avx && f.avx2 && f.fma && f.bmi2) return IsaTier::kAvx2;
  return IsaTier::kGeneric;
}

const char* tier_name(IsaTier tier) {
  switch (tier) {
    case IsaTier::kAvx512: return "avx512";
    case IsaTier::kAvx2: return "avx2";
    default: return "generic";
  }
}

bool parse_tier(const std::string& name, IsaTier* out) {
  if (name == "generic") { *out = IsaTier::kGeneric; return true; }
  if (name == "avx2") { *out = IsaTier::kAvx2; return true; }
  if (name == "avx512") { *out = IsaTier::kAvx512; return true; }
  return false;
}

IsaTier active_tier() { return static_cast<IsaTier>(active_slot().load()); }

bool set_active_tier(IsaTier tier) {
  if (static_cast<int>(tier) > static_cast<int>(max_supported_tier())) return false;
  active_slot().store(static_cast<int>(tier));
  return true;
}

}  // namespace tensorfold
