#!/usr/bin/env python3
"""Compile a model with sieve-compile, run it on targets, compare with a reference.

The reference does not go through Sieve: the model is lowered with upstream
MLIR's plain pipeline (mlir-opt) and run by mlir-runner on the same seeded
inputs. Sieve's object file is linked with a small C harness and run natively,
under qemu-aarch64 or under qemu-system-arm, as the target table says (the
JSON report carries the target's row). Integer outputs must match bit for bit;
float outputs to a stated tolerance.

    check_model.py MODEL.mlir --targets x86-64-avx2,cortex-m55 --work DIR

MODEL may be a TFLite flatbuffer (`.tflite`, recognised by its file
identifier): sieve-compile reads it directly, and the reference lowers the
TOSA that `sieve-import-tflite` gives for it. `--input-file` feeds an
input's raw bytes instead of seeded data, `--input-fill V` sets every input
element to V (extreme activations), and `--print-outputs` prints what
each target computed.

Two more comparisons for a `.tflite`, each a line of its own per target:

- `--tflite-reference`: bit for bit against TFLite's reference kernels
  (`sieve-tflite-reference`, utils/tflite-reference) on the same inputs;
  float outputs within `--rtol`/`--atol`;
- `--armnn`: against the Arm NN oracle (`sieve-tflite-oracle`), which rounds
  once in float where TFLite rounds twice in fixed point. Values that differ
  are counted, with the largest difference, and each must be one where Sieve
  equals the reference kernels (so `--armnn` implies `--tflite-reference`;
  with `--armnn` alone, a model the reference kernels refuse is a SKIP for
  them and must then equal Arm NN exactly);
  float outputs must agree within 1e-5 relative. A model that Arm NN refuses
  is reported (SKIP) with its reason, not failed.

Prints one line per target (PASS/FAIL/BUILT) and exits non-zero on any failure.
Standard library only.
"""

import argparse
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUNTIME = os.path.join(ROOT, "runtime")
LLVM_BIN = "/usr/lib/llvm-22/bin"

# Upstream-only lowering used for the reference: no Sieve pass is involved.
REFERENCE_PIPELINE = (
    "builtin.module(func.func(tosa-to-scf, tosa-optional-decompositions, "
    "tosa-infer-shapes, tosa-make-broadcastable, tosa-to-linalg-named, "
    "tosa-to-linalg, tosa-to-arith{include-apply-rescale=true}, tosa-to-tensor), "
    "convert-elementwise-to-linalg, "
    "one-shot-bufferize{bufferize-function-boundaries}, "
    "func.func(convert-linalg-to-loops), convert-scf-to-cf, "
    "expand-strided-metadata, lower-affine, finalize-memref-to-llvm, "
    "convert-arith-to-llvm, convert-math-to-llvm, convert-math-to-libm, convert-func-to-llvm, "
    "convert-cf-to-llvm, reconcile-unrealized-casts)")

# element type -> (struct format, C type, print function, is float)
ELEMENTS = {
    "i1": ("B", "uint8_t", "sieve_print_u8", False),
    "i8": ("b", "int8_t", "sieve_print_i8", False),
    "i16": ("h", "int16_t", "sieve_print_i16", False),
    "i32": ("i", "int32_t", "sieve_print_i32", False),
    "i64": ("q", "int64_t", "sieve_print_i64", False),
    "f16": ("e", "uint16_t", "sieve_print_u16", True),  # raw IEEE-754 bits in C
    "f32": ("f", "float", "sieve_print_f32", True),
    "f64": ("d", "double", "sieve_print_f64", True),
}


def tool(name):
    """Sieve's tools from PATH (lit puts the build's first), else from the
    checkout's build/bin (what `make build` makes); LLVM's from the LLVM 22
    installation Sieve is built with, never whichever clang comes first on
    PATH (an older one cannot link Cortex-M harnesses)."""
    candidate = os.path.join(LLVM_BIN, name)
    if not name.startswith("sieve-") and os.path.exists(candidate):
        return candidate
    found = shutil.which(name)
    if found:
        return found
    built = os.path.join(os.path.dirname(HERE), "build", "bin", name)
    if name.startswith("sieve-") and os.access(built, os.X_OK):
        return built
    sys.exit("check_model: cannot find %s (not on PATH, nor in %s)" %
             (name, os.path.dirname(built)))


def run(cmd, timeout=600, **kwargs):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=timeout, **kwargs)
    return result


