#!/usr/bin/env python3
"""Writes a token-sparse prefill model that fills a KV cache (scores ->
selection -> attn.cache_compact; or, with --from-attention, a plain
attn.attention that sieve-compile --kv-cache rewrites so) and a decode model (attn.cache_append ->
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


def prefill_model(h, hk, l, d, cap, tau, probe, stride, sinks, recent,
                  causal):
    """hk: KV heads (grouped-query when fewer than the h query heads)."""
    x = "tensor<1x%dx%dx%dxf32>" % (h, l, d)
    kx = "tensor<1x%dx%dx%dxf32>" % (hk, l, d)
    c = "tensor<1x%dx%dx%dxf32>" % (hk, cap, d)
    scale = 1.0 / d ** 0.5
    return f"""func.func @pf(%q: {x}, %k: {kx}, %v: {kx}) -> ({c}, {c}, tensor<1xi32>) {{
  %s = attn.token_scores %q, %k {{scale = {scale!r} : f32, probe = {probe}, stride = {stride}{", causal" if causal else ""}}}
      : {x}, {kx} -> tensor<1x{l}xf32>
  %idx, %n = attn.select_tokens %s {{tau = {float(tau)!r} : f32, sinks = {sinks}, recent = {recent}}}
      : tensor<1x{l}xf32> -> tensor<1x{l}xi32>, tensor<1xi32>
  %kc = attn.cache_compact %k, %idx, %n : {kx}, tensor<1x{l}xi32>, tensor<1xi32> -> {c}
  %vc = attn.cache_compact %v, %idx, %n : {kx}, tensor<1x{l}xi32>, tensor<1xi32> -> {c}
  return %kc, %vc, %n : {c}, {c}, tensor<1xi32>
}}
"""


def attention_prefill_model(h, hk, l, d, causal):
    """The prefill as a plain attention: sieve-compile's --kv-cache adds the
    compacted caches and the kept count to its results."""
    x = "tensor<1x%dx%dx%dxf32>" % (h, l, d)
    kx = "tensor<1x%dx%dx%dxf32>" % (hk, l, d)
    scale = 1.0 / d ** 0.5
    return f"""func.func @pf(%q: {x}, %k: {kx}, %v: {kx}) -> {x} {{
  %o = attn.attention %q, %k, %v {{scale = {scale!r} : f32{", causal" if causal else ""}}}
      : {x}, {kx}, {kx} -> {x}
  return %o : {x}
}}
"""


def decode_model(h, hk, d, cap):
    t = "tensor<1x%dx1x%dxf32>" % (h, d)
    t1 = "tensor<1x%dx1x%dxf32>" % (hk, d)
    c = "tensor<1x%dx%dx%dxf32>" % (hk, cap, d)
    scale = 1.0 / d ** 0.5
    return f"""func.func @dc(%q: {t}, %k1: {t1}, %v1: {t1}, %kc: {c}, %vc: {c}, %n: tensor<1xi32>)
    -> ({t}, {c}, {c}, tensor<1xi32>) {{
  %kc2, %vc2, %n2 = attn.cache_append %kc, %vc, %n, %k1, %v1
      : {c}, {c}, tensor<1xi32>, {t1}, {t1} -> {c}, {c}, tensor<1xi32>
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
    p.add_argument("--kv-heads", type=int, default=0,
                   help="KV heads (grouped-query; default: H)")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--causal", action="store_true")
    p.add_argument("--tau", default="0.97")
    p.add_argument("--probe", type=int, default=16)
    p.add_argument("--stride", type=int, default=0)
    p.add_argument("--sinks", type=int, default=4)
    p.add_argument("--recent", type=int, default=0)
    p.add_argument("--targets", default="x86-64-avx2,aarch64")
    p.add_argument("--from-attention", action="store_true",
                   help="prefill model: a plain attn.attention compiled "
                        "with --kv-cache (its output is checked too)")
    a = p.parse_args()
    h, l, d = (int(x) for x in a.shape.split(","))
    hk = a.kv_heads or h
    cap = l + a.steps
    os.makedirs(a.work, exist_ok=True)
    pf = os.path.join(a.work, "pf.mlir")
    dc = os.path.join(a.work, "dc.mlir")
    with open(pf, "w") as f:
        f.write(attention_prefill_model(h, hk, l, d, a.causal)
                if a.from_attention else
                prefill_model(h, hk, l, d, cap, a.tau, a.probe, a.stride,
                              a.sinks, a.recent, a.causal))
    with open(dc, "w") as f:
        f.write(decode_model(h, hk, d, cap))
    defines = ["-DCH=%d" % h, "-DCHK=%d" % hk, "-DCL=%d" % l, "-DCD=%d" % d,
               "-DSTEPS=%d" % a.steps, "-DTAU=" + a.tau,
               "-DPROBE=%d" % a.probe, "-DSTRIDE=%d" % a.stride,
               "-DSINKS=%d" % a.sinks, "-DRECENT=%d" % a.recent,
               "-DCAUSAL=%d" % int(a.causal),
               "-DFROM_ATTENTION=%d" % int(a.from_attention)]
    # The pass options of the prefill model written with the ops, for the
    # one the pass writes.
    pf_flags = ["--tau=" + a.tau, "--attention-probe=%d" % a.probe,
                "--attention-stride=%d" % a.stride,
                "--attention-sinks=%d" % a.sinks,
                "--attention-recent=%d" % a.recent, "--kv-cache=%d" % cap]
    failed = False
    for target in a.targets.split(","):
        if target == "aarch64" and not (shutil.which("qemu-aarch64") and
                os.path.exists("/usr/aarch64-linux-gnu/lib/libc.a")):
            continue
        work = os.path.join(a.work, target)
        os.makedirs(work, exist_ok=True)
        compile_model(pf, target, "pf", work,
                      pf_flags if a.from_attention else ())
        compile_model(dc, target, "dc", work)
        if a.from_attention:
            # The header names the outputs the pass added.
            with open(os.path.join(work, "pf.h")) as f:
                header = f.read()
            names = [n for n in ("key_cache0", "value_cache0", "kept0")
                     if '"%s"' % n in header]
            print(target, "prefill outputs named:", " ".join(names))
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
