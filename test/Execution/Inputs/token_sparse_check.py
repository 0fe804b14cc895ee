#!/usr/bin/env python3
"""Compiles one attention model with --attention=token-sparse and runs
token_sparse_check.c (the C reference of bench/token_sparse.h) on it, natively
and under qemu-aarch64. Prints the harness's line per target, prefixed by the
target. Standard library only."""

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CLANG = "/usr/lib/llvm-22/bin/clang"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--shape", required=True, help="H,L,D")
    p.add_argument("--causal", action="store_true")
    p.add_argument("--tau", default="0.97")
    p.add_argument("--probe", type=int, default=16)
    p.add_argument("--stride", type=int, default=0)
    p.add_argument("--sinks", type=int, default=4)
    p.add_argument("--recent", type=int, default=0)
    p.add_argument("--mode", default="gen")
    p.add_argument("--noise", default="1.0")
    p.add_argument("--targets", default="x86-64-avx2,aarch64")
    a = p.parse_args()
    h, l, d = a.shape.split(",")
    defines = ["-DCH=" + h, "-DCL=" + l, "-DCD=" + d, "-DTAU=" + a.tau,
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
        subprocess.run(["sieve-compile", a.model, "--target=" + target,
                        "--name=ts", "-o", os.path.join(work, "ts.o"),
                        "--header=" + os.path.join(work, "ts.h"), "--quiet",
                        "--attention=token-sparse", "--tau=" + a.tau,
                        "--attention-probe=%d" % a.probe,
                        "--attention-stride=%d" % a.stride,
                        "--attention-sinks=%d" % a.sinks,
                        "--attention-recent=%d" % a.recent], check=True)
        exe = os.path.join(work, "check")
        cross = ([] if target != "aarch64" else
                 ["--target=aarch64-linux-gnu", "-static", "-fuse-ld=lld"])
        subprocess.run([CLANG, "-O1"] + cross + defines +
                       ["-I", work, "-I", os.path.join(SRC, "bench"),
                        os.path.join(HERE, "token_sparse_check.c"),
                        os.path.join(work, "ts.o"), "-lm", "-o", exe],
                       check=True)
        run = ([exe] if target != "aarch64" else
               ["qemu-aarch64", "-cpu", "cortex-a76", exe])
        r = subprocess.run(run + [a.mode, a.noise], capture_output=True,
                           text=True)
        print(target, r.stdout.strip() or r.stderr.strip())
        failed |= r.returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
