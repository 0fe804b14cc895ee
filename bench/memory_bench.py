#!/usr/bin/env python3
"""Arena size of Sieve's planner against TFLite Micro's rule, in one run.

For each model, compiles with `--placement=greedy-by-size` (TFLite Micro's
and TinyEngine's rule, the baseline) and with the default placement, and
prints both arenas, the analytic lower bound and the ratios. Models: the
examples, and MobileNetV2 / MCUNet / msf-CNN networks written by
examples/gen/sieve_modelgen.py with seeded weights.

    memory_bench.py BUILD_DIR [--quick]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "examples", "gen", "sieve_modelgen.py")

GENERATED = [
    ("mbv2-w0.35-r144", ["mobilenetv2", "--width", "0.35", "--resolution", "144"]),
    ("msf-mbv2-w0.35-r144", ["msf-mbv2"]),
    ("mcunet-in4", ["mcunet-in4"]),
    ("mbv2-w1.0-r224", ["mobilenetv2", "--width", "1.0", "--resolution", "224"]),
]


def compile_report(compiler, model, placement, work):
    report = os.path.join(work, "report.json")
    subprocess.run([compiler, model, "--memory-budget=none", "--placement=" + placement,
                    "--emit=mlir", "-o", os.devnull, "--report=" + report, "--quiet"],
                   check=True)
    with open(report) as f:
        return json.load(f)["memory"]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--quick", action="store_true", help="skip the largest model")
    args = parser.parse_args()
    compiler = os.path.join(os.path.abspath(args.build), "bin", "sieve-compile")

    with tempfile.TemporaryDirectory() as work:
        models = [(os.path.splitext(f)[0], os.path.join(ROOT, "examples", f))
                  for f in sorted(os.listdir(os.path.join(ROOT, "examples")))
                  if f.endswith(".mlir")]
        for name, gen_args in GENERATED[:-1] if args.quick else GENERATED:
            path = os.path.join(work, name + ".mlir")
            subprocess.run([sys.executable, GEN] + gen_args + ["-o", path], check=True)
            models.append((name, path))

        fmt = "%-22s %12s %12s %12s %10s %10s  %s"
        print(fmt % ("model", "greedy-size", "sieve", "lower bound", "sieve/gs",
                     "sieve/lb", "placement"))
        ratios = []
        for name, path in models:
            baseline = compile_report(compiler, path, "greedy-by-size", work)
            sieve = compile_report(compiler, path, "best", work)
            ratio = sieve["arena_bytes"] / max(baseline["arena_bytes"], 1)
            ratios.append(ratio)
            print(fmt % (name, baseline["arena_bytes"], sieve["arena_bytes"],
                         sieve["lower_bound_bytes"], "%.3f" % ratio,
                         "%.3f" % (sieve["arena_bytes"] / max(sieve["lower_bound_bytes"], 1)),
                         sieve["strategy"]))
        geo = 1.0
        for r in ratios:
            geo *= r
        print("geometric mean sieve/greedy-by-size: %.3f" % geo ** (1.0 / len(ratios)))


if __name__ == "__main__":
    main()
