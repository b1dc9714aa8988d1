// Bindings of the factorized-layer chain. chainCreate checks every step once,
// for a block of any size: each operand's reach is an affine function of the
// block's token count T, so checking it at T = 1 and its growth per token
// covers every T. Outputs go to Y or scratch only, never to an operand of the
// same step, and no two output positions share an element outside summed dims.
#include "factorized_binding.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../kernels/factorized/chain.h"
#include "../kernels/factorized/small_n.h"
#include "../kernels/gemm/gemm_pack.h"
#include "args.h"
#include "async_job.h"

namespace tensorfold {
namespace addon {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 40;
constexpr size_t kMaxSteps = 256;
constexpr size_t kMaxRank = 32;
const napi_type_tag kChainTag = {0x5c2e9a71d04b3f86ull, 0xe17b4d2a93c6058full};

const Chain* chain_arg(const Napi::Value& v, const std::string& what) {
  bool ok = false;
  if (v.IsExternal()) napi_check_object_type_tag(v.Env(), v, &kChainTag, &ok);
  if (!ok) throw_type(v.Env(), what + " must be a chain made by chainCreate");
  return v.As<Napi::External<Chain>>().Data();
}

// A dim of an access: its extent (T when `token`) and element stride.
struct Dim {
  int64_t size;
  bool token;
  int64_t stride;
};

int64_t extent_at(const Dim& d, int64_t t) { return d.token ? d.size * t : d.size; }

// Largest element offset the dims reach for a block of t tokens, or -1 when
// an extent is 0 (nothing is touched).
__int128 reach(const std::vector<Dim>& dims, int64_t t) {
  __int128 r = 0;
  for (const Dim& d : dims) {
    const int64_t e = extent_at(d, t);
    if (e == 0) return -1;
    r += static_cast<__int128>(e - 1) * d.stride;
  }
  return r;
}

std::vector<int64_t> ints(const Napi::Object& o, const char* key, const std::string& w, size_t max_len) {
  return int_array_prop(o, key, w, max_len, kMaxDim);
}

class Parser {
 public:
  Parser(Napi::Env env, Chain& ch) : env_(env), ch_(ch) {}

  ChainRef ref(const Napi::Value& v, const std::string& w) {
    if (!v.IsObject() || v.IsArray()) throw_type(env_, w + " must be an object { buf, offset, weight? }");
    Napi::Object o = v.As<Napi::Object>();
    ChainRef r;
    const std::string buf = string_prop(o, "buf", w);
    if (buf == "x") r.buf = ChainBuf::kX;
    else if (buf == "y") r.buf = ChainBuf::kY;
    else if (buf == "s0") r.buf = ChainBuf::kS0;
    else if (buf == "s1") r.buf = ChainBuf::kS1;
    else if (buf == "w") {
      r.buf = ChainBuf::kWeight;
      r.weight = static_cast<int>(int_prop(o, "weight", w, 0, static_cast<int64_t>(ch_.weights.size()) - 1));
    } else {
      throw_range(env_, w + ".buf must be 'x', 'y', 's0', 's1' or 'w', got '" + buf + "'");
    }
    r.offset = int_prop(o, "offset", w, 0, kMaxDim, 0);
    return r;
  }

  // The access stays inside its buffer for every block size.
  void check_reach(const ChainRef& r, const std::vector<Dim>& dims, const std::string& w) {
    const __int128 r1 = reach(dims, 1), r2 = reach(dims, 2);
    if (r1 < 0 || r2 < 0) return;
    if (r.buf == ChainBuf::kWeight) {
      if (r2 != r1) throw_range(env_, w + " moves along tokens but is a weight");
      if (r.offset + r1 >= static_cast<__int128>(ch_.weights[r.weight].size()))
        throw_range(env_, w + " reaches element " + std::to_string(static_cast<int64_t>(r.offset + r1)) + " of weight " +
                              std::to_string(r.weight) + ", which has " + std::to_string(ch_.weights[r.weight].size()));
      return;
    }
    const int64_t per = ch_.per_token(r.buf);
    if (r.offset + r1 >= per || r2 - r1 > per)
      throw_range(env_, w + " reaches outside its buffer (" + std::to_string(per) + " elements per token)");
  }

