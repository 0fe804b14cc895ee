#!/usr/bin/env python3
"""The parallel-for hook against serial execution, in one run.

Compiles a model with one loop marked `sieve.parallel` (blocks of a row
softmax of x*w, test/Execution/Inputs/parallel-blocks.mlir scaled up) for
the host and times, with the same object, `<name>_run_parallel` with a NULL
hook (serial, the baseline) and with runtime/parallel's pthread pool of 2
and 4 threads. Prints the median times and the speedups over the baseline;
outputs are checked against the upstream reference each time.

    parallel_bench.py BUILD_DIR
"""

import argparse
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import check_model  # noqa: E402

# 16 blocks of 32 rows x 128 columns: x [128x256], w [256x512].
ROWS, COLS, K, BR, BC = 128, 512, 256, 32, 128
MODEL = """
#rows = affine_map<(d0) -> (d0 * {br})>
#cols = affine_map<(d0) -> (d0 * {bc})>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @blocks(%x: tensor<{rows}x{k}xf32>, %w: tensor<{k}x{cols}xf32>) -> tensor<{rows}x{cols}xf32> {{
  %init = tensor.empty() : tensor<{rows}x{cols}xf32>
  %zero = arith.constant 0.0 : f32
  %scale = arith.constant 0.01 : f32
  %r = scf.forall (%i, %j) in ({nr}, {nc}) shared_outs(%o = %init) -> tensor<{rows}x{cols}xf32> {{
    %r0 = affine.apply #rows(%i)
    %c0 = affine.apply #cols(%j)
    %xs = tensor.extract_slice %x[%r0, 0] [{br}, {k}] [1, 1] : tensor<{rows}x{k}xf32> to tensor<{br}x{k}xf32>
    %ws = tensor.extract_slice %w[0, %c0] [{k}, {bc}] [1, 1] : tensor<{k}x{cols}xf32> to tensor<{k}x{bc}xf32>
    %p0 = tensor.empty() : tensor<{br}x{bc}xf32>
    %pz = linalg.fill ins(%zero : f32) outs(%p0 : tensor<{br}x{bc}xf32>) -> tensor<{br}x{bc}xf32>
    %p = linalg.matmul ins(%xs, %ws : tensor<{br}x{k}xf32>, tensor<{k}x{bc}xf32>) outs(%pz : tensor<{br}x{bc}xf32>) -> tensor<{br}x{bc}xf32>
    %e0 = tensor.empty() : tensor<{br}x{bc}xf32>
    %e = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}}
        ins(%p : tensor<{br}x{bc}xf32>) outs(%e0 : tensor<{br}x{bc}xf32>) {{
    ^bb0(%a: f32, %b: f32):
      %small = arith.mulf %a, %scale : f32
      %v = math.exp %small : f32
      linalg.yield %v : f32
    }} -> tensor<{br}x{bc}xf32>
    %s0 = tensor.empty() : tensor<{br}xf32>
    %sz = linalg.fill ins(%zero : f32) outs(%s0 : tensor<{br}xf32>) -> tensor<{br}xf32>
    %s = linalg.generic {{indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}}
        ins(%e : tensor<{br}x{bc}xf32>) outs(%sz : tensor<{br}xf32>) {{
    ^bb0(%a: f32, %acc: f32):
      %v = arith.addf %a, %acc : f32
      linalg.yield %v : f32
    }} -> tensor<{br}xf32>
    %q0 = tensor.empty() : tensor<{br}x{bc}xf32>
    %q = linalg.generic {{indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}}
        ins(%e, %s : tensor<{br}x{bc}xf32>, tensor<{br}xf32>) outs(%q0 : tensor<{br}x{bc}xf32>) {{
    ^bb0(%a: f32, %t: f32, %b: f32):
      %v = arith.divf %a, %t : f32
      linalg.yield %v : f32
    }} -> tensor<{br}x{bc}xf32>
    scf.forall.in_parallel {{
      tensor.parallel_insert_slice %q into %o[%r0, %c0] [{br}, {bc}] [1, 1] : tensor<{br}x{bc}xf32> into tensor<{rows}x{cols}xf32>
    }}
  }} {{sieve.parallel}}
  return %r : tensor<{rows}x{cols}xf32>
}}
""".format(rows=ROWS, cols=COLS, k=K, br=BR, bc=BC, nr=ROWS // BR, nc=COLS // BC)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    args = parser.parse_args()
    os.environ["PATH"] = os.path.join(os.path.abspath(args.build), "bin") + os.pathsep + \
        os.environ["PATH"]
    with tempfile.TemporaryDirectory() as work:
        model = os.path.join(work, "par_blocks.mlir")
        with open(model, "w") as f:
            f.write(MODEL)
        print("%d tasks of %dx%d, host cores: %d\n" % (
            (ROWS // BR) * (COLS // BC), BR, BC, os.cpu_count() or 0))
        baseline = None
        for mode in ("null", "pool:2", "pool:4"):
            ((_, status, message, _, result),) = check_model.check(
                model, ["x86-64-avx2"], os.path.join(work, mode.replace(":", "")),
                rtol=1e-4, atol=1e-5, parallel=mode)
            if status != "PASS" or result is None or result.seconds is None:
                sys.exit("parallel_bench: %s: %s %s" % (mode, status, message))
            baseline = baseline or result.seconds
            print("%-8s %8.3f ms   speedup %.2fx   (%s)" % (
                mode, result.seconds * 1e3, baseline / result.seconds, message))


if __name__ == "__main__":
    main()
