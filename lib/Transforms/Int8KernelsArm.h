//===- Int8KernelsArm.h - Cortex-M kernels of sieve-vectorize-int8 -*- C++ -*-//
//
// Part of Sieve. The Cortex-M side of sieve-vectorize-int8: the pass
// (VectorizeInt8.cpp) analyses an int8 convolution and what it fuses, and
// hands the facts to these builders.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_INT8KERNELSARM_H
#define SIEVE_TRANSFORMS_INT8KERNELSARM_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace sieve::int8arm {

/// Cortex-M4/M7 DSP (sxtb16, smlad: 2 MACs per instruction) or Cortex-M55
/// MVE (vmladava: 16 MACs per instruction).
enum class ArmIsa { Dsp, Mve };

/// One int8 convolution (channel multiplier one for depthwise) with constant
/// weights and zero weight zero point, as the pass found it.
struct ArmLayer {
  bool depthwise = false;
  mlir::Value input;              // [N, IH, IW, C] i8, channels contiguous
  mlir::Value output;             // [N, OH, OW, F] i32 (hwcm outputs collapsed)
  mlir::Value convOutput;         // the op's own output operand
  llvm::ArrayRef<int8_t> weights; // fhwc, or hwc for depthwise
  llvm::StringRef weightsName;    // the global they came from
  int64_t n, ih, iw, c, f, kh, kw, oh, ow, sh, sw;
  int64_t inputZp;
  /// The accumulators' folded initialisation (the bias) per output channel,
  /// when `initFolded`; else the kernel adds to the output's values.
  bool initFolded = false;
  llvm::ArrayRef<int64_t> bias;
  std::string biasKey;
  /// The fused requantising consumer and its output ([N, OH, OW, F] i8),
  /// or null: the kernel then stores the int32 accumulators.
  mlir::linalg::GenericOp requant;
  mlir::Value requantOutput;
};

/// Why the Cortex-M kernels cannot take `layer`, or "".
std::string armUnsupported(const ArmLayer &layer);

/// Builds the kernel of `layer` at `b`'s insertion point, with its repacked
/// weights and corrections as constant globals of `module` (shared by the
/// layers that read the same weights the same way). Returns the kernel's
/// name; `packedBytes` gets the bytes of its constants.
std::string buildArmKernel(mlir::ModuleOp module, mlir::OpBuilder &b,
                           mlir::Location loc, ArmIsa isa,
                           const ArmLayer &layer, int64_t &packedBytes);

} // namespace sieve::int8arm

#endif // SIEVE_TRANSFORMS_INT8KERNELSARM_H
