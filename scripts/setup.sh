#!/usr/bin/env bash
# Installs every Debian package Vigil's build, tests, benchmarks and docs need, with apt-get.
# Idempotent: when everything is present it returns in well under a second.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make git
  # the stack (DESIGN.md)
  libcaf-dev libconcurrentqueue-dev libsimdjson-dev librocksdb-dev prometheus-cpp-dev
  libboost1.81-dev libcurl4-openssl-dev libyaml-cpp-dev libre2-dev libspdlog-dev libcli11-dev
  libxxhash-dev libjemalloc-dev
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev wrk
  # lint
  clang-format clang-tidy
  # fuzzing (make fuzz): clang with libFuzzer and the sanitizer runtimes, llvm-symbolizer
  clang-14 libclang-rt-14-dev llvm-14
  # operations: promtool (prometheus), and the curl/jq the docs use
  prometheus curl jq
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
