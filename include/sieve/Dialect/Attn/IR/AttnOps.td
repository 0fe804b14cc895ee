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

//===----------------------------------------------------------------------===//
// Token sparsity (ZipVL, He et al. 2024): docs/token-sparse.md.
//===----------------------------------------------------------------------===//

// The shape rules of the token-sparse ops, in their descriptions.
defvar TokenSparseShapeDoc = [{
    **Shapes.** The token-sparse ops work on f32 tensors in the `bhld` layout
    of rank 4, `[B, H, L, D]`, and select tokens per batch index `b`: the
    scores are `[B, L]`, the kept indices `[B, L]` (i32) and the kept counts
    `[B]` (i32). A kept count is a run-time value in `[0, L]`; every tensor
    is sized for the bound `L`, so memory stays static. Gathered tensors hold
    the kept rows first; the rows after them are unspecified.
}];

def Attn_TokenScoresOp : Attn_Op<"token_scores", [Pure]> {
  let summary = "normalised importance of each key from a few probe queries";
  let description = !strconcat([{
    The probe queries are the last `probe` query rows and, with `stride > 0`,
    the rows `0, stride, 2 * stride, ...` before them. For each batch index
    `b`, head `h` and probe row `i`, the op takes the softmax of the scaled
    scores `scale * q[b, h, i] . k[b, g(h), j]` over the keys the row sees
    (all keys, or with `causal` the keys `j <= i + Lk - Lq`), and

    ```
    scores[b, j] = sum_h sum_{probe i seeing j} p[b, h, i, j] / (H * n_j)
    ```

    where `n_j` is the number of probe rows that see key `j` (0 if none does:
    the score is then 0). Dividing by `n_j` removes the causal bias toward
    early keys, which every probe sees. `g(h) = h / (H / Hk)` (grouped KV
    heads). The probe needs `1 <= probe <= Lq`.
  }], TokenSparseShapeDoc, [{
    ```mlir
    %s = attn.token_scores %q, %k {scale = 0.125 : f32, probe = 64, causal}
        : tensor<1x8x4096x64xf32>, tensor<1x8x4096x64xf32> -> tensor<1x4096xf32>
    ```
  }]);
  let arguments = (ins
    RankedTensorOf<[F32]>:$query,
    RankedTensorOf<[F32]>:$key,
    F32Attr:$scale,
    I64Attr:$probe,
    DefaultValuedAttr<I64Attr, "0">:$stride,
    UnitAttr:$causal
  );
  let results = (outs RankedTensorOf<[F32]>:$scores);
  let assemblyFormat = [{
    $query `,` $key attr-dict `:` type($query) `,` type($key) `->` type($scores)
  }];
  let hasVerifier = 1;
}

def Attn_SelectTokensOp : Attn_Op<"select_tokens", [Pure]> {
  let summary = "the smallest set of tokens holding a fraction tau of the score";
  let description = !strconcat([{
    For each batch index `b`, keeps the first `sinks` tokens and the last
    `recent` tokens, then adds the other tokens in decreasing score order
    (equal scores: lower index first) until the kept tokens' scores reach
    `tau * sum_j scores[b, j]` (sums in f64). `tau = 1` keeps every token.
    `indices[b, 0 .. count[b]-1]` are the kept tokens in increasing order;
    the rest of `indices[b]` is 0. Scores must be non-negative.

    The lowering does not sort: it finds the score of the last token taken
    by a bitwise search over the f32 bit patterns (which order like
    non-negative floats), 31 passes of sums over the tokens, then keeps the
    tokens above it and, in index order, as many tokens equal to it as the
    remaining mass needs. `0 < tau <= 1`, `sinks + recent <= L`.
  }], TokenSparseShapeDoc, [{
    ```mlir
    %idx, %n = attn.select_tokens %s {tau = 0.97 : f32, sinks = 4, recent = 64}
        : tensor<1x4096xf32> -> tensor<1x4096xi32>, tensor<1xi32>
    ```
  }]);
  let arguments = (ins
    RankedTensorOf<[F32]>:$scores,
    F32Attr:$tau,
    DefaultValuedAttr<I64Attr, "0">:$sinks,
    DefaultValuedAttr<I64Attr, "0">:$recent
  );
  let results = (outs RankedTensorOf<[I32]>:$indices,
                      RankedTensorOf<[I32]>:$count);
  let assemblyFormat = [{
    $scores attr-dict `:` type($scores) `->` type($indices) `,` type($count)
  }];
  let hasVerifier = 1;
}

