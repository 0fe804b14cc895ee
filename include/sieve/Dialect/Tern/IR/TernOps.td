//===- TernOps.td - Ternary matmul dialect ops -------------*- tablegen -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_TERNOPS_TD
#define SIEVE_DIALECT_TERN_TERNOPS_TD

include "sieve/Dialect/Tern/IR/TernDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Tern_MatmulOp : Tern_Op<"matmul", [Pure]> {
  let summary = "int8 activations times constant ternary weights, int32 result";
  let description = [{
    Computes `result[m, n] = sum_k input[m, k] * weights[n, k]` exactly in
    int32, where `weights` is a constant `N x K` matrix whose every element is
    -1, 0 or +1 (the layout of a PyTorch `Linear` weight). The per-tensor
    weight scale of BitNet b1.58 is not part of the op: it is applied by the
    rescale that follows, so the op stays exact and its packed lowerings can
    be checked bit for bit.

    Example:

    ```mlir
    %y = tern.matmul %x weights(dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>)
        : tensor<3x4xi8> -> tensor<3x2xi32>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[I8]>:$input,
    ElementsAttr:$weights
  );
  let results = (outs RankedTensorOf<[I32]>:$result);

  let assemblyFormat = [{
    $input `weights` `(` $weights `)` attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // SIEVE_DIALECT_TERN_TERNOPS_TD
