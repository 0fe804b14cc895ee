#!/usr/bin/env python3
"""int8 convolutions for the vector kernels' execution tests (issue 9).

One TOSA function with one input and one output per layer, so that every
layer is checked on its own: channel counts off the vector widths (3, 5, 17)
and on them (16, 96), strides 1 and 2, SAME and VALID padding (TOSA pads
with the input zero point), input zero points -128 and 127, widths that
leave a remainder of output pixels, and requantisation at the extremes
(multiplier 2^31 - 1 with a small shift: saturates; 2^30 with shift 60:
rounds almost everything to the zero point), per channel.

    int8_conv_models.py [--seed N] [--mixed-shifts | --shift-edges |
                         --depthwise-edges | --window] > convs.mlir

`--mixed-shifts` writes instead a depthwise and a 1x1 layer whose channels
each have their own shift, 32 to 62 (the edges included), and multipliers
from 0 to 2^31 - 1: the Cortex-M55's vqrdmulh requantisation reads them
per channel (a shift shared by all channels is folded into the body).

`--depthwise-edges` writes depthwise layers for the 16-lane AVX-512 kernel
(channels 3, 5, 17, 40 around 16; rows of 8 output pixels, with remainders;
a 5x5 kernel, whose rows go in groups of 3) at both zero points and the
requantisation extremes.

Standard library only.
"""

import argparse
import random

# name, input (h, w, c), output channels, kernel, stride, padding,
# depthwise, input zero point, requantisation ("normal", "big", "tiny")
LAYERS = [
    ("pw17to5", (3, 9, 17), 5, 1, 1, "VALID", False, -128, "normal"),
    ("pw16to96", (2, 8, 16), 96, 1, 1, "VALID", False, 127, "normal"),
    ("pw13to9", (2, 5, 13), 9, 1, 1, "VALID", False, 127, "normal"),
    ("stem3to17", (9, 11, 3), 17, 3, 2, "SAME", False, -128, "normal"),
    ("c5to3valid", (6, 7, 5), 3, 3, 1, "VALID", False, 127, "normal"),
    ("c17s2big", (7, 9, 17), 17, 3, 2, "VALID", False, -128, "big"),
    ("c3to8tiny", (5, 6, 3), 8, 3, 1, "SAME", False, 127, "tiny"),
    ("dw17same", (5, 7, 17), 17, 3, 1, "SAME", True, 127, "normal"),
    ("dw5s2", (7, 9, 5), 5, 3, 2, "SAME", True, -128, "normal"),
    ("dw3s2valid", (7, 9, 3), 3, 3, 2, "VALID", True, -128, "big"),
    ("dw96", (4, 6, 96), 96, 3, 1, "SAME", True, -128, "normal"),
]
MIXED_LAYERS = [
    ("dw24mixed", (6, 7, 24), 24, 3, 1, "SAME", True, -128, "above31"),
    ("pw16to20mixed", (3, 5, 16), 20, 1, 1, "VALID", False, 127, "above31"),
]

# With --shift-edges: requantisations whose shifts straddle 32 per channel
# (the kernels pick their apply_scale from the range of constant shifts:
# all above 31, all up to 32, or mixed), exactly 32, and single rounding.
SHIFT_EDGES = [
    ("pw9mixed", (3, 5, 9), 11, 1, 1, "VALID", False, -128, "mixed"),
    ("pw16le32", (2, 9, 16), 17, 1, 1, "VALID", False, 127, "le32"),
    ("pw8eq32", (2, 5, 8), 8, 1, 1, "VALID", False, -128, "eq32"),
    ("pw5single", (3, 4, 5), 13, 1, 1, "VALID", False, 127, "mixed-single"),
    ("c5s2single", (7, 6, 5), 9, 3, 2, "SAME", False, -128, "tiny-single"),
    ("dw17mixed", (5, 6, 17), 17, 3, 1, "SAME", True, 127, "mixed"),
    ("dw8le32single", (4, 5, 8), 8, 3, 2, "SAME", True, -128, "le32-single"),
]

