// Bindings of the strided kernels. Every operand is a view { data, offset,
// strides } over a loop shape; each view's reach is checked against its
// array, the output must not overlap any input, and no two output positions
// may share an element (threads would race on it) except along summed dims.
#include "contract_binding.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "../kernels/contract/strided.h"
#include "args.h"
#include "async_job.h"

namespace tensorfold {
namespace addon {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 40;
constexpr size_t kMaxRank = 64;
constexpr size_t kMaxOperands = 1024;

enum class Kind { kPermute, kMultiply, kSumProduct };

struct Call {
  StridedNest nest;
  int threads = 0;
};

std::vector<int64_t> int_array(const Napi::Object& o, const char* key, const std::string& where, size_t max_len) {
  return int_array_prop(o, key, where, max_len, kMaxDim);
}

// Largest offset from the view's start that the nest reaches, or -1 when the
// nest is empty along one of `dims` (it reads nothing). 128-bit so that
// absurd strides fail the bounds check instead of wrapping.
int64_t reach(const Napi::Env& env, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
              const std::vector<bool>& dims, const std::string& what) {
  __int128 e = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!dims[d]) continue;
    if (shape[d] == 0) return -1;
    e += static_cast<__int128>(shape[d] - 1) * strides[d];
  }
  if (e >= (static_cast<__int128>(1) << 62)) throw_range(env, what + " reaches too far");
  return static_cast<int64_t>(e);
}

struct View {
  F32Span span;
  int64_t offset = 0;
  std::vector<int64_t> strides;
  int64_t extent = -1;  // -1: reads or writes nothing
};

// `w` names the view in errors, e.g. "sumProduct: ops[1]".
View read_view(const Napi::Env& env, const Napi::Value& v, const std::string& w, const std::vector<int64_t>& shape) {
  if (!v.IsObject() || v.IsArray()) throw_type(env, w + " must be an object { data, offset, strides }");
  Napi::Object o = v.As<Napi::Object>();
  View view;
  view.span = f32_prop(o, "data", w);
  view.offset = int_prop(o, "offset", w, 0, kMaxDim, 0);
  view.strides = int_array(o, "strides", w, kMaxRank);
  if (view.strides.size() != shape.size())
    throw_range(env, w + ".strides has " + std::to_string(view.strides.size()) + " entries but shape has " +
                         std::to_string(shape.size()));
  return view;
}

// No two positions along the written dims may land on one element: sorted by
// stride, each dim's stride must exceed the reach of the dims inside it.
void check_injective(const Napi::Env& env, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                     const std::vector<bool>& written, const std::string& what) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size)
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!written[d] || shape[d] <= 1) continue;
    dims.emplace_back(strides[d], shape[d]);
  }
  std::sort(dims.begin(), dims.end());
  __int128 inner = 0;
  for (auto& [stride, size] : dims) {
    if (stride <= inner)
      throw_range(env, what + " writes some elements more than once (a dim of size " + std::to_string(size) +
                           " has stride " + std::to_string(stride) + ", inside the reach of smaller strides)");
    inner += static_cast<__int128>(size - 1) * stride;
  }
}

