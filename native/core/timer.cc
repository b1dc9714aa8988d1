#include "timer.h"

#include <algorithm>
#include <chrono>

namespace tensorfold {

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

MeasureStats summarize(std::vector<double> samples) {
  MeasureStats st;
  st.reps = static_cast<int>(samples.size());
  if (samples.empty()) return st;
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  size_t n = sorted.size();
  st.min_s = sorted.front();
  st.max_s = sorted.back();
  st.median_s = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  size_t trim = n / 10;
  double sum = 0;
  for (size_t i = trim; i < n - trim; ++i) sum += sorted[i];
  st.trimmed_mean_s = sum / static_cast<double>(n - 2 * trim);
  st.samples_s = std::move(samples);
  return st;
}

MeasureStats measure(const std::function<void(int)>& run, const MeasureOptions& opts) {
  int rep = 0;
  for (int i = 0; i < opts.warmup; ++i) run(rep++);
  std::vector<double> samples;
  double start = now_seconds(), timed = 0;
  while (static_cast<int>(samples.size()) < opts.max_reps) {
    double t0 = now_seconds();
    run(rep++);
    double dt = now_seconds() - t0;
    samples.push_back(dt);
    timed += dt;
    bool enough = static_cast<int>(samples.size()) >= opts.min_reps && timed >= opts.min_seconds;
    if (enough || now_seconds() - start >= opts.max_seconds) {
      if (static_cast<int>(samples.size()) >= std::min(opts.min_reps, 1)) break;
    }
  }
  return summarize(std::move(samples));
}

}  // namespace tensorfold
