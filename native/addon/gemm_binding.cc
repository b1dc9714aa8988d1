#include "gemm_binding.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "../kernels/gemm/gemm.h"
#include "../kernels/gemm/gemm_pack.h"
#include "args.h"
#include "async_job.h"

namespace tensorfold {
namespace addon {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 40;

// The type tag marks externals made by packB, so no other external can be
// passed off as a packed matrix.
const napi_type_tag kPackedTag = {0x7f3a1c5e9b2d4e61ull, 0xa4c2e8f01b3d5a97ull};

const PackedB* packed_b_arg(const Napi::Value& v, const std::string& what) {
  Napi::Env env = v.Env();
  bool ok = false;
  if (v.IsExternal()) napi_check_object_type_tag(env, v, &kPackedTag, &ok);
  if (!ok) throw_type(env, what + " must be a packed matrix made by packB");
  return v.As<Napi::External<PackedB>>().Data();
}

struct GemmCall {
  GemmArgs g;
  GemmBatch batch;
  int threads = 0;
  // Offset tables g points into (aGroups', bGroups' rows and cols), shared so that
  // copies of the call (the async job's) keep them alive.
  std::shared_ptr<std::vector<int64_t>> tables[4];
};

// At most this many index dims make one row or column group.
constexpr size_t kMaxGroupDims = 32;

// One operand's rows or columns as several index dims (`key`: [size, stride]
// pairs, outermost first, flattened): the offset of each row or column, and
// in *reach the largest of them. Their sizes must multiply to `count`.
std::shared_ptr<std::vector<int64_t>> group_offsets(const Napi::Env& env, const Napi::Object& o,
                                                    const char* key, int64_t count,
                                                    const std::string& w, __int128* reach) {
  std::vector<int64_t> dims = int_array_prop(o, key, w, 2 * kMaxGroupDims, kMaxDim);
  if (dims.empty() || dims.size() % 2)
    throw_range(env, w + ": " + key + " must hold [size, stride] pairs, got " + std::to_string(dims.size()) +
                         " numbers");
  __int128 total = 1;
  *reach = 0;
  for (size_t d = 0; d < dims.size(); d += 2) {
    total *= dims[d];
    if (total > kMaxDim) break;
    if (dims[d] > 0) *reach += static_cast<__int128>(dims[d] - 1) * dims[d + 1];
  }
  if (total != count)
    throw_range(env, w + ": " + key + " sizes multiply to " + (total > kMaxDim ? std::string("more than 2^40") : std::to_string(static_cast<int64_t>(total))) +
                         " but the product needs " + std::to_string(count));
  auto table = std::make_shared<std::vector<int64_t>>();
  try {
    table->resize(static_cast<size_t>(count));
  } catch (const std::bad_alloc&) {
    throw_range(env, w + ": " + key + ": cannot allocate an offset table of " + std::to_string(count) + " entries");
  }
  // Odometer over the dims, innermost fastest.
  const size_t nd = dims.size() / 2;
  std::vector<int64_t> digit(nd, 0);
  int64_t off = 0;
  for (int64_t t = 0; t < count; ++t) {
    (*table)[static_cast<size_t>(t)] = off;
    for (size_t d = nd; d-- > 0;) {
      off += dims[2 * d + 1];
      if (++digit[d] < dims[2 * d]) break;
      off -= digit[d] * dims[2 * d + 1];
      digit[d] = 0;
    }
  }
  return table;
}

// An operand given by offset tables: `key` ('aGroups' or 'bGroups') is
// { rows, cols }, both as group_offsets reads them; returns the operand's
// reach past the batch, or -1 when it has no groups.
__int128 indexed_operand(const Napi::Env& env, const Napi::Object& o, const char* key, int64_t rows,
                         int64_t cols, const std::string& w, std::shared_ptr<std::vector<int64_t>>* tables,
                         const int64_t** row_off, const int64_t** col_off) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return -1;
  const std::string at = w + ": " + key;
  if (!v.IsObject() || v.IsArray()) throw_type(env, at + " must be an object { rows, cols }");
  Napi::Object groups = v.As<Napi::Object>();
  __int128 reach_rows = 0, reach_cols = 0;
  tables[0] = group_offsets(env, groups, "rows", rows, at, &reach_rows);
  tables[1] = group_offsets(env, groups, "cols", cols, at, &reach_cols);
  *row_off = tables[0]->data();
  *col_off = tables[1]->data();
  return reach_rows + reach_cols;
}

// The largest element offset a batched operand touches: rows x cols stored
// contiguously (either order), batch items `stride` apart. Computed in 128
// bits so absurd sizes fail the bounds check instead of wrapping.
int64_t extent(const Napi::Env& env, int64_t count, int64_t stride, int64_t rows, int64_t cols,
               const std::string& what) {
  __int128 e = static_cast<__int128>(count - 1) * stride + static_cast<__int128>(rows) * cols - 1;
  if (e >= (static_cast<__int128>(1) << 62)) throw_range(env, what + " is too large");
  return static_cast<int64_t>(e);
}

// Largest offset of a strided batch of rows x cols, in 128 bits.
int64_t strided_extent(const Napi::Env& env, int64_t count, int64_t stride, int64_t rows, int64_t rs,
                       int64_t cols, int64_t cs, const std::string& what) {
  __int128 e = static_cast<__int128>(count - 1) * stride + static_cast<__int128>(rows - 1) * rs +
               static_cast<__int128>(cols - 1) * cs;
  if (e >= (static_cast<__int128>(1) << 62)) throw_range(env, what + " is too large");
  return static_cast<int64_t>(e);
}

// Largest offset of a batch of operands given by offset tables.
int64_t grouped_extent(const Napi::Env& env, int64_t count, int64_t stride, __int128 reach, const std::string& what) {
  __int128 e = static_cast<__int128>(count - 1) * stride + reach;
  if (e >= (static_cast<__int128>(1) << 62)) throw_range(env, what + " is too large");
  return static_cast<int64_t>(e);
}

// C's batch items, rows and (unit-stride) columns must never share an
// element: sorted by stride, each dim must step past the reach of the
// smaller ones.
void check_c_layout(const Napi::Env& env, const GemmCall& call, const std::string& w) {
  std::pair<int64_t, int64_t> dims[3] = {{1, call.g.n}, {call.g.rs_c, call.g.m}, {call.batch.stride_c, call.batch.count}};
  std::sort(std::begin(dims), std::end(dims));
  __int128 inner = 0;
  for (auto& [stride, size] : dims) {
    if (size <= 1) continue;
    if (stride <= inner)
      throw_range(env, w + ": rsC " + std::to_string(call.g.rs_c) + " and strideC " +
                           std::to_string(call.batch.stride_c) + " would make outputs overlap (n = " +
                           std::to_string(call.g.n) + ", m = " + std::to_string(call.g.m) + ", batch = " +
                           std::to_string(call.batch.count) + ")");
    inner += static_cast<__int128>(size - 1) * stride;
  }
}

// The strided form: rsA/csA/rsB/csB/rsC override the layouts transA/transB
// imply (C keeps unit column stride); batch strides default as before.
void parse_strided(const Napi::Env& env, const Napi::Object& o, const std::string& w, GemmCall& call,
                   const F32Span& a, const F32Span& b, const F32Span& c, int64_t a_off, int64_t b_off,
                   int64_t c_off, bool ta, bool tb) {
  GemmArgs& g = call.g;
  GemmBatch& bt = call.batch;
  g.rs_a = int_prop(o, "rsA", w, 0, kMaxDim, ta ? 1 : g.k);
  g.cs_a = int_prop(o, "csA", w, 0, kMaxDim, ta ? g.m : 1);
  g.rs_b = int_prop(o, "rsB", w, 0, kMaxDim, tb ? 1 : g.n);
  g.cs_b = int_prop(o, "csB", w, 0, kMaxDim, tb ? g.k : 1);
  g.rs_c = int_prop(o, "rsC", w, 0, kMaxDim, g.n);
  // Offset tables are built only for a product that reads its operands.
  const bool reads = bt.count > 0 && g.m > 0 && g.n > 0 && g.k > 0;
  const __int128 reach_a = reads ? indexed_operand(env, o, "aGroups", g.m, g.k, w, &call.tables[0], &g.a_rows, &g.a_cols) : -1;
  const __int128 reach_b = reads ? indexed_operand(env, o, "bGroups", g.k, g.n, w, &call.tables[2], &g.b_rows, &g.b_cols) : -1;
  int64_t ext_c = 0;
  if (bt.count > 0 && g.m > 0 && g.n > 0) {
    check_c_layout(env, call, w);
    ext_c = strided_extent(env, bt.count, bt.stride_c, g.m, g.rs_c, g.n, 1, w + ": c");
    check_extent(env, c, c_off, ext_c, w + ": c");
  }
  if (reads) {
    int64_t ext_a = reach_a >= 0 ? grouped_extent(env, bt.count, bt.stride_a, reach_a, w + ": a")
                                 : strided_extent(env, bt.count, bt.stride_a, g.m, g.rs_a, g.k, g.cs_a, w + ": a");
    int64_t ext_b = reach_b >= 0 ? grouped_extent(env, bt.count, bt.stride_b, reach_b, w + ": b")
                                 : strided_extent(env, bt.count, bt.stride_b, g.k, g.rs_b, g.n, g.cs_b, w + ": b");
    check_extent(env, a, a_off, ext_a, w + ": a");
    check_extent(env, b, b_off, ext_b, w + ": b");
    check_disjoint(env, c.data + c_off, ext_c + 1, a.data + a_off, ext_a + 1, w + ": c overlaps a");
    check_disjoint(env, c.data + c_off, ext_c + 1, b.data + b_off, ext_b + 1, w + ": c overlaps b");
  }
  g.a = a.data + a_off;
  g.b = b.data + b_off;
  g.c = c.data + c_off;
}

GemmCall parse(const Napi::Object& o, const char* where) {
  Napi::Env env = o.Env();
  GemmCall call;
  GemmArgs& g = call.g;
  g.m = int_prop(o, "m", where, 0, kMaxDim);
  g.n = int_prop(o, "n", where, 0, kMaxDim);
  g.k = int_prop(o, "k", where, 0, kMaxDim);
  const bool ta = bool_prop(o, "transA", where, false);
  const bool tb = bool_prop(o, "transB", where, false);
  g.alpha = static_cast<float>(number_prop(o, "alpha", where, 1.0));
  g.beta = static_cast<float>(number_prop(o, "beta", where, 0.0));
  GemmBatch& bt = call.batch;
  bt.count = int_prop(o, "batch", where, 0, kMaxDim, 1);
  bt.stride_a = int_prop(o, "strideA", where, 0, kMaxDim, g.m * g.k);
  bt.stride_b = int_prop(o, "strideB", where, 0, kMaxDim, g.k * g.n);
  bt.stride_c = int_prop(o, "strideC", where, 0, kMaxDim, g.m * g.n);
  call.threads = static_cast<int>(int_prop(o, "threads", where, 0, 1 << 16, 0));

  const PackedB* packed = nullptr;
  if (!o.Get("bPacked").IsUndefined()) {
    packed = packed_b_arg(o.Get("bPacked"), std::string(where) + ": bPacked");
    if (packed->k != g.k || packed->n != g.n)
      throw_range(env, std::string(where) + ": bPacked is " + std::to_string(packed->k) + " x " +
                           std::to_string(packed->n) + " but the product needs k x n = " +
                           std::to_string(g.k) + " x " + std::to_string(g.n));
  }
  F32Span a = f32_prop(o, "a", where), c = f32_prop(o, "c", where);
  F32Span b = packed ? F32Span{} : f32_prop(o, "b", where);
  int64_t a_off = int_prop(o, "aOffset", where, 0, kMaxDim, 0);
  int64_t b_off = int_prop(o, "bOffset", where, 0, kMaxDim, 0);
  int64_t c_off = int_prop(o, "cOffset", where, 0, kMaxDim, 0);

  const std::string w = where;
  // Explicit element strides (rsA, csA, rsB, csB, rsC) describe views that
  // transA/transB cannot, e.g. an operand whose rows interleave with its
  // batch, and offset groups (aGroups, bGroups) those whose rows or
  // columns are not one stride; they are checked on their own path below.
  if (o.Has("rsA") || o.Has("csA") || o.Has("rsB") || o.Has("csB") || o.Has("rsC") || o.Has("aGroups") ||
      o.Has("bGroups")) {
    if (packed) throw_type(env, w + ": rsA, csA, rsB, csB, rsC and the offset groups cannot be combined with bPacked");
    parse_strided(env, o, w, call, a, b, c, a_off, b_off, c_off, ta, tb);
    return call;
  }
  if (bt.count > 1 && g.m * g.n > 0 && bt.stride_c < g.m * g.n)
    throw_range(env, w + ": strideC " + std::to_string(bt.stride_c) +
                         " would make batch outputs overlap (needs >= m*n = " +
                         std::to_string(g.m * g.n) + ")");
  int64_t ext_c = 0;
  if (bt.count > 0 && g.m > 0 && g.n > 0) {
    ext_c = extent(env, bt.count, bt.stride_c, g.m, g.n, w + ": c");
    check_extent(env, c, c_off, ext_c, w + ": c");
  }
  if (bt.count > 0 && g.m > 0 && g.n > 0 && g.k > 0) {
    int64_t ext_a = extent(env, bt.count, bt.stride_a, g.m, g.k, w + ": a");
    check_extent(env, a, a_off, ext_a, w + ": a");
    check_disjoint(env, c.data + c_off, ext_c + 1, a.data + a_off, ext_a + 1, w + ": c overlaps a");
    if (!packed) {
      int64_t ext_b = extent(env, bt.count, bt.stride_b, g.k, g.n, w + ": b");
      check_extent(env, b, b_off, ext_b, w + ": b");
      check_disjoint(env, c.data + c_off, ext_c + 1, b.data + b_off, ext_b + 1, w + ": c overlaps b");
    }
  }
  g.a = a.data + a_off;
  g.rs_a = ta ? 1 : g.k;
  g.cs_a = ta ? g.m : 1;
  g.b = packed ? nullptr : b.data + b_off;
  g.b_packed = packed;
  g.rs_b = tb ? 1 : g.n;
  g.cs_b = tb ? g.k : 1;
  g.c = c.data + c_off;
  g.rs_c = g.n;
  return call;
}

}  // namespace

