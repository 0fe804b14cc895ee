#!/usr/bin/env python3
"""int8 convolutions: Sieve's kernels against XNNPACK, in one run (issue 9).

The four MobileNetV2-style layers of ANCHORS.md section 6 (and, unless
--layers-only, the whole MobileNetV2-0.35 at 144: XNNPACK runs it as one
operator per layer with the same weights and scales), each
a TOSA convolution with TFLite-style per-channel requantisation and seeded
weights, compiled by sieve-compile for x86-64-avx2 with the generic loops
(--int8-kernels=generic) and with the vector kernels (--int8-kernels=vector),
and, when this host has AVX-512 VNNI, for x86-64-avx512 with its vector
kernels (vpdpbusd) too, and the same layer through XNNPACK (Debian's
libxnnpack-dev, a bench-only dependency: `xnn_create_convolution2d_nhwc_qc8`,
the same weights, bias and per-channel scales; it requantises in fp32, so
outputs may differ by 1 from TOSA's integer rounding, which the bench counts
but does not require to be zero). The AVX2 builds are compared with XNNPACK
restricted to its AVX2 kernels (see XNN_ISA_C), the AVX-512 build with what
XNNPACK picks on this host (its AVX-512BW kernels), each pair in one
process. One thread; in one process the builds alternate, 8 runs of 101
calls each, and the minimum thread CPU time per call is kept (the machine
is shared). Prints GMAC/s and the ratio of Sieve's time to XNNPACK's (at
most 1.0 is issue 9's target).

    int8_bench.py BUILD_DIR [--layers-only] [--json FILE]

Standard library only, plus LLVM 22's clang, libXNNPACK and libcpuinfo (its
dependency).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "gen"))
import sieve_modelgen  # noqa: E402

CLANG = "/usr/lib/llvm-22/bin/clang"

# name, input (h, w, c), output channels, kernel, stride, depthwise
LAYERS = [
    ("L1_stem_3x3s2_3to32", (144, 144, 3), 32, 3, 2, False),
    ("L2_1x1_16to96", (36, 36, 16), 96, 1, 1, False),
    ("L3_dw3x3_96", (36, 36, 96), 96, 3, 1, True),
    ("L4_1x1_96to32", (18, 18, 96), 32, 1, 1, False),
]


class RecordingModule(sieve_modelgen.Module):
    """Keeps every constant the generator asks for, in order."""

    def __init__(self, seed):
        super().__init__(seed)
        self.recorded = []

    def const(self, values, shape, etype, fmt):
        self.recorded.append(list(values))
        return super().const(values, shape, etype, fmt)


def layer_model(name, hwc, cout, k, stride, depthwise, seed=9):
    m = RecordingModule(seed)
    net = sieve_modelgen.Int8Net(m)
    shape = [1] + list(hwc)
    y, out_shape, out_zp = net.conv("%input", shape, -128, cout, k, stride,
                                    relu6=True, depthwise=depthwise)
    # conv: weights, bias, input zp, weight zp; rescale: multipliers,
    # shifts, input zp, output zp.
    weights, bias, _, _, mults, shifts = m.recorded[:6]
    text = sieve_modelgen.int8_function(m, name, shape, (y, out_shape))
    n, h, w, c = shape
    pad_h = max((out_shape[1] - 1) * stride + k - h, 0)
    pad_w = max((out_shape[2] - 1) * stride + k - w, 0)
    return text, {
        "weights": weights, "bias": bias,
        "scales": [mu / float(1 << s) for mu, s in zip(mults, shifts)],
        "pad": [pad_h // 2, pad_w - pad_w // 2, pad_h - pad_h // 2, pad_w // 2],
        "in": shape, "out": out_shape, "out_zp": out_zp,
        "macs": out_shape[1] * out_shape[2] * out_shape[3] * k * k * (1 if depthwise else c),
    }


# XNNPACK (Debian 12's, git 2022-02-16 ae108ef) picks its kernels once, in
# xnn_initialize(), from libcpuinfo's cpuinfo_isa flags: with AVX-512
# F/BW/DQ/VL its qc8 GEMM is 4x16c8__avx512skx and its depthwise
# up32x9__avx512skx_mul32 (vpmaddwd on zmm; this XNNPACK has no VNNI
# kernel), otherwise on AVX2 3x8c8__avx2 and up16x9__avx2_mul32 (checked
# with perf on this host: zmm, then ymm, in the hot loops). A harness run
# with the argument `avx2` clears the AVX-512 flags before XNNPACK reads
# them, so that the AVX2 kernels compare with XNNPACK's AVX2 ones.
XNN_ISA_C = r"""
#include <stdbool.h>
#include <string.h>
/* libcpuinfo's struct cpuinfo_x86_isa (Debian 12: git 2022-06-17 082deff)
   on x86-64 is a run of bools: avx 22, fma3 23, fma4 24, xop 25, f16c 26,
   avx2 27, avx512f 28 ... avx512_4fmaps 44. */
