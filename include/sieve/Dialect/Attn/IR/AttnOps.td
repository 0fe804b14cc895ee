//===- AttnOps.td - Attention dialect ops ------------------*- tablegen -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_ATTN_ATTNOPS_TD
#define SIEVE_DIALECT_ATTN_ATTNOPS_TD

include "sieve/Dialect/Attn/IR/AttnDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_AttentionOp : Attn_Op<"attention", [Pure]> {
  let summary = "scaled dot-product attention: softmax(scale * Q K^T) V";
  let description = [{
    Computes, for every batch index `b...`, query row `i` and value column `e`:

    ```
    result[b..., i, e] = sum_j p[b..., i, j] * value[b..., j, e]
    p[b..., i, :]      = softmax_j(scale * sum_d query[b..., i, d] * key[b..., j, d])
    ```

    `query` is `[B..., Lq, D]`, `key` is `[B..., Lk, D]`, `value` is
    `[B..., Lk, Dv]` and the result is `[B..., Lq, Dv]`; the batch dimensions
    `B...` (typically batch and heads) are equal for all operands.

    With `causal`, query `i` sees only the keys `j <= i + (Lk - Lq)`: the
    queries are aligned with the *end* of the keys, which covers both prefill
    (`Lq == Lk`, the usual lower-triangular mask) and decoding with a KV cache
    (`Lq < Lk`).

    The op has value semantics and no prescribed memory layout for the scores:
    lowering it never needs the `Lq x Lk` score matrix.

    Example:

    ```mlir
    %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal}
        : tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>
        -> tensor<1x12x40x64xf32>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$query,
    RankedTensorOf<[AnyFloat]>:$key,
    RankedTensorOf<[AnyFloat]>:$value,
    F32Attr:$scale,
    UnitAttr:$causal
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);

  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` type($query) `,` type($key) `,`
    type($value) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // SIEVE_DIALECT_ATTN_ATTNOPS_TD
