#!/usr/bin/env python3
"""Attention: arena and time of Sieve's flash lowering against the dense
lowering of today's pipeline, and against this CPU's f32 FMA peak, in one run.

Models (test/Execution/Inputs/attention_models.py): 8 heads, d = 64, causal,
f32, Q/K/V as inputs. "dense" is the TOSA form (matmul, mask, softmax,
matmul) compiled by sieve-compile with --attention=off, through upstream's
TOSA lowering, as every attention was compiled before `attn`; "flash" is `attn.attention` through
sieve-lower-attention. Arena figures are the report's `arena_bytes`; times
are the best of several runs of the compiled x86-64-avx2 object, single
thread. The FMA peak is a loop of independent AVX2 FMAs built in the same run.
Both are timed in the process's CPU time (CLOCK_PROCESS_CPUTIME_ID): on a
shared machine, wall-clock time also counts other processes' time slices,
which made a long run (L = 16384) look slower than a short one; a
single-threaded run on an idle core takes the same CPU and wall time.

    attention_bench.py BUILD_DIR [--quick] [--max-len N]

"logsparse" is `attn.sparse_attention` with `#attn.logsparse` (each query
sees itself and the keys 1, 2, 4, ... before it) through the diagonal-wise
lowering. The dense lowering at L = 4096 runs once (about a minute); flash
runs up to L = 16384, LogSparse at every length.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "test", "Execution", "Inputs", "attention_models.py")
CLANG = "/usr/lib/llvm-22/bin/clang"
HEADS, DIM = 8, 64

HARNESS = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "%(name)s.h"
static double now(void) {
  struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 3;
  size_t n = (size_t)%(upper)s_INPUT0_ELEMENTS;
  float *q = malloc(4 * n), *k = malloc(4 * n), *v = malloc(4 * n);
  float *o = malloc(4 * (size_t)%(upper)s_OUTPUT0_ELEMENTS);
  void *arena = aligned_alloc(64, ((size_t)%(upper)s_ARENA_SIZE + 63) / 64 * 64 + 64);
  if (!q || !k || !v || !o || !arena) { printf("nomem\n"); return 2; }
  srand(1);
  for (size_t i = 0; i < n; ++i) {
    q[i] = rand() / (float)RAND_MAX - 0.5f;
    k[i] = rand() / (float)RAND_MAX - 0.5f;
    v[i] = rand() / (float)RAND_MAX - 0.5f;
  }
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t0 = now();
    if (%(name)s_run(q, k, v, o, arena)) { printf("status\n"); return 3; }
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("%%.6f %%g\n", best, (double)o[n / 3]);
  return 0;
}
"""

