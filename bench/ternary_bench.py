#!/usr/bin/env python3
"""Ternary matmul kernels against the baselines of issue 7, in one run.

x86-64 (this machine, 1 thread): for each shape (4096x4096 and BitNet
b1.58-2B's 2560x2560, 2560x6912, 6912x2560) and M = 1 (GEMV), 32 and 128
tokens (GEMM), compiles a `tern.matmul` layer with packed seeded weights
through sieve-compile for x86-64-avx2 (maddubs; lut and portable on GEMVs)
and, where the host has AVX-512 VNNI, x86-64-avx512 (vpdpbusd), links it
with a timing harness and prints

- weights/s (N * K / time per token),
- the fraction of the streaming-read roofline (read bandwidth measured in
  the same run over a buffer of 4x the last-level cache, divided by the
  packed bytes per weight),
- the ratio against a plain int8-weight GEMV written with AVX2 intrinsics
  (`vpmaddubsw`, one byte per weight), timed in the same run on the same
  shape,
- for GEMM, the fraction of the CPU's int8 multiply-add peak (a register-only
  loop of the kernel's instruction: `vpmaddubsw` + `vpmaddwd` on ymm, or
  `vpdpbusd` on zmm, measured in the same run).

Weights from DRAM: one 4096x4096 GEMV object copied (symbols renamed) until
the copies' packed weights exceed 4x the LLC, run in sequence (time_dram),
against the streaming roofline (the better of a plain read and one that
prefetches a line 8 KiB ahead per 4 KiB, as the vpdpbusd GEMV does) and
the int8 GEMV (plain and with that prefetch) over as many distinct int8
matrices (also over 4x the LLC), 1 and 2 threads, with the load average;
every call timed, per-call medians (the best whole pass next to them).
GEMV and GEMM (M = 32) through the parallel-for hook with 2 threads against
1, next to a memory-free calibration through the same pool that shows what
the machine's load left to the second thread.

Cortex-M4 and M55 (QEMU, the icount plugin of runtime/qemu-plugin):
instructions per weight of the compiled layer (the instructions of one
run, whatever it calls included, divided by N * K), and llvm-mca's cycles per weight
for the innermost loop of the kernel.

    ternary_bench.py BUILD_DIR [--quick] [--x86-only] [--only l3|dram|threads]

The lut kernel (vpshufb tables) next to the multiply-add one and the int8
baseline on every GEMV; on the Cortex-M boards both kernels at three
shapes. Standard library only,
plus the LLVM 22 tools.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLVM = "/usr/lib/llvm-22/bin"
CLANG = os.path.join(LLVM, "clang")

SHAPES = [(4096, 4096), (2560, 2560), (2560, 6912), (6912, 2560)]  # (K, N)
TOKENS = [1, 32, 128]

HARNESS = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "%(header)s"
%(pool_include)s

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#ifdef SERIAL_TOO
static uint64_t spin_out[32];
static int spin_iters = 100000;
static void spin_task(void *ctx, int32_t task, int32_t worker) {
  uint64_t x = (uint64_t)task + 1;
  for (int i = 0; i < spin_iters; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  ((uint64_t *)ctx)[task] = x;
}
#endif

int main(void) {
  static int8_t in[%(m)d * %(k)d];
  static int32_t out[%(m)d * %(n)d];
  void *arena = aligned_alloc(64, %(arena)d + 64);
  for (int i = 0; i < %(m)d * %(k)d; ++i) in[i] = (int8_t)(i * 37 + 11);
%(pool_create)s
  %(call)s; /* warm: weights into the caches */
#ifdef SERIAL_TOO
  /* 1 thread (NULL hook) and the pool, alternating in this process (the
     machine may be shared): best of 20 samples of about 0.05 s each. Next
     to them, the same pool runs a calibration that needs no memory: as
     many parallel-fors of 32 tasks (a dependent multiply chain, as long
     in all as one serial run of the layer), on 1 and on all threads. Its
     speed-up is what the machine's load and the pool's overhead left to
     the other threads in the same window; the layer's, below it, is the
     cost of sharing the memory path. */
  int n = 1;
  double serial = 0;
  for (;;) {
    double t0 = now();
    for (int r = 0; r < n; ++r) SERIAL_TOO;
    serial = now() - t0;
    if (serial > 0.05) break;
    n *= 2;
  }
  double t0 = now();
  sieve_serial_parallel_for(0, 32, 1, spin_task, spin_out);
  spin_iters = (int)(spin_iters * (serial / n) / (now() - t0)) + 1;
  double one = 1e9, many = 1e9, spin1 = 1e9, spinN = 1e9;
  for (int s = 0; s < 20; ++s) {
    double t0 = now();
    for (int r = 0; r < n; ++r) SERIAL_TOO;
    double t1 = now();
    for (int r = 0; r < n; ++r) %(call)s;
    double t2 = now();
    for (int r = 0; r < n; ++r) sieve_serial_parallel_for(0, 32, 1, spin_task, spin_out);
    double t3 = now();
    for (int r = 0; r < n; ++r)
      sieve_pool_parallel_for(pool, 32, %(threads)d, spin_task, spin_out);
    double t4 = now();
    if (t1 - t0 < one) one = t1 - t0;
    if (t2 - t1 < many) many = t2 - t1;
    if (t3 - t2 < spin1) spin1 = t3 - t2;
    if (t4 - t3 < spinN) spinN = t4 - t3;
  }
  printf("%%.9f %%.9f %%.4f %%d\n", many / n, one / n, spin1 / spinN,
         out[0] + (int)spin_out[0]);
  return 0;
#endif
  int reps = 1;
  double t = 0;
  for (;;) {
    double t0 = now();
    for (int r = 0; r < reps; ++r) %(call)s;
    t = now() - t0;
    if (t > 0.1) break;
    reps *= 2;
  }
  /* Best of 5 samples of about 0.1 s: the machine may be shared. */
  for (int s = 0; s < 4; ++s) {
    double t0 = now();
    for (int r = 0; r < reps; ++r) %(call)s;
    double u = now() - t0;
    if (u < t) t = u;
  }
  printf("%%.9f %%d\n", t / reps, out[0]);
  return 0;
}
"""

