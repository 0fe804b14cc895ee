#!/usr/bin/env python3
"""`make demo`: compile the bundled examples for the host and a Cortex-M55,
run them (natively and under QEMU), check them against the mlir-runner
reference, and print Sieve's memory report for each, then a summary.

    demo.py BUILD_DIR [--out DIR]
"""

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_model  # noqa: E402

TARGETS = ["x86-64-avx2", "cortex-m55"]


def kib(n):
    return "%.1f KiB" % (n / 1024.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--out", default=None, help="where to put the compiled models")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    os.environ["PATH"] = os.pathsep.join([os.path.join(build, "bin"), check_model.LLVM_BIN,
                                          os.environ["PATH"]])
    out = os.path.abspath(args.out or os.path.join(build, "demo"))
    plugin = os.path.join(build, "lib", "libsieve-icount.so")
    examples = sorted(glob.glob(os.path.join(check_model.ROOT, "examples", "*.mlir")))

    print("Sieve demo: %d example models for %s; outputs in %s\n" % (
        len(examples), " and ".join(TARGETS), out))
    rows = []
    failed = False
    for model in examples:
        name = check_model.model_name(model)
        for target, status, message, report, result in check_model.check(
                model, TARGETS, os.path.join(out, name), icount_plugin=plugin,
                show_report=True):
            measure = result.measure() if result else ""
            print("=> %s on %s: %s%s\n" % (status, target, message,
                                           " (%s)" % measure if measure else ""))
            m = report["memory"]
            rows.append((name, target, m["arena_bytes"], m["lower_bound_bytes"],
                         m["weight_bytes"], status, measure))
            failed |= status == "FAIL"

    print("Summary (reference: upstream MLIR lowering run by mlir-runner)")
    header = ("model", "target", "arena", "lower bound", "weights", "result", "run")
    fmt = "  %-14s %-12s %11s %12s %11s %-6s %s"
    print(fmt % header)
    for name, target, arena, bound, weights, status, measure in rows:
        print(fmt % (name, target, kib(arena), kib(bound), kib(weights), status, measure))
    print("\nObject files, C headers and JSON reports are in %s/<model>/<target>/." % out)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
