"""Where the Arm NN oracle rounds differently from TFLite, measured on every
int8 input of TFLite Micro's hello-world model (three FULLY_CONNECTED layers).

Two straightforward versions of the model, written here from the kernels'
sources and the model's flatbuffer:

- TFLite's reference int8 FULLY_CONNECTED
  (tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h):
  int32 accumulation, then MultiplyByQuantizedMultiplier, which rounds twice
  (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT). TFLite Micro,
  CMSIS-NN and TOSA's DOUBLE_ROUND rescale round the same way, and so does
  Sieve.
- Arm NN 20.08's CpuRef FullyConnected (RefFullyConnectedWorkload): inputs,
  weights and bias dequantised to float, accumulated in float, the result
  rounded once (std::round) to the output's int8.

The oracle must equal the second bit for bit; the first differs by one in an
intermediate layer when the first of TFLite's two roundings lands on an exact
half, and that difference can grow in the next layers.

    hello_world_rounding.py SIEVE_SRC MODEL
"""

import math
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(sys.argv[1], "scripts"))
import tflite_oracle  # noqa: E402

FULLY_CONNECTED = 9
RELU = 1

data = open(sys.argv[2], "rb").read()


# A minimal reader of the fields of TFLite's schema that this model uses.
def u32(p):
    return struct.unpack_from("<I", data, p)[0]


def field(table, i):
    vtable = table - struct.unpack_from("<i", data, table)[0]
    if 4 + 2 * i >= struct.unpack_from("<H", data, vtable)[0]:
        return None
    off = struct.unpack_from("<H", data, vtable + 4 + 2 * i)[0]
    return table + off if off else None


def table(t, i):
    p = field(t, i)
    return None if p is None else p + u32(p)


def vector(t, i, fmt):
    p = field(t, i)
    if p is None:
        return []
    v = p + u32(p)
    return list(struct.unpack_from("<%d%s" % (u32(v), fmt), data, v + 4))


def tables(t, i):
    p = field(t, i)
    v = p + u32(p)
    return [v + 4 + 4 * k + u32(v + 4 + 4 * k) for k in range(u32(v))]


def scalar(t, i, fmt):
    p = field(t, i)
    return 0 if p is None else struct.unpack_from("<" + fmt, data, p)[0]


model = u32(0)
buffers = [bytes(vector(b, 0, "B")) for b in tables(model, 4)]
codes = [max(scalar(c, 0, "b"), scalar(c, 3, "i")) for c in tables(model, 1)]
subgraph = tables(model, 2)[0]
tensors = []
for t in tables(subgraph, 0):
    q = table(t, 4)
    tensors.append({"shape": vector(t, 0, "i"), "buffer": buffers[scalar(t, 2, "I")],
                    "scale": vector(q, 2, "f")[0], "zp": vector(q, 3, "q")[0]})
layers = []
for op in tables(subgraph, 3):
    assert codes[scalar(op, 0, "I")] == FULLY_CONNECTED
    options = table(op, 4)
    x, w, b = vector(op, 1, "i")
    [y] = vector(op, 2, "i")
    wt = tensors[w]
    layers.append({
        "in": tensors[x], "out": tensors[y], "w_scale": wt["scale"], "w_zp": wt["zp"],
        "b_scale": tensors[b]["scale"], "relu": scalar(options, 0, "b") == RELU,
        "depth": wt["shape"][1],
        "w": list(struct.unpack("<%db" % len(wt["buffer"]), wt["buffer"])),
        "b": list(struct.unpack("<%di" % (len(tensors[b]["buffer"]) // 4), tensors[b]["buffer"]))})
model_input = tensors[vector(subgraph, 1, "i")[0]]


# TFLite's fixed-point arithmetic (tensorflow/lite/kernels/internal/common.h).
def quantize_multiplier(real):
    fraction, shift = math.frexp(real)
    q = int(math.floor(fraction * (1 << 31) + 0.5))
    if q == 1 << 31:
        q, shift = q // 2, shift + 1
    return q, shift


def saturating_rounding_doubling_high_mul(a, b):
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    quotient = abs(ab + nudge) >> 31  # C's division truncates toward zero
    return quotient if ab + nudge >= 0 else -quotient


def rounding_divide_by_pot(x, exponent):
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if (x & mask) > threshold else 0)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    left, right = max(shift, 0), max(-shift, 0)
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x * (1 << left), multiplier), right)


def tflite_layer(layer, x):
    real = layer["in"]["scale"] * layer["w_scale"] / layer["out"]["scale"]
    multiplier, shift = quantize_multiplier(real)
    out = []
    for o in range(len(layer["b"])):
        acc = layer["b"][o] + sum((x[d] - layer["in"]["zp"]) *
                                  (layer["w"][o * layer["depth"] + d] - layer["w_zp"])
                                  for d in range(layer["depth"]))
        out.append(multiply_by_quantized_multiplier(acc, multiplier, shift) + layer["out"]["zp"])
    return out


# Arm NN's float path, every operation rounded to float32.
def f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def armnn_layer(layer, x):
    xs = [f32((v - layer["in"]["zp"]) * layer["in"]["scale"]) for v in x]
    out = []
    for o in range(len(layer["b"])):
        acc = 0.0
        for d in range(layer["depth"]):
            weight = f32((layer["w"][o * layer["depth"] + d] - layer["w_zp"]) * layer["w_scale"])
            acc = f32(acc + f32(weight * xs[d]))
        acc = f32(acc + f32(layer["b"][o] * layer["b_scale"]))
        r = f32(acc / layer["out"]["scale"])
        out.append(int(math.floor(abs(r) + 0.5)) * (1 if r >= 0 else -1) + layer["out"]["zp"])
    return out


def run(kernel, q):
    x = [q]
    for layer in layers:
        lo = layer["out"]["zp"] if layer["relu"] else -128
        x = [min(127, max(lo, v)) for v in kernel(layer, x)]
    return x[0]


# Imported by test/Tools/sieve-tflite-reference (with the same arguments in
# sys.argv) for its version of TFLite's kernel, without running the oracle.
if __name__ == "__main__":
    differ, worst, armnn_mismatch = [], 0, []
    with tempfile.TemporaryDirectory() as work:
        for q in range(-128, 128):
            [(_, _, [got])] = tflite_oracle.run_oracle(sys.argv[2], [("i8", [q])], work=work)
            if got != run(armnn_layer, q):
                armnn_mismatch.append(q)
            want = run(tflite_layer, q)
            if got != want:
                differ.append("%d: %d/%d" % (q, got, want))
                worst = max(worst, abs(got - want))
    print("oracle vs Arm NN's float kernel: %d of 256 inputs differ" % len(armnn_mismatch))
    print("oracle vs TFLite's reference kernel: %d of 256 inputs differ, by at most %d" % (
        len(differ), worst))
    print("input: oracle/tflite " + ", ".join(differ))
