#include "hash_binding.h"

#include <algorithm>
#include <string>
#include <utility>

#include "../kernels/hash/hash_attention.h"
#include "args.h"
#include "async_job.h"

namespace tensorfold {
namespace addon {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;

template <typename T>
struct Span {
  T* data = nullptr;
  int64_t length = 0;
};

template <typename T>
Span<T> typed_prop(const Napi::Object& o, const char* key, napi_typedarray_type type, const char* type_name,
                   const std::string& where) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw_type(env, where + ": " + key + " must be a " + type_name);
  Napi::TypedArray arr = v.As<Napi::TypedArray>();
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, arr.ArrayBuffer(), &detached) != napi_ok || detached)
    throw_type(env, where + ": " + key + " is backed by a detached ArrayBuffer");
  Span<T> s;
  s.data = reinterpret_cast<T*>(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset());
  s.length = static_cast<int64_t>(arr.ElementLength());
  return s;
}

Span<float> f32(const Napi::Object& o, const char* key, const std::string& where) {
  return typed_prop<float>(o, key, napi_float32_array, "Float32Array", where);
}
Span<uint64_t> u64(const Napi::Object& o, const char* key, const std::string& where) {
  return typed_prop<uint64_t>(o, key, napi_biguint64_array, "BigUint64Array", where);
}

bool has(const Napi::Object& o, const char* key) { return !o.Get(key).IsUndefined() && !o.Get(key).IsNull(); }

// [batch, head, token] strides of a [batch, heads, seq, dim] operand.
HeadLayout layout_prop(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  const std::string name = where + ": " + key;
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3)
    throw_type(env, name + " must be an array of 3 strides [batch, head, token]");
  Napi::Array a = v.As<Napi::Array>();
  HeadLayout l;
  l.batch = int_value(env, a.Get(0u), name + "[0]", 0, int64_t{1} << 50);
  l.head = int_value(env, a.Get(1u), name + "[1]", 0, int64_t{1} << 50);
  l.token = int_value(env, a.Get(2u), name + "[2]", 0, int64_t{1} << 50);
  return l;
}

// Largest element offset of a [batch, heads, seq, dim] view (-1 when empty),
// in 128 bits so absurd strides fail the bounds check instead of wrapping.
int64_t view_extent(const Napi::Env& env, const HeadLayout& l, int64_t batch, int64_t heads, int64_t seq,
                    int64_t dim, const std::string& what) {
  if (batch == 0 || heads == 0 || seq == 0 || dim == 0) return -1;
  __int128 e = static_cast<__int128>(batch - 1) * l.batch + static_cast<__int128>(heads - 1) * l.head +
               static_cast<__int128>(seq - 1) * l.token + (dim - 1);
  if (e >= (static_cast<__int128>(1) << 62)) throw_range(env, what + " is too large");
  return static_cast<int64_t>(e);
}

template <typename T>
void check_view(const Napi::Env& env, const Span<T>& s, const HeadLayout& l, int64_t batch, int64_t heads,
                int64_t seq, int64_t dim, const std::string& what) {
  const int64_t e = view_extent(env, l, batch, heads, seq, dim, what);
  if (e >= s.length)
    throw_range(env, what + " needs elements up to index " + std::to_string(e) + " but its array has " +
                         std::to_string(s.length));
}

// An output view must not write one element twice: with the dims of size > 1
// ordered by stride, each stride must clear everything nested inside it.
void check_no_self_overlap(const Napi::Env& env, const HeadLayout& l, int64_t batch, int64_t heads,
                           int64_t seq, int64_t dim, const std::string& what) {
  std::pair<int64_t, int64_t> dims[3] = {{l.token, seq}, {l.head, heads}, {l.batch, batch}};
  std::sort(dims, dims + 3);
  __int128 span = dim;
  for (const auto& d : dims) {
    if (d.second <= 1) continue;
    if (d.first < span) throw_range(env, what + " strides make rows overlap");
    span = static_cast<__int128>(d.first) * (d.second - 1) + span;
  }
}

void check_disjoint_bytes(const Napi::Env& env, const void* out, int64_t out_bytes, const void* in,
                          int64_t in_bytes, const std::string& what) {
  if (out_bytes <= 0 || in_bytes <= 0) return;
  auto o0 = reinterpret_cast<uintptr_t>(out), i0 = reinterpret_cast<uintptr_t>(in);
  if (o0 < i0 + in_bytes && i0 < o0 + out_bytes) throw_range(env, what);
}

