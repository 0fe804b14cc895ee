#!/usr/bin/env python3
"""Write a model with one linear layer whose constant weights are ternary.

    ternary_model.py --m 1 --k 257 --n 7 [--kind i8|f32|f32-channel|tosa-i8|
                     tosa-f32|bitnet] [--transposed] [--seed 1] [--not-ternary]
                     [--weights random|plus|minus]
                     [--form fake|dequant|dequant-div] [--unfused] [--keepdim]
                     [--linalg-reduce]
                     [--near-miss WHAT]

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
`scale-mul` (dequantise by multiplying by s), `other-input` (the maximum of
another tensor than the one quantised).
`--transposed` stores the weights N x K (linalg.matmul with transposed
indexing maps); `--not-ternary` puts one weight 2 (or 1.5 x scale) in, which
must stay a plain matmul. Standard library only; the weights are seeded.
"""

import argparse
import random


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
                   choices=["round", "clamp", "eps", "sum", "no-abs", "scale-mul", "other-input"])
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
        lines += [
            "func.func @%s(%%x: tensor<1x%dx%dx%s>) -> tensor<1x%dx%dx%s> {" % (a.name, m, k, et, m, n, acc),
            "  %%w = \"tosa.const\"() {values = %s} : () -> tensor<1x%sx%s>" % (
                dense(wvals, [1] + wshape, et), "x".join(map(str, wshape)), et),
            "  %%zp = \"tosa.const\"() {values = dense<%s> : tensor<1x%s>} : () -> tensor<1x%s>" % (zero, et, et),
            "  %%y = tosa.matmul %%x, %%w, %%zp, %%zp : (tensor<1x%dx%dx%s>, tensor<1x%dx%dx%s>, tensor<1x%s>, tensor<1x%s>) -> tensor<1x%dx%dx%s>" % (
                m, k, et, k, n, et, et, et, m, n, acc),
            "  return %%y : tensor<1x%dx%dx%s>" % (m, n, acc),
            "}"]
        assert not a.transposed, "tosa.matmul takes K x N weights"
    else:
        maps = ""
        if a.transposed:
            maps = (" indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, "
                    "affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]")
        zero = "0 : i32" if integer else "0.0 : f32"
        lines += [
            "func.func @%s(%%x: tensor<%dx%dx%s>) -> tensor<%dx%dx%s> {" % (a.name, m, k, et, m, n, acc),
            "  %%w = arith.constant %s" % dense(wvals, wshape, et),
            "  %%zero = arith.constant %s" % zero,
            "  %%e = tensor.empty() : tensor<%dx%dx%s>" % (m, n, acc),
            "  %%init = linalg.fill ins(%%zero : %s) outs(%%e : tensor<%dx%dx%s>) -> tensor<%dx%dx%s>" % (
                acc, m, n, acc, m, n, acc),
            "  %%y = linalg.matmul%s ins(%%x, %%w : tensor<%dx%dx%s>, tensor<%sx%s>) outs(%%init : tensor<%dx%dx%s>) -> tensor<%dx%dx%s>" % (
                maps, m, k, et, "x".join(map(str, wshape)), et, m, n, acc, m, n, acc),
            "  return %%y : tensor<%dx%dx%s>" % (m, n, acc),
            "}"]
    print("\n".join(lines))


