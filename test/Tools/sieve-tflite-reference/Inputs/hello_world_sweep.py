"""sieve-tflite-reference on all 256 int8 inputs of TFLite Micro's
hello-world model, against the Python transcription of TFLite's reference
FULLY_CONNECTED in ../../sieve-tflite-oracle/Inputs/hello_world_rounding.py:
two versions of the same kernels, written separately, must agree everywhere.

    hello_world_sweep.py SIEVE_SRC MODEL WORK
"""

import os
import sys

src, model, work = sys.argv[1:4]
sys.path.insert(0, os.path.join(src, "scripts"))
sys.path.insert(0, os.path.join(src, "test", "Tools", "sieve-tflite-oracle", "Inputs"))
import tflite_oracle  # noqa: E402

sys.argv = [sys.argv[0], src, model]
import hello_world_rounding as python_kernels  # noqa: E402

differ = []
for q in range(-128, 128):
    [(_, _, [got])] = tflite_oracle.run_oracle(model, [("i8", [q])], work=work,
                                               program=tflite_oracle.REFERENCE)
    want = python_kernels.run(python_kernels.tflite_layer, q)
    if got != want:
        differ.append("%d: %d/%d" % (q, got, want))
print("reference kernels vs the Python transcription: %d of 256 inputs differ%s" % (
    len(differ), (": " + ", ".join(differ)) if differ else ""))
