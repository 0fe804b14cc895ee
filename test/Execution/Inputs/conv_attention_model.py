#!/usr/bin/env python3
"""Convolutional self-attention (Li et al. 2019) in TOSA, as exporters write it.

    conv_attention_model.py --out FILE L C H D K DIL [--q-form FORM]

x [1, L, C] is the input; Q is a causal 1-D convolution of x (kernel K,
dilation DIL, DIL*(K-1) zeros on the left in the convolution's padding), K
the same after a separate tosa.pad, both with constant weights [H*D, 1, K, C]
and biases (seeded, small); V = x reshaped to heads (C = H*D). Heads are
split by reshape + transpose, scores scaled by 1/sqrt(D), softmax by
reduce_max/sub/exp/reduce_sum/reciprocal/mul.

--q-form writes Q's convolution as a linalg exporter would instead (a
tensor.pad of the left zeros, the bias broadcast by a linalg.generic, the
same weights in the op's layout): `nwc` linalg.conv_1d_nwc_wcf on x
([k, C, F] weights, TensorFlow); `ncw` linalg.conv_1d_ncw_fcw on x
transposed to [1, C, L] ([F, C, k] weights, torch), its output transposed
back; `hwcf` linalg.conv_2d_nhwc_hwcf on x as [1, 1, L, C] with a 1 x k
kernel ([1, k, C, F]). Standard library only.
"""
import argparse, math, random


values = {}  # the constants' values by name (the linalg forms reuse Q's)


def const(name, shape, rng, scale):
    values[name] = [rng.randint(-16, 16) / 16.0 * scale for _ in range(math.prod(shape))]
    vals = ", ".join("%r" % v for v in values[name])
    t = "tensor<%sxf32>" % "x".join(str(s) for s in shape)
    return '  %%%s = "tosa.const"() <{values = dense<[%s]> : tensor<%dxf32>}> : () -> tensor<%dxf32>\n' \
           '  %%%s = tosa.reshape %%%s_flat, %%%s_shape : (tensor<%dxf32>, !tosa.shape<%d>) -> %s\n' % (
               name + "_flat", vals, math.prod(shape), math.prod(shape), name, name, name,
               math.prod(shape), len(shape), t) if len(shape) > 1 else \
           '  %%%s = "tosa.const"() <{values = dense<[%s]> : %s}> : () -> %s\n' % (name, vals, t, t)


def shape_const(name, shape):
    return "  %%%s = tosa.const_shape {values = dense<[%s]> : tensor<%dxindex>} : () -> !tosa.shape<%d>\n" % (
        name, ", ".join(str(s) for s in shape), len(shape), len(shape))


def dense(name, shape, values):
    t = "tensor<%sxf32>" % "x".join(str(s) for s in shape)
    return '  %%%s = arith.constant dense<[%s]> : tensor<%dxf32>\n' % (
        name + "_flat", ", ".join("%r" % v for v in values), len(values)) + \
        '  %%%s = tensor.expand_shape %%%s_flat [[%s]] output_shape [%s] : tensor<%dxf32> into %s\n' % (
            name, name, ", ".join(str(i) for i in range(len(shape))),
            ", ".join(str(s) for s in shape), len(values), t)