# Baselines, measured in the same run. Written for this CPU, not by Sieve.
BASELINES = r"""
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Streaming read: sum of 64-bit words, 4 independent AVX2 accumulators. */
static double stream_read(size_t bytes) {
  size_t n = bytes / 32;
  __m256i *buf = aligned_alloc(64, bytes);
  for (size_t i = 0; i < n; ++i) buf[i] = _mm256_set1_epi64x((long long)i);
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    double t0 = now();
    for (size_t i = 0; i < n; i += 4) {
      a = _mm256_add_epi64(a, buf[i]);
      b = _mm256_add_epi64(b, buf[i + 1]);
      c = _mm256_add_epi64(c, buf[i + 2]);
      d = _mm256_add_epi64(d, buf[i + 3]);
    }
    double t = now() - t0;
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
    if (_mm256_extract_epi64(s, 0) == 42) printf(" ");
    if (t < best) best = t;
  }
  free(buf);
  return bytes / best;
}

/* int8 GEMV, one byte per weight: vpmaddubsw on |x| and sign-adjusted w. */
static void gemv_int8(const int8_t *w, const int8_t *x, int32_t *y, int k, int n) {
  for (int j = 0; j < n; ++j) {
    const int8_t *row = w + (size_t)j * k;
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i < k; i += 32) {
      __m256i xv = _mm256_load_si256((const __m256i *)(x + i));
      __m256i wv = _mm256_load_si256((const __m256i *)(row + i));
      __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(xv, xv),
                                       _mm256_sign_epi8(wv, xv));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc),
                              _mm256_extracti128_si256(acc, 1));
    s = _mm_hadd_epi32(s, s);
    s = _mm_hadd_epi32(s, s);
    y[j] = _mm_cvtsi128_si32(s);
  }
}

/* Weights/s of the int8 GEMV over `copies` distinct k x n matrices run in
   sequence (copies > 1: more bytes than the caches hold, so from DRAM). */
static double int8_gemv(int k, int n, int copies) {
  int8_t **w = malloc(sizeof(int8_t *) * copies), *x = aligned_alloc(64, k);
  int32_t *y = malloc(sizeof(int32_t) * n);
  for (int c = 0; c < copies; ++c) {
    w[c] = aligned_alloc(64, (size_t)k * n);
    for (size_t i = 0; i < (size_t)k * n; ++i) w[c][i] = (int8_t)(i * 13 + 5 + c);
  }
  for (int i = 0; i < k; ++i) x[i] = (int8_t)(i * 7 + 3);
  double best = 1e9;
  for (int rep = 0; rep < 5; ++rep) {
    double t0 = now();
    for (int c = 0; c < copies; ++c) gemv_int8(w[c], x, y, k, n);
    double t = now() - t0;
    if (t < best) best = t;
  }
  if (y[0] == 42) printf(" ");
  for (int c = 0; c < copies; ++c) free(w[c]);
  free(w); free(x); free(y);
  return (double)k * n * copies / best;
}

/* Streaming read with two threads, each over its half of the buffer. */
struct half { __m256i *buf; size_t n; };
static void *read_half(void *arg) {
  struct half *h = arg;
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (size_t i = 0; i < h->n; i += 4) {
    a = _mm256_add_epi64(a, h->buf[i]);
    b = _mm256_add_epi64(b, h->buf[i + 1]);
    c = _mm256_add_epi64(c, h->buf[i + 2]);
    d = _mm256_add_epi64(d, h->buf[i + 3]);
  }
  __m256i s = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
  if (_mm256_extract_epi64(s, 0) == 42) printf(" ");
  return 0;
}
static double stream_read2(size_t bytes) {
  size_t n = bytes / 32;
  __m256i *buf = aligned_alloc(64, bytes);
  for (size_t i = 0; i < n; ++i) buf[i] = _mm256_set1_epi64x((long long)i);
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    struct half h0 = {buf, n / 2}, h1 = {buf + n / 2, n / 2};
    pthread_t t1;
    double t0 = now();
    pthread_create(&t1, 0, read_half, &h1);
    read_half(&h0);
    pthread_join(t1, 0);
    double t = now() - t0;
    if (t < best) best = t;
  }
  free(buf);
  return bytes / best;
}

/* int8 multiply-add peak: 8 independent vpmaddubsw + vpmaddwd chains. */
static double int8_peak(void) {
  __m256i a[8], ones = _mm256_set1_epi16(1), u = _mm256_set1_epi8(3),
                s = _mm256_set1_epi8(-5);
  for (int i = 0; i < 8; ++i) a[i] = _mm256_set1_epi32(i);
  long iters = 20000000;
  double t0 = now();
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 8; ++i) {
      __m256i p = _mm256_maddubs_epi16(u, s);
      a[i] = _mm256_add_epi32(a[i], _mm256_madd_epi16(p, ones));
      __asm__ volatile("" : "+x"(a[i]), "+x"(u));
    }
  double t = now() - t0;
  __m256i z = a[0];
  for (int i = 1; i < 8; ++i) z = _mm256_add_epi32(z, a[i]);
  if (_mm256_extract_epi32(z, 0) == 42) printf(" ");
  return 8.0 * 32 * iters / t; /* 32 int8 MACs per vpmaddubsw */
}

/* AVX-512 VNNI multiply-add peak: 8 independent vpdpbusd zmm chains. */
__attribute__((target("avx512f,avx512vnni"))) static double vnni_peak(void) {
  __m512i a[8], u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-5);
  for (int i = 0; i < 8; ++i) a[i] = _mm512_set1_epi32(i);
  long iters = 20000000;
  double t0 = now();
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 8; ++i) {
      a[i] = _mm512_dpbusd_epi32(a[i], u, s);
      __asm__ volatile("" : "+v"(a[i]), "+v"(u));
    }
  double t = now() - t0;
  __m512i z = a[0];
  for (int i = 1; i < 8; ++i) z = _mm512_add_epi32(z, a[i]);
  if (_mm512_reduce_add_epi32(z) == 42) printf(" ");
  return 8.0 * 64 * iters / t; /* 64 int8 MACs per vpdpbusd zmm */
}

int main(int argc, char **argv) {
  size_t bytes = (size_t)strtoull(argv[1], 0, 10);
  printf("stream %.6e\n", stream_read(bytes));
  printf("stream2 %.6e\n", stream_read2(bytes));
  printf("peak %.6e\n", int8_peak());
  if (__builtin_cpu_supports("avx512vnni")) printf("peak512 %.6e\n", vnni_peak());
  for (int i = 2; i + 2 < argc; i += 3) {
    int k = atoi(argv[i]), n = atoi(argv[i + 1]), copies = atoi(argv[i + 2]);
    printf("int8 %d %d %d %.6e\n", k, n, copies, int8_gemv(k, n, copies));
  }
  return 0;
}
"""


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, **kw)
    if r.returncode:
        sys.exit("ternary_bench: %s failed:\n%s%s" % (" ".join(cmd), r.stdout[-2000:],
                                                      r.stderr[-2000:]))
    return r.stdout


