//===- MacCount.cpp - Multiply-accumulates of a model ---------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/MacCount.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;

uint64_t sieve::countMacs(Operation *root) {
  uint64_t macs = 0;
  root->walk([&](linalg::LinalgOp op) {
    if (op.getNumReductionLoops() == 0)
      return;
    uint64_t points = 1;
    for (int64_t range : op.getStaticLoopRanges()) {
      if (ShapedType::isDynamic(range))
        return;
      points *= range;
    }
    macs += points;
  });
  return macs;
}
