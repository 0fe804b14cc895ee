#!/usr/bin/env python3
"""`make demo`: compile the bundled examples for the host and a Cortex-M55,
run them (natively and under QEMU), check them against the mlir-runner
reference, and print Sieve's memory report for each, then a summary. Then
TFLite Micro's person detector (test/models/person_detect.tflite), compiled
from the .tflite for the Cortex-M55 board (QEMU's mps3-an547) and run on its
two test images: both scores, the instructions per inference, the arena next
to TFLite Micro's, each run checked bit for bit against TFLite's int8
reference kernels (sieve-tflite-reference); then again under a 24 KiB
budget, which only patch-based inference meets (docs/patch.md), with its
patch report. Among the examples, the ternary layer's report names the
kernel chosen for each target, and the attention block is compiled once more
with LogSparse attention, its report next to the dense (flash) one. Last,
the four MobileNetV2 layers of issue 9 (bench/int8_bench.py) on the
Cortex-M55 board with Sieve's MVE kernels: instructions per MAC counted by
QEMU, next to CMSIS-NN's on the same layers (bench/int8_mcu_bench.py).

    demo.py BUILD_DIR [--out DIR] [--person-only]
"""

import argparse
import glob
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_model  # noqa: E402

sys.path.insert(0, os.path.join(check_model.ROOT, "bench"))
import int8_bench  # noqa: E402  (the layer models)
import int8_mcu_bench  # noqa: E402  (CMSIS-NN's figures)

TARGETS = ["x86-64-avx2", "cortex-m55"]


# TFLite Micro's person-detection example allocates this tensor arena
# (kTensorArenaSize in its main_functions.cc).
TFLM_PERSON_ARENA = 136 * 1024


def kib(n):
    return "%.1f KiB" % (n / 1024.0)


def bmp_pixels(path, out):
    """The pixel bytes of an 8-bit grayscale BMP, rows top to bottom, as
    TFLite Micro's test feeds them (test/Execution/Inputs/bmp_pixels.py)."""
    with open(path, "rb") as f:
        data = f.read()
    offset = struct.unpack_from("<I", data, 10)[0]
    width, height = struct.unpack_from("<ii", data, 18)
    stride = (width + 3) // 4 * 4
    rows = [data[offset + r * stride: offset + r * stride + width]
            for r in range(abs(height))]
    if height > 0:
        rows.reverse()
    with open(out, "wb") as f:
        f.write(b"".join(rows))


# A budget below the plain arena (58,368 B): the plan-patches stage meets it.
PATCH_BUDGET = "24KiB"


def person_detection(build, out, plugin, budget=None):
    """Person detection on the M55 board with both images, under `budget`
    if given; False on a failure."""
    models = os.path.join(check_model.ROOT, "test", "models")
    model = os.path.join(models, "person_detect.tflite")
    print("Person detection (TFLite Micro's person_detect.tflite) on a Cortex-M55 "
          "(QEMU mps3-an547)%s\n" % (", --memory-budget=" + budget if budget else ""))
    flags = ["--memory-budget=" + budget] if budget else []
    ok = True
    rows = []
    patch = None
    for image in ("person", "no_person"):
        work = os.path.join(out, "person_detect" + ("_" + budget if budget else ""),
                            image)
        os.makedirs(work, exist_ok=True)
        raw = os.path.join(work, image + ".raw")
        bmp_pixels(os.path.join(models, image + ".bmp"), raw)
        for target, status, message, report, result in check_model.check(
                model, ["cortex-m55"], work, icount_plugin=plugin, input_files=[raw],
                tflite_reference=True, sieve_flags=flags):
            checks = "; ".join("%s vs %s: %s" % (s, a, m) for s, a, m in
                               (result.tflite if result else []))
            print("=> %s on %s, %s.bmp: %s; %s" % (status, target, image, message, checks))
            ok &= status == "PASS"
            if not result or not result.outputs:
                continue
            no_person, person = result.outputs[0]
            rows.append((image, person, no_person, result.instructions,
                         report["memory"]["arena_bytes"], report["memory"]["weight_bytes"]))
            patch = report.get("patch")
    print("\n  %-14s %12s %15s %14s %12s %14s" % (
        "image", "person score", "no-person score", "instructions", "arena",
        "TFLM arena"))
    for image, person, no_person, instructions, arena, _ in rows:
        print("  %-14s %12d %15d %14s %12s %14s" % (
            image + ".bmp", person, no_person,
            "{:,}".format(instructions) if instructions else "-", "%d B" % arena,
            "%d B" % TFLM_PERSON_ARENA))
    if budget and rows and patch:
        print("\n  patched under %s: MAC overhead %.3f, %d stages" % (
            budget, patch["mac_overhead"], len(patch["stages"])))
        for stage in patch["stages"]:
            print("    %s .. %s: grid %dx%d, tile %dx%d, %s" % (
                stage["first"].split(" -> ")[-1], stage["last"].split(" -> ")[-1],
                stage["grid"][0], stage["grid"][1], stage["tile"][0], stage["tile"][1],
                stage["strategy"]))
    elif budget:
        print("\nperson detection under %s: not patched" % budget)
        return False
    verdict = {image: person > no_person for image, person, no_person, *_ in rows}
    if verdict.get("person") is not True or verdict.get("no_person") is not False:
        print("\nperson detection: the scores do not tell the images apart")
        return False
    print("\nperson.bmp: person detected; no_person.bmp: no person. Scores are int8 "
          "probabilities in steps of 1/256 from -128.")
    return ok


