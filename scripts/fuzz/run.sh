#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang-14, ASan + UBSan) and runs each for
# FUZZ_TIME seconds on a work copy of its seeds; docs/fuzzing.md. `make fuzz` calls this.
#   FUZZ_TIME=60        seconds per target
#   FUZZ_TARGETS="..."  which targets (default: all, see `targets` below)
#   FUZZ_ARGS="..."     extra libFuzzer flags (e.g. -runs=10000000 for the long run)
#   JOBS=2              build parallelism
# Seeds (tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/) are never modified: they are
# copied to build-fuzz/seeds/<target>/, new inputs go to build-fuzz/corpus/<target>/ (kept
# between runs) and crashes, leaks and timeouts to build-fuzz/findings/<target>/.
# Exits non-zero when any target found something; every target runs regardless.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build-fuzz
fuzz_time=${FUZZ_TIME:-60}
jobs=${JOBS:-$(nproc)}
targets=(ingest_events ingest_ndjson ingest_alertmanager ingest_v2_alerts runbook config template
         matcher)
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
fi

# -- build ---------------------------------------------------------------------------------
if [ ! -f "$build/build.ninja" ]; then
  # RelWithDebInfo without -DNDEBUG: optimised, with line numbers, asserts kept.
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DVIGIL_FUZZ=ON \
    -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g"
fi
cmake --build "$build" -j "$jobs"

# -- seeds ---------------------------------------------------------------------------------
# Regression inputs: tests/fuzz/regressions/ingest/NAME--FORMAT.json feed ingest_FORMAT (the
# .http files are whole requests, for the HTTP tests); any other folder regressions/TARGET/
# (runbook, config, ...) feeds the target of its name, when it exists.
stage_seeds() {
  local target=$1 dir=$build/seeds/$1 f
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ -d "tests/fuzz/corpus/$target" ]; then
    cp tests/fuzz/corpus/"$target"/* "$dir"/
  fi
  case $target in
    ingest_*)
      for f in tests/fuzz/regressions/ingest/*--"${target#ingest_}".*; do
        [ -f "$f" ] && cp "$f" "$dir/regression-$(basename "$f")"
      done
      ;;
    *)
      if [ -d "tests/fuzz/regressions/$target" ]; then
        for f in tests/fuzz/regressions/"$target"/*; do
          case $f in *.md) continue ;; esac
          [ -f "$f" ] && cp "$f" "$dir/regression-$(basename "$f")"
        done
      fi
      ;;
  esac
  return 0
}

# -- run -------------------------------------------------------------------------------------
symbolizer=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
export ASAN_SYMBOLIZER_PATH=$symbolizer
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
summary=()
for target in "${targets[@]}"; do
  bin=$build/fuzz/$target
  if [ ! -x "$bin" ]; then
    echo "fuzz: no target named $target (have: $(ls "$build/fuzz" | tr '\n' ' '))" >&2
    exit 2
  fi
  stage_seeds "$target"
  mkdir -p "$build/corpus/$target" "$build/findings/$target" "$build/logs"
  log=$build/logs/$target.log
  echo "== fuzz $target for ${fuzz_time}s ($(ls "$build/seeds/$target" | wc -l) seeds)"
  set +e
  # The outer timeout guards CI against what libFuzzer's own limits miss: past -rss_limit_mb
  # it prints a heap profile before saving the input, which takes many minutes over a heap of
  # millions of small blocks (a runaway allocation loop). Killed so, the target fails (124).
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
  timeout -k 10 $((fuzz_time + 120)) \
    "$bin" -max_total_time="$fuzz_time" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -print_funcs=0 -artifact_prefix="$build/findings/$target/" ${FUZZ_ARGS:-} \
    "$build/corpus/$target" "$build/seeds/$target" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  # -fork=N prints no stat:: lines: its last status line holds the count.
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  if [ -z "$rate" ]; then
    secs=$(sed -n 's/.* time: \([0-9]*\)s.*/\1/p' <<<"$last")
    [ -n "$execs" ] && [ -n "$secs" ] && [ "$secs" -gt 0 ] && rate=$((execs / secs))
  fi
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  # libFuzzer's corpus (the inputs it keeps); the work folder also holds those it reduced.
  corpus=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  files=$(ls "$build/corpus/$target" | wc -l)
  line=$(printf '%-20s execs=%s exec/s=%s cov=%s ft=%s corpus=%s files=%s' "$target" \
    "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$files")
  if [ $rc -ne 0 ]; then
    failed+=("$target")
    line+=" FOUND (exit $rc), see $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*runtime error|artifact_prefix|Test unit written)' \
      "$log" | head -8 >&2 || true
  fi
  echo "$line"
  summary+=("$line")
done

echo "== fuzz summary (${fuzz_time}s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in ${failed[*]} (inputs under $build/findings/; docs/fuzzing.md says how to triage)" >&2
  exit 1
fi