def pack_i2(rng, n, k):
    """Seeded ternary weights packed as #tern.packed i2 (docs/ternary.md):
    random bytes whose four 2-bit codes are each 0, 1 or 2. K is a multiple
    of 128 here, so there is no padding."""
    assert k % 128 == 0
    valid = [b for b in range(256) if all((b >> (2 * p)) & 3 != 3 for p in range(4))]
    row_bytes = k // 4
    return bytes(rng.choices(valid, k=n * row_bytes)), row_bytes


def layer_model(path, name, m, k, n, seed):
    rng = random.Random(seed)
    data, row_bytes = pack_i2(rng, n, k)
    with open(path, "w") as f:
        f.write("func.func @%s(%%x: tensor<%dx%dxi8>) -> tensor<%dx%dxi32> {\n" % (name, m, k, m, n))
        f.write("  %%y = tern.matmul %%x weights(#tern.packed<i2, [%d, %d], dense<\"0x%s\"> "
                ": tensor<%dx%dxi8>>) : tensor<%dx%dxi8> -> tensor<%dx%dxi32>\n" % (
                    n, k, data.hex().upper(), n, row_bytes, m, k, m, n))
        f.write("  return %%y : tensor<%dx%dxi32>\n}\n" % (m, n))


def compile_layer(build, work, target, m, k, n, kernel, seed=1):
    name = "t%dx%dx%d_%s" % (m, k, n, kernel)
    model = os.path.join(work, name + ".mlir")
    if not os.path.exists(model):
        layer_model(model, name, m, k, n, seed)
    obj = os.path.join(work, "%s_%s.o" % (name, target))
    report = os.path.join(work, "%s_%s.json" % (name, target))
    if not os.path.exists(report):  # compiled once per run
        run([os.path.join(build, "bin", "sieve-compile"), model, "--target=" + target, "-o",
             obj, "--name=" + name, "--report=" + report, "--ternary-kernel=" + kernel,
             "--quiet"])
    with open(report) as f:
        return name, obj, json.load(f)


def time_layer(build, work, m, k, n, kernel, threads=1, target="x86-64-avx2"):
    """Seconds per run; threads > 1 calls <name>_run_parallel with the
    example pthread pool of runtime/parallel (docs/parallel.md)."""
    name, obj, report = compile_layer(build, work, target, m, k, n, kernel)
    src = os.path.join(work, "%s_%s_%dt_main.c" % (name, target, threads))
    fields = {"name": name, "header": obj[:-2] + ".h", "m": m, "k": k, "n": n,
              "threads": threads,
              "arena": report["memory"]["arena_bytes"], "pool_include": "",
              "pool_create": "", "call": "%s_run(in, out, arena)" % name}
    extra = []
    if threads > 1:
        if not report.get("parallel", {}).get("entry"):
            sys.exit("ternary_bench: %s has no parallel entry" % name)
        fields["pool_include"] = '#include "sieve_pool.h"'
        fields["pool_create"] = "  sieve_pool *pool = sieve_pool_create(%d);" % threads
        fields["call"] = "%s(in, out, arena, sieve_pool_parallel_for, pool)" % (
            report["parallel"]["entry"])
        fields["pool_include"] += "\n#define SERIAL_TOO %s(in, out, arena, 0, 0)" % (
            report["parallel"]["entry"])
        pool = os.path.join(ROOT, "runtime", "parallel")
        extra = ["-I", pool, os.path.join(pool, "sieve_pool.c"), "-pthread"]
    with open(src, "w") as f:
        f.write(HARNESS % fields)
    exe = os.path.join(work, "%s_%s_%dt.exe" % (name, target, threads))
    run([CLANG, "-O2", "-I", work, src, obj, "-o", exe] + extra)
    times = run([exe]).split()
    if threads > 1:  # (seconds with the pool, with 1 thread, calibration speed-up)
        return ((float(times[0]), float(times[1]), float(times[2])),
                report["ternary"]["layers"][0])
    return float(times[0]), report["ternary"]["layers"][0]