def int8_layers_m55(out, plugin):
    """The four int8 layers on the M55 board with --int8-kernels=mve, each
    bit-exact: instructions per MAC next to CMSIS-NN's. False on a failure."""
    print("int8 layers (issue 9, ANCHORS.md section 6) on a Cortex-M55 (QEMU "
          "mps3-an547), Sieve's MVE kernels:\n")
    print("  %-22s %8s %16s %19s %7s" % ("layer", "MACs", "Sieve instr/MAC",
                                        "CMSIS-NN instr/MAC", "result"))
    ok = True
    cmsis = int8_mcu_bench.CMSIS["cortex-m55"]
    for spec in int8_bench.LAYERS:
        name = spec[0]
        text, info = int8_bench.layer_model(*spec)
        work = os.path.join(out, "int8_layers", name)
        os.makedirs(work, exist_ok=True)
        model = os.path.join(work, name + ".mlir")
        with open(model, "w") as f:
            f.write(text)
        for _, status, message, _, result in check_model.check(
                model, ["cortex-m55"], work, icount_plugin=plugin,
                sieve_flags=["--int8-kernels=mve"]):
            count = result.instructions if result else None
            ok &= status == "PASS" and bool(count)
            print("  %-22s %8d %16s %19.2f %7s" % (
                name, info["macs"], "%.2f" % (count / info["macs"]) if count else "-",
                cmsis[name[:2]], status))
    return ok


def logsparse_attention(out):
    """The attention example (a causal attention block) compiled for the host
    with LogSparse attention: sieve-compile's warning and report, to read next
    to the dense (flash) report above. False on a failure."""
    model = os.path.join(check_model.ROOT, "examples", "attention_f32.mlir")
    work = os.path.join(out, "attention_f32", "logsparse")
    os.makedirs(work, exist_ok=True)
    print("The attention block again, with --attention=logsparse (each query sees "
          "itself and the keys 1, 2, 4, ... before it):\n")
    proc = subprocess.run(["sieve-compile", model, "--target=x86-64-avx2",
                           "--attention=logsparse", "-o",
                           os.path.join(work, "attention_f32.o")],
                          capture_output=True, text=True)
    print(proc.stderr + proc.stdout)
    return proc.returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--out", default=None, help="where to put the compiled models")
    parser.add_argument("--person-only", action="store_true",
                        help="only the person detector, not the examples")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    os.environ["PATH"] = os.pathsep.join([os.path.join(build, "bin"), check_model.LLVM_BIN,
                                          os.environ["PATH"]])
    out = os.path.abspath(args.out or os.path.join(build, "demo"))
    plugin = os.path.join(build, "lib", "libsieve-icount.so")
    examples = sorted(glob.glob(os.path.join(check_model.ROOT, "examples", "*.mlir")))
    if args.person_only:
        ok = person_detection(build, out, plugin)
        ok &= person_detection(build, out, plugin, PATCH_BUDGET)
        sys.exit(0 if ok else 1)

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
    print("\nObject files, C headers and JSON reports are in %s/<model>/<target>/.\n" % out)
    failed |= not logsparse_attention(out)
    failed |= not int8_layers_m55(out, plugin)
    print()
    failed |= not person_detection(build, out, plugin)
    print()
    failed |= not person_detection(build, out, plugin, PATCH_BUDGET)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
