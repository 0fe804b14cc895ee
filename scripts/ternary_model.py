#!/usr/bin/env python3
"""Write a model with one linear layer whose constant weights are ternary.

    ternary_model.py --m 1 --k 257 --n 7 [--kind i8|f32|f32-channel|tosa-i8|
                     tosa-f32] [--transposed] [--seed 1] [--not-ternary]
                     [--weights random|plus|minus]

The layer is what exporters produce for a BitNet-style linear layer, in one of
the forms sieve-raise-ternary recognises: `linalg.matmul` on int8 activations
and int8 weights in {-1, 0, +1} with an int32 result (`i8`), on f32 with
weights {-1, 0, +1} times one scale (`f32`) or one scale per output channel
(`f32-channel`), or the same as `tosa.matmul` (`tosa-i8`, `tosa-f32`).
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
                   choices=["i8", "f32", "f32-channel", "tosa-i8", "tosa-f32"])
    p.add_argument("--transposed", action="store_true")
    p.add_argument("--not-ternary", action="store_true")
    p.add_argument("--weights", default="random", choices=["random", "plus", "minus"],
                   help="seeded random ternary weights, or all +1 / all -1 (with "
                   "--input-fill 127 or -128: the largest sums any kernel must hold)")
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


if __name__ == "__main__":
    main()
