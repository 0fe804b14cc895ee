//===- Int8Kernels.h - Which int8 convolutions get kernels ------*- C++ -*-===//
//
// Part of Sieve. The one decision of which int8 convolutions
// sieve-vectorize-int8 turns into the target's kernels, shared by that pass
// (on buffers, where it builds them) and by sieve-plan-patches (on tensors,
// before fusion), whose arena rule must count what the kernels leave: a
// kernel with its requantisation fused keeps its int32 accumulators in
// registers, so the generic loops' row of accumulators disappears.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_INT8KERNELS_H
#define SIEVE_TRANSFORMS_INT8KERNELS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <string>

namespace sieve {

/// What `--int8-kernels=<mode>` gives a target whose int8 instructions are
/// `isa` (avx2, avx512, neon, dsp, mve or none): "generic" (no kernels), or the
/// `kernels` option of sieve-vectorize-int8 (vector, or a forced set).
std::string resolveInt8Kernels(llvm::StringRef mode, llvm::StringRef isa);

/// Whether sieve-vectorize-int8 has business with `op`: a 2-D convolution
/// or depthwise convolution (quantised or not), i8 x i8 -> i32.
bool isInt8Conv(mlir::linalg::LinalgOp op);

/// Why the kernels cannot take the int8 convolution `op`, judged by what
/// holds alike on tensors and on buffers (strides and dilations, zero points,
/// channel multiplier); "" when they can.
std::string int8ConvUnsupported(mlir::linalg::LinalgOp op);

/// Whether `op`, on tensors as lower-tosa leaves it, will run as a kernel of
/// `isa` under the resolved `kernels` with its requantisation fused (no int32
/// row), when it runs plainly (in sieve-fuse-into-rows' row loops). Inside
/// patch stages the convolutions keep the generic loops (dynamic shapes).
bool int8KernelFusesRequant(mlir::linalg::LinalgOp op, llvm::StringRef isa,
                            llvm::StringRef kernels);

} // namespace sieve

#endif // SIEVE_TRANSFORMS_INT8KERNELS_H
