//===- MacCount.h - Multiply-accumulates of a model -------------*- C++ -*-===//
//
// Part of Sieve. The work of convolutions, matmuls and pooling, counted on
// linalg before any tiling: the figure papers report (MACs), and the base
// against which recomputation (patches, rows) is measured.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ANALYSIS_MACCOUNT_H
#define SIEVE_ANALYSIS_MACCOUNT_H

#include "mlir/IR/Operation.h"

#include <cstdint>

namespace sieve {

/// The sum, over the linalg ops nested in `root` that reduce (convolutions,
/// matmuls, pooling, reductions), of their iteration-space sizes: one MAC per
/// point. Ops with dynamic loop ranges are skipped.
uint64_t countMacs(mlir::Operation *root);

} // namespace sieve

#endif // SIEVE_ANALYSIS_MACCOUNT_H