def linalg_query(form, L, C, F, K, dil, wq, bq):
    """Q's convolution as a linalg exporter writes it; returns (IR, value
    [1, L, F] or [1, 1, L, F], its type)."""
    t = lambda *s: "tensor<%sxf32>" % "x".join(str(x) for x in s)
    pad = dil * (K - 1)
    w = lambda f, tap, c: wq[(f * K + tap) * C + c]  # tosa layout [F, 1, K, C]
    out = '  %lz = arith.constant 0.0 : f32\n'
    out += '  %%bql = arith.constant dense<[%s]> : tensor<%dxf32>\n' % (", ".join("%r" % v for v in bq), F)
    if form == "nwc":
        out += dense("wql", [K, C, F], [w(f, tap, c) for tap in range(K) for c in range(C) for f in range(F)])
        out += ("  %%xp = tensor.pad %%x low[0, %d, 0] high[0, 0, 0] {\n  ^bb0(%%i0: index, %%i1: index, %%i2: index):\n"
                "    tensor.yield %%lz : f32\n  } : %s to %s\n") % (pad, t(1, L, C), t(1, L + pad, C))
        bias_dim, out_shape = 2, (1, L, F)
        conv = "linalg.conv_1d_nwc_wcf {dilations = dense<%d> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%%xp, %%wql : %s, %s)" % (
            dil, t(1, L + pad, C), t(K, C, F))
    elif form == "ncw":
        out += dense("wql", [F, C, K], [w(f, tap, c) for f in range(F) for c in range(C) for tap in range(K)])
        out += "  %%xt = tosa.transpose %%x {perms = array<i32: 0, 2, 1>} : (%s) -> %s\n" % (t(1, L, C), t(1, C, L))
        out += ("  %%xp = tensor.pad %%xt low[0, 0, %d] high[0, 0, 0] {\n  ^bb0(%%i0: index, %%i1: index, %%i2: index):\n"
                "    tensor.yield %%lz : f32\n  } : %s to %s\n") % (pad, t(1, C, L), t(1, C, L + pad))
        bias_dim, out_shape = 1, (1, F, L)
        conv = "linalg.conv_1d_ncw_fcw {dilations = dense<%d> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%%xp, %%wql : %s, %s)" % (
            dil, t(1, C, L + pad), t(F, C, K))
    else:
        out += dense("wql", [1, K, C, F], [w(f, tap, c) for tap in range(K) for c in range(C) for f in range(F)])
        out += ("  %%xp = tensor.pad %%x4 low[0, 0, %d, 0] high[0, 0, 0, 0] {\n  ^bb0(%%i0: index, %%i1: index, %%i2: index, %%i3: index):\n"
                "    tensor.yield %%lz : f32\n  } : %s to %s\n") % (pad, t(1, 1, L, C), t(1, 1, L + pad, C))
        bias_dim, out_shape = 3, (1, 1, L, F)
        conv = "linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, %d]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%%xp, %%wql : %s, %s)" % (
            dil, t(1, 1, L + pad, C), t(1, K, C, F))
    rank = len(out_shape)
    dims = ", ".join("d%d" % i for i in range(rank))
    out += "  %%qe = tensor.empty() : %s\n" % t(*out_shape)
    out += ("  %%qi = linalg.generic {indexing_maps = [affine_map<(%s) -> (d%d)>, affine_map<(%s) -> (%s)>], "
            "iterator_types = [%s]} ins(%%bql : tensor<%dxf32>) outs(%%qe : %s) {\n"
            "  ^bb0(%%in: f32, %%o: f32):\n    linalg.yield %%in : f32\n  } -> %s\n") % (
        dims, bias_dim, dims, dims, ", ".join(['"parallel"'] * rank), F, t(*out_shape), t(*out_shape))
    out += "  %%qcl = %s outs(%%qi : %s) -> %s\n" % (conv, t(*out_shape), t(*out_shape))
    if form == "ncw":
        out += "  %%qcn = tosa.transpose %%qcl {perms = array<i32: 0, 2, 1>} : (%s) -> %s\n" % (t(1, F, L), t(1, L, F))
        return out, "%qcn", t(1, L, F)
    return out, "%qcl", t(*out_shape)