def Attn_GatherTokensOp : Attn_Op<"gather_tokens", [Pure]> {
  let summary = "the rows of the kept tokens, packed at the front";
  let description = !strconcat([{
    `result[b, h, r] = source[b, h, indices[b, r]]` for `r < count[b]`; the
    other rows are unspecified (not written: `attn.kept_attention` never
    reads them). Indices outside `[0, L)` are not read (their rows are zero);
    a count outside `[0, L]` is clamped.
  }], TokenSparseShapeDoc, [{
    ```mlir
    %kq = attn.gather_tokens %q, %idx, %n
        : tensor<1x8x4096x64xf32>, tensor<1x4096xi32>, tensor<1xi32>
        -> tensor<1x8x4096x64xf32>
    ```
  }]);
  let arguments = (ins RankedTensorOf<[F32]>:$source,
                       RankedTensorOf<[I32]>:$indices,
                       RankedTensorOf<[I32]>:$count);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source `,` $indices `,` $count attr-dict `:` type($source) `,`
    type($indices) `,` type($count) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_KeptAttentionOp : Attn_Op<"kept_attention", [Pure]> {
  let summary = "dense attention over the first count rows of gathered tensors";
  let description = !strconcat([{
    Self-attention among the `count[b]` kept tokens that `attn.gather_tokens`
    packed at the front of `query`, `key` and `value`: row `r < count[b]` is
    `softmax_j(scale * q[b, h, r] . k[b, g(h), j]) v[b, g(h), j]` over the
    kept keys `j < count[b]`, or with `causal` `j <= r` (the kept indices are
    increasing, so this is the causal mask of the original positions). Rows
    from `count[b]` on are zero. The work is proportional to `count^2`: the
    loops run to the run-time count, the tensors are sized for `L`.
  }], TokenSparseShapeDoc, [{
    ```mlir
    %ko = attn.kept_attention %kq, %kk, %kv, %n {scale = 0.125 : f32, causal}
        : tensor<1x8x4096x64xf32>, tensor<1x8x4096x64xf32>,
          tensor<1x8x4096x64xf32>, tensor<1xi32> -> tensor<1x8x4096x64xf32>
    ```
  }]);
  let arguments = (ins RankedTensorOf<[F32]>:$query,
                       RankedTensorOf<[F32]>:$key,
                       RankedTensorOf<[F32]>:$value,
                       RankedTensorOf<[I32]>:$count,
                       F32Attr:$scale,
                       UnitAttr:$causal);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $count attr-dict `:` type($query) `,`
    type($key) `,` type($value) `,` type($count) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_ScatterTokensOp : Attn_Op<"scatter_tokens", [Pure]> {
  let summary = "the kept rows back at their positions, zeros elsewhere";
  let description = !strconcat([{
    The inverse of `attn.gather_tokens`: `result[b, h, indices[b, r]] =
    source[b, h, r]` for `r < count[b]`; the rows of tokens that were not
    kept are zero. Indices outside `[0, L)` are not written.
  }], TokenSparseShapeDoc, [{
    ```mlir
    %o = attn.scatter_tokens %ko, %idx, %n
        : tensor<1x8x4096x64xf32>, tensor<1x4096xi32>, tensor<1xi32>
        -> tensor<1x8x4096x64xf32>
    ```
  }]);
  let arguments = (ins RankedTensorOf<[F32]>:$source,
                       RankedTensorOf<[I32]>:$indices,
                       RankedTensorOf<[I32]>:$count);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source `,` $indices `,` $count attr-dict `:` type($source) `,`
    type($indices) `,` type($count) `->` type($result)
  }];
  let hasVerifier = 1;
}

defvar KVCacheDoc = [{
    **The KV cache.** A cache is a pair of f32 tensors `[B, Hk, C, D]` (keys)
    and `[B, Hk, C, Dv]` (values) in the `bhld` layout, with a count `[B]`
    (i32) of the tokens it holds: rows `0 .. count[b]-1` are the cached
    tokens in the order they came, the rows after them unspecified. The
    capacity `C` is static, so the arena and the caller's buffers are sized
    for the bound; the count is a run-time value in `[0, C]`.
}];

