//===- FoldConstants.cpp - Compute constant linalg ops at compile time ----===//
//
// Part of Sieve. Exporters transform weights at run time: torch-mlir writes
// every linear layer as a transpose of its constant weight, then a matmul.
// Whatever is computed from constants alone belongs in flash, computed once
// by the compiler; left to run time, it needs an arena buffer as large as
// the weight (4 MB for MobileNetV3-small's classifier) and time at every
// inference. Upstream folds transposes of dense constants; this pass folds
// the rest: any all-parallel linalg op whose inputs are splats (its result is
// a splat, evaluated once through the body's folders, whatever the size),
// and data movement (transpose, permutation, copy) of dense constants.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sieve {
#define GEN_PASS_DEF_FOLDCONSTANTS
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// Dense results larger than this are left to run time: copying them at
/// compile time costs memory and time for no gain in a real model.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// Whether `value` is only read by its users: folding a tensor that another
/// op accumulates into (a destination operand) would turn a cheap fill of
/// scratch memory into a copy from flash. So would folding one that is
/// inserted into another tensor: the op writes the destination's slice in
/// place, the constant would be a global copied there (a patch stage's
/// window borders filled with the padding value, 81 splats and 222,936 B of
/// flash in mcunet-in4).
bool isOnlyReadAsInput(Value value) {
  return llvm::all_of(value.getUses(), [](OpOperand &use) {
    if (isa<tensor::InsertSliceOp, tensor::ParallelInsertSliceOp>(
            use.getOwner()))
      return false;
    auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
    return !dps || !dps.isDpsInit(&use);
  });
}

/// The single scalar value `body` yields when its arguments hold `args`,
/// evaluated with the ops' folders; null if some op does not fold.
Attribute evaluateScalarBody(Block &body, ArrayRef<Attribute> args) {
  DenseMap<Value, Attribute> known;
  for (auto [arg, value] : llvm::zip(body.getArguments(), args))
    if (value)
      known[arg] = value;
  auto lookup = [&](Value v) -> Attribute {
    if (Attribute a = known.lookup(v))
      return a;
    Attribute constant;
    if (matchPattern(v, m_Constant(&constant)))
      return constant;
    return {};
  };
  for (Operation &op : body.without_terminator()) {
    if (op.getNumResults() != 1 || op.getNumRegions() != 0)
      return {};
    SmallVector<Attribute> operands = llvm::map_to_vector(
        op.getOperands(), [&](Value v) { return lookup(v); });
    if (llvm::is_contained(operands, Attribute()))
      return {};
    SmallVector<OpFoldResult> results;
    if (failed(op.fold(operands, results)) || results.size() != 1)
      return {};
    auto attr = dyn_cast<Attribute>(results[0]);
    if (!attr) {
      // Folded to one of its operands.
      attr = lookup(cast<Value>(results[0]));
      if (!attr)
        return {};
    }
    known[op.getResult(0)] = attr;
  }
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return {};
  return lookup(yield.getOperand(0));
}

/// A copy of `source`'s elements rearranged by the op's maps: result element
/// at iteration point p is source[sourceMap(p)].
template <typename T>
DenseElementsAttr permuteElements(DenseElementsAttr source,
                                  ShapedType resultType, AffineMap sourceMap,
                                  AffineMap resultMap) {
  ArrayRef<int64_t> resultShape = resultType.getShape();
  ArrayRef<int64_t> sourceShape = cast<ShapedType>(source.getType()).getShape();
  SmallVector<int64_t> sourceStrides(sourceShape.size(), 1);
  for (int i = static_cast<int>(sourceShape.size()) - 2; i >= 0; --i)
    sourceStrides[i] = sourceStrides[i + 1] * sourceShape[i + 1];
  // Iteration point of each result dimension (the result map is a
  // permutation).
  AffineMap toIteration = inversePermutation(resultMap);
  auto values = source.getValues<T>();
  SmallVector<T> result;
  int64_t count = resultType.getNumElements();
  result.reserve(count);
  SmallVector<int64_t> index(resultShape.size(), 0);
  for (int64_t n = 0; n < count; ++n) {
    SmallVector<int64_t> point = toIteration.compose(index);
    SmallVector<int64_t> at = sourceMap.compose(point);
    int64_t linear = 0;
    for (auto [i, stride] : llvm::zip(at, sourceStrides))
      linear += i * stride;
    result.push_back(values[linear]);
    for (int d = static_cast<int>(index.size()) - 1; d >= 0; --d) {
      if (++index[d] < resultShape[d])
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::get(resultType, result);
}

struct FoldConstantLinalgOp final
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
        !op.isAllParallelLoops() || op.hasIndexSemantics() ||
        op.getNumDpsInits() != 1 || !isOnlyReadAsInput(op->getResult(0)))
      return rewriter.notifyMatchFailure(op, "not a pure constant map");
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType || !resultType.hasStaticShape())
      return failure();

    // A constant for every operand the body reads; scalars as they are,
    // splats as their value.
    SmallVector<Attribute> args;
    bool allSplat = true;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!op.payloadUsesValueFromOperand(&operand)) {
        args.push_back({});
        continue;
      }
      Attribute constant;
      if (!matchPattern(operand.get(), m_Constant(&constant)))
        return rewriter.notifyMatchFailure(op, "an operand is not constant");
      if (auto elements = dyn_cast<DenseElementsAttr>(constant)) {
        allSplat &= elements.isSplat();
        args.push_back(elements.isSplat() ? elements.getSplatValue<Attribute>()
                                          : constant);
      } else {
        args.push_back(constant);
      }
    }

    DenseElementsAttr folded;
    if (allSplat) {
      auto value = dyn_cast_if_present<TypedAttr>(
          evaluateScalarBody(*op.getBlock(), args));
      if (!value || value.getType() != resultType.getElementType())
        return rewriter.notifyMatchFailure(op, "the body does not fold");
      folded = DenseElementsAttr::get(resultType, value);
    } else {
      folded = foldDataMovement(op, resultType);
      if (!folded)
        return rewriter.notifyMatchFailure(op, "not a foldable permutation");
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, resultType, folded);
    return success();
  }

  /// A transpose or copy of one dense constant (the body yields an input
  /// element), when it does not grow the data.
  static DenseElementsAttr foldDataMovement(linalg::LinalgOp op,
                                            RankedTensorType resultType) {
    auto yield = cast<linalg::YieldOp>(op.getBlock()->getTerminator());
    auto arg = dyn_cast<BlockArgument>(yield.getOperand(0));
    if (!arg || arg.getOwner() != op.getBlock() ||
        arg.getArgNumber() >= op.getNumDpsInputs())
      return {};
    OpOperand *input = op.getDpsInputOperand(arg.getArgNumber());
    DenseElementsAttr source;
    if (!matchPattern(input->get(), m_Constant(&source)))
      return {};
    AffineMap sourceMap = op.getMatchingIndexingMap(input);
    AffineMap resultMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (!resultMap.isPermutation() || !sourceMap.isProjectedPermutation() ||
        resultType.getNumElements() > source.getNumElements() ||
        resultType.getNumElements() > kMaxFoldedElements)
      return {};
    Type element = resultType.getElementType();
    if (element != source.getElementType())
      return {};
    if (isa<IntegerType>(element))
      return permuteElements<APInt>(source, resultType, sourceMap, resultMap);
    if (isa<FloatType>(element))
      return permuteElements<APFloat>(source, resultType, sourceMap, resultMap);
    return {};
  }
};

struct FoldConstantsPass final
    : sieve::impl::FoldConstantsBase<FoldConstantsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldConstantLinalgOp>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
