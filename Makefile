# looplab's front door. On a fresh Debian 12 machine, `make run` and `make test` are all you need:
# both install the missing Debian packages first (tools/deps.sh says what it does).
#
#   make                    build everything into build/ (binaries in build/bin/)
#   make deps               install missing Debian packages (apt-get update, then apt-get install)
#   make run                the guided tour: every stage's default demo, in order (builds only the
#                           stage binaries; the tests and benchmarks wait for make test, make bench)
#   make run STAGE=02 ARGS="sleepy --trace"   one stage binary with your arguments
#   make test               unit tests, golden transcripts (CTest)
#   make golden             rewrite tests/golden/ from the current demos; review with git diff
#   make docs               the annotated-source site in build/docs/html/index.html, then its check
#   make docs-check         only the check (tools/docs_check.py): every link resolves, no markup leaks
#   make diff FROM=01 TO=02 what the next stage changed: a summary, then the headers, demos, tests
#   make bench              benchmarks against asyncio and uvloop (Release build in build-bench/);
#                           results in build/bench/ (results.json, results.md, *.png); QUICK=1: small sizes
#   make fuzz               the stream reader's fuzz target (clang++, libFuzzer, ASan + UBSan) in
#                           build-fuzz/, run for FUZZ_TIME seconds (60) from tests/fuzz/corpus/
#   make clean              remove build directories
#   make exercise           list the exercises; EX=02_heap: build and run that exercise's check on
#                           your file in mywork/02_heap/ (SOLUTION=1: on the reference solution)
#
# Variables: BUILD (build directory), CXX (compiler), BUILD_TYPE, SANITIZE=1 (ASan+UBSan) or
# SANITIZE=thread (ThreadSanitizer), WERROR=1, JOBS;
# TARGETS (build only these CMake targets); for bench: QUICK=1, BENCH_BUILD (its build directory),
# BENCH_OUT (where the results go), BENCH_ARGS (more options for bench/run.py, such as
# BENCH_ARGS="--only echo --merge": run the echo workload again, keep the other results).

BUILD      ?= build
BUILD_TYPE ?= Debug
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
STAGE      ?=
ARGS       ?=
FROM       ?= 01
TO         ?= 02
QUICK      ?=
BENCH_ARGS ?=
TARGETS    ?=
BENCH_BUILD ?= build-bench
BENCH_OUT  ?= build/bench
EX         ?=
SOLUTION   ?=
STARTER    ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60

# cmake --build runs make again below us; without this, every level of it prints "Entering
# directory" lines before the compiler's.
MAKEFLAGS += --no-print-directory

# Sanitizer builds need clang++ (see CMakeLists.txt: GCC's ASan breaks symmetric transfer).
ifeq ($(origin CXX),default)
CXX := $(if $(SANITIZE),clang++,g++)
endif
# clang++ comes from Debian's clang package; tools/deps.sh installs it when it is the compiler.
DEPS_EXTRA = $(if $(findstring clang,$(CXX)),clang)

CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_CXX_COMPILER=$(CXX) \
              -DLOOPLAB_WERROR=$(if $(WERROR),ON,OFF) -DLOOPLAB_SANITIZE=$(if $(filter thread,$(SANITIZE)),thread,$(if $(SANITIZE),ON,OFF)) $(CMAKE_EXTRA)

.PHONY: all build deps configure run test golden docs docs-check diff bench fuzz clean exercise

all: build

deps:
	@tools/deps.sh $(DEPS_EXTRA)

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) > $(BUILD).configure.log 2>&1 \
	  || { cat $(BUILD).configure.log; echo "looplab: cmake configure failed (log above)"; exit 1; }
	@rm -f $(BUILD).configure.log

build: configure
	@echo "looplab: building in $(BUILD)/ with $(CXX) ($(BUILD_TYPE)$(if $(SANITIZE),$(comma) $(if $(filter thread,$(SANITIZE)),TSan,ASan+UBSan)))"
	@cmake --build $(BUILD) -j $(JOBS) $(if $(TARGETS),--target $(TARGETS))

