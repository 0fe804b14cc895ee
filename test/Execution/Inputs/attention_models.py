#!/usr/bin/env python3
"""Pairs of attention models for execution tests and the attention bench.

For each configuration, writes

- NAME.mlir: one `attn.attention` on the inputs q, k, v (what Sieve lowers);
- NAME.dense.mlir: the same attention written densely in TOSA, with the
  causal mask built by a linalg.generic from the indices (an `L x L` constant
  would not fit in a test at L = 4096). The upstream-only reference of
  scripts/check_model.py (`--reference-model`) runs it, and the bench compiles
  it with Sieve as the "dense lowering" of today's pipeline.

    attention_models.py --out DIR NAME:SHAPE[:OPTION...] ...

SHAPE is `HxLqxLkxDxDv` or `HxLxD` (Lq = Lk = L, Dv = D); a batch dim before
the heads is written `2,HxL...` (then the tensors are rank 4). OPTIONs:

- `causal`;
- `mask`: an additive f32 mask input `[1, Lq, Lk]` (broadcast over heads);
- `kv=N`: N key/value heads (grouped-query attention);
- `f16`: q, k, v and the result in f16 (Sieve computes in f32); the dense
  reference casts the inputs to f32, computes in f32 and casts the result;
- a sparse pattern, giving `attn.sparse_attention`, and a dense reference
  whose boolean mask is computed from the indices: `logsparse`,
  `logsparse-local=W`, `logsparse-restart=S`, `diagonals=0.3.5`.

Standard library only.
"""

import argparse
import math
import os


def parse(spec):
    parts = spec.split(":")
    name, shape = parts[0], parts[1]
    opts = {}
    for o in parts[2:]:
        key, _, value = o.partition("=")
        opts[key] = value
    batch = None
    if "," in shape:
        batch, shape = shape.split(",")
        batch = int(batch)
    dims = [int(x) for x in shape.split("x")]
    if len(dims) == 3:
        h, l, d = dims
        dims = [h, l, l, d, d]
    h, lq, lk, d, dv = dims
    return name, batch, h, lq, lk, d, dv, opts


PATTERNS = ("logsparse", "logsparse-local", "logsparse-restart", "diagonals")


def pattern_of(opts):
    for key in PATTERNS:
        if key in opts:
            return key, opts[key]
    return None


def pattern_attr(pattern):
    key, value = pattern
    if key == "logsparse":
        return "#attn.logsparse"
    if key == "logsparse-local":
        return "#attn.logsparse<local = %s>" % value
    if key == "logsparse-restart":
        return "#attn.logsparse<restart = %s>" % value
    return "#attn.diagonals<[%s]>" % ", ".join(value.split("."))


def pattern_keep_ir(pattern, indent):
    """IR computing %keep (i1) from %p (position) and %dd (offset p - j),
    both index, with p - j >= 0 already required by the caller."""
    key, value = pattern
    lines = []
    a = lines.append

    def pow2(x, out):
        # x == 0 or x is a power of two: x & (x - 1) == 0, x >= 1
        a("%s = arith.constant 1 : index" % (out + "_one"))
        a("%s = arith.subi %s, %s : index" % (out + "_m1", x, out + "_one"))
        a("%s = arith.andi %s, %s : index" % (out + "_and", x, out + "_m1"))
        a("%s = arith.constant 0 : index" % (out + "_zero"))
        a("%s = arith.cmpi eq, %s, %s : index" % (out + "_isp", out + "_and", out + "_zero"))
        a("%s = arith.cmpi sge, %s, %s : index" % (out + "_pos", x, out + "_one"))
        a("%s = arith.andi %s, %s : i1" % (out, out + "_isp", out + "_pos"))

    a("%c0i = arith.constant 0 : index")
    a("%is0 = arith.cmpi eq, %dd, %c0i : index")
    if key == "logsparse":
        pow2("%dd", "%pw")
        a("%keep = arith.ori %is0, %pw : i1")
    elif key == "logsparse-local":
        w = int(value)
        a("%%w = arith.constant %d : index" % w)
        a("%inwin = arith.cmpi slt, %dd, %w : index")
        a("%%wm1 = arith.constant %d : index" % (w - 1))
        a("%beyond = arith.subi %dd, %wm1 : index")
        pow2("%beyond", "%pw")
        a("%keep = arith.ori %inwin, %pw : i1")
    elif key == "logsparse-restart":
        a("%%rslen = arith.constant %s : index" % value)
        a("%pmod = arith.remui %p, %rslen : index")
        a("%inseq = arith.cmpi sle, %dd, %pmod : index")
        pow2("%dd", "%pw")
        a("%any = arith.ori %is0, %pw : i1")
        a("%keep = arith.andi %any, %inseq : i1")
    else:
        a("%keep0 = arith.constant false")
        prev = "%keep0"
        for n, off in enumerate(value.split(".")):
            a("%%o%d = arith.constant %s : index" % (n, off))
            a("%%e%d = arith.cmpi eq, %%dd, %%o%d : index" % (n, n))
            a("%%k%d = arith.ori %s, %%e%d : i1" % (n, prev, n))
            prev = "%%k%d" % n
        a("%%keep = arith.ori %s, %s : i1" % (prev, prev))
    return "".join(indent + x + "\n" for x in lines)