# With --depthwise-edges: output widths of 8-pixel tiles plus remainders,
# channels off and on 16, every requantisation kind.
DEPTHWISE_EDGES = [
    ("dw3wide", (4, 19, 3), 3, 3, 1, "SAME", True, 127, "big"),
    ("dw5s2wide", (9, 21, 5), 5, 3, 2, "VALID", True, -128, "tiny"),
    ("dw17s2mixed", (7, 17, 17), 17, 3, 2, "SAME", True, 127, "mixed"),
    ("dw40same", (5, 11, 40), 40, 3, 1, "SAME", True, -128, "normal"),
    ("dw40s2single", (6, 17, 40), 40, 3, 2, "SAME", True, 127, "mixed-single"),
    ("dw16le32", (3, 10, 16), 16, 3, 1, "VALID", True, -128, "le32"),
    ("dw17k5", (7, 12, 17), 17, 5, 1, "SAME", True, 127, "normal"),
    ("dw40k5s2big", (9, 13, 40), 40, 5, 2, "VALID", True, -128, "big"),
]

# With --window: convolutions with few input channels, which the x86 kernels
# read in their window form (the KW x C bytes of a row of taps as the
# channels of a 1-tap convolution): KW x C of 3 (partial pairs only), 4, 9,
# 15, 21 (8-byte chunks, whole pairs and the partial last one), 3x3 and 5x5
# and 2x2 taps, strides 1 and 2, both paddings, zero points -128 and 127,
# output channels off the blocks (7, 9, 33), saturating and vanishing
# requantisations.
WINDOW_LAYERS = [
    ("win1s1same", (6, 9, 1), 7, 3, 1, "SAME", False, -128, "normal"),
    ("win3s2big", (9, 11, 3), 33, 3, 2, "VALID", False, 127, "big"),
    ("win5s2tiny", (8, 11, 5), 16, 3, 2, "SAME", False, -128, "tiny"),
    ("win7s1", (5, 7, 7), 9, 3, 1, "SAME", False, 127, "normal"),
    ("win3k5s2", (9, 9, 3), 8, 5, 2, "SAME", False, 127, "normal"),
    ("win2k2mixed", (6, 6, 2), 5, 2, 2, "VALID", False, -128, "mixed"),
]


def hex_bytes(values, width):
    out = []
    for v in values:
        out.append((v & ((1 << (8 * width)) - 1)).to_bytes(width, "little").hex().upper())
    return "0x" + "".join(out)


def tensor(shape, etype):
    return "tensor<%s>" % "x".join([str(d) for d in shape] + [etype])


class Emitter:
    def __init__(self):
        self.lines = []
        self.count = 0

    def emit(self, text):
        self.count += 1
        name = "%%v%d" % self.count
        self.lines.append("    %s = %s" % (name, text))
        return name

    def const(self, values, shape, etype, width):
        ty = tensor(shape, etype)
        body = ('dense<%d>' % values[0]) if len(set(values)) == 1 else \
            'dense<"%s">' % hex_bytes(values, width)
        return self.emit('"tosa.const"() <{values = %s : %s}> : () -> %s' % (body, ty, ty))


