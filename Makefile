# Vigil: `make run` and `make test` are all a newcomer needs (README.md).
#   make run            setup if needed, Release build, serve configs/vigil.yaml on 127.0.0.1:9000
#   make test           setup, build, every ctest suite not labelled slow
#   make test SANITIZE=1  the same tests built with ASan + UBSan (build-sanitize/)
#   make run ARCH=native  build for this CPU (any -march value) in build-native/; the default
#                       build targets plain x86-64 and runs on every x86-64 machine
#   make check-arch ARCH=icelake-server  compile the whole tree for another CPU (nothing runs)
#   make test-slow      only the suites labelled slow
#   make lint           clang-format check and clang-tidy on our sources
#   make bench          Google Benchmark suites and a short loadtest; rewrites docs/performance.md tables
#   make fuzz           libFuzzer targets (clang-14, ASan + UBSan) in build-fuzz/, FUZZ_TIME seconds
#                       each (default 60); FUZZ_TARGETS="ingest_events runbook" picks (docs/fuzzing.md)

SANITIZE ?= 0
JOBS ?= $(shell nproc)
CONFIG ?= configs/vigil.yaml
# The -march target (CMake's VIGIL_ARCH). Empty: the portable default, x86-64.
ARCH ?=
FUZZ_TIME ?= 60
FUZZ_TARGETS ?=

ifeq ($(SANITIZE),1)
  BUILD_DIR := build-sanitize
  CMAKE_ARGS := -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_BUILD_BENCH=OFF
else
  BUILD_DIR := build
  CMAKE_ARGS := -DCMAKE_BUILD_TYPE=Release
endif
# Another target CPU builds in a directory of its own, so the default build/ stays portable.
ifneq ($(ARCH),)
  BUILD_DIR := $(BUILD_DIR)-$(ARCH)
  CMAKE_ARGS += -DVIGIL_ARCH=$(ARCH)
endif

SOURCES := $(shell find runtime storage actors bench tests -name '*.cpp' -o -name '*.hpp' 2>/dev/null | sort)

.PHONY: all setup configure build run test test-slow lint format bench fuzz check-arch clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_ARGS)

configure: setup $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/vigil serve --config $(CONFIG)

test: build
	cd $(BUILD_DIR) && ctest -LE slow -j $(JOBS) --output-on-failure --timeout 600

test-slow: build
	cd $(BUILD_DIR) && ctest -L slow --output-on-failure --timeout 3600

lint: configure
	@echo "clang-format: checking $(words $(SOURCES)) files"
	@clang-format --dry-run --Werror $(SOURCES)
	@bash scripts/clang-tidy.sh $(BUILD_DIR) $(JOBS)

format:
	clang-format -i $(SOURCES)

bench: build
	bash bench/run.sh $(BUILD_DIR)

# Its own build (build-fuzz/, clang), whatever SANITIZE and ARCH say.
fuzz: setup
	FUZZ_TIME=$(FUZZ_TIME) FUZZ_TARGETS="$(FUZZ_TARGETS)" JOBS=$(JOBS) bash scripts/fuzz/run.sh

# Compiles every target (libraries, binary, tests, benchmarks) for ARCH with our warnings as
# errors, without running anything: CI proves a CPU it does not have this way.
check-arch: configure
	@test -n "$(ARCH)" || { echo "check-arch: say which CPU, e.g. ARCH=icelake-server"; exit 2; }
	cmake --build $(BUILD_DIR) -j $(JOBS)

clean:
	rm -rf build build-*
