"""Every int8 input of TFLite Micro's hello-world model through Sieve on the
host, against TFLite's reference kernels (sieve-tflite-reference) and, with
--armnn, the Arm NN oracle.

The model is compiled once; a C harness runs it on all 256 inputs. Sieve must
equal the reference kernels on every input; where Arm NN (which rounds once in
float) differs, the input is listed, and Sieve must equal the reference
kernels there too (it does everywhere).

    hello_world_sweep.py SIEVE_SRC MODEL WORK [--armnn]
"""

import json
import os
import subprocess
import sys

src, model, work = sys.argv[1:4]
with_armnn = "--armnn" in sys.argv[4:]
sys.path.insert(0, os.path.join(src, "scripts"))
import check_model  # noqa: E402
import tflite_oracle  # noqa: E402

os.makedirs(work, exist_ok=True)
obj = os.path.join(work, "hello_world_int8.o")
check_model.must([check_model.tool("sieve-compile"), model, "--target=x86-64-avx2",
                  "-o", obj, "--quiet"], "sieve-compile")
with open(os.path.join(work, "hello_world_int8.json")) as f:
    report = json.load(f)
upper = report["model"].upper()
main_c = os.path.join(work, "sweep.c")
with open(main_c, "w") as f:
    f.write("""#include "hello_world_int8.h"
#include <stdio.h>
static uint8_t arena[%s_ARENA_SIZE] __attribute__((aligned(%s_ARENA_ALIGN)));
int main(void) {
  for (int q = -128; q < 128; ++q) {
    int8_t in = (int8_t)q, out = 0;
    if (%s(&in, &out, arena) != 0)
      return 1;
    printf("%%d %%d\\n", q, out);
  }
  return 0;
}
""" % (upper, upper, report["entry"]))
exe = os.path.join(work, "sweep")
check_model.must([check_model.tool("clang"), "-O1", "-I", work, main_c, obj, "-lm", "-o", exe],
                 "linking the sweep")
sieve = {}
for line in check_model.must([exe], "the sweep").splitlines():
    q, out = map(int, line.split())
    sieve[q] = out
assert len(sieve) == 256, len(sieve)


def program_output(program, q):
    [(_, _, [value])] = tflite_oracle.run_oracle(model, [("i8", [q])],
                                                 work=os.path.join(work, program),
                                                 program=program)
    return value


reference = {q: program_output(tflite_oracle.REFERENCE, q) for q in sieve}
differ = [q for q in sieve if sieve[q] != reference[q]]
print("sieve vs TFLite reference kernels: %d of 256 inputs differ%s" % (
    len(differ), "".join(" %d: %d/%d" % (q, sieve[q], reference[q]) for q in differ)))
if with_armnn:
    armnn = {q: program_output(tflite_oracle.ORACLE, q) for q in sieve}
    apart = [q for q in sieve if sieve[q] != armnn[q]]
    unexplained = [q for q in apart if sieve[q] != reference[q]]
    print("sieve vs Arm NN: %d of 256 inputs differ, by at most %d; %d of them where "
          "Sieve differs from the reference kernels" % (
              len(apart), max([abs(sieve[q] - armnn[q]) for q in apart] or [0]),
              len(unexplained)))
    print("input: sieve/armnn " + ", ".join("%d: %d/%d" % (q, sieve[q], armnn[q])
                                            for q in apart))
sys.exit(1 if differ else 0)