  // No two positions of `dims` (summed ones excepted: stride 0 when `summed`
  // is allowed) may share an element, for any block size.
  void check_distinct(std::vector<Dim> dims, bool allow_summed, const std::string& w) {
    std::vector<std::pair<int64_t, int64_t>> sd;
    for (const Dim& d : dims) {
      const int64_t e = extent_at(d, 2);
      if (e <= 1) continue;
      if (d.stride == 0) {
        if (allow_summed) continue;
        throw_range(env_, w + " writes one element from several positions");
      }
      sd.push_back({d.stride, e});
    }
    std::sort(sd.begin(), sd.end());
    __int128 inner = 0;
    for (auto& [stride, size] : sd) {
      if (stride <= inner) throw_range(env_, w + " writes one element from several positions");
      inner += static_cast<__int128>(size - 1) * stride;
    }
  }

  void check_output(const ChainRef& out, const std::vector<ChainRef>& ins, const std::string& w) {
    if (out.buf != ChainBuf::kY && out.buf != ChainBuf::kS0 && out.buf != ChainBuf::kS1)
      throw_range(env_, w + " must write to 'y', 's0' or 's1'");
    for (const ChainRef& in : ins)
      if (in.buf == out.buf) throw_range(env_, w + " reads the buffer it writes");
  }

