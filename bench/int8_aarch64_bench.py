#!/usr/bin/env python3
"""int8 convolutions on AArch64: instructions and llvm-mca cycles per MAC (issue 9).

The four MobileNetV2-style layers of ANCHORS.md section 6 and, unless
--layers-only, the whole MobileNetV2-0.35 at 144 (the models of
bench/int8_mcu_bench.py), compiled by sieve-compile for the `aarch64` target
(Cortex-A76, +neon,+dotprod) with the generic loops (--int8-kernels=generic,
what LLVM's auto-vectoriser makes of them) and with the NEON kernels
(--int8-kernels=vector: neon-sdot, neon-dw), in the same run. Each run is
checked bit for bit against the upstream-only reference by
scripts/check_model.py under `qemu-aarch64 -cpu cortex-a76`, which counts the
instructions of one run of the model, whatever it calls (memset, memcpy)
included, with QEMU's instruction-count plugin, as the Cortex-M bench does.

Cycles: the same harness runs again with the plugin's per-instruction
profile (`pcs=1`); the innermost loops of the entry (backward branches in
its disassembly) that execute at least 1% of its instructions go through
`llvm-mca -mcpu=cortex-a76`, and their cycles per iteration times their
iterations, over the MACs, give "mca cycles per MAC" (the loops' share of
the executed instructions is printed next to it: the rest is not costed).

    int8_aarch64_bench.py BUILD_DIR [--layers-only] [--show-loops] [--only L3]

Standard library only, plus qemu-aarch64 and LLVM 22.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import check_model  # noqa: E402  (symbol_range, tool)
import int8_bench  # noqa: E402  (the layer models)
import int8_mcu_bench as mcu  # noqa: E402  (the bit-exact counted runs)

TARGET = "aarch64"
QEMU = ["qemu-aarch64", "-cpu", "cortex-a76"]
MCA = ["-mtriple=aarch64-linux-gnu", "-mcpu=cortex-a76", "-iterations=100"]
# Loops below this share of the executed instructions are not costed.
MIN_SHARE = 0.01
BRANCHES = re.compile(r"^(b|b\.\w+|cbn?z|tbn?z)$")


def profile(build, wdir):
    """Executions per instruction address of the entry, from the harness
    check_model built in `wdir`, and the entry's disassembly as
    [(address, mnemonic, operands)]."""
    tdir = os.path.join(wdir, TARGET)
    exe = os.path.join(tdir, "harness.elf")
    report = [f for f in os.listdir(tdir) if f.endswith(".json")][0]
    with open(os.path.join(tdir, report)) as f:
        span = check_model.symbol_range(exe, json.load(f)["entry"])
    plugin = os.path.join(build, "lib", "libsieve-icount.so")
    out = subprocess.run(QEMU + ["-plugin", "%s,%s,pcs=1" % (plugin, span), "-d", "plugin",
                                 exe], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         universal_newlines=True)
    if out.returncode != 0:
        sys.exit("int8_aarch64_bench: profiling %s failed:\n%s" % (exe, out.stderr[-2000:]))
    counts = {int(a, 16): int(n) for a, n in re.findall(r"icount-pc: (0x[0-9a-f]+) (\d+)",
                                                         out.stderr)}
    lo, hi = [int(x.split("=")[1], 16) for x in span.split(",")]
    dump = subprocess.run([check_model.tool("llvm-objdump"), "-d", "--no-show-raw-insn",
                           "--print-imm-hex",
                           "--start-address=0x%x" % lo, "--stop-address=0x%x" % hi, exe],
                          stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    insns = []
    for line in dump.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2), m.group(3).split("//")[0].strip()))
    return counts, insns


def inner_loops(insns):
    """The innermost loops, as (first, last) indices into `insns`: a
    backward branch closes a loop; it is innermost when no other loop lies
    inside it."""
    index = {a: i for i, (a, _, _) in enumerate(insns)}
    loops = []
    for i, (addr, op, args) in enumerate(insns):
        if BRANCHES.match(op):
            target = re.search(r"0x([0-9a-f]+)", args)
            if target and int(target.group(1), 16) <= addr and int(target.group(1), 16) in index:
                loops.append((index[int(target.group(1), 16)], i))
    return [(s, e) for s, e in loops
            if not any((s2, e2) != (s, e) and s <= s2 and e2 <= e for s2, e2 in loops)]


def mca_cycles(body):
    """llvm-mca's cycles per iteration of a loop body (branches retargeted
    to the loop's own label)."""
    lines = [".Lloop:"]
    for _, op, args in body:
        args = re.sub(r"\s*<[^>]*>", "", args)  # objdump's symbol+offset notes
        if BRANCHES.match(op):
            args = re.sub(r"0x[0-9a-f]+$", ".Lloop", args)  # the target
        lines.append("  %s %s" % (op, args))
    out = subprocess.run([check_model.tool("llvm-mca")] + MCA, input="\n".join(lines) + "\n",
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True)
    found = re.search(r"Total Cycles:\s+(\d+)", out.stdout)
    if out.returncode != 0 or not found:
        sys.exit("int8_aarch64_bench: llvm-mca failed:\n%s\n%s" % ("\n".join(lines), out.stdout))
    return int(found.group(1)) / 100.0