def must(cmd, what, timeout=600):
    result = run(cmd, timeout=timeout)
    if result.returncode != 0:
        sys.stderr.write("check_model: %s failed (exit %d):\n  %s\n%s%s" % (
            what, result.returncode, " ".join(cmd), result.stdout[-4000:],
            result.stderr[-4000:]))
        sys.exit(1)
    return result.stdout


def num_elements(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def check_supported(tensors):
    for t in tensors:
        if t["element_type"] not in ELEMENTS:
            sys.exit("check_model: the harness cannot feed or print %s tensors" %
                     t["element_type"])


def is_tflite(path):
    """A TFLite flatbuffer: the file identifier "TFL3" at bytes 4 to 8."""
    with open(path, "rb") as f:
        return f.read(8)[4:8] == b"TFL3"


def read_input_file(path, t):
    """An input's elements from a file of raw little-endian bytes."""
    fmt = ELEMENTS[t["element_type"]][0]
    n = num_elements(t["shape"])
    with open(path, "rb") as f:
        data = f.read()
    size = struct.calcsize("<%d%s" % (n, fmt))
    if len(data) != size:
        sys.exit("check_model: %s has %d bytes, the input needs %d" % (
            path, len(data), size))
    return list(struct.unpack("<%d%s" % (n, fmt), data))


def make_inputs(inputs, seed, files=(), fill=None):
    """Seeded random data per input: the full int range, or floats k/64 in
    [-2, 2]; or the bytes of `files[i]` for input i."""
    check_supported(inputs)
    rng = random.Random(seed)
    values = []
    for i, t in enumerate(inputs):
        n = num_elements(t["shape"])
        et = t["element_type"]
        if i < len(files) and files[i]:
            values.append(read_input_file(files[i], t))
        elif fill is not None:
            values.append([fill if et.startswith("f") else int(fill)] * n)
        elif et == "i1":
            values.append([rng.randint(0, 1) for _ in range(n)])
        elif et.startswith("i"):
            bits = min(int(et[1:]), 16)  # keep wide integers in a sane range
            lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
            values.append([rng.randint(lo, hi) for _ in range(n)])
        else:
            values.append([rng.randint(-128, 128) / 64.0 for _ in range(n)])
    return values


def tensor_type(t, element=None):
    """The MLIR tensor type of a report tensor, optionally with another
    element type."""
    dims = "x".join(str(d) for d in t["shape"])
    return "tensor<%s%s%s>" % (dims, "x" if dims else "", element or t["element_type"])


def dense_hex(t, data):
    fmt = ELEMENTS[t["element_type"]][0]
    return "0x" + struct.pack("<%d%s" % (len(data), fmt), *data).hex().upper()


def reference_wrapper(report, inputs, values):
    """An MLIR function that calls the model on constant inputs and prints
    every output with printMemrefI32/I64 (floats as their bits)."""
    lines = ["  func.func @sieve_reference_main() {"]
    args = []
    for i, (t, data) in enumerate(zip(inputs, values)):
        lines.append('    %%in%d = arith.constant dense<"%s"> : %s' % (
            i, dense_hex(t, data), tensor_type(t)))
        args.append("%%in%d" % i)
    outs = report["outputs"]
    result_types = ", ".join(tensor_type(t) for t in outs)
    lines.append("    %%r:%d = func.call @%s(%s) : (%s) -> (%s)" % (
        len(outs), report["function"], ", ".join(args),
        ", ".join(tensor_type(t) for t in inputs), result_types))
    for i, t in enumerate(outs):
        et = t["element_type"]
        ty = tensor_type(t)
        wide = "i64" if et in ("i64", "f64") else "i32"
        wty = tensor_type(t, wide)
        value = "%%w%d" % i
        if et == "f16":
            half = tensor_type(t, "i16")
            lines.append("    %%h%d = arith.bitcast %%r#%d : %s to %s" % (i, i, ty, half))
            lines.append("    %s = arith.extui %%h%d : %s to %s" % (value, i, half, wty))
        elif et in ("f32", "f64"):
            lines.append("    %s = arith.bitcast %%r#%d : %s to %s" % (value, i, ty, wty))
        elif et == "i1":
            lines.append("    %s = arith.extui %%r#%d : %s to %s" % (value, i, ty, wty))
        elif et in ("i8", "i16"):
            lines.append("    %s = arith.extsi %%r#%d : %s to %s" % (value, i, ty, wty))
        else:
            value = "%%r#%d" % i
        mty = wty.replace("tensor<", "memref<")
        lines.append("    %%m%d = bufferization.to_buffer %s : %s to %s" % (i, value, wty, mty))
        lines.append("    %%u%d = memref.cast %%m%d : %s to memref<*x%s>" % (i, i, mty, wide))
        lines.append("    func.call @printMemref%s(%%u%d) : (memref<*x%s>) -> ()" % (
            wide.upper(), i, wide))
    lines.append("    return")
    lines.append("  }")
    lines.append("  func.func private @printMemrefI32(memref<*xi32>)")
    lines.append("  func.func private @printMemrefI64(memref<*xi64>)")
    return "\n".join(lines) + "\n"


def insert_into_module(text, extra):
    """Adds functions to the model's module (explicit or implicit)."""
    body = re.sub(r"//[^\n]*", "", text)
    for line in body.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("module"):
            end = text.rstrip().rfind("}")
            return text[:end] + extra + text[end:]
        break
    return text + "\n" + extra


def parse_memref_prints(text):
    """All values printed by printMemref*, one list per call."""
    chunks = text.split("Unranked Memref")[1:]
    results = []
    for chunk in chunks:
        data = chunk.split("data =", 1)[1]
        results.append([int(v) for v in re.findall(r"-?\d+", data)])
    return results


def bits_to_float(bits, et):
    if et == "f16":
        return struct.unpack("<e", struct.pack("<H", bits & 0xFFFF))[0]
    if et == "f32":
        return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]
    return struct.unpack("<d", struct.pack("<Q", bits & 0xFFFFFFFFFFFFFFFF))[0]


