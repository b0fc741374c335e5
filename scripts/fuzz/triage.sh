#!/usr/bin/env bash
# Reproduces a fuzz finding, minimizes it and says how to keep it as a regression input.
#   bash scripts/fuzz/triage.sh TARGET FILE   e.g. runbook build-fuzz/findings/runbook/crash-ab12...
# Writes FILE.min (the smallest input libFuzzer finds that fails the same way) and prints the
# sanitizer's report for it. Needs build-fuzz/ (make fuzz builds it). docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -ne 2 ]; then
  echo "usage: $0 TARGET FILE (targets: $(ls build-fuzz/fuzz 2>/dev/null | tr '\n' ' '))" >&2
  exit 2
fi
target=$1
input=$2
bin=build-fuzz/fuzz/$target
[ -x "$bin" ] || { echo "triage: no $bin; run make fuzz FUZZ_TIME=1 first" >&2; exit 2; }
[ -f "$input" ] || { echo "triage: no file $input" >&2; exit 2; }

export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-14 || true)}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
limits=(-timeout=10 -rss_limit_mb=2048)

echo "== reproduce: $bin ${limits[*]} $input"
if timeout -k 5 120 "$bin" "${limits[@]}" "$input" >/tmp/triage.$$.log 2>&1; then
  echo "triage: $input does not fail any more (fixed?)"
  rm -f /tmp/triage.$$.log
  exit 0
fi
grep -E 'ERROR|SUMMARY|invariant failed|runtime error' /tmp/triage.$$.log | head -5 || true
grep -E '^ +#[0-9]+ 0x' /tmp/triage.$$.log | head -12 | cut -c1-200 || true
kind=$(grep -E '^SUMMARY|invariant failed' /tmp/triage.$$.log | head -1 | sed 's/ in .*//; s/(.*//')
rm -f /tmp/triage.$$.log

# libFuzzer keeps any smaller input that fails, even for another reason: keep the result only
# when it fails the same way.
echo "== minimize (up to 60 s) to $input.min"
rm -f "$input.min"
timeout -k 5 180 "$bin" "${limits[@]}" -minimize_crash=1 -max_total_time=60 \
  -exact_artifact_path="$input.min" "$input" >/dev/null 2>&1 || true
min_kind=
if [ -f "$input.min" ]; then
  min_kind=$(timeout -k 5 120 "$bin" "${limits[@]}" "$input.min" 2>&1 \
    | grep -E '^SUMMARY|invariant failed' | head -1 | sed 's/ in .*//; s/(.*//' || true)
fi
if [ -n "$min_kind" ] && [ "$min_kind" = "$kind" ]; then
  echo "$(wc -c <"$input" | tr -d ' ') bytes -> $(wc -c <"$input.min" | tr -d ' ') bytes, same failure: $kind"
else
  echo "(the minimized input fails otherwise (${min_kind:-not at all}) or not at all; keeping $input as it is)"
  cp "$input" "$input.min"
fi

case $target in
  ingest_*) dest="tests/fuzz/regressions/ingest/NAME--${target#ingest_}.json" ;;
  *) dest="tests/fuzz/regressions/$target/NAME" ;;
esac
echo "== keep it: fix the bug with a unit test that fails before the fix, then"
echo "   cp $input.min $dest   (make fuzz then runs it first, as a seed)"
