//===- PatchPlanGraph.h - A CNN's layers read from linalg -------*- C++ -*-===//
//
// Part of Sieve. Builds the Network of ReceptiveField.h from a function of
// linalg ops on tensors (after lower-tosa): a layer is a reduction
// (convolution, depthwise convolution, pooling) with the padding before it
// and the elementwise ops after it, or elementwise ops alone (residual adds).
// How a layer reads its inputs comes from the indexing maps of its ops, not
// from their names; ops the analysis cannot see through become opaque layers
// that only run whole.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ANALYSIS_PATCHPLANGRAPH_H
#define SIEVE_ANALYSIS_PATCHPLANGRAPH_H

#include "sieve/Analysis/ReceptiveField.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <vector>

namespace sieve {

struct NetworkOps {
  Network net;
  /// Per layer: its ops in program order (paddings and views included).
  std::vector<llvm::SmallVector<mlir::Operation *>> ops;
  /// Per layer: the op that names it in diagnostics and reports (its
  /// reduction, else its first op).
  std::vector<mlir::Operation *> anchor;
};

NetworkOps buildNetwork(mlir::func::FuncOp func);

/// Marks a `patch.stage` whose recomputed patches sieve-lower-patch-stages
/// gives static shapes (stageHasStaticBorders), as the planner counted them.
inline constexpr llvm::StringLiteral kStaticBordersAttrName =
    "sieve.static_borders";

/// Marks a `patch.stage` with static border patches whose paddings of
/// regions computed in a patch are read in place (StageCost::padsInPlace).
inline constexpr llvm::StringLiteral kPadsInPlaceAttrName =
    "sieve.pads_in_place";

/// The same for a block (a `patch.stage` body): its arguments are the
/// network's inputs, the operands of its terminator its outputs.
NetworkOps buildNetwork(mlir::Block &block);

} // namespace sieve

#endif // SIEVE_ANALYSIS_PATCHPLANGRAPH_H
