#!/usr/bin/env python3
"""Writes decode steps as exporters write them in linalg (torch-mlir: heads
collapsed for linalg.batch_matmul, torch.cat of the past and the new K/V;
TF / HF: heads after the length, transposed after the concat), the inputs of
test/Transforms/token-sparse-raise-decode.mlir and token-sparse-raise.test:

    token_sparse_raise.py tf|gqa    the execution test's models
Standard library only."""
import sys
def softmax_chain(B, LQ, LK, s, pre=""):
    t = f"tensor<{B}x{LQ}x{LK}xf32>"
    r = f"tensor<{B}x{LQ}x1xf32>"
    return f"""  %{pre}s0 = tensor.empty() : {t}
  %{pre}r0 = tensor.empty() : {r}
  %{pre}rmax = linalg.fill ins(%ninf : f32) outs(%{pre}r0 : {r}) -> {r}
  %{pre}max = linalg.generic {{indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]}} ins(%{s} : {t}) outs(%{pre}rmax : {r}) {{
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %out : f32
    linalg.yield %0 : f32
  }} -> {r}
  %{pre}sub = linalg.generic {{indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%{s}, %{pre}max : {t}, {r}) outs(%{pre}s0 : {t}) {{
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %0 = arith.subf %in, %mx : f32
    linalg.yield %0 : f32
  }} -> {t}
  %{pre}exp = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%{pre}sub : {t}) outs(%{pre}s0 : {t}) {{
  ^bb0(%in: f32, %out: f32):
    %0 = math.exp %in : f32
    linalg.yield %0 : f32
  }} -> {t}
  %{pre}rsum = linalg.fill ins(%zero : f32) outs(%{pre}r0 : {r}) -> {r}
  %{pre}sum = linalg.generic {{indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]}} ins(%{pre}exp : {t}) outs(%{pre}rsum : {r}) {{
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }} -> {r}
  %{pre}p = linalg.generic {{indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%{pre}exp, %{pre}sum : {t}, {r}) outs(%{pre}s0 : {t}) {{
  ^bb0(%in: f32, %sm: f32, %out: f32):
    %0 = arith.divf %in, %sm : f32
    linalg.yield %0 : f32
  }} -> {t}
"""

HDR = """#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#keep = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
"""
CONSTS = """  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %sqrtd = arith.constant {sqrtd} : f32
"""

def t(*s):
    return "tensor<" + "x".join(str(x) for x in s) + "xf32>"

def attention3(N, LQ, LK, D, q3, k3, v3, mask=None):
    """batch_matmul form over [N, L, D]; returns text, output value %o."""
    s = f"""  %kt0 = tensor.empty() : {t(N, D, LK)}
  %kt = linalg.transpose ins(%{k3} : {t(N, LK, D)}) outs(%kt0 : {t(N, D, LK)}) permutation = [0, 2, 1]
  %sc0 = tensor.empty() : {t(N, LQ, LK)}
  %scf = linalg.fill ins(%zero : f32) outs(%sc0 : {t(N, LQ, LK)}) -> {t(N, LQ, LK)}
  %sc = linalg.batch_matmul ins(%{q3}, %kt : {t(N, LQ, D)}, {t(N, D, LK)}) outs(%scf : {t(N, LQ, LK)}) -> {t(N, LQ, LK)}
  %y = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%sc : {t(N, LQ, LK)}) outs(%sc0 : {t(N, LQ, LK)}) {{
  ^bb0(%in: f32, %out: f32):
    %0 = arith.divf %in, %sqrtd : f32
    linalg.yield %0 : f32
  }} -> {t(N, LQ, LK)}
"""
    x = "y"
    if mask is not None:
        mname, mtype, mmap = mask
        s += f"""  %x = linalg.generic {{indexing_maps = [#id, {mmap}, #id], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%y, %{mname} : {t(N, LQ, LK)}, {mtype}) outs(%sc0 : {t(N, LQ, LK)}) {{
  ^bb0(%in: f32, %m: f32, %out: f32):
    %0 = arith.addf %in, %m : f32
    linalg.yield %0 : f32
  }} -> {t(N, LQ, LK)}
"""
        x = "x"
    s += softmax_chain(N, LQ, LK, x)
    s += f"""  %o0 = tensor.empty() : {t(N, LQ, D)}
  %of = linalg.fill ins(%zero : f32) outs(%o0 : {t(N, LQ, D)}) -> {t(N, LQ, D)}
  %o = linalg.batch_matmul ins(%p, %{v3} : {t(N, LQ, LK)}, {t(N, LK, D)}) outs(%of : {t(N, LQ, D)}) -> {t(N, LQ, D)}
"""
    return s

def consts(D):
    return CONSTS.format(sqrtd=repr(float(D) ** 0.5))

