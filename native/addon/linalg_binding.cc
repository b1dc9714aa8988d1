// Bindings of the float64 linear algebra. Every array is checked against the
// sizes the call implies, and outputs may not overlap inputs or each other:
// the factorizations read their input after they begin writing results.
#include "linalg_binding.h"

#include <memory>
#include <string>
#include <vector>

#include "../kernels/linalg/linalg.h"
#include "args.h"
#include "async_job.h"

namespace tensorfold {
namespace addon {
namespace {

// Sizes that a Float64Array can hold and whose products stay exact.
constexpr int64_t kMaxDim = int64_t{1} << 31;

struct Span {
  void* data = nullptr;
  int64_t length = 0;  // elements
  int64_t bytes = 0;
  bool present = false;
};

Span typed_prop(const Napi::Object& o, const char* key, const std::string& where, napi_typedarray_type type,
                const char* type_name, bool optional) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (optional && v.IsUndefined()) return Span{};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw_type(env, where + ": " + key + " must be a " + type_name);
  Napi::TypedArray arr = v.As<Napi::TypedArray>();
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, arr.ArrayBuffer(), &detached) != napi_ok || detached)
    throw_type(env, where + ": " + key + " is backed by a detached ArrayBuffer");
  Span s;
  s.data = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  s.length = static_cast<int64_t>(arr.ElementLength());
  s.bytes = static_cast<int64_t>(arr.ByteLength());
  s.present = true;
  return s;
}

Span f64(const Napi::Object& o, const char* key, const std::string& where, bool optional = false) {
  return typed_prop(o, key, where, napi_float64_array, "Float64Array", optional);
}

void need(const Napi::Env& env, const Span& s, int64_t count, const std::string& where, const char* key,
          const std::string& dims) {
  if (s.present && s.length < count)
    throw_range(env, where + ": " + key + " has " + std::to_string(s.length) + " elements, needs " + dims + " = " +
                         std::to_string(count));
}

// No byte of `out` may be shared with any of `others`.
void disjoint(const Napi::Env& env, const Span& out, std::initializer_list<std::pair<const Span*, const char*>> others,
              const std::string& where, const char* key) {
  if (!out.present || out.bytes == 0) return;
  auto lo = reinterpret_cast<uintptr_t>(out.data), hi = lo + static_cast<uintptr_t>(out.bytes);
  for (auto& [s, name] : others) {
    if (!s->present || s->bytes == 0) continue;
    auto l2 = reinterpret_cast<uintptr_t>(s->data), h2 = l2 + static_cast<uintptr_t>(s->bytes);
    if (lo < h2 && l2 < hi) throw_range(env, where + ": " + key + " overlaps " + name);
  }
}


struct QrCall {
  int64_t m, n;
  bool pivot;
  const double* a;
  double *q, *r;
  int32_t* perm;
  int threads;
};

QrCall parse_qr(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  QrCall c;
  c.m = int_prop(o, "m", where, 0, kMaxDim);
  c.n = int_prop(o, "n", where, 0, kMaxDim);
  c.pivot = bool_prop(o, "pivot", where, false);
  c.threads = static_cast<int>(int_prop(o, "threads", where, 0, 256, 0));
  const int64_t kq = std::min(c.m, c.n);
  Span a = f64(o, "a", where), q = f64(o, "q", where, true), r = f64(o, "r", where, true);
  Span perm = typed_prop(o, "perm", where, napi_int32_array, "Int32Array", true);
  need(env, a, c.m * c.n, where, "a", "m * n");
  need(env, q, c.m * kq, where, "q", "m * min(m, n)");
  need(env, r, kq * c.n, where, "r", "min(m, n) * n");
  need(env, perm, c.n, where, "perm", "n");
  disjoint(env, q, {{&a, "a"}, {&r, "r"}, {&perm, "perm"}}, where, "q");
  disjoint(env, r, {{&a, "a"}, {&perm, "perm"}}, where, "r");
  disjoint(env, perm, {{&a, "a"}}, where, "perm");
  c.a = static_cast<const double*>(a.data);
  c.q = static_cast<double*>(q.data);
  c.r = static_cast<double*>(r.data);
  c.perm = static_cast<int32_t*>(perm.data);
  return c;
}

