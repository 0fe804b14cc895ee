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
- mcunet-in3, mcunet-in4 and MobileNetV2-0.35 at 144 under Sieve's rule, at
  1/2, 1/4, 1/8 and 1/16 of the plain peak (in3 also at the byte budgets of
  msf-CNN's published points on it, whose rule counts less);
- MobileNetV2-1.0 at 224 under Sieve's rule: the overhead at MCUNetV2's
  172 KiB, and the smallest peak at an overhead of at most 1.10; with the
  time taken to lower and plan it.

The peaks above are those the planner computes under each rule. Then the
compiled figures: MobileNetV2-0.35 at 144 and msf-mbv2 compiled by
sieve-compile for the Cortex-M55 board under budgets, with the arena of the
compiled model's report next to the planner's peak (Sieve's rule, equal when
the plan and the lowering agree) and the MAC overhead; without --quick also
MobileNetV2-1.0 at 224 compiled under MCUNetV2's 172 KiB, with its compile
time; and msf-mbv2 and MobileNetV2-0.35 (64, 48, 32 KiB) again with cached
overlaps allowed (--patch-strategies=recompute,cache). Then the table at
msf-CNN's budgets for msf-mbv2, mcunet-in3, mcunet-in4 and MobileNetV2-0.35
at 144, compiled (Sieve's rule: the arena reached and the MAC overhead;
--table-only prints only it). With --icount, MobileNetV2-0.35 at 144
(64 KiB) and person_detect.tflite (24 KiB), patched (static border
patches, and dynamic ones; MobileNetV2 also with recomputed halos only),
mcunet-in3 (63,456 B) and mcunet-in4 (67,996 B) patched with cache-grid,
and all unpatched, run on the
Cortex-M55 board under QEMU (scripts/check_model.py, bit for bit against the
reference): executed instructions as ratios to the unpatched build, next to
the MAC overhead, the arena and the code (.text bytes of the object).

    patch_bench.py BUILD_DIR [--quick] [--icount] [--table-only] [--strategies=S]
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "examples", "gen", "sieve_modelgen.py")

MSF_POINTS = [(83133, 1.019), (67996, 1.097), (25803, 1.253), (15199, 1.382), (8560, 1.679)]
# msf-CNN's Pareto points on mcunet-in3 (ANCHORS.md section 4), under its rule.
MSF_IN3_POINTS = [(247808, 1.000), (217891, 1.041), (156864, 1.369), (94224, 1.455),
                  (63456, 2.019), (51164, 2.695)]
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


def compiled(build, model, budget, work, target="cortex-m55", strategies="recompute"):
    """sieve-compile's report for `model` under `budget`, and the seconds taken."""
    report = os.path.join(work, "compiled.json")
    start = time.monotonic()
    run = subprocess.run([os.path.join(build, "bin", "sieve-compile"), model,
                          "--target=" + target, "--memory-budget=%d" % budget,
                          "--patch-strategies=" + strategies,
                          "--flash-budget=none", "--emit=mlir", "-o", os.devnull, "--report=" + report,
                          "--quiet"],
                         capture_output=True, text=True)
    seconds = time.monotonic() - start
    if run.returncode:
        return None, run.stderr.strip().splitlines()[0] if run.stderr else "failed", seconds
    with open(report) as f:
        return json.load(f), None, seconds


def print_compiled(build, model, budgets, work, strategies="recompute"):
    fmt = "  %-12s %12s %12s %8s %s"
    print(fmt % ("budget", "planned", "arena", "MACs", ""))
    for budget in budgets:
        report, error, seconds = compiled(build, model, budget, work, strategies=strategies)
        if error:
            print(fmt % (budget, "-", "-", "-", error[:100]))
            continue
        patch = report.get("patch") or {}
        arena = report["memory"]["arena_bytes"]
        planned = patch.get("peak", arena)
        print(fmt % (budget, planned, arena, "%.3f" % patch.get("mac_overhead", 1.0),
                     ("planned = arena" if planned == arena else
                      "arena %+d B" % (arena - planned)) + "; %s; %.1f s" % (
                          "+".join(sorted({s["strategy"] for s in patch.get("stages", [])})) or "plain",
                          seconds)))