def decode(values, et):
    if et in ("f16", "f32", "f64"):
        return [bits_to_float(v, et) for v in values]
    return values


def run_reference(model, report, inputs, values, work):
    with open(model) as f:
        text = f.read()
    wrapped = insert_into_module(text, reference_wrapper(report, inputs, values))
    src = os.path.join(work, "reference.mlir")
    with open(src, "w") as f:
        f.write(wrapped)
    lowered = os.path.join(work, "reference.llvm.mlir")
    must([tool("mlir-opt"), src, "--pass-pipeline=" + REFERENCE_PIPELINE,
          "-o", lowered], "reference lowering (mlir-opt)")
    lib = os.path.join(LLVM_BIN, "..", "lib")
    out = must([tool("mlir-runner"), lowered, "-e", "sieve_reference_main",
                "-entry-point-result=void", "-O2",
                "-shared-libs=%s,%s" % (os.path.join(lib, "libmlir_runner_utils.so"),
                                        os.path.join(lib, "libmlir_c_runner_utils.so"))],
               "reference run (mlir-runner)")
    printed = parse_memref_prints(out)
    outs = report["outputs"]
    if len(printed) != len(outs):
        sys.exit("check_model: the reference printed %d tensors, expected %d" % (
            len(printed), len(outs)))
    return [decode(p, t["element_type"]) for p, t in zip(printed, outs)]


def c_array(t, data, name, const=True):
    ctype = ELEMENTS[t["element_type"]][1]
    if t["element_type"] == "f16":
        data = struct.unpack("<%dH" % len(data), struct.pack("<%de" % len(data), *data))
    if t["element_type"] in ("f32", "f64"):
        items = ", ".join(repr(float(v)) + ("f" if ctype == "float" else "") for v in data)
    else:
        items = ", ".join(str(v) for v in data)
    return "static %s%s %s[%d] = {%s};\n" % (
        "const " if const else "", ctype, name, max(len(data), 1), items)


# --parallel: how the harness calls <name>_run_parallel (docs/parallel.md).
PARALLEL_HOOKS = {
    "null": "NULL",
    "serial": "sieve_serial_parallel_for",
    # Every task, last first, each on worker task % max_workers: all the
    # scratch slots, in an order no real pool uses.
    "reverse": "reverse_parallel_for",
    "pool": "sieve_pool_parallel_for",
}


def parse_parallel(mode):
    """'null', 'serial', 'reverse' or 'pool:N' as (hook, threads)."""
    hook, _, threads = mode.partition(":")
    if hook not in PARALLEL_HOOKS or (hook == "pool") != bool(threads) or \
            (threads and not threads.isdigit()):
        sys.exit("check_model: --parallel takes null, serial, reverse or pool:N, not '%s'"
                 % mode)
    return hook, int(threads or 0)