DRAM_HARNESS = r"""
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sieve_pool.h"
%(decls)s
typedef int32_t (*entry)(const int8_t *, int32_t *, void *, sieve_parallel_for_fn, void *);
static const entry layers[] = {%(table)s};
enum { K = %(k)d, N = %(n)d, INT8_COPIES = %(int8_copies)d, THREADS = %(threads)d,
       REPS = 9, LAYERS = sizeof layers / sizeof layers[0] };
/* The streaming read is timed per chunk of a layer's packed bytes (rounded
   down to 128), so that it is timed as the layers are: one call per 4 MiB
   of cold bytes. */
#define CHUNK ((size_t)%(chunk)d)
#define CHUNKS ((size_t)K * N * INT8_COPIES / CHUNK)
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static int8_t *w8; /* INT8_COPIES int8 matrices, one after the other */
/* The layers' own packed weights: the program's largest read-only mapping
   (its .rodata, the copies' constants one after the other). */
static const char *own;
static size_t own_chunks;
static void find_own(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  unsigned long lo, hi, best = 0;
  char perms[8];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "%%lx-%%lx %%7s", &lo, &hi, perms) == 3 && !strcmp(perms, "r--p") &&
        hi - lo > best) {
      best = hi - lo;
      own = (const char *)lo;
    }
  if (f) fclose(f);
  own_chunks = best / CHUNK;
}
static int8_t x8[K] __attribute__((aligned(64)));
static int32_t y8[N];

/* The int8 baseline of BASELINES (vpmaddubsw, one byte per weight); with
   `ahead` > 0, it also prefetches one line `ahead` further per 4 KiB, as
   the vpdpbusd GEMV does (vpdpbusdTile in LowerTernary.cpp), so that the
   ratio is measured with and without that advantage. */
static void gemv_int8(const int8_t *w, size_t ahead) {
  for (int j = 0; j < N; ++j) {
    const int8_t *row = w + (size_t)j * K;
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i < K; i += 32) {
      if (ahead && (((size_t)j * K + i) & 4095) == 0)
        _mm_prefetch((const char *)row + i + ahead, _MM_HINT_T0);
      __m256i xv = _mm256_load_si256((const __m256i *)(x8 + i));
      __m256i wv = _mm256_load_si256((const __m256i *)(row + i));
      __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(xv, xv), _mm256_sign_epi8(wv, xv));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_hadd_epi32(s, s);
    s = _mm_hadd_epi32(s, s);
    y8[j] = _mm_cvtsi128_si32(s);
  }
}

/* Streaming read of `bytes` at `p`; with `ahead` > 0, a read that also
   prefetches one line `ahead` further per 4 KiB, as the vpdpbusd GEMV does
   (vpdpbusdTile in LowerTernary.cpp), so that the roofline has the same
   help as the kernel it is the bound of. */
static long long read_bytes(const char *p, size_t bytes, size_t ahead) {
  const __m256i *v = (const __m256i *)p;
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (size_t i = 0; i < bytes / 32; i += 4) {
    if (ahead && (i & 127) == 0)
      _mm_prefetch((const char *)(v + i) + ahead, _MM_HINT_T0);
    a = _mm256_add_epi64(a, v[i]);
    b = _mm256_add_epi64(b, v[i + 1]);
    c = _mm256_add_epi64(c, v[i + 2]);
    d = _mm256_add_epi64(d, v[i + 3]);
  }
  __m256i s = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
  return _mm256_extract_epi64(s, 0);
}
/* One chunk read through the pool as the layers' 2-thread runs are: each
   task reads its half. */
struct chunk { const char *p; size_t ahead; long long sum[2]; };
static void read_task(void *ctx, int32_t task, int32_t worker) {
  struct chunk *c = ctx;
  c->sum[task] = read_bytes(c->p + task * (CHUNK / 2), CHUNK / 2, c->ahead);
}

/* Per-call times of one variant over the rounds: the per-call figure is
   the median over the rounds of each round's median (time slices lost to
   other processes hit a few calls, not the median), the whole-pass one
   the shortest round's sum. */
struct timing { double *call, med[REPS], whole[REPS]; int calls; };
static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static double median(double *v, int n) {
  qsort(v, n, sizeof *v, by_value);
  return n %% 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
static void finish_round(struct timing *t, int rep) {
  double sum = 0;
  for (int i = 0; i < t->calls; ++i) sum += t->call[i];
  t->whole[rep] = sum;
  t->med[rep] = median(t->call, t->calls);
}
static void report(const char *what, int threads, struct timing *t, double work) {
  double best = t->whole[0];
  for (int r = 1; r < REPS; ++r)
    if (t->whole[r] < best) best = t->whole[r];
  /* work per call / time: bytes/s (reads), weights/s (int8), seconds per layer */
  double med = median(t->med, REPS);
  if (work > 0)
    printf("%%s %%d %%.6e %%.6e\n", what, threads, work / med, work * t->calls / best);
  else
    printf("%%s %%d %%.9e %%.9e\n", what, threads, med, best / t->calls);
}

int main(void) {
  static int8_t in[K];
  static int32_t out[N];
  void *arena = aligned_alloc(64, %(arena)d + 64);
  for (int i = 0; i < K; ++i) in[i] = x8[i] = (int8_t)(i * 37 + 11);
  w8 = aligned_alloc(64, (size_t)K * N * INT8_COPIES);
  for (size_t i = 0; i < (size_t)K * N * INT8_COPIES; ++i)
    w8[i] = (int8_t)(i * 13 + 5 + i / ((size_t)K * N));
  sieve_pool *pool = THREADS > 1 ? sieve_pool_create(THREADS) : 0;
  find_own();
  /* [threads - 1][prefetch]: the reads (2: plain, over the layers' own
     bytes); the int8 GEMV [prefetch]; the ternary layers [threads - 1]. */
  struct timing rd[2][3], i8[2], ly[2];
  for (int t = 0; t < 2; ++t) {
    for (int pf = 0; pf < 3; ++pf) {
      rd[t][pf].calls = pf == 2 ? own_chunks : CHUNKS;
      rd[t][pf].call = malloc(sizeof(double) * rd[t][pf].calls);
    }
    i8[t].calls = INT8_COPIES;
    i8[t].call = malloc(sizeof(double) * INT8_COPIES);
    ly[t].calls = LAYERS;
    ly[t].call = malloc(sizeof(double) * LAYERS);
  }
  int32_t check = 0;
  long long sum = 0;
  for (int l = 0; l < LAYERS; ++l) layers[l](in, out, arena, 0, 0); /* page in */
  /* Interleaved, REPS rounds: streaming read (1 and 2 threads, without and
     with prefetch), the int8 GEMV over its matrices (without and with
     prefetch), the ternary layers with 1..THREADS; every call timed. */
  for (int rep = 0; rep < REPS; ++rep) {
    for (int t = 1; t <= THREADS; ++t)
      for (int pf = 0; pf < 3; ++pf) {
        struct timing *tm = &rd[t - 1][pf];
        size_t ahead = pf == 1 ? 8192 : 0;
        for (int c = 0; c < tm->calls; ++c) {
          const char *p = (pf == 2 ? own : (const char *)w8) + c * CHUNK;
          double t0 = now();
          if (t == 1) {
            sum += read_bytes(p, CHUNK, ahead);
          } else {
            struct chunk ck = {p, ahead, {0, 0}};
            sieve_pool_parallel_for(pool, 2, 2, read_task, &ck);
            sum += ck.sum[0] + ck.sum[1];
          }
          tm->call[c] = now() - t0;
        }
        finish_round(tm, rep);
      }
    for (int pf = 0; pf < 2; ++pf) {
      for (int c = 0; c < INT8_COPIES; ++c) {
        double t0 = now();
        gemv_int8(w8 + (size_t)c * K * N, pf ? 8192 : 0);
        i8[pf].call[c] = now() - t0;
        check += y8[0];
      }
      finish_round(&i8[pf], rep);
    }
    for (int t = 1; t <= THREADS; ++t) {
      sieve_parallel_for_fn hook = t > 1 ? sieve_pool_parallel_for : 0;
      for (int l = 0; l < LAYERS; ++l) {
        double t0 = now();
        layers[l](in, out, arena, hook, t > 1 ? pool : 0);
        ly[t - 1].call[l] = now() - t0;
        check += out[l %% N];
      }
      finish_round(&ly[t - 1], rep);
    }
  }
  for (int t = 1; t <= THREADS; ++t) {
    report("stream", t, &rd[t - 1][0], (double)CHUNK);
    report("streampf", t, &rd[t - 1][1], (double)CHUNK);
    report("streamown", t, &rd[t - 1][2], (double)CHUNK);
  }
  report("int8", 1, &i8[0], (double)K * N);
  report("int8pf", 1, &i8[1], (double)K * N);
  for (int t = 1; t <= THREADS; ++t) report("layer", t, &ly[t - 1], 0);
  if (pool) sieve_pool_destroy(pool);
  if (check == 42 || sum == 42) printf(" ");
  return 0;
}
"""


