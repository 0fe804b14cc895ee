#!/usr/bin/env python3
"""Write a model with one linear layer whose constant weights are ternary.

    ternary_model.py --m 1 --k 257 --n 7 [--kind i8|f32|f32-channel|tosa-i8|
                     tosa-f32|bitnet] [--transposed] [--seed 1] [--not-ternary]
                     [--weights random|plus|minus]
                     [--form fake|dequant|dequant-div] [--unfused] [--keepdim]
                     [--linalg-reduce] [--scale-form inverse|step]
                     [--batch B [--matmul-form reshape|batch|broadcast|generic]]
                     [--tile] [--near-miss WHAT] [--tie-input FILE]

The layer is what exporters produce for a BitNet-style linear layer, in one of
the forms sieve-raise-ternary recognises: `linalg.matmul` on int8 activations
and int8 weights in {-1, 0, +1} with an int32 result (`i8`), on f32 with
weights {-1, 0, +1} times one scale (`f32`) or one scale per output channel
(`f32-channel`), or the same as `tosa.matmul` (`tosa-i8`, `tosa-f32`).

`bitnet` is BitNet b1.58's BitLinear in f32 as an exporter (torch-mlir)
writes it: per token s = 127 / max(max_k |x|, 1e-5), q = clamp(roundeven(x *
s), -128, 127), then `--form fake` matmul(q / s, W * 0.5) (fake quantisation),
`dequant` matmul(q, W * 0.5) / s, `dequant-div` matmul(q, W) / (s * 2.0)
(the weight scale stored as its inverse); `--unfused` writes one
linalg.generic per scalar op, `--keepdim` reads the absolute maximum as
[M, 1] through tensor.expand_shape, `--linalg-reduce` takes it with
linalg.reduce instead of a linalg.generic. `--near-miss` changes one detail so the
pattern must not be recognised: `round` (half away from zero), `clamp`
(-127), `eps` (1e-6), `sum` (sum of |x|, not max), `no-abs` (max of x),
`scale-mul` (dequantise by multiplying by s, or dividing by d), `other-input`
(the maximum of another tensor than the one quantised), `step-mul` (x * d),
`step-128` (d = max / 128), `step-recip` (d = max * (1 / 127)).
`--scale-form step` writes the scale as the step d = max(max_k |x|, 1e-5) /
127: q = clamp(roundeven(x / d)), q * d (fake) or acc * d (dequant).

`--batch B` makes the activations [B, M, K] (B * M tokens), the layer written
as `--matmul-form`: `reshape` (collapse_shape to [B * M, K], linalg.matmul,
expand_shape), `batch` (linalg.batch_matmul, the weights a constant
replicated over B), `broadcast` (linalg.batch_matmul of a linalg.broadcast of
the [K, N] weights) or `generic` (a linalg.generic contraction); with the tosa
kinds, tosa.matmul of batch B, the weights replicated or (`--tile`) a
tosa.tile of [1, K, N] as torch-mlir broadcasts them.
`--transposed` stores the weights N x K (linalg.matmul with transposed
indexing maps); `--not-ternary` puts one weight 2 (or 1.5 x scale) in, which
must stay a plain matmul. Standard library only; the weights are seeded.
"""

import argparse
import random
import struct


def dense(values, shape, element):
    flat = ", ".join(values)
    dims = "x".join(str(d) for d in shape)
    return "dense<[%s]> : tensor<%sx%s>" % (flat, dims, element) if False else \
        "dense<%s> : tensor<%sx%s>" % (nest(values, shape), dims, element)


