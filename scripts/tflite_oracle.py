#!/usr/bin/env python3
"""Run a .tflite model with the Arm NN oracle and return its outputs.

The oracle (`sieve-tflite-oracle`, utils/tflite-oracle) runs the model with
Arm NN's TfLite parser on its reference backend: an implementation that shares
nothing with Sieve, for tests that compare what Sieve compiles from a .tflite.
Test-only. As a library:

    import tflite_oracle
    inputs, outputs = tflite_oracle.describe("model.tflite")
    values = tflite_oracle.make_inputs(inputs, seed=1)   # as check_model.py
    for dtype, shape, data in tflite_oracle.run_oracle(
            "model.tflite", [(t["element_type"], v) for t, v in zip(inputs, values)]):
        ...

and by hand:

    tflite_oracle.py MODEL.tflite --describe
    tflite_oracle.py MODEL.tflite --seed 1 [--write-inputs DIR] [--dequantize]
    tflite_oracle.py MODEL.tflite --real 0.5[,...]        (quantised per input)
    tflite_oracle.py MODEL.tflite --input in0.bin[,in1.bin]

The oracle binary is $SIEVE_TFLITE_ORACLE, else `sieve-tflite-oracle` on
PATH, else build/bin/ of this source tree. `--reference` (or
`program=REFERENCE` in the functions) runs `sieve-tflite-reference`
(utils/tflite-reference, $SIEVE_TFLITE_REFERENCE) instead: TFLite's int8
reference kernels transcribed, the bit-exact reference, which takes the same
command line. Standard library only.
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_model  # noqa: E402  (make_inputs: the seeded inputs of the tests)

# element type -> struct format of one element (little-endian raw bytes)
FORMATS = {"i1": "B", "u8": "B", "i8": "b", "i16": "h", "i32": "i", "i64": "q",
           "f16": "e", "f32": "f", "f64": "d"}
QUANTISED = ("u8", "i8", "i16")

LINE = re.compile(r"(input|output) (\d+) (\S+) \[([0-9x]*)\] scale=(\S+) "
                  r"zero_point=(-?\d+) name=(.*)")


class OracleError(Exception):
    """The oracle refused the model or its inputs; the message says why
    (Arm NN's own words included)."""


# The two programs that run a .tflite: Arm NN (the independent oracle) and
# TFLite's reference kernels (the bit-exact reference).
ORACLE = "sieve-tflite-oracle"
REFERENCE = "sieve-tflite-reference"
_ENVIRONMENT = {ORACLE: "SIEVE_TFLITE_ORACLE", REFERENCE: "SIEVE_TFLITE_REFERENCE"}


def find_oracle(program=ORACLE):
    explicit = os.environ.get(_ENVIRONMENT[program])
    if explicit:
        return explicit
    found = shutil.which(program)
    if found:
        return found
    built = os.path.join(os.path.dirname(HERE), "build", "bin", program)
    if os.path.exists(built):
        return built
    if program == ORACLE:
        raise OracleError("cannot find sieve-tflite-oracle (built when CMake finds Arm NN; "
                          "see docs/testing.md) and SIEVE_TFLITE_ORACLE is not set")
    raise OracleError("cannot find %s and %s is not set" % (program, _ENVIRONMENT[program]))


def _oracle(args, program=ORACLE):
    result = subprocess.run([find_oracle(program)] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=600)
    if result.returncode != 0:
        message = result.stderr.strip() or "exit status %d" % result.returncode
        raise OracleError(message.replace(program + ": error: ", "", 1))
    return result.stdout


def _parse_tensors(text):
    """{"input": [...], "output": [...]}, each tensor a dict with the keys of
    check_model.py's report tensors (element_type, shape) and name, scale,
    zero_point."""
    tensors = {"input": [], "output": []}
    for line in text.splitlines():
        m = LINE.fullmatch(line.strip())
        if not m:
            continue
        kind, index, et, dims, scale, zp, name = m.groups()
        tensors[kind].append({
            "index": int(index), "element_type": et, "name": name,
            "shape": [int(d) for d in dims.split("x")] if dims else [],
            "scale": float(scale), "zero_point": int(zp)})
    return tensors


def describe(model_path, program=ORACLE):
    """(inputs, outputs) of the model as the oracle sees them."""
    tensors = _parse_tensors(_oracle([model_path, "--describe"], program))
    return tensors["input"], tensors["output"]


def make_inputs(inputs, seed):
    """Seeded input values, exactly as check_model.py's make_inputs draws
    them; u8 (which check_model.py does not know) takes the i8 draw plus 128,
    so every input consumes the random stream as in check_model.py."""
    as_drawn = [dict(t, element_type="i8") if t["element_type"] == "u8" else t
                for t in inputs]
    values = check_model.make_inputs(as_drawn, seed)
    return [[v + 128 for v in data] if t["element_type"] == "u8" else data
            for t, data in zip(inputs, values)]


def quantise(values, tensor):
    """Real values to the tensor's integers, as TFLite's Quantize rounds
    (half away from zero), saturated; floats unchanged."""
    et = tensor["element_type"]
    if et not in QUANTISED:
        return list(values)
    bits = int(et[1:])
    lo, hi = (0, 255) if et == "u8" else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    out = []
    for x in values:
        q = x / tensor["scale"]
        q = int(q + 0.5) if q >= 0 else -int(-q + 0.5)
        out.append(min(hi, max(lo, q + tensor["zero_point"])))
    return out


def dequantise(values, tensor):
    if tensor["element_type"] not in QUANTISED:
        return list(values)
    return [(v - tensor["zero_point"]) * tensor["scale"] for v in values]


def pack(dtype, values):
    return struct.pack("<%d%s" % (len(values), FORMATS[dtype]), *values)


def unpack(dtype, data):
    size = struct.calcsize(FORMATS[dtype])
    return list(struct.unpack("<%d%s" % (len(data) // size, FORMATS[dtype]), data))


def run_oracle(model_path, inputs, work=None, tensors=None, program=ORACLE):
    """Runs the model on `inputs`, a list of (dtype, data) per model input,
    data the raw bytes or a list of values of that dtype. Returns a list of
    (dtype, shape, values) per output. Raises OracleError when Arm NN
    refuses the model or the inputs do not fit it.

    `work` keeps the input and output files there (a temporary folder
    otherwise); `tensors`, a list, receives the output tensors' descriptions
    (scale, zero point, name) when given. `program=REFERENCE` runs TFLite's
    reference kernels instead of Arm NN."""
    if work is None:
        with tempfile.TemporaryDirectory(prefix="sieve-oracle-") as tmp:
            return run_oracle(model_path, inputs, tmp, tensors, program)
    os.makedirs(work, exist_ok=True)
    model_inputs, _ = describe(model_path, program)
    if len(inputs) != len(model_inputs):
        raise OracleError("%s has %d input(s), %d given" % (
            model_path, len(model_inputs), len(inputs)))
    paths = []
    for i, ((dtype, data), t) in enumerate(zip(inputs, model_inputs)):
        if dtype != t["element_type"]:
            raise OracleError("input %d of %s is %s, given %s" % (
                i, model_path, t["element_type"], dtype))
        path = os.path.join(work, "in%d.bin" % i)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, (bytes, bytearray)) else pack(dtype, data))
        paths.append(path)
    outputs = _parse_tensors(_oracle([model_path, "--input=" + ",".join(paths),
                                      "--output-dir=" + work], program))["output"]
    results = []
    for t in outputs:
        with open(os.path.join(work, "out%d.bin" % t["index"]), "rb") as f:
            values = unpack(t["element_type"], f.read())
        results.append((t["element_type"], t["shape"], values))
    if tensors is not None:
        tensors.extend(outputs)
    return results


def tensor_line(kind, t):
    return "%s %d %s [%s] scale=%.9g zero_point=%d name=%s" % (
        kind, t["index"], t["element_type"], "x".join(str(d) for d in t["shape"]),
        t["scale"], t["zero_point"], t["name"])


def shown(values, limit=32):
    """Values for a person to read: all of a small tensor, the first few of a
    large one."""
    text = " ".join(str(v) for v in values[:limit])
    return text if len(values) <= limit else "%s ... (%d values)" % (text, len(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--describe", action="store_true",
                        help="print the inputs and outputs, do not run")
    parser.add_argument("--seed", type=int, help="seeded inputs, as check_model.py's")
    parser.add_argument("--real", help="one real value per input element, comma-separated, "
                        "inputs separated by ';', quantised with each input's scale")
    parser.add_argument("--input", help="raw input files, comma-separated")
    parser.add_argument("--write-inputs", metavar="DIR",
                        help="write the inputs as DIR/in<i>.bin (and do not run)")
    parser.add_argument("--work", help="keep the oracle's files here")
    parser.add_argument("--dequantize", action="store_true",
                        help="also print quantised outputs as real values")
    parser.add_argument("--reference", action="store_true",
                        help="run TFLite's reference kernels (sieve-tflite-reference), "
                        "not Arm NN")
    args = parser.parse_args()
    program = REFERENCE if args.reference else ORACLE

    try:
        inputs, _ = describe(args.model, program)
        if args.describe:
            for t in inputs:
                print(tensor_line("input", t))
            for t in describe(args.model, program)[1]:
                print(tensor_line("output", t))
            return 0
        if sum(x is not None for x in (args.seed, args.real, args.input)) != 1:
            parser.error("give one of --seed, --real, --input (or --describe)")
        if args.seed is not None:
            values = make_inputs(inputs, args.seed)
            data = [(t["element_type"], pack(t["element_type"], v))
                    for t, v in zip(inputs, values)]
        elif args.real is not None:
            groups = args.real.split(";")
            if len(groups) != len(inputs):
                parser.error("--real gives %d input(s), the model has %d" % (
                    len(groups), len(inputs)))
            data = [(t["element_type"], pack(t["element_type"],
                                             quantise([float(x) for x in g.split(",")], t)))
                    for t, g in zip(inputs, groups)]
        else:
            files = args.input.split(",")
            if len(files) != len(inputs):
                parser.error("--input gives %d file(s), the model has %d input(s)" % (
                    len(files), len(inputs)))
            data = []
            for t, name in zip(inputs, files):
                with open(name, "rb") as f:
                    data.append((t["element_type"], f.read()))
        if args.write_inputs:
            os.makedirs(args.write_inputs, exist_ok=True)
            for i, (_, raw) in enumerate(data):
                with open(os.path.join(args.write_inputs, "in%d.bin" % i), "wb") as f:
                    f.write(raw)
            return 0
        for t, (dtype, raw) in zip(inputs, data):
            print("%s: %s" % (tensor_line("input", t), shown(unpack(dtype, raw))))
        tensors = []
        results = run_oracle(args.model, data, args.work, tensors, program)
        for t, (dtype, shape, values) in zip(tensors, results):
            print("%s: %s" % (tensor_line("output", t), " ".join(str(v) for v in values)))
            if args.dequantize and dtype in QUANTISED:
                print("output %d real: %s" % (t["index"], " ".join(
                    "%.6g" % v for v in dequantise(values, t))))
    except OracleError as e:
        sys.stderr.write("tflite_oracle: error: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
