"""Runs TFLite Micro's hello-world model (int8 sin(x)) with the Arm NN oracle
through scripts/tflite_oracle.py's library interface, and checks that it
approximates sin(x): a model that Arm NN ran wrongly would not.

    check_hello_world.py SIEVE_SRC MODEL
"""

import math
import os
import sys

sys.path.insert(0, os.path.join(sys.argv[1], "scripts"))
import tflite_oracle  # noqa: E402

model = sys.argv[2]
inputs, outputs = tflite_oracle.describe(model)
print("inputs", [(t["element_type"], t["shape"]) for t in inputs])
print("outputs", [(t["element_type"], t["shape"]) for t in outputs])

# The model was trained on [0, 2*pi]; on these points the published model is
# within 0.09 of sin(x) (worst at x = 4.7), so beyond 0.1 is a failure.
worst = 0.0
for x in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 4.7, 5.5, 6.0):
    q = tflite_oracle.quantise([x], inputs[0])
    described = []
    [(dtype, shape, values)] = tflite_oracle.run_oracle(model, [("i8", q)],
                                                        tensors=described)
    y = tflite_oracle.dequantise(values, described[0])[0]
    err = abs(y - math.sin(x))
    worst = max(worst, err)
    print("x=%.1f q=%d out=%s %s y=%.4f sin=%.4f %s" % (
        x, q[0], dtype, shape, y, math.sin(x), "ok" if err <= 0.1 else "FAR"))
print("worst |y - sin(x)| %s 0.1" % ("<=" if worst <= 0.1 else ">"))