def nest(values, shape):
    if len(shape) == 1:
        return "[" + ", ".join(values) + "]"
    step = len(values) // shape[0]
    return "[" + ", ".join(nest(values[i * step:(i + 1) * step], shape[1:])
                           for i in range(shape[0])) + "]"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--m", type=int, default=1)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--kind", default="i8",
                   choices=["i8", "f32", "f32-channel", "tosa-i8", "tosa-f32", "bitnet"])
    p.add_argument("--transposed", action="store_true")
    p.add_argument("--not-ternary", action="store_true")
    p.add_argument("--weights", default="random", choices=["random", "plus", "minus"],
                   help="seeded random ternary weights, or all +1 / all -1 (with "
                   "--input-fill 127 or -128: the largest sums any kernel must hold)")
    p.add_argument("--form", default="fake", choices=["fake", "dequant", "dequant-div"])
    p.add_argument("--unfused", action="store_true")
    p.add_argument("--keepdim", action="store_true")
    p.add_argument("--linalg-reduce", action="store_true")
    p.add_argument("--near-miss", default=None,
                   choices=["round", "clamp", "eps", "sum", "no-abs", "scale-mul", "other-input",
                            "step-mul", "step-128", "step-recip"])
    p.add_argument("--scale-form", default="inverse", choices=["inverse", "step"])
    p.add_argument("--batch", type=int, default=0,
                   help="3-D activations [B, M, K] (B * M tokens)")
    p.add_argument("--matmul-form", default="reshape",
                   choices=["reshape", "batch", "broadcast", "generic"],
                   help="with --batch: how the [B, M, K] x W layer is written")
    p.add_argument("--tie-input", metavar="FILE",
                   help="bitnet: also write an input (raw f32) whose values sit next to "
                   "rounding ties of x * (127 / max) and x / (max / 127), where the "
                   "two spellings of the scale quantise differently")
    p.add_argument("--tile", action="store_true",
                   help="tosa kinds with --batch: weights as tosa.tile of [1, K, N]")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--name", default="ternary")
    a = p.parse_args()
    rng = random.Random(a.seed)
    m, k, n = a.m, a.k, a.n
    # t[n][k] in {-1, 0, 1}
    fixed = {"plus": 1, "minus": -1}.get(a.weights)
    t = [[fixed if fixed is not None else rng.choice((-1, 0, 1)) for _ in range(k)]
         for _ in range(n)]
    if a.not_ternary:
        t[n - 1][k - 1] = 2
    if a.kind == "bitnet":
        print(bitnet(a, t))
        if a.tie_input:
            write_ties(a, rng)
        return
    scales = [0.5] * n if a.kind != "f32-channel" else [0.25 * (1 + c % 3) for c in range(n)]
    integer = a.kind in ("i8", "tosa-i8")
    et = "i8" if integer else "f32"
    acc = "i32" if integer else "f32"

    def w(row, col):
        if integer:
            return str(t[row][col])
        return repr(t[row][col] * scales[row]) if t[row][col] != 2 else repr(1.5 * scales[row])

    if a.transposed:
        wshape = [n, k]
        wvals = [w(r, c) for r in range(n) for c in range(k)]
    else:
        wshape = [k, n]
        wvals = [w(r, c) for c in range(k) for r in range(n)]
    lines = []
    if a.kind.startswith("tosa"):
        zero = "0" if integer else "0.0"
        b = max(a.batch, 1)
        xt = "tensor<%dx%dx%dx%s>" % (b, m, k, et)
        yt = "tensor<%dx%dx%dx%s>" % (b, m, n, acc)
        wt = "tensor<%dx%dx%dx%s>" % (b, k, n, et)
        lines.append("func.func @%s(%%x: %s) -> %s {" % (a.name, xt, yt))
        if a.tile:
            # torch-mlir's broadcast of the weights over the batch
            lines += [
                "  %%w1 = \"tosa.const\"() {values = %s} : () -> tensor<1x%dx%dx%s>" % (
                    dense(wvals, [1] + wshape, et), k, n, et),
                "  %%mult = tosa.const_shape {values = dense<[%d, 1, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>" % b,
                "  %%w = tosa.tile %%w1, %%mult : (tensor<1x%dx%dx%s>, !tosa.shape<3>) -> %s" % (k, n, et, wt)]
        else:
            lines.append("  %%w = \"tosa.const\"() {values = %s} : () -> %s" % (
                dense(wvals * b, [b] + wshape, et), wt))
        lines += [
            "  %%zp = \"tosa.const\"() {values = dense<%s> : tensor<1x%s>} : () -> tensor<1x%s>" % (zero, et, et),
            "  %%y = tosa.matmul %%x, %%w, %%zp, %%zp : (%s, %s, tensor<1x%s>, tensor<1x%s>) -> %s" % (
                xt, wt, et, et, yt),
            "  return %%y : %s" % yt,
            "}"]
        assert not a.transposed, "tosa.matmul takes K x N weights"
    else:
        zero = "0 : i32" if integer else "0.0 : f32"
        lead = [a.batch, m] if a.batch else [m]
        xt = "tensor<%sx%dx%s>" % ("x".join(map(str, lead)), k, et)
        lines.append("func.func @%s(%%x: %s) -> tensor<%sx%dx%s> {" % (
            a.name, xt, "x".join(map(str, lead)), n, acc))
        lines.append("  %%w = arith.constant %s" % dense(wvals, wshape, et))
        y, yt = linear(a, lines, "%x", lead, k, n, et, acc, zero, "%w", wshape, wvals)
        lines += ["  return %s : %s" % (y, yt), "}"]
    print("\n".join(lines))


