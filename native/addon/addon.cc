// The module: registers the bindings. Each family's bindings live in their
// own file; this one holds the process-level calls (info, threads, ISA).
#include <napi.h>

#include "../core/cpu_features.h"
#include "../core/huge_pages.h"
#include "../core/malloc_tuning.h"
#include "../core/thread_pool.h"
#include "../kernels/gemm/gemm.h"
#include "../kernels/hash/hash_attention.h"
#include "args.h"
#include "contract_binding.h"
#include "factorized_binding.h"
#include "gemm_binding.h"
#include "sequence_binding.h"
#include "hash_binding.h"
#include "linalg_binding.h"
#include "measure_binding.h"
#include "nm_binding.h"

namespace tensorfold {
namespace addon {
namespace {

Napi::Value info(const Napi::CallbackInfo& cb) {
  Napi::Env env = cb.Env();
  const CpuFeatures& f = cpu_features();
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("vendor", f.vendor);
  cpu.Set("brand", f.brand);
  cpu.Set("logicalCores", f.logical_cores);
  Napi::Object feats = Napi::Object::New(env);
  feats.Set("sse4_2", f.sse42);
  feats.Set("avx", f.avx && f.os_avx);
  feats.Set("avx2", f.avx2 && f.os_avx);
  feats.Set("fma", f.fma && f.os_avx);
  feats.Set("f16c", f.f16c);
  feats.Set("bmi2", f.bmi2);
  feats.Set("fastPdep", f.fast_pdep);  // pdep in hardware (the AVX2 N:M decode uses it then)
  feats.Set("avx512f", f.avx512f && f.os_avx512);
  feats.Set("avx512bw", f.avx512bw && f.os_avx512);
  feats.Set("avx512vl", f.avx512vl && f.os_avx512);
  feats.Set("avx512dq", f.avx512dq && f.os_avx512);
  feats.Set("avx512vnni", f.avx512_vnni && f.os_avx512);
  feats.Set("avx512bf16", f.avx512_bf16 && f.os_avx512);
  feats.Set("avx512vpopcntdq", f.avx512_vpopcntdq && f.os_avx512);
  cpu.Set("features", feats);

  Napi::Object r = Napi::Object::New(env);
  r.Set("cpu", cpu);
  r.Set("maxTier", tier_name(max_supported_tier()));
  r.Set("tier", tier_name(active_tier()));
  r.Set("threads", pool_threads());
  Napi::Object kernels = Napi::Object::New(env);
  kernels.Set("gemm", gemm_kernel_name(active_tier()));
  kernels.Set("hashPopcount", hash_popcount_name(active_tier(), false));
  r.Set("kernels", kernels);
  const MallocTuning& mt = tune_malloc();
  Napi::Object malloc_info = Napi::Object::New(env);
  malloc_info.Set("tuned", mt.active);
  malloc_info.Set("reuseBelowBytes", static_cast<double>(mt.reuse_below));
  if (!mt.active) malloc_info.Set("reason", mt.reason);
  r.Set("malloc", malloc_info);
  r.Set("compiler", __VERSION__);
  return r;
}

Napi::Value set_threads(const Napi::CallbackInfo& cb) {
  Napi::Env env = cb.Env();
  if (cb.Length() < 1 || !cb[0].IsNumber()) throw_type(env, "setThreads: n must be an integer");
  double n = cb[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= 256) || n != static_cast<double>(static_cast<int>(n)))
    throw_range(env, "setThreads: n must be an integer in [1, 256]");
  set_pool_threads(static_cast<int>(n));
  return env.Undefined();
}

Napi::Value get_threads(const Napi::CallbackInfo& cb) { return Napi::Number::New(cb.Env(), pool_threads()); }

// setIsa(name) -> true, or false when the CPU or OS cannot run that tier.
Napi::Value set_isa(const Napi::CallbackInfo& cb) {
  Napi::Env env = cb.Env();
  if (cb.Length() < 1 || !cb[0].IsString()) throw_type(env, "setIsa: name must be a string");
  IsaTier tier;
  std::string name = cb[0].As<Napi::String>().Utf8Value();
  if (!parse_tier(name, &tier))
    throw_range(env, "setIsa: unknown tier '" + name + "' (known: generic, avx2, avx512)");
  return Napi::Boolean::New(env, set_active_tier(tier));
}

// outputArray(n) -> a zeroed Float32Array of n elements whose memory, when
// large, is advised onto huge pages before anything touches it: a view, 2 MiB
// aligned, into a slightly larger ArrayBuffer (a plain one, so it can still
// be transferred to a worker).
Napi::Value output_array(const Napi::CallbackInfo& cb) {
  Napi::Env env = cb.Env();
  if (cb.Length() < 1) throw_type(env, "outputArray: n must be an integer");
  const int64_t n = int_value(env, cb[0], "outputArray: n", 0, int64_t{1} << 40);
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  // Made by the JS constructor, which throws when the memory cannot be had;
  // Napi::ArrayBuffer::New would abort the process instead.
  Napi::Value made;
  try {
    const Napi::Function ctor = env.Global().Get("ArrayBuffer").As<Napi::Function>();
    made = ctor.New({Napi::Number::New(env, static_cast<double>(huge_page_span(bytes)))});
  } catch (const Napi::Error& e) {
    throw_range(env, "outputArray: " + std::to_string(bytes) + " bytes could not be allocated (" + e.Message() + ")");
  }
  if (!made.IsArrayBuffer()) throw_type(env, "outputArray: globalThis.ArrayBuffer did not make an ArrayBuffer");
  Napi::ArrayBuffer buf = made.As<Napi::ArrayBuffer>();
  const size_t offset = huge_page_offset(buf.Data(), bytes);
  advise_huge_pages(static_cast<char*>(buf.Data()) + offset, buf.ByteLength() - offset);
  return Napi::Float32Array::New(env, static_cast<size_t>(n), buf, offset);
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    tune_malloc();
    DefineAddon(exports, {
                             InstanceMethod<&Addon::Info>("info"),
                             InstanceMethod<&Addon::SetThreads>("setThreads"),
                             InstanceMethod<&Addon::GetThreads>("getThreads"),
                             InstanceMethod<&Addon::SetIsa>("setIsa"),
                             InstanceMethod<&Addon::OutputArray>("outputArray"),
                             InstanceMethod<&Addon::Gemm>("gemm"),
                             InstanceMethod<&Addon::GemmAsync>("gemmAsync"),
                             InstanceMethod<&Addon::PackB>("packB"),
                             InstanceMethod<&Addon::Measure>("measure"),
                             InstanceMethod<&Addon::HashCodes>("hashCodes"),
                             InstanceMethod<&Addon::HashCodesAsync>("hashCodesAsync"),
                             InstanceMethod<&Addon::HashLinear>("hashLinear"),
                             InstanceMethod<&Addon::HashLinearAsync>("hashLinearAsync"),
                             InstanceMethod<&Addon::HashHamming>("hashHamming"),
                             InstanceMethod<&Addon::HashHammingAsync>("hashHammingAsync"),
                             InstanceMethod<&Addon::HashState>("hashState"),
                             InstanceMethod<&Addon::HashStateAsync>("hashStateAsync"),
                             InstanceMethod<&Addon::HashDistances>("hashDistances"),
                             InstanceMethod<&Addon::SoftmaxAttention>("softmaxAttention"),
                             InstanceMethod<&Addon::SoftmaxAttentionAsync>("softmaxAttentionAsync"),
                             InstanceMethod<&Addon::NmCreate>("nmCreate"),
                             InstanceMethod<&Addon::NmExport>("nmExport"),
                             InstanceMethod<&Addon::NmMatmul>("nmMatmul"),
                             InstanceMethod<&Addon::NmMatmulAsync>("nmMatmulAsync"),
                             InstanceMethod<&Addon::Permute>("permute"),
                             InstanceMethod<&Addon::PermuteAsync>("permuteAsync"),
                             InstanceMethod<&Addon::Multiply>("multiply"),
                             InstanceMethod<&Addon::MultiplyAsync>("multiplyAsync"),
                             InstanceMethod<&Addon::SumProduct>("sumProduct"),
                             InstanceMethod<&Addon::SumProductAsync>("sumProductAsync"),
                             InstanceMethod<&Addon::RunSequence>("runSequence"),
                             InstanceMethod<&Addon::RunSequenceAsync>("runSequenceAsync"),
                             InstanceMethod<&Addon::Qr>("qr"),
                             InstanceMethod<&Addon::QrAsync>("qrAsync"),
                             InstanceMethod<&Addon::Svd>("svd"),
                             InstanceMethod<&Addon::SvdAsync>("svdAsync"),
                             InstanceMethod<&Addon::Cholesky>("cholesky"),
                             InstanceMethod<&Addon::CholeskyAsync>("choleskyAsync"),
                             InstanceMethod<&Addon::Trsm>("trsm"),
                             InstanceMethod<&Addon::TrsmAsync>("trsmAsync"),
                             InstanceMethod<&Addon::Dgemm>("dgemm"),
                             InstanceMethod<&Addon::DgemmAsync>("dgemmAsync"),
                             InstanceMethod<&Addon::ChainCreate>("chainCreate"),
                             InstanceMethod<&Addon::ChainRun>("chainRun"),
                             InstanceMethod<&Addon::ChainRunAsync>("chainRunAsync"),
                         });
  }

