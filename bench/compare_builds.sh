#!/usr/bin/env bash
# Compares two builds of the same commit (say `build` and `build-native`) on the ingest
# benchmarks: bench_parse interleaved ROUNDS times (fastest repetition of each), then a fresh
# `vigil serve` of each under the wrk loads of `make bench`, twice, alternating.
#   bash bench/compare_builds.sh build build-native
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?first build dir}
b=${2:?second build dir}
rounds=${ROUNDS:-6}
duration=${DURATION:-10s}
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

echo "== bench_parse, $rounds interleaved rounds of 3 repetitions (fastest, ns per iteration)"
for _ in $(seq "$rounds"); do
  for dir in "$a" "$b"; do
    "$dir/bench/bench_parse" --benchmark_filter='alertmanager|single_event|walk/50' \
      --benchmark_repetitions=3 --benchmark_format=json 2>/dev/null \
      | jq -r --arg d "$dir" '.benchmarks[] | select(.run_type == "iteration") | "\($d) \(.name) \(.real_time)"'
  done
done | awk '{k = $1 " " $2; if (!(k in m) || $3 < m[k]) m[k] = $3} END {for (k in m) printf "%-14s %-40s %10.0f\n", substr(k, 1, index(k, " ") - 1), substr(k, index(k, " ") + 1), m[k]}' | sort -k2,2 -k1,1

# Starts a fresh server of build $1; sets server_pid and port.
serve() {
  local dir=$1 log="$work/server.log"
  rm -rf "$work/data"
  "$dir/vigil" serve --config configs/vigil.yaml --listen 127.0.0.1:0 --data "$work/data" 2>"$log" &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q '"msg":"serving"' "$log" 2>/dev/null && break
    sleep 0.1
  done
  port=$(grep -o '"listen":"127.0.0.1:[0-9]*"' "$log" | head -1 | grep -o '[0-9]*"$' | tr -d '"')
}

echo "== wrk, $duration each (events/s for batches of 50, requests/s for single events)"
for _ in 1 2; do
  for dir in "$a" "$b"; do
    serve "$dir"
    batch=$(wrk -t1 -c32 -d"$duration" -s bench/wrk/v2alerts.lua "http://127.0.0.1:$port" | grep -o 'events/s: [0-9]*')
    single=$(wrk -t1 -c64 -d"$duration" -s bench/wrk/single_event.lua "http://127.0.0.1:$port" | grep -o 'requests/s: [0-9]*')
    kill "$server_pid"
    wait "$server_pid" || true
    server_pid=""
    printf '%-14s v2alerts %s   single %s\n' "$dir" "$batch" "$single"
  done
done