def linear(a, lines, x, lead, k, n, et, acc, zero, w, wshape, wvals):
    """y = x W for activations x of shape lead + [k], W the constant `w`
    (wshape: [k, n], or [n, k] with --transposed), written as --matmul-form
    (rank 2: linalg.matmul). Returns the result and its type."""
    tokens = 1
    for d in lead:
        tokens *= d
    ty = lambda shape, e: "tensor<%sx%s>" % ("x".join(map(str, shape)), e)
    xt, yt = ty(lead + [k], et), ty(lead + [n], acc)
    wt = ty(wshape, et)
    tmaps = (" indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, "
             "affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]")
    maps = tmaps if a.transposed else ""

    def fill(shape):
        t = ty(shape, acc)
        lines.append("  %%ye = tensor.empty() : %s" % t)
        lines.append("  %%yz = arith.constant %s" % zero)
        lines.append("  %%yi = linalg.fill ins(%%yz : %s) outs(%%ye : %s) -> %s" % (acc, t, t))
        return "%yi", t

    if len(lead) == 1:
        init, t = fill(lead + [n])
        lines.append("  %%y = linalg.matmul%s ins(%s, %s : %s, %s) outs(%s : %s) -> %s" % (
            maps, x, w, xt, wt, init, t, t))
        return "%y", yt
    b, m = lead
    form = a.matmul_form
    if form == "reshape":
        x2t, y2t = ty([tokens, k], et), ty([tokens, n], acc)
        lines.append("  %%x2 = tensor.collapse_shape %s [[0, 1], [2]] : %s into %s" % (x, xt, x2t))
        init, t = fill([tokens, n])
        lines.append("  %%y2 = linalg.matmul%s ins(%%x2, %s : %s, %s) outs(%s : %s) -> %s" % (
            maps, w, x2t, wt, init, t, t))
        lines.append("  %%y = tensor.expand_shape %%y2 [[0, 1], [2]] output_shape [%d, %d, %d] : %s into %s" % (
            b, m, n, y2t, yt))
        return "%y", yt
    if form == "generic":
        wmap = "(d0, d1, d2, d3) -> (d2, d3)" if a.transposed else "(d0, d1, d2, d3) -> (d3, d2)"
        init, t = fill(lead + [n])
        mul, add = ("arith.muli", "arith.addi") if et == "i8" else ("arith.mulf", "arith.addf")
        lines.append("  %%y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, "
                     "affine_map<%s>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = "
                     "[\"parallel\", \"parallel\", \"parallel\", \"reduction\"]} ins(%s, %s : %s, %s) "
                     "outs(%s : %s) {" % (wmap, x, w, xt, wt, init, t))
        lines.append("  ^bb0(%%in: %s, %%wv: %s, %%out: %s):" % (et, et, acc))
        if et == "i8":
            lines += ["    %xe = arith.extsi %in : i8 to i32", "    %we = arith.extsi %wv : i8 to i32",
                      "    %p = arith.muli %xe, %we : i32", "    %s = arith.addi %out, %p : i32"]
        else:
            lines += ["    %p = arith.mulf %in, %wv : f32", "    %s = arith.addf %out, %p : f32"]
        lines.append("    linalg.yield %s : " + acc)
        lines.append("  } -> %s" % t)
        return "%y", yt
    assert not a.transposed, "batch_matmul takes K x N weights here"
    wbt = ty([b] + wshape, et)
    if form == "batch":
        lines.append("  %%wb = arith.constant %s" % dense(wvals * b, [b] + wshape, et))
    else:  # broadcast
        lines.append("  %%wbe = tensor.empty() : %s" % wbt)
        lines.append("  %%wb = linalg.broadcast ins(%s : %s) outs(%%wbe : %s) dimensions = [0]" % (
            w, wt, wbt))
    init, t = fill(lead + [n])
    lines.append("  %%y = linalg.batch_matmul ins(%s, %%wb : %s, %s) outs(%s : %s) -> %s" % (
        x, xt, wbt, init, t, t))
    return "%y", yt