 private:
  Napi::Value Info(const Napi::CallbackInfo& cb) { return info(cb); }
  Napi::Value SetThreads(const Napi::CallbackInfo& cb) { return set_threads(cb); }
  Napi::Value GetThreads(const Napi::CallbackInfo& cb) { return get_threads(cb); }
  Napi::Value SetIsa(const Napi::CallbackInfo& cb) { return set_isa(cb); }
  Napi::Value OutputArray(const Napi::CallbackInfo& cb) { return output_array(cb); }
  Napi::Value Gemm(const Napi::CallbackInfo& cb) { return gemm_sync(cb); }
  Napi::Value GemmAsync(const Napi::CallbackInfo& cb) { return gemm_async(cb); }
  Napi::Value PackB(const Napi::CallbackInfo& cb) { return pack_b_matrix(cb); }
  Napi::Value Measure(const Napi::CallbackInfo& cb) { return measure_kernel(cb); }
  Napi::Value HashCodes(const Napi::CallbackInfo& cb) { return hash_codes_sync(cb); }
  Napi::Value HashCodesAsync(const Napi::CallbackInfo& cb) { return hash_codes_async(cb); }
  Napi::Value HashLinear(const Napi::CallbackInfo& cb) { return hash_linear_sync(cb); }
  Napi::Value HashLinearAsync(const Napi::CallbackInfo& cb) { return hash_linear_async(cb); }
  Napi::Value HashHamming(const Napi::CallbackInfo& cb) { return hash_hamming_sync(cb); }
  Napi::Value HashHammingAsync(const Napi::CallbackInfo& cb) { return hash_hamming_async(cb); }
  Napi::Value HashState(const Napi::CallbackInfo& cb) { return hash_state_sync(cb); }
  Napi::Value HashStateAsync(const Napi::CallbackInfo& cb) { return hash_state_async(cb); }
  Napi::Value HashDistances(const Napi::CallbackInfo& cb) { return hash_distances(cb); }
  Napi::Value SoftmaxAttention(const Napi::CallbackInfo& cb) { return softmax_attention_sync(cb); }
  Napi::Value SoftmaxAttentionAsync(const Napi::CallbackInfo& cb) { return softmax_attention_async(cb); }
  Napi::Value NmCreate(const Napi::CallbackInfo& cb) { return nm_create(cb); }
  Napi::Value NmExport(const Napi::CallbackInfo& cb) { return nm_export(cb); }
  Napi::Value NmMatmul(const Napi::CallbackInfo& cb) { return nm_matmul_sync(cb); }
  Napi::Value NmMatmulAsync(const Napi::CallbackInfo& cb) { return nm_matmul_async(cb); }
  Napi::Value Permute(const Napi::CallbackInfo& cb) { return permute_sync(cb); }
  Napi::Value PermuteAsync(const Napi::CallbackInfo& cb) { return permute_async(cb); }
  Napi::Value Multiply(const Napi::CallbackInfo& cb) { return multiply_sync(cb); }
  Napi::Value MultiplyAsync(const Napi::CallbackInfo& cb) { return multiply_async(cb); }
  Napi::Value SumProduct(const Napi::CallbackInfo& cb) { return sum_product_sync(cb); }
  Napi::Value SumProductAsync(const Napi::CallbackInfo& cb) { return sum_product_async(cb); }
  Napi::Value RunSequence(const Napi::CallbackInfo& cb) { return run_sequence_sync(cb); }
  Napi::Value RunSequenceAsync(const Napi::CallbackInfo& cb) { return run_sequence_async(cb); }
  Napi::Value Qr(const Napi::CallbackInfo& cb) { return qr_sync(cb); }
  Napi::Value QrAsync(const Napi::CallbackInfo& cb) { return qr_async(cb); }
  Napi::Value Svd(const Napi::CallbackInfo& cb) { return svd_sync(cb); }
  Napi::Value SvdAsync(const Napi::CallbackInfo& cb) { return svd_async(cb); }
  Napi::Value Cholesky(const Napi::CallbackInfo& cb) { return cholesky_sync(cb); }
  Napi::Value CholeskyAsync(const Napi::CallbackInfo& cb) { return cholesky_async(cb); }
  Napi::Value Trsm(const Napi::CallbackInfo& cb) { return trsm_sync(cb); }
  Napi::Value TrsmAsync(const Napi::CallbackInfo& cb) { return trsm_async(cb); }
  Napi::Value Dgemm(const Napi::CallbackInfo& cb) { return dgemm_sync(cb); }
  Napi::Value DgemmAsync(const Napi::CallbackInfo& cb) { return dgemm_async(cb); }
  Napi::Value ChainCreate(const Napi::CallbackInfo& cb) { return chain_create(cb); }
  Napi::Value ChainRun(const Napi::CallbackInfo& cb) { return chain_run_sync(cb); }
  Napi::Value ChainRunAsync(const Napi::CallbackInfo& cb) { return chain_run_async(cb); }
};

}  // namespace
}  // namespace addon
}  // namespace tensorfold

// The macro pastes the name into an identifier, so it must be unqualified.
using TensorfoldAddon = tensorfold::addon::Addon;
NODE_API_ADDON(TensorfoldAddon)
