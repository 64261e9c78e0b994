#!/usr/bin/env bash
# Runs clang-tidy with the repository's .clang-tidy over the sources of src/ (or the files given),
# using the compile commands of the release build. Prints the findings; exits non-zero if any.
#   bash scripts/tidy.sh [FILE...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f build/compile_commands.json ] || cmake -S . -B build -G Ninja >/dev/null
if (($#)); then files=("$@"); else mapfile -t files < <(git ls-files 'src/*.cpp'); fi
status=0
for f in "${files[@]}"; do
  clang-tidy -p build --quiet "$f" 2>/dev/null | grep -E 'warning:|error:' && status=1
done
exit $status