# 10 independent accumulators hide the FMA latency (4 cycles, 2 pipes); the
# empty asm keeps them in registers and the loop from being folded.
FMA_PEAK = r"""
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(void) {
  struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
#define ACC(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9)
int main(void) {
  __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-4f);
#define DECL(i) __m256 a##i = _mm256_set1_ps((float)i);
  ACC(DECL)
  long iters = 200000000;
  double best = 1e30;
  for (int r = 0; r < 3; ++r) {
    double t0 = now();
    for (long i = 0; i < iters; ++i) {
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, x, y);
      ACC(STEP)
      __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4),
                       "+x"(a5), "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9));
    }
    double t = now() - t0;
    if (t < best) best = t;
  }
  float s = 0, b[8];
#define SUM(i) _mm256_storeu_ps(b, a##i); s += b[0];
  ACC(SUM)
  /* flop/s: 10 FMAs of 8 lanes, 2 flops each */
  printf("%.6g %g\n", iters * 10.0 * 8 * 2 / best, s);
  return 0;
}
"""


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def compile_model(compiler, model, work, name, flags=()):
    obj = os.path.join(work, name + ".o")
    proc = subprocess.run([compiler, model, "--target=x86-64-avx2", "--memory-budget=none",
                           "-o", obj, "--quiet", *flags], capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"
    with open(os.path.join(work, name + ".json")) as f:
        return json.load(f), obj


def run_model(report, obj, work, name, reps):
    src = os.path.join(work, name + "_main.c")
    with open(src, "w") as f:
        f.write(HARNESS % {"name": name, "upper": name.upper()})
    exe = os.path.join(work, name + "_main")
    sh([CLANG, "-O2", "-march=haswell", "-I", work, src, obj, "-o", exe, "-lm"])
    out = subprocess.run([exe, str(reps)], capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        return None
    return float(out.stdout.split()[0])


def fma_peak(work):
    src = os.path.join(work, "fma.c")
    with open(src, "w") as f:
        f.write(FMA_PEAK)
    exe = os.path.join(work, "fma")
    sh([CLANG, "-O2", "-mavx2", "-mfma", src, "-o", exe])
    return float(sh([exe]).split()[0])


def causal_flops(l):
    """QK^T and PV over the causal pairs (i >= j), 2 flops per multiply-add."""
    pairs = l * (l + 1) // 2
    return HEADS * pairs * DIM * 2 * 2


def fmt_bytes(b):
    if b is None:
        return "-"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return "%.1f %s" % (b / size, unit)
    return "%d B" % b


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--quick", action="store_true", help="lengths up to 4096 only")
    parser.add_argument("--max-len", type=int, default=65536)
    args = parser.parse_args()
    compiler = os.path.join(os.path.abspath(args.build), "bin", "sieve-compile")
    lengths = [l for l in (1024, 2048, 4096, 8192, 16384, 32768, 65536)
               if l <= (4096 if args.quick else args.max_len)]

    with tempfile.TemporaryDirectory() as work:
        specs = []
        for l in lengths:
            specs += ["a%d:%dx%dx%d:causal" % (l, HEADS, l, DIM),
                      "s%d:%dx%dx%d:logsparse" % (l, HEADS, l, DIM)]
        subprocess.run([sys.executable, GEN, "--out", work] + specs, check=True)
        print("attention: %d heads, d=%d, causal, f32, x86-64-avx2, one thread" % (HEADS, DIM))
        print("arena = the report's arena_bytes (Q, K, V and the output are the caller's)")
        fmt = "%-7s %12s %12s %12s %12s"
        print(fmt % ("L", "dense", "flash", "logsparse", "dense/flash"))
        built = {}
        for l in lengths:
            # --attention=off: the TOSA form would otherwise be raised.
            dense, _ = compile_model(compiler, os.path.join(work, "a%d.dense.mlir" % l),
                                     work, "a%d_dense" % l, ["--attention=off"])
            flash, _ = compile_model(compiler, os.path.join(work, "a%d.mlir" % l),
                                     work, "a%d" % l)
            sparse, _ = compile_model(compiler, os.path.join(work, "s%d.mlir" % l),
                                      work, "s%d" % l)
            built[l] = (dense, flash, sparse)
            arena = [r["memory"]["arena_bytes"] if r else None for r in (dense, flash, sparse)]
            ratio = "%.0fx" % (arena[0] / arena[1]) if arena[0] and arena[1] else "-"
            print(fmt % (l, fmt_bytes(arena[0]), fmt_bytes(arena[1]), fmt_bytes(arena[2]),
                         ratio))
            sys.stdout.flush()

        peak = fma_peak(work)
        print("\nf32 FMA peak (this run, one core, AVX2): %.1f GFLOP/s" % (peak / 1e9))
        print("\n%-7s %10s %10s %10s %12s" % ("L", "flash s", "GFLOP/s", "% peak",
                                              "logsparse s"))
        times = {}
        for l in lengths:
            dense, flash, sparse = built[l]
            t_flash = None
            if flash and l <= 16384:
                t_flash = run_model(flash, os.path.join(work, "a%d.o" % l), work, "a%d" % l,
                                    3 if l <= 4096 else 2)
            t_sparse = run_model(sparse, os.path.join(work, "s%d.o" % l), work, "s%d" % l,
                                 3) if sparse else None
            times[l] = (t_flash, t_sparse)
            if t_flash:
                gflops = causal_flops(l) / t_flash / 1e9
                print("%-7d %10.4f %10.1f %9.0f%% %12.5f" % (l, t_flash, gflops,
                                                            100 * gflops * 1e9 / peak,
                                                            t_sparse or 0))
            else:
                print("%-7d %10s %10s %10s %12.5f" % (l, "-", "-", "-", t_sparse or 0))
            sys.stdout.flush()

        print()
        if 4096 in built and built[4096][0] and times[4096][0]:
            t_dense = run_model(built[4096][0], os.path.join(work, "a4096_dense.o"), work,
                                "a4096_dense", 1)
            if t_dense:
                print("L=4096: dense lowering %.2f s, flash %.3f s: flash %.1fx faster "
                      "(target >= 5x)" % (t_dense, times[4096][0], t_dense / times[4096][0]))
            gflops = causal_flops(4096) / times[4096][0] / 1e9
            print("L=4096: flash at %.0f%% of the FMA peak (target >= 50%%)" % (
                100 * gflops * 1e9 / peak))
        if 16384 in times and all(times[16384]):
            t_flash, t_sparse = times[16384]
            print("L=16384: logsparse %.4f s, flash %.2f s: logsparse %.0fx faster "
                  "(target >= 50x)" % (t_sparse, t_flash, t_flash / t_sparse))
        if 16384 in built and built[16384][0] and built[16384][1]:
            print("L=16384: flash arena %.0fx below the dense lowering's (target >= 1000x)" % (
                built[16384][0]["memory"]["arena_bytes"] /
                built[16384][1]["memory"]["arena_bytes"]))

if __name__ == "__main__":
    main()