Call parse(const Napi::Object& o, const std::string& w, Kind kind) {
  Napi::Env env = o.Env();
  Call call;
  StridedNest& n = call.nest;
  n.shape = int_array(o, "shape", w, kMaxRank);
  call.threads = static_cast<int>(int_prop(o, "threads", w, 0, 1 << 16, 0));

  std::vector<View> ins;
  if (kind == Kind::kPermute) {
    ins.push_back(read_view(env, o.Get("src"), w + ": src", n.shape));
  } else if (kind == Kind::kMultiply) {
    ins.push_back(read_view(env, o.Get("a"), w + ": a", n.shape));
    ins.push_back(read_view(env, o.Get("b"), w + ": b", n.shape));
  } else {
    Napi::Value ops = o.Get("ops");
    if (!ops.IsArray()) throw_type(env, w + ": ops must be an array of { data, offset, strides }");
    Napi::Array arr = ops.As<Napi::Array>();
    if (arr.Length() < 1 || arr.Length() > kMaxOperands)
      throw_range(env, w + ": ops must hold 1 to " + std::to_string(kMaxOperands) + " operands, got " +
                           std::to_string(arr.Length()));
    for (uint32_t k = 0; k < arr.Length(); ++k)
      ins.push_back(read_view(env, arr.Get(k), w + ": ops[" + std::to_string(k) + "]", n.shape));
  }
  View out = read_view(env, o.Get("dst"), w + ": dst", n.shape);

  // Dims the output is written along: every dim, except the summed ones
  // (stride 0) of a sum of products.
  const size_t rank = n.shape.size();
  std::vector<bool> all(rank, true), written(rank, true);
  if (kind == Kind::kSumProduct)
    for (size_t d = 0; d < rank; ++d) written[d] = out.strides[d] != 0;
  out.extent = reach(env, n.shape, out.strides, written, w + ": dst");
  if (out.extent >= 0) {
    check_extent(env, out.span, out.offset, out.extent, w + ": dst");
    check_injective(env, n.shape, out.strides, written, w + ": dst");
  }
  for (size_t k = 0; k < ins.size(); ++k) {
    const std::string name = kind == Kind::kPermute    ? "src"
                             : kind == Kind::kMultiply ? (k == 0 ? "a" : "b")
                                                       : "ops[" + std::to_string(k) + "]";
    View& in = ins[k];
    // With no outputs nothing is read either.
    in.extent = out.extent < 0 ? -1 : reach(env, n.shape, in.strides, all, w + ": " + name);
    if (in.extent < 0) continue;
    check_extent(env, in.span, in.offset, in.extent, w + ": " + name);
    check_disjoint(env, out.span.data + out.offset, out.extent + 1, in.span.data + in.offset, in.extent + 1,
                   w + ": dst overlaps " + name);
  }
  for (View& in : ins) {
    n.in.push_back(in.span.data + in.offset);
    n.in_strides.push_back(std::move(in.strides));
  }
  n.out = out.span.data + out.offset;
  n.out_strides = std::move(out.strides);
  return call;
}

void run(Kind kind, const Call& c) {
  if (kind == Kind::kPermute) strided_permute(c.nest, c.threads);
  else if (kind == Kind::kMultiply) strided_multiply(c.nest, c.threads);
  else strided_sum_product(c.nest, c.threads);
}

Napi::Value sync(const Napi::CallbackInfo& info, const char* where, Kind kind) {
  Call call = parse(object_arg(info, 0, where), where, kind);
  run_guarded(info.Env(), [&] { run(kind, call); });
  return info.Env().Undefined();
}

Napi::Value async(const Napi::CallbackInfo& info, const char* where, const char* job, Kind kind) {
  Call call = parse(object_arg(info, 0, where), where, kind);
  // The args object holds the arrays; keeping it referenced keeps them alive.
  return AsyncJob::Start(info.Env(), job, {info[0].As<Napi::Object>()}, [call, kind] { run(kind, call); });
}

}  // namespace

std::function<void()> contract_runner(const std::string& kind, const Napi::Object& args, const std::string& where) {
  Kind k;
  if (kind == "permute") k = Kind::kPermute;
  else if (kind == "multiply") k = Kind::kMultiply;
  else if (kind == "sumProduct") k = Kind::kSumProduct;
  else throw_range(args.Env(), where + ": kind must be 'gemm', 'permute', 'multiply' or 'sumProduct', got '" + kind + "'");
  Call call = parse(args, where, k);
  return [call = std::move(call), k] { run(k, call); };
}

Napi::Value permute_sync(const Napi::CallbackInfo& info) { return sync(info, "permute", Kind::kPermute); }
Napi::Value permute_async(const Napi::CallbackInfo& info) {
  return async(info, "permuteAsync", "tensorfold.permute", Kind::kPermute);
}
Napi::Value multiply_sync(const Napi::CallbackInfo& info) { return sync(info, "multiply", Kind::kMultiply); }
Napi::Value multiply_async(const Napi::CallbackInfo& info) {
  return async(info, "multiplyAsync", "tensorfold.multiply", Kind::kMultiply);
}
Napi::Value sum_product_sync(const Napi::CallbackInfo& info) { return sync(info, "sumProduct", Kind::kSumProduct); }
Napi::Value sum_product_async(const Napi::CallbackInfo& info) {
  return async(info, "sumProductAsync", "tensorfold.sumProduct", Kind::kSumProduct);
}

}  // namespace addon
}  // namespace tensorfold
