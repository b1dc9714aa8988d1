// Sums of products over chosen axes: reduce-sums, traces (a diagonal is a
// strided view), batched dot products, matrix-vector steps and einsum steps
// over three or more operands. Sums run in float64 and are rounded once, so
// a long reduction is as accurate as the inputs allow.
//
// Two loop orders, picked by strides. When the summed dims are the
// contiguous ones (a row sum, a dot product) each output element is one
// long inner sum. When an output dim is (a column sum, a vector-matrix
// product) a chunk of outputs is kept in float64 accumulators and every
// summed position adds a contiguous row into them. Threads split the
// outputs; when there are fewer outputs than threads they split the sum and
// add their partial sums at the end.
#include <stdexcept>

#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "dot.h"
#include "nest.h"
#include "strided.h"

namespace tensorfold {
namespace {

constexpr int64_t kChunk = 256;

// How well a loop vectorises along a stride: a broadcast costs nothing, a
// unit stride streams, anything else is a gather.
int stride_cost(int64_t s) { return s == 0 ? 0 : s == 1 ? 1 : 4; }

UnitSumKernel unit_sum_for(IsaTier tier) {
  switch (tier) {
    case IsaTier::kAvx512: return unit_sum_avx512();
    case IsaTier::kAvx2: return unit_sum_avx2();
    default: return unit_sum_generic();
  }
}

// Σ_{i<n} Π_k p[k][i * s[k]]; unit-stride sums and dot products on `unit`,
// the active tier's kernel (dot.h).
double run_sum(UnitSumKernel unit, int nin, const float* const* p, const int64_t* s, int64_t n) {
  if (nin == 1 && s[0] == 1) return unit(p[0], nullptr, n);
  if (nin == 2 && s[0] == 1 && s[1] == 1) return unit(p[0], p[1], n);
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) {
    double prod = p[0][i * s[0]];
    for (int k = 1; k < nin; ++k) prod *= p[k][i * s[k]];
    acc += prod;
  }
  return acc;
}

// acc[i] += Π_k p[k][i * s[k]] for i < n.
void row_accumulate(int nin, const float* const* p, const int64_t* s, int64_t n, double* acc) {
  if (nin == 1) {
    const float* x = p[0];
    if (s[0] == 1)
      for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
    else
      for (int64_t i = 0; i < n; ++i) acc[i] += x[i * s[0]];
    return;
  }
  if (nin == 2) {
    const float *x = p[0], *y = p[1];
    const int64_t sx = s[0], sy = s[1];
    if (sx == 1 && sy == 1) {
      for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<double>(x[i]) * y[i];
    } else if (sx == 1 && sy == 0) {
      const double v = *y;
      for (int64_t i = 0; i < n; ++i) acc[i] += x[i] * v;
    } else if (sx == 0 && sy == 1) {
      const double v = *x;
      for (int64_t i = 0; i < n; ++i) acc[i] += v * y[i];
    } else {
      for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<double>(x[i * sx]) * y[i * sy];
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    double prod = p[0][i * s[0]];
    for (int k = 1; k < nin; ++k) prod *= p[k][i * s[k]];
    acc[i] += prod;
  }
}

struct Split {
  // Output dims (`out`) and summed dims (`sum`); pointer nin is the output.
  nest::Table out, sum;
  int nin;
};

// Each output element is one inner sum along the last summed dim.
void sum_inner(const StridedNest& n, const Split& s, int max_threads) {
  const int nin = s.nin;
  const int last = s.sum.rank() - 1;
  const nest::Table outer_sum = nest::select(s.sum, [&](int d) { return d != last; });
  const int64_t run = s.sum.size[last];
  std::vector<int64_t> step(nin);
  for (int k = 0; k < nin; ++k) step[k] = s.sum.stride(last, k);
  const int64_t total = outer_sum.count() * run, outputs = s.out.count();
  const int nt = nest::threads_for(static_cast<double>(outputs) * total * nin, max_threads);

  const UnitSumKernel unit = unit_sum_for(active_tier());

  // Partial sum over summed positions [r0, r1) for the output `at` points
  // to, walking them with the caller's `od`: building an odometer per
  // output (two small vectors) took a third of a 128-element batched dot.
  auto partial = [&](const nest::Odometer& at, int64_t r0, int64_t r1, std::vector<const float*>& ptr, nest::Odometer& od) {
    if (outer_sum.rank() == 0) {  // one run: no odometer to move
      for (int k = 0; k < nin; ++k) ptr[k] = n.in[k] + at.offset(k) + r0 * step[k];
      return run_sum(unit, nin, ptr.data(), step.data(), r1 - r0);
    }
    od.seek(r0 / run);
    int64_t i = r0 % run;
    double acc = 0;
    for (int64_t r = r0; r < r1; i = 0, od.next()) {
      const int64_t len = std::min(run - i, r1 - r);
      for (int k = 0; k < nin; ++k) ptr[k] = n.in[k] + at.offset(k) + od.offset(k) + i * step[k];
      acc += run_sum(unit, nin, ptr.data(), step.data(), len);
      r += len;
    }
    return acc;
  };

  if (outputs >= nt) {
    parallel_for(outputs, nt, [&](int64_t b, int64_t e) {
      nest::Odometer at(s.out), od(outer_sum);
      at.seek(b);
      std::vector<const float*> ptr(nin);
      for (int64_t o = b; o < e; ++o, at.next()) n.out[at.offset(nin)] = static_cast<float>(partial(at, 0, total, ptr, od));
    });
    return;
  }
  std::vector<double> sums(static_cast<size_t>(nt) * outputs, 0.0);
  parallel_run(nt, [&](int t, int nt_run) {
    int64_t r0, r1;
    split_range(total, 1, t, nt_run, &r0, &r1);
    if (r0 >= r1) return;
    nest::Odometer at(s.out), od(outer_sum);
    at.seek(0);
    std::vector<const float*> ptr(nin);
    for (int64_t o = 0; o < outputs; ++o, at.next()) sums[t * outputs + o] = partial(at, r0, r1, ptr, od);
  });
  nest::Odometer at(s.out);
  at.seek(0);
  for (int64_t o = 0; o < outputs; ++o, at.next()) {
    double acc = 0;
    for (int t = 0; t < nt; ++t) acc += sums[t * outputs + o];
    n.out[at.offset(nin)] = static_cast<float>(acc);
  }
}

// Chunks of outputs along the last output dim accumulate contiguous rows.
void outputs_inner(const StridedNest& n, const Split& s, int max_threads) {
  const int nin = s.nin;
  const int last = s.out.rank() - 1;
  const nest::Table outer = nest::select(s.out, [&](int d) { return d != last; });
  const int64_t width = s.out.size[last];
  std::vector<int64_t> step(nin + 1);
  for (int k = 0; k <= nin; ++k) step[k] = s.out.stride(last, k);
  const int64_t chunks = (width + kChunk - 1) / kChunk, tasks = outer.count() * chunks;
  const int64_t total = s.sum.count();
  const int nt = nest::threads_for(static_cast<double>(outer.count()) * width * total * nin, max_threads);

  // Adds summed positions [r0, r1) of task t's outputs into acc; returns
  // the task's first output offset and length.
  auto partial = [&](int64_t t, int64_t r0, int64_t r1, double* acc, nest::Odometer& at,
                     std::vector<const float*>& ptr, int64_t* out_off) {
    const int64_t i0 = (t % chunks) * kChunk, len = std::min(kChunk, width - i0);
    at.seek(t / chunks);
    nest::Odometer od(s.sum);
    od.seek(r0);
    for (int64_t r = r0; r < r1; ++r, od.next()) {
      for (int k = 0; k < nin; ++k) ptr[k] = n.in[k] + at.offset(k) + i0 * step[k] + od.offset(k);
      row_accumulate(nin, ptr.data(), step.data(), len, acc);
    }
    *out_off = at.offset(nin) + i0 * step[nin];
    return len;
  };
  auto store = [&](int64_t off, const double* acc, int64_t len) {
    for (int64_t i = 0; i < len; ++i) n.out[off + i * step[nin]] = static_cast<float>(acc[i]);
  };

  if (tasks >= nt) {
    parallel_for(tasks, nt, [&](int64_t b, int64_t e) {
      nest::Odometer at(outer);
      std::vector<const float*> ptr(nin);
      std::vector<double> acc(kChunk);
      for (int64_t t = b; t < e; ++t) {
        std::fill(acc.begin(), acc.end(), 0.0);
        int64_t off;
        const int64_t len = partial(t, 0, total, acc.data(), at, ptr, &off);
        store(off, acc.data(), len);
      }
    });
    return;
  }
  std::vector<double> sums(static_cast<size_t>(nt) * tasks * kChunk, 0.0);
  parallel_run(nt, [&](int t, int nt_run) {
    int64_t r0, r1;
    split_range(total, 1, t, nt_run, &r0, &r1);
    if (r0 >= r1) return;
    nest::Odometer at(outer);
    std::vector<const float*> ptr(nin);
    int64_t off;
    for (int64_t task = 0; task < tasks; ++task)
      partial(task, r0, r1, &sums[(t * tasks + task) * kChunk], at, ptr, &off);
  });
  nest::Odometer at(outer);
  std::vector<const float*> ptr(nin);
  std::vector<double> acc(kChunk);
  for (int64_t task = 0; task < tasks; ++task) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int t = 0; t < nt; ++t)
      for (int64_t i = 0; i < kChunk; ++i) acc[i] += sums[(t * tasks + task) * kChunk + i];
    int64_t off;
    const int64_t len = partial(task, 0, 0, acc.data(), at, ptr, &off);  // locates the outputs only
    store(off, acc.data(), len);
  }
}

}  // namespace

