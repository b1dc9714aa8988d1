// The timing harness every kernel is measured under: warm-up, repetitions on
// a monotonic clock until both a count and a minimum time are reached, and
// robust statistics (median and a trimmed mean; min and max reported).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace tensorfold {

struct MeasureOptions {
  int warmup = 2;             // untimed runs first
  int min_reps = 5;           // at least this many timed runs
  int max_reps = 1000;        // and at most this many
  double min_seconds = 0.05;  // keep repeating until this much time is timed
  double max_seconds = 5.0;   // but stop after this much
};

struct MeasureStats {
  double median_s = 0, min_s = 0, max_s = 0, trimmed_mean_s = 0;
  int reps = 0;
  std::vector<double> samples_s;
};

double now_seconds();

// Calls run(rep) for rep = 0, 1, ...; rep lets callers rotate input sets.
MeasureStats measure(const std::function<void(int rep)>& run, const MeasureOptions& opts);

// Median, min, max and a 10%-each-side trimmed mean of the samples.
MeasureStats summarize(std::vector<double> samples);

}  // namespace tensorfold
