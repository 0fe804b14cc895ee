#!/usr/bin/env python3
"""Rewrites the requantisations of a generated model's depthwise layers so
that their per-channel shifts lie on both sides of 31 (sieve_modelgen.py's
are 32 to 40): every other channel's scale m / 2^s becomes
(m >> (s - 31)) / 2^31, about the same scale with single rounding, the
others keep theirs and double rounding. patch-arena.test compiles the model
with the AVX2 kernels forced on the AVX-512 target, which leave exactly
these requantisations unfused.

    straddle_shifts.py IN.mlir > OUT.mlir

Standard library only.
"""

import re
import sys


def values(text, width):
    """The little-endian hex of a tosa.const's dense<"0x..."> as ints."""
    raw = bytes.fromhex(text)
    return [int.from_bytes(raw[i:i + width], "little", signed=True)
            for i in range(0, len(raw), width)]


def hexed(vals, width):
    return "".join((v & ((1 << 8 * width) - 1)).to_bytes(width, "little").hex().upper()
                   for v in vals)


def main():
    lines = open(sys.argv[1]).read().split("\n")
    depthwise, consts, rewrite = set(), {}, {}
    for i, line in enumerate(lines):
        m = re.match(r"\s*(%\w+) = ", line)
        if not m:
            continue
        if "tosa.depthwise_conv2d" in line:
            depthwise.add(m.group(1))
        elif '"tosa.const"' in line:
            consts[m.group(1)] = i
        elif "tosa.rescale" in line:
            args = re.search(r"tosa.rescale (%\w+), (%\w+), (%\w+),", line)
            if args and args.group(1) in depthwise:
                rewrite[args.group(2)] = args.group(3)
    for mname, sname in rewrite.items():
        mline, sline = lines[consts[mname]], lines[consts[sname]]
        mhex = re.search(r'dense<"0x([0-9A-F]+)">', mline)
        shex = re.search(r'dense<"0x([0-9A-F]+)">', sline)
        if not mhex or not shex:
            continue  # a splat: leave it
        mults, shifts = values(mhex.group(1), 4), values(shex.group(1), 1)
        for c in range(0, len(shifts), 2):
            if shifts[c] > 31:
                mults[c] = max(1, (mults[c] + (1 << (shifts[c] - 32))) >> (shifts[c] - 31))
                shifts[c] = 31
        lines[consts[mname]] = mline.replace(mhex.group(1), hexed(mults, 4))
        lines[consts[sname]] = sline.replace(shex.group(1), hexed(shifts, 1))
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()
