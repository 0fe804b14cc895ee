#!/usr/bin/env python3
"""Patch-based plans: peak memory against MAC overhead, in one run.

For each model (written by examples/gen/sieve_modelgen.py with seeded
weights), lowers it to linalg with sieve-opt, runs `sieve-plan-patches` once
(it walks the whole Pareto front of peak against MACs), and prints, for each
budget, the smallest-MAC plan that fits: its peak and its MAC overhead
(MACs of the plan / MACs of the plain, layer-by-layer network, measured in
the same run). Budgets:

- msf-mbv2 (msf-CNN's MBV2-w0.35-r144) under msf-CNN's rule at its published
  Pareto points (ANCHORS.md section 4), whose overheads are printed beside
  ours; overheads exclude the classifier, as msf-CNN's do;
- mcunet-in4 and MobileNetV2-0.35 at 144 under Sieve's rule, at 1/2, 1/4,
  1/8 and 1/16 of the plain peak;
- MobileNetV2-1.0 at 224 under Sieve's rule: the overhead at MCUNetV2's
  172 KiB, and the smallest peak at an overhead of at most 1.10; with the
  time taken to lower and plan it.

The peaks are those the planner computes under each rule (Sieve's rule
equals the arena sieve-compile places for unpatched plans); patched plans
are not lowered yet.

    patch_bench.py BUILD_DIR [--quick]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "examples", "gen", "sieve_modelgen.py")

MSF_POINTS = [(83133, 1.019), (67996, 1.097), (25803, 1.253), (15199, 1.382), (8560, 1.679)]
MCUNET_KIB = 172


def lower(opt, gen_args, work, name):
    src = os.path.join(work, name + ".mlir")
    linalg = os.path.join(work, name + ".linalg.mlir")
    subprocess.run([sys.executable, GEN] + gen_args + ["-o", src], check=True)
    subprocess.run([opt, src, "-sieve-import-pipeline", "-sieve-lower-tosa-pipeline",
                    "-o", linalg], check=True)
    return linalg


def plan(opt, linalg, rule, work):
    report = os.path.join(work, "plan.json")
    start = time.monotonic()
    subprocess.run([opt, linalg, "-sieve-plan-patches=mode=on materialize=false rule=%s "
                    "report-file=%s" % (rule, report), "-o", os.devnull], check=True)
    seconds = time.monotonic() - start
    with open(report) as f:
        return json.load(f), seconds


def best_at(front, budget):
    """The cheapest point of the front that fits (the front is by decreasing peak)."""
    for peak, macs in front:
        if peak <= budget:
            return peak, macs
    return None


def front_of(result, exclude_classifier):
    base = result["plain_macs"]
    fixed = 0
    if exclude_classifier:
        # msf-CNN's overhead leaves the classifier out: the last layer that
        # does MACs, which no plan changes.
        fixed = [m for m in result["layer_macs"] if m][-1]
    points = [(p["peak"], p["macs"] - fixed) for p in result["pareto"]]
    return points, base - fixed


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--quick", action="store_true", help="skip MobileNetV2-1.0 at 224")
    args = parser.parse_args()
    opt = os.path.join(os.path.abspath(args.build), "bin", "sieve-opt")

    with tempfile.TemporaryDirectory() as work:
        print("msf-mbv2 (MBV2-w0.35-r144) under msf-CNN's rule (bytes; overhead without classifier)")
        linalg = lower(opt, ["msf-mbv2"], work, "msf")
        result, seconds = plan(opt, linalg, "msf-cnn", work)
        front, base = front_of(result, True)
        print("  plain peak %d B, smallest %d B; %d Pareto points; planned in %.1f s"
              % (result["plain_peak"], result["smallest_peak"], len(front), seconds))
        fmt = "  %-10s %12s %10s %12s %10s  %s"
        print(fmt % ("budget", "msf peak", "msf MACs", "sieve peak", "sieve MACs", "verdict"))
        for budget, theirs in MSF_POINTS:
            point = best_at(front, budget)
            if point is None:
                print(fmt % (budget, budget, "%.3f" % theirs, "-", "-", "no plan"))
                continue
            overhead = point[1] / base
            verdict = "at or below" if overhead <= theirs + 5e-4 else "ABOVE their front"
            print(fmt % (budget, budget, "%.3f" % theirs, point[0], "%.3f" % overhead, verdict))

        for name, gen_args in [("mcunet-in4", ["mcunet-in4"]),
                               ("mbv2-w0.35-r144", ["mobilenetv2", "--width", "0.35",
                                                    "--resolution", "144"])]:
            linalg = lower(opt, gen_args, work, name)
            result, seconds = plan(opt, linalg, "sieve", work)
            front, base = front_of(result, False)
            plain = result["plain_peak"]
            print("%s under Sieve's rule: plain peak %d B, smallest %d B @%.3f; planned in %.1f s"
                  % (name, plain, result["smallest_peak"], result["smallest_mac_overhead"], seconds))
            for divisor in (2, 4, 8, 16):
                point = best_at(front, plain // divisor)
                if point:
                    print("  budget plain/%-2d %8d B: peak %8d B, MAC overhead %.3f"
                          % (divisor, plain // divisor, point[0], point[1] / base))
                else:
                    print("  budget plain/%-2d %8d B: no plan" % (divisor, plain // divisor))

        if not args.quick:
            start = time.monotonic()
            linalg = lower(opt, ["mobilenetv2", "--width", "1.0", "--resolution", "224"],
                           work, "mbv2")
            lowered = time.monotonic() - start
            result, seconds = plan(opt, linalg, "sieve", work)
            front, base = front_of(result, False)
            point = best_at(front, MCUNET_KIB * 1024)
            cheap = [p for p in front if p[1] / base <= 1.10 + 1e-9]
            smallest = min(cheap) if cheap else None
            print("mbv2-w1.0-r224 under Sieve's rule: plain peak %.1f KiB; lowered in %.1f s, "
                  "planned in %.1f s" % (result["plain_peak"] / 1024, lowered, seconds))
            if point:
                overhead = point[1] / base
                print("  at %d KiB: peak %.1f KiB, MAC overhead %.3f (target <= 1.05: %s)"
                      % (MCUNET_KIB, point[0] / 1024, overhead,
                         "met" if overhead <= 1.05 else "MISSED"))
            if smallest:
                print("  smallest peak at overhead <= 1.10: %.1f KiB @%.3f"
                      % (smallest[0] / 1024, smallest[1] / base))


if __name__ == "__main__":
    main()