def ttype(shape, et="f32"):
    return "tensor<%sx%s>" % ("x".join(str(s) for s in shape), et)


def attn_model(batch, h, lq, lk, d, dv, opts):
    hk = int(opts.get("kv", h))
    lead = [batch, h] if batch else [h]
    kvlead = [batch, hk] if batch else [hk]
    et = "f16" if "f16" in opts else "f32"
    qt, kt, vt = ttype(lead + [lq, d], et), ttype(kvlead + [lk, d], et), ttype(kvlead + [lk, dv], et)
    ot = ttype(lead + [lq, dv], et)
    scale = 1.0 / math.sqrt(d)
    pattern = pattern_of(opts)
    if pattern:
        return """module {
  func.func @attention(%%q: %s, %%k: %s, %%v: %s) -> %s {
    %%o = attn.sparse_attention %%q, %%k, %%v {scale = %r : f32, pattern = %s} : %s, %s, %s -> %s
    return %%o : %s
  }
}
""" % (qt, kt, vt, ot, scale, pattern_attr(pattern), qt, kt, vt, ot, ot)
    mask_arg, mask_use, mask_type = "", "", ""
    if "mask" in opts:
        mt = ttype(([1, 1] if batch else [1]) + [lq, lk])
        mask_arg, mask_use, mask_type = ", %%m: %s" % mt, " mask %m", ", " + mt
    return """module {
  func.func @attention(%%q: %s, %%k: %s, %%v: %s%s) -> %s {
    %%o = attn.attention %%q, %%k, %%v%s {scale = %r : f32%s} : %s, %s, %s%s -> %s
    return %%o : %s
  }
}
""" % (qt, kt, vt, mask_arg, ot, mask_use, scale, ", causal" if "causal" in opts else "",
       qt, kt, vt, mask_type, ot, ot)


