#!/usr/bin/env bash
# Sets up the machine, then builds and runs the whole test suite: unit and interop tests, the same
# suite under AddressSanitizer + UndefinedBehaviorSanitizer, a short run of every fuzz target, and
# the format check. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

jobs=$(nproc)
step() { printf '\n=== %s ===\n' "$*"; }

step "format check"
bash scripts/format.sh --check

step "build (release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"

step "tests (release)"
ctest --test-dir build --output-on-failure -j "$jobs" -LE fuzz

step "build (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWAB_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"

step "tests (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE fuzz

step "fuzz targets (short run)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWAB_FUZZ=ON -DWAB_TESTS=OFF -DWAB_FUZZ_SECONDS="${WAB_FUZZ_SECONDS:-10}" >/dev/null
cmake --build build-fuzz -j "$jobs"
ctest --test-dir build-fuzz --output-on-failure -j "$jobs" -L fuzz

echo
echo "all suites passed"