void run_qr(const QrCall& c) {
  if (c.m == 0 || c.n == 0) return;
  qr(c.m, c.n, c.a, c.pivot, c.q, c.r, c.perm, c.threads);
}

struct SvdCall {
  int64_t m, n;
  const double* a;
  double *u, *s, *vt;
  int threads;
};

SvdCall parse_svd(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  SvdCall c;
  c.m = int_prop(o, "m", where, 0, kMaxDim);
  c.n = int_prop(o, "n", where, 0, kMaxDim);
  c.threads = static_cast<int>(int_prop(o, "threads", where, 0, 256, 0));
  const int64_t kq = std::min(c.m, c.n);
  Span a = f64(o, "a", where), u = f64(o, "u", where, true), s = f64(o, "s", where), vt = f64(o, "vt", where, true);
  need(env, a, c.m * c.n, where, "a", "m * n");
  need(env, u, c.m * kq, where, "u", "m * min(m, n)");
  need(env, s, kq, where, "s", "min(m, n)");
  need(env, vt, kq * c.n, where, "vt", "min(m, n) * n");
  disjoint(env, u, {{&a, "a"}, {&s, "s"}, {&vt, "vt"}}, where, "u");
  disjoint(env, s, {{&a, "a"}, {&vt, "vt"}}, where, "s");
  disjoint(env, vt, {{&a, "a"}}, where, "vt");
  c.a = static_cast<const double*>(a.data);
  c.u = static_cast<double*>(u.data);
  c.s = static_cast<double*>(s.data);
  c.vt = static_cast<double*>(vt.data);
  return c;
}

Napi::Value svd_result(const Napi::Env& env, const SvdInfo& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("sweeps", r.sweeps);
  o.Set("converged", r.converged);
  return o;
}

struct CholCall {
  int64_t n;
  double* a;
};

CholCall parse_chol(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  CholCall c;
  c.n = int_prop(o, "n", where, 0, kMaxDim);
  Span a = f64(o, "a", where);
  need(env, a, c.n * c.n, where, "a", "n * n");
  c.a = static_cast<double*>(a.data);
  return c;
}

struct TrsmCall {
  bool left, lower, trans;
  int64_t n, nrhs;
  const double* t;
  double* b;
};

TrsmCall parse_trsm(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  TrsmCall c;
  c.n = int_prop(o, "n", where, 0, kMaxDim);
  c.nrhs = int_prop(o, "nrhs", where, 0, kMaxDim);
  c.left = bool_prop(o, "left", where, true);
  c.lower = bool_prop(o, "lower", where, true);
  c.trans = bool_prop(o, "trans", where, false);
  Span t = f64(o, "t", where), b = f64(o, "b", where);
  need(env, t, c.n * c.n, where, "t", "n * n");
  need(env, b, c.n * c.nrhs, where, "b", "n * nrhs");
  disjoint(env, b, {{&t, "t"}}, where, "b");
  c.t = static_cast<const double*>(t.data);
  c.b = static_cast<double*>(b.data);
  return c;
}

struct DgemmCall {
  bool ta, tb;
  int64_t m, n, k;
  double alpha, beta;
  const double *a, *b;
  double* c;
  int threads;
};

DgemmCall parse_dgemm(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  DgemmCall c;
  c.m = int_prop(o, "m", where, 0, kMaxDim);
  c.n = int_prop(o, "n", where, 0, kMaxDim);
  c.k = int_prop(o, "k", where, 0, kMaxDim);
  c.ta = bool_prop(o, "transA", where, false);
  c.tb = bool_prop(o, "transB", where, false);
  c.alpha = number_prop(o, "alpha", where, 1.0);
  c.beta = number_prop(o, "beta", where, 0.0);
  c.threads = static_cast<int>(int_prop(o, "threads", where, 0, 256, 0));
  Span a = f64(o, "a", where), b = f64(o, "b", where), cc = f64(o, "c", where);
  need(env, a, c.m * c.k, where, "a", "m * k");
  need(env, b, c.k * c.n, where, "b", "k * n");
  need(env, cc, c.m * c.n, where, "c", "m * n");
  disjoint(env, cc, {{&a, "a"}, {&b, "b"}}, where, "c");
  c.a = static_cast<const double*>(a.data);
  c.b = static_cast<const double*>(b.data);
  c.c = static_cast<double*>(cc.data);
  return c;
}