def harness_source(report, inputs, values, header, timed, parallel=None):
    """A C main that runs the model once, prints its outputs, and on a
    native target times repeated runs. With `parallel`, it calls the parallel
    entry point with that hook."""
    model = report["model"]
    upper = model.upper()
    src = ['#include "%s"' % os.path.basename(header), '#include "sieve_test_io.h"']
    if parallel:
        src += ['#include <stddef.h>', '#include "sieve_pool.h"']
    if timed:
        src += ["#include <time.h>"]
    src.append("")
    for i, (t, data) in enumerate(zip(inputs, values)):
        src.append(c_array(t, data, "in%d" % i))
    for i, t in enumerate(report["outputs"]):
        src.append("static %s out%d[%d];" % (
            ELEMENTS[t["element_type"]][1], i, max(num_elements(t["shape"]), 1)))
    src.append("static uint8_t arena[%s_ARENA_SIZE + 1] __attribute__((aligned(%s_ARENA_ALIGN)));"
               % (upper, upper))
    args = ["in%d" % i for i in range(len(inputs))] + \
           ["out%d" % i for i in range(len(report["outputs"]))] + ["arena"]
    call = "%s(%s)" % (report["entry"], ", ".join(args))
    if parallel:
        hook, threads = parse_parallel(parallel)
        if not report.get("parallel", {}).get("entry"):
            sys.exit("check_model: --parallel needs a model with %s_run_parallel" % model)
        call = "%s(%s, %s, %s)" % (report["parallel"]["entry"], ", ".join(args),
                                   PARALLEL_HOOKS[hook], "pool" if hook == "pool" else "NULL")
        src += ["static sieve_pool *pool;",
                "static void reverse_parallel_for(void *p, int32_t num_tasks, int32_t max_workers,",
                "                                 sieve_task_fn fn, void *ctx) {",
                "  for (int32_t t = num_tasks - 1; t >= 0; --t)",
                "    fn(ctx, t, t % max_workers);",
                "}"]
    src.append("")
    if timed:
        src += ["static int64_t now_ns(void) {",
                "  struct timespec t;",
                "  clock_gettime(CLOCK_MONOTONIC, &t);",
                "  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;",
                "}", ""]
    # Inputs are const: in .rodata, read-only on hosted targets, so a write
    # faults there; on bare metal, their checksum after the run shows it.
    src += ["static uint32_t input_checksum(void) {",
            "  uint32_t sum = 2166136261u;"]
    for i in range(len(inputs)):
        src += ["  for (unsigned k = 0; k < sizeof(in%d); ++k)" % i,
                "    sum = (sum ^ ((const volatile uint8_t *)in%d)[k]) * 16777619u;" % i]
    src += ["  return sum;", "}", ""]
    # Under QEMU, the icount plugin counts the instructions executed between
    # the two calls of this marker: the model and everything it calls.
    src += ["__attribute__((noinline, used)) void sieve_icount_mark(void) {",
            '  __asm__ volatile("");',
            "}", ""]
    src.append("int main(void) {")
    if parallel and parse_parallel(parallel)[0] == "pool":
        src.append("  pool = sieve_pool_create(%d);" % parse_parallel(parallel)[1])
        src.append("  if (!pool) return 2;")
    src.append("  uint32_t checksum_before = input_checksum();")
    src.append("  sieve_icount_mark();")
    src.append("  int32_t status = %s;" % call)
    src.append("  sieve_icount_mark();")
    src.append("  int32_t inputs_intact = input_checksum() == checksum_before;")
    src.append('  sieve_print_i32("status", &status, 1);')
    src.append('  sieve_print_i32("inputs_intact", &inputs_intact, 1);')
    for i, t in enumerate(report["outputs"]):
        src.append('  %s("out%d", out%d, %d);' % (
            ELEMENTS[t["element_type"]][2], i, i, num_elements(t["shape"])))
    if timed:
        # The median of runs over about 0.3 s: noise-robust, cheap.
        src += ["  int64_t samples[64];",
                "  int n = 0;",
                "  for (int64_t start = now_ns(); n < 64 && (n < 5 || now_ns() - start < 300000000); ++n) {",
                "    int64_t t0 = now_ns();",
                "    (void)%s;" % call,
                "    samples[n] = now_ns() - t0;",
                "  }",
                "  for (int i = 1; i < n; ++i)",
                "    for (int j = i; j > 0 && samples[j - 1] > samples[j]; --j) {",
                "      int64_t t = samples[j]; samples[j] = samples[j - 1]; samples[j - 1] = t;",
                "    }",
                '  sieve_print_i64("time_ns", &samples[n / 2], 1);']
    src.append("  return 0;")
    src.append("}")
    return "\n".join(src) + "\n"


