#!/usr/bin/env bash
# `make bench`: runs every Google Benchmark suite, a short `vigil loadtest` and the wrk load
# against a fresh server, then rewrites the generated part of docs/performance.md (between the
# bench:begin/end markers).
# Each benchmark is repeated and the fastest repetition is reported: this machine shares its
# CPUs, and the fastest run is the one least disturbed by neighbours.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"; [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true' EXIT

reps=${BENCH_REPS:-5}
for suite in bench_parse bench_storage bench_queue bench_checkpoint bench_match bench_template bench_breaker bench_workflow; do
  echo "== $suite"
  suite_reps=$reps
  # The workflow suite runs whole engines for seconds each: once is enough.
  [ "$suite" = bench_workflow ] && suite_reps=1
  "$build/bench/$suite" --benchmark_repetitions="$suite_reps" --benchmark_enable_random_interleaving=true \
    --benchmark_format=json --benchmark_out="$out/$suite.json" --benchmark_out_format=json >/dev/null
done

# One row per benchmark: the fastest repetition's time per iteration and items per second.
rows=$(jq -r -s '
  def std: ["name","family_index","per_family_instance_index","run_name","run_type","repetitions",
            "repetition_index","threads","iterations","real_time","cpu_time","time_unit",
            "items_per_second","bytes_per_second","aggregate_name","aggregate_unit","label"];
  def num: if . >= 100 then (. | round) else ((. * 100 | round) / 100) end;
  [.[].benchmarks[] | select(.run_type == "iteration")]
  | group_by(.name) | map(min_by(.real_time))
  | .[] | . as $b
  | ([to_entries[] | select(.key as $k | std | index($k) | not) | "\(.key)=\(.value | num)"] | join(", ")) as $counters
  | "| `\(.name)` | \(.real_time | num) \(.time_unit) | \(if .items_per_second then "\((.items_per_second / 1000) | num) k/s" else "" end) | \($counters) |"' \
  "$out"/bench_*.json)

# End to end over loopback: a fresh server with the shipped config (sync: batch), wrk and
# `vigil loadtest` on the same machine. The config is the shipped one with its runbook repository
# moved to a copy of configs/runbooks that also holds the loadtest's end-to-end runbook, whose
# step calls the loadtest's sink on a free port.
sink_port=19099
while (exec 3<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null; do sink_port=$((sink_port + 1)); done
mkdir -p "$out/runbooks"
cp -r configs/runbooks/. "$out/runbooks/"
lt_runbook_ok=1
"$build/vigil" loadtest --print-runbook --sink "127.0.0.1:$sink_port" > "$out/runbooks/loadtest-e2e.yaml" 2>/dev/null \
  || { lt_runbook_ok=0; rm -f "$out/runbooks/loadtest-e2e.yaml"; }
sed "s#repository: ./configs/runbooks#repository: $out/runbooks#" configs/vigil.yaml > "$out/vigil.yaml"
data="$out/data"
"$build/vigil" serve --config "$out/vigil.yaml" --listen 127.0.0.1:0 --data "$data" 2>"$out/server.log" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '"msg":"serving"' "$out/server.log" 2>/dev/null && break
  sleep 0.1
done
port=$(grep -o '"listen":"127.0.0.1:[0-9]*"' "$out/server.log" | head -1 | grep -o '[0-9]*"$' | tr -d '"')
duration=${BENCH_DURATION:-20s}
# First, on the fresh server: the open-loop generator at a fixed rate, with the end-to-end
# latency through the runbook above. Exit 1 (an SLO missed) still gives a row.
lt_rate=${BENCH_LOADTEST_RATE:-2000}
lt_duration=${BENCH_LOADTEST_DURATION:-10s}
echo "== vigil loadtest, $lt_rate events/s for $lt_duration"
lt_status=0
"$build/vigil" loadtest --url "http://127.0.0.1:$port" --rate "$lt_rate" --duration "$lt_duration" \
  --sink "127.0.0.1:$sink_port" --report "$out/loadtest" > "$out/loadtest.txt" 2>&1 || lt_status=$?
if [ "$lt_runbook_ok" = 1 ] && [ -f "$out/loadtest/report.json" ]; then
  cat "$out/loadtest.txt" | grep -v '^progress' || true
  lt_row=$(jq -r --arg rate "$lt_rate" --arg duration "$lt_duration" '
    def ms: if . == null then "-" elif . >= 100 then "\(. | round) ms" else "\((. * 100 | round) / 100) ms" end;
    def lat(l): if l == null then "not measured" else "p50 \(l.p50_ms | ms)  p95 \(l.p95_ms | ms)  p99 \(l.p99_ms | ms)" end;
    "| `vigil loadtest`, `POST /api/events`, \($rate) events/s, 64 connections | \(.rates.accepted_events_per_s | round) events/s | accept: \(lat(.latency.accept)); end to end (\(.end_to_end.seen) runs): \(lat(.latency.end_to_end)) | \(.counts.failed_requests) | \(if .slo.met then "met" else "missed" end) (\(.config.slo)) |"' \
    "$out/loadtest/report.json")
else
  echo "vigil loadtest did not run (exit $lt_status):" >&2
  cat "$out/loadtest.txt" >&2
  lt_row="| \`vigil loadtest\` | not run (exit $lt_status) | | | |"
fi
echo "== wrk v2alerts (batch 50) against 127.0.0.1:$port"
wrk -t1 -c32 -d"$duration" -s bench/wrk/v2alerts.lua "http://127.0.0.1:$port" > "$out/wrk_batch.txt"
echo "== wrk single events"
wrk -t1 -c64 -d"$duration" -s bench/wrk/single_event.lua "http://127.0.0.1:$port" > "$out/wrk_single.txt"
kill "$server_pid"
wait "$server_pid" || true
server_pid=""
rss=$(grep -o 'VmHWM:[^k]*' /proc/self/status | head -1 || true)

batch_rate=$(grep -o 'events/s: [0-9]*' "$out/wrk_batch.txt" | grep -o '[0-9]*$')
batch_lat=$(grep '^p50' "$out/wrk_batch.txt")
batch_errors=$(grep -o 'non-2xx: [0-9]*' "$out/wrk_batch.txt" | grep -o '[0-9]*$')
single_rate=$(grep -o 'requests/s: [0-9]*' "$out/wrk_single.txt" | grep -o '[0-9]*$')
single_lat=$(grep '^p50' "$out/wrk_single.txt")
single_errors=$(grep -o 'non-2xx: [0-9]*' "$out/wrk_single.txt" | grep -o '[0-9]*$')

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
simd=$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx512f|avx2|sse4_2' | sort -u | tr '\n' ' ' | sed 's/ $//')
# The flags our own code was compiled with (one translation unit's command, from the build).
flags=$(jq -r '[.[] | select(.file | endswith("runtime/ingest/parse.cpp"))][0].command' \
  "$build/compile_commands.json" | tr ' ' '\n' | grep -E -- '^-(O[0-9s]|march=.*|DNDEBUG|g)$' | tr '\n' ' ' | sed 's/ $//')
jemalloc=$(grep -o '^VIGIL_JEMALLOC:BOOL=[A-Z]*' "$build/CMakeCache.txt" | cut -d= -f2)
generated="$out/generated.md"
{
  echo "<!-- bench:begin (generated by \`make bench\`; edits here are overwritten) -->"
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB,"
  echo "CPU features $simd; build \`$build\` with \`$flags\`, jemalloc $jemalloc;"
  echo "Vigil $(git rev-parse --short HEAD 2>/dev/null || echo unknown); fastest of $reps repetitions."
  echo
  echo "| benchmark | time per iteration | items per second | counters |"
  echo "|---|---|---|---|"
  echo "$rows"
  echo
  echo "| end to end (wrk, loopback, sync: batch, $duration) | rate | latency | non-2xx |"
  echo "|---|---|---|---|"
  echo "| \`POST /api/v2/alerts\`, batches of 50, 32 connections | $batch_rate events/s | $batch_lat | $batch_errors |"
  echo "| \`POST /api/events\`, single events, 64 connections | $single_rate requests/s | $single_lat | $single_errors |"
  echo
  echo "| open loop (\`vigil loadtest\`, loopback, sync: batch, $lt_duration) | accepted | latency from the scheduled send | errors | SLOs |"
  echo "|---|---|---|---|---|"
  echo "$lt_row"
  echo "<!-- bench:end -->"
} > "$generated"

doc=docs/performance.md
awk -v gen="$generated" '
  /<!-- bench:begin/ { while ((getline line < gen) > 0) print line; skip = 1; next }
  /<!-- bench:end -->/ { skip = 0; next }
  !skip { print }
' "$doc" > "$out/doc.md"
cp "$out/doc.md" "$doc"
echo "docs/performance.md updated"