Napi::Value pack_b_matrix(const Napi::CallbackInfo& info) {
  const std::string where = "packB";
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  int64_t k = int_prop(o, "k", where, 0, kMaxDim), n = int_prop(o, "n", where, 0, kMaxDim);
  bool tb = bool_prop(o, "transB", where, false);
  int threads = static_cast<int>(int_prop(o, "threads", where, 0, 1 << 16, 0));
  F32Span b = f32_prop(o, "b", where);
  if (k > 0 && n > 0) check_extent(env, b, 0, extent(env, 1, 0, k, n, where + ": b"), where + ": b");
  PackedB* p = nullptr;
  run_guarded(env, [&] { p = gemm_pack_b(active_tier(), b.data, tb ? 1 : n, tb ? k : 1, k, n, threads); });
  int64_t bytes = p->size * static_cast<int64_t>(sizeof(float));
  Napi::External<PackedB> ext = Napi::External<PackedB>::New(env, p, [bytes](Napi::Env e, PackedB* q) {
    Napi::MemoryManagement::AdjustExternalMemory(e, -bytes);
    delete q;
  });
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  if (napi_type_tag_object(env, ext, &kPackedTag) != napi_ok) throw_type(env, where + ": cannot tag");
  return ext;
}

std::function<void()> gemm_runner(const Napi::Object& args, const std::string& where) {
  GemmCall call = parse(args, where.c_str());
  return [call = std::move(call)] { sgemm_batched(call.g, call.batch, call.threads); };
}

Napi::Value gemm_sync(const Napi::CallbackInfo& info) {
  GemmCall call = parse(object_arg(info, 0, "gemm"), "gemm");
  run_guarded(info.Env(), [&] { sgemm_batched(call.g, call.batch, call.threads); });
  return info.Env().Undefined();
}

Napi::Value gemm_async(const Napi::CallbackInfo& info) {
  GemmCall call = parse(object_arg(info, 0, "gemmAsync"), "gemmAsync");
  // The args object holds the arrays; keeping it referenced keeps them alive.
  return AsyncJob::Start(info.Env(), "tensorfold.gemm", {info[0].As<Napi::Object>()},
                         [call] { sgemm_batched(call.g, call.batch, call.threads); });
}

}  // namespace addon
}  // namespace tensorfold