# The tour and the transcripts need only the stage binaries (the CMake target `stages`).
run golden: TARGETS := stages
run: build
ifeq ($(STAGE),)
	@tools/tour.sh $(BUILD)/bin
else
	@bin=$$(ls $(BUILD)/bin/$(STAGE)-* 2>/dev/null | head -n 1); \
	if [ -z "$$bin" ]; then echo "looplab: no stage $(STAGE) in $(BUILD)/bin (try: ls $(BUILD)/bin)"; exit 2; fi; \
	echo "\$$ $$bin $(ARGS)"; "$$bin" $(ARGS)
endif

test: build
	@echo "looplab: running the tests (unit, conformance, golden transcripts) with CTest"
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

golden: build
	@for bin in $(BUILD)/bin/[0-9][0-9]-*; do \
	  n=$$(basename $$bin | cut -c1-2); \
	  cmake -DMODE=regenerate -DBIN=$$bin -DNUMBER=$$n -DDIR=$(CURDIR)/tests/golden -P cmake/golden.cmake || exit 1; \
	done
	@echo "looplab: golden transcripts rewritten; review them with: git diff --stat tests/golden; git diff tests/golden"

docs: configure
	@cmake --build $(BUILD) --target docs
	@echo "looplab: open $(BUILD)/docs/html/index.html"

docs-check:
	@/usr/bin/python3 tools/docs_check.py $(BUILD)/docs/html

# The benchmarks get a build directory of their own: Release at -O2, no sanitizers, no
# tests, so a Debug build/ is left alone; only the programs it runs are built. Python, uvloop and
# gnuplot come from Debian like the rest.
BENCH_TARGETS = bench-stage02 bench-stage07 bench-stage07-echo bench-epoll-echo bench-echo-load \
                04-nonblocking-sockets 07-streams
bench:
	@$(MAKE) --no-print-directory build BUILD=$(BENCH_BUILD) BUILD_TYPE=Release SANITIZE= TARGETS="$(BENCH_TARGETS)" \
	  CMAKE_EXTRA="-DLOOPLAB_TESTS=OFF -DLOOPLAB_DOCS=OFF '-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG'" \
	  DEPS_EXTRA="$(DEPS_EXTRA) python3 python3-uvloop gnuplot-nox"
	@/usr/bin/python3 bench/run.py --bin $(BENCH_BUILD)/bin --out $(BENCH_OUT) $(if $(QUICK),--quick) $(BENCH_ARGS)

# The fuzz target gets a build directory of its own too: clang++ (libFuzzer comes with it), ASan and
# UBSan, nothing else built. New inputs it finds go to $(FUZZ_BUILD)/corpus/, so the repository's
# seeds stay as they are; a crash leaves its input in the current directory (crash-*). -O1 (asserts
# kept) runs more inputs a second than -O0: about 1,000 against 750 on two shared cores.
fuzz:
	@$(MAKE) build BUILD=$(FUZZ_BUILD) CXX=clang++ SANITIZE=1 TARGETS=fuzz-stream-reader \
	  CMAKE_EXTRA="-DLOOPLAB_FUZZ=ON -DLOOPLAB_TESTS=OFF -DLOOPLAB_DOCS=OFF -DCMAKE_CXX_FLAGS=-O1"
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(FUZZ_BUILD)/tests/fuzz-stream-reader -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	  $(FUZZ_BUILD)/corpus tests/fuzz/corpus

# tools/stage_diff.sh: a line-count summary, then the teaching headers, then main.cpp, the demos,
# the Python twins and the stage's tests; moved files are followed as renames.
diff:
	@tools/stage_diff.sh $(FROM) $(TO)

# exercises/run.sh: with no EX, the list; with EX, that exercise's check (exercises/README.md).
# STARTER=1 runs it on the untouched starter (it must fail: exercises/ci.sh checks that for all).
exercise:
	@exercises/run.sh $(BUILD) "$(EX)" $(if $(SOLUTION),solution,$(if $(STARTER),starter,mine))

clean:
	rm -rf build build-* build.configure.log

comma := ,