def write_ties(a, rng):
    """Per token: its maximum m (non-power-of-two), then values (j + 0.5) * d
    rounded to f32 and nudged by one ulp, d = m / 127, so that x * (127 / m)
    and x / d often round to different integers."""
    f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]
    tokens = a.m * (a.batch or 1)
    out = []
    for _ in range(tokens):
        m = f32(rng.uniform(0.6, 3.0))
        d = f32(m / 127.0)
        row = [m if rng.random() < 0.5 else -m]
        while len(row) < a.k:
            v = f32((rng.randint(-127, 126) + 0.5) * d)
            v = f32(v * (1 + rng.choice((-1, 0, 1)) * 2.0 ** -23))
            row.append(max(-m, min(m, v)))
        out += row
    with open(a.tie_input, "wb") as fh:
        fh.write(struct.pack("<%df" % len(out), *out))


def bitnet(a, t):
    """BitNet's BitLinear in f32 (see the module docstring)."""
    m, k, n = a.m, a.k, a.n
    miss = a.near_miss
    lead = [a.batch, m] if a.batch else [m]
    r = len(lead) + 1
    lines = []
    ids = [0]

    def fresh(prefix):
        ids[0] += 1
        return "%%%s%d" % (prefix, ids[0])

    def f(v):
        return "%.9e : f32" % v

    dims = ["d%d" % i for i in range(r)]
    full = "(%s) -> (%s)" % (", ".join(dims), ", ".join(dims))
    row = "(%s) -> (%s)" % (", ".join(dims), ", ".join(dims[:-1]))
    row1 = "(%s) -> (%s)" % (", ".join(dims[:-1]), ", ".join(dims[:-1]))
    keep = "(%s) -> (%s, 0)" % (", ".join(dims), ", ".join(dims[:-1]))
    ty = lambda shape: "tensor<%sxf32>" % "x".join(map(str, shape))

    def generic(shape, ins, body, iters=None):
        """One linalg.generic over `shape`; ins: (value, type, map); body
        gets the block argument names and returns (lines, yielded)."""
        rank = len(shape)
        iters = iters or ["parallel"] * rank
        out_map = full if rank == r else row1
        t = ty(shape)
        e, res = fresh("e"), fresh("g")
        lines.append("  %s = tensor.empty() : %s" % (e, t))
        args = ["%%a%d" % i for i in range(len(ins))]
        maps = ", ".join("affine_map<%s>" % mp for _, _, mp in ins + [(None, None, out_map)])
        lines.append("  %s = linalg.generic {indexing_maps = [%s], iterator_types = [%s]} "
                     "ins(%s : %s) outs(%s : %s) {" % (
                         res, maps, ", ".join('"%s"' % i for i in iters),
                         ", ".join(v for v, _, _ in ins), ", ".join(t for _, t, _ in ins), e, t))
        lines.append("  ^bb0(%s, %%out: f32):" % ", ".join("%s: f32" % x for x in args))
        body_lines, y = body(args)
        lines.extend("    " + b for b in body_lines)
        lines.append("    linalg.yield %s : f32" % y)
        lines.append("  } -> %s" % t)
        return res

    def op1(name, x):
        return ["%%v = %s %s : f32" % (name, x)], "%v"

    def const_op(name, x, c):
        return ["%%c = arith.constant %s" % f(c), "%%v = %s %s, %%c : f32" % (name, x)], "%v"

    tx, tm, tmk = ty(lead + [k]), ty(lead), ty(lead + [1])
    args = "%%x: %s" % tx + (", %%other: %s" % tx if miss == "other-input" else "")
    lines.append("func.func @%s(%s) -> %s {" % (a.name, args, ty(lead + [n])))
    # amax[m] = max_k |x[m, k]| (or the near misses)
    src = "%other" if miss == "other-input" else "%x"
    absname = None if miss == "no-abs" else "math.absf"
    combine = "arith.addf" if miss == "sum" else "arith.maximumf"
    if a.unfused and absname:
        src = generic(lead + [k], [(src, tx, full)], lambda v: op1(absname, v[0]))
        absname = None
    zero = fresh("z")
    lines.append("  %s = arith.constant 0.0 : f32" % zero)
    e, init, amax = fresh("e"), fresh("i"), fresh("amax")
    lines.append("  %s = tensor.empty() : %s" % (e, tm))
    lines.append("  %s = linalg.fill ins(%s : f32) outs(%s : %s) -> %s" % (init, zero, e, tm, tm))
    if a.linalg_reduce:
        lines.append("  %s = linalg.reduce ins(%s : %s) outs(%s : %s) dimensions = [%d]" % (
            amax, src, tx, init, tm, r - 1))
        lines.append("  (%in: f32, %acc: f32) {")
    else:
        lines.append("  %s = linalg.generic {indexing_maps = [affine_map<%s>, affine_map<%s>], "
                     "iterator_types = [%s\"reduction\"]} ins(%s : %s) outs(%s : %s) {" % (
                         amax, full, row, "\"parallel\", " * (r - 1), src, tx, init, tm))
        lines.append("  ^bb0(%in: f32, %acc: f32):")
    v = "%in"
    if absname:
        lines.append("    %%abs = %s %%in : f32" % absname)
        v = "%abs"
    lines.append("    %%m = %s %%acc, %s : f32" % (combine, v))
    lines.append("    linalg.yield %m : f32")
    lines.append("  }" if a.linalg_reduce else "  } -> %s" % tm)
    # s = 127 / max(amax, 1e-5), or the step d = max(amax, 1e-5) / 127
    eps = 1e-6 if miss == "eps" else 1e-5
    step = a.scale_form == "step"
    c127 = 128.0 if miss == "step-128" else 127.0

    def scale_body(c):
        if miss == "step-recip":  # max * (1 / 127): rounds unlike max / 127
            return ["%%c127 = arith.constant %s" % f(1 / 127.0),
                    "%%v = arith.mulf %s, %%c127 : f32" % c]
        return (["%%c127 = arith.constant %s" % f(c127),
                 "%%v = arith.divf %s, %%c127 : f32" % c] if step else
                ["%%c127 = arith.constant %s" % f(c127), "%%v = arith.divf %%c127, %s : f32" % c])
    if a.unfused:
        c = generic(lead, [(amax, tm, row1)], lambda v: const_op("arith.maximumf", v[0], eps))
        s = generic(lead, [(c, tm, row1)], lambda v: (scale_body(v[0]), "%v"))
    else:
        s = generic(lead, [(amax, tm, row1)], lambda v: (
            ["%%eps = arith.constant %s" % f(eps), "%%c = arith.maximumf %s, %%eps : f32" % v[0]]
            + scale_body("%c"), "%v"))
    s_read = (s, tm, row)
    if a.keepdim:
        s2 = fresh("s")
        groups = ", ".join("[%d]" % i for i in range(r - 2)) + (", " if r > 2 else "")
        lines.append("  %s = tensor.expand_shape %s [%s[%d, %d]] output_shape [%s, 1] : %s into %s" % (
            s2, s, groups, r - 2, r - 1, ", ".join(map(str, lead)), tm, tmk))
        s_read = (s2, tmk, keep)
    lo = -127 if miss == "clamp" else -128
    rnd = "math.round" if miss == "round" else "math.roundeven"
    fake = a.form == "fake"
    # x * s, or x / d (the step form; x * d is a near miss)
    quant_op = "arith.divf" if step and miss != "step-mul" else "arith.mulf"
    dequant_op = "arith.mulf" if step else "arith.divf"
    if miss == "scale-mul":
        dequant_op = "arith.divf" if step else "arith.mulf"
    if a.unfused:
        q = generic(lead + [k], [("%x", tx, full), s_read], lambda v: (
            ["%%v = %s %s, %s : f32" % (quant_op, v[0], v[1])], "%v"))
        q = generic(lead + [k], [(q, tx, full)], lambda v: op1(rnd, v[0]))
        # clamp as a select of a comparison, as torch-mlir writes aten.clamp
        q = generic(lead + [k], [(q, tx, full)], lambda v: (
            ["%%c = arith.constant %s" % f(lo), "%%p = arith.cmpf ult, %s, %%c : f32" % v[0],
             "%%v = arith.select %%p, %%c, %s : f32" % v[0]], "%v"))
        q = generic(lead + [k], [(q, tx, full)], lambda v: const_op("arith.minimumf", v[0], 127))
        if fake:
            q = generic(lead + [k], [(q, tx, full), s_read], lambda v: (
                ["%%v = %s %s, %s : f32" % (dequant_op, v[0], v[1])], "%v"))
    else:
        def body(v):
            b = ["%%lo = arith.constant %s" % f(lo), "%%hi = arith.constant %s" % f(127),
                 "%%p = %s %s, %s : f32" % (quant_op, v[0], v[1]), "%%r = %s %%p : f32" % rnd,
                 "%c1 = arith.maximumf %r, %lo : f32", "%c2 = arith.minimumf %c1, %hi : f32"]
            if fake:
                b.append("%%v = %s %%c2, %s : f32" % (dequant_op, v[1]))
                return b, "%v"
            return b, "%c2"
        q = generic(lead + [k], [("%x", tx, full), s_read], body)
    # weights: ternary times 0.5 (fake, dequant) or plain ternary (dequant-div)
    wscale = 1.0 if a.form == "dequant-div" else 0.5
    if a.transposed:
        wshape, wvals = [n, k], [repr(t[r_][c] * wscale) for r_ in range(n) for c in range(k)]
    else:
        wshape, wvals = [k, n], [repr(t[r_][c] * wscale) for c in range(k) for r_ in range(n)]
    lines.append("  %%w = arith.constant %s" % dense(wvals, wshape, "f32"))
    y, tmn = linear(a, lines, q, lead, k, n, "f32", "f32", "0.0 : f32", "%w", wshape, wvals)
    if not fake:
        srow = (s_read[0], s_read[1], s_read[2])
        if a.form == "dequant":
            y = generic(lead + [n], [(y, tmn, full), srow], lambda v: (
                ["%%v = %s %s, %s : f32" % (dequant_op, v[0], v[1])], "%v"))
        else:
            # the weight scale stored as its inverse: acc / (s * 2) or (acc * d) / 2
            if step:
                y = generic(lead + [n], [(y, tmn, full), srow], lambda v: (
                    ["%c = arith.constant 2.0 : f32", "%%d = %s %s, %s : f32" % (dequant_op, v[0], v[1]),
                     "%v = arith.divf %d, %c : f32"], "%v"))
            else:
                y = generic(lead + [n], [(y, tmn, full), srow], lambda v: (
                    ["%c = arith.constant 2.0 : f32", "%%d = arith.mulf %s, %%c : f32" % v[1],
                     "%%v = %s %s, %%d : f32" % (dequant_op, v[0])], "%v"))
    lines.append("  return %s : %s" % (y, tmn))
    lines.append("}")
    return "\n".join(lines)

if __name__ == "__main__":
    main()
