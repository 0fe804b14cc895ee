#!/usr/bin/env python3
"""Writes malformed variants of a TFLite model for the importer's error tests.

    malform.py MODEL.tflite OUTDIR

Each variant patches the bytes of a real model by walking its flatbuffer
tables (root -> Model -> SubGraph -> Tensor/Operator), the way the format
lays them out: a table starts with a signed offset back to its vtable, whose
entries (after two 16-bit sizes) are the 16-bit offsets of the fields.
Standard library only.
"""

import os
import struct
import sys


def u32(b, at):
    return struct.unpack_from("<I", b, at)[0]


def field(b, table, index):
    """Position of field `index` of the table at `table`, or None if absent."""
    vtable = table - struct.unpack_from("<i", b, table)[0]
    vsize = struct.unpack_from("<H", b, vtable)[0]
    if 4 + 2 * index >= vsize:
        return None
    off = struct.unpack_from("<H", b, vtable + 4 + 2 * index)[0]
    return table + off if off else None


def deref(b, at):
    return at + u32(b, at)


def vector(b, table, index):
    """(length, position of the first element) of a vector field."""
    at = deref(b, field(b, table, index))
    return u32(b, at), at + 4


def element_table(b, table, index, i):
    n, first = vector(b, table, index)
    assert i < n
    return deref(b, first + 4 * i)


def main():
    model_path, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    data = bytearray(open(model_path, "rb").read())
    root = u32(data, 0)
    subgraph = element_table(data, root, 2, 0)

    def write(name, b):
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)

    # Cut in the middle: tables and vectors point past the end.
    write("truncated.tflite", data[: len(data) // 2])
    # Shorter than a flatbuffer header.
    write("tiny.tflite", data[:6])
    # Another file identifier.
    bad = bytearray(data)
    bad[4:8] = b"XYZ3"
    write("identifier.tflite", bad)

    # A tensor whose buffer index is past the model's buffers: the first
    # tensor with a buffer field (a weight).
    bad = bytearray(data)
    n, _ = vector(bad, subgraph, 0)
    for i in range(n):
        tensor = element_table(bad, subgraph, 0, i)
        at = field(bad, tensor, 2)
        if at is not None and u32(bad, at) != 0:
            struct.pack_into("<I", bad, at, 100000)
            break
    write("buffer-index.tflite", bad)

    # Operator code 0 becomes SQUARED_DIFFERENCE (99), which Sieve does not
    # import: in the deprecated byte field and in the 32-bit field.
    bad = bytearray(data)
    code = element_table(bad, root, 1, 0)
    for index, fmt in ((0, "<b"), (3, "<i")):
        at = field(bad, code, index)
        if at is not None:
            struct.pack_into(fmt, bad, at, 99)
    write("unknown-op.tflite", bad)

    # An operator input refers to tensor 5000.
    bad = bytearray(data)
    op = element_table(bad, subgraph, 3, 0)
    n, first = vector(bad, op, 1)
    struct.pack_into("<i", bad, first, 5000)
    write("tensor-index.tflite", bad)

    # A vector length far beyond the file: the verifier must catch it.
    bad = bytearray(data)
    at = deref(bad, field(bad, subgraph, 0))
    struct.pack_into("<I", bad, at, 0x0FFFFFFF)
    write("vector-length.tflite", bad)


if __name__ == "__main__":
    main()