def parse_harness_output(text, outs):
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts or not re.fullmatch(r"status|inputs_intact|time_ns|out\d+", parts[0]):
            continue
        values.setdefault(parts[0], []).extend(int(v, 0) for v in parts[1:])
    if values.get("status") != [0]:
        return None, "model returned status %s" % values.get("status")
    if values.get("inputs_intact") != [1]:
        return None, "the model wrote into an input"
    results = []
    for i, t in enumerate(outs):
        got = values.get("out%d" % i, [])
        if len(got) != num_elements(t["shape"]):
            return None, "out%d has %d values, expected %d" % (
                i, len(got), num_elements(t["shape"]))
        results.append(decode(got, t["element_type"]))
    return results, values.get("time_ns", [None])[0]


def compare(got, want, outs, rtol, atol):
    """Returns (ok, summary)."""
    worst = 0.0
    mismatches = 0
    first = None
    for i, (g, w, t) in enumerate(zip(got, want, outs)):
        is_float = ELEMENTS[t["element_type"]][3]
        for k, (a, b) in enumerate(zip(g, w)):
            if is_float:
                err = abs(a - b)
                bad = not (err <= atol + rtol * abs(b)) or (a != a) != (b != b)
                worst = max(worst, err)
            else:
                bad = a != b
                worst = max(worst, abs(a - b))
            if bad:
                mismatches += 1
                if first is None:
                    first = "out%d[%d]: got %r, want %r" % (i, k, a, b)
    total = sum(len(w) for w in want)
    if mismatches:
        return False, "%d of %d values differ (first %s, max |err| %g)" % (
            mismatches, total, first, worst)
    kind = "bit-exact" if all(not ELEMENTS[t["element_type"]][3] for t in outs) else \
        "max |err| %.3g" % worst
    return True, "%d values match, %s" % (total, kind)


def symbol_address(exe, symbol):
    """The address of a function in an ELF (Thumb bit cleared), or None."""
    for line in must([tool("llvm-nm"), exe], "llvm-nm").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == symbol:
            return int(parts[0], 16) & ~1
    return None


def symbol_range(exe, symbol):
    """`lo=0x..,hi=0x..` of a function in an ELF, for the icount plugin's
    range and profile (bench/int8_aarch64_bench.py),
    widened to the layers sieve-outline-layers moved out of it (the local
    `sieve_layerN` functions, which the linker keeps next to it: they come
    from the same object)."""
    spans, found = [], False
    for line in must([tool("llvm-nm"), "-S", exe], "llvm-nm").splitlines():
        parts = line.split()
        if len(parts) == 4 and (parts[3] == symbol or
                                re.fullmatch(r"sieve_layer\d+(_\d+)?", parts[3])):
            lo = int(parts[0], 16) & ~1  # clear the Thumb bit
            spans.append((lo, lo + int(parts[1], 16)))
            found = found or parts[3] == symbol
    if not found:
        return None
    return "lo=0x%x,hi=0x%x" % (min(lo for lo, _ in spans), max(hi for _, hi in spans))


class Run:
    """What running a compiled model on one target gave."""

    def __init__(self, outputs=None, error="", seconds=None, instructions=None):
        self.outputs = outputs
        # (status, against what, message) of the TFLite comparisons.
        self.tflite = []
        self.error = error
        self.seconds = seconds            # median time of one run (native only)
        self.instructions = instructions  # executed by one run of the model, callees included (QEMU only)

    def measure(self):
        if self.seconds is not None:
            return "%.3f ms per run" % (self.seconds * 1e3)
        if self.instructions is not None:
            return "%d instructions" % self.instructions
        return ""


# --native-if-host-can: x86-64 targets the table does not run (AVX-512) run
# natively when this host's CPU has their features.
NATIVE_IF_HOST_CAN = False


def host_has_features(target):
    if not target["triple"].startswith("x86_64") or not os.path.exists("/proc/cpuinfo"):
        return False
    with open("/proc/cpuinfo") as f:
        flags = set(next((l for l in f if l.startswith("flags")), "").split())
    names = {"avx512vnni": "avx512_vnni"}
    wanted = [f[1:] for f in target["features"].split(",") if f.startswith("+")]
    return all(names.get(f, f) in flags for f in wanted)