def dense_model(batch, h, lq, lk, d, dv, opts):
    """softmax(scale * Q K^T + mask) V in TOSA on [B*H, L, D]."""
    causal = "causal" in opts
    pattern = pattern_of(opts)
    hk = int(opts.get("kv", h))
    lead = [batch, h] if batch else [h]
    kvlead = [batch, hk] if batch else [hk]
    bh = (batch or 1) * h
    bhk = (batch or 1) * hk
    scale = 1.0 / math.sqrt(d)
    lines = []
    a = lines.append
    a("#id = affine_map<(b, i, j) -> (b, i, j)>")
    a("module {")
    mask_arg = ""
    if "mask" in opts:
        mask_arg = ", %%m: %s" % ttype(([1, 1] if batch else [1]) + [lq, lk])
    et = "f16" if "f16" in opts else "f32"
    a("  func.func @attention(%%q: %s, %%k: %s, %%v: %s%s) -> %s {" % (
        ttype(lead + [lq, d], et), ttype(kvlead + [lk, d], et), ttype(kvlead + [lk, dv], et),
        mask_arg, ttype(lead + [lq, dv], et)))
    a("    %zp = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>")
    a("    %shift = \"tosa.const\"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>")
    names = {}
    for x, l, e, ld, n in (("q", lq, d, lead, bh), ("k", lk, d, kvlead, bhk),
                           ("v", lk, dv, kvlead, bhk)):
        names[x] = "%" + x
        if et != "f32":
            a("    %%%sf = tosa.cast %%%s : (%s) -> %s" % (
                x, x, ttype(ld + [l, e], et), ttype(ld + [l, e])))
            names[x] = "%" + x + "f"
        if batch:
            a("    %%s_%s = tosa.const_shape {values = dense<[%d, %d, %d]> : tensor<3xindex>} "
              ": () -> !tosa.shape<3>" % (x, n, l, e))
            a("    %%%s3 = tosa.reshape %s, %%s_%s : (%s, !tosa.shape<3>) -> %s" % (
                x, names[x], x, ttype(ld + [l, e]), ttype([n, l, e])))
            names[x] = "%" + x + "3"
        if n != bh:
            # repeat each KV head h/hk times: [n, L, E] -> [n, 1, L, E] -> tile -> [bh, L, E]
            g = bh // n
            a("    %%s4_%s = tosa.const_shape {values = dense<[%d, 1, %d, %d]> : tensor<4xindex>} "
              ": () -> !tosa.shape<4>" % (x, n, l, e))
            a("    %%%s4 = tosa.reshape %s, %%s4_%s : (%s, !tosa.shape<4>) -> %s" % (
                x, names[x], x, ttype([n, l, e]), ttype([n, 1, l, e])))
            a("    %%m_%s = tosa.const_shape {values = dense<[1, %d, 1, 1]> : tensor<4xindex>} "
              ": () -> !tosa.shape<4>" % (x, g))
            a("    %%%stile = tosa.tile %%%s4, %%m_%s : (%s, !tosa.shape<4>) -> %s" % (
                x, x, x, ttype([n, 1, l, e]), ttype([n, g, l, e])))
            a("    %%s3_%s = tosa.const_shape {values = dense<[%d, %d, %d]> : tensor<3xindex>} "
              ": () -> !tosa.shape<3>" % (x, bh, l, e))
            a("    %%%sg = tosa.reshape %%%stile, %%s3_%s : (%s, !tosa.shape<3>) -> %s" % (
                x, x, x, ttype([n, g, l, e]), ttype([bh, l, e])))
            names[x] = "%" + x + "g"
    a("    %%kt = tosa.transpose %s {perms = array<i32: 0, 2, 1>} : (%s) -> %s" % (
        names["k"], ttype([bh, lk, d]), ttype([bh, d, lk])))
    st = ttype([bh, lq, lk])
    a("    %%s = tosa.matmul %s, %%kt, %%zp, %%zp : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s" % (
        names["q"], ttype([bh, lq, d]), ttype([bh, d, lk]), st))
    a("    %%scale = \"tosa.const\"() <{values = dense<%r> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>" % scale)
    a("    %%ss = tosa.mul %%s, %%scale, %%shift : (%s, tensor<1x1x1xf32>, tensor<1xi8>) -> %s" % (st, st))
    scores = "%ss"
    if "mask" in opts:
        mt = ttype(([1, 1] if batch else [1]) + [lq, lk])
        mname = "%m"
        if batch:
            a("    %%s_m = tosa.const_shape {values = dense<[1, %d, %d]> : tensor<3xindex>} "
              ": () -> !tosa.shape<3>" % (lq, lk))
            a("    %%m3 = tosa.reshape %%m, %%s_m : (%s, !tosa.shape<3>) -> %s" % (
                mt, ttype([1, lq, lk])))
            mname = "%m3"
        a("    %%sm = tosa.add %%ss, %s : (%s, %s) -> %s" % (mname, st, ttype([1, lq, lk]), st))
        scores = "%sm"
    if pattern:
        # query i (position p = i + Lk - Lq) keeps key j iff j <= p and the
        # offset p - j is one of the pattern's
        a("    %%empty = tensor.empty() : %s" % st)
        a("    %%masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = "
          "[\"parallel\", \"parallel\", \"parallel\"]} ins(%s : %s) outs(%%empty : %s) {" % (
              scores, st, st))
        a("    ^bb0(%x: f32, %out: f32):")
        a("      %i = linalg.index 1 : index")
        a("      %j = linalg.index 2 : index")
        a("      %%off = arith.constant %d : index" % (lk - lq))
        a("      %p = arith.addi %i, %off : index")
        a("      %dd = arith.subi %p, %j : index")
        a("      %causal = arith.cmpi sle, %j, %p : index")
        lines.append(pattern_keep_ir(pattern, "      ").rstrip("\n"))
        a("      %both = arith.andi %causal, %keep : i1")
        a("      %ninf = arith.constant 0xFF800000 : f32")
        a("      %r = arith.select %both, %x, %ninf : f32")
        a("      linalg.yield %r : f32")
        a("    } -> %s" % st)
        scores = "%masked"
    if causal:
        # query i sees key j iff j <= i + (Lk - Lq)
        a("    %%empty = tensor.empty() : %s" % st)
        a("    %%masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = "
          "[\"parallel\", \"parallel\", \"parallel\"]} ins(%s : %s) outs(%%empty : %s) {" % (
              scores, st, st))
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
    if et != "f32":
        a("    %%oc = tosa.cast %s : (%s) -> %s" % (
            result, ttype(lead + [lq, dv]), ttype(lead + [lq, dv], et)))
        result = "%oc"
    a("    return %s : %s" % (result, ttype(lead + [lq, dv], et)))
    a("  }")
    a("}")
    return "\n".join(lines) + "\n"


def write(out, spec):
    name, batch, h, lq, lk, d, dv, opts = parse(spec)
    cfg = (batch, h, lq, lk, d, dv, opts)
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
