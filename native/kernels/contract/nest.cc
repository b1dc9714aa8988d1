#include "nest.h"

#include "../../core/thread_pool.h"

namespace tensorfold {
namespace nest {

// Below this many element operations per thread, waking workers costs more
// than it saves.
constexpr double kMinWorkPerThread = 32768;

Table table_of(const StridedNest& n) {
  Table t;
  const int nin = static_cast<int>(n.in.size());
  t.np = nin + 1;
  for (size_t d = 0; d < n.shape.size(); ++d) {
    if (n.shape[d] == 1) continue;
    t.size.push_back(n.shape[d]);
    for (int k = 0; k < nin; ++k) t.strides.push_back(n.in_strides[k][d]);
    t.strides.push_back(n.out_strides[d]);
  }
  return t;
}

Table merged(const Table& t) {
  Table r;
  r.np = t.np;
  for (int d = 0; d < t.rank(); ++d) {
    const int last = r.rank() - 1;
    bool chains = last >= 0;
    for (int p = 0; chains && p < t.np; ++p) chains = r.stride(last, p) == t.stride(d, p) * t.size[d];
    if (chains) {
      // The outer dim's strides become the inner one's; sizes multiply.
      r.size[last] *= t.size[d];
      for (int p = 0; p < t.np; ++p) r.strides[static_cast<size_t>(last) * t.np + p] = t.stride(d, p);
      continue;
    }
    r.size.push_back(t.size[d]);
    for (int p = 0; p < t.np; ++p) r.strides.push_back(t.stride(d, p));
  }
  return r;
}

int threads_for(double work, int max_threads) {
  int nt = max_threads > 0 ? std::min(max_threads, pool_threads()) : pool_threads();
  double by_work = work / kMinWorkPerThread;
  if (by_work < nt) nt = static_cast<int>(std::max(1.0, by_work));
  return std::max(1, nt);
}

}  // namespace nest
}  // namespace tensorfold