def build_and_run(report, obj, header, inputs, values, work, icount_plugin, parallel=None):
    t = report["target"]
    runner = t["runner"]
    if runner == "none" and NATIVE_IF_HOST_CAN and host_has_features(t):
        runner = "native"
    if runner == "none":
        return None
    exe = os.path.join(work, "harness.elf")
    main_c = os.path.join(work, "main.c")
    with open(main_c, "w") as f:
        f.write(harness_source(report, inputs, values, header, runner == "native", parallel))
    clang = tool("clang")
    inc = ["-I", work, "-I", os.path.join(RUNTIME, "test")]
    test_io = os.path.join(RUNTIME, "test", "test_io.c")
    hosted_io = os.path.join(RUNTIME, "test", "io_hosted.c")
    if parallel:
        if runner == "qemu-system":
            sys.exit("check_model: --parallel is for CPU targets")
        inc += ["-I", os.path.join(RUNTIME, "parallel")]
        hosted_io = [hosted_io, os.path.join(RUNTIME, "parallel", "sieve_pool.c"), "-pthread"]
    else:
        hosted_io = [hosted_io]
    if runner == "native":
        must([clang, "-O1", "-w"] + inc + [main_c, test_io] + hosted_io + [obj, "-lm", "-o", exe],
             "linking the harness")
        cmd = [exe]
    elif runner == "qemu-user":
        must([clang, "--target=" + t["triple"].replace("-unknown", ""), "-O1", "-w",
              "-static", "-fuse-ld=lld"] + inc + [main_c, test_io] + hosted_io +
             [obj, "-lm", "-o", exe], "linking the harness")
        cmd = t["run_command"].split()
    elif runner == "qemu-system":
        board = t["run_command"].split("-M")[1].split()[0]
        cm = os.path.join(RUNTIME, "cortex-m")
        must([clang, "--target=" + t["triple"], "-mcpu=" + t["cpu"], "-mfloat-abi=hard",
              "-O1", "-w", "-ffreestanding", "-nostdlib", "-fuse-ld=lld",
              "-L", cm, "-T", os.path.join(cm, board + ".ld")] + inc +
             [os.path.join(cm, "startup.s"), os.path.join(cm, "semihost.c"),
              main_c, test_io, obj, "-o", exe], "linking the harness")
        cmd = t["run_command"].split() + [
            "-nographic", "-semihosting-config", "enable=on,target=native"]
    else:
        sys.exit("check_model: unknown runner '%s'" % runner)
    if runner != "native":
        mark = symbol_address(exe, "sieve_icount_mark")
        if icount_plugin and mark is not None:
            cmd += ["-plugin", "%s,mark=0x%x" % (icount_plugin, mark), "-d", "plugin"]
        cmd += ["-kernel", exe] if runner == "qemu-system" else [exe]

    result = run(cmd, timeout=600)
    if result.returncode != 0:
        return Run(error="harness exited with %d: %s" % (
            result.returncode, (result.stderr or result.stdout)[-500:]))
    # QEMU writes semihosting output and plugin logs to stderr.
    text = result.stdout + result.stderr
    outputs, time_ns = parse_harness_output(text, report["outputs"])
    if outputs is None:
        return Run(error=time_ns)
    counted = re.search(r"icount: .* marked=(\d+)", text)
    return Run(outputs, seconds=time_ns / 1e9 if time_ns else None,
               instructions=int(counted.group(1)) if counted else None)


def model_name(path):
    name = re.sub(r"\W", "_", os.path.basename(path).split(".")[0])
    return "m_" + name if name[0].isdigit() else name


REFERENCE_KERNELS = "TFLite reference kernels"
ARMNN = "Arm NN"


def run_tflite_program(model, inputs, values, work, program):
    """Outputs of `model` run by the reference kernels or Arm NN, as lists of
    values; or the program's refusal as a string."""
    import tflite_oracle  # imports this module: not at the top
    try:
        results = tflite_oracle.run_oracle(
            model, [(t["element_type"], v) for t, v in zip(inputs, values)],
            work=work, program=program)
    except tflite_oracle.OracleError as e:
        return str(e)
    return [v for _, _, v in results]


