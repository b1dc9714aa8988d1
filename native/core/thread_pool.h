// The process-wide compute pool. Every kernel threads through it, so the
// whole library shares one set of workers and one thread count.
#pragma once
#include <cstdint>
#include <functional>

namespace tensorfold {

// Number of threads parallel regions use (the caller included). Default: the
// number of logical cores. n must be >= 1; larger values are capped at 256.
int pool_threads();
void set_pool_threads(int n);

// Runs body(thread, nthreads) once on each of `nthreads` threads (capped at
// pool_threads()) and returns when all have finished. The calling thread is
// thread 0. Regions from different caller threads run one after another; a
// region started from inside a region runs inline on one thread.
void parallel_run(int nthreads, const std::function<void(int, int)>& body);

// Static split of [0, n) into contiguous chunks, one per thread.
void parallel_for(int64_t n, int nthreads,
                  const std::function<void(int64_t begin, int64_t end)>& body);

// Splits [0, n) so that thread t of nt gets [*begin, *end), in multiples of
// `grain` except possibly the last chunk.
void split_range(int64_t n, int64_t grain, int t, int nt, int64_t* begin, int64_t* end);

}  // namespace tensorfold
