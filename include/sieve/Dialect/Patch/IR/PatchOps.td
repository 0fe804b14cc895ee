//===- PatchOps.td - Patch dialect ops ---------------------*- tablegen -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_PATCH_PATCHOPS_TD
#define SIEVE_DIALECT_PATCH_PATCHOPS_TD

include "sieve/Dialect/Patch/IR/PatchDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Patch_WindowOp : Patch_Op<"window", [Pure]> {
  let summary = "the input window of one patch, padded at the image borders";
  let description = [{
    Cuts the window read by patch `(%row, %col)` out of an NHWC feature map.
    Window element `(n, a, b, c)` is

    ```
    input[n, %row * step[0] + offset[0] + a, %col * step[1] + offset[1] + b, c]
    ```

    when that position lies inside the input, and `padding` otherwise. The
    window size is the result's spatial shape. `step` is the distance between
    the windows of neighbouring patches (the patch size times the stage's
    stride); a window larger than its step overlaps its neighbours (the halo),
    and `offset` (usually minus the stage's top/left padding) places the first
    window. Border padding is applied exactly where a convolution would pad,
    so per-patch results equal the layer-by-layer ones.

    Example: the 2x2 patches of a 3x3/stride-1/pad-1 convolution over a
    32x32 map read 18x18 windows every 16 pixels, starting at -1:

    ```mlir
    %w = patch.window %x[%r, %c] step [16, 16] offset [-1, -1] padding -128 : i8
        : tensor<1x32x32x16xi8> -> tensor<1x18x18x16xi8>
    ```
  }];

  let arguments = (ins
    RankedTensorOf<[AnyType]>:$input,
    Index:$row,
    Index:$col,
    DenseI64ArrayAttr:$step,
    DenseI64ArrayAttr:$offset,
    TypedAttrInterface:$padding
  );
  let results = (outs RankedTensorOf<[AnyType]>:$result);

  let assemblyFormat = [{
    $input `[` $row `,` $col `]` `step` $step `offset` $offset
    `padding` $padding attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // SIEVE_DIALECT_PATCH_PATCHOPS_TD
