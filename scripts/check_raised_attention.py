#!/usr/bin/env python3
"""Checks what sieve-raise-attention raises against what the model computes.

Builds exporter-style TOSA attention (heads transposed in front, grouped KV
heads broadcast by reshape/add-zeros/reshape, K transposed, scale, a mask,
the softmax chain, heads transposed back) with a mask from an input, constant
causal, LogSparse (plain, local, restart) and sliding-window masks, and
none. Each model runs through upstream MLIR (check_model.py's reference
pipeline, no Sieve pass) on seeded random inputs; the single attn op that
sieve-raise-attention makes of it is evaluated in Python from its
documented semantics (docs/generated/Dialects/AttnDialect.md: layout, head
groups, alignment, patterns). Usage: check_raised_attention.py WORKDIR
"""
import math, os, random, re, shutil, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_model as cm

SIEVE_OPT = shutil.which("sieve-opt") or "sieve-opt"
B, L, H, HK, D = 1, 8, 4, 2, 16

def p2(x): return x > 0 and x & (x - 1) == 0
PATTERNS = {
    "causal": lambda p, j: j <= p,
    "logsparse": lambda p, j: 0 <= p - j and (p == j or p2(p - j)),
    "local3": lambda p, j: 0 <= p - j and (p - j < 3 or p2(p - j - 2)),
    "restart4": lambda p, j: 0 <= p - j <= p % 4 and (p == j or p2(p - j)),
    "window3": lambda p, j: 0 <= p - j < 3,
}