void run_dgemm(const DgemmCall& c) {
  dgemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, c.a, c.ta ? c.m : c.k, c.b, c.tb ? c.k : c.n, c.beta, c.c, c.n,
        c.threads);
}

Napi::Object keep(const Napi::CallbackInfo& info) { return info[0].As<Napi::Object>(); }

}  // namespace

Napi::Value qr_sync(const Napi::CallbackInfo& info) {
  QrCall c = parse_qr(info, "qr");
  run_guarded(info.Env(), [&] { run_qr(c); });
  return info.Env().Undefined();
}

Napi::Value qr_async(const Napi::CallbackInfo& info) {
  QrCall c = parse_qr(info, "qrAsync");
  return AsyncJob::Start(info.Env(), "tensorfold.qr", {keep(info)}, [c] { run_qr(c); });
}

Napi::Value svd_sync(const Napi::CallbackInfo& info) {
  SvdCall c = parse_svd(info, "svd");
  SvdInfo r;
  run_guarded(info.Env(), [&] { r = svd(c.m, c.n, c.a, c.u, c.s, c.vt, c.threads); });
  return svd_result(info.Env(), r);
}

Napi::Value svd_async(const Napi::CallbackInfo& info) {
  SvdCall c = parse_svd(info, "svdAsync");
  auto r = std::make_shared<SvdInfo>();
  return AsyncJob::Start(
      info.Env(), "tensorfold.svd", {keep(info)}, [c, r] { *r = svd(c.m, c.n, c.a, c.u, c.s, c.vt, c.threads); },
      [r](Napi::Env env) { return svd_result(env, *r); });
}

Napi::Value cholesky_sync(const Napi::CallbackInfo& info) {
  CholCall c = parse_chol(info, "cholesky");
  int64_t r = -1;
  run_guarded(info.Env(), [&] { r = cholesky(c.n, c.a); });
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}

Napi::Value cholesky_async(const Napi::CallbackInfo& info) {
  CholCall c = parse_chol(info, "choleskyAsync");
  auto r = std::make_shared<int64_t>(-1);
  return AsyncJob::Start(
      info.Env(), "tensorfold.cholesky", {keep(info)}, [c, r] { *r = cholesky(c.n, c.a); },
      [r](Napi::Env env) { return Napi::Number::New(env, static_cast<double>(*r)); });
}

Napi::Value trsm_sync(const Napi::CallbackInfo& info) {
  TrsmCall c = parse_trsm(info, "trsm");
  bool ok = true;
  run_guarded(info.Env(), [&] { ok = trsm(c.left, c.lower, c.trans, c.n, c.nrhs, c.t, c.b); });
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Value trsm_async(const Napi::CallbackInfo& info) {
  TrsmCall c = parse_trsm(info, "trsmAsync");
  auto ok = std::make_shared<bool>(true);
  return AsyncJob::Start(
      info.Env(), "tensorfold.trsm", {keep(info)}, [c, ok] { *ok = trsm(c.left, c.lower, c.trans, c.n, c.nrhs, c.t, c.b); },
      [ok](Napi::Env env) { return Napi::Boolean::New(env, *ok); });
}

Napi::Value dgemm_sync(const Napi::CallbackInfo& info) {
  DgemmCall c = parse_dgemm(info, "dgemm");
  run_guarded(info.Env(), [&] { run_dgemm(c); });
  return info.Env().Undefined();
}

Napi::Value dgemm_async(const Napi::CallbackInfo& info) {
  DgemmCall c = parse_dgemm(info, "dgemmAsync");
  return AsyncJob::Start(info.Env(), "tensorfold.dgemm", {keep(info)}, [c] { run_dgemm(c); });
}

}  // namespace addon
}  // namespace tensorfold