def time_dram(build, work, k, n, kernel, target, llc, threads):
    """Weights streamed from DRAM, for 1 to `threads` threads: one compiled
    GEMV object copied (llvm-objcopy renames its global symbols) until the
    copies' packed weights exceed 4x the LLC, all linked into one program
    and run in sequence, so that every layer reads its own weights, which
    the previous 4 x LLC of reads evicted. The copies hold the same code and
    equal (seeded) weights at distinct addresses: the same work and the same
    bytes from memory as that many distinct layers, without compiling them.
    The same process times, interleaved with the layers (the machine may be
    shared), the streaming read (plain and with a software prefetch) over
    as many distinct int8 matrices as exceed 4x the LLC too, one call per
    chunk of a layer's packed bytes, and the int8 GEMV (the same two ways)
    over them, one call per matrix. Every call is timed; each figure is a
    pair (the median over the rounds of the per-call medians, and from the
    best whole pass). Returns ({"stream": {threads: (B/s, B/s)}, "streampf":
    {threads: ...}, "int8": (weights/s, weights/s), "int8pf": ..., "layer":
    {threads: (s, s)}}, copies, packed bytes)."""
    name, obj, report = compile_layer(build, work, target, 1, k, n, kernel)
    packed = report["ternary"]["layers"][0]["packed_bytes"]
    copies = 4 * llc // packed + 1
    symbols = run([os.path.join(LLVM, "llvm-nm"), "--defined-only", "--extern-only",
                   "--format=just-symbols", obj]).split()
    objs, decls, table = [], [], []
    for i in range(copies):
        copy = os.path.join(work, "dram%d_%s.o" % (i, target))
        flags = []
        for sym in symbols:
            flags += ["--redefine-sym", "%s=c%d_%s" % (sym, i, sym)]
        run([os.path.join(LLVM, "llvm-objcopy")] + flags + [obj, copy])
        objs.append(copy)
        decls.append("int32_t c%d_%s_run_parallel(const int8_t *, int32_t *, void *, "
                     "sieve_parallel_for_fn, void *);" % (i, name))
        table.append("c%d_%s_run_parallel" % (i, name))
    src = os.path.join(work, "dram_%s_main.c" % target)
    with open(src, "w") as f:
        f.write(DRAM_HARNESS % {"decls": "\n".join(decls), "table": ", ".join(table),
                                "k": k, "n": n, "threads": threads,
                                "int8_copies": 4 * llc // (k * n) + 1,
                                "chunk": packed // 128 * 128,
                                "arena": report["memory"]["arena_bytes"]})
    exe = os.path.join(work, "dram_%s.exe" % target)
    pool = os.path.join(ROOT, "runtime", "parallel")
    run([CLANG, "-O2", "-mavx2", "-fuse-ld=lld", "-I", pool, "-I", work, src,
         os.path.join(pool, "sieve_pool.c"), "-pthread", "-o", exe] + objs)
    for copy in objs:
        os.remove(copy)
    result = {"stream": {}, "layer": {}}
    for line in run([exe]).splitlines():
        what, t, med, whole = line.split()
        if what in ("int8", "int8pf"):
            result[what] = (float(med), float(whole))
        else:
            result.setdefault(what, {})[int(t)] = (float(med), float(whole))
    os.remove(exe)
    return result, copies, packed


