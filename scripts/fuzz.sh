#!/usr/bin/env bash
# Long fuzzing run: builds every libFuzzer target with clang (ASan + UBSan) and runs each for
# SECONDS (default 600), keeping the grown corpus in build-asan/fuzz-corpus/<target>. Prints each
# target's executions and a total; exits non-zero when a target finds a crash (the reproducer is
# left in build-asan/crashes/).
#   bash scripts/fuzz.sh [SECONDS] [TARGET-REGEX]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-600}"
filter="${2:-.}"
bash scripts/setup.sh >/dev/null
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWAB_FUZZ=ON >/dev/null
cmake --build build-asan -j "$(nproc)"
mkdir -p build-asan/crashes
total=0
status=0
while read -r target; do
  [[ "$target" =~ $filter ]] || continue
  binary=$(find build-asan/fuzz -type f -name "$target" -perm -u+x | head -1)
  seeds=$(ctest --test-dir build-asan -R "^${target}\$" --show-only=json-v1 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; t=json.load(sys.stdin)["tests"]; print(" ".join(t[0]["command"][5:]) if t else "")')
  corpus="build-asan/fuzz-corpus/$target"
  mkdir -p "$corpus"
  log="build-asan/crashes/$target.log"
  if "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-asan/crashes/$target-" $corpus $seeds >"$log" 2>&1; then
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "$target: ${execs:-?} executions, no finding"
    total=$((total + ${execs:-0}))
  else
    echo "$target: FINDING (see $log)"
    status=1
  fi
done < <(ctest --test-dir build-asan -L fuzz -N | awk '/Test +#/ {print $3}')
echo "total: $total executions in ${seconds}s per target"
exit $status
