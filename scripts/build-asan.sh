#!/usr/bin/env bash
# Builds the native self-tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (bounds, use-after-free, leaks, UB) and runs them. Usage: npm run build:asan
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/native-sources.sh
build_selftest build-asan "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
ASAN_OPTIONS=detect_leaks=1 ./build-asan/gemm_selftest
ASAN_OPTIONS=detect_leaks=1 ./build-asan/hash_selftest
ASAN_OPTIONS=detect_leaks=1 ./build-asan/contract_selftest
ASAN_OPTIONS=detect_leaks=1 ./build-asan/linalg_selftest
