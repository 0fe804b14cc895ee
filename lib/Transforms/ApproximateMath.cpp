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

/// `type` (a float or a shaped type of floats) with i32 elements.
Type withI32Elements(Type type) {
  Type i32 = IntegerType::get(type.getContext(), 32);
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.clone(i32);
  return i32;
}

/// `scalar` as a constant of `type`: itself, or a splat of it.
Value splatConstant(PatternRewriter &rewriter, Location loc, Type type,
                    TypedAttr scalar) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    scalar = DenseElementsAttr::get(shaped, scalar);
  return arith::ConstantOp::create(rewriter, loc, type, scalar);
}

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
    Type intType = withI32Elements(type);
    auto constant = [&](double value) {
      return splatConstant(rewriter, loc, type,
                           rewriter.getFloatAttr(floatType, value));
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

/// roundeven(x) (ties to even; TOSA's float-to-int cast rounds so) through a
/// 32-bit integer: upstream's expansion round-trips through i64, which on a
/// 32-bit MCU calls the soft-float helpers __fixsfdi and __floatdisf that a
/// bare-metal image does not have. Below 2^(mantissa bits), f = floor(x) and
/// x - f are exact, so stepping up when the fraction is above one half, or
/// exactly one half with f odd, is exact; above it x is an integer.
struct ExpandRoundEven final : OpRewritePattern<math::RoundEvenOp> {
  ExpandRoundEven(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(math::RoundEvenOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(type));
    if (!floatType || floatType.getWidth() != 32)
      return failure();
    Location loc = op.getLoc();
    Type intType = withI32Elements(type);
    auto constant = [&](double value) {
      return splatConstant(rewriter, loc, type,
                           rewriter.getFloatAttr(floatType, value));
    };
    auto intConstant = [&](int64_t value) {
      return splatConstant(rewriter, loc, intType,
                           rewriter.getI32IntegerAttr(value));
    };
    Value x = op.getOperand();
    Value magnitude = math::AbsFOp::create(rewriter, loc, x);
    Value limit = constant(std::ldexp(1.0, floatType.getFPMantissaWidth() - 1));
    Value small = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::OLT, magnitude, limit);
    Value floor = math::FloorOp::create(rewriter, loc, x);
    Value fraction = arith::SubFOp::create(rewriter, loc, x, floor);
    Value half = constant(0.5);
    Value above = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::OGT, fraction, half);
    Value tie = arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OEQ,
                                      fraction, half);
    Value integer = arith::FPToSIOp::create(rewriter, loc, intType, floor);
    Value lowBit =
        arith::AndIOp::create(rewriter, loc, integer, intConstant(1));
    Value odd = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ne,
                                      lowBit, intConstant(0));
    Value up = arith::OrIOp::create(
        rewriter, loc, above, arith::AndIOp::create(rewriter, loc, tie, odd));
    Value stepped = arith::AddFOp::create(rewriter, loc, floor, constant(1));
    Value rounded = arith::SelectOp::create(rewriter, loc, up, stepped, floor);
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, small, rounded, x);
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
    patterns.add<ExpandFloor, ExpandRoundEven>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
