//===- TernOps.cpp - Ops of the tern dialect ------------------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Tern/IR/TernOps.h"

using namespace mlir;
using namespace sieve::tern;

LogicalResult MatmulOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  auto weightType = dyn_cast<RankedTensorType>(getWeights().getType());
  if (!weightType || weightType.getRank() != 2 ||
      !weightType.getElementType().isInteger(8))
    return emitOpError("weights must be a rank-2 tensor of i8 [N, K], got ")
           << getWeights().getType();
  if (in.getRank() != 2 || out.getRank() != 2)
    return emitOpError("input [M, K] and result [M, N] must have rank 2, got ")
           << in << " and " << out;
  int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
  auto conflicts = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && a != b;
  };
  if (conflicts(in.getDimSize(1), k))
    return emitOpError("input depth ")
           << in.getDimSize(1) << " differs from the weights' K = " << k;
  if (conflicts(out.getDimSize(1), n) ||
      (!ShapedType::isDynamic(in.getDimSize(0)) &&
       conflicts(out.getDimSize(0), in.getDimSize(0))))
    return emitOpError("result must be [M, N] = [")
           << in.getDimSize(0) << ", " << n << "], got " << out;

  // The whole point of the op: every weight is -1, 0 or +1. A splat is one
  // value, however many weights it stands for.
  auto values = getWeights().tryGetValues<APInt>();
  if (!values)
    return emitOpError("weights must be integer elements");
  if (getWeights().isSplat()) {
    int64_t value = getWeights().getSplatValue<APInt>().getSExtValue();
    if (value < -1 || value > 1)
      return emitOpError("weights are all ")
             << value << ", which is not ternary (-1, 0 or +1)";
    return success();
  }
  int64_t index = 0;
  for (const APInt &w : *values) {
    int64_t value = w.getSExtValue();
    if (value < -1 || value > 1)
      return emitOpError("weight ")
             << value << " at [" << index / k << ", " << index % k
             << "] is not ternary (-1, 0 or +1)";
    ++index;
  }
  return success();
}

#define GET_OP_CLASSES
#include "sieve/Dialect/Tern/IR/TernOps.cpp.inc"