def bitnet(a, t):
    """BitNet's BitLinear in f32 (see the module docstring)."""
    m, k, n = a.m, a.k, a.n
    miss = a.near_miss
    lines = []
    ids = [0]

    def fresh(prefix):
        ids[0] += 1
        return "%%%s%d" % (prefix, ids[0])

    def f(v):
        return "%.9e : f32" % v

    full, row1, row = "(d0, d1) -> (d0, d1)", "(d0) -> (d0)", "(d0, d1) -> (d0)"

    def generic(shape, ins, body, iters=None):
        """One linalg.generic over `shape`; ins: (value, type, map); body
        gets the block argument names and returns (lines, yielded)."""
        rank = len(shape)
        iters = iters or ["parallel"] * rank
        out_map = "(d0, d1) -> (d0, d1)" if rank == 2 else row1
        ty = "tensor<%sxf32>" % "x".join(map(str, shape))
        e, r = fresh("e"), fresh("g")
        lines.append("  %s = tensor.empty() : %s" % (e, ty))
        args = ["%%a%d" % i for i in range(len(ins))]
        maps = ", ".join("affine_map<%s>" % mp for _, _, mp in ins + [(None, None, out_map)])
        lines.append("  %s = linalg.generic {indexing_maps = [%s], iterator_types = [%s]} "
                     "ins(%s : %s) outs(%s : %s) {" % (
                         r, maps, ", ".join('"%s"' % i for i in iters),
                         ", ".join(v for v, _, _ in ins), ", ".join(t for _, t, _ in ins), e, ty))
        lines.append("  ^bb0(%s, %%out: f32):" % ", ".join("%s: f32" % x for x in args))
        body_lines, y = body(args)
        lines.extend("    " + b for b in body_lines)
        lines.append("    linalg.yield %s : f32" % y)
        lines.append("  } -> %s" % ty)
        return r

    def op1(name, x):
        return ["%%v = %s %s : f32" % (name, x)], "%v"

    def const_op(name, x, c):
        return ["%%c = arith.constant %s" % f(c), "%%v = %s %s, %%c : f32" % (name, x)], "%v"

    tx, tm, tmk = "tensor<%dx%dxf32>" % (m, k), "tensor<%dxf32>" % m, "tensor<%dx1xf32>" % m
    args = "%%x: %s" % tx + (", %%other: %s" % tx if miss == "other-input" else "")
    lines.append("func.func @%s(%s) -> tensor<%dx%dxf32> {" % (a.name, args, m, n))
    # amax[m] = max_k |x[m, k]| (or the near misses)
    src = "%other" if miss == "other-input" else "%x"
    absname = None if miss == "no-abs" else "math.absf"
    combine = "arith.addf" if miss == "sum" else "arith.maximumf"
    if a.unfused and absname:
        src = generic([m, k], [(src, tx, full)], lambda v: op1(absname, v[0]))
        absname = None
    zero = fresh("z")
    lines.append("  %s = arith.constant 0.0 : f32" % zero)
    e, init, amax = fresh("e"), fresh("i"), fresh("amax")
    lines.append("  %s = tensor.empty() : %s" % (e, tm))
    lines.append("  %s = linalg.fill ins(%s : f32) outs(%s : %s) -> %s" % (init, zero, e, tm, tm))
    if a.linalg_reduce:
        lines.append("  %s = linalg.reduce ins(%s : %s) outs(%s : %s) dimensions = [1]" % (
            amax, src, tx, init, tm))
        lines.append("  (%in: f32, %acc: f32) {")
    else:
        lines.append("  %s = linalg.generic {indexing_maps = [affine_map<%s>, affine_map<%s>], "
                     "iterator_types = [\"parallel\", \"reduction\"]} ins(%s : %s) outs(%s : %s) {" % (
                         amax, full, row, src, tx, init, tm))
        lines.append("  ^bb0(%in: f32, %acc: f32):")
    v = "%in"
    if absname:
        lines.append("    %%abs = %s %%in : f32" % absname)
        v = "%abs"
    lines.append("    %%m = %s %%acc, %s : f32" % (combine, v))
    lines.append("    linalg.yield %m : f32")
    lines.append("  }" if a.linalg_reduce else "  } -> %s" % tm)
    # s[m] = 127 / max(amax, 1e-5)
    eps = 1e-6 if miss == "eps" else 1e-5
    if a.unfused:
        c = generic([m], [(amax, tm, row1)], lambda v: const_op("arith.maximumf", v[0], eps))
        s = generic([m], [(c, tm, row1)], lambda v: (
            ["%%c = arith.constant %s" % f(127), "%%v = arith.divf %%c, %s : f32" % v[0]], "%v"))
    else:
        s = generic([m], [(amax, tm, row1)], lambda v: (
            ["%%eps = arith.constant %s" % f(eps), "%%c127 = arith.constant %s" % f(127),
             "%%c = arith.maximumf %s, %%eps : f32" % v[0], "%v = arith.divf %c127, %c : f32"], "%v"))
    s_read = (s, tm, row)
    if a.keepdim:
        s2 = fresh("s")
        lines.append("  %s = tensor.expand_shape %s [[0, 1]] output_shape [%d, 1] : %s into %s" % (
            s2, s, m, tm, tmk))
        s_read = (s2, tmk, "(d0, d1) -> (d0, 0)")
    lo = -127 if miss == "clamp" else -128
    rnd = "math.round" if miss == "round" else "math.roundeven"
    fake = a.form == "fake"
    if a.unfused:
        q = generic([m, k], [("%x", tx, full), s_read], lambda v: (
            ["%%v = arith.mulf %s, %s : f32" % (v[0], v[1])], "%v"))
        q = generic([m, k], [(q, tx, full)], lambda v: op1(rnd, v[0]))
        # clamp as a select of a comparison, as torch-mlir writes aten.clamp
        q = generic([m, k], [(q, tx, full)], lambda v: (
            ["%%c = arith.constant %s" % f(lo), "%%p = arith.cmpf ult, %s, %%c : f32" % v[0],
             "%%v = arith.select %%p, %%c, %s : f32" % v[0]], "%v"))
        q = generic([m, k], [(q, tx, full)], lambda v: const_op("arith.minimumf", v[0], 127))
        if fake:
            q = generic([m, k], [(q, tx, full), s_read], lambda v: (
                ["%%v = arith.divf %s, %s : f32" % (v[0], v[1])], "%v"))
    else:
        def body(v):
            b = ["%%lo = arith.constant %s" % f(lo), "%%hi = arith.constant %s" % f(127),
                 "%%p = arith.mulf %s, %s : f32" % (v[0], v[1]), "%%r = %s %%p : f32" % rnd,
                 "%c1 = arith.maximumf %r, %lo : f32", "%c2 = arith.minimumf %c1, %hi : f32"]
            if fake:
                b.append("%%v = arith.divf %%c2, %s : f32" % v[1])
                return b, "%v"
            return b, "%c2"
        q = generic([m, k], [("%x", tx, full), s_read], body)
    # weights: ternary times 0.5 (fake, dequant) or plain ternary (dequant-div)
    wscale = 1.0 if a.form == "dequant-div" else 0.5
    if a.transposed:
        wshape, wvals = [n, k], [repr(t[r][c] * wscale) for r in range(n) for c in range(k)]
        maps = (" indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, "
                "affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]")
    else:
        wshape, wvals = [k, n], [repr(t[r][c] * wscale) for c in range(k) for r in range(n)]
        maps = ""
    tmn = "tensor<%dx%dxf32>" % (m, n)
    lines += [
        "  %%w = arith.constant %s" % dense(wvals, wshape, "f32"),
        "  %yz = arith.constant 0.0 : f32",
        "  %%ye = tensor.empty() : %s" % tmn,
        "  %%yi = linalg.fill ins(%%yz : f32) outs(%%ye : %s) -> %s" % (tmn, tmn),
        "  %%y = linalg.matmul%s ins(%s, %%w : %s, tensor<%sxf32>) outs(%%yi : %s) -> %s" % (
            maps, q, tx, "x".join(map(str, wshape)), tmn, tmn)]
    y = "%y"
    if not fake:
        srow = (s_read[0], s_read[1], s_read[2])
        op = "arith.mulf" if miss == "scale-mul" else "arith.divf"
        if a.form == "dequant":
            y = generic([m, n], [("%y", tmn, full), srow], lambda v: (
                ["%%v = %s %s, %s : f32" % (op, v[0], v[1])], "%v"))
        else:
            y = generic([m, n], [("%y", tmn, full), srow], lambda v: (
                ["%c = arith.constant 2.0 : f32", "%%d = arith.mulf %s, %%c : f32" % v[1],
                 "%%v = %s %s, %%d : f32" % (op, v[0])], "%v"))
    lines.append("  return %s : %s" % (y, tmn))
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
