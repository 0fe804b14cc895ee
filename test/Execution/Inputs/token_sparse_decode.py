#!/usr/bin/env python3
"""Writes a token-sparse prefill model that fills a KV cache (scores ->
selection -> attn.cache_compact) and a decode model (attn.cache_append ->
attn.cache_attention), compiles both with sieve-compile and runs
token_sparse_decode.c on them, natively and under qemu-aarch64. Prints the
harness's lines per target, prefixed by the target. Standard library only.
The same MLIR text is the model the bench compiles (--emit)."""

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CLANG = "/usr/lib/llvm-22/bin/clang"


def prefill_model(h, l, d, cap, tau, probe, stride, sinks, recent, causal):
    x = "tensor<1x%dx%dx%dxf32>" % (h, l, d)
    c = "tensor<1x%dx%dx%dxf32>" % (h, cap, d)
    scale = 1.0 / d ** 0.5
    return f"""func.func @pf(%q: {x}, %k: {x}, %v: {x}) -> ({c}, {c}, tensor<1xi32>) {{
  %s = attn.token_scores %q, %k {{scale = {scale!r} : f32, probe = {probe}, stride = {stride}{", causal" if causal else ""}}}
      : {x}, {x} -> tensor<1x{l}xf32>
  %idx, %n = attn.select_tokens %s {{tau = {float(tau)!r} : f32, sinks = {sinks}, recent = {recent}}}
      : tensor<1x{l}xf32> -> tensor<1x{l}xi32>, tensor<1xi32>
  %kc = attn.cache_compact %k, %idx, %n : {x}, tensor<1x{l}xi32>, tensor<1xi32> -> {c}
  %vc = attn.cache_compact %v, %idx, %n : {x}, tensor<1x{l}xi32>, tensor<1xi32> -> {c}
  return %kc, %vc, %n : {c}, {c}, tensor<1xi32>
}}
"""


def decode_model(h, d, cap):
    t = "tensor<1x%dx1x%dxf32>" % (h, d)
    c = "tensor<1x%dx%dx%dxf32>" % (h, cap, d)
    scale = 1.0 / d ** 0.5
    return f"""func.func @dc(%q: {t}, %k1: {t}, %v1: {t}, %kc: {c}, %vc: {c}, %n: tensor<1xi32>)
    -> ({t}, {c}, {c}, tensor<1xi32>) {{
  %kc2, %vc2, %n2 = attn.cache_append %kc, %vc, %n, %k1, %v1
      : {c}, {c}, tensor<1xi32>, {t}, {t} -> {c}, {c}, tensor<1xi32>
  %o = attn.cache_attention %q, %kc2, %vc2, %n2 {{scale = {scale!r} : f32}}
      : {t}, {c}, {c}, tensor<1xi32> -> {t}
  return %o, %kc2, %vc2, %n2 : {t}, {c}, {c}, tensor<1xi32>
}}
"""


def compile_model(path, target, name, work, extra=()):
    subprocess.run(["sieve-compile", path, "--target=" + target,
                    "--name=" + name, "-o", os.path.join(work, name + ".o"),
                    "--header=" + os.path.join(work, name + ".h"), "--quiet",
                    "--attention=token-sparse"] + list(extra), check=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--shape", required=True, help="H,L,D")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--causal", action="store_true")
    p.add_argument("--tau", default="0.97")
    p.add_argument("--probe", type=int, default=16)
    p.add_argument("--stride", type=int, default=0)
    p.add_argument("--sinks", type=int, default=4)
    p.add_argument("--recent", type=int, default=0)
    p.add_argument("--targets", default="x86-64-avx2,aarch64")
    a = p.parse_args()
    h, l, d = (int(x) for x in a.shape.split(","))
    cap = l + a.steps
    os.makedirs(a.work, exist_ok=True)
    pf = os.path.join(a.work, "pf.mlir")
    dc = os.path.join(a.work, "dc.mlir")
    with open(pf, "w") as f:
        f.write(prefill_model(h, l, d, cap, a.tau, a.probe, a.stride,
                              a.sinks, a.recent, a.causal))
    with open(dc, "w") as f:
        f.write(decode_model(h, d, cap))
    defines = ["-DCH=%d" % h, "-DCL=%d" % l, "-DCD=%d" % d,
               "-DSTEPS=%d" % a.steps, "-DTAU=" + a.tau,
               "-DPROBE=%d" % a.probe, "-DSTRIDE=%d" % a.stride,
               "-DSINKS=%d" % a.sinks, "-DRECENT=%d" % a.recent,
               "-DCAUSAL=%d" % int(a.causal)]
    failed = False
    for target in a.targets.split(","):
        if target == "aarch64" and not (shutil.which("qemu-aarch64") and
                os.path.exists("/usr/aarch64-linux-gnu/lib/libc.a")):
            continue
        work = os.path.join(a.work, target)
        os.makedirs(work, exist_ok=True)
        compile_model(pf, target, "pf", work)
        compile_model(dc, target, "dc", work)
        exe = os.path.join(work, "check")
        cross = ([] if target != "aarch64" else
                 ["--target=aarch64-linux-gnu", "-static", "-fuse-ld=lld"])
        subprocess.run([CLANG, "-O1"] + cross + defines +
                       ["-I", work, "-I", os.path.join(SRC, "bench"),
                        os.path.join(HERE, "token_sparse_decode.c"),
                        os.path.join(work, "pf.o"), os.path.join(work, "dc.o"),
                        "-lm", "-o", exe], check=True)
        run = ([exe] if target != "aarch64" else
               ["qemu-aarch64", "-cpu", "cortex-a76", exe])
        r = subprocess.run(run, capture_output=True, text=True)
        for line in (r.stdout.strip() or r.stderr.strip()).splitlines():
            print(target, line)
        failed |= r.returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
