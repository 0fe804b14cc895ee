#!/usr/bin/env python3
"""Pairs of attention models for execution tests and the attention bench.

For each configuration, writes

- NAME.mlir: one `attn.attention` on the inputs q, k, v (what Sieve lowers);
- NAME.dense.mlir: the same attention written densely in TOSA, with the
  causal mask built by a linalg.generic from the indices (an `L x L` constant
  would not fit in a test at L = 4096). The upstream-only reference of
  scripts/check_model.py (`--reference-model`) runs it, and the bench compiles
  it with Sieve as the "dense lowering" of today's pipeline.

    attention_models.py --out DIR NAME:SHAPE[:causal] ...

SHAPE is `HxLqxLkxDxDv` or `HxLxD` (Lq = Lk = L, Dv = D); batch dimensions
beyond the heads: `BxHxL...` with a leading `b2x...` is written `2,HxL...`
(then the tensors are rank 4). Standard library only.
"""

import argparse
import math
import os


def parse(spec):
    parts = spec.split(":")
    name, shape = parts[0], parts[1]
    causal = "causal" in parts[2:]
    batch = None
    if "," in shape:
        batch, shape = shape.split(",")
        batch = int(batch)
    dims = [int(x) for x in shape.split("x")]
    if len(dims) == 3:
        h, l, d = dims
        dims = [h, l, l, d, d]
    h, lq, lk, d, dv = dims
    return name, batch, h, lq, lk, d, dv, causal


def ttype(shape, et="f32"):
    return "tensor<%sx%s>" % ("x".join(str(s) for s in shape), et)


def attn_model(batch, h, lq, lk, d, dv, causal):
    lead = [batch, h] if batch else [h]
    qt, kt, vt = ttype(lead + [lq, d]), ttype(lead + [lk, d]), ttype(lead + [lk, dv])
    ot = ttype(lead + [lq, dv])
    scale = 1.0 / math.sqrt(d)
    return """module {
  func.func @attention(%%q: %s, %%k: %s, %%v: %s) -> %s {
    %%o = attn.attention %%q, %%k, %%v {scale = %r : f32%s} : %s, %s, %s -> %s
    return %%o : %s
  }
}
""" % (qt, kt, vt, ot, scale, ", causal" if causal else "", qt, kt, vt, ot, ot)


def dense_model(batch, h, lq, lk, d, dv, causal):
    """softmax(scale * Q K^T + mask) V in TOSA on [B*H, L, D]."""
    lead = [batch, h] if batch else [h]
    bh = (batch or 1) * h
    scale = 1.0 / math.sqrt(d)
    lines = []
    a = lines.append
    a("#id = affine_map<(b, i, j) -> (b, i, j)>")
    a("module {")
    a("  func.func @attention(%%q: %s, %%k: %s, %%v: %s) -> %s {" % (
        ttype(lead + [lq, d]), ttype(lead + [lk, d]), ttype(lead + [lk, dv]),
        ttype(lead + [lq, dv])))
    a("    %zp = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>")
    a("    %shift = \"tosa.const\"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>")
    names = {}
    for x, l, e in (("q", lq, d), ("k", lk, d), ("v", lk, dv)):
        if batch:
            a("    %%s_%s = tosa.const_shape {values = dense<[%d, %d, %d]> : tensor<3xindex>} "
              ": () -> !tosa.shape<3>" % (x, bh, l, e))
            a("    %%%s3 = tosa.reshape %%%s, %%s_%s : (%s, !tosa.shape<3>) -> %s" % (
                x, x, x, ttype(lead + [l, e]), ttype([bh, l, e])))
            names[x] = "%" + x + "3"
        else:
            names[x] = "%" + x
    a("    %%kt = tosa.transpose %s {perms = array<i32: 0, 2, 1>} : (%s) -> %s" % (
        names["k"], ttype([bh, lk, d]), ttype([bh, d, lk])))
    st = ttype([bh, lq, lk])
    a("    %%s = tosa.matmul %s, %%kt, %%zp, %%zp : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s" % (
        names["q"], ttype([bh, lq, d]), ttype([bh, d, lk]), st))
    a("    %%scale = \"tosa.const\"() <{values = dense<%r> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>" % scale)
    a("    %%ss = tosa.mul %%s, %%scale, %%shift : (%s, tensor<1x1x1xf32>, tensor<1xi8>) -> %s" % (st, st))
    scores = "%ss"
    if causal:
        # query i sees key j iff j <= i + (Lk - Lq)
        a("    %%empty = tensor.empty() : %s" % st)
        a("    %%masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = "
          "[\"parallel\", \"parallel\", \"parallel\"]} ins(%%ss : %s) outs(%%empty : %s) {" % (st, st))
        a("    ^bb0(%x: f32, %out: f32):")
        a("      %i = linalg.index 1 : index")
        a("      %j = linalg.index 2 : index")
        a("      %%off = arith.constant %d : index" % (lk - lq))
        a("      %lim = arith.addi %i, %off : index")
        a("      %vis = arith.cmpi sle, %j, %lim : index")
        a("      %ninf = arith.constant 0xFF800000 : f32")
        a("      %r = arith.select %vis, %x, %ninf : f32")
        a("      linalg.yield %r : f32")
        a("    } -> %s" % st)
        scores = "%masked"
    rt = ttype([bh, lq, 1])
    a("    %%mx = tosa.reduce_max %s {axis = 2 : i32} : (%s) -> %s" % (scores, st, rt))
    a("    %%sub = tosa.sub %s, %%mx : (%s, %s) -> %s" % (scores, st, rt, st))
    a("    %%e = tosa.exp %%sub : (%s) -> %s" % (st, st))
    a("    %%sum = tosa.reduce_sum %%e {axis = 2 : i32} : (%s) -> %s" % (st, rt))
    a("    %%rcp = tosa.reciprocal %%sum : (%s) -> %s" % (rt, rt))
    a("    %%p = tosa.mul %%e, %%rcp, %%shift : (%s, %s, tensor<1xi8>) -> %s" % (st, rt, st))
    ot3 = ttype([bh, lq, dv])
    a("    %%o = tosa.matmul %%p, %s, %%zp, %%zp : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s" % (
        names["v"], st, ttype([bh, lk, dv]), ot3))
    result = "%o"
    if batch:
        a("    %%s_o = tosa.const_shape {values = dense<[%s]> : tensor<%dxindex>} "
          ": () -> !tosa.shape<%d>" % (", ".join(str(x) for x in lead + [lq, dv]),
                                      len(lead) + 2, len(lead) + 2))
        a("    %%o4 = tosa.reshape %%o, %%s_o : (%s, !tosa.shape<%d>) -> %s" % (
            ot3, len(lead) + 2, ttype(lead + [lq, dv])))
        result = "%o4"
    a("    return %s : %s" % (result, ttype(lead + [lq, dv])))
    a("  }")
    a("}")
    return "\n".join(lines) + "\n"


def write(out, spec):
    name, batch, h, lq, lk, d, dv, causal = parse(spec)
    cfg = (batch, h, lq, lk, d, dv, causal)
    with open(os.path.join(out, name + ".mlir"), "w") as f:
        f.write(attn_model(*cfg))
    with open(os.path.join(out, name + ".dense.mlir"), "w") as f:
        f.write(dense_model(*cfg))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("specs", nargs="+")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for spec in args.specs:
        write(args.out, spec)


if __name__ == "__main__":
    main()