def icount(build, work, target, k, n, kernel, m=1):
    """Instructions of one run of the layer per weight (and token) under
    QEMU."""
    # A linalg model (the reference of check_model lowers it upstream).
    name = "mcu%dx%d_%s" % (k, n, kernel) + ("_m%d" % m if m > 1 else "")
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as f:
        f.write(run([sys.executable, os.path.join(ROOT, "scripts", "ternary_model.py"),
                     "--m", str(m), "--k", str(k), "--n", str(n), "--name", name]))
    out = run([sys.executable, os.path.join(ROOT, "scripts", "check_model.py"), model,
               "--targets", target, "--work", os.path.join(work, name),
               "--icount-plugin", os.path.join(build, "lib", "libsieve-icount.so"),
               "--sieve-flag=--ternary-kernel=" + kernel],
              env=dict(os.environ, PATH=os.path.join(build, "bin") + os.pathsep +
                       os.environ["PATH"]))
    match = re.search(r"PASS .*?(\d+) instructions", out)
    if not match:
        sys.exit("ternary_bench: no instruction count for %s:\n%s" % (target, out))
    return int(match.group(1)) / (m * k * n)


# Weights that one multiply-add instruction of each kernel consumes.
WEIGHTS_PER_MAC_INSTRUCTION = {"smlad": 2, "vmladav": 16, "sdot": 16, "maddubs": 32,
                               "vpdpbusd": 64}
# Weights per lookup instruction of the lut kernel: a vpshufb covers 32
# channels x 2 weights, a tbl 16 x 2, an MCU table load (ldrsh) 5 weights.
WEIGHTS_PER_LOOKUP = {"x86-64-avx512": 64, "aarch64": 32, "cortex-m4": 5, "cortex-m55": 5}


