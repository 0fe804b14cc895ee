//===- AttnOps.td - Attention dialect ops ------------------*- tablegen -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_ATTN_ATTNOPS_TD
#define SIEVE_DIALECT_ATTN_ATTNOPS_TD

include "sieve/Dialect/Attn/IR/AttnDialect.td"
include "sieve/Dialect/Attn/IR/AttnAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// The shape rules both ops share, in their descriptions.
defvar AttnShapeDoc = [{
    **Shapes.** With the default `layout = #attn.layout<bhld>`, `query` is
    `[B..., H, Lq, D]`, `key` is `[B..., Hk, Lk, D]`, `value` is
    `[B..., Hk, Lk, Dv]` and the result is `[B..., H, Lq, Dv]`. With
    `#attn.layout<blhd>` (what exporters hold before they transpose the heads
    out) the length and head dims swap: `[B..., Lq, H, D]`, `[B..., Lk, Hk, D]`,
    `[B..., Lk, Hk, Dv]` -> `[B..., Lq, H, Dv]`; this layout needs rank >= 3.
    The batch dims `B...` (any number, possibly none) are equal for all
    operands.

    **Heads.** The head dim is the one next to the length dim: dim `rank-3` in
    `bhld` (rank >= 3), dim `rank-2` in `blhd`. Key and value have the same
    number of heads `Hk`, and `H` must be a multiple of `Hk` (grouped-query
    attention): query head `h` uses key/value head `h / (H / Hk)`, i.e.
    consecutive groups of `H / Hk` query heads share one KV head (what
    `repeat_interleave` and the exporters' `[.., Hk, 1, ..] -> [.., Hk, H/Hk, ..]`
    broadcasts compute). With rank 2 (`[L, D]`) there is one head.

    **Alignment.** Queries are aligned with the *last* keys: query row `i`
    sits at key position `p = i + (Lk - Lq)`. This covers self-attention
    (`Lq == Lk`) and decoding against a KV cache (`Lq < Lk`).
}];

