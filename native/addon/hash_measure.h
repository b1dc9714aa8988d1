// Hash-attention kernels the timing harness can run (measure_binding.cc).
#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <string>

namespace tensorfold {
namespace addon {

struct HashBench {
  std::function<void(int rep)> run;
  double ops = 0;  // operations of one run (bit operations or flops, see the kernel)
};

// hamming-scores { n, bits, heads?, rows?, threads?, portablePopcount? }:
//   all n x n Hamming distances per head, `rows` queries at a time into a
//   reused tile; ops = 2 * bits per pair (an XOR and a popcount add per bit).
// qk-scores { n, dim, heads?, rows?, threads? }: the fp32 Q K^T it replaces,
//   the same way; ops = 2 * dim flops per pair.
// hash-linear { n, bits, dim, heads?, causal?, threads? }: linear hash
//   attention from codes; ops = 2 * n * bits * dim masked additions per head.
// add-peak { threads?, iters? }: the tier's masked-add ceiling (registers
//   only); ops = float additions.
bool is_hash_bench(const std::string& kernel);
HashBench hash_bench(const std::string& kernel, const Napi::Object& spec, const std::string& where);

}  // namespace addon
}  // namespace tensorfold
