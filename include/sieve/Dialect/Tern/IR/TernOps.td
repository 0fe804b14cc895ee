//===- TernOps.td - Ternary matmul dialect ops -------------*- tablegen -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_TERNOPS_TD
#define SIEVE_DIALECT_TERN_TERNOPS_TD

include "sieve/Dialect/Tern/IR/TernDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Packed weights
//===----------------------------------------------------------------------===//

def Tern_Layout : I32EnumAttr<"Layout", "bit layout of packed ternary weights",
    [I32EnumAttrCase<"I2", 0, "i2">, I32EnumAttrCase<"T5", 1, "t5">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::sieve::tern";
}

def Tern_PackedAttr : AttrDef<Tern_Dialect, "Packed"> {
  let mnemonic = "packed";
  let summary = "Ternary weights [N, K] packed at 2 bits (i2) or 1.6 bits (t5)";
  let description = [{
    An `N x K` matrix of weights in `{-1, 0, +1}` (row `n` is output channel
    `n`, as a PyTorch `Linear` weight), packed row by row. `data` is an
    `N x B` tensor of `i8` (read as unsigned bytes), `B` the bytes of a row.

    **`i2`** (2 bits per weight, 32 weights per 8 bytes, `B = 32 *
    ceil(K / 128)`): the code of a weight `w` is `w + 1` (0, 1 or 2; 3 is
    invalid). A row is split into blocks of 128 weights, each 32 bytes.
    Byte `j` (0..31) of block `b` holds, in bits `2p+1:2p` (`p` = 0..3,
    bit 0 the least significant), the code of weight
    `k = 128 b + 32 p + j`. So shifting a 32-byte block right by `2p` and
    masking with 3 yields the codes of 32 consecutive weights: one shift and
    one AND per 32 weights on AVX2, per 16 (twice) on NEON. Weights past `K`
    are padding with code 1 (weight 0).

    **`t5`** (5 weights per byte, 1.6 bits, `B = ceil(K / 5)`): byte `j`
    is `sum_{i=0..4} (w[5j + i] + 1) * 3^i`, a number in 0..242 (243..255
    are invalid); weight `5j + i` is `(byte / 3^i) mod 3 - 1`. Weights past
    `K` are padding with code 1 (weight 0).

    ```mlir
    // w = [[1, 0, -1, 1]] in t5: 2 + 1*3 + 0*9 + 2*27 + 1*81 = 140
    #tern.packed<t5, [1, 4], dense<[[-116]]> : tensor<1x1xi8>>
    ```
  }];
  let parameters = (ins
    EnumParameter<Tern_Layout>:$layout,
    "int64_t":$n,
    "int64_t":$k,
    "::mlir::DenseIntElementsAttr":$data
  );
  let assemblyFormat = "`<` $layout `,` `[` $n `,` $k `]` `,` $data `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes of one packed row of `k` weights in `layout`.
    static int64_t getRowBytes(Layout layout, int64_t k);
    /// Packs `weights` (N x K, row-major, each -1, 0 or +1).
    static PackedAttr get(::mlir::MLIRContext *context, Layout layout,
                          int64_t n, int64_t k,
                          ::llvm::ArrayRef<int8_t> weights);
    /// The weight at [row, col], decoded; an invalid code gives 2.
    int8_t getWeight(int64_t row, int64_t col) const;
    /// All weights, decoded, row-major.
    ::llvm::SmallVector<int8_t> unpack() const;
    /// The first invalid code (as [row, col] of its weight) or padding
    /// code that is not 1, for diagnostics.
    ::std::optional<::std::string> findInvalidCode() const;
  }];
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

def Tern_MatmulOp : Tern_Op<"matmul", [Pure]> {
  let summary = "activations times constant ternary weights";
  let description = [{
    Computes `acc[m, n] = sum_k input[m, k] * w[n, k]`, where the constant
    `N x K` weights `w` are each -1, 0 or +1 (the layout of a PyTorch
    `Linear` weight). `weights` is either a plain `i8` elements attribute
    (what raising produces) or a `#tern.packed` attribute (what the
    kernels read).

    - int8 `input`, `i32` result: `result = acc`, exact (no `scale`).
    - `f32` result: `result[m, n] = acc[m, n] * scale[n]` (`scale` has one
      value per output channel, or one for all), and with `input_scale`
      (the per-token multiplier of `tern.quantize_absmax`, int8 input only)
      `result[m, n] = acc[m, n] * scale[n] / input_scale[m]`: BitNet's
      dequantisation.
    - `f32` input (a float linear layer with ternary weights): `acc` is a
      float sum of `+x` and `-x`, the result is `f32` with `scale`.

    `kernel` forces the kernel of `sieve-lower-ternary` for this op.

    ```mlir
    %y = tern.matmul %x weights(dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>)
        : tensor<3x4xi8> -> tensor<3x2xi32>
    %z = tern.matmul %q scaled(%s : tensor<3xf32>)
        weights(#tern.packed<t5, [1, 4], dense<[[-116]]> : tensor<1x1xi8>>)
        scale([0.5]) : tensor<3x4xi8> -> tensor<3x1xf32>
    ```
  }];

  let arguments = (ins
    AnyTypeOf<[RankedTensorOf<[I8]>, RankedTensorOf<[F32]>]>:$input,
    Optional<RankedTensorOf<[F32]>>:$input_scale,
    AnyAttr:$weights,
    OptionalAttr<DenseF32ArrayAttr>:$scale,
    OptionalAttr<StrAttr>:$kernel
  );
  let results = (outs AnyTypeOf<[RankedTensorOf<[I32]>,
                                 RankedTensorOf<[F32]>]>:$result);

  let assemblyFormat = [{
    $input (`scaled` `(` $input_scale^ `:` type($input_scale) `)`)?
    `weights` `(` $weights `)` (`scale` `(` $scale^ `)`)?
    attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// N and K of the weights (packed or not); (-1, -1) if malformed.
    std::pair<int64_t, int64_t> getWeightShape();
    /// The weights, decoded, N x K row-major.
    ::llvm::SmallVector<int8_t> getTernaryWeights();
    ::mlir::RankedTensorType getInputType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getInput().getType());
    }
  }];
}

def Tern_QuantizeAbsmaxOp : Tern_Op<"quantize_absmax", [Pure]> {
  let summary = "BitNet's per-token absmax quantisation of activations to int8";
  let description = [{
    For each row `m` (a token) of the `M x K` input:
    `s[m] = 127 / max(max_k |x[m, k]|, 1e-5)` and
    `q[m, k] = clamp(roundeven(x[m, k] * s[m]), -128, 127)`, all in `f32`
    (BitNet b1.58's `activation_quant`). `s` is what `tern.matmul`'s
    `input_scale` divides by.

    With `divide`, the model's other spelling: `q[m, k] =
    clamp(roundeven(x[m, k] / d[m]), -128, 127)` with the step `d[m] =
    max(max_k |x[m, k]|, 1e-5) / 127`, rounded in `f32` as written (a few
    `q` differ by one from the product form); `s` is still `127 / max(...)`.

    ```mlir
    %q, %s = tern.quantize_absmax %x : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<3xf32>
    %q2, %s2 = tern.quantize_absmax %x divide : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<3xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, UnitAttr:$divide);
  let results = (outs RankedTensorOf<[I8]>:$quantized,
                      RankedTensorOf<[F32]>:$scale);
  let assemblyFormat = [{
    $input (`divide` $divide^)? attr-dict `:` type($input) `->` type($quantized) `,` type($scale)
  }];
  let hasVerifier = 1;
}

#endif // SIEVE_DIALECT_TERN_TERNOPS_TD
