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

# Compile settings of these two trees only (the README's build, scripts/run.sh and the benchmarks
# keep CMake's defaults). Debug info is line tables only: backtraces and sanitizer reports keep
# function, file and line; full -g made every file ~20% slower to compile. Unity builds compile a
# target's sources in batches, so nlohmann/json and GoogleTest are parsed and their templates
# instantiated once per batch instead of once per file. A file-local (anonymous-namespace or
# static) name defined twice in one target breaks a unity build: give one of them another name.
unity=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8)
# Both trees build the same Go programs (the Pion peer, the simulators): one Go cache compiles
# Pion once instead of four times (it is content-addressed and safe to share).
export WAB_GOCACHE="$PWD/build/.gocache"

step "build (release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWAB_REQUIRE_REDIS=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "${unity[@]}" >/dev/null
cmake --build build -j "$jobs"

# The release suite mostly waits (real-time calls, protocol timeouts), so it runs one test more
# than cores. What must not share the cores says so itself (RUN_SERIAL for
# the chaos test, the interop CPU lock); the sanitizer run below stays at one test per core.
step "tests (release)"
ctest --test-dir build --output-on-failure -j "$((jobs + 1))" -LE fuzz

step "demo (simulated caller and agent; the recordings must contain speech)"
timeout 240 bash scripts/demo.sh --build-dir build --out build/demo

# One clang build serves both the sanitizer run of the suite and the fuzz targets: every library is
# compiled with ASan + UBSan and fuzzer coverage instrumentation. Tests of the harnesses alone
# (no code of ours under test) are not repeated there, nor variants labelled release_only (their
# code paths run there through sibling cases and the unit tests). -O1 with line tables is the usual
# sanitizer build (clang's AddressSanitizer documentation).
step "build (clang, ASan + UBSan, fuzz targets)"
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" "${unity[@]}" \
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