def mca_cycles_per_weight(build, work, target, cpu, k, n, kernel, m=1):
    """llvm-mca's cycles per weight (and token) of the kernel's innermost
    loop: the largest basic block that holds the multiply-add instruction,
    its weights counted from those instructions (LLVM may unroll it; a GEMM
    tile's instructions count each token's products)."""
    name = "mca%dx%d_%s" % (k, n, kernel) + ("_m%d" % m if m > 1 else "")
    model = os.path.join(work, name + ".mlir")
    layer_model(model, name, m, k, n, 3)
    asm = os.path.join(work, name + "_" + target + ".s")
    run([os.path.join(build, "bin", "sieve-compile"), model, "--target=" + target,
         "--emit=asm", "-o", asm, "--ternary-kernel=" + kernel, "--quiet"])
    marker = {"smlad": "smlad", "vmladav": "vmlava", "sdot": "sdot",
              "maddubs": "vpmaddubsw", "vpdpbusd": "vpdpbusd"}.get(kernel)
    if kernel == "lut":
        marker = {"x86-64-avx512": "vpshufb", "aarch64": "tbl"}.get(target, "ldrsh")
    blocks, current, label = [], [], None
    for line in open(asm):
        s = line.strip()
        if re.match(r"^[.\w$]+:", s) and not s.startswith(".") or s.startswith(".LBB"):
            if current:
                blocks.append((label, current))
            current, label = [], s[:-1]
            continue
        if s and not s.startswith((".", "@", "#", "//", ";")):
            current.append(s)
            if label and s.split()[-1] == label:  # the back edge ends the loop
                blocks.append((label, current))
                current, label = [], None
    if current:
        blocks.append((label, current))
    # A loop body branches back to its own label; straight-line code that
    # also holds the instruction (e.g. a sum of activations) is not the loop.
    candidates = [b for l, b in blocks if any(marker in x for x in b)]
    loops = [b for l, b in blocks if any(marker in x for x in b) and l and
             b[-1].split()[-1] == l]
    loop = max(loops or candidates, key=len, default=None)
    if not loop:
        return None
    triple = {"cortex-m4": "thumbv7em-none-eabihf", "cortex-m55": "thumbv8.1m.main-none-eabihf",
              "aarch64": "aarch64-linux-gnu", "x86-64-avx512": "x86_64-linux-gnu",
              "x86-64-avx2": "x86_64-linux-gnu"}[target]
    text = "\n".join(loop) + "\n"
    out = subprocess.run([os.path.join(LLVM, "llvm-mca"), "-mtriple=" + triple, "-mcpu=" + cpu,
                          "-iterations=100", "-skip-unsupported-instructions=lack-sched"],
                         input=text, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True)
    m = re.search(r"Total Cycles:\s+(\d+)", out.stdout)
    if not m:
        return None
    per = WEIGHTS_PER_LOOKUP[target] if kernel == "lut" else WEIGHTS_PER_MAC_INSTRUCTION[kernel]
    # Table loads of the lookup loop only (not the accumulator's reload).
    weights = per * sum(marker in l for l in loop)
    return int(m.group(1)) / 100 / weights


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--quick", action="store_true", help="4096x4096 only, GEMV and M=32")
    parser.add_argument("--x86-only", action="store_true", help="skip the Cortex-M and "
                        "llvm-mca tables")
    parser.add_argument("--only", choices=["l3", "dram", "threads"],
                        help="one x86 table: weights in the caches, from DRAM, or 1 "
                        "against 2 threads (implies --x86-only)")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    shapes = SHAPES[:1] if args.quick else SHAPES
    tokens = TOKENS[:2] if args.quick else TOKENS

    with tempfile.TemporaryDirectory(prefix="ternary-bench-") as work:
        base_src = os.path.join(work, "baselines.c")
        with open(base_src, "w") as f:
            f.write(BASELINES)
        base_exe = os.path.join(work, "baselines")
        run([CLANG, "-O2", "-mavx2", base_src, "-o", base_exe])
        llc = 260 << 20
        for line in open("/proc/cpuinfo"):
            if line.startswith("cache size"):
                llc = max(llc, int(line.split()[-2]) * 1024)
        stream_bytes = 4 * llc
        # x86 targets timed here: AVX2 always, AVX-512 where the host runs it.
        flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "").split()
        x86 = [("x86-64-avx2", "maddubs")]
        if "avx512_vnni" in flags and "avx512bw" in flags:
            x86.append(("x86-64-avx512", "vpdpbusd"))
        dram_k, dram_n = 4096, 4096
        int8_copies = 4 * llc // (dram_k * dram_n) + 1
        argv = [base_exe, str(stream_bytes)]
        for k, n in shapes:
            argv += [str(k), str(n), "1"]
        base = {}
        for line in run(argv).splitlines():
            parts = line.split()
            if parts[0] == "int8":
                base[(int(parts[1]), int(parts[2]), int(parts[3]))] = float(parts[4])
            else:
                base[parts[0]] = float(parts[1])
        bandwidth, peak = base["stream"], base["peak"]
        print("x86-64 on this machine, 1 thread; in the same run: streaming read %.1f GB/s "
              "(2 threads: %.1f) over %d MiB (4x LLC), int8 multiply-add peak %.1f GMAC/s "
              "(vpmaddubsw ymm%s)" % (
                  bandwidth / 1e9, base["stream2"] / 1e9, stream_bytes >> 20, peak / 1e9,
                  "; vpdpbusd zmm %.1f" % (base["peak512"] / 1e9) if "peak512" in base else ""))
        threads = min(2, os.cpu_count() or 1)
        if args.only in (None, "l3"):
            print("%-11s %4s %-6s %-8s %8s %12s %9s %9s %9s" % (
                "K x N", "M", "isa", "kernel", "us/run", "Gweights/s", "roofline", "vs int8",
                "of peak"))
            for k, n in shapes:
                for m in tokens:
                    for target, kernel in [(t, kk) for t, main_kernel in x86 for kk in (
                            [main_kernel] + (["lut", "portable"] if t == "x86-64-avx2" else [])
                            if m == 1 else [main_kernel])]:
                        seconds, layer = time_layer(build, work, m, k, n, kernel, target=target)
                        per_token = seconds / m
                        wps = k * n / per_token
                        bytes_per_weight = layer["packed_bytes"] / (k * n)
                        roof = bandwidth / bytes_per_weight
                        vs = wps / base[(k, n, 1)] if m == 1 else None
                        isa_peak = base.get("peak512", peak) if target == "x86-64-avx512" else peak
                        of_peak = (m * k * n / seconds) / isa_peak if m > 1 else None
                        print("%-11s %4d %-6s %-8s %8.1f %12.1f %8.0f%% %9s %9s" % (
                            "%dx%d" % (k, n), m, target.replace("x86-64-", ""), kernel,
                            seconds * 1e6, wps / 1e9, 100 * wps / roof,
                            "%.2fx" % vs if vs else "-",
                            "%.0f%%" % (100 * of_peak) if of_peak else "-"))
            print("int8 vpmaddubsw GEMV baseline (1 byte per weight, AVX2): " + ", ".join(
                "%dx%d %.1f Gweights/s" % (k, n, base[(k, n, 1)] / 1e9) for k, n in shapes))
            print("(roofline: the streaming read over 4x LLC divided by the packed bytes per "
                  "weight; shapes whose packed weights fit the LLC can exceed it)")
            print()
        if args.only in (None, "dram"):
            print("Weights from DRAM: %dx%d GEMV layers, copies of one compiled object run in "
                  "sequence (packed weights over 4x LLC); in the same process, interleaved over "
                  "9 rounds, every call timed: the streaming read, plain and with a software "
                  "prefetch of a line 8 KiB ahead per 4 KiB, one call per layer's packed bytes, over %d distinct "
                  "%dx%d int8 matrices (%d MiB), and the int8 GEMV over them, plain and with "
                  "the same prefetch, one call per matrix"
                  % (dram_k, dram_n, int8_copies, dram_k, dram_n,
                     int8_copies * dram_k * dram_n >> 20))
            print("%-6s %-8s %3s %6s %5s %9s %5s %10s %8s %8s %8s %10s %9s %7s %7s %9s" % (
                "isa", "kernel", "thr", "layers", "MiB", "Gweight/s", "GB/s", "read GB/s",
                "roofline", "of plain", "of own", "whole-pass", "int8 Gw/s", "vs int8", "int8+pf",
                "load avg"))
            for target, kernel in x86:
                load0 = os.getloadavg()[0]
                dram, copies, packed = time_dram(build, work, dram_k, dram_n, kernel, target,
                                                 llc, threads)
                load = "%.1f-%.1f" % tuple(sorted((load0, os.getloadavg()[0])))
                per_weight = packed / (dram_k * dram_n)
                for t in sorted(dram["layer"]):
                    # [0]: per-call medians, [1]: the best whole pass.
                    wps = [dram_k * dram_n / s for s in dram["layer"][t]]
                    plain, pf = dram["stream"][min(t, 2)], dram["streampf"][min(t, 2)]
                    roof = [100 * wps[i] * per_weight / max(plain[i], pf[i]) for i in (0, 1)]
                    own = dram["streamown"][min(t, 2)]
                    print("%-6s %-8s %3d %6d %5d %9.1f %5.1f %10s %7.0f%% %7.0f%% %7.0f%% "
                          "%9.0f%% %9s %7s %7s %9s" % (
                              target.replace("x86-64-", ""), kernel, t, copies,
                              copies * packed >> 20, wps[0] / 1e9, wps[0] * per_weight / 1e9,
                              "%.1f/%.1f" % (plain[0] / 1e9, pf[0] / 1e9), roof[0],
                              100 * wps[0] * per_weight / plain[0],
                              100 * wps[0] * per_weight / own[0], roof[1],
                              "%.1f" % (dram["int8"][0] / 1e9) if t == 1 else "-",
                              "%.2fx" % (wps[0] / dram["int8"][0]) if t == 1 else "-",
                              "%.2fx" % (wps[0] / dram["int8pf"][0]) if t == 1 else "-", load))
            print("(per-call medians: every layer call, every read of a layer's packed bytes "
                  "and every int8 GEMV call timed, the median over the rounds of each round's "
                  "median; read GB/s: the streaming read with as many threads (2: through the "
                  "same pool), plain / with prefetch; roofline: the better of the two divided "
                  "by the packed bytes per weight; of plain: against the plain read alone; of "
                  "own: against the plain read of the layers' own weights (the program's "
                  "read-only segment), a diagnostic; "
                  "whole-pass: the roofline from the best whole passes instead; vs int8: "
                  "against the plain int8 GEMV (the issue's baseline), int8+pf: against it "
                  "given the same prefetch; load avg: the 1-minute load average before and "
                  "after, on %d cores)" % (os.cpu_count() or 1))
            print()
        if args.only in (None, "threads"):
            print("Through the parallel-for hook (sieve_pool, %d threads) against 1 thread (a "
                  "NULL hook), same object and process, alternating, best of 20; 'calib': the "
                  "speed-up of a memory-free multiply chain through the same pool in the same "
                  "window (what the machine's load left to the other threads; %d cores)"
                  % (threads, os.cpu_count() or 1))
            print("%-11s %4s %-6s %-8s %11s %11s %7s %7s %9s" % (
                "K x N", "M", "isa", "kernel", "1 thr Gw/s", "%d thr Gw/s" % threads, "ratio",
                "calib", "load avg"))
            for k, n in shapes:
                for m in tokens[:2]:
                    for target, kernel in x86:
                        load0 = os.getloadavg()[0]
                        (many, one, calib), _ = time_layer(build, work, m, k, n, kernel, threads,
                                                           target=target)
                        print("%-11s %4d %-6s %-8s %11.1f %11.1f %6.2fx %6.2fx %9s" % (
                            "%dx%d" % (k, n), m, target.replace("x86-64-", ""), kernel,
                            m * k * n / one / 1e9, m * k * n / many / 1e9, one / many, calib,
                            "%.1f-%.1f" % tuple(sorted((load0, os.getloadavg()[0])))))

        if args.x86_only or args.only:
            return
        print("\nCortex-M (QEMU icount, one run with its callees; llvm-mca on the kernel's inner loop)")
        print("%-11s %-9s %-8s %12s %14s" % ("target", "K x N", "kernel", "instr/weight",
                                             "mca cyc/weight"))
        for target, cpu, kernel in (("cortex-m4", "cortex-m4", "smlad"),
                                    ("cortex-m4", "cortex-m4", "lut"),
                                    ("cortex-m55", "cortex-m55", "vmladav"),
                                    ("cortex-m55", "cortex-m55", "lut")):
            for k, n in ((1024, 64), (1024, 256), (2560, 640)):
                if args.quick and n != 256:
                    continue
                ipw = icount(build, work, target, k, n, kernel)
                mca = mca_cycles_per_weight(build, work, target, cpu, k, n, kernel)
                print("%-11s %-9s %-8s %12.3f %14s" % (target, "%dx%d" % (k, n), kernel, ipw,
                                                     "%.3f" % mca if mca else "-"))
        for target, cpu, kernel in (("aarch64", "cortex-a76", "sdot"),
                                    ("aarch64", "cortex-a76", "lut"),
                                    ("x86-64-avx2", "znver3", "maddubs"),
                                    ("x86-64-avx512", "icelake-server", "vpdpbusd"),
                                    ("x86-64-avx512", "icelake-server", "lut")):
            mca = mca_cycles_per_weight(build, work, target, cpu, 1024, 64, kernel)
            print("%-11s %-9s %-8s %12s %14s" % (target.replace("x86-64-", "x86-"), "1024x64",
                                                 kernel, "-", "%.3f" % mca if mca else "-"))

        aarch64_gemm_rows(build, work, args.quick)


