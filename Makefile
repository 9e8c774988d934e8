# looplab's front door. On a fresh Debian 12 machine, `make run` and `make test` are all you need:
# both install the missing Debian packages first (tools/deps.sh says what it does).
#
#   make                    build everything into build/ (binaries in build/bin/)
#   make deps               install missing Debian packages (apt-get update, then apt-get install)
#   make run                the guided tour: every stage's default demo, in order
#   make run STAGE=02 ARGS="sleepy --trace"   one stage binary with your arguments
#   make test               unit tests, golden transcripts (CTest)
#   make golden             rewrite tests/golden/ from the current demos; review with git diff
#   make docs               the annotated-source site in build/docs/html/index.html
#   make diff FROM=01 TO=02 what the next stage changed: a summary, then the headers, demos, tests
#   make bench              benchmarks against asyncio and uvloop (Release build in build-bench/);
#                           results in build/bench/ (results.json, results.md, *.png); QUICK=1: small sizes
#   make clean              remove build directories
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

# Sanitizer builds need clang++ (see CMakeLists.txt: GCC's ASan breaks symmetric transfer).
ifeq ($(origin CXX),default)
CXX := $(if $(SANITIZE),clang++,g++)
endif
# clang++ comes from Debian's clang package; tools/deps.sh installs it when it is the compiler.
DEPS_EXTRA = $(if $(findstring clang,$(CXX)),clang)

CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_CXX_COMPILER=$(CXX) \
              -DLOOPLAB_WERROR=$(if $(WERROR),ON,OFF) -DLOOPLAB_SANITIZE=$(if $(filter thread,$(SANITIZE)),thread,$(if $(SANITIZE),ON,OFF)) $(CMAKE_EXTRA)

.PHONY: all build deps configure run test golden docs diff bench clean

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

# tools/stage_diff.sh: a line-count summary, then the teaching headers, then main.cpp, the demos,
# the Python twins and the stage's tests; moved files are followed as renames.
diff:
	@tools/stage_diff.sh $(FROM) $(TO)

clean:
	rm -rf build build-* build.configure.log

comma := ,