def model(maskkind):
    """Q [B,L,H,D], K/V [B,L,HK,D] as an exporter holds them; heads moved
    in front, KV broadcast to H heads, K transposed, scale, mask, softmax."""
    G = H // HK
    T = lambda s: "tensor<%sxf32>" % "x".join(map(str, s))
    sh = lambda name, s: '  %%%s = tosa.const_shape {values = dense<[%s]> : tensor<%dxindex>} : () -> !tosa.shape<%d>' % (name, ", ".join(map(str, s)), len(s), len(s))
    a = []
    args = "%%q: %s, %%k: %s, %%v: %s" % (T([B, L, H, D]), T([B, L, HK, D]), T([B, L, HK, D]))
    if maskkind == "arg":
        args += ", %%m: %s" % T([B, 1, 1, L])
    a.append("func.func @f(%s) -> %s {" % (args, T([B, L, H, D])))
    a.append('  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>')
    a.append('  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>')
    a.append('  %zeros = "tosa.const"() <{values = dense<0.0> : ' + T([B, HK, G, L, D]) + '}> : () -> ' + T([B, HK, G, L, D]))
    a.append(sh("s5", [B, HK, 1, L, D])); a.append(sh("s4", [B, H, L, D])); a.append(sh("s3", [B * H, L, D]))
    a.append(sh("s3t", [B * H, D, L])); a.append(sh("s4s", [B, H, L, L])); a.append(sh("s3s", [B * H, L, L]))
    a.append("  %%qt = tosa.transpose %%q {perms = array<i32: 0, 2, 1, 3>} : (%s) -> %s" % (T([B, L, H, D]), T([B, H, L, D])))
    for x in "kv":
        a.append("  %%%st = tosa.transpose %%%s {perms = array<i32: 0, 2, 1, 3>} : (%s) -> %s" % (x, x, T([B, L, HK, D]), T([B, HK, L, D])))
        a.append("  %%%s5 = tosa.reshape %%%st, %%s5 : (%s, !tosa.shape<5>) -> %s" % (x, x, T([B, HK, L, D]), T([B, HK, 1, L, D])))
        a.append("  %%%sb = tosa.add %%%s5, %%zeros : (%s, %s) -> %s" % (x, x, T([B, HK, 1, L, D]), T([B, HK, G, L, D]), T([B, HK, G, L, D])))
        a.append("  %%%s4 = tosa.reshape %%%sb, %%s4 : (%s, !tosa.shape<4>) -> %s" % (x, x, T([B, HK, G, L, D]), T([B, H, L, D])))
    a.append("  %%kT = tosa.transpose %%k4 {perms = array<i32: 0, 1, 3, 2>} : (%s) -> %s" % (T([B, H, L, D]), T([B, H, D, L])))
    a.append("  %%q3 = tosa.reshape %%qt, %%s3 : (%s, !tosa.shape<3>) -> %s" % (T([B, H, L, D]), T([B * H, L, D])))
    a.append("  %%kT3 = tosa.reshape %%kT, %%s3t : (%s, !tosa.shape<3>) -> %s" % (T([B, H, D, L]), T([B * H, D, L])))
    a.append("  %%s = tosa.matmul %%q3, %%kT3, %%zp, %%zp : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s" % (T([B * H, L, D]), T([B * H, D, L]), T([B * H, L, L])))
    a.append("  %%s4d = tosa.reshape %%s, %%s4s : (%s, !tosa.shape<4>) -> %s" % (T([B * H, L, L]), T([B, H, L, L])))
    a.append('  %c = "tosa.const"() <{values = dense<0.25> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>')
    a.append("  %%y = tosa.mul %%s4d, %%c, %%shift : (%s, tensor<1x1x1x1xf32>, tensor<1xi8>) -> %s" % (T([B, H, L, L]), T([B, H, L, L])))
    S = T([B, H, L, L]); R = T([B, H, L, 1])
    if maskkind == "arg":
        a.append("  %%x = tosa.add %%y, %%m : (%s, %s) -> %s" % (S, T([B, 1, 1, L]), S))
    elif maskkind:
        keep = PATTERNS[maskkind]
        rows = ["[" + ", ".join("0.0" if keep(i, j) else "-1.0e4" for j in range(L)) + "]" for i in range(L)]
        a.append('  %%mask = "tosa.const"() <{values = dense<[[[%s]]]> : %s}> : () -> %s' % (", ".join(rows), T([1, 1, L, L]), T([1, 1, L, L])))
        a.append("  %%x = tosa.add %%y, %%mask : (%s, %s) -> %s" % (S, T([1, 1, L, L]), S))
    else:
        a.append("  %x = tosa.add %y, %zp4 : (" + S + ", tensor<1x1x1x1xf32>) -> " + S)
        a.insert(3, '  %zp4 = "tosa.const"() <{values = dense<0.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>')
    a.append("  %%mx = tosa.reduce_max %%x {axis = 3 : i32} : (%s) -> %s" % (S, R))
    a.append("  %%d = tosa.sub %%x, %%mx : (%s, %s) -> %s" % (S, R, S))
    a.append("  %%e = tosa.exp %%d : (%s) -> %s" % (S, S))
    a.append("  %%sum = tosa.reduce_sum %%e {axis = 3 : i32} : (%s) -> %s" % (S, R))
    a.append("  %%r = tosa.reciprocal %%sum : (%s) -> %s" % (R, R))
    a.append("  %%p = tosa.mul %%e, %%r, %%shift : (%s, %s, tensor<1xi8>) -> %s" % (S, R, S))
    a.append("  %%p3 = tosa.reshape %%p, %%s3s : (%s, !tosa.shape<3>) -> %s" % (S, T([B * H, L, L])))
    a.append("  %%v3 = tosa.reshape %%v4, %%s3 : (%s, !tosa.shape<3>) -> %s" % (T([B, H, L, D]), T([B * H, L, D])))
    a.append("  %%o = tosa.matmul %%p3, %%v3, %%zp, %%zp : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s" % (T([B * H, L, L]), T([B * H, L, D]), T([B * H, L, D])))
    a.append("  %%o4 = tosa.reshape %%o, %%s4 : (%s, !tosa.shape<4>) -> %s" % (T([B * H, L, D]), T([B, H, L, D])))
    a.append("  %%ot = tosa.transpose %%o4 {perms = array<i32: 0, 2, 1, 3>} : (%s) -> %s" % (T([B, H, L, D]), T([B, L, H, D])))
    a.append("  return %%ot : %s" % T([B, L, H, D]))
    a.append("}")
    return "\n".join(a) + "\n"

