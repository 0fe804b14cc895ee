#!/usr/bin/env python3
"""Convolutional self-attention (Li et al. 2019) in TOSA, as exporters write it.

    conv_attention_model.py --out FILE L C H D K DIL [--v-input]

x [1, L, C] is the input; Q is a causal 1-D convolution of x (kernel K,
dilation DIL, DIL*(K-1) zeros on the left in the convolution's padding), K
the same after a separate tosa.pad, both with constant weights [H*D, 1, K, C]
and biases (seeded, small); V = x reshaped to heads (C = H*D). Heads are
split by reshape + transpose, scores scaled by 1/sqrt(D), softmax by
reduce_max/sub/exp/reduce_sum/reciprocal/mul. Standard library only.
"""
import argparse, math, random


def const(name, shape, rng, scale):
    vals = ", ".join("%r" % (rng.randint(-16, 16) / 16.0 * scale) for _ in range(math.prod(shape)))
    t = "tensor<%sxf32>" % "x".join(str(s) for s in shape)
    return '  %%%s = "tosa.const"() <{values = dense<[%s]> : tensor<%dxf32>}> : () -> tensor<%dxf32>\n' \
           '  %%%s = tosa.reshape %%%s_flat, %%%s_shape : (tensor<%dxf32>, !tosa.shape<%d>) -> %s\n' % (
               name + "_flat", vals, math.prod(shape), math.prod(shape), name, name, name,
               math.prod(shape), len(shape), t) if len(shape) > 1 else \
           '  %%%s = "tosa.const"() <{values = dense<[%s]> : %s}> : () -> %s\n' % (name, vals, t, t)


def shape_const(name, shape):
    return "  %%%s = tosa.const_shape {values = dense<[%s]> : tensor<%dxindex>} : () -> !tosa.shape<%d>\n" % (
        name, ", ".join(str(s) for s in shape), len(shape), len(shape))


def model(L, C, H, D, K, dil):
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
    out += ("  %%qc = tosa.conv2d %%x4, %%wq, %%bq, %%zp, %%zp {acc_type = f32, dilation = array<i64: 1, %d>, "
            "pad = array<i64: 0, 0, %d, 0>, stride = array<i64: 1, 1>} : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s\n") % (
        dil, pad, t(1, 1, L, C), t(F, 1, K, C), t(F), t(1, 1, L, F))
    out += "  %%kp = tosa.pad %%x4, %%kpads, %%zp : (%s, !tosa.shape<8>, tensor<1xf32>) -> %s\n" % (
        t(1, 1, L, C), t(1, 1, L + pad, C))
    out += ("  %%kc = tosa.conv2d %%kp, %%wk, %%bk, %%zp, %%zp {acc_type = f32, dilation = array<i64: 1, %d>, "
            "pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s\n") % (
        dil, t(1, 1, L + pad, C), t(F, 1, K, C), t(F), t(1, 1, L, F))
    for n, src in (("q", "%qc"), ("k", "%kc"), ("v", "%x")):
        st = t(1, 1, L, F) if n != "v" else t(1, L, C)
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
    a = p.parse_args()
    open(a.out, "w").write(model(a.L, a.C, a.H, a.D, a.K, a.DIL))


if __name__ == "__main__":
    main()
