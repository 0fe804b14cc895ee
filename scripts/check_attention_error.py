#!/usr/bin/env python3
"""Checks the `error_vs_dense` figure of sieve-attn-logsparse independently.

sieve-attn-logsparse estimates how much replacing a dense causal attention by
a LogSparse pattern changes the model: both forms run on seeded random inputs
of the op's shapes (docs/report.md, "Attention"). This script rebuilds those
inputs from the documented generator, applies the LogSparse patterns as the
paper and docs/generated/Dialects/AttnDialect.md define them (written here
from scratch, not from the compiler's AttentionPattern), and compares the
max/mean relative row errors with the `attn.dense_error` attribute that
sieve-opt writes. Usage: check_attention_error.py WORKDIR
"""
import math, os, re, shutil, struct, subprocess, sys

SIEVE_OPT = shutil.which("sieve-opt") or "sieve-opt"
MASK64 = (1 << 64) - 1

def p2(x): return x > 0 and x & (x - 1) == 0

def keep(variant, w):
    if variant == "plain":
        return lambda p, j: 0 <= p - j and (p == j or p2(p - j))
    if variant == "local":
        return lambda p, j: 0 <= p - j and (p - j < w or p2(p - j - (w - 1)))
    return lambda p, j: 0 <= p - j <= p % w and (p == j or p2(p - j))

def uniform(seed, tensor, index):
    """splitmix64 of (seed << 40) ^ (tensor << 56) ^ index, 24 bits, unit variance."""
    z = ((seed << 40) ^ (tensor << 56) ^ index) & MASK64
    z = (z + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z ^= z >> 31
    return ((z >> 40) / float(1 << 23) - 1.0) * math.sqrt(3.0)

def attend(q, k, v, keys, scale):
    logits = [scale * sum(a * b for a, b in zip(q, k[j])) for j in keys]
    mx = max(logits)
    w = [math.exp(x - mx) for x in logits]
    tot = sum(w)
    return [sum(wi * v[j][c] for wi, j in zip(w, keys)) / tot for c in range(len(v[0]))]

def expected(variant, w, lq, lk, d, dv, scale, seed=1, max_rows=64):
    k = [[uniform(seed, 1, j * d + c) for c in range(d)] for j in range(lk)]
    v = [[uniform(seed, 2, j * dv + c) for c in range(dv)] for j in range(lk)]
    rows = list(range(lq)) if lq <= max_rows else \
        [r * (lq - 1) // (max_rows - 1) for r in range(max_rows)]
    kept = keep(variant, w)
    errs, sq = [], 0.0
    for i in rows:
        p = i + lk - lq
        q = [uniform(seed, 0, i * d + c) for c in range(d)]
        dense = attend(q, k, v, list(range(p + 1)), scale)
        sparse = attend(q, k, v, [j for j in range(p + 1) if kept(p, j)], scale)
        num = math.sqrt(sum((a - b) ** 2 for a, b in zip(sparse, dense)))
        sq += num * num
        errs.append(num / math.sqrt(sum(b * b for b in dense)))
    return max(errs), sum(errs) / len(errs), math.sqrt(sq / (len(rows) * dv)), len(rows)

CASES = [  # variant, window, Lq, Lk, depth, value depth, scale
    ("plain", 0, 40, 40, 16, 16, 0.25),
    ("local", 4, 100, 100, 8, 12, 0.35355339),  # 64 of 100 rows sampled
    ("restart", 16, 24, 90, 8, 8, 0.5),         # queries aligned with the last keys
]

def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    failed = False
    for variant, w, lq, lk, d, dv, scale in CASES:
        qt, kt, vt, ot = ("tensor<2x%dx%dxf32>" % shape for shape in [(lq, d), (lk, d), (lk, dv), (lq, dv)])
        text = ("func.func @f(%%q: %s, %%k: %s, %%v: %s) -> %s {\n"
                "  %%o = attn.attention %%q, %%k, %%v {scale = %r : f32, causal} : %s, %s, %s -> %s\n"
                "  return %%o : %s\n}\n") % (qt, kt, vt, ot, scale, qt, kt, vt, ot, ot)
        path = os.path.join(work, "%s.mlir" % variant)
        open(path, "w").write(text)
        opts = "variant=%s" % variant + (" window=%d" % w if w else "")
        out = subprocess.run([SIEVE_OPT, path, "-sieve-attn-logsparse=" + opts],
                             capture_output=True, text=True, check=True).stdout
        attr = re.search(r"attn.dense_error = \{([^}]*)\}", out).group(1)
        got = {m.group(1): float(m.group(2)) for m in
               re.finditer(r"(\w+) = ([-+0-9.eE]+)", attr)}
        # The op's scale is an f32: the compiler computes with its value.
        f32scale = struct.unpack("f", struct.pack("f", scale))[0]
        mx, mean, rms, rows = expected(variant, w, lq, lk, d, dv, f32scale)
        ok = (abs(got["max_rel"] - mx) <= 1e-6 * mx and abs(got["mean_rel"] - mean) <= 1e-6 * mean
              and abs(got["rms"] - rms) <= 1e-6 * rms and got["rows"] == rows and mx > 1e-3)
        failed |= not ok
        print("%s %s: rows %d, max %.6f (expected %.6f), mean %.6f (expected %.6f), rms %.6f (expected %.6f)" % (
            "PASS" if ok else "FAIL", opts, got["rows"], got["max_rel"], mx, got["mean_rel"], mean, got["rms"], rms))
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
