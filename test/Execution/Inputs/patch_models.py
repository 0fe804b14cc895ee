#!/usr/bin/env python3
"""Small int8 CNNs (TOSA) whose output is a feature map, so that every value
a patch computes is compared: 3x3, 5x5 and 7x7 kernels, strides 1 and 2,
dilation, residual adds, odd image sizes; `pooled` ends in a global average
pooling (stages ending in it). Built with the classes of
examples/gen/sieve_modelgen.py.

    patch_models.py {kernels,residual,pooled} -o MODEL.mlir
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "examples", "gen"))
import sieve_modelgen as gen  # noqa: E402


class DilatedNet(gen.Int8Net):
    def conv(self, x, shape, zp, cout, k, stride, relu6=True, depthwise=False, dilation=1):
        """Int8Net.conv with a dilation (TFLite SAME padding of the dilated
        kernel)."""
        m, rng = self.m, self.m.rng
        n, h, w, cin = shape
        reach = (k - 1) * dilation + 1
        oh, ow = -(-h // stride), -(-w // stride)
        pad_h = max((oh - 1) * stride + reach - h, 0)
        pad_w = max((ow - 1) * stride + reach - w, 0)
        pad = [pad_h // 2, pad_h - pad_h // 2, pad_w // 2, pad_w - pad_w // 2]
        if depthwise:
            cout = cin
            wshape, fan_in = [k, k, cin, 1], k * k
        else:
            wshape, fan_in = [cout, k, k, cin], k * k * cin
        wc = m.const([rng.randint(-127, 127) for _ in range(math.prod(wshape))], wshape, "i8", "b")
        bc = m.const([rng.randint(-2000, 2000) for _ in range(cout)], [cout], "i32", "i")
        izp, wzp = m.scalar(zp, "i8"), m.scalar(0, "i8")
        out_shape = [n, oh, ow, cout]
        op = "tosa.depthwise_conv2d" if depthwise else "tosa.conv2d"
        loc = self.loc("dw" if depthwise else "conv")
        acc = m.emit(
            "%s %s, %s, %s, %s, %s {acc_type = i32, dilation = array<i64: %d, %d>, "
            "pad = array<i64: %s>, stride = array<i64: %d, %d>} : (%s, %s, %s, %s, %s) -> %s" % (
                op, x, wc, bc, izp, wzp, dilation, dilation, ", ".join(map(str, pad)),
                stride, stride, gen.tensor(shape, "i8"), gen.tensor(wshape, "i8"),
                gen.tensor([cout], "i32"), gen.tensor([1], "i8"), gen.tensor([1], "i8"),
                gen.tensor(out_shape, "i32")), "a", loc)
        base = 40.0 / (73.0 * 73.0 * math.sqrt(fan_in))
        scales = [base * rng.uniform(0.7, 1.3) for _ in range(cout)]
        out_zp = -128 if relu6 else rng.randint(-10, 10)
        y = self.rescale(acc, out_shape, "i32", "i8", scales, 0, out_zp, loc)
        if relu6:
            y = m.emit("tosa.clamp %s {max_val = 127 : i8, min_val = -128 : i8} : (%s) -> %s"
                       % (y, gen.tensor(out_shape, "i8"), gen.tensor(out_shape, "i8")), "v", loc)
        return y, out_shape, out_zp


def kernels(m, net):
    """23x23 input: 5x5 conv, 3x3 depthwise with stride 2, 7x7 depthwise
    with dilation 2, 1x1 conv: a 12x12x8 output."""
    x, s, z = net.conv("%input", [1, 23, 23, 3], -128, 8, 5, 1)
    x, s, z = net.conv(x, s, z, None, 3, 2, depthwise=True)
    x, s, z = net.conv(x, s, z, None, 7, 1, depthwise=True, dilation=2)
    x, s, z = net.conv(x, s, z, 8, 1, 1, relu6=False)
    return [1, 23, 23, 3], x, s


def residual(m, net):
    """25x25 input: 3x3 conv with stride 2, then two inverted residual blocks
    (1x1 expand, 3x3 and 5x5 depthwise, 1x1 project, residual add)."""
    x, s, z = net.conv("%input", [1, 25, 25, 3], -128, 8, 3, 2)
    x, s, z = net.inverted_residual(x, s, z, 2, 8, 1, k=3)
    x, s, z = net.inverted_residual(x, s, z, 2, 8, 1, k=5)
    return [1, 25, 25, 3], x, s


def pooled(m, net):
    """The residual model ending in a global average pooling of its 13x13x8
    output (1x1x8): stages that end in the pooling accumulate into it."""
    x, s, z = net.conv("%input", [1, 25, 25, 3], -128, 8, 3, 2)
    x, s, z = net.inverted_residual(x, s, z, 2, 8, 1, k=3)
    x, s, z = net.inverted_residual(x, s, z, 2, 8, 1, k=5)
    x, s = net.avgpool(x, s, z)
    return [1, 25, 25, 3], x, s


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", choices=["kernels", "residual", "pooled"])
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    m = gen.Module(7)
    net = DilatedNet(m)
    in_shape, x, shape = {"kernels": kernels, "residual": residual,
                         "pooled": pooled}[args.model](m, net)
    with open(args.output, "w") as f:
        f.write(gen.int8_function(m, "patch_" + args.model, in_shape, (x, shape)))


if __name__ == "__main__":
    main()