def aarch64_gemm_rows(build, work, quick):
    """AArch64 sdot, GEMV against GEMM (prefill): llvm-mca (Cortex-A76) cycles
    per weight and token of the inner loop (the GEMM's is the tile of
    several tokens sharing each masked weight vector), and QEMU's
    instructions per weight and token over a whole run; ggml's TQ2_0 NEON
    loop, compiled the same way, takes 0.121 cycles per weight
    (docs/ternary.md)."""
    print("\nAArch64 sdot, GEMV and GEMM (llvm-mca -mcpu=cortex-a76 on the inner loop, "
          "per weight and token; qemu-aarch64 instructions per weight and token, one run)")
    print("%-11s %4s %-8s %14s %12s" % ("K x N", "M", "kernel", "mca cyc/weight",
                                         "instr/weight"))
    shapes = ((1024, 64), (4096, 4096)) + (() if quick else ((2560, 6912),))
    for k, n in shapes:
        for m in (1, 32):
            mca = mca_cycles_per_weight(build, work, "aarch64", "cortex-a76", k, n, "sdot", m)
            # QEMU runs the 1024x64 layer only: a large one takes minutes.
            ipw = icount(build, work, "aarch64", k, n, "sdot", m) if n == 64 else None
            print("%-11s %4d %-8s %14s %12s" % ("%dx%d" % (k, n), m, "sdot",
                                                "%.3f" % mca if mca else "-",
                                                "%.3f" % ipw if ipw else "-"))


if __name__ == "__main__":
    main()
