#!/usr/bin/env python3
"""Write synthetic models with seeded weights, in the form real exporters emit.

int8 CNNs come out as TOSA 1.0 the way TFLite's converter writes them
(conv2d / depthwise_conv2d with zero-point operands, per-channel tosa.rescale,
clamp for ReLU6, rescaled residual adds, avg_pool2d, a 1x1 conv as classifier);
float models as TOSA or linalg-on-tensors. Weights are random but seeded, and
requantisation scales are chosen so that activations stay in range, so the
models exercise the same code paths as trained ones.

    sieve_modelgen.py mobilenetv2 --width 0.35 --resolution 144 -o mbv2.mlir
    sieve_modelgen.py mcunet-in3 -o in3.mlir
    sieve_modelgen.py mcunet-in4 -o in4.mlir
    sieve_modelgen.py cnn-small -o cnn_int8.mlir
    sieve_modelgen.py mlp -o mlp_f32.mlir
    sieve_modelgen.py attention --seq 16 --dim 32 --heads 2 -o attention_f32.mlir
    sieve_modelgen.py transformer --seq 32 --dim 64 --heads 4 --ffn 128 -o block.mlir

Standard library only.
"""

import argparse
import math
import random
import struct
import sys


def make_divisible(v, divisor=8, min_value=None):
    """MobileNetV2's channel rounding (torchvision/_make_divisible)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def hex_dense(values, fmt):
    return "0x" + struct.pack("<%d%s" % (len(values), fmt), *values).hex().upper()


class Module:
    """Accumulates the body of one function in SSA form."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.lines = []
        self.counter = 0
        self.consts = {}

    def fresh(self, hint="v"):
        self.counter += 1
        return "%%%s%d" % (hint, self.counter)

    def emit(self, text, hint="v", loc=None):
        name = self.fresh(hint)
        self.lines.append("    %s = %s%s" % (name, text, ' loc("%s")' % loc if loc else ""))
        return name

    # -- constants ---------------------------------------------------------
    def const(self, values, shape, etype, fmt):
        ty = tensor(shape, etype)
        if len(set(values)) == 1:
            v = values[0]
            text = "%.9e" % v if etype.startswith("f") else str(v)
            body = "dense<%s>" % text
        else:
            body = 'dense<"%s">' % hex_dense(values, fmt)
        key = (body, ty)
        if key not in self.consts:
            self.consts[key] = self.emit('"tosa.const"() <{values = %s : %s}> : () -> %s'
                                         % (body, ty, ty), "c")
        return self.consts[key]

    def scalar(self, value, etype):
        fmt = {"i8": "b", "i16": "h", "i32": "i", "f32": "f"}[etype]
        return self.const([value], [1], etype, fmt)

    def shape(self, dims):
        key = ("shape", tuple(dims))
        if key not in self.consts:
            self.consts[key] = self.emit(
                "tosa.const_shape {values = dense<[%s]> : tensor<%dxindex>} : () -> !tosa.shape<%d>"
                % (", ".join(map(str, dims)), len(dims), len(dims)), "s")
        return self.consts[key]


def tensor(shape, etype):
    return "tensor<%s>" % "x".join([str(d) for d in shape] + [etype])


def quant_multiplier(scale):
    """TOSA rescale (multiplier, shift) with multiplier in [2^30, 2^31)."""
    shift = 0
    while scale * (1 << shift) < (1 << 30) and shift < 62:
        shift += 1
    multiplier = int(round(scale * (1 << shift)))
    if multiplier >= 1 << 31:
        multiplier //= 2
        shift -= 1
    return multiplier, shift