def model(L, C, H, D, K, dil, q_form="tosa"):
    F = H * D
    assert C == F, "V is x split into heads"
    rng = random.Random(7)
    t = lambda *s: "tensor<%sxf32>" % "x".join(str(x) for x in s)
    pad = dil * (K - 1)
    w = 1.0 / math.sqrt(K * C)
    out = "func.func @conv_attention(%%x: %s) -> %s {\n" % (t(1, L, C), t(1, H, L, D))
    out += '  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>\n'
    out += '  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>\n'
    for n in ("wq", "wk"):
        out += shape_const(n + "_shape", [F, 1, K, C])
        out += const(n, [F, 1, K, C], rng, 2 * w)
    out += const("bq", [F], rng, 0.5)
    out += const("bk", [F], rng, 0.5)
    out += shape_const("s4", [1, 1, L, C])
    out += shape_const("sh", [1, L, H, D])
    out += shape_const("s3", [H, L, D])
    out += shape_const("s3t", [H, D, L])
    out += shape_const("s3s", [1, H, L, L])
    out += shape_const("s4o", [1, H, L, D])
    out += shape_const("s3p", [H, L, L])
    out += shape_const("kpads", [0, 0, 0, 0, pad, 0, 0, 0])
    out += "  %%x4 = tosa.reshape %%x, %%s4 : (%s, !tosa.shape<4>) -> %s\n" % (t(1, L, C), t(1, 1, L, C))
    q_src, q_type = "%qc", t(1, 1, L, F)
    if q_form == "tosa":
        out += ("  %%qc = tosa.conv2d %%x4, %%wq, %%bq, %%zp, %%zp {acc_type = f32, dilation = array<i64: 1, %d>, "
                "pad = array<i64: 0, 0, %d, 0>, stride = array<i64: 1, 1>} : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s\n") % (
            dil, pad, t(1, 1, L, C), t(F, 1, K, C), t(F), t(1, 1, L, F))
    else:
        ir, q_src, q_type = linalg_query(q_form, L, C, F, K, dil, values["wq"], values["bq"])
        out += ir
    out += "  %%kp = tosa.pad %%x4, %%kpads, %%zp : (%s, !tosa.shape<8>, tensor<1xf32>) -> %s\n" % (
        t(1, 1, L, C), t(1, 1, L + pad, C))
    out += ("  %%kc = tosa.conv2d %%kp, %%wk, %%bk, %%zp, %%zp {acc_type = f32, dilation = array<i64: 1, %d>, "
            "pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s\n") % (
        dil, t(1, 1, L + pad, C), t(F, 1, K, C), t(F), t(1, 1, L, F))
    for n, src, st in (("q", q_src, q_type), ("k", "%kc", t(1, 1, L, F)), ("v", "%x", t(1, L, C))):
        out += "  %%%sh = tosa.reshape %s, %%sh : (%s, !tosa.shape<4>) -> %s\n" % (n, src, st, t(1, L, H, D))
        out += "  %%%st = tosa.transpose %%%sh {perms = array<i32: 0, 2, 1, 3>} : (%s) -> %s\n" % (
            n, n, t(1, L, H, D), t(1, H, L, D))
    out += "  %%kT = tosa.transpose %%kt {perms = array<i32: 0, 1, 3, 2>} : (%s) -> %s\n" % (t(1, H, L, D), t(1, H, D, L))
    out += "  %%q3 = tosa.reshape %%qt, %%s3 : (%s, !tosa.shape<3>) -> %s\n" % (t(1, H, L, D), t(H, L, D))
    out += "  %%kT3 = tosa.reshape %%kT, %%s3t : (%s, !tosa.shape<3>) -> %s\n" % (t(1, H, D, L), t(H, D, L))
    out += "  %%s = tosa.matmul %%q3, %%kT3, %%zp, %%zp : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s\n" % (
        t(H, L, D), t(H, D, L), t(H, L, L))
    out += "  %%s4d = tosa.reshape %%s, %%s3s : (%s, !tosa.shape<4>) -> %s\n" % (t(H, L, L), t(1, H, L, L))
    out += '  %%scale = "tosa.const"() <{values = dense<%r> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>\n' % (
        1.0 / math.sqrt(D))
    S = t(1, H, L, L)
    R = t(1, H, L, 1)
    out += "  %%x0 = tosa.mul %%s4d, %%scale, %%shift : (%s, tensor<1x1x1x1xf32>, tensor<1xi8>) -> %s\n" % (S, S)
    out += "  %%m = tosa.reduce_max %%x0 {axis = 3 : i32} : (%s) -> %s\n" % (S, R)
    out += "  %%d = tosa.sub %%x0, %%m : (%s, %s) -> %s\n" % (S, R, S)
    out += "  %%e = tosa.exp %%d : (%s) -> %s\n" % (S, S)
    out += "  %%sum = tosa.reduce_sum %%e {axis = 3 : i32} : (%s) -> %s\n" % (S, R)
    out += "  %%r = tosa.reciprocal %%sum : (%s) -> %s\n" % (R, R)
    out += "  %%p = tosa.mul %%e, %%r, %%shift : (%s, %s, tensor<1xi8>) -> %s\n" % (S, R, S)
    out += "  %%p3 = tosa.reshape %%p, %%s3p : (%s, !tosa.shape<3>) -> %s\n" % (S, t(H, L, L))
    out += "  %%v3 = tosa.reshape %%vt, %%s3 : (%s, !tosa.shape<3>) -> %s\n" % (t(1, H, L, D), t(H, L, D))
    out += "  %%o = tosa.matmul %%p3, %%v3, %%zp, %%zp : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s\n" % (
        t(H, L, L), t(H, L, D), t(H, L, D))
    out += "  %%o4 = tosa.reshape %%o, %%s4o : (%s, !tosa.shape<4>) -> %s\n" % (t(H, L, D), t(1, H, L, D))
    out += "  return %%o4 : %s\n}\n" % t(1, H, L, D)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    for n in ("L", "C", "H", "D", "K", "DIL"):
        p.add_argument(n, type=int)
    p.add_argument("--q-form", choices=("tosa", "nwc", "ncw", "hwcf"), default="tosa")
    a = p.parse_args()
    open(a.out, "w").write(model(a.L, a.C, a.H, a.D, a.K, a.DIL, a.q_form))


if __name__ == "__main__":
    main()