void strided_sum_product(const StridedNest& n, int max_threads) {
  const int nin = static_cast<int>(n.in.size());
  if (nin < 1) throw std::invalid_argument("strided_sum_product needs at least one operand");
  const nest::Table t = nest::table_of(n);
  Split s;
  s.nin = nin;
  s.out = nest::select(t, [&](int d) { return t.stride(d, nin) != 0; });
  s.sum = nest::select(t, [&](int d) { return t.stride(d, nin) == 0; });
  if (s.out.empty()) return;
  s.out = nest::merged(nest::sorted_desc(s.out, [&](int d) { return s.out.stride(d, nin); }));
  if (s.sum.empty()) {
    // An empty sum: every output is 0.
    nest::Odometer at(s.out);
    at.seek(0);
    for (int64_t o = 0, c = s.out.count(); o < c; ++o, at.next()) n.out[at.offset(nin)] = 0.0f;
    return;
  }
  auto total_stride = [&](int d) {
    int64_t sum = 0;
    for (int k = 0; k < nin; ++k) sum += s.sum.stride(d, k);
    return sum;
  };
  s.sum = nest::merged(nest::sorted_desc(s.sum, total_stride));

  if (s.out.rank() == 0 && s.sum.rank() == 0) {
    double prod = n.in[0][0];
    for (int k = 1; k < nin; ++k) prod *= n.in[k][0];
    n.out[0] = static_cast<float>(prod);
    return;
  }
  auto cost = [&](const nest::Table& tab, int d) {
    int c = 0;
    for (int k = 0; k < nin; ++k) c += stride_cost(tab.stride(d, k));
    return c;
  };
  bool outputs_first;
  if (s.out.rank() == 0) {
    outputs_first = false;
  } else if (s.sum.rank() == 0) {
    outputs_first = true;
  } else {
    const int co = cost(s.out, s.out.rank() - 1), cs = cost(s.sum, s.sum.rank() - 1);
    outputs_first = co < cs || (co == cs && s.out.size.back() >= 16);
  }
  if (outputs_first)
    outputs_inner(n, s, max_threads);
  else
    sum_inner(n, s, max_threads);
}

}  // namespace tensorfold