  ChainStep gemm(const Napi::Object& o, const std::string& w) {
    ChainStep st;
    st.kind = ChainStep::Kind::kGemm;
    st.m = int_prop(o, "m", w, 0, kMaxDim);
    st.n = int_prop(o, "n", w, 0, kMaxDim);
    st.k = int_prop(o, "k", w, 0, kMaxDim);
    st.m_token = bool_prop(o, "mToken", w, false);
    st.rs_a = int_prop(o, "rsA", w, 0, kMaxDim);
    st.cs_a = int_prop(o, "csA", w, 0, kMaxDim);
    st.rs_b = int_prop(o, "rsB", w, 0, kMaxDim);
    st.cs_b = int_prop(o, "csB", w, 0, kMaxDim);
    st.rs_c = int_prop(o, "rsC", w, 0, kMaxDim);
    st.a = ref(o.Get("a"), w + ".a");
    st.b = ref(o.Get("b"), w + ".b");
    st.c = ref(o.Get("c"), w + ".c");
    Napi::Value lv = o.Get("loops");
    if (!lv.IsUndefined()) {
      if (!lv.IsArray()) throw_type(env_, w + ".loops must be an array");
      Napi::Array arr = lv.As<Napi::Array>();
      if (arr.Length() > kMaxRank) throw_range(env_, w + ".loops has too many entries");
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        const std::string lw = w + ".loops[" + std::to_string(i) + "]";
        if (!arr.Get(i).IsObject()) throw_type(env_, lw + " must be an object");
        Napi::Object lo = arr.Get(i).As<Napi::Object>();
        ChainLoop l;
        l.token = bool_prop(lo, "token", lw, false);
        l.size = l.token ? 1 : int_prop(lo, "size", lw, 0, kMaxDim);
        l.sa = int_prop(lo, "sa", lw, 0, kMaxDim, 0);
        l.sb = int_prop(lo, "sb", lw, 0, kMaxDim, 0);
        l.sc = int_prop(lo, "sc", lw, 0, kMaxDim, 0);
        st.loops.push_back(l);
      }
    }
    int tokens = st.m_token ? 1 : 0;
    for (const ChainLoop& l : st.loops) tokens += l.token ? 1 : 0;
    if (tokens > 1) throw_range(env_, w + " has more than one token dim");
    std::vector<Dim> da = {{st.m, st.m_token, st.rs_a}, {st.k, false, st.cs_a}};
    std::vector<Dim> db = {{st.k, false, st.rs_b}, {st.n, false, st.cs_b}};
    std::vector<Dim> dc = {{st.m, st.m_token, st.rs_c}, {st.n, false, 1}};
    for (const ChainLoop& l : st.loops) {
      da.push_back({l.size, l.token, l.sa});
      db.push_back({l.size, l.token, l.sb});
      dc.push_back({l.size, l.token, l.sc});
    }
    check_output(st.c, {st.a, st.b}, w + ".c");
    check_reach(st.a, da, w + ".a");
    check_reach(st.b, db, w + ".b");
    check_reach(st.c, dc, w + ".c");
    check_distinct(dc, false, w + ".c");
    const bool b_moves = std::any_of(st.loops.begin(), st.loops.end(), [](const ChainLoop& l) { return l.sb != 0; });
    if (bool_prop(o, "narrow", w, false)) {
      // small_n_gemm: B a weight that no loop moves, at most one loop.
      if (st.b.buf != ChainBuf::kWeight || b_moves || st.loops.size() > 1)
        throw_range(env_, w + ": a narrow GEMM needs B to be a weight and at most one loop, which must not move B");
      const float* base = ch_.weights[st.b.weight].data() + st.b.offset;
      const int64_t ldw = small_n_ldw(st.n);
      std::vector<float> padded(static_cast<size_t>(st.k * ldw), 0.0f);
      for (int64_t p = 0; p < st.k; ++p)
        for (int64_t j = 0; j < st.n; ++j) padded[p * ldw + j] = base[p * st.rs_b + j * st.cs_b];
      ch_.narrow.push_back(std::move(padded));
      st.narrow = static_cast<int>(ch_.narrow.size()) - 1;
      return st;
    }
    if (bool_prop(o, "weightLeft", w, false)) {
      // A a weight that no loop moves; one loop, over tokens; B read in place by rows.
      const bool a_moves = std::any_of(st.loops.begin(), st.loops.end(), [](const ChainLoop& l) { return l.sa != 0; });
      if (st.a.buf != ChainBuf::kWeight || a_moves || st.loops.size() != 1 || !st.loops[0].token || st.m_token ||
          st.cs_b != 1 || st.k == 0)
        throw_range(env_, w + ": a weight-left GEMM needs A to be a weight, one loop over tokens that does not move A, "
                              "B with unit column stride and k > 0");
      const IsaTier tier = active_tier();
      const int mr = gemm_kernel_info(tier).mr;
      std::vector<float> panels(static_cast<size_t>((st.m + mr - 1) / mr * mr * st.k));
      pack_a_panels(ch_.weights[st.a.weight].data() + st.a.offset, st.rs_a, st.cs_a, mr, 0, st.m, 0, st.k,
                    panels.data());
      if (!ch_.weight_left.empty() && ch_.weight_left_tier != tier)
        throw_range(env_, w + ": the ISA tier changed while the chain was made");
      ch_.weight_left_tier = tier;
      ch_.weight_left.push_back(std::move(panels));
      st.weight_left = static_cast<int>(ch_.weight_left.size()) - 1;
      return st;
    }
    if (bool_prop(o, "pack", w, false) && st.b.buf == ChainBuf::kWeight && !b_moves && st.k > 0 && st.n > 0) {
      const float* base = ch_.weights[st.b.weight].data() + st.b.offset;
      ch_.packed.emplace_back(gemm_pack_b(active_tier(), base, st.rs_b, st.cs_b, st.k, st.n, 0));
      st.packed = static_cast<int>(ch_.packed.size()) - 1;
    }
    return st;
  }

