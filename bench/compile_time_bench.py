#!/usr/bin/env python3
"""Compile time of sieve-compile as models grow, with and without
sieve-outline-layers, in one run.

A family of float transformers of N pre-norm decoder layers (sequence 64,
width 64, 4 heads, FFN 128, written with examples/gen/sieve_modelgen.py's
TOSA helpers; N = 1, 2, 4, 8, 16, 24) and the real models
(MobileNetV2-0.35 at 144, int8, generated; person_detect.tflite; the LLM
decoder layer of transformer_layer_tosa.mlir) are compiled for x86-64 and the
Cortex-M55. Times are CPU seconds of the compiler process (user + system),
not wall time: the machine may be busy with other jobs. Each compile runs
`--repeat` times and the smallest time is kept. `sieve-compile -v` splits
the time into the MLIR stages and LLVM (-O3 and code generation).

The growth exponent is the slope of log(time) against log(N) over the
family (least squares): 1.0 is linear in the layers.

The baseline (`--outline-layers=false`, one function as before) is compiled
in the same run for the real models and for N up to `--baseline-max-layers`
(it takes minutes beyond that on the M55). Then the run time of
MobileNetV2-0.35 on the host, outlined against not outlined, checked
against the upstream reference both times (scripts/check_model.py).

    compile_time_bench.py BUILD_DIR [--layers 1,2,4,8,16,24] [--repeat 2]
"""

import argparse
import math
import os
import re
import resource
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "examples", "gen"))
import check_model  # noqa: E402
import sieve_modelgen as gen  # noqa: E402

TARGETS = ["x86-64-avx2", "cortex-m55"]
# Compile time is the question here, not whether the weights fit a board.
TARGET_FLAGS = {"cortex-m55": ["--memory-budget=none", "--flash-budget=none"]}


def transformer_stack(layers, seq=64, dim=64, heads=4, ffn=128, seed=0):
    """N decoder layers as in sieve_modelgen.py's `transformer` model."""
    m = gen.Module(seed)
    f = gen.FloatTosa(m)
    xs = [1, seq, dim]
    x = "%x"
    for _ in range(layers):
        n1 = f.layer_norm(x, xs)
        a = f.attention(n1, seq, dim, heads)
        h = f.binary("add", x, a, xs, xs, xs)
        n2 = f.layer_norm(h, xs)
        w1 = f.weight([1, dim, ffn], 1.0 / math.sqrt(dim))
        u, us = f.matmul(n2, w1, xs, [1, dim, ffn])
        zero = m.const([0.0], [1, 1, 1], "f32", "f")
        r = f.binary("maximum", u, zero, us, [1, 1, 1], us)
        w2 = f.weight([1, ffn, dim], 1.0 / math.sqrt(ffn))
        d, _ = f.matmul(r, w2, us, [1, ffn, dim])
        x = f.binary("add", h, d, xs, xs, xs)
    return gen.float_function(m, "transformer", xs, x, xs)


def compile_once(sieve, model, target, outline, work):
    """(total, mlir, llvm) CPU seconds of one compile to an object."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sieve, model, "--target=" + target, "-o", os.path.join(work, "m.o"),
         "--quiet", "-v", "--outline-layers=" + ("true" if outline else "false")] +
        TARGET_FLAGS.get(target, []), capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit("compile_time_bench: %s for %s failed:\n%s" % (
            model, target, result.stderr[-2000:]))
    total = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    llvm = 0.0
    for step, cpu in re.findall(r"sieve-compile: (\S+)\s+[0-9.]+ s\s+cpu\s+([0-9.]+) s",
                                result.stderr):
        if step == "codegen":
            llvm += float(cpu)
    return total, total - llvm, llvm


def measure(sieve, model, target, outline, work, repeat):
    return min((compile_once(sieve, model, target, outline, work) for _ in range(repeat)),
               key=lambda t: t[0])


def exponent(points):
    """Least-squares slope of log(time) over log(N)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(max(t, 1e-3)) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")


def row(name, target, mode, t):
    print("%-22s %-12s %-9s %8.2f s  (MLIR %6.2f s, LLVM %7.2f s)" % (
        name, target, mode, t[0], t[1], t[2]))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--layers", default="1,2,4,8,16,24")
    parser.add_argument("--baseline-max-layers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--no-runtime", action="store_true",
                        help="skip the run-time comparison")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    os.environ["PATH"] = os.path.join(build, "bin") + os.pathsep + os.environ["PATH"]
    sieve = os.path.join(build, "bin", "sieve-compile")
    layers = [int(n) for n in args.layers.split(",")]
    targets = args.targets.split(",")

    with tempfile.TemporaryDirectory() as work:
        print("CPU seconds of sieve-compile (min of %d), MLIR stages and LLVM\n" % args.repeat)
        family = {}
        for n in layers:
            model = os.path.join(work, "transformer%d.mlir" % n)
            with open(model, "w") as f:
                f.write(transformer_stack(n))
            for target in targets:
                modes = [True] + ([False] if n <= args.baseline_max_layers else [])
                for outline in modes:
                    t = measure(sieve, model, target, outline, work, args.repeat)
                    family.setdefault((target, outline), []).append((n, t))
                    row("transformer x%d" % n, target,
                        "outlined" if outline else "one-func", t)

        print("\nGrowth exponent over N (1.0 = linear): total / LLVM part")
        for (target, outline), points in sorted(family.items()):
            if len(points) < 2:
                continue
            print("  %-12s %-9s N=%s: %.2f / %.2f" % (
                target, "outlined" if outline else "one-func",
                ",".join(str(n) for n, _ in points),
                exponent([(n, t[0]) for n, t in points]),
                exponent([(n, t[2]) for n, t in points])))

        print("\nReal models")
        mbv2 = os.path.join(work, "mbv2.mlir")
        subprocess.run([sys.executable, os.path.join(ROOT, "examples", "gen", "sieve_modelgen.py"),
                        "mobilenetv2", "--width", "0.35", "--resolution", "144", "--seed", "7",
                        "-o", mbv2], check=True)
        models = [("mbv2-0.35-r144", mbv2),
                  ("person_detect", os.path.join(ROOT, "test", "models", "person_detect.tflite")),
                  ("llm-decoder-layer",
                   os.path.join(ROOT, "test", "models", "transformer_layer_tosa.mlir"))]
        for name, model in models:
            for target in targets:
                one = measure(sieve, model, target, False, work, args.repeat)
                out = measure(sieve, model, target, True, work, args.repeat)
                row(name, target, "one-func", one)
                row(name, target, "outlined", out)
                print("%-22s %-12s speedup %.2fx (LLVM %.2fx)" % (
                    "", "", one[0] / out[0], one[2] / max(out[2], 1e-3)))

        if args.no_runtime:
            return
        print("\nRun time of MobileNetV2-0.35 on the host (median of the harness's runs)")
        seconds = {}
        for outline in (False, True):
            flag = "--outline-layers=" + ("true" if outline else "false")
            ((_, status, message, _, result),) = check_model.check(
                mbv2, ["x86-64-avx2"], os.path.join(work, "run-%s" % outline),
                sieve_flags=[flag])
            if status != "PASS" or result is None or result.seconds is None:
                sys.exit("compile_time_bench: %s: %s %s" % (flag, status, message))
            seconds[outline] = result.seconds
            print("  %-9s %8.3f ms  (%s)" % ("outlined" if outline else "one-func",
                                             result.seconds * 1e3, message))
        print("  outlined / one-func: %.3fx" % (seconds[True] / seconds[False]))


if __name__ == "__main__":
    main()