// Codes of `count` tokens: length, and no bit set past `bits`.
void check_codes(const Napi::Env& env, const Span<uint64_t>& c, int64_t count, int bits, const std::string& what) {
  const int words = hash_words(bits);
  if (c.length < count * words)
    throw_range(env, what + " has " + std::to_string(c.length) + " words but needs " +
                         std::to_string(count * words) + " (" + std::to_string(words) + " per code)");
  if (bits % 64 == 0) return;
  const uint64_t pad = ~((uint64_t{1} << (bits % 64)) - 1);
  for (int64_t i = 0; i < count; ++i)
    if (c.data[i * words + words - 1] & pad)
      throw_range(env, what + ": code " + std::to_string(i) + " has bits set past bit " + std::to_string(bits - 1));
}

int bits_prop(const Napi::Object& o, const std::string& where) {
  return static_cast<int>(int_prop(o, "bits", where, 1, kMaxHashBits));
}

int threads_prop(const Napi::Object& o, const std::string& where) {
  return static_cast<int>(int_prop(o, "threads", where, 0, 1 << 16, 0));
}

// ---- hashCodes ---------------------------------------------------------------

struct CodesCall {
  HashCodesArgs a;
  int threads = 0;
};

CodesCall parse_codes(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  CodesCall c;
  HashCodesArgs& a = c.a;
  a.batch = int_prop(o, "batch", where, 0, kMaxDim);
  a.heads = int_prop(o, "heads", where, 0, kMaxDim);
  a.seq = int_prop(o, "seq", where, 0, kMaxDim);
  const int64_t dim = int_prop(o, "dim", where, 1, kMaxDim);
  c.threads = threads_prop(o, where);
  Span<float> x = f32(o, "x", where);
  a.lx = layout_prop(o, "xStrides", where);
  check_view(env, x, a.lx, a.batch, a.heads, a.seq, dim, where + ": x");
  a.x = x.data;

  if (!o.Get("fn").IsObject()) throw_type(env, where + ": fn must be a hash function object");
  Napi::Object fo = o.Get("fn").As<Napi::Object>();
  const std::string fw = where + ": fn";
  HashParams& f = a.fn;
  const std::string kind = string_prop(fo, "kind", fw);
  f.bits = bits_prop(fo, fw);
  f.dim = int_prop(fo, "dim", fw, 1, kMaxDim);
  f.heads = int_prop(fo, "heads", fw, 1, kMaxDim);
  if (f.dim != dim) throw_range(env, fw + ".dim is " + std::to_string(f.dim) + " but x has dim " + std::to_string(dim));
  if (f.heads != 1 && f.heads != a.heads)
    throw_range(env, fw + ".heads is " + std::to_string(f.heads) + ": it must be 1 or the " +
                         std::to_string(a.heads) + " heads of x");
  auto need = [&](const char* key, int64_t n) {
    Span<float> s = f32(fo, key, fw);
    if (s.length < n)
      throw_range(env, fw + "." + key + " has " + std::to_string(s.length) + " elements but needs " + std::to_string(n));
    return s.data;
  };
  if (kind == "simhash") {
    f.kind = HashKind::kSimhash;
    f.planes = need("planes", f.heads * f.dim * f.bits);
  } else if (kind == "kernel") {
    f.kind = HashKind::kKernel;
    f.anchors = int_prop(fo, "anchors", fw, 2, kMaxDim);
    f.centers = need("centers", f.heads * f.anchors * f.dim);
    f.weights = need("weights", f.heads * f.bits * f.anchors);
    f.mean = need("mean", f.heads * f.anchors);
    f.gamma = need("gamma", f.heads);
    for (int64_t h = 0; h < f.heads; ++h)
      if (!(f.gamma[h] > 0 && f.gamma[h] < 1e30f)) throw_range(env, fw + ".gamma must be positive and finite");
    f.normalize = bool_prop(fo, "normalize", fw, false);
  } else {
    throw_range(env, fw + ".kind must be 'simhash' or 'kernel', got '" + kind + "'");
  }
  Span<uint64_t> codes = u64(o, "codes", where);
  const int64_t need_words = a.batch * a.heads * a.seq * hash_words(f.bits);
  if (codes.length < need_words)
    throw_range(env, where + ": codes has " + std::to_string(codes.length) + " words but needs " + std::to_string(need_words));
  check_disjoint_bytes(env, codes.data, need_words * 8, x.data, (view_extent(env, a.lx, a.batch, a.heads, a.seq, dim, "x") + 1) * 4,
                       where + ": codes overlaps x");
  a.codes = codes.data;
  return c;
}

