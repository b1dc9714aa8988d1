#include "nm_binding.h"

#include <memory>
#include <string>

#include "../kernels/nm/nm_format.h"
#include "args.h"
#include "async_job.h"

namespace tensorfold {
namespace addon {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;
const napi_type_tag kNmTag = {0x3b9e51d27c4a8f06ull, 0x91d7c2e4a06b3f58ull};

const NmMatrix* nm_arg(const Napi::Value& v, const std::string& what) {
  bool ok = false;
  if (v.IsExternal()) napi_check_object_type_tag(v.Env(), v, &kNmTag, &ok);
  if (!ok) throw_type(v.Env(), what + " must be a matrix made by nmCreate");
  return v.As<Napi::External<NmMatrix>>().Data();
}

struct NmCall {
  const NmMatrix* w;
  const float* x;
  const float* bias;
  float* y;
  int64_t tokens;
  int threads;
};

NmCall parse_call(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  NmCall c;
  c.w = nm_arg(o.Get("w"), where + ": w");
  c.tokens = int_prop(o, "tokens", where, 0, kMaxDim);
  c.threads = static_cast<int>(int_prop(o, "threads", where, 0, 1 << 16, 0));
  F32Span x = f32_prop(o, "x", where), y = f32_prop(o, "y", where);
  const __int128 xs = static_cast<__int128>(c.tokens) * c.w->k, ys = static_cast<__int128>(c.tokens) * c.w->rows;
  if (xs > x.length) throw_range(env, where + ": x has " + std::to_string(x.length) + " elements, needs tokens x k = " + std::to_string(static_cast<int64_t>(xs)));
  if (ys > y.length) throw_range(env, where + ": y has " + std::to_string(y.length) + " elements, needs tokens x rows = " + std::to_string(static_cast<int64_t>(ys)));
  check_disjoint(env, y.data, static_cast<int64_t>(ys), x.data, static_cast<int64_t>(xs), where + ": y overlaps x");
  c.bias = nullptr;
  if (!o.Get("bias").IsUndefined()) {
    F32Span b = f32_prop(o, "bias", where);
    if (b.length < c.w->rows) throw_range(env, where + ": bias has " + std::to_string(b.length) + " elements, needs rows = " + std::to_string(c.w->rows));
    check_disjoint(env, y.data, static_cast<int64_t>(ys), b.data, c.w->rows, where + ": y overlaps bias");
    c.bias = b.data;
  }
  c.x = x.data;
  c.y = y.data;
  return c;
}

}  // namespace

Napi::Value nm_create(const Napi::CallbackInfo& info) {
  const std::string where = "nmCreate";
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  int64_t rows = int_prop(o, "rows", where, 0, kMaxDim), k = int_prop(o, "k", where, 0, kMaxDim);
  int n = static_cast<int>(int_prop(o, "n", where, 1, kNmMaxM - 1));
  int m = static_cast<int>(int_prop(o, "m", where, 2, kNmMaxM));
  if (n >= m) throw_range(env, where + ": n must be below m, got " + std::to_string(n) + ":" + std::to_string(m));
  if (k % m) throw_range(env, where + ": k = " + std::to_string(k) + " is not a multiple of m = " + std::to_string(m));
  F32Span values = f32_prop(o, "values", where);
  Napi::Value iv = o.Get("indices");
  if (!iv.IsTypedArray() || iv.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_type(env, where + ": indices must be a Uint8Array");
  Napi::Uint8Array idx = iv.As<Napi::Uint8Array>();
  auto w = std::make_unique<NmMatrix>();
  run_guarded(env, [&] { nm_allocate(w.get(), rows, k, n, m); });
  const size_t want_values = w->values.size(), want_indices = w->indices.size() - 8;
  if (static_cast<size_t>(values.length) != want_values)
    throw_range(env, where + ": values has " + std::to_string(values.length) + " elements, the layout needs " + std::to_string(want_values));
  if (idx.ElementLength() != want_indices)
    throw_range(env, where + ": indices has " + std::to_string(idx.ElementLength()) + " bytes, the layout needs " + std::to_string(want_indices));
  std::copy(values.data, values.data + values.length, w->values.begin());
  std::copy(idx.Data(), idx.Data() + want_indices, w->indices.begin());
  std::string bad = nm_validate(*w);
  if (!bad.empty()) throw_range(env, where + ": corrupt metadata: " + bad);
  const int64_t bytes = static_cast<int64_t>(w->values.size() * 4 + w->indices.size());
  Napi::External<NmMatrix> ext = Napi::External<NmMatrix>::New(env, w.release(), [bytes](Napi::Env e, NmMatrix* p) {
    Napi::MemoryManagement::AdjustExternalMemory(e, -bytes);
    delete p;
  });
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  if (napi_type_tag_object(env, ext, &kNmTag) != napi_ok) throw_type(env, where + ": cannot tag");
  return ext;
}

Napi::Value nm_export(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) throw_type(env, "nmExport: expected a matrix");
  const NmMatrix* w = nm_arg(info[0], "nmExport: w");
  Napi::Float32Array values = Napi::Float32Array::New(env, w->values.size());
  std::copy(w->values.begin(), w->values.end(), values.Data());
  Napi::Uint8Array indices = Napi::Uint8Array::New(env, w->indices.size() - 8);
  std::copy(w->indices.begin(), w->indices.end() - 8, indices.Data());
  Napi::Object r = Napi::Object::New(env);
  r.Set("values", values);
  r.Set("indices", indices);
  r.Set("kernel", nm_kernel_name(active_tier()));
  return r;
}

Napi::Value nm_matmul_sync(const Napi::CallbackInfo& info) {
  NmCall c = parse_call(info, "nmMatmul");
  run_guarded(info.Env(), [&] { nm_matmul(c.w->view(), c.x, c.tokens, c.bias, c.y, c.threads); });
  return info.Env().Undefined();
}

Napi::Value nm_matmul_async(const Napi::CallbackInfo& info) {
  NmCall c = parse_call(info, "nmMatmulAsync");
  return AsyncJob::Start(info.Env(), "tensorfold.nmMatmul", {info[0].As<Napi::Object>()},
                         [c] { nm_matmul(c.w->view(), c.x, c.tokens, c.bias, c.y, c.threads); });
}

}  // namespace addon
}  // namespace tensorfold