def compare_tflite(got, reference, armnn, outs, rtol=0.0, atol=0.0,
                   reference_required=True):
    """The TFLite comparisons of one target's outputs: a list of (status,
    against, message). `reference`/`armnn` are outputs, a refusal (a
    string) or None (not asked for). Integer outputs must equal the
    reference kernels' bit for bit; float outputs (whose sums may be
    ordered differently) within `rtol`/`atol`. A refusal of the reference
    kernels fails unless only `--armnn` asked for them
    (`reference_required` false): then it is a SKIP, and every difference
    from Arm NN is unexplained."""
    lines = []
    total = sum(len(g) for g in got)
    if isinstance(reference, str):
        lines.append(("FAIL" if reference_required else "SKIP", REFERENCE_KERNELS,
                      "refused: " + reference.splitlines()[0]))
    elif reference is not None:
        ok, summary = compare(got, reference, outs, rtol, atol)
        lines.append(("PASS" if ok else "FAIL", REFERENCE_KERNELS, summary))
    if isinstance(armnn, str):
        lines.append(("SKIP", ARMNN, "refused: " + armnn.splitlines()[-1]))
    elif armnn is not None:
        differ, worst, unexplained, first = 0, 0, 0, None
        for i, (g, a, t) in enumerate(zip(got, armnn, outs)):
            is_float = ELEMENTS[t["element_type"]][3]
            for k, (x, y) in enumerate(zip(g, a)):
                if is_float:
                    bad = not abs(x - y) <= 1e-5 * abs(y)
                    if bad:
                        unexplained += 1
                else:
                    bad = x != y
                    # Arm NN rounds once in float; a difference is accepted
                    # only where TFLite's fixed-point kernels give Sieve's
                    # value.
                    if bad and not (isinstance(reference, list) and
                                    reference[i][k] == x):
                        unexplained += 1
                if bad:
                    differ += 1
                    worst = max(worst, abs(x - y))
                    if first is None:
                        first = "out%d[%d]: got %r, Arm NN %r" % (i, k, x, y)
        if unexplained:
            lines.append(("FAIL", ARMNN, "%d of %d values differ (first %s), %d of them "
                          "where Sieve differs from TFLite's reference kernels too" % (
                              differ, total, first, unexplained)))
        elif differ:
            lines.append(("PASS", ARMNN, "%d of %d values differ, by at most %g, each where "
                          "Sieve equals TFLite's reference kernels" % (differ, total, worst)))
        else:
            lines.append(("PASS", ARMNN, "%d values match, bit-exact" % total))
    return lines


