#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over our translation units, in parallel, using the compile
# database of BUILD_DIR. Fails on any finding.
set -euo pipefail
build_dir=${1:-build}
jobs=${2:-$(nproc)}
files=$(find runtime storage actors bench tests -name '*.cpp' 2>/dev/null | sort)
echo "clang-tidy: checking $(echo "$files" | wc -l) files"
# GCC's precompiled headers mean nothing to clang: give clang-tidy a compile database without
# them (every file includes what it uses, so nothing is lost).
tidy_dir="$build_dir/clang-tidy"
mkdir -p "$tidy_dir"
sed -E 's/ -Winvalid-pch//g; s/ -include [^ ]*cmake_pch\.hxx//g' \
  "$build_dir/compile_commands.json" > "$tidy_dir/compile_commands.json"
extra=(--extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-unused-command-line-argument)
echo "$files" | xargs -P "$jobs" -n 4 clang-tidy -p "$tidy_dir" --quiet "${extra[@]}" 2>/dev/null \
  | tee /tmp/clang-tidy.$$.log
if grep -qE ': (warning|error):' /tmp/clang-tidy.$$.log; then
  rm -f /tmp/clang-tidy.$$.log
  echo "clang-tidy: findings above"
  exit 1
fi
rm -f /tmp/clang-tidy.$$.log
echo "clang-tidy: clean"
