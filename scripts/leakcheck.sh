#!/usr/bin/env bash
# Runs the native self-tests under valgrind's memcheck (leaks and invalid
# accesses; valgrind cannot run AVX-512, so the tiers above AVX2 are skipped
# by the self-test under TENSORFOLD_ISA=avx2). Usage: npm run leakcheck
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
source scripts/native-sources.sh
build_selftest build-leak ""
TENSORFOLD_ISA=avx2 valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite ./build-leak/gemm_selftest
TENSORFOLD_ISA=avx2 valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite ./build-leak/hash_selftest
valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite ./build-leak/contract_selftest
TENSORFOLD_ISA=avx2 valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite ./build-leak/linalg_selftest