// ---- hashLinear / hashHamming ----------------------------------------------------

struct AttnShape {
  int64_t batch, heads, nq, nk, dim;
  int bits;
};

// Codes, v and out of a linear or Hamming call, all checked.
struct CodeAttnCall {
  AttnShape s;
  const uint64_t* q = nullptr;
  const uint64_t* k = nullptr;
  const float* v = nullptr;
  HeadLayout lv, lo;
  float* out = nullptr;
  bool causal = false;
  int threads = 0;
};

CodeAttnCall parse_code_attn(const Napi::Object& o, const std::string& where) {
  Napi::Env env = o.Env();
  CodeAttnCall c;
  AttnShape& s = c.s;
  s.batch = int_prop(o, "batch", where, 0, kMaxDim);
  s.heads = int_prop(o, "heads", where, 0, kMaxDim);
  s.nq = int_prop(o, "nq", where, 0, kMaxDim);
  s.nk = int_prop(o, "nk", where, 0, kMaxDim);
  s.dim = int_prop(o, "dim", where, 0, kMaxDim);
  s.bits = bits_prop(o, where);
  c.causal = bool_prop(o, "causal", where, false);
  c.threads = threads_prop(o, where);
  if (c.causal && s.nq != s.nk)
    throw_range(env, where + ": causal attention needs as many queries as keys, got nq = " + std::to_string(s.nq) +
                         " and nk = " + std::to_string(s.nk));
  Span<uint64_t> q = u64(o, "qCodes", where), k = u64(o, "kCodes", where);
  check_codes(env, q, s.batch * s.heads * s.nq, s.bits, where + ": qCodes");
  check_codes(env, k, s.batch * s.heads * s.nk, s.bits, where + ": kCodes");
  Span<float> v = f32(o, "v", where), out = f32(o, "out", where);
  c.lv = layout_prop(o, "vStrides", where);
  c.lo = layout_prop(o, "outStrides", where);
  check_view(env, v, c.lv, s.batch, s.heads, s.nk, s.dim, where + ": v");
  check_view(env, out, c.lo, s.batch, s.heads, s.nq, s.dim, where + ": out");
  check_no_self_overlap(env, c.lo, s.batch, s.heads, s.nq, s.dim, where + ": out");
  const int64_t out_bytes = (view_extent(env, c.lo, s.batch, s.heads, s.nq, s.dim, "out") + 1) * 4;
  check_disjoint_bytes(env, out.data, out_bytes, v.data, (view_extent(env, c.lv, s.batch, s.heads, s.nk, s.dim, "v") + 1) * 4,
                       where + ": out overlaps v");
  const int words = hash_words(s.bits);
  check_disjoint_bytes(env, out.data, out_bytes, q.data, s.batch * s.heads * s.nq * words * 8, where + ": out overlaps qCodes");
  check_disjoint_bytes(env, out.data, out_bytes, k.data, s.batch * s.heads * s.nk * words * 8, where + ": out overlaps kCodes");
  c.q = q.data;
  c.k = k.data;
  c.v = v.data;
  c.out = out.data;
  return c;
}

struct LinearCall {
  LinearAttentionArgs a;
  int threads = 0;
};

LinearCall parse_linear(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Object o = object_arg(info, 0, where);
  CodeAttnCall c = parse_code_attn(o, where);
  LinearCall l;
  LinearAttentionArgs& a = l.a;
  a.batch = c.s.batch;
  a.heads = c.s.heads;
  a.nq = c.s.nq;
  a.nk = c.s.nk;
  a.dim = c.s.dim;
  a.bits = c.s.bits;
  a.qcodes = c.q;
  a.kcodes = c.k;
  a.v = c.v;
  a.lv = c.lv;
  a.out = c.out;
  a.lo = c.lo;
  a.causal = c.causal;
  a.variant = static_cast<LinearVariant>(int_prop(o, "variant", where, 0, 1, 0));
  if (a.variant == LinearVariant::kEcoformer && a.nq != a.nk)
    throw_range(info.Env(), where + ": variant 'ecoformer' adds each query's own value, so it needs nq == nk");
  l.threads = c.threads;
  return l;
}

struct HammingCall {
  HammingAttentionArgs a;
  int threads = 0;
};

