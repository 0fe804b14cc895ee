//===- Passes.td - Passes of the tern dialect ---------------*- tablegen -*-===//
//
// Part of Sieve: raising constant ternary matmuls, choosing their kernels,
// lowering them (docs/ternary.md).
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_TRANSFORMS_PASSES_TD
#define SIEVE_DIALECT_TERN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RaiseTernary : Pass<"sieve-raise-ternary", "mlir::func::FuncOp"> {
  let summary = "Matmuls with constant ternary weights to tern.matmul";
  let description = [{
    A `linalg.matmul` (weights `K x N`, or `N x K` through its indexing
    maps), a `linalg.batch_matmul` (what `tosa.matmul` lowers to) whose
    weights are the same for every batch, or a `linalg.generic` contraction
    over `[tokens..., K]` activations (a `[B, T, K]` linear layer), whose
    weights are a constant (or a broadcast of one, as `tosa.tile` lowers)
    and whose accumulator starts at zero becomes one `tern.matmul` over all
    the tokens (activations collapsed to `[M, K]`) when the weights are exactly
    ternary: int8 weights in `{-1, 0, +1}` with int8 activations and an
    `i32` result, or `f32` weights that are `{-1, 0, +1}` times one scale
    (per tensor) or one scale per output channel. Weights that are not
    exactly ternary (and all-zero weights) are left alone; with
    `quantize=true`, `f32` weights are quantised BitNet-style (scale =
    mean |w| of the tensor, `w / scale` rounded and clamped to [-1, 1]),
    with a warning stating the relative error, recorded in the report.

    BitNet's quantise-matmul-dequantise in f32 around such a matmul
    (`s = 127 / max(max_k |x|, 1e-5)` per token, `q = clamp(roundeven(x *
    s), -128, 127)`, then `matmul(q / s, W)` or `matmul(q, W) / s`, in any
    split into linalg ops; or with the step `d = max(...) / 127`, `x / d`
    and `* d`) becomes `tern.quantize_absmax` (`divide` for the step form)
    and a `tern.matmul` of the int8 `q` scaled by `s` (docs/ternary.md). A
    layer whose activations are rounded and clamped but not exactly so
    stays float, with a warning that says what differs.

    ```mlir
    %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>)
                       outs(%zero : tensor<1x2xf32>) -> tensor<1x2xf32>
    // with %w = [[0.5, 0], [0, -0.5], [-0.5, 0], [0.5, 0.5]] becomes
    %y = tern.matmul %x weights(dense<[[1, 0, -1, 1], [0, -1, 0, 1]]> : tensor<2x4xi8>)
                      scale([5.000000e-01]) : tensor<1x4xf32> -> tensor<1x2xf32>
    ```
  }];
  let options = [
    Option<"quantize", "quantize", "bool", /*default=*/"false",
           "Quantise f32 weights that are not exactly ternary BitNet-style "
           "(approximate: warns with the error)">
  ];
  let dependentDialects = ["sieve::tern::TernDialect",
                           "mlir::tensor::TensorDialect"];
}

def SelectTernaryKernel
    : Pass<"sieve-select-ternary-kernel", "mlir::ModuleOp"> {
  let summary = "Choose kernel and packing of every tern.matmul; pack";
  let description = [{
    The per-target cost model of docs/ternary.md picks each `tern.matmul`'s
    kernel (`portable`, `maddubs`, `sdot`, `smlad`, `vmladav`, `lut`,
    `vpdpbusd`) and packing
    (`i2`, `t5`), unless the op's `kernel` attribute or the pass options
    force them, packs the weights into a `#tern.packed` attribute, and
    records the choice per layer as `sieve.ternary` on the function (the
    report's `ternary` section). A forced kernel that the target lacks is
    an error at the op.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"x86-64-avx2\"",
           "Target of the target table">,
    Option<"kernel", "kernel", "std::string", /*default=*/"\"auto\"",
           "auto, or a kernel to force on every tern.matmul">,
    Option<"packing", "packing", "std::string", /*default=*/"\"auto\"",
           "auto, i2 or t5">
  ];
  let dependentDialects = ["sieve::tern::TernDialect"];
}

def LowerTernary : Pass<"sieve-lower-ternary", "mlir::func::FuncOp"> {
  let summary = "tern.matmul and tern.quantize_absmax to linalg, vector and "
                "target intrinsics";
  let description = [{
    Lowers each `tern.matmul` (after `sieve-select-ternary-kernel`) with its
    kernel: `portable` is a `linalg.generic` that decodes the packed codes
    (any target, both packings); the multiply-add kernels are loops of
    `vector` ops and target intrinsics (`llvm.call_intrinsic`) on `i2`
    weights, with an exact scalar tail. Packed weights stay constants
    (read-only data, flash on an MCU). `tern.quantize_absmax` becomes three
    `linalg.generic`s. docs/ternary.md describes each kernel.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"x86-64-avx2\"",
           "Target of the target table">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::math::MathDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::memref::MemRefDialect"];
}

def ConvertVectorToLLVM : Pass<"sieve-convert-vector-to-llvm"> {
  let summary = "Vector ops to the LLVM dialect with a given index width";
  let description = [{
    Upstream's `convert-vector-to-llvm` with an `index-bitwidth` option:
    one-dimensional in-bounds `vector.transfer_read`s become `vector.load`s,
    and vector ops on memrefs get the same memref descriptors as
    `finalize-memref-to-llvm{index-bitwidth=32}` on 32-bit targets, where
    the upstream pass would build 64-bit ones that cannot be reconciled.
  }];
  let options = [
    Option<"indexBitwidth", "index-bitwidth", "unsigned", /*default=*/"64",
           "Bits of an index">
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // SIEVE_DIALECT_TERN_TRANSFORMS_PASSES_TD
