# -*- Python -*-
# lit configuration of Sieve's tests: FileCheck tests of the passes and
# tools, the gtest unit tests, and execution tests that compile models and run
# them natively or under QEMU.

import glob
import os

import lit.formats
import lit.util
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "Sieve"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.sieve_obj_root, "test")
config.excludes = ["Inputs", "models", "regressions", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "README.md"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%sieve_src", config.sieve_src_root))
config.substitutions.append(("%sieve_obj", config.sieve_obj_root))
config.substitutions.append(("%models", os.path.join(config.sieve_src_root, "test", "models")))
config.substitutions.append(("%examples", os.path.join(config.sieve_src_root, "examples")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
config.substitutions.append(
    ("%tflite-oracle-py", "%s %s" % (config.python_executable,
                                     os.path.join(config.sieve_src_root, "scripts", "tflite_oracle.py"))))
# The real models of ../shared/models next to the source tree (see its
# README.md), or where SIEVE_SHARED_MODELS says.
shared_models = os.environ.get("SIEVE_SHARED_MODELS") or os.path.normpath(
    os.path.join(config.sieve_src_root, "..", "shared", "models"))
config.substitutions.append(("%shared_models", shared_models))
config.substitutions.append(
    ("%check-model", "%s %s" % (config.python_executable,
                                 os.path.join(config.sieve_src_root, "scripts", "check_model.py"))))

llvm_config.with_system_environment(["HOME", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS"])
# The tools compile on a worker thread with a large stack, where LLVM installs
# its own signal stack; AddressSanitizer would then fail to unmap its own at
# thread exit (a sanitizer build only; see `make test-sanitizers`).
# allow_user_poisoning=0: llvm::BumpPtrAllocator poisons the slabs it
# allocates in instrumented code (Sieve's attribute storages) and unpoisons
# them only there, while libMLIR.so, not instrumented, allocates from the same
# slabs without unpoisoning: false use-after-poison reports.
config.environment.setdefault("ASAN_OPTIONS",
                              "use_sigaltstack=0:allow_user_poisoning=0")
config.environment.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
llvm_config.use_default_substitutions()

tool_dirs = [config.sieve_tools_dir, config.llvm_tools_dir]
tools = ["sieve-opt", "sieve-compile", "sieve-import-tflite", "sieve-tflite-reference", "mlir-opt", "mlir-runner", "clang",
         "llvm-objdump", "llvm-nm", "llvm-readelf"]
if config.sieve_tflite_oracle:
    tools.append("sieve-tflite-oracle")
if getattr(config, "sieve_tflite_fuzzer", False):
    tools.append("sieve-tflite-fuzzer")
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.sieve_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# Features that execution tests require.
def have(program):
    return lit.util.which(program) is not None
if have("qemu-aarch64") and os.path.exists("/usr/aarch64-linux-gnu/lib/libc.a"):
    config.available_features.add("qemu-aarch64")
if have("qemu-system-arm"):
    config.available_features.add("qemu-system-arm")
# The memory map test renders its pictures (librsvg2-bin, from install-deps).
if have("rsvg-convert"):
    config.available_features.add("rsvg-convert")
# The TFLite oracle (utils/tflite-oracle, test-only): built when CMake found
# Arm NN, runnable when its CpuRef backend plugin is where the build found it.
if config.sieve_tflite_oracle and os.path.isdir(config.sieve_armnn_backend_dir):
    config.available_features.add("armnn")
# libFuzzer on the TFLite reader (utils/tflite-fuzzer): built when clang's
# fuzzer runtime is installed, not in the sanitizer build.
if getattr(config, "sieve_tflite_fuzzer", False):
    config.available_features.add("libfuzzer")
if os.path.isdir(shared_models):
    config.available_features.add("shared-models")
# ThreadSanitizer's runtime (the pool's stress test runs under it too).
if glob.glob(os.path.join(os.path.dirname(config.llvm_tools_dir), "lib", "clang", "*", "lib",
                          "*", "libclang_rt.tsan*")):
    config.available_features.add("tsan")
with open("/proc/cpuinfo") as cpuinfo:
    flags = cpuinfo.read()
    if " avx2" in flags:
        config.available_features.add("host-avx2")
    # x86-64-avx512's kernels run here (check_model.py --native-if-host-can).
    if all(" %s" % f in flags for f in ("avx512f", "avx512bw", "avx512_vnni")):
        config.available_features.add("host-avx512vnni")