def print_budget_table(build, model, points, work, strategies):
    """At each (budget, published MAC overhead or None): the arena the
    compiled model reaches, the planner's peak and the MAC overhead."""
    fmt = "  %-10s %10s %10s %10s %8s  %s"
    print(fmt % ("budget", "published", "arena", "planned", "MACs", ""))
    for budget, theirs in points:
        report, error, seconds = compiled(build, model, budget, work, strategies=strategies)
        published = "%.3f" % theirs if theirs else "-"
        if error:
            smallest = re.search(r"smallest peak any plan reaches is (\d+) bytes", error)
            print(fmt % (budget, published, "-", "-", "-", "no plan (smallest %s B)" % smallest.group(1)
                         if smallest else error[:90]))
            continue
        patch = report.get("patch") or {}
        arena = report["memory"]["arena_bytes"]
        overhead = patch.get("mac_overhead", 1.0)
        verdict = ""
        if theirs:
            verdict = "at or below theirs" if overhead <= theirs + 5e-4 else "ABOVE theirs"
        print(fmt % (budget, published, arena, patch.get("peak", arena), "%.3f" % overhead,
                     "; ".join(x for x in (
                         verdict,
                         "+".join(sorted({st["strategy"] for st in patch.get("stages", [])}))
                         or "plain", "%.1f s" % seconds) if x)))


def budget_tables(build, work, strategies):
    # msf-CNN's budgets (its Pareto points on msf-mbv2, and on mcunet-in3
    # those on in3 too) for each model, compiled with `strategies`: the
    # arena reached (from the report, Sieve's rule) and the MAC overhead
    # (with the classifier). Published overheads are msf-CNN's, under its
    # rule (which counts less than the arena) and without the classifier.
    print("At msf-CNN's budgets, compiled for the Cortex-M55 board (arena from the report; "
          "published: msf-CNN under its own rule)")
    for name, gen_args, points in [
            ("msf-mbv2", ["msf-mbv2"], MSF_POINTS),
            ("mcunet-in3", ["mcunet-in3"], MSF_IN3_POINTS + [(b, None) for b, _ in MSF_POINTS]),
            ("mcunet-in4", ["mcunet-in4"], [(b, None) for b, _ in MSF_POINTS]),
            ("mbv2-w0.35-r144", ["mobilenetv2", "--width", "0.35", "--resolution", "144"],
             [(b, None) for b, _ in MSF_POINTS])]:
        src = os.path.join(work, name + ".table.mlir")
        subprocess.run([sys.executable, GEN] + gen_args + ["-o", src], check=True)
        print(" " + name)
        print_budget_table(build, src, points, work, strategies)


