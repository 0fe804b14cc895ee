#!/usr/bin/env python3
"""Writes the pixel bytes of an 8-bit grayscale BMP, rows top to bottom.

    bmp_pixels.py IMAGE.bmp OUT.raw

TFLite Micro's person-detection test feeds its images this way: the bytes
copied unchanged into the int8 input (200 becomes -56). BMP stores rows
bottom-up (for a positive height) after the header and palette, each padded
to 4 bytes. Standard library only.
"""

import struct
import sys

data = open(sys.argv[1], "rb").read()
if data[:2] != b"BM":
    sys.exit("bmp_pixels: %s is not a BMP file" % sys.argv[1])
offset = struct.unpack_from("<I", data, 10)[0]
width, height = struct.unpack_from("<ii", data, 18)
bits = struct.unpack_from("<H", data, 28)[0]
if bits != 8:
    sys.exit("bmp_pixels: %s has %d bits per pixel, not 8" % (sys.argv[1], bits))
stride = (width + 3) // 4 * 4
rows = [data[offset + r * stride: offset + r * stride + width] for r in range(abs(height))]
if height > 0:
    rows.reverse()
with open(sys.argv[2], "wb") as f:
    f.write(b"".join(rows))