def Attn_AttentionOp : Attn_Op<"attention", [Pure]> {
  let summary = "scaled dot-product attention: softmax(scale * Q K^T + mask) V";
  let description = !strconcat([{
    Computes, for every batch index `b...`, head `h`, query row `i` and value
    column `e` (written for the default `bhld` layout):

    ```
    result[b..., h, i, e] = sum_j p[b..., h, i, j] * value[b..., g(h), j, e]
    s[b..., h, i, j] = scale * sum_d query[b..., h, i, d] * key[b..., g(h), j, d]
                       (+ mask[b..., h, i, j] if the mask is a float mask)
    p[b..., h, i, :] = softmax_j over the kept keys j of s[b..., h, i, j]
    ```

    where `g(h) = h / (H / Hk)` and a key is kept unless `causal` or a boolean
    mask removes it.
  }], AttnShapeDoc, [{
    **Masks.** With `causal`, query `i` sees only the keys
    `j <= i + (Lk - Lq)`: the usual lower-triangular mask for prefill, and the
    whole cache for decoding.

    The optional `mask` is shaped like the scores, `[B..., H, Lq, Lk]` in both
    layouts, where every dim may also be 1 (broadcast). Its element type is
    - the element type of `query`: an additive mask, added to the scaled
      scores (a large negative value such as -1e4 or -inf removes a key;
      a row of -inf gives NaN, as in the frameworks);
    - `i1`: a boolean mask, `true` = keep. A row whose keys are all removed
      gives zeros.
    `causal` and a mask may be combined.

    The op has value semantics and no prescribed memory layout for the scores:
    lowering it never needs the `Lq x Lk` score matrix. Raising
    (`sieve-raise-attention`) turns a constant causal mask into `causal` and a
    constant LogSparse or sliding-window mask into `attn.sparse_attention`.

    Examples:

    ```mlir
    %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal}
        : tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>
        -> tensor<1x12x40x64xf32>
    // 12 query heads share 2 KV heads; a padding mask broadcast over heads
    // and queries.
    %o = attn.attention %q, %k, %v mask %m {scale = 0.088 : f32}
        : tensor<1x12x40x128xf32>, tensor<1x2x40x128xf32>,
          tensor<1x2x40x128xf32>, tensor<1x1x1x40xf32>
        -> tensor<1x12x40x128xf32>
    // Heads after the length, a boolean mask.
    %o = attn.attention %q, %k, %v mask %b
        {scale = 0.125 : f32, layout = #attn.layout<blhd>}
        : tensor<1x40x8x64xf32>, tensor<1x40x8x64xf32>, tensor<1x40x8x64xf32>,
          tensor<1x8x40x40xi1> -> tensor<1x40x8x64xf32>
    ```
  }]);

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$query,
    RankedTensorOf<[AnyFloat]>:$key,
    RankedTensorOf<[AnyFloat]>:$value,
    Optional<RankedTensorOf<[AnyFloat, I1]>>:$mask,
    F32Attr:$scale,
    UnitAttr:$causal,
    DefaultValuedAttr<Attn_LayoutAttr, "::sieve::attn::Layout::bhld">:$layout
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? attr-dict `:` type($query) `,`
    type($key) `,` type($value) (`,` type($mask)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_SparseAttentionOp : Attn_Op<"sparse_attention", [Pure]> {
  let summary = "attention over a structured causal pattern of (query, key) pairs";
  let description = !strconcat([{
    Like `attn.attention` without a mask, except that query `i` (at key
    position `p = i + Lk - Lq`) attends only to the keys that `pattern` keeps
    for `p`; the softmax runs over those keys. Every pattern is causal and
    made of diagonals (key `p - d` for offsets `d >= 0`), so a lowering can
    work diagonal by diagonal with exactly one dot product per kept pair and
    O(L) state. A row that keeps no key gives zeros.

    The patterns (`#attn.logsparse` and `#attn.diagonals`, defined exactly
    with examples under the attributes below; `sieve::AttentionPattern` in
    include/sieve/Analysis/AttentionPattern.h implements them):

    | `pattern` | position `p` keeps |
    |---|---|
    | `#attn.logsparse` | `p`, and `p - 2^k` for `2^k <= p` |
    | `#attn.logsparse<local = W>` | `p .. p-W+1`, and `p - (W-1) - 2^k` |
    | `#attn.logsparse<restart = S>` | `p`, and `p - 2^k` for `2^k <= p mod S` |
    | `#attn.diagonals<[d0, ...]>` | `p - d` for each offset `d <= p` |
    | `#attn.diagonals<window = W>` | `p .. p-W+1` (sliding window) |

    Rows 0..4 of `#attn.logsparse` keep `{0} {1,0} {2,1,0} {3,2,1} {4,3,2,0}`.

    Sizes that reach past the keys are errors: a local window or restart
    length larger than `Lk`, a diagonal offset `>= Lk`.
  }], AttnShapeDoc, [{
    Example:

    ```mlir
    %o = attn.sparse_attention %q, %k, %v
        {scale = 0.125 : f32, pattern = #attn.logsparse<local = 4>}
        : tensor<8x1024x64xf32>, tensor<8x1024x64xf32>, tensor<8x1024x64xf32>
        -> tensor<8x1024x64xf32>
    ```
  }]);

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$query,
    RankedTensorOf<[AnyFloat]>:$key,
    RankedTensorOf<[AnyFloat]>:$value,
    AnyAttrOf<[Attn_LogSparseAttr, Attn_DiagonalsAttr]>:$pattern,
    F32Attr:$scale,
    DefaultValuedAttr<Attn_LayoutAttr, "::sieve::attn::Layout::bhld">:$layout
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` type($query) `,` type($key) `,`
    type($value) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The pattern as the MLIR-free helper that defines it.
    ::sieve::AttentionPattern getAttentionPattern();
  }];
}

#endif // SIEVE_DIALECT_ATTN_ATTNOPS_TD
