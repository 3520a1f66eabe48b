# The two commands (see README.md): `make run` and `make test`.
# Everything else here is for developers.

SHELL := /bin/bash
VIGIE := build/release/src/cli/vigie

# ccache hits across checkouts in different folders (CI clones elsewhere).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
# Warnings are errors in CI.
export VIGIE_WERROR := $(if $(CI),ON,OFF)

.PHONY: all deps build run test faults asan asan-test fuzz lint format format-check bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
	@cmake --build --preset release

# Starts `vigie serve` on its embedded default config, in the foreground.
# Builds only the binary it runs (not the tests, fuzzers and benchmarks).
run: deps
	@cmake --preset release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
	@cmake --build --preset release --target vigie
	$(VIGIE) serve

# Every test: unit, fuzz-corpus replays, integration and peer tests.
test: build
	ctest --preset release

# The fault suite in its full form (tests/faults/: resets, descriptor
# exhaustion, slowloris, reloads, SIGTERM, black holes, malformed input,
# query floods; minutes), then its table. `make test` runs the short form.
FAULTS_RESULTS := build/release/tests/faults/results.json
faults: build
	@rm -f $(FAULTS_RESULTS)
	@FAULTS_FULL=1 ctest --preset release -L faults --output-on-failure; rc=$$?; \
	  /usr/bin/python3 tests/faults/table.py $(FAULTS_RESULTS) --mode full; exit $$rc

# The unit and integration tests again under ASan + UBSan.
asan: deps
	@cmake --preset asan > build-configure-asan.log 2>&1 || { cat build-configure-asan.log; exit 1; }
	@cmake --build --preset asan

asan-test: asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --preset asan

# Fuzzes every target for FUZZ_SECONDS (default 60) each with clang's
# libFuzzer, keeps what grows each corpus, fails on any crash
# (scripts/fuzz.sh; FUZZ=regex picks targets). Run it before ending an
# issue that touches a parser, and commit the corpus growth.
fuzz: deps
	@scripts/fuzz.sh $(FUZZ)

format-check:
	@files=$$(git ls-files 'src/*.cc' 'src/*.h'); \
	  clang-format --dry-run -Werror $$files && echo "clang-format: clean"

lint: build format-check
	@files=$$(git ls-files 'src/*.cc'); \
	  clang-tidy -p build/release --quiet --extra-arg=-Wno-unknown-warning-option $$files

format:
	@clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h')

bench: build
	@scripts/install-deps.sh --bench
	@for b in bench/*/run; do [ -x "$$b" ] && "$$b"; done

clean:
	rm -rf build build-configure*.log