HammingCall parse_hamming(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Object o = object_arg(info, 0, where);
  CodeAttnCall c = parse_code_attn(o, where);
  HammingCall h;
  HammingAttentionArgs& a = h.a;
  a.batch = c.s.batch;
  a.heads = c.s.heads;
  a.nq = c.s.nq;
  a.nk = c.s.nk;
  a.dim = c.s.dim;
  a.bits = c.s.bits;
  a.qcodes = c.q;
  a.kcodes = c.k;
  a.v = c.v;
  a.lv = c.lv;
  a.out = c.out;
  a.lo = c.lo;
  a.causal = c.causal;
  const double scale = number_prop(o, "scale", where, 1.0);
  if (scale < 0 || scale > 1e6) throw_range(info.Env(), where + ": scale must be in [0, 1e6]");
  a.scale = static_cast<float>(scale);
  a.topk = int_prop(o, "topk", where, 0, kMaxDim, 0);
  a.portable_popcount = bool_prop(o, "portablePopcount", where, false);
  h.threads = c.threads;
  return h;
}

// ---- hashState -----------------------------------------------------------------

struct StateCall {
  LinearStateArgs a;
  int threads = 0;
};

StateCall parse_state(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  StateCall c;
  LinearStateArgs& a = c.a;
  const int64_t batch = int_prop(o, "batch", where, 0, kMaxDim);
  a.heads = int_prop(o, "heads", where, 0, kMaxDim);
  a.units = batch * a.heads;
  a.dim = int_prop(o, "dim", where, 0, kMaxDim);
  a.n = int_prop(o, "n", where, 0, kMaxDim);
  a.bits = bits_prop(o, where);
  a.variant = static_cast<LinearVariant>(int_prop(o, "variant", where, 0, 1, 0));
  c.threads = threads_prop(o, where);
  Span<float> p = f32(o, "p", where), vs = f32(o, "vsum", where), ws = f32(o, "wsum", where);
  Span<int32_t> counts = typed_prop<int32_t>(o, "counts", napi_int32_array, "Int32Array", where);
  Span<double> length = typed_prop<double>(o, "length", napi_float64_array, "Float64Array", where);
  auto need = [&](int64_t have, int64_t want, const char* key) {
    if (have < want)
      throw_range(env, where + ": " + key + " has " + std::to_string(have) + " elements but needs " + std::to_string(want));
  };
  need(p.length, a.units * a.bits * a.dim, "p");
  need(vs.length, a.units * a.dim, "vsum");
  need(ws.length, a.units * a.dim, "wsum");
  need(counts.length, a.units * a.bits, "counts");
  need(length.length, a.units, "length");
  for (int64_t u = 0; u < a.units; ++u)
    if (!(length.data[u] >= 0 && length.data[u] < 2147483647.0 && length.data[u] == static_cast<int64_t>(length.data[u])))
      throw_range(env, where + ": length[" + std::to_string(u) + "] must be a count of tokens");
  a.p = p.data;
  a.vsum = vs.data;
  a.wsum = ws.data;
  a.counts = counts.data;
  a.length = length.data;
  const bool append = has(o, "kCodes"), attend = has(o, "qCodes");
  if (a.variant == LinearVariant::kEcoformer && attend && !append)
    throw_range(env, where + ": variant 'ecoformer' needs the query's own token, so it cannot attend without appending");
  Span<float> v, out;
  if (append) {
    Span<uint64_t> k = u64(o, "kCodes", where);
    check_codes(env, k, a.units * a.n, a.bits, where + ": kCodes");
    a.kcodes = k.data;
    v = f32(o, "v", where);
    a.lv = layout_prop(o, "vStrides", where);
    check_view(env, v, a.lv, batch, a.heads, a.n, a.dim, where + ": v");
    a.v = v.data;
  }
  if (attend) {
    Span<uint64_t> q = u64(o, "qCodes", where);
    check_codes(env, q, a.units * a.n, a.bits, where + ": qCodes");
    a.qcodes = q.data;
    out = f32(o, "out", where);
    a.lo = layout_prop(o, "outStrides", where);
    check_view(env, out, a.lo, batch, a.heads, a.n, a.dim, where + ": out");
    check_no_self_overlap(env, a.lo, batch, a.heads, a.n, a.dim, where + ": out");
    a.out = out.data;
    const int64_t ob = (view_extent(env, a.lo, batch, a.heads, a.n, a.dim, "out") + 1) * 4;
    if (append)
      check_disjoint_bytes(env, out.data, ob, v.data, (view_extent(env, a.lv, batch, a.heads, a.n, a.dim, "v") + 1) * 4,
                           where + ": out overlaps v");
    const std::pair<const void*, int64_t> state[] = {{p.data, a.units * a.bits * a.dim * 4},
                                                     {vs.data, a.units * a.dim * 4},
                                                     {ws.data, a.units * a.dim * 4}};
    for (const auto& st : state) check_disjoint_bytes(env, out.data, ob, st.first, st.second, where + ": out overlaps the state");
  }
  // The state arrays are written: none may alias another or an input.
  const std::pair<const void*, int64_t> arrays[] = {{p.data, a.units * a.bits * a.dim * 4},
                                                    {vs.data, a.units * a.dim * 4},
                                                    {ws.data, a.units * a.dim * 4},
                                                    {counts.data, a.units * a.bits * 4},
                                                    {length.data, a.units * 8}};
  for (int i = 0; i < 5; ++i)
    for (int j = i + 1; j < 5; ++j)
      check_disjoint_bytes(env, arrays[i].first, arrays[i].second, arrays[j].first, arrays[j].second,
                           where + ": state arrays overlap");
  if (append)
    for (const auto& st : arrays)
      check_disjoint_bytes(env, st.first, st.second, v.data,
                           (view_extent(env, a.lv, batch, a.heads, a.n, a.dim, "v") + 1) * 4, where + ": v overlaps the state");
  return c;
}

