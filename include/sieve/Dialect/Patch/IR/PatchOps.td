//===- PatchOps.td - Patch dialect ops ---------------------*- tablegen -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_PATCH_PATCHOPS_TD
#define SIEVE_DIALECT_PATCH_PATCHOPS_TD

include "sieve/Dialect/Patch/IR/PatchDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
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

def Patch_StageOp : Patch_Op<"stage", [
    RecursiveMemoryEffects, SingleBlock]> {
  let summary = "a stage of consecutive layers, run patch by patch";
  let description = [{
    The body holds the ops of one stage of a CNN as they would run on whole
    feature maps: its block arguments are the stage's inputs (the
    activations it reads; weights and other constants may come from above),
    and `patch.yield` gives the stage's output, an NHWC feature map. Running
    the op means running the body; the attributes say how to run it patch by
    patch so that only one patch's working set is alive at a time:

    - `grid`: patches per column and per row of the output;
    - `tile`: rows and columns of the output each patch computes (the last
      patches of a row or column compute fewer when the tile does not
      divide the output); when the output has one row and one column (the
      stage ends in a global pooling), grid and tile are those of the
      pooling's input, which the patches accumulate;
    - `halo`: for every op of the body that computes a 4-D tensor from the
      stage's inputs (not accumulator initialisations), in order,
      how many rows and columns a patch computes beyond its share of that
      op's result: the overlap with neighbouring patches that its receptive
      field needs;
    - `strategy`: `recompute` (every patch computes its whole receptive
      field, as MCUNetV2 does) or `cache` (overlaps a neighbouring patch
      already computed are kept, as msf-CNN and StreamNet do).

    Each patch reads its inputs through `patch.window`s (the halo, and zero
    padding only at true image borders). The planner (`sieve-plan-patches`)
    creates these ops from its plan.

    ```mlir
    %y = patch.stage(%x) grid [2, 2] tile [16, 16] halo [2, 2, 0, 0]
        strategy "recompute" : (tensor<1x32x32x8xf32>) -> tensor<1x32x32x8xf32> {
    ^bb0(%in: tensor<1x32x32x8xf32>):
      %p = tensor.pad %in low[0, 1, 1, 0] high[0, 1, 1, 0] { ... }
      %r = linalg.depthwise_conv_2d_nhwc_hwc ...
      patch.yield %r : tensor<1x32x32x8xf32>
    }
    ```
  }];

  let arguments = (ins
    Variadic<AnyRankedTensor>:$inputs,
    DenseI64ArrayAttr:$grid,
    DenseI64ArrayAttr:$tile,
    DenseI64ArrayAttr:$halo,
    StrAttr:$strategy
  );
  let results = (outs AnyRankedTensor:$result);
  let regions = (region SizedRegion<1>:$body);

  let assemblyFormat = [{
    `(` $inputs `)` `grid` $grid `tile` $tile `halo` $halo
    `strategy` $strategy attr-dict `:` functional-type($inputs, results)
    $body
  }];
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "mlir::Type":$result, "mlir::ValueRange":$inputs,
                   "llvm::ArrayRef<int64_t>":$grid,
                   "llvm::ArrayRef<int64_t>":$tile,
                   "llvm::ArrayRef<int64_t>":$halo,
                   "llvm::StringRef":$strategy)>
  ];
  let extraClassDeclaration = [{
    /// The ops of the body that compute a 4-D tensor from the inputs: those
    /// `halo` describes.
    llvm::SmallVector<mlir::Operation *> getLayerOps();
  }];
}

def Patch_YieldOp : Patch_Op<"yield", [
    Pure, Terminator, ReturnLike, HasParent<"StageOp">]> {
  let summary = "the output of a patch stage";
  let arguments = (ins AnyRankedTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // SIEVE_DIALECT_PATCH_PATCHOPS_TD