def semantics(op, q, k, v, m):
    """attn.attention / attn.sparse_attention as documented, blhd layout,
    from the op's printed form."""
    scale = float(re.search(r"scale = ([-0-9.e+]+)", op).group(1))
    keep = lambda p, j: True
    if "causal" in op: keep = PATTERNS["causal"]
    pat = re.search(r"pattern = (#attn\.[a-z]+(<[^>]*>)?)", op)
    if pat:
        keep = {"#attn.logsparse": PATTERNS["logsparse"], "#attn.logsparse<local = 3>": PATTERNS["local3"],
                "#attn.logsparse<restart = 4>": PATTERNS["restart4"], "#attn.diagonals<window = 3>": PATTERNS["window3"]}[pat.group(1)]
    assert "layout = #attn.layout<blhd>" in op, op
    hk = int(re.search(r"tensor<1x%dx(\d+)x%dxf32>" % (L, D), op.split(":")[-1].split(",")[1]).group(1))
    g = H // hk
    out = [0.0] * (B * L * H * D)
    for h in range(H):
        kh = h // g
        for i in range(L):
            s = []
            for j in range(L):
                if not keep(i, j):
                    continue
                dot = sum(q[(i * H + h) * D + d] * k[(j * hk + kh) * D + d] for d in range(D))
                x = scale * dot + (m[j] if m is not None and " mask " in op else 0.0)
                s.append((j, x))
            mx = max(x for _, x in s)
            w = [(j, math.exp(x - mx)) for j, x in s]
            tot = sum(e for _, e in w)
            for d in range(D):
                out[(i * H + h) * D + d] = sum(e * v[(j * hk + kh) * D + d] for j, e in w) / tot
    return out

def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    failed = False
    random.seed(1)
    for kind in ["arg", "causal", "logsparse", "local3", "restart4", "window3", None]:
        text = model(kind)
        path = os.path.join(work, "m.mlir"); open(path, "w").write(text)
        raised = subprocess.run([SIEVE_OPT, path, "-sieve-raise-attention"], capture_output=True, text=True, check=True).stdout
        op = [l for l in raised.splitlines() if "attn." in l]
        assert len(op) == 1 and "tosa.matmul" not in raised, raised
        op = op[0]
        q = [random.uniform(-1, 1) for _ in range(B * L * H * D)]
        k = [random.uniform(-1, 1) for _ in range(B * L * HK * D)]
        v = [random.uniform(-1, 1) for _ in range(B * L * HK * D)]
        m = [random.choice([0.0, -1.0e4]) for _ in range(L)] if kind == "arg" else None
        if m: m[0] = 0.0
        ins = [{"shape": [B, L, H, D], "element_type": "f32"}, {"shape": [B, L, HK, D], "element_type": "f32"},
               {"shape": [B, L, HK, D], "element_type": "f32"}]
        vals = [q, k, v]
        if kind == "arg":
            ins.append({"shape": [B, 1, 1, L], "element_type": "f32"}); vals.append(m)
        report = {"function": "f", "outputs": [{"shape": [B, L, H, D], "element_type": "f32"}]}
        ref = cm.run_reference(path, report, ins, vals, work)
        ref = ref[0] if isinstance(ref[0], list) else ref
        got = semantics(op, q, k, v, m)
        err = max(abs(a - b) for a, b in zip(got, ref)) / max(abs(b) for b in ref)
        attrs = op.split("{")[1].split("}")[0]
        ok = err < 1e-5
        failed |= not ok
        print("%s %s: %s (max error %.1e of the largest output)" % (
            "PASS" if ok else "FAIL", kind or "no-mask", attrs, err))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