def icount(build, model, work, flags):
    """Instructions executed by the model's entry on the Cortex-M55 board."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "check_model.py"),
                          model, "--targets", "cortex-m55", "--work", work,
                          "--icount-plugin", os.path.join(build, "lib", "libsieve-icount.so")]
                         + ["--sieve-flag=" + f for f in flags],
                         capture_output=True, text=True,
                         # check_model.py finds Sieve's tools on PATH.
                         env=dict(os.environ, PATH=os.path.join(build, "bin") + os.pathsep
                                  + os.environ.get("PATH", "")))
    for line in out.stdout.splitlines():
        if line.startswith("PASS") and "instructions" in line:
            return int(line.split(" instructions")[0].split()[-1]), line
    return None, (out.stdout + out.stderr).strip()[-300:]


def code_bytes(work):
    """The model's code: the .text sections of the object check_model.py
    compiled into `work` (the flash it takes besides its weights)."""
    objs = glob.glob(os.path.join(work, "cortex-m55", "*.o"))
    if len(objs) != 1:
        return None
    out = subprocess.run(["/usr/lib/llvm-22/bin/llvm-size", "-A", objs[0]],
                         capture_output=True, text=True, check=True).stdout
    return sum(int(line.split()[1]) for line in out.splitlines()
               if line.startswith(".text"))


def print_icounts(build, work):
    """Executed instructions of patched builds next to the unpatched one and
    the MAC overhead, on the Cortex-M55 board (QEMU; every run bit for bit
    against the reference): the default lowering (every patch of static
    shapes, the int8 kernels in all of them), --patch-static-borders=false
    (border patches of dynamic shapes keep the generic loops) and, for
    MobileNetV2, --patch-strategies=recompute (no cached row strips)."""
    mbv2 = os.path.join(work, "mbv2-035.src.mlir")
    subprocess.run([sys.executable, GEN, "mobilenetv2", "--width", "0.35",
                    "--resolution", "144", "-o", mbv2], check=True)
    person = os.path.join(ROOT, "test", "models", "person_detect.tflite")
    mcunet = {}
    for name in ("mcunet-in3", "mcunet-in4"):
        mcunet[name] = os.path.join(work, name + ".src.mlir")
        subprocess.run([sys.executable, GEN, name, "-o", mcunet[name]], check=True)
    print("Patched builds on the Cortex-M55 (QEMU instruction counts, bit-exact runs)")
    fmt = "  %-24s %-24s %12s %8s %8s %8s %8s"
    print(fmt % ("model, budget", "build", "instructions", "x plain", "MACs", "arena", "code"))
    grid = "--patch-strategies=recompute,cache,cache-grid"
    for name, model, budget in (("mbv2-w0.35-r144, 64 KiB", mbv2, "64KiB"),
                                ("person_detect, 24 KiB", person, "24KiB"),
                                # msf-CNN's budget on mcunet-in3, and its
                                # 67,996 B msf-mbv2 point (ANCHORS.md).
                                ("mcunet-in3, 63,456 B", mcunet["mcunet-in3"], "63456"),
                                ("mcunet-in4, 67,996 B", mcunet["mcunet-in4"], "67996")):
        builds = (("unpatched", ["--memory-budget=none", "--patch=off"]),)
        if model in mcunet.values():
            # Only cache-grid plans fit these budgets well (docs/patch.md).
            builds += (("patched, cache-grid", ["--memory-budget=" + budget, grid]),)
        else:
            builds += (("patched", ["--memory-budget=" + budget]),
                       ("patched, dynamic borders", ["--memory-budget=" + budget,
                                                     "--patch-static-borders=false"]))
        if model == mbv2:
            # The default plan's cached row strips against recomputed halos
            # only, at the same budget.
            builds += (("patched, recompute only", ["--memory-budget=" + budget,
                                                    "--patch-strategies=recompute"]),)
        plain = None
        for label, flags in builds:
            tag = "ic-%s-%s" % (os.path.basename(model).split(".")[0],
                                label.replace(" ", "").replace(",", "-"))
            count, line = icount(build, model, os.path.join(work, tag), flags)
            report, error, _ = compiled_flags(build, model, flags, work)
            overhead = (report.get("patch") or {}).get("mac_overhead", 1.0) if report else None
            arena = report["memory"]["arena_bytes"] if report else None
            if count is None:
                print(fmt % (name, label, "-", "-", "-", "-", "-") + "  " + line[-100:])
                continue
            if plain is None:
                plain = count
            code = code_bytes(os.path.join(work, tag))
            print(fmt % (name, label, count, "%.3f" % (count / plain),
                         "%.3f" % overhead if overhead else "-",
                         arena if arena is not None else "-",
                         code if code is not None else "-"))


def compiled_flags(build, model, flags, work, target="cortex-m55"):
    """sieve-compile's report for `model` with `flags`."""
    report = os.path.join(work, "compiled-flags.json")
    start = time.monotonic()
    run = subprocess.run([os.path.join(build, "bin", "sieve-compile"), model,
                          "--target=" + target, "--flash-budget=none", "--emit=mlir",
                          "-o", os.devnull, "--report=" + report, "--quiet"] + flags,
                         capture_output=True, text=True)
    seconds = time.monotonic() - start
    if run.returncode:
        return None, run.stderr.strip()[:200], seconds
    with open(report) as f:
        return json.load(f), None, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--quick", action="store_true", help="skip MobileNetV2-1.0 at 224")
    parser.add_argument("--strategies", default="recompute,cache,cache-grid",
                        help="--patch-strategies of the table at msf-CNN's budgets")
    parser.add_argument("--table-only", action="store_true",
                        help="only the table at msf-CNN's budgets")
    parser.add_argument("--icount", action="store_true",
                        help="count Cortex-M55 instructions of patched and unpatched "
                        "MobileNetV2-0.35 and person_detect (QEMU, a few minutes)")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    opt = os.path.join(build, "bin", "sieve-opt")

    with tempfile.TemporaryDirectory() as work:
        if args.table_only:
            budget_tables(build, work, args.strategies)
            return
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

        for name, gen_args in [("mcunet-in3", ["mcunet-in3"]),
                               ("mcunet-in4", ["mcunet-in4"]),
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
            if name == "mcunet-in3":
                # At msf-CNN's budgets on in3: Sieve's rule counts more
                # (the input window, row scratch, the stage's input and
                # output whole), so these compare Sieve's plans at the same
                # byte budgets, not the same rule.
                for budget, theirs in MSF_IN3_POINTS:
                    point = best_at(front, budget)
                    print("  budget %8d B (msf-CNN @%.3f): %s" % (
                        budget, theirs, "peak %8d B, MAC overhead %.3f" % (
                            point[0], point[1] / base) if point else "no plan"))

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


        print("Compiled for the Cortex-M55 board (Sieve's rule; arena from the report)")
        for name, gen_args, budgets in [
                ("mbv2-w0.35-r144", ["mobilenetv2", "--width", "0.35", "--resolution", "144"],
                 [96 * 1024, 64 * 1024, 48 * 1024, 32 * 1024, 24 * 1024]),
                ("msf-mbv2", ["msf-mbv2"], [budget for budget, _ in MSF_POINTS])]:
            src = os.path.join(work, name + ".src.mlir")
            subprocess.run([sys.executable, GEN] + gen_args + ["-o", src], check=True)
            print(" " + name)
            print_compiled(build, src, budgets, work)
        # Without cache-grid (the defaults before it): the planner may pick
        # row strips with line buffers wherever they cost fewer MACs.
        src = os.path.join(work, "msf-mbv2.src.mlir")
        print(" msf-mbv2, --patch-strategies=recompute,cache (MACs with the classifier)")
        print_compiled(build, src, [budget for budget, _ in MSF_POINTS], work,
                       strategies="recompute,cache")
        # 2-D grids with cached columns (cache-grid, default since; docs/patch.md),
        # at msf-CNN's points, at 14,500 B (a plan that places under its
        # 15,199 B point) and at 12,000 B (between its 14,132 B @1.563
        # and 8,560 B @1.679 points: single-pixel fused blocks, exact).
        print(" msf-mbv2, --patch-strategies=recompute,cache,cache-grid (MACs with the classifier)")
        print_compiled(build, src, [budget for budget, _ in MSF_POINTS] + [14500, 14132, 12000],
                       work, strategies="recompute,cache,cache-grid")
        # The same for MobileNetV2-0.35 at 144; the steady-state strips of
        # a cached stage are one loop, so the compile time (last column)
        # stays that of the recomputed plans.
        src = os.path.join(work, "mbv2-w0.35-r144.src.mlir")
        print(" mbv2-w0.35-r144, --patch-strategies=recompute,cache")
        print_compiled(build, src, [64 * 1024, 48 * 1024, 32 * 1024], work,
                       strategies="recompute,cache")
        if not args.quick:
            src = os.path.join(work, "mbv2-224.src.mlir")
            subprocess.run([sys.executable, GEN, "mobilenetv2", "--width", "1.0", "--resolution",
                            "224", "-o", src], check=True)
            print(" mbv2-w1.0-r224 (target: compiled in under 30 s)")
            print_compiled(build, src, [MCUNET_KIB * 1024], work)

        budget_tables(build, work, args.strategies)

        if args.icount:
            print_icounts(build, work)

if __name__ == "__main__":
    main()
