# The CPU addon. Kernels for each ISA tier are separate static libraries built
# with that tier's flags only; the addon links them all and picks one at load
# from cpuid (native/core/cpu_features.cc). Nothing here uses -march=native.
{
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y"],
    "cflags!": ["-fno-exceptions"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
  },
  "targets": [
    {
      "target_name": "tensorfold_avx2",
      "type": "static_library",
      "sources": [
        "native/kernels/gemm/gemm_avx2.cc",
        "native/kernels/contract/dot_avx2.cc",
        "native/kernels/linalg/linalg_avx2.cc",
        "native/kernels/factorized/small_n_avx2.cc",
        "native/kernels/nm/nm_avx2.cc",
        "native/kernels/probe/fma_peak_avx2.cc",
        "native/kernels/hash/hash_avx2.cc"
      ],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mbmi2"]
    },
    {
      "target_name": "tensorfold_avx512",
      "type": "static_library",
      "sources": [
        "native/kernels/gemm/gemm_avx512.cc",
        "native/kernels/contract/dot_avx512.cc",
        "native/kernels/linalg/linalg_avx512.cc",
        "native/kernels/factorized/small_n_avx512.cc",
        "native/kernels/nm/nm_avx512.cc",
        "native/kernels/probe/fma_peak_avx512.cc",
        "native/kernels/hash/hash_avx512.cc"
      ],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mbmi2", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq"]
    },
    {
      "target_name": "tensorfold_avx512_vpopcnt",
      "type": "static_library",
      "sources": ["native/kernels/hash/hash_vpopcnt.cc"],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vpopcntdq"]
    },
    {
      "target_name": "tensorfold",
      "dependencies": ["tensorfold_avx2", "tensorfold_avx512", "tensorfold_avx512_vpopcnt"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "sources": [
        "native/core/cpu_features.cc",
        "native/core/huge_pages.cc",
        "native/core/malloc_tuning.cc",
        "native/core/thread_pool.cc",
        "native/core/timer.cc",
        "native/kernels/gemm/gemm.cc",
        "native/kernels/gemm/gemm_pack.cc",
        "native/kernels/gemm/gemm_generic.cc",
        "native/kernels/gemm/gemm_ref.cc",
        "native/kernels/probe/fma_peak_generic.cc",
        "native/kernels/nm/nm.cc",
        "native/kernels/nm/nm_format.cc",
        "native/kernels/nm/nm_generic.cc",
        "native/kernels/contract/nest.cc",
        "native/kernels/contract/permute.cc",
        "native/kernels/contract/multiply.cc",
        "native/kernels/contract/reduce.cc",
        "native/kernels/contract/reduce_ref.cc",
        "native/kernels/contract/dot_generic.cc",
        "native/kernels/linalg/linalg_generic.cc",
        "native/kernels/linalg/dgemm.cc",
        "native/kernels/linalg/qr.cc",
        "native/kernels/linalg/svd.cc",
        "native/kernels/linalg/cholesky.cc",
        "native/kernels/factorized/chain.cc",
        "native/kernels/factorized/small_n.cc",
        "native/kernels/factorized/small_n_generic.cc",
        "native/kernels/hash/hash_generic.cc",
        "native/kernels/hash/hash_dispatch.cc",
        "native/kernels/hash/hash_codes.cc",
        "native/kernels/hash/hash_linear.cc",
        "native/kernels/hash/hash_hamming.cc",
        "native/kernels/hash/hash_softmax.cc",
        "native/kernels/hash/hash_scores.cc",
        "native/kernels/hash/hash_ref.cc",
        "native/addon/args.cc",
        "native/addon/async_job.cc",
        "native/addon/gemm_binding.cc",
        "native/addon/nm_binding.cc",
        "native/addon/contract_binding.cc",
        "native/addon/sequence_binding.cc",
        "native/addon/linalg_binding.cc",
        "native/addon/factorized_binding.cc",
        "native/addon/hash_binding.cc",
        "native/addon/hash_measure.cc",
        "native/addon/measure_binding.cc",
        "native/addon/addon.cc"
      ],
      "libraries": ["-pthread"]
    }
  ]
}