extern unsigned char cpuinfo_isa[];
bool cpuinfo_initialize(void);
static int xnn_isa(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "avx2")) return 0;
  if (!cpuinfo_initialize()) return 6;
  /* The layout check: an AVX-512 host without FMA4 and XOP. */
  static const unsigned char expect[] = {1, 1, 0, 0, 1, 1, 1};
  if (memcmp(cpuinfo_isa + 22, expect, sizeof expect)) {
    printf("libcpuinfo's cpuinfo_isa layout is not the one expected\n");
    return 6;
  }
  memset(cpuinfo_isa + 28, 0, 44 - 28 + 1);
  return 0;
}
"""

HARNESS = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>
#include "%(generic)s.h"
#include "%(vector)s.h"
#if AVX512
#include "%(avx512)s.h"
#endif
%(xnn_isa)s
static const int8_t weights[] = {%(weights)s};
static const int32_t bias[] = {%(bias)s};
static const float scales[] = {%(scales)s};
static int8_t in[%(in_size)d], out_x[%(out_size)d], out_g[%(out_size)d],
    out_v[%(out_size)d], out_z[%(out_size)d];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  for (int i = 0; i < %(in_size)d; ++i) in[i] = (int8_t)(i * 37 + 11);
  int isa = xnn_isa(argc, argv);
  if (isa) return isa;
  if (xnn_initialize(NULL) != xnn_status_success) return 2;
  xnn_operator_t op = NULL;
  int dw = %(depthwise)d;
  if (xnn_create_convolution2d_nhwc_qc8(
          %(pad_top)d, %(pad_right)d, %(pad_bottom)d, %(pad_left)d, %(k)d, %(k)d,
          %(stride)d, %(stride)d, 1, 1, dw ? %(cin)d : 1, dw ? 1 : %(cin)d,
          dw ? 1 : %(cout)d, %(cin)d, %(cout)d, -128, 1.0f, scales, weights, bias,
          %(out_zp)d, 1.0f, -128, 127, dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0,
          &op) != xnn_status_success)
    return 3;
  if (xnn_setup_convolution2d_nhwc_qc8(op, 1, %(h)d, %(w)d, in, out_x, NULL) !=
      xnn_status_success)
    return 4;
  void *arena_g = aligned_alloc(64, %(arena_g)d + 64);
  void *arena_v = aligned_alloc(64, %(arena_v)d + 64);
  void *arena_z = aligned_alloc(64, %(arena_z)d + 64);
  double best[4] = {1e9, 1e9, 1e9, 1e9};
  for (int run = 0; run < 8; ++run) {
    for (int which = 0; which < 3 + AVX512; ++which) {
      double t0 = now();
      for (int r = 0; r < 101; ++r) {
        if (which == 0) xnn_run_operator(op, NULL);
        else if (which == 1) %(generic)s_run(in, out_g, arena_g);
        else if (which == 2) %(vector)s_run(in, out_v, arena_v);
#if AVX512
        else %(avx512)s_run(in, out_z, arena_z);
#endif
      }
      double t = (now() - t0) / 101;
      if (t < best[which]) best[which] = t;
    }
  }
  int exact = 0, off1 = 0, worse = 0;
  for (int i = 0; i < %(out_size)d; ++i) {
    if (out_v[i] != out_g[i]) { printf("MISMATCH %%d\n", i); return 5; }
    if (AVX512 && out_z[i] != out_g[i]) { printf("MISMATCH avx512 %%d\n", i); return 5; }
    int d = out_v[i] - out_x[i];
    if (d == 0) ++exact; else if (d == 1 || d == -1) ++off1; else ++worse;
  }
  printf("%%.9f %%.9f %%.9f %%d %%d %%d %%.9f\n", best[0], best[1], best[2], exact,
         off1, worse, best[3]);
  return 0;
}
"""


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode:
        sys.exit("int8_bench: %s failed (%d):\n%s%s" % (
            " ".join(cmd), r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def host_has_avx512():
    """Whether this host runs the x86-64-avx512 target (AVX-512 BW and VNNI)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next((l for l in f if l.startswith("flags")), "").split())
    except OSError:
        return False
    return {"avx512f", "avx512bw", "avx512_vnni"} <= flags


AVX512 = host_has_avx512()

# libcpuinfo by its soname: Debian ships no libcpuinfo.so without -dev.
XNN_LIBS = ["-lXNNPACK", "-l:libcpuinfo.so.0", "-lm"]


def variants():
    """(name, target, kernels) of the Sieve builds each bench compares."""
    v = [("generic", "x86-64-avx2", "generic"), ("vector", "x86-64-avx2", "vector")]
    if AVX512:
        v.append(("avx512", "x86-64-avx512", "vector"))
    return v


def compile_model(build, work, model, name, kernels, target="x86-64-avx2"):
    obj = os.path.join(work, name + ".o")
    report = os.path.join(work, name + ".json")
    run([os.path.join(build, "bin", "sieve-compile"), model, "--target=" + target,
         "-o", obj, "--name=" + name, "--report=" + report, "--threads=1",
         "--int8-kernels=" + kernels, "--quiet"])
    with open(report) as f:
        return obj, json.load(f)


def bench_layer(build, work, layer):
    name, hwc, cout, k, stride, depthwise = layer
    text, p = layer_model(name, hwc, cout, k, stride, depthwise)
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as f:
        f.write(text)
    objs, reports = {}, {}
    for variant, target, kernels in variants():
        objs[variant], reports[variant] = compile_model(
            build, work, model, "%s_%s" % (name, variant), kernels, target)
    src = os.path.join(work, name + "_main.c")
    with open(src, "w") as f:
        f.write(HARNESS % {
            "generic": name + "_generic", "vector": name + "_vector",
            "avx512": name + "_avx512", "xnn_isa": XNN_ISA_C,
            "arena_z": reports["avx512"]["memory"]["arena_bytes"] if AVX512 else 0,
            "weights": ",".join(map(str, p["weights"])),
            "bias": ",".join(map(str, p["bias"])),
            "scales": ",".join("%.10ef" % s for s in p["scales"]),
            "in_size": hwc[0] * hwc[1] * hwc[2],
            "out_size": p["out"][1] * p["out"][2] * p["out"][3],
            "depthwise": int(depthwise),
            "pad_top": p["pad"][0], "pad_right": p["pad"][1],
            "pad_bottom": p["pad"][2], "pad_left": p["pad"][3],
            "k": k, "stride": stride, "cin": hwc[2], "cout": cout,
            "out_zp": p["out_zp"], "h": hwc[0], "w": hwc[1],
            "arena_g": reports["generic"]["memory"]["arena_bytes"],
            "arena_v": reports["vector"]["memory"]["arena_bytes"]})
    # Debian's xnnpack.h includes <pthreadpool.h>, which only libpthreadpool-dev
    # ships; the bench runs on the caller's thread (NULL pool) and needs just
    # the handle's type.
    with open(os.path.join(work, "pthreadpool.h"), "w") as f:
        f.write("typedef struct pthreadpool* pthreadpool_t;\n")
    exe = os.path.join(work, name + ".exe")
    run([CLANG, "-O2", "-DAVX512=%d" % AVX512, "-I", work, src] + list(objs.values()) +
        XNN_LIBS + ["-o", exe])
    # AVX2 against XNNPACK's AVX2 kernels; on an AVX-512 host, in a second
    # process, AVX-512 against XNNPACK's AVX-512 ones.
    fields = run([exe, "avx2"] if AVX512 else [exe]).split()
    tx, tg, tv = map(float, fields[:3])
    exact, off1, worse = map(int, fields[3:6])
    tx512 = tz = None
    if AVX512:
        fields = run([exe]).split()
        tx512, tz = float(fields[0]), float(fields[6])
    kernel = [l["kernel"] for l in reports["vector"].get("int8", {}).get("layers", [])]
    return {"layer": name, "macs": p["macs"], "xnnpack_s": tx, "generic_s": tg,
            "vector_s": tv, "kernel": ",".join(kernel),
            "xnnpack_gmacs": p["macs"] / tx / 1e9, "generic_gmacs": p["macs"] / tg / 1e9,
            "vector_gmacs": p["macs"] / tv / 1e9,
            "ratio_generic": tg / tx, "ratio_vector": tv / tx,
            "xnnpack512_s": tx512, "avx512_s": tz,
            "ratio_avx512": tz / tx512 if tz else None,
            "kernel_avx512": ",".join(
                l["kernel"] for l in reports["avx512"].get("int8", {}).get("layers", []))
            if AVX512 else None,
            "agree_with_xnnpack": exact, "off_by_one": off1, "worse": worse,
            "weight_bytes": reports["vector"]["memory"].get("weight_bytes")}


class RecordingNet(sieve_modelgen.Int8Net):
    """Keeps each layer's parameters, in order, for XNNPACK's operators."""

    def __init__(self, m, name_prefix=""):
        super().__init__(m, name_prefix)
        self.layers = []

    def conv(self, x, shape, zp, cout, k, stride, relu6=True, depthwise=False):
        first = len(self.m.recorded)
        y, out_shape, out_zp = super().conv(x, shape, zp, cout, k, stride, relu6, depthwise)
        # weights, bias, input zp, weight zp, multipliers, shifts, ...
        weights, bias, _, _, mults, shifts = self.m.recorded[first:first + 6]
        pad_h = max((out_shape[1] - 1) * stride + k - shape[1], 0)
        pad_w = max((out_shape[2] - 1) * stride + k - shape[2], 0)
        self.layers.append({
            "kind": "conv", "x": x, "y": y, "in": shape, "out": out_shape, "k": k,
            "stride": stride, "depthwise": depthwise, "weights": weights, "bias": bias,
            "scales": [mu / float(1 << s) for mu, s in zip(mults, shifts)],
            "pad": [pad_h // 2, pad_w - pad_w // 2, pad_h - pad_h // 2, pad_w // 2],
            "in_zp": zp, "out_zp": out_zp})
        return y, out_shape, out_zp

    def add(self, a, b, shape, zp_a, zp_b):
        first = len(self.m.recorded)
        y, out_zp = super().add(a, b, shape, zp_a, zp_b)
        # Three rescales (multipliers, shifts, zero points each): a, b, sum.
        r = self.m.recorded[first:]
        sa, sb, so = (r[i][0] / float(1 << r[i + 1][0]) for i in (0, 4, 8))
        self.layers.append({"kind": "add", "a": a, "b": b, "y": y, "shape": shape,
                            "zp_a": zp_a, "zp_b": zp_b, "scale_a": sa * so,
                            "scale_b": sb * so, "out_zp": out_zp})
        return y, out_zp

    def avgpool(self, x, shape, zp):
        y, out_shape = super().avgpool(x, shape, zp)
        self.layers.append({"kind": "pool", "x": x, "y": y, "shape": shape, "zp": zp})
        return y, out_shape


def mobilenetv2_layers(width, resolution, seed):
    """The generator's MobileNetV2 text and its layers' parameters."""
    nets = []

    class Net(RecordingNet):
        def __init__(self, m, name_prefix=""):
            super().__init__(m, name_prefix)
            nets.append(self)

    saved = sieve_modelgen.Module, sieve_modelgen.Int8Net
    sieve_modelgen.Module, sieve_modelgen.Int8Net = RecordingModule, Net
    try:
        text = sieve_modelgen.build_mobilenetv2(argparse.Namespace(
            width=width, resolution=resolution, seed=seed, classes=1000))
    finally:
        sieve_modelgen.Module, sieve_modelgen.Int8Net = saved
    return text, nets[0].layers


def xnnpack_network_c(layers):
    """C that creates one XNNPACK operator per layer (qc8 convolutions,
    qs8 add, qs8 global average pooling) between static buffers, and
    xnn_net_run() that runs them in order."""
    bufs = {"%input": "in"}
    decl, create = [], []

    def buf(name, size):
        if name not in bufs:
            bufs[name] = "b%d" % len(bufs)
            decl.append("static int8_t %s[%d];" % (bufs[name], size))
        return bufs[name]

    for i, l in enumerate(layers):
        if l["kind"] == "conv":
            n, h, w, cin = l["in"]
            cout = l["out"][3]
            dw = l["depthwise"]
            out = buf(l["y"], l["out"][1] * l["out"][2] * cout)
            decl.append("static const int8_t w%d[] = {%s};" % (i, ",".join(map(str, l["weights"]))))
            decl.append("static const int32_t bias%d[] = {%s};" % (i, ",".join(map(str, l["bias"]))))
            decl.append("static const float s%d[] = {%s};" % (i, ",".join("%.10ef" % s for s in l["scales"])))
            create.append(
                "  if (xnn_create_convolution2d_nhwc_qc8(%d, %d, %d, %d, %d, %d, %d, %d, 1, 1, "
                "%d, %d, %d, %d, %d, %d, 1.0f, s%d, w%d, bias%d, %d, 1.0f, -128, 127, %s, &ops[%d]) "
                "!= xnn_status_success) return 3;" % (
                    l["pad"][0], l["pad"][1], l["pad"][2], l["pad"][3], l["k"], l["k"],
                    l["stride"], l["stride"], cin if dw else 1, 1 if dw else cin,
                    1 if dw else cout, cin, cout, l["in_zp"], i, i, i, l["out_zp"],
                    "XNN_FLAG_DEPTHWISE_CONVOLUTION" if dw else "0", i))
            create.append(
                "  if (xnn_setup_convolution2d_nhwc_qc8(ops[%d], 1, %d, %d, %s, %s, NULL) "
                "!= xnn_status_success) return 4;" % (i, h, w, bufs[l["x"]], out))
        elif l["kind"] == "add":
            size = l["shape"][1] * l["shape"][2] * l["shape"][3]
            out = buf(l["y"], size)
            create.append(
                "  if (xnn_create_add_nd_qs8(%d, %.10ef, %d, %.10ef, %d, 1.0f, -128, 127, 0, "
                "&ops[%d]) != xnn_status_success) return 3;" % (
                    l["zp_a"], l["scale_a"], l["zp_b"], l["scale_b"], l["out_zp"], i))
            create.append(
                "  { size_t shape[1] = {%d}; if (xnn_setup_add_nd_qs8(ops[%d], 1, shape, 1, "
                "shape, %s, %s, %s, NULL) != xnn_status_success) return 4; }" % (
                    size, i, bufs[l["a"]], bufs[l["b"]], out))
        else:
            n, h, w, c = l["shape"]
            out = buf(l["y"], c)
            create.append(
                "  if (xnn_create_global_average_pooling_nwc_qs8(%d, %d, %d, %d, 1.0f, %d, 1.0f, "
                "-128, 127, 0, &ops[%d]) != xnn_status_success) return 3;" % (
                    c, c, c, l["zp"], l["zp"], i))
            create.append(
                "  if (xnn_setup_global_average_pooling_nwc_qs8(ops[%d], 1, %d, %s, %s, NULL) "
                "!= xnn_status_success) return 4;" % (i, h * w, bufs[l["x"]], out))
    return "\n".join(decl + [
        "static xnn_operator_t ops[%d];" % len(layers),
        "static int xnn_net_create(void) {",
        "  if (xnn_initialize(NULL) != xnn_status_success) return 2;"] + create + [
        "  return 0;", "}",
        "static void xnn_net_run(void) {",
        "  for (int i = 0; i < %d; ++i) xnn_run_operator(ops[i], NULL);" % len(layers),
        "}"])


NET_HARNESS = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xnnpack.h>
#include "%(generic)s.h"
#include "%(vector)s.h"
#if AVX512
#include "mbv2_avx512.h"
#endif
%(xnn_isa)s
static int8_t in[%(in_size)d], out_g[%(out_size)d], out_v[%(out_size)d], out_z[%(out_size)d];
%(xnnpack)s
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char **argv) {
  for (int i = 0; i < %(in_size)d; ++i) in[i] = (int8_t)(i * 37 + 11);
  int status = xnn_isa(argc, argv);
  if (status) return status;
  status = xnn_net_create();
  if (status) return status;
  void *ag = aligned_alloc(64, %(arena_g)d + 64), *av = aligned_alloc(64, %(arena_v)d + 64);
  void *az = aligned_alloc(64, %(arena_z)d + 64);
  double best[4] = {1e9, 1e9, 1e9, 1e9};
  for (int run = 0; run < 8; ++run)
    for (int which = 0; which < 3 + AVX512; ++which) {
      double t0 = now();
      for (int r = 0; r < 5; ++r)
        if (which == 0) xnn_net_run();
        else if (which == 1) %(generic)s_run(in, out_g, ag);
        else if (which == 2) %(vector)s_run(in, out_v, av);
#if AVX512
        else mbv2_avx512_run(in, out_z, az);
#endif
      double t = (now() - t0) / 5;
      if (t < best[which]) best[which] = t;
    }
  for (int i = 0; i < %(out_size)d; ++i)
    if (out_g[i] != out_v[i] || (AVX512 && out_g[i] != out_z[i])) {
      printf("MISMATCH %%d\n", i);
      return 5;
    }
  printf("%%.9f %%.9f %%.9f %%.9f\n", best[0], best[1], best[2], best[3]);
  return 0;
}
"""


def bench_network(build, work):
    """MobileNetV2-0.35 at 144: XNNPACK (one operator per layer, the same
    weights and scales), Sieve generic and Sieve vector, in one process."""
    text, layers = mobilenetv2_layers(0.35, 144, 7)
    model = os.path.join(work, "mbv2.mlir")
    with open(model, "w") as f:
        f.write(text)
    objs, reports = {}, {}
    for variant, target, kernels in variants():
        objs[variant], reports[variant] = compile_model(
            build, work, model, "mbv2_" + variant, kernels, target)
    src = os.path.join(work, "mbv2_main.c")
    with open(src, "w") as f:
        f.write(NET_HARNESS % {"generic": "mbv2_generic", "vector": "mbv2_vector",
                               "in_size": 144 * 144 * 3, "out_size": 1000,
                               "xnnpack": xnnpack_network_c(layers), "xnn_isa": XNN_ISA_C,
                               "arena_g": reports["generic"]["memory"]["arena_bytes"],
                               "arena_v": reports["vector"]["memory"]["arena_bytes"],
                               "arena_z": reports["avx512"]["memory"]["arena_bytes"]
                               if AVX512 else 0})
    with open(os.path.join(work, "pthreadpool.h"), "w") as f:
        f.write("typedef struct pthreadpool* pthreadpool_t;\n")
    exe = os.path.join(work, "mbv2.exe")
    run([CLANG, "-O2", "-DAVX512=%d" % AVX512, "-I", work, src] + list(objs.values()) +
        XNN_LIBS + ["-o", exe])
    tx, tg, tv, _ = map(float, run([exe, "avx2"] if AVX512 else [exe]).split())
    tx512 = tz = None
    if AVX512:
        tx512, _, _, tz = map(float, run([exe]).split())
    return {"xnnpack_ms": tx * 1e3, "generic_ms": tg * 1e3, "vector_ms": tv * 1e3,
            "xnnpack512_ms": tx512 * 1e3 if AVX512 else None,
            "avx512_ms": tz * 1e3 if AVX512 else None,
            "ratio_avx512": tz / tx512 if AVX512 else None,
            "speedup": tg / tv, "ratio_vector": tv / tx, "ratio_generic": tg / tx,
            "layers": len(layers), "macs": reports["vector"].get("macs")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build")
    parser.add_argument("--layers-only", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    results = {"layers": [], "xnnpack_kernels": {
        "avx2": "qc8 gemm 3x8c8__avx2, dwconv up16x9__avx2_mul32"}}
    if AVX512:
        results["xnnpack_kernels"]["avx512"] = (
            "qc8 gemm 4x16c8__avx512skx, dwconv up32x9__avx512skx_mul32")
    with tempfile.TemporaryDirectory(prefix="int8_bench_") as work:
        print("int8 convolutions, 1 thread, min of 8 x 101 calls; ratio = Sieve's time / "
              "XNNPACK's time (target: <= 1.0), each in one process")
        print("XNNPACK (Debian 12, git 2022-02-16) runs: AVX2 column: its AVX2 kernels "
              "(%s%s)" % (results["xnnpack_kernels"]["avx2"],
                          ", forced by clearing libcpuinfo's AVX-512 flags" if AVX512 else ""))
        if AVX512:
            print("  AVX-512 column: what it picks on this host, its AVX-512BW kernels "
                  "(%s; vpmaddwd on zmm, no VNNI kernel in this XNNPACK)"
                  % results["xnnpack_kernels"]["avx512"])
        print("%-22s %6s | %8s %8s %6s %6s | %8s %8s %6s  %s" % (
            "", "", "AVX2", "", "", "", "AVX-512" if AVX512 else "", "", "", ""))
        print("%-22s %6s | %8s %8s %6s %6s | %8s %8s %6s  %s" % (
            "layer", "MMACs", "XNNPACK", "Sieve", "ratio", "gen.", "XNNPACK", "Sieve",
            "ratio", "kernel (AVX2; AVX-512)"))
        for layer in LAYERS:
            r = bench_layer(build, work, layer)
            results["layers"].append(r)
            print("%-22s %6.2f | %8.2f %8.2f %6.2f %6.2f | %8s %8s %6s  %s" % (
                r["layer"], r["macs"] / 1e6, r["xnnpack_gmacs"], r["vector_gmacs"],
                r["ratio_vector"], r["ratio_generic"],
                "%.2f" % (r["macs"] / r["xnnpack512_s"] / 1e9) if AVX512 else "-",
                "%.2f" % (r["macs"] / r["avx512_s"] / 1e9) if AVX512 else "-",
                "%.2f" % r["ratio_avx512"] if AVX512 else "-",
                r["kernel"] + ("; " + r["kernel_avx512"] if AVX512 else "")))
        print("(GMAC/s; gen. = the generic loops' ratio; Sieve's outputs equal the generic "
              "loops' bit for bit; XNNPACK's fp32 requantisation agrees on %s of the "
              "outputs, the rest off by one)" % ", ".join(
                  "%.1f%%" % (100.0 * r["agree_with_xnnpack"] /
                              (r["agree_with_xnnpack"] + r["off_by_one"] + r["worse"]))
                  for r in results["layers"]))
        if not args.layers_only:
            net = bench_network(build, work)
            results["mobilenetv2"] = net
            print("%-22s %6.1f | %7.2fms %6.2fms %6.2f %6.2f | %6sms %6sms %6s" % (
                "MobileNetV2-0.35@144", net["macs"] / 1e6 if net["macs"] else 0,
                net["xnnpack_ms"], net["vector_ms"], net["ratio_vector"],
                net["ratio_generic"],
                "%.2f" % net["xnnpack512_ms"] if AVX512 else "-",
                "%.2f" % net["avx512_ms"] if AVX512 else "-",
                "%.2f" % net["ratio_avx512"] if AVX512 else "-"))
            print("(the network: %d layers, XNNPACK one operator per layer; times in ms)"
                  % net["layers"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