// ---- softmaxAttention --------------------------------------------------------------

struct SoftmaxCall {
  SoftmaxAttentionArgs a;
  int threads = 0;
};

SoftmaxCall parse_softmax(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  SoftmaxCall c;
  SoftmaxAttentionArgs& a = c.a;
  a.batch = int_prop(o, "batch", where, 0, kMaxDim);
  a.heads = int_prop(o, "heads", where, 0, kMaxDim);
  a.nq = int_prop(o, "nq", where, 0, kMaxDim);
  a.nk = int_prop(o, "nk", where, 0, kMaxDim);
  a.dim = int_prop(o, "dim", where, 0, kMaxDim);
  a.dim_v = int_prop(o, "dimV", where, 0, kMaxDim);
  a.causal = bool_prop(o, "causal", where, false);
  a.scale = static_cast<float>(number_prop(o, "scale", where, 1.0));
  c.threads = threads_prop(o, where);
  if (a.causal && a.nq != a.nk)
    throw_range(env, where + ": causal attention needs as many queries as keys, got nq = " + std::to_string(a.nq) +
                         " and nk = " + std::to_string(a.nk));
  Span<float> q = f32(o, "q", where), k = f32(o, "k", where), v = f32(o, "v", where), out = f32(o, "out", where);
  a.lq = layout_prop(o, "qStrides", where);
  a.lk = layout_prop(o, "kStrides", where);
  a.lv = layout_prop(o, "vStrides", where);
  a.lo = layout_prop(o, "outStrides", where);
  check_view(env, q, a.lq, a.batch, a.heads, a.nq, a.dim, where + ": q");
  check_view(env, k, a.lk, a.batch, a.heads, a.nk, a.dim, where + ": k");
  check_view(env, v, a.lv, a.batch, a.heads, a.nk, a.dim_v, where + ": v");
  check_view(env, out, a.lo, a.batch, a.heads, a.nq, a.dim_v, where + ": out");
  check_no_self_overlap(env, a.lo, a.batch, a.heads, a.nq, a.dim_v, where + ": out");
  const int64_t ob = (view_extent(env, a.lo, a.batch, a.heads, a.nq, a.dim_v, "out") + 1) * 4;
  check_disjoint_bytes(env, out.data, ob, q.data, (view_extent(env, a.lq, a.batch, a.heads, a.nq, a.dim, "q") + 1) * 4,
                       where + ": out overlaps q");
  check_disjoint_bytes(env, out.data, ob, k.data, (view_extent(env, a.lk, a.batch, a.heads, a.nk, a.dim, "k") + 1) * 4,
                       where + ": out overlaps k");
  check_disjoint_bytes(env, out.data, ob, v.data, (view_extent(env, a.lv, a.batch, a.heads, a.nk, a.dim_v, "v") + 1) * 4,
                       where + ": out overlaps v");
  a.q = q.data;
  a.k = k.data;
  a.v = v.data;
  a.out = out.data;
  return c;
}

}  // namespace

