#!/usr/bin/env python3
"""int8 convolutions on Cortex-M: instructions per MAC against CMSIS-NN (issue 9).

The four MobileNetV2-style layers of ANCHORS.md section 6 (the same models as
bench/int8_bench.py: TOSA convolutions with TFLite-style per-channel
requantisation, seeded weights) and, unless --layers-only, the whole
MobileNetV2-0.35 at 144 (seed 7), compiled by sieve-compile for the
Cortex-M4 (mps2-an386) and the Cortex-M55 (mps3-an547) with the generic
loops (--int8-kernels=generic) and the Cortex-M kernels (--int8-kernels=vector:
dsp-smlad / dsp-dw on the M4, mve-vmladava / mve-dw on the M55). Each run is
checked bit for bit against the upstream-only reference by
scripts/check_model.py, which counts the instructions of one run of the
model, whatever it calls (memset, memcpy) included, with QEMU's
instruction-count plugin (build/lib/libsieve-icount.so). Prints instructions per MAC next to
CMSIS-NN's, measured with its kernels at commit 99f736a (ANCHORS.md section
6: they cannot be rebuilt here, since the bench fetches no third-party code).

    int8_mcu_bench.py BUILD_DIR [--layers-only] [--targets cortex-m4,cortex-m55]

Standard library only, plus the QEMU system emulator and LLVM 22.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import int8_bench  # noqa: E402  (the layer models)

# CMSIS-NN's instructions per MAC (ANCHORS.md section 6), per target.
CMSIS = {
    "cortex-m4": {"L1": 4.17, "L2": 4.44, "L3": 9.20, "L4": 2.20},
    "cortex-m55": {"L1": 0.99, "L2": 1.01, "L3": 2.10, "L4": 0.31},
}
# The M55's whole-network figure before this work, and issue 9's target.
MBV2_M55_BEFORE, MBV2_M55_TARGET = 5.5, 1.0


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
    return result.returncode, result.stdout


def instructions(build, model, target, kernels, work):
    """Instructions of one bit-exact run of `model`'s entry under QEMU."""
    rc, out = run([sys.executable, os.path.join(ROOT, "scripts", "check_model.py"), model,
                   "--targets", target, "--work", work,
                   "--icount-plugin", os.path.join(build, "lib", "libsieve-icount.so"),
                   "--sieve-flag=--int8-kernels=" + kernels])
    match = re.search(r"PASS %s .*bit-exact.*?(\d+) instructions" % target, out)
    if rc != 0 or not match:
        sys.exit("int8_mcu_bench: %s on %s (%s) failed:\n%s" % (model, target, kernels, out))
    return int(match.group(1))


def mobilenet_model(work):
    """MobileNetV2-0.35 at 144 (seed 7) as TOSA in `work`; its path."""
    model = os.path.join(work, "mbv2.mlir")
    rc, out = run([sys.executable, os.path.join(ROOT, "examples", "gen", "sieve_modelgen.py"),
                   "mobilenetv2", "--width", "0.35", "--resolution", "144", "--seed", "7",
                   "-o", model])
    if rc != 0:
        sys.exit("int8_mcu_bench: sieve_modelgen failed:\n" + out)
    return model


def network_macs(wdir, target):
    """The MACs of the network that check_model compiled in `wdir`, from its
    report (ANCHORS.md section 6's 26.7M when the report lacks them)."""
    report = os.path.join(wdir, target, "mbv2.json")
    if os.path.exists(report):
        found = re.search(r'"macs":\s*(\d+)', open(report).read())
        if found:
            return float(found.group(1))
    return 26.7e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build")
    parser.add_argument("--layers-only", action="store_true")
    parser.add_argument("--targets", default="cortex-m4,cortex-m55")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    os.environ["PATH"] = os.path.join(build, "bin") + os.pathsep + os.environ["PATH"]
    targets = args.targets.split(",")
    work = tempfile.mkdtemp(prefix="int8_mcu_bench.")

    print("int8 layers on Cortex-M: instructions per MAC (QEMU icount, one run with its callees; "
          "every run bit-exact)")
    print("%-22s %-10s %8s %9s %9s %9s %7s" % ("layer", "target", "MACs", "generic",
                                                "Sieve", "CMSIS-NN", "ratio"))
    worst = {}
    for spec in int8_bench.LAYERS:
        name = spec[0]
        text, info = int8_bench.layer_model(*spec)
        model = os.path.join(work, name + ".mlir")
        with open(model, "w") as f:
            f.write(text)
        for target in targets:
            per = {}
            for kernels in ("generic", "vector"):
                count = instructions(build, model, target, kernels,
                                     os.path.join(work, "%s_%s_%s" % (name, target, kernels)))
                per[kernels] = count / float(info["macs"])
            cmsis = CMSIS.get(target, {}).get(name[:2])
            ratio = per["vector"] / cmsis if cmsis else None
            if ratio:
                worst[target] = max(worst.get(target, 0), ratio)
            print("%-22s %-10s %8d %9.2f %9.2f %9s %7s" % (
                name, target, info["macs"], per["generic"], per["vector"],
                "%.2f" % cmsis if cmsis else "-", "%.2fx" % ratio if ratio else "-"))
    for target, ratio in sorted(worst.items()):
        print("%s: Sieve's kernels at %.2fx CMSIS-NN's instructions per MAC on the worst "
              "layer (issue 9: at most 1.0x)" % (target, ratio))

    if args.layers_only:
        return
    model = mobilenet_model(work)
    print("\nMobileNetV2-0.35 at 144 on the Cortex-M55 (whole network)")
    for kernels in ("generic", "vector"):
        wdir = os.path.join(work, "mbv2_" + kernels)
        count = instructions(build, model, "cortex-m55", kernels, wdir)
        macs = network_macs(wdir, "cortex-m55")
        print("  %-8s %6.2f instructions per MAC (%d instructions, %.1fM MACs)" % (
            kernels, count / macs, count, macs / 1e6))
    print("  (before: %.1f; issue 9's target: at most %.1f)" % (MBV2_M55_BEFORE, MBV2_M55_TARGET))


if __name__ == "__main__":
    main()