def Attn_CacheCompactOp : Attn_Op<"cache_compact", [Pure]> {
  let summary = "the kept tokens' rows, compacted into a KV cache (prefill eviction)";
  let description = !strconcat([{
    After token selection in prefill, the cache keeps only the kept tokens:
    `result[b, h, r] = source[b, h, indices[b, r]]` for `r < count[b]`, the
    rows after them unspecified (not written). The dropped tokens are
    evicted. `source` is `[B, Hk, L, D]`, `indices` `[B, L]`, `count` `[B]`;
    the result has the source's batch, heads and depth and a capacity
    `C >= L` (room for the tokens that decoding appends). Indices outside
    `[0, L)` give zero rows; a count outside `[0, L]` is clamped.
  }], KVCacheDoc, [{
    ```mlir
    %kc = attn.cache_compact %k, %idx, %n
        : tensor<1x8x4096x64xf32>, tensor<1x4096xi32>, tensor<1xi32>
        -> tensor<1x8x4608x64xf32>
    ```
  }]);
  let arguments = (ins RankedTensorOf<[F32]>:$source,
                       RankedTensorOf<[I32]>:$indices,
                       RankedTensorOf<[I32]>:$count);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source `,` $indices `,` $count attr-dict `:` type($source) `,`
    type($indices) `,` type($count) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_CacheAppendOp : Attn_Op<"cache_append", [Pure]> {
  let summary = "a decode step's keys and values appended to a KV cache";
  let description = !strconcat([{
    For each batch index `b` with `count[b] < C`: the new cache holds the
    cached rows `0 .. count[b]-1` and, at row `count[b]`, the new token's
    key and value (`new_key [B, Hk, 1, D]`, `new_value [B, Hk, 1, Dv]`);
    `new_count[b] = count[b] + 1`. A full cache (`count[b] >= C`) is left as
    it is (`new_count[b] = count[b]`, nothing is written past the capacity)
    and the entry point returns a non-zero status: the lowering adds a
    run-time check `count < C` (docs/abi.md, "Status"), so the op must sit
    at the top level of the model function. A negative count is taken as 0.
  }], KVCacheDoc, [{
    ```mlir
    %kc2, %vc2, %n2 = attn.cache_append %kc, %vc, %n, %k1, %v1
        : tensor<1x8x4608x64xf32>, tensor<1x8x4608x64xf32>, tensor<1xi32>,
          tensor<1x8x1x64xf32>, tensor<1x8x1x64xf32>
        -> tensor<1x8x4608x64xf32>, tensor<1x8x4608x64xf32>, tensor<1xi32>
    ```
  }]);
  let arguments = (ins RankedTensorOf<[F32]>:$key_cache,
                       RankedTensorOf<[F32]>:$value_cache,
                       RankedTensorOf<[I32]>:$count,
                       RankedTensorOf<[F32]>:$new_key,
                       RankedTensorOf<[F32]>:$new_value);
  let results = (outs RankedTensorOf<[F32]>:$new_key_cache,
                      RankedTensorOf<[F32]>:$new_value_cache,
                      RankedTensorOf<[I32]>:$new_count);
  let assemblyFormat = [{
    $key_cache `,` $value_cache `,` $count `,` $new_key `,` $new_value
    attr-dict `:` type($key_cache) `,` type($value_cache) `,` type($count)
    `,` type($new_key) `,` type($new_value) `->` type($new_key_cache) `,`
    type($new_value_cache) `,` type($new_count)
  }];
  let hasVerifier = 1;
}

def Attn_CacheAttentionOp : Attn_Op<"cache_attention", [Pure]> {
  let summary = "decode attention over the tokens held in a KV cache";
  let description = !strconcat([{
    `result[b, h, i] = softmax_j(scale * q[b, h, i] . k[b, g(h), j])
    v[b, g(h), j]` over the cached tokens `j < count[b]` (a count outside
    `[0, C]` is clamped; with no token the row is zero). Every query sees
    every cached token: the cache holds only the past and the current token.
    `g(h) = h / (H / Hk)`. The work and the bytes read are proportional to
    the count, not to the capacity: with a compacted cache (ZipVL's
    eviction) a decode step costs the kept ratio of a full cache's.
  }], KVCacheDoc, [{
    ```mlir
    %o = attn.cache_attention %q, %kc2, %vc2, %n2 {scale = 0.125 : f32}
        : tensor<1x8x1x64xf32>, tensor<1x8x4608x64xf32>,
          tensor<1x8x4608x64xf32>, tensor<1xi32> -> tensor<1x8x1x64xf32>
    ```
  }]);
  let arguments = (ins RankedTensorOf<[F32]>:$query,
                       RankedTensorOf<[F32]>:$key_cache,
                       RankedTensorOf<[F32]>:$value_cache,
                       RankedTensorOf<[I32]>:$count,
                       F32Attr:$scale);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $query `,` $key_cache `,` $value_cache `,` $count attr-dict `:`
    type($query) `,` type($key_cache) `,` type($value_cache) `,` type($count)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // SIEVE_DIALECT_ATTN_ATTNOPS_TD
