# Sieve: the quick start's two commands, `make demo` and `make test`. Both set
# up everything on a fresh Debian 12 machine first (apt packages, CMake).
BUILD ?= build
SANITIZER_BUILD ?= build-sanitizers
LLVM := /usr/lib/llvm-22
CMAKE_FLAGS := -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=$(LLVM)/lib/cmake/mlir \
  -DCMAKE_C_COMPILER=$(LLVM)/bin/clang -DCMAKE_CXX_COMPILER=$(LLVM)/bin/clang++ \
  -DLLVM_EXTERNAL_LIT=$(LLVM)/bin/lit
# Looked up when CMake runs, not when make starts: on a fresh machine `deps`
# installs ccache first.
CCACHE_FLAGS = $$(command -v ccache >/dev/null && echo \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

.PHONY: all deps build test test-sanitizers demo docs bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) $(CCACHE_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

test: build
	@scripts/run-tests.sh $(BUILD)

# The compiler built with AddressSanitizer and UndefinedBehaviorSanitizer in
# its own folder, then the whole suite (fuzzer included) run with it. CI runs
# this after `make test`.
$(SANITIZER_BUILD)/build.ninja: | deps
	cmake -S . -B $(SANITIZER_BUILD) $(CMAKE_FLAGS) $(CCACHE_FLAGS) -DSIEVE_SANITIZE=ON

test-sanitizers: deps $(SANITIZER_BUILD)/build.ninja
	ninja -C $(SANITIZER_BUILD)
	@scripts/run-tests.sh $(SANITIZER_BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

# Regenerates the dialect and pass references in docs/generated/.
docs: build
	ninja -C $(BUILD) mlir-doc
	scripts/update-docs.sh $(BUILD)

# Arena sizes against TFLite Micro's placement rule (bench/memory_bench.py);
# the parallel-for hook against serial execution (bench/parallel_bench.py);
# patch-based plans against MCUNetV2's and msf-CNN's (bench/patch_bench.py);
# attention: arena and time of flash and LogSparse against the dense lowering
# and the FMA peak (bench/attention_bench.py); ternary kernels against their
# baselines (bench/ternary_bench.py); int8 convolution kernels against
# XNNPACK (bench/int8_bench.py); compile time as models grow, with and
# without outlined layers (bench/compile_time_bench.py); token-sparse
# attention (ZipVL) against dense flash (bench/token_sparse_bench.py); int8
# kernels on Cortex-M against CMSIS-NN (bench/int8_mcu_bench.py); int8
# kernels on AArch64 against the generic loops, instructions and llvm-mca
# cycles per MAC (bench/int8_aarch64_bench.py).
bench: build
	python3 bench/memory_bench.py $(BUILD)
	python3 bench/parallel_bench.py $(BUILD)
	python3 bench/patch_bench.py $(BUILD) --icount
	python3 bench/attention_bench.py $(BUILD)
	python3 bench/ternary_bench.py $(BUILD)
	python3 bench/int8_bench.py $(BUILD)
	python3 bench/compile_time_bench.py $(BUILD)
	python3 bench/token_sparse_bench.py $(BUILD) --long
	python3 bench/int8_mcu_bench.py $(BUILD)
	python3 bench/int8_aarch64_bench.py $(BUILD)

clean:
	rm -rf $(BUILD) $(SANITIZER_BUILD)
