#!/usr/bin/env bash
# Formats the C++ sources with the repository's .clang-format; `--check` only reports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files -co --exclude-standard -- 'src/*.[ch]pp' 'tests/*.[ch]pp' 'tools/*.[ch]pp' 'fuzz/*.[ch]pp')
((${#files[@]})) || exit 0
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run -Werror "${files[@]}"
  echo "format: ${#files[@]} files clean"
else
  clang-format -i "${files[@]}"
fi
