//===- FillSplatResults.cpp - Returned splat constants as fills -----------===//
//
// Part of Sieve. Bufferized as it is, a returned constant becomes a global
// copied into the output: the global holds every element in the object file
// (16 GiB for a tensor<1x65536x65536x4xi8> of ones, which LLVM would spend
// minutes writing out) only to be copied once. A fill writes the output
// directly and costs neither flash nor arena.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace sieve {
#define GEN_PASS_DEF_FILLSPLATRESULTS
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// The splat that `value` holds, looking through reshapes (a reshaped splat
/// is the same splat).
SplatElementsAttr getSplatThroughReshapes(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ReshapeOp,
             tensor::CastOp>(op))
      break;
    value = op->getOperand(0);
  }
  SplatElementsAttr splat;
  if (!matchPattern(value, m_Constant(&splat)))
    return {};
  return splat;
}

struct FillSplatResultsPass final
    : sieve::impl::FillSplatResultsBase<FillSplatResultsPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = dyn_cast<RankedTensorType>(operand.get().getType());
        SplatElementsAttr splat = getSplatThroughReshapes(operand.get());
        if (!type || !type.hasStaticShape() || !splat)
          continue;
        auto element = dyn_cast<TypedAttr>(splat.getSplatValue<Attribute>());
        if (!element)
          continue;
        OpBuilder builder(ret);
        Location loc = operand.get().getLoc();
        Value scalar = arith::ConstantOp::create(builder, loc, element);
        Value empty = tensor::EmptyOp::create(builder, loc, type.getShape(),
                                              type.getElementType());
        operand.set(
            linalg::FillOp::create(builder, loc, scalar, empty).getResult(0));
      }
    });
  }
};

} // namespace