def layer(e, rng, arg, spec):
    name, (h, w, c), cout, k, stride, padding, depthwise, izp, requant = spec
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-w // stride)
        ph = max((oh - 1) * stride + k - h, 0)
        pw = max((ow - 1) * stride + k - w, 0)
        pad = [ph // 2, ph - ph // 2, pw // 2, pw - pw // 2]
    else:
        oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
        pad = [0, 0, 0, 0]
    if depthwise:
        cout = c
        wshape = [k, k, c, 1]
    else:
        wshape = [cout, k, k, c]
    count = 1
    for d in wshape:
        count *= d
    # Weights over the whole range, -128 included.
    weights = [rng.randint(-128, 127) for _ in range(count)]
    bias = [rng.randint(-5000, 5000) for _ in range(cout)]
    wc = e.const(weights, wshape, "i8", 1)
    bc = e.const(bias, [cout], "i32", 4)
    izpc = e.const([izp], [1], "i8", 1)
    wzpc = e.const([0], [1], "i8", 1)
    out_shape = [1, oh, ow, cout]
    op = "tosa.depthwise_conv2d" if depthwise else "tosa.conv2d"
    acc = e.emit(
        "%s %s, %s, %s, %s, %s {acc_type = i32, dilation = array<i64: 1, 1>, "
        "pad = array<i64: %s>, stride = array<i64: %d, %d>} : (%s, %s, %s, %s, %s) -> %s" % (
            op, arg, wc, bc, izpc, wzpc, ", ".join(map(str, pad)), stride, stride,
            tensor([1, h, w, c], "i8"), tensor(wshape, "i8"), tensor([cout], "i32"),
            tensor([1], "i8"), tensor([1], "i8"), tensor(out_shape, "i32")))
    rounding = "SINGLE_ROUND" if requant.endswith("-single") else "DOUBLE_ROUND"
    requant = requant.replace("-single", "")
    fan_in = k * k * (1 if depthwise else c)
    if requant in ("mixed", "le32", "eq32"):
        # Scales that keep the outputs off the saturation bounds, spelt with
        # the shifts asked for.
        choices = {"mixed": [12, 20, 31, 32, 33, 40, 47],
                   "le32": [24, 28, 31, 32], "eq32": [32]}[requant]
        shifts = [rng.choice(choices) for _ in range(cout)]
        base = 40.0 / (73.0 * 73.0 * fan_in ** 0.5)
        mults = [max(1, min((1 << 31) - 1, int(base * rng.uniform(0.5, 1.5) * (1 << s))))
                 for s in shifts]
    elif requant == "big":
        mults = [(1 << 31) - 1 - rng.randint(0, 3) for _ in range(cout)]
        shifts = [rng.choice([2, 3]) for _ in range(cout)]
    elif requant == "tiny":
        mults = [(1 << 30) + rng.randint(0, 7) for _ in range(cout)]
        shifts = [rng.choice([60, 62, 63]) for _ in range(cout)]
    elif requant == "above31":
        edges = [(0, 32), ((1 << 31) - 1, 62), (1 << 30, 33), ((1 << 31) - 1, 32)]
        pairs = edges + [(rng.randint(1 << 30, (1 << 31) - 1), rng.randint(34, 44))
                         for _ in range(cout - len(edges))]
        mults, shifts = [m for m, _ in pairs], [s for _, s in pairs]
    else:
        mults = [rng.randint(1 << 30, (1 << 31) - 1) for _ in range(cout)]
        base = 40.0 / (73.0 * 73.0 * fan_in ** 0.5)
        shifts = [max(1, min(62, int(round(-__import__("math").log2(base))) + 30))
                  for _ in range(cout)]
    mc = e.const(mults, [cout], "i32", 4)
    sc = e.const(shifts, [cout], "i8", 1)
    z32 = e.const([0], [1], "i32", 4)
    ozp = e.const([rng.randint(-20, 20)], [1], "i8", 1)
    return e.emit(
        "tosa.rescale %s, %s, %s, %s, %s {input_unsigned = false, output_unsigned = false, "
        "per_channel = true, rounding_mode = %s, scale32 = true} : "
        "(%s, %s, %s, %s, %s) -> %s" % (
            acc, mc, sc, z32, ozp, rounding, tensor(out_shape, "i32"), tensor([cout], "i32"),
            tensor([cout], "i8"), tensor([1], "i32"), tensor([1], "i8"),
            tensor(out_shape, "i8"))), out_shape


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--mixed-shifts", action="store_true",
                        help="the MIXED_LAYERS layers instead of LAYERS")
    parser.add_argument("--shift-edges", action="store_true",
                        help="the SHIFT_EDGES layers instead of LAYERS")
    parser.add_argument("--depthwise-edges", action="store_true",
                        help="the DEPTHWISE_EDGES layers instead of LAYERS")
    parser.add_argument("--window", action="store_true",
                        help="the WINDOW_LAYERS layers instead of LAYERS")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    e = Emitter()
    args_text, results, types = [], [], []
    layers = LAYERS
    if args.mixed_shifts:
        layers = MIXED_LAYERS
    elif args.shift_edges:
        layers = SHIFT_EDGES
    elif args.depthwise_edges:
        layers = DEPTHWISE_EDGES
    elif args.window:
        layers = WINDOW_LAYERS
    for i, spec in enumerate(layers):
        name, (h, w, c) = spec[0], spec[1]
        arg = "%%%s" % name
        args_text.append("%s: %s" % (arg, tensor([1, h, w, c], "i8")))
        out, shape = layer(e, rng, arg, spec)
        results.append(out)
        types.append(tensor(shape, "i8"))
    print("module {")
    print("  func.func @convs(%s) -> (%s) {" % (", ".join(args_text), ", ".join(types)))
    print("\n".join(e.lines))
    print("    return %s : %s" % (", ".join(results), ", ".join(types)))
    print("  }")
    print("}")


if __name__ == "__main__":
    main()
