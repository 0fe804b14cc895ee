//===- ApproximateMath.cpp - Polynomial approximations of math ops --------===//
//
// Part of Sieve. A bare-metal image has no libm, so transcendental functions
// become arithmetic; the same code then runs on every target.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sieve {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// floor(x) without a rounding instruction or libm's floorf (Cortex-M4's FPU
/// has neither): below 2^(mantissa bits) truncate through an integer and step
/// down when that rounded up; above it every float is an integer already.
/// Exact, and NaN and infinities pass through.
struct ExpandFloor final : OpRewritePattern<math::FloorOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::FloorOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(type));
    if (!floatType || floatType.getWidth() > 32)
      return failure();
    Location loc = op.getLoc();
    Type intType = rewriter.getIntegerType(32);
    if (auto shaped = dyn_cast<ShapedType>(type))
      intType = shaped.clone(intType);
    auto constant = [&](double value) -> Value {
      TypedAttr attr = rewriter.getFloatAttr(floatType, value);
      if (auto shaped = dyn_cast<ShapedType>(type))
        attr = DenseElementsAttr::get(shaped, attr);
      return arith::ConstantOp::create(rewriter, loc, type, attr);
    };
    Value x = op.getOperand();
    Value magnitude = math::AbsFOp::create(rewriter, loc, x);
    Value limit = constant(std::ldexp(1.0, floatType.getFPMantissaWidth() - 1));
    Value small = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::OLT, magnitude, limit);
    Value integer = arith::FPToSIOp::create(rewriter, loc, intType, x);
    Value truncated = arith::SIToFPOp::create(rewriter, loc, type, integer);
    Value roundedUp = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::OGT, truncated, x);
    Value stepped =
        arith::SubFOp::create(rewriter, loc, truncated, constant(1));
    Value floor =
        arith::SelectOp::create(rewriter, loc, roundedUp, stepped, truncated);
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, small, floor, x);
    return success();
  }
};

struct ApproximateMathPass final
    : sieve::impl::ApproximateMathBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // First rewrite ops into the ones that have approximations (tanh into
    // exp, powf into exp and log, ...), then approximate those.
    math::populateExpansionPatterns(patterns);
    populateMathAlgebraicSimplificationPatterns(patterns);
    auto all = [](StringRef) { return true; };
    populateMathF32ExpansionPatterns(patterns, all);
    populateMathPolynomialApproximationPatterns(patterns, all);
    patterns.add<ExpandFloor>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