def loop_cycles(build, wdir, show=False):
    """(mca cycles of the costed inner loops, their share of the entry's
    executed instructions)."""
    counts, insns = profile(build, wdir)
    total = float(sum(counts.values()))
    cycles, covered = 0.0, 0
    costed = []
    # Rotated loops can overlap without nesting: the busiest is costed, and
    # no instruction twice.
    taken = set()
    loops = [(sum(counts.get(a, 0) for a, _, _ in insns[s:e + 1]), s, e)
             for s, e in inner_loops(insns)]
    for executed, s, e in sorted(loops, reverse=True):
        if executed < MIN_SHARE * total or taken.intersection(range(s, e + 1)):
            continue
        taken.update(range(s, e + 1))
        per_iteration = mca_cycles(insns[s:e + 1])
        iterations = counts.get(insns[e][0], 0)
        cycles += per_iteration * iterations
        covered += executed
        costed.append((executed, per_iteration, iterations, insns[s:e + 1]))
    for rank, (executed, per_iteration, iterations, body) in enumerate(
            sorted(costed, key=lambda x: -x[0])[:3] if show else []):
        print("    inner loop at %x: %d instructions, %.2f mca cycles per iteration, "
              "%d iterations, %.0f%% of the executed instructions" % (
                  body[0][0], len(body), per_iteration, iterations, 100.0 * executed / total))
        for addr, op, args in body if rank == 0 else []:
            print("      %x: %s %s" % (addr, op, args))
    return cycles, covered / total if total else 0.0


def measure(build, model, kernels, wdir, show):
    """(instructions, mca cycles, loops' share) of one bit-exact run."""
    count = mcu.instructions(build, model, TARGET, kernels, wdir)
    cycles, share = loop_cycles(build, wdir, show)
    return count, cycles, share


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build")
    parser.add_argument("--layers-only", action="store_true")
    parser.add_argument("--show-loops", action="store_true",
                        help="print the busiest inner loops of each run")
    parser.add_argument("--only", default="",
                        help="only the rows whose names start with this")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    os.environ["PATH"] = os.path.join(build, "bin") + os.pathsep + os.environ["PATH"]
    work = tempfile.mkdtemp(prefix="int8_aarch64_bench.")

    print("int8 on AArch64 (qemu-aarch64 -cpu cortex-a76): instructions per MAC (QEMU icount, "
          "one run with its callees) and llvm-mca cycles per MAC of the inner loops (-mcpu=cortex-a76); "
          "every run bit-exact")
    print("%-22s %8s %9s %9s %6s %9s %9s %6s %11s" % (
        "layer", "MACs", "gen i/MAC", "NEON i/MAC", "ratio", "gen c/MAC", "NEON c/MAC",
        "ratio", "loops' share"))
    rows = [(spec[0],) + int8_bench.layer_model(*spec) for spec in int8_bench.LAYERS]
    if not args.layers_only:
        rows.append(("MobileNetV2-0.35@144", None, None))
    rows = [row for row in rows if row[0].startswith(args.only)]
    for name, text, info in rows:
        if text is None:
            model = mcu.mobilenet_model(work)
        else:
            model = os.path.join(work, name + ".mlir")
            with open(model, "w") as f:
                f.write(text)
        per = {}
        for kernels in ("generic", "vector"):
            wdir = os.path.join(work, "%s_%s" % (name, kernels))
            if args.show_loops:
                print("  %s, %s:" % (name, kernels))
            count, cycles, share = measure(build, model, kernels, wdir, args.show_loops)
            macs = float(info["macs"]) if info else mcu.network_macs(wdir, TARGET)
            per[kernels] = (count / macs, cycles / macs, share, macs)
        g, v = per["generic"], per["vector"]
        print("%-22s %8d %9.2f %9.2f %5.2fx %9.3f %9.3f %5.2fx %5.0f%%/%.0f%%" % (
            name, v[3], g[0], v[0], v[0] / g[0], g[1], v[1], v[1] / g[1],
            100 * g[2], 100 * v[2]))
    print("(ratio: the NEON kernels' figure over the generic loops'; loops' share: the "
          "instructions the costed loops execute, generic/NEON)")


if __name__ == "__main__":
    main()