  ChainStep nest(const Napi::Object& o, const std::string& w, bool permute) {
    ChainStep st;
    st.kind = permute ? ChainStep::Kind::kPermute : ChainStep::Kind::kSumProduct;
    st.shape = ints(o, "shape", w, kMaxRank);
    st.token_dim = static_cast<int>(int_prop(o, "tokenDim", w, -1, static_cast<int64_t>(st.shape.size()) - 1, -1));
    if (st.token_dim >= 0) st.shape[st.token_dim] = 1;
    Napi::Value iv = o.Get("ins");
    if (!iv.IsArray()) throw_type(env_, w + ".ins must be an array");
    Napi::Array ins = iv.As<Napi::Array>();
    if (ins.Length() < 1 || ins.Length() > (permute ? 1u : 8u))
      throw_range(env_, w + ".ins must have " + (permute ? std::string("one operand") : std::string("1 to 8 operands")));
    auto dims_of = [&](const std::vector<int64_t>& strides, const std::string& vw) {
      if (strides.size() != st.shape.size())
        throw_range(env_, vw + ".strides has " + std::to_string(strides.size()) + " entries but shape has " +
                              std::to_string(st.shape.size()));
      std::vector<Dim> d;
      for (size_t i = 0; i < st.shape.size(); ++i)
        d.push_back({st.shape[i], static_cast<int>(i) == st.token_dim, strides[i]});
      return d;
    };
    for (uint32_t i = 0; i < ins.Length(); ++i) {
      const std::string vw = w + ".ins[" + std::to_string(i) + "]";
      if (!ins.Get(i).IsObject()) throw_type(env_, vw + " must be an object");
      Napi::Object io = ins.Get(i).As<Napi::Object>();
      ChainRef r = ref(io, vw);
      std::vector<int64_t> strides = ints(io, "strides", vw, kMaxRank);
      check_reach(r, dims_of(strides, vw), vw);
      st.ins.push_back(r);
      st.in_strides.push_back(strides);
    }
    if (!o.Get("out").IsObject()) throw_type(env_, w + ".out must be an object");
    Napi::Object oo = o.Get("out").As<Napi::Object>();
    st.out = ref(oo, w + ".out");
    st.out_strides = ints(oo, "strides", w + ".out", kMaxRank);
    std::vector<Dim> dout = dims_of(st.out_strides, w + ".out");
    check_output(st.out, st.ins, w + ".out");
    check_reach(st.out, dout, w + ".out");
    check_distinct(dout, !permute, w + ".out");
    return st;
  }

 private:
  Napi::Env env_;
  Chain& ch_;
};

struct RunCall {
  const Chain* chain;
  const float* x;
  float* y;
  int64_t tokens, block;
  bool fused;
  int threads;
};

RunCall parse_run(const Napi::CallbackInfo& info, const std::string& where) {
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  RunCall c;
  c.chain = chain_arg(o.Get("chain"), where + ": chain");
  c.tokens = int_prop(o, "tokens", where, 0, kMaxDim);
  c.block = int_prop(o, "block", where, 0, kMaxDim, 0);
  c.fused = bool_prop(o, "fused", where, true);
  c.threads = static_cast<int>(int_prop(o, "threads", where, 0, 256, 0));
  F32Span x = f32_prop(o, "x", where), y = f32_prop(o, "y", where);
  const __int128 xs = static_cast<__int128>(c.tokens) * c.chain->in_features;
  const __int128 ys = static_cast<__int128>(c.tokens) * c.chain->out_features;
  if (xs > x.length)
    throw_range(env, where + ": x has " + std::to_string(x.length) + " elements, needs tokens x in = " +
                         std::to_string(static_cast<int64_t>(xs)));
  if (ys > y.length)
    throw_range(env, where + ": y has " + std::to_string(y.length) + " elements, needs tokens x out = " +
                         std::to_string(static_cast<int64_t>(ys)));
  check_disjoint(env, y.data, static_cast<int64_t>(ys), x.data, static_cast<int64_t>(xs), where + ": y overlaps x");
  c.x = x.data;
  c.y = y.data;
  return c;
}

}  // namespace

