// Standalone check of the strided contraction kernels against their
// reference on random loop nests (permuted, broadcast and diagonal strides,
// empty and size-1 dims, summed dims), without Node: used by the sanitizer
// and leak-check builds.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

#include "../core/thread_pool.h"
#include "../kernels/contract/strided.h"

using namespace tensorfold;

namespace {

enum class Kind { kPermute, kMultiply, kSumProduct };

struct Case {
  std::vector<int64_t> shape;
  std::vector<std::vector<float>> data;
  std::vector<std::vector<int64_t>> strides;
  std::vector<int64_t> out_strides;
  int64_t out_len = 0;
};

// Strides of a row-major buffer laid out in a random order of the dims;
// dims in `skip` get stride 0. Returns the buffer's length.
int64_t random_layout(const std::vector<int64_t>& shape, const std::vector<bool>& skip,
                      std::vector<int64_t>* strides, std::mt19937& rng) {
  std::vector<int> order(shape.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  strides->assign(shape.size(), 0);
  int64_t s = 1;
  for (int d : order) {
    if (skip[d]) continue;
    (*strides)[d] = s;
    s *= std::max<int64_t>(shape[d], 1);
  }
  return s;
}

Case make_case(Kind kind, std::mt19937& rng, bool large) {
  Case c;
  std::uniform_int_distribution<int> rank_d(0, large ? 3 : 5);
  const int rank = rank_d(rng);
  for (int d = 0; d < rank; ++d) {
    int64_t size = large ? std::uniform_int_distribution<int>(1, 90)(rng) : std::uniform_int_distribution<int>(0, 6)(rng);
    if (!large && size == 0 && rng() % 3) size = 2;  // empty dims, but not too often
    c.shape.push_back(size);
  }
  const int nin = kind == Kind::kPermute ? 1 : kind == Kind::kMultiply ? 2 : 1 + static_cast<int>(rng() % 3);
  std::normal_distribution<float> value;
  for (int k = 0; k < nin; ++k) {
    std::vector<bool> skip(rank);
    for (int d = 0; d < rank; ++d) skip[d] = kind != Kind::kPermute && rng() % 4 == 0;  // broadcast
    std::vector<int64_t> st;
    int64_t len = random_layout(c.shape, skip, &st, rng);
    // A diagonal: two equal dims read with the sum of their strides.
    if (rank >= 2 && rng() % 5 == 0) {
      int a = rng() % rank, b = rng() % rank;
      if (a != b && c.shape[a] == c.shape[b]) st[a] = st[b] = st[a] + st[b];
    }
    int64_t extent = 0;
    for (int d = 0; d < rank; ++d) extent += std::max<int64_t>(c.shape[d] - 1, 0) * st[d];
    const int64_t pad = rng() % 3;  // a view that starts inside its buffer
    std::vector<float> buf(static_cast<size_t>(std::max(len, extent + 1) + pad));
    for (auto& x : buf) x = value(rng);
    c.data.push_back(std::move(buf));
    c.strides.push_back(st);
  }
  std::vector<bool> summed(rank);
  for (int d = 0; d < rank; ++d) summed[d] = kind == Kind::kSumProduct && rng() % 2 == 0;
  c.out_len = random_layout(c.shape, summed, &c.out_strides, rng);
  return c;
}

int run(Kind kind, Case& c, int threads) {
  StridedNest n, ref;
  n.shape = c.shape;
  for (size_t k = 0; k < c.data.size(); ++k) {
    // Inputs start one element into their buffers when there is room.
    const float* base = c.data[k].data() + (c.data[k].size() > 1 && (k % 2) ? 1 : 0);
    int64_t extent = 0;
    for (size_t d = 0; d < c.shape.size(); ++d) extent += std::max<int64_t>(c.shape[d] - 1, 0) * c.strides[k][d];
    if (base + extent >= c.data[k].data() + c.data[k].size()) base = c.data[k].data();
    n.in.push_back(base);
    n.in_strides.push_back(c.strides[k]);
  }
  n.out_strides = c.out_strides;
  ref = n;
  std::vector<float> got(static_cast<size_t>(c.out_len), NAN), want(static_cast<size_t>(c.out_len), NAN);
  n.out = got.data();
  ref.out = want.data();
  set_pool_threads(threads);
  if (kind == Kind::kPermute) strided_permute(n, threads);
  else if (kind == Kind::kMultiply) strided_multiply(n, threads);
  else strided_sum_product(n, threads);
  strided_sum_product_reference(ref);
  // Magnitude of each sum, for the error bound.
  std::vector<std::vector<float>> abs_data(c.data.size());
  StridedNest mag = ref;
  std::vector<float> scale(static_cast<size_t>(c.out_len), 0.0f);
  for (size_t k = 0; k < c.data.size(); ++k) {
    abs_data[k] = c.data[k];
    for (auto& x : abs_data[k]) x = std::fabs(x);
    mag.in[k] = abs_data[k].data() + (n.in[k] - c.data[k].data());
  }
  mag.out = scale.data();
  strided_sum_product_reference(mag);
  for (size_t i = 0; i < got.size(); ++i) {
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!both_nan && !(err <= 2e-7 * scale[i] + 1e-30)) {
      std::printf("FAIL kind=%d threads=%d rank=%zu at %zu: got %g want %g\n", static_cast<int>(kind), threads,
                  c.shape.size(), i, got[i], want[i]);
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  int fails = 0, runs = 0;
  for (Kind kind : {Kind::kPermute, Kind::kMultiply, Kind::kSumProduct})
    for (int i = 0; i < 400; ++i) {
      Case c = make_case(kind, rng, i % 10 == 0);
      for (int threads : {1, 3}) {
        fails += run(kind, c, threads);
        ++runs;
      }
    }
  // Shapes that take each kernel's other loop orders: tiled transposes, and
  // sums split across threads because there are fewer outputs than threads.
  auto fixed = [&](Kind kind, std::vector<int64_t> shape, std::vector<std::vector<int64_t>> in,
                   std::vector<int64_t> out) {
    Case c;
    c.shape = shape;
    std::normal_distribution<float> value;
    for (auto& st : in) {
      int64_t extent = 0;
      for (size_t d = 0; d < shape.size(); ++d) extent += (shape[d] - 1) * st[d];
      std::vector<float> buf(static_cast<size_t>(extent + 1));
      for (auto& x : buf) x = value(rng);
      c.data.push_back(std::move(buf));
      c.strides.push_back(st);
    }
    c.out_strides = out;
    c.out_len = 1;
    for (size_t d = 0; d < shape.size(); ++d) c.out_len += (shape[d] - 1) * out[d];
    for (int threads : {1, 2, 4}) {
      fails += run(kind, c, threads);
      ++runs;
    }
  };
  fixed(Kind::kPermute, {300, 200}, {{1, 300}}, {200, 1});
  fixed(Kind::kPermute, {5, 64, 70}, {{1, 5, 320}}, {4480, 70, 1});
  fixed(Kind::kMultiply, {200, 300}, {{300, 1}, {1, 200}}, {300, 1});
  fixed(Kind::kPermute, {100000}, {{1}}, {1});
  fixed(Kind::kMultiply, {3, 70000}, {{70000, 1}, {0, 1}}, {70000, 1});
  fixed(Kind::kSumProduct, {100000}, {{1}}, {0});
  fixed(Kind::kSumProduct, {3, 50000}, {{1, 3}, {0, 1}}, {1, 0});
  fixed(Kind::kSumProduct, {40000, 3}, {{3, 1}}, {0, 1});
  fixed(Kind::kSumProduct, {600, 500}, {{500, 1}, {0, 1}}, {1, 0});
  fixed(Kind::kSumProduct, {700, 400}, {{1, 700}, {400, 0}}, {0, 1});
  fixed(Kind::kSumProduct, {2, 3, 4, 5, 6, 7}, {{1, 2, 6, 24, 120, 720}, {0, 0, 1, 4, 20, 120}, {5040, 0, 0, 0, 0, 1}}, {0, 1, 0, 3, 0, 15});
  std::printf("%d/%d contract checks passed\n", runs - fails, runs);
  return fails ? 1 : 0;
}