def torch_decode(name, H, P, D, LQ=1, axis=2, mask=None, present=True, hk=None):
    """torch-mlir: [1, H, L, D] tensors, torch.cat((past, new), dim=2),
    heads collapsed for batch_matmul. hk: grouped KV heads broadcast."""
    hk = hk or H
    kvs = (1, hk, P, D) if axis == 2 else (1, hk, P + LQ, D)
    new = (1, hk, LQ, D) if axis == 2 else (1, hk, P + LQ, D)
    cat = (1, hk, P + LQ, D) if axis == 2 else (1, 2 * hk, P + LQ, D)
    LK = cat[2]
    args = [f"%q: {t(1, H, LQ, D)}", f"%k1: {t(*new)}", f"%v1: {t(*new)}",
            f"%pk: {t(*kvs)}", f"%pv: {t(*kvs)}"]
    if mask:
        args.append(f"%mask: {t(LQ, LK)}")
    res = [t(1, H, LQ, D)] + ([t(*cat)] * 2 if present else [])
    s = f"func.func @{name}({', '.join(args)}) -> ({', '.join(res)}) {{\n"
    s += consts(D)
    s += f"""  %k = tensor.concat dim({axis}) %pk, %k1 : ({t(*kvs)}, {t(*new)}) -> {t(*cat)}
  %v = tensor.concat dim({axis}) %pv, %v1 : ({t(*kvs)}, {t(*new)}) -> {t(*cat)}
"""
    heads = cat[1]
    kk, vv = "k", "v"
    if heads != H:  # grouped: [1, Hk, L, D] -> [1, Hk, G, L, D] -> [1, H, L, D]
        g = H // heads
        for x in ("k", "v"):
            s += f"""  %{x}b0 = tensor.empty() : {t(1, heads, g, LK, D)}
  %{x}b = linalg.broadcast ins(%{x} : {t(*cat)}) outs(%{x}b0 : {t(1, heads, g, LK, D)}) dimensions = [2]
  %{x}g = tensor.collapse_shape %{x}b [[0], [1, 2], [3], [4]] : {t(1, heads, g, LK, D)} into {t(1, H, LK, D)}
"""
        kk, vv = "kg", "vg"
    s += f"""  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : {t(1, H, LQ, D)} into {t(H, LQ, D)}
  %k3 = tensor.collapse_shape %{kk} [[0, 1], [2], [3]] : {t(1, H, LK, D)} into {t(H, LK, D)}
  %v3 = tensor.collapse_shape %{vv} [[0, 1], [2], [3]] : {t(1, H, LK, D)} into {t(H, LK, D)}
"""
    m = None
    if mask:
        s += f"""  %m3 = tensor.expand_shape %mask [[0, 1], [2]] output_shape [1, {LQ}, {LK}] : {t(LQ, LK)} into {t(1, LQ, LK)}
"""
        m = ("m3", t(1, LQ, LK), "#bm")
    s += attention3(H, LQ, LK, D, "q3", "k3", "v3", m)
    s += f"""  %o4 = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [1, {H}, {LQ}, {D}] : {t(H, LQ, D)} into {t(1, H, LQ, D)}
"""
    outs = ["%o4"] + (["%k", "%v"] if present else [])
    s += f"  return {', '.join(outs)} : {', '.join(res)}\n}}\n"
    return s

def tf_decode(name, H, P, D, mask_const=False):
    """Heads after the length ([1, L, H, D], as TF and HF's un-transposed
    projections hold them): concat on the length (dim 1), then transposed to
    [1, H, L, D] and reshaped for the matmuls; an additive causal mask for
    the last query (all zeros: it sees every key)."""
    LK = P + 1
    s = f"func.func @{name}(%q: {t(1, 1, H, D)}, %k1: {t(1, 1, H, D)}, %v1: {t(1, 1, H, D)}, %pk: {t(1, P, H, D)}, %pv: {t(1, P, H, D)}) -> ({t(1, 1, H, D)}, {t(1, LK, H, D)}, {t(1, LK, H, D)}) {{\n"
    s += consts(D)
    s += f"""  %k = tensor.concat dim(1) %pk, %k1 : ({t(1, P, H, D)}, {t(1, 1, H, D)}) -> {t(1, LK, H, D)}
  %v = tensor.concat dim(1) %pv, %v1 : ({t(1, P, H, D)}, {t(1, 1, H, D)}) -> {t(1, LK, H, D)}
"""
    for x, L in (("q", 1), ("k", LK), ("v", LK)):
        s += f"""  %{x}T0 = tensor.empty() : {t(1, H, L, D)}
  %{x}T = linalg.transpose ins(%{x} : {t(1, L, H, D)}) outs(%{x}T0 : {t(1, H, L, D)}) permutation = [0, 2, 1, 3]
  %{x}3 = tensor.collapse_shape %{x}T [[0, 1], [2], [3]] : {t(1, H, L, D)} into {t(H, L, D)}
"""
    m = None
    if mask_const:
        s += f"""  %cm = arith.constant dense<0.0> : {t(1, 1, LK)}
"""
        m = ("cm", t(1, 1, LK), "#bm")
    s += attention3(H, 1, LK, D, "q3", "k3", "v3", m)
    s += f"""  %o4 = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [1, {H}, 1, {D}] : {t(H, 1, D)} into {t(1, H, 1, D)}
  %ot0 = tensor.empty() : {t(1, 1, H, D)}
  %ot = linalg.transpose ins(%o4 : {t(1, H, 1, D)}) outs(%ot0 : {t(1, 1, H, D)}) permutation = [0, 2, 1, 3]
  return %ot, %k, %v : {t(1, 1, H, D)}, {t(1, LK, H, D)}, {t(1, LK, H, D)}
}}
"""
    return s

BM = "#bm = affine_map<(d0, d1, d2) -> (0, d1, d2)>\n"

if __name__ == "__main__":
    head = HDR + BM
    if sys.argv[1] == "tf":
        print(head + tf_decode("tf_decode", 4, 63, 16, mask_const=True))
    elif sys.argv[1] == "gqa":
        print(head + torch_decode("gqa_decode", 8, 47, 16, hk=2))
