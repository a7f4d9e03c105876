#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs the
# dependencies, then builds and runs every test twice:
#   1. gcc, -Werror, release-with-debug build: unit + integration tests;
#   2. clang with AddressSanitizer + UndefinedBehaviorSanitizer: unit +
#      integration tests again, and every libFuzzer target for a bounded
#      time (SP_FUZZ_SECONDS, default 30) on its seed corpus;
#   3. clang with ThreadSanitizer: the integration tests (real daemons,
#      whose logs are searched for sanitizer reports).
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
JOBS=$(nproc)

bash contrib/install-deps.sh

echo "== build 1: gcc"
cmake -S . -B build/gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DSP_WERROR=ON >/dev/null
cmake --build build/gcc -j "$JOBS"
(cd build/gcc && ctest --output-on-failure -j "$JOBS")

echo "== build 2: clang, ASan + UBSan, libFuzzer targets"
CC=clang cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	-DSP_WERROR=ON -DSP_ASAN=ON -DSP_UBSAN=ON -DSP_FUZZ=ON \
	-DSP_FUZZ_SECONDS="${SP_FUZZ_SECONDS:-30}" >/dev/null
cmake --build build/asan -j "$JOBS"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j "$JOBS")
echo "== build 3: clang, ThreadSanitizer: integration tests (verification runs on the thread pool)"
CC=clang cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	-DSP_WERROR=ON -DSP_TSAN=ON -DSP_BENCH=OFF >/dev/null
cmake --build build/tsan -j "$JOBS"
(cd build/tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	ctest --output-on-failure -j "$JOBS" -R '^integration/')
echo "== all tests passed ($TOP)"