Napi::Value hash_codes_sync(const Napi::CallbackInfo& info) {
  CodesCall c = parse_codes(info, "hashCodes");
  int64_t bad = -1;
  run_guarded(info.Env(), [&] { bad = hash_codes(c.a, c.threads); });
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}

Napi::Value hash_codes_async(const Napi::CallbackInfo& info) {
  CodesCall c = parse_codes(info, "hashCodesAsync");
  auto bad = std::make_shared<int64_t>(-1);
  return AsyncJob::Start(
      info.Env(), "tensorfold.hashCodes", {info[0].As<Napi::Object>()}, [c, bad] { *bad = hash_codes(c.a, c.threads); },
      [bad](Napi::Env e) -> Napi::Value { return Napi::Number::New(e, static_cast<double>(*bad)); });
}

Napi::Value hash_linear_sync(const Napi::CallbackInfo& info) {
  LinearCall c = parse_linear(info, "hashLinear");
  run_guarded(info.Env(), [&] { linear_hash_attention(c.a, c.threads); });
  return info.Env().Undefined();
}

Napi::Value hash_linear_async(const Napi::CallbackInfo& info) {
  LinearCall c = parse_linear(info, "hashLinearAsync");
  return AsyncJob::Start(info.Env(), "tensorfold.hashLinear", {info[0].As<Napi::Object>()},
                         [c] { linear_hash_attention(c.a, c.threads); });
}

Napi::Value hash_hamming_sync(const Napi::CallbackInfo& info) {
  HammingCall c = parse_hamming(info, "hashHamming");
  run_guarded(info.Env(), [&] { hamming_attention(c.a, c.threads); });
  return info.Env().Undefined();
}

Napi::Value hash_hamming_async(const Napi::CallbackInfo& info) {
  HammingCall c = parse_hamming(info, "hashHammingAsync");
  return AsyncJob::Start(info.Env(), "tensorfold.hashHamming", {info[0].As<Napi::Object>()},
                         [c] { hamming_attention(c.a, c.threads); });
}

Napi::Value hash_state_sync(const Napi::CallbackInfo& info) {
  StateCall c = parse_state(info, "hashState");
  run_guarded(info.Env(), [&] { linear_hash_state_step(c.a, c.threads); });
  return info.Env().Undefined();
}

Napi::Value hash_state_async(const Napi::CallbackInfo& info) {
  StateCall c = parse_state(info, "hashStateAsync");
  return AsyncJob::Start(info.Env(), "tensorfold.hashState", {info[0].As<Napi::Object>()},
                         [c] { linear_hash_state_step(c.a, c.threads); });
}

Napi::Value softmax_attention_sync(const Napi::CallbackInfo& info) {
  SoftmaxCall c = parse_softmax(info, "softmaxAttention");
  run_guarded(info.Env(), [&] { softmax_attention(c.a, c.threads); });
  return info.Env().Undefined();
}

Napi::Value softmax_attention_async(const Napi::CallbackInfo& info) {
  SoftmaxCall c = parse_softmax(info, "softmaxAttentionAsync");
  return AsyncJob::Start(info.Env(), "tensorfold.softmaxAttention", {info[0].As<Napi::Object>()},
                         [c] { softmax_attention(c.a, c.threads); });
}

Napi::Value hash_distances(const Napi::CallbackInfo& info) {
  const std::string where = "hashDistances";
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  const int64_t units = int_prop(o, "units", where, 0, kMaxDim);
  const int64_t nq = int_prop(o, "nq", where, 0, kMaxDim), nk = int_prop(o, "nk", where, 0, kMaxDim);
  const int bits = bits_prop(o, where);
  const bool portable = bool_prop(o, "portablePopcount", where, false);
  const int threads = threads_prop(o, where);
  Span<uint64_t> q = u64(o, "qCodes", where), k = u64(o, "kCodes", where);
  check_codes(env, q, units * nq, bits, where + ": qCodes");
  check_codes(env, k, units * nk, bits, where + ": kCodes");
  Span<int32_t> d = typed_prop<int32_t>(o, "dist", napi_int32_array, "Int32Array", where);
  if (d.length < units * nq * nk)
    throw_range(env, where + ": dist has " + std::to_string(d.length) + " elements but needs " + std::to_string(units * nq * nk));
  run_guarded(env, [&] { hamming_distances(active_tier(), units, nq, nk, bits, q.data, k.data, d.data, portable, threads); });
  return Napi::String::New(env, hash_popcount_name(active_tier(), portable));
}

}  // namespace addon
}  // namespace tensorfold
