# Kernel sources and per-tier flags for builds outside node-gyp (sanitizer and
# leak-check builds of the standalone self-tests). Keep in step with binding.gyp.
CORE_SRC="native/core/cpu_features.cc native/core/huge_pages.cc native/core/malloc_tuning.cc native/core/thread_pool.cc native/core/timer.cc
  native/kernels/gemm/gemm.cc native/kernels/gemm/gemm_pack.cc native/kernels/gemm/gemm_generic.cc native/kernels/gemm/gemm_ref.cc
  native/kernels/probe/fma_peak_generic.cc
  native/kernels/nm/nm.cc native/kernels/nm/nm_format.cc native/kernels/nm/nm_generic.cc
  native/kernels/contract/nest.cc native/kernels/contract/permute.cc native/kernels/contract/multiply.cc
  native/kernels/contract/reduce.cc native/kernels/contract/reduce_ref.cc native/kernels/contract/dot_generic.cc
  native/kernels/linalg/linalg_generic.cc native/kernels/linalg/dgemm.cc native/kernels/linalg/qr.cc
  native/kernels/linalg/svd.cc native/kernels/linalg/cholesky.cc native/kernels/factorized/chain.cc
  native/kernels/factorized/small_n.cc native/kernels/factorized/small_n_generic.cc
  native/kernels/hash/hash_generic.cc native/kernels/hash/hash_dispatch.cc native/kernels/hash/hash_codes.cc
  native/kernels/hash/hash_linear.cc native/kernels/hash/hash_hamming.cc native/kernels/hash/hash_softmax.cc
  native/kernels/hash/hash_scores.cc native/kernels/hash/hash_ref.cc"
AVX2_SRC="native/kernels/gemm/gemm_avx2.cc native/kernels/contract/dot_avx2.cc native/kernels/nm/nm_avx2.cc native/kernels/probe/fma_peak_avx2.cc native/kernels/hash/hash_avx2.cc native/kernels/linalg/linalg_avx2.cc native/kernels/factorized/small_n_avx2.cc"
AVX2_FLAGS="-mavx2 -mfma -mf16c -mbmi2"
AVX512_SRC="native/kernels/gemm/gemm_avx512.cc native/kernels/contract/dot_avx512.cc native/kernels/nm/nm_avx512.cc native/kernels/probe/fma_peak_avx512.cc native/kernels/hash/hash_avx512.cc native/kernels/linalg/linalg_avx512.cc native/kernels/factorized/small_n_avx512.cc"
AVX512_FLAGS="$AVX2_FLAGS -mavx512f -mavx512bw -mavx512vl -mavx512dq"
# Dispatched to only when the CPU reports AVX-512 VPOPCNTDQ.
VPOPCNT_SRC="native/kernels/hash/hash_vpopcnt.cc"
VPOPCNT_FLAGS="$AVX512_FLAGS -mavx512vpopcntdq"

# build_selftest OUT_DIR "EXTRA FLAGS": compiles each tier's files with its
# own flags and links the standalone tests.
build_selftest() {
  local out=$1 extra=$2 objs=()
  mkdir -p "$out"
  compile() { # src flags
    local o="$out/$(echo "$1" | tr / _).o"
    g++ -std=c++17 -O1 -g -pthread $extra $2 -c "$1" -o "$o" && objs+=("$o")
  }
  for f in $CORE_SRC; do compile "$f" ""; done
  for f in $AVX2_SRC; do compile "$f" "$AVX2_FLAGS"; done
  for f in $AVX512_SRC; do compile "$f" "$AVX512_FLAGS"; done
  for f in $VPOPCNT_SRC; do compile "$f" "$VPOPCNT_FLAGS"; done
  g++ -std=c++17 -O1 -g -pthread $extra native/tests/gemm_selftest.cc "${objs[@]}" -o "$out/gemm_selftest"
  g++ -std=c++17 -O1 -g -pthread $extra native/tests/hash_selftest.cc "${objs[@]}" -o "$out/hash_selftest"
  g++ -std=c++17 -O1 -g -pthread $extra native/tests/contract_selftest.cc "${objs[@]}" -o "$out/contract_selftest"
  g++ -std=c++17 -O1 -g -pthread $extra native/tests/linalg_selftest.cc "${objs[@]}" -o "$out/linalg_selftest"
}
