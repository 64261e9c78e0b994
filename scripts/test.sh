#!/usr/bin/env bash
# Sets up the machine, then builds and runs the whole test suite: the format check, unit, interop and
# end-to-end tests, the local demo, the same suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, and a short run of every fuzz target. Exits non-zero on the first
# failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

jobs=$(nproc)
step() { printf '\n=== %s ===\n' "$*"; }

step "format check"
bash scripts/format.sh --check

step "build (release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWAB_REQUIRE_REDIS=ON >/dev/null
cmake --build build -j "$jobs"

step "tests (release)"
ctest --test-dir build --output-on-failure -j "$jobs" -LE fuzz

step "demo (simulated caller and agent; the recordings must contain speech)"
timeout 240 bash scripts/demo.sh --build-dir build --out build/demo

# One clang build serves both the sanitizer run of the suite and the fuzz targets: every library is
# compiled with ASan + UBSan and fuzzer coverage instrumentation. Tests of the harnesses alone
# (no code of ours under test) are not repeated there, nor variants labelled release_only (their
# code paths run there through sibling cases and the unit tests).
step "build (clang, ASan + UBSan, fuzz targets)"
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWAB_REQUIRE_REDIS=ON -DWAB_FUZZ=ON -DWAB_FUZZ_SECONDS="${WAB_FUZZ_SECONDS:-10}" >/dev/null
cmake --build build-asan -j "$jobs"

step "tests (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE 'fuzz|release_only' \
  -E 'interop_runner_|interop_selftest_|e2e_harness_selftest_'

step "fuzz targets (short run)"
ctest --test-dir build-asan --output-on-failure -j "$jobs" -L fuzz

echo
echo "all suites passed"