Napi::Value chain_create(const Napi::CallbackInfo& info) {
  const std::string where = "chainCreate";
  Napi::Env env = info.Env();
  Napi::Object o = object_arg(info, 0, where);
  auto ch = std::make_unique<Chain>();
  ch->in_features = int_prop(o, "inFeatures", where, 1, kMaxDim);
  ch->out_features = int_prop(o, "outFeatures", where, 1, kMaxDim);
  ch->scratch[0] = int_prop(o, "s0", where, 0, kMaxDim, 0);
  ch->scratch[1] = int_prop(o, "s1", where, 0, kMaxDim, 0);
  Napi::Value wv = o.Get("weights");
  if (!wv.IsArray()) throw_type(env, where + ": weights must be an array of Float32Array");
  Napi::Array wa = wv.As<Napi::Array>();
  int64_t bytes = 0;
  for (uint32_t i = 0; i < wa.Length(); ++i) {
    Napi::Object holder = Napi::Object::New(env);
    holder.Set("w", wa.Get(i));
    F32Span s = f32_prop(holder, "w", where + ": weights[" + std::to_string(i) + "]");
    ch->weights.emplace_back(s.data, s.data + s.length);
    bytes += s.length * 4;
  }
  if (!o.Get("bias").IsUndefined()) {
    F32Span b = f32_prop(o, "bias", where);
    if (b.length != ch->out_features)
      throw_range(env, where + ": bias has " + std::to_string(b.length) + " elements, needs outFeatures = " +
                           std::to_string(ch->out_features));
    ch->bias.assign(b.data, b.data + b.length);
  }
  Napi::Value sv = o.Get("steps");
  if (!sv.IsArray()) throw_type(env, where + ": steps must be an array");
  Napi::Array steps = sv.As<Napi::Array>();
  if (steps.Length() > kMaxSteps) throw_range(env, where + ": steps has more than " + std::to_string(kMaxSteps) + " entries");
  Parser parser(env, *ch);
  run_guarded(env, [&] {
    for (uint32_t i = 0; i < steps.Length(); ++i) {
      const std::string w = where + ": steps[" + std::to_string(i) + "]";
      if (!steps.Get(i).IsObject()) throw_type(env, w + " must be an object");
      Napi::Object so = steps.Get(i).As<Napi::Object>();
      const std::string kind = string_prop(so, "kind", w);
      if (kind == "gemm") ch->steps.push_back(parser.gemm(so, w));
      else if (kind == "permute") ch->steps.push_back(parser.nest(so, w, true));
      else if (kind == "sumProduct") ch->steps.push_back(parser.nest(so, w, false));
      else throw_range(env, w + ".kind must be 'gemm', 'permute' or 'sumProduct', got '" + kind + "'");
    }
  });
  for (auto& p : ch->packed) bytes += p->size * 4;
  for (auto& p : ch->narrow) bytes += static_cast<int64_t>(p.size() * 4);
  Napi::External<Chain> ext = Napi::External<Chain>::New(env, ch.release(), [bytes](Napi::Env e, Chain* p) {
    Napi::MemoryManagement::AdjustExternalMemory(e, -bytes);
    delete p;
  });
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  if (napi_type_tag_object(env, ext, &kChainTag) != napi_ok) throw_type(env, where + ": cannot tag");
  return ext;
}

Napi::Value chain_run_sync(const Napi::CallbackInfo& info) {
  RunCall c = parse_run(info, "chainRun");
  run_guarded(info.Env(), [&] { chain_run(*c.chain, c.x, c.y, c.tokens, c.block, c.fused, c.threads); });
  return info.Env().Undefined();
}

Napi::Value chain_run_async(const Napi::CallbackInfo& info) {
  RunCall c = parse_run(info, "chainRunAsync");
  // The args object holds the arrays and the chain; keeping it referenced
  // keeps them alive until the job settles.
  return AsyncJob::Start(info.Env(), "tensorfold.chainRun", {info[0].As<Napi::Object>()},
                         [c] { chain_run(*c.chain, c.x, c.y, c.tokens, c.block, c.fused, c.threads); });
}

}  // namespace addon
}  // namespace tensorfold