class Int8Net:
    """Builds an int8 NHWC network as TOSA 1.0, tracking shape and zero point."""

    def __init__(self, m, name_prefix=""):
        self.m = m
        self.prefix = name_prefix
        self.count = 0

    def loc(self, kind):
        self.count += 1
        return "%s%s_%d" % (self.prefix, kind, self.count)

    def rescale(self, x, shape, in_type, out_type, scales, in_zp, out_zp, loc):
        m = self.m
        mults, shifts = zip(*(quant_multiplier(s) for s in scales))
        per_channel = len(scales) > 1
        mult = m.const(list(mults), [len(mults)], "i32", "i")
        shift = m.const(list(shifts), [len(shifts)], "i8", "b")
        izp = m.scalar(in_zp, in_type)
        ozp = m.scalar(out_zp, out_type)
        return m.emit(
            "tosa.rescale %s, %s, %s, %s, %s {input_unsigned = false, output_unsigned = false, "
            "per_channel = %s, rounding_mode = DOUBLE_ROUND, scale32 = true} : "
            "(%s, %s, %s, %s, %s) -> %s" % (
                x, mult, shift, izp, ozp, "true" if per_channel else "false",
                tensor(shape, in_type), tensor([len(mults)], "i32"),
                tensor([len(shifts)], "i8"), tensor([1], in_type), tensor([1], out_type),
                tensor(shape, out_type)), "r", loc)

    def conv(self, x, shape, zp, cout, k, stride, relu6=True, depthwise=False):
        """conv2d or depthwise_conv2d + per-channel rescale (+ ReLU6 clamp)."""
        m, rng = self.m, self.m.rng
        n, h, w, cin = shape
        # TFLite SAME padding.
        oh, ow = -(-h // stride), -(-w // stride)
        pad_h = max((oh - 1) * stride + k - h, 0)
        pad_w = max((ow - 1) * stride + k - w, 0)
        pad = [pad_h // 2, pad_h - pad_h // 2, pad_w // 2, pad_w - pad_w // 2]
        if depthwise:
            cout = cin
            wshape = [k, k, cin, 1]
            fan_in = k * k
        else:
            wshape = [cout, k, k, cin]
            fan_in = k * k * cin
        weights = [rng.randint(-127, 127) for _ in range(math.prod(wshape))]
        bias = [rng.randint(-2000, 2000) for _ in range(cout)]
        wc = m.const(weights, wshape, "i8", "b")
        bc = m.const(bias, [cout], "i32", "i")
        izp = m.scalar(zp, "i8")
        wzp = m.scalar(0, "i8")
        out_shape = [n, oh, ow, cout]
        op = "tosa.depthwise_conv2d" if depthwise else "tosa.conv2d"
        loc = self.loc("dw" if depthwise else "conv")
        acc = m.emit(
            "%s %s, %s, %s, %s, %s {acc_type = i32, dilation = array<i64: 1, 1>, "
            "pad = array<i64: %s>, stride = array<i64: %d, %d>} : (%s, %s, %s, %s, %s) -> %s" % (
                op, x, wc, bc, izp, wzp, ", ".join(map(str, pad)), stride, stride,
                tensor(shape, "i8"), tensor(wshape, "i8"), tensor([cout], "i32"),
                tensor([1], "i8"), tensor([1], "i8"), tensor(out_shape, "i32")), "a", loc)
        # Accumulators have a spread of about 73 * 73 * sqrt(fan_in); map it
        # to about 40 levels of int8, a little differently per channel.
        base = 40.0 / (73.0 * 73.0 * math.sqrt(fan_in))
        scales = [base * rng.uniform(0.7, 1.3) for _ in range(cout)]
        out_zp = -128 if relu6 else rng.randint(-10, 10)
        y = self.rescale(acc, out_shape, "i32", "i8", scales, 0, out_zp, loc)
        if relu6:
            # ReLU6 with the output zero point at -128: [0, 6] maps to [-128, 127].
            y = m.emit("tosa.clamp %s {max_val = 127 : i8, min_val = -128 : i8} : (%s) -> %s"
                       % (y, tensor(out_shape, "i8"), tensor(out_shape, "i8")), "v", loc)
        return y, out_shape, out_zp

    def add(self, a, b, shape, zp_a, zp_b):
        """Residual add as TFLite lowers it: both inputs to a common i32 scale."""
        m, rng = self.m, self.m.rng
        loc = self.loc("add")
        a32 = self.rescale(a, shape, "i8", "i32", [1 << 10], zp_a, 0, loc)
        b32 = self.rescale(b, shape, "i8", "i32", [(1 << 10) * rng.uniform(0.6, 1.0)], zp_b, 0, loc)
        s = m.emit("tosa.add %s, %s : (%s, %s) -> %s" % (
            a32, b32, tensor(shape, "i32"), tensor(shape, "i32"), tensor(shape, "i32")), "v", loc)
        out_zp = rng.randint(-5, 5)
        return self.rescale(s, shape, "i32", "i8", [0.7 / (1 << 10)], 0, out_zp, loc), out_zp

    def avgpool(self, x, shape, zp):
        m = self.m
        n, h, w, c = shape
        out_shape = [n, 1, 1, c]
        izp = m.scalar(zp, "i8")
        y = m.emit(
            "tosa.avg_pool2d %s, %s, %s {acc_type = i32, kernel = array<i64: %d, %d>, "
            "pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (%s, %s, %s) -> %s" % (
                x, izp, izp, h, w, tensor(shape, "i8"), tensor([1], "i8"), tensor([1], "i8"),
                tensor(out_shape, "i8")), "p", self.loc("pool"))
        return y, out_shape

    def classifier(self, x, shape, zp, classes):
        """A 1x1 conv on the pooled features, then reshape to [1, classes]."""
        y, out_shape, out_zp = self.conv(x, shape, zp, classes, 1, 1, relu6=False)
        flat = [shape[0], classes]
        r = self.m.emit("tosa.reshape %s, %s : (%s, !tosa.shape<2>) -> %s" % (
            y, self.m.shape(flat), tensor(out_shape, "i8"), tensor(flat, "i8")), "v",
            self.loc("reshape"))
        return r, flat, out_zp

    def inverted_residual(self, x, shape, zp, expand, cout, stride, k=3, force_expand=False,
                          residual=True):
        cin = shape[3]
        y, s, z = x, shape, zp
        if expand != 1 or force_expand:
            y, s, z = self.conv(y, s, z, make_divisible(cin * expand, 1), 1, 1)
        y, s, z = self.conv(y, s, z, None, k, stride, depthwise=True)
        y, s, z = self.conv(y, s, z, cout, 1, 1, relu6=False)
        if residual and stride == 1 and cin == cout:
            y, z = self.add(x, y, s, zp, z)
        return y, s, z


def int8_function(m, name, in_shape, out, in_zp=-128):
    out_val, out_shape = out
    args = "%%input: %s" % tensor(in_shape, "i8")
    lines = ["module {",
             "  func.func @%s(%s) -> %s {" % (name, args, tensor(out_shape, "i8"))]
    lines += m.lines
    lines += ["    return %s : %s" % (out_val, tensor(out_shape, "i8")), "  }", "}"]
    return "\n".join(lines) + "\n"


def build_mobilenetv2(args):
    """MobileNetV2 (Sandler et al. 2018) with torchvision's channel rounding."""
    m = Module(args.seed)
    net = Int8Net(m)
    res = args.resolution
    shape = [1, res, res, 3]
    setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
               [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
    stem = make_divisible(32 * args.width)
    x, shape, zp = net.conv("%input", shape, -128, stem, 3, 2)
    for t, c, n, s in setting:
        cout = make_divisible(c * args.width)
        for i in range(n):
            x, shape, zp = net.inverted_residual(x, shape, zp, t, cout, s if i == 0 else 1)
    last = make_divisible(1280 * max(1.0, args.width))
    x, shape, zp = net.conv(x, shape, zp, last, 1, 1)
    x, shape = net.avgpool(x, shape, zp)
    x, shape, zp = net.classifier(x, shape, zp, args.classes)
    return int8_function(m, "mobilenetv2", [1, res, res, 3], (x, shape))


def mcunet(args, name, res, stem, blocks):
    """An MCUNet model: a 3x3 stride-2 stem, inverted residual blocks
    (expand ratio, out channels, n, stride, kernel), pooling, classifier."""
    m = Module(args.seed)
    net = Int8Net(m)
    x, shape, zp = net.conv("%input", [1, res, res, 3], -128, stem, 3, 2)
    for t, c, n, s, k in blocks:
        for i in range(n):
            x, shape, zp = net.inverted_residual(x, shape, zp, t, c, s if i == 0 else 1, k=k)
    x, shape = net.avgpool(x, shape, zp)
    x, shape, zp = net.classifier(x, shape, zp, args.classes)
    return int8_function(m, name, [1, res, res, 3], (x, shape))


def build_mcunet_in3(args):
    """mcunet-in3 (MCUNet's 320 KB / 1 MB ImageNet model, 176x176, stem 16):
    the blocks of its published configuration (mcunet-320kb-1mb_imagenet)."""
    blocks = [[1, 8, 1, 1, 3], [3, 16, 1, 2, 7], [5, 16, 1, 1, 3], [5, 16, 1, 1, 7],
              [4, 16, 1, 1, 5], [5, 24, 1, 2, 5], [5, 24, 1, 1, 5], [5, 24, 1, 1, 5],
              [5, 40, 1, 2, 3], [6, 40, 1, 1, 7], [4, 40, 1, 1, 5], [5, 48, 1, 1, 5],
              [5, 48, 1, 1, 7], [5, 48, 1, 1, 3], [6, 96, 1, 2, 3], [5, 96, 1, 1, 7],
              [4, 96, 1, 1, 3], [5, 160, 1, 1, 7]]
    return mcunet(args, "mcunet_in3", args.resolution or 176, 16, blocks)


def build_mcunet_in4(args):
    """mcunet-in4 (160x160) from the block table in ANCHORS.md."""
    res = args.resolution or 160
    blocks = [[1, 16, 1, 1, 3], [3, 24, 1, 2, 7], [5, 24, 1, 1, 3], [4, 24, 1, 1, 5],
              [5, 40, 1, 2, 7], [4, 40, 1, 1, 3], [4, 40, 1, 1, 7], [3, 80, 1, 2, 7],
              [3, 80, 1, 1, 3], [3, 80, 1, 1, 7], [4, 96, 1, 1, 3], [3, 96, 1, 1, 5],
              [3, 96, 1, 1, 5], [4, 192, 1, 2, 7], [3, 192, 1, 1, 7], [3, 192, 1, 1, 5],
              [4, 320, 1, 1, 5]]
    return mcunet(args, "mcunet_in4", res, 32, blocks)


def build_msf_mbv2(args):
    """msf-CNN's "MBV2-w0.35-r144" (ANCHORS.md): truncated channels, an expand
    conv in every block, no residual adds, 3x3 depthwise everywhere."""
    m = Module(args.seed)
    net = Int8Net(m)
    res = args.resolution or 144
    blocks = [(11, 5, 1, 1), (5, 8, 6, 2), (8, 8, 6, 1), (8, 11, 6, 2), (11, 11, 6, 1),
              (11, 11, 6, 1), (11, 22, 6, 2), (22, 22, 6, 1), (22, 22, 6, 1), (22, 22, 6, 1),
              (22, 33, 6, 1), (33, 33, 6, 1), (33, 33, 6, 1), (33, 56, 6, 2), (56, 56, 6, 1),
              (56, 56, 6, 1), (56, 112, 6, 1)]
    x, shape, zp = net.conv("%input", [1, res, res, 3], -128, 11, 3, 2)
    for cin, cout, t, s in blocks:
        assert shape[3] == cin
        x, shape, zp = net.inverted_residual(x, shape, zp, t, cout, s, force_expand=True,
                                             residual=False)
    x, shape, zp = net.conv(x, shape, zp, 448, 1, 1)
    x, shape = net.avgpool(x, shape, zp)
    x, shape, zp = net.classifier(x, shape, zp, args.classes)
    return int8_function(m, "msf_mbv2", [1, res, res, 3], (x, shape))


def build_cnn_small(args):
    """A small int8 CNN with the shape of a real one: strided stem, an
    inverted-residual block with a residual add, a strided block, pooling and
    a classifier. Input 1x32x32x3, 10 classes."""
    m = Module(args.seed)
    net = Int8Net(m)
    x, shape, zp = net.conv("%input", [1, 32, 32, 3], -128, 8, 3, 2)
    x, shape, zp = net.inverted_residual(x, shape, zp, 1, 8, 1)
    x, shape, zp = net.inverted_residual(x, shape, zp, 4, 16, 2)
    x, shape, zp = net.inverted_residual(x, shape, zp, 4, 16, 1)
    x, shape = net.avgpool(x, shape, zp)
    x, shape, zp = net.classifier(x, shape, zp, 10)
    return int8_function(m, "cnn_small", [1, 32, 32, 3], (x, shape))


# -- float models ------------------------------------------------------------

def floats(rng, n, scale):
    # Multiples of 1/1024: exactly representable, readable in the IR.
    return [round(rng.gauss(0.0, scale) * 1024) / 1024 for _ in range(n)]


def build_mlp(args):
    """A float MLP in linalg-on-tensors: 64 -> 128 (ReLU) -> 10."""
    rng = random.Random(args.seed)
    dims = [64, 128, 10]
    out = ["#map_bias = affine_map<(d0, d1) -> (d1)>",
           "#map_id = affine_map<(d0, d1) -> (d0, d1)>",
           "module {",
           "  func.func @mlp(%x: tensor<1x64xf32>) -> tensor<1x10xf32> {",
           "    %zero = arith.constant 0.0 : f32"]
    h = "%x"
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        w = floats(rng, a * b, 1.0 / math.sqrt(a))
        bias = floats(rng, b, 0.1)
        out.append('    %%w%d = arith.constant dense<"%s"> : tensor<%dx%dxf32>' % (
            i, hex_dense(w, "f"), a, b))
        out.append('    %%b%d = arith.constant dense<"%s"> : tensor<%dxf32>' % (
            i, hex_dense(bias, "f"), b))
        out.append("    %%e%d = tensor.empty() : tensor<1x%dxf32>" % (i, b))
        out.append("    %%f%d = linalg.fill ins(%%zero : f32) outs(%%e%d : tensor<1x%dxf32>) -> tensor<1x%dxf32>" % (i, i, b, b))
        out.append("    %%m%d = linalg.matmul ins(%s, %%w%d : tensor<1x%dxf32>, tensor<%dx%dxf32>) outs(%%f%d : tensor<1x%dxf32>) -> tensor<1x%dxf32>" % (i, h, i, a, a, b, i, b, b))
        relu = i + 2 < len(dims)
        body = ["      ^bb0(%in: f32, %bias: f32, %out: f32):"]
        if i + 2 < len(dims):  # hidden layers: ReLU
            body += ["        %s = arith.addf %in, %bias : f32",
                     "        %y = arith.maximumf %s, %zero : f32"]
        else:
            body += ["        %y = arith.addf %in, %bias : f32"]
        body.append("        linalg.yield %y : f32")
        out.append("    %%h%d = linalg.generic {indexing_maps = [#map_id, #map_bias, #map_id], "
                   "iterator_types = [\"parallel\", \"parallel\"]} ins(%%m%d, %%b%d : tensor<1x%dxf32>, "
                   "tensor<%dxf32>) outs(%%e%d : tensor<1x%dxf32>) {" % (i, i, i, b, b, i, b))
        out += body
        out.append("    } -> tensor<1x%dxf32>" % b)
        h = "%%h%d" % i
    out += ["    return %s : tensor<1x10xf32>" % h, "  }", "}"]
    return "\n".join(out) + "\n"


class FloatTosa:
    """Float TOSA helpers for attention blocks."""

    def __init__(self, m):
        self.m = m

    def op(self, text, hint="v"):
        return self.m.emit(text, hint)

    def weight(self, shape, scale):
        return self.m.const(floats(self.m.rng, math.prod(shape), scale), shape, "f32", "f")

    def matmul(self, a, b, a_shape, b_shape):
        out = [a_shape[0], a_shape[1], b_shape[2]]
        zp = self.m.scalar(0.0, "f32")
        return self.op("tosa.matmul %s, %s, %s, %s : (%s, %s, %s, %s) -> %s" % (
            a, b, zp, zp, tensor(a_shape, "f32"), tensor(b_shape, "f32"),
            tensor([1], "f32"), tensor([1], "f32"), tensor(out, "f32"))), out

    def binary(self, op, a, b, a_shape, b_shape, out_shape):
        return self.op("tosa.%s %s, %s : (%s, %s) -> %s" % (
            op, a, b, tensor(a_shape, "f32"), tensor(b_shape, "f32"), tensor(out_shape, "f32")))

    def mul(self, a, b, a_shape, b_shape, out_shape):
        shift = self.m.scalar(0, "i8")
        return self.op("tosa.mul %s, %s, %s : (%s, %s, %s) -> %s" % (
            a, b, shift, tensor(a_shape, "f32"), tensor(b_shape, "f32"), tensor([1], "i8"),
            tensor(out_shape, "f32")))

    def unary(self, op, x, shape):
        return self.op("tosa.%s %s : (%s) -> %s" % (op, x, tensor(shape, "f32"), tensor(shape, "f32")))

    def reduce(self, op, x, shape, axis):
        out = list(shape)
        out[axis] = 1
        return self.op("tosa.%s %s {axis = %d : i32} : (%s) -> %s" % (
            op, x, axis, tensor(shape, "f32"), tensor(out, "f32"))), out

    def reshape(self, x, shape, new):
        return self.op("tosa.reshape %s, %s : (%s, !tosa.shape<%d>) -> %s" % (
            x, self.m.shape(new), tensor(shape, "f32"), len(new), tensor(new, "f32")))

    def transpose(self, x, shape, perm):
        out = [shape[p] for p in perm]
        return self.op("tosa.transpose %s {perms = array<i32: %s>} : (%s) -> %s" % (
            x, ", ".join(map(str, perm)), tensor(shape, "f32"), tensor(out, "f32"))), out

    def softmax(self, x, shape):
        """Exporter-style softmax over the last axis: max, sub, exp, sum,
        reciprocal, mul."""
        axis = len(shape) - 1
        mx, ms = self.reduce("reduce_max", x, shape, axis)
        d = self.binary("sub", x, mx, shape, ms, shape)
        e = self.unary("exp", d, shape)
        s, ss = self.reduce("reduce_sum", e, shape, axis)
        r = self.unary("reciprocal", s, ss)
        return self.mul(e, r, shape, ss, shape)

    def attention(self, x, seq, dim, heads, causal=True):
        """Multi-head self-attention on x [1, seq, dim] with projections."""
        m = self.m
        hd = dim // heads
        xs = [1, seq, dim]
        proj = {}
        for name in ("q", "k", "v"):
            w = self.weight([1, dim, dim], 1.0 / math.sqrt(dim))
            p, _ = self.matmul(x, w, xs, [1, dim, dim])
            # [1, seq, heads, hd] -> [heads, seq, hd]
            r = self.reshape(p, xs, [seq, heads, hd])
            t, ts = self.transpose(r, [seq, heads, hd], [1, 0, 2])
            proj[name] = (t, ts)
        q, qs = proj["q"]
        k, ks = proj["k"]
        v, vs = proj["v"]
        kt, kts = self.transpose(k, ks, [0, 2, 1])
        scores, ss = self.matmul(q, kt, qs, kts)
        scale = m.const([1.0 / math.sqrt(hd)], [1, 1, 1], "f32", "f")
        scores = self.mul(scores, scale, ss, [1, 1, 1], ss)
        if causal:
            # The dense additive mask exporters write: -1e9 above the diagonal.
            mask = [0.0 if j <= i else -1.0e9 for i in range(seq) for j in range(seq)]
            mc = m.const(mask, [1, seq, seq], "f32", "f")
            scores = self.binary("add", scores, mc, ss, [1, seq, seq], ss)
        p = self.softmax(scores, ss)
        o, os_ = self.matmul(p, v, ss, vs)
        # [heads, seq, hd] -> [1, seq, dim]
        ot, ots = self.transpose(o, os_, [1, 0, 2])
        merged = self.reshape(ot, ots, xs)
        wo = self.weight([1, dim, dim], 1.0 / math.sqrt(dim))
        out, _ = self.matmul(merged, wo, xs, [1, dim, dim])
        return out

    def layer_norm(self, x, shape):
        """RMS-style normalisation as in the decoder layers of small LLMs."""
        sq = self.mul(x, x, shape, shape, shape)
        s, ss = self.reduce("reduce_sum", sq, shape, len(shape) - 1)
        inv_n = self.m.const([1.0 / shape[-1]], [1, 1, 1], "f32", "f")
        mean = self.mul(s, inv_n, ss, [1, 1, 1], ss)
        eps = self.m.const([1e-5], [1, 1, 1], "f32", "f")
        r = self.unary("rsqrt", self.binary("add", mean, eps, ss, [1, 1, 1], ss), ss)
        return self.mul(x, r, shape, ss, shape)


def float_function(m, name, in_shape, out_val, out_shape):
    lines = ["module {", "  func.func @%s(%%x: %s) -> %s {" % (
        name, tensor(in_shape, "f32"), tensor(out_shape, "f32"))]
    lines += m.lines
    lines += ["    return %s : %s" % (out_val, tensor(out_shape, "f32")), "  }", "}"]
    return "\n".join(lines) + "\n"


def build_attention(args):
    """A causal multi-head self-attention block in float TOSA, as PyTorch
    exports it: projections, a dense additive mask, an explicit softmax."""
    m = Module(args.seed)
    f = FloatTosa(m)
    out = f.attention("%x", args.seq, args.dim, args.heads)
    return float_function(m, "attention", [1, args.seq, args.dim], out, [1, args.seq, args.dim])


def build_transformer(args):
    """A pre-norm decoder block: attention and a GELU-free (ReLU) FFN, with
    residual adds."""
    m = Module(args.seed)
    f = FloatTosa(m)
    xs = [1, args.seq, args.dim]
    n1 = f.layer_norm("%x", xs)
    a = f.attention(n1, args.seq, args.dim, args.heads)
    h = f.binary("add", "%x", a, xs, xs, xs)
    n2 = f.layer_norm(h, xs)
    w1 = f.weight([1, args.dim, args.ffn], 1.0 / math.sqrt(args.dim))
    u, us = f.matmul(n2, w1, xs, [1, args.dim, args.ffn])
    zero = m.const([0.0], [1, 1, 1], "f32", "f")
    r = f.binary("maximum", u, zero, us, [1, 1, 1], us)
    w2 = f.weight([1, args.ffn, args.dim], 1.0 / math.sqrt(args.ffn))
    d, _ = f.matmul(r, w2, us, [1, args.ffn, args.dim])
    out = f.binary("add", h, d, xs, xs, xs)
    return float_function(m, "transformer_block", xs, out, xs)


MODELS = {
    "mobilenetv2": build_mobilenetv2,
    "mcunet-in3": build_mcunet_in3,
    "mcunet-in4": build_mcunet_in4,
    "msf-mbv2": build_msf_mbv2,
    "cnn-small": build_cnn_small,
    "mlp": build_mlp,
    "attention": build_attention,
    "transformer": build_transformer,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("-o", "--output", default="-")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=float, default=1.0, help="MobileNetV2 width multiplier")
    parser.add_argument("--resolution", type=int, default=None, help="input height and width")
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--seq", type=int, default=16)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--ffn", type=int, default=64)
    args = parser.parse_args()
    if args.model == "mobilenetv2" and args.resolution is None:
        args.resolution = 224
    text = "// Generated by examples/gen/sieve_modelgen.py %s\n%s" % (
        " ".join(sys.argv[1:]).replace(" -o " + args.output, "").replace(" --output " + args.output, ""),
        MODELS[args.model](args))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
