#!/usr/bin/env python3
"""Run a model patch by patch and layer by layer; outputs must be identical.

Lowers MODEL (TOSA or linalg) to linalg with sieve-opt, plans patches with
`sieve-plan-patches` (the given options, e.g. a forced split and grid) and
turns the stages into loops over patches with `sieve-lower-patch-stages`.
Both the plain and the patched module then go through upstream MLIR's
reference pipeline (scripts/check_model.py) and run under mlir-runner on the
same seeded inputs; integer outputs must match bit for bit, float outputs
within 1e-6 relative. This checks the plan and its lowering (halos,
padding at true image borders, grids that do not divide the image), not
Sieve's arena: patched loops do not go through sieve-compile yet.

    check_patches.py MODEL.mlir --work DIR --plan "split=0-3 grid=3x3"

Prints PASS with the number of patch loops and the MAC overhead, exits
non-zero on any difference.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_model  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--work", required=True)
    parser.add_argument("--plan", default="", help="options of sieve-plan-patches")
    parser.add_argument("--lower", default="", help="options of sieve-lower-patch-stages")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    tool = check_model.tool
    must = check_model.must

    # The interface (function, inputs, outputs) from sieve-compile's report.
    report_path = os.path.join(args.work, "plain.json")
    must([tool("sieve-compile"), args.model, "--memory-budget=none", "--emit=mlir",
          "-o", os.devnull, "--report=" + report_path, "--quiet"], "sieve-compile")
    with open(report_path) as f:
        report = json.load(f)

    linalg = os.path.join(args.work, "plain.linalg.mlir")
    must([tool("sieve-opt"), args.model, "-sieve-import-pipeline",
          "-sieve-lower-tosa-pipeline", "-o", linalg], "lowering to linalg")
    plan_json = os.path.join(args.work, "plan.json")
    patched = os.path.join(args.work, "patched.mlir")
    options = (args.plan + " report-file=" + plan_json).strip()
    must([tool("sieve-opt"), linalg, "-sieve-plan-patches=" + options,
          "-sieve-lower-patch-stages" + ("=" + args.lower if args.lower else ""),
          "-canonicalize", "-o", patched], "patching")
    with open(patched) as f:
        text = f.read()
    if "patch.stage" in text:
        sys.exit("check_patches: a patch.stage was left")
    loops = len(re.findall(r"\bscf\.for\b", text))
    with open(plan_json) as f:
        plan = json.load(f)
    if not plan["stages"]:
        sys.exit("check_patches: the plan has no patched stage")

    inputs = report["inputs"]
    values = check_model.make_inputs(inputs, args.seed)
    results = []
    for name, module in (("plain", linalg), ("patched", patched)):
        work = os.path.join(args.work, name)
        os.makedirs(work, exist_ok=True)
        results.append(check_model.run_reference(module, report, inputs, values, work))
    plain, patched_out = results
    for t, want, got in zip(report["outputs"], plain, patched_out):
        if len(want) != len(got):
            sys.exit("check_patches: FAIL: %d values instead of %d" % (len(got), len(want)))
        if t["element_type"].startswith("f"):
            bad = [i for i, (a, b) in enumerate(zip(got, want))
                   if abs(a - b) > 1e-6 * max(abs(b), 1e-30)]
        else:
            bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
        if bad:
            sys.exit("check_patches: FAIL: %d of %d values differ, first at %d: %s vs %s" % (
                len(bad), len(want), bad[0], got[bad[0]], want[bad[0]]))
    stages = ", ".join("layers %d-%d grid %dx%d %s" % (
        s["layers"][0], s["layers"][1], s["grid"][0], s["grid"][1], s["strategy"])
        for s in plan["stages"])
    print("PASS: %d outputs identical; %d scf.for; stages: %s; MAC overhead %.3f" % (
        sum(len(v) for v in plain), loops, stages, plan["mac_overhead"]))


if __name__ == "__main__":
    main()