def check(model, targets, work, seed=1, rtol=1e-4, atol=1e-5, sieve_flags=(),
          icount_plugin=None, show_report=False, input_files=(),
          tflite_reference=False, armnn=False, parallel=None, reference_model=None,
          input_fill=None):
    """Compiles, runs and compares `model` on each target. Yields, per
    target, (target, status, message, report) with status PASS/FAIL/BUILT.
    For a .tflite, `tflite_reference` and `armnn` add comparisons with
    TFLite's reference kernels and Arm NN (`result.tflite`); a failed one
    fails the target. `reference_model`, if given, is what the reference
    runs instead of `model` (same inputs and outputs): a dense TOSA/linalg
    form of ops that upstream MLIR cannot lower, such as `attn.*`."""
    os.makedirs(work, exist_ok=True)
    name = model_name(model)
    reference = None
    reference_model = reference_model or model
    tflite_outputs = {}
    reference_required = tflite_reference
    armnn = armnn and is_tflite(model)
    tflite_reference = (tflite_reference or armnn) and is_tflite(model)
    if is_tflite(model):
        # The reference needs MLIR: the importer's TOSA, lowered upstream.
        reference_model = os.path.join(work, name + ".imported.mlir")
        must([tool("sieve-import-tflite"), model, "-o", reference_model],
             "sieve-import-tflite")
    for target in targets:
        twork = os.path.join(work, target)
        os.makedirs(twork, exist_ok=True)
        obj = os.path.join(twork, name + ".o")
        table = must([tool("sieve-compile"), model, "--target=" + target, "-o", obj] +
                     list(sieve_flags), "sieve-compile for " + target)
        if show_report:
            sys.stdout.write(table)
        with open(os.path.join(twork, name + ".json")) as f:
            report = json.load(f)
        inputs = report["inputs"]
        check_supported(report["outputs"])
        values = make_inputs(inputs, seed, input_files, input_fill)
        run_result = build_and_run(report, obj, os.path.join(twork, name + ".h"), inputs,
                                   values, twork, icount_plugin, parallel)
        if run_result is None:
            yield target, "BUILT", "object compiled, not runnable here", report, None
            continue
        if run_result.outputs is None:
            yield target, "FAIL", run_result.error, report, run_result
            continue
        if reference is None:
            reference = run_reference(reference_model, report, inputs, values, work)
        ok, summary = compare(run_result.outputs, reference, report["outputs"], rtol, atol)
        if tflite_reference or armnn:
            # The same inputs on every target: run each program once.
            import tflite_oracle
            for wanted, program in ((tflite_reference, tflite_oracle.REFERENCE),
                                    (armnn, tflite_oracle.ORACLE)):
                if wanted and program not in tflite_outputs:
                    tflite_outputs[program] = run_tflite_program(
                        model, inputs, values, os.path.join(work, program), program)
            run_result.tflite = compare_tflite(
                run_result.outputs, tflite_outputs.get(tflite_oracle.REFERENCE),
                tflite_outputs.get(tflite_oracle.ORACLE), report["outputs"],
                rtol, atol, reference_required)
            ok = ok and all(status != "FAIL" for status, _, _ in run_result.tflite)
        yield target, "PASS" if ok else "FAIL", summary, report, run_result


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--targets", default="x86-64-avx2")
    parser.add_argument("--work", required=True, help="directory for build products")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--sieve-flag", action="append", default=[],
                        help="extra flag for sieve-compile (repeatable)")
    parser.add_argument("--icount-plugin", help="QEMU plugin counting instructions "
                        "(build/lib/libsieve-icount.so)")
    parser.add_argument("--show-report", action="store_true",
                        help="print sieve-compile's report table")
    parser.add_argument("--input-file", action="append", default=[],
                        help="raw little-endian bytes of the next input instead of "
                        "seeded data (repeatable, in input order)")
    parser.add_argument("--input-fill", type=float,
                        help="every element of every input is this value (extreme "
                        "activations, e.g. 127 or -128) instead of seeded data")
    parser.add_argument("--print-outputs", action="store_true",
                        help="print each target's outputs: OUTPUT <target> out<i>: values")
    parser.add_argument("--tflite-reference", action="store_true",
                        help="a .tflite: also bit for bit against TFLite's reference kernels "
                        "(sieve-tflite-reference)")
    parser.add_argument("--armnn", action="store_true",
                        help="a .tflite: also against the Arm NN oracle, differences "
                        "checked against the reference kernels")
    parser.add_argument("--parallel", metavar="HOOK",
                        help="call <name>_run_parallel with the hook null, serial, reverse "
                        "(tasks last first, on worker task %% max_workers) or pool:N "
                        "(runtime/parallel's pthread pool with N threads)")
    parser.add_argument("--reference-model",
                        help="the model the reference runs instead of MODEL (same interface), "
                        "for ops upstream MLIR cannot lower (attn.*)")
    parser.add_argument("--native-if-host-can", action="store_true",
                        help="run x86-64 targets the table does not run (AVX-512) natively "
                        "when this host's CPU has their features")
    args = parser.parse_args()
    global NATIVE_IF_HOST_CAN
    NATIVE_IF_HOST_CAN = args.native_if_host_can
    if args.parallel:
        parse_parallel(args.parallel)

    failures = 0
    for target, status, message, report, result in check(
            args.model, args.targets.split(","), args.work, args.seed, args.rtol, args.atol,
            args.sieve_flag, args.icount_plugin, args.show_report, args.input_file,
            args.tflite_reference, args.armnn, args.parallel, args.reference_model,
            args.input_fill):
        if args.print_outputs and result and result.outputs:
            for i, values in enumerate(result.outputs):
                print("OUTPUT %s out%d: %s" % (target, i, " ".join(str(v) for v in values)))
        memory = report["memory"]
        details = ["arena %d B" % memory["arena_bytes"],
                   "bound %d B" % memory["lower_bound_bytes"]]
        if result and result.measure():
            details.append(result.measure())
        print("%s %s %s: %s (%s)" % (status, target, report["model"], message,
                                     ", ".join(details)))
        for tstatus, against, tmessage in (result.tflite if result else []):
            print("%s %s %s vs %s: %s" % (tstatus, target, report["model"], against,
                                          tmessage))
        failures += status == "FAIL"
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
