//===- LowerPatchStages.cpp - patch.stage to loops over patches -----------===//
//
// Part of Sieve. Upstream tile-and-fuse does the work: tiling the stage's
// last op by the stage's tile and fusing every producer of the stage into
// the loop computes, for each patch, exactly the receptive field of its
// tile in every layer, with padding applied where a padded slice reaches an
// image border.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/BufferLiveness.h"
#include "sieve/Dialect/Patch/IR/PatchOps.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace sieve {
#define GEN_PASS_DEF_LOWERPATCHSTAGES
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// The filter `filter` (HxWxCx1) as HxWxC.
Value collapseFilter(IRRewriter &rewriter, Location loc, Value filter) {
  auto type = cast<RankedTensorType>(filter.getType());
  auto collapsed =
      RankedTensorType::get(type.getShape().drop_back(), type.getElementType());
  DenseElementsAttr weights;
  if (matchPattern(filter, m_Constant(&weights)))
    return arith::ConstantOp::create(rewriter, loc, weights.reshape(collapsed));
  return tensor::CollapseShapeOp::create(
      rewriter, loc, collapsed, filter,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

/// The constant filter `filter` (HxWx1xM) of a depthwise convolution of one
/// input channel as the filter (MxHxWx1) of a convolution; none when it is
/// not a constant.
Value transposeFilter(IRRewriter &rewriter, Location loc, Value filter) {
  auto type = cast<RankedTensorType>(filter.getType());
  DenseElementsAttr weights;
  if (!matchPattern(filter, m_Constant(&weights)))
    return {};
  int64_t h = type.getDimSize(0), w = type.getDimSize(1),
          m = type.getDimSize(3);
  auto newType = RankedTensorType::get({m, h, w, 1}, type.getElementType());
  if (weights.isSplat())
    return arith::ConstantOp::create(rewriter, loc,
                                     weights.resizeSplat(newType));
  SmallVector<Attribute> values(weights.getValues<Attribute>());
  SmallVector<Attribute> transposed(values.size());
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < m; ++k)
        transposed[(k * h + y) * w + x] = values[(y * w + x) * m + k];
  return arith::ConstantOp::create(rewriter, loc,
                                   DenseElementsAttr::get(newType, transposed));
}

/// TOSA's depthwise convolutions lower to the `hwcm` form with a channel
/// multiplier of 1 and a collapse_shape of the result, which tile-and-fuse
/// cannot see through: the convolution would run whole before the loops.
/// Rewritten to the `hwc` form (with an init of the collapsed shape), it is
/// fused into each patch like every other op.
/// A depthwise convolution of one input channel with a multiplier (the stem
/// of MobileNetV1-like models) is a convolution: rewritten so, for the same
/// reason.
template <typename HwcmOp, typename HwcOp, typename ConvOp>
void rewriteDepthwise(IRRewriter &rewriter, patch::StageOp stage) {
  SmallVector<tensor::CollapseShapeOp> collapses;
  stage.walk([&](tensor::CollapseShapeOp op) { collapses.push_back(op); });
  for (tensor::CollapseShapeOp collapse : collapses) {
    auto conv = collapse.getSrc().getDefiningOp<HwcmOp>();
    auto resultType = cast<RankedTensorType>(collapse.getType());
    if (!conv || !conv->hasOneUse() || resultType.getRank() != 4)
      continue;
    bool single =
        cast<RankedTensorType>(conv.getResult(0).getType()).getDimSize(4) == 1;
    bool oneChannel =
        cast<RankedTensorType>(conv.getResult(0).getType()).getDimSize(3) == 1;
    if (!single && !oneChannel)
      continue;
    auto fill = conv.getDpsInits()[0].template getDefiningOp<linalg::FillOp>();
    if (!fill)
      continue;
    Location loc = conv.getLoc();
    rewriter.setInsertionPoint(conv);
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                          resultType.getElementType());
    Value init = linalg::FillOp::create(rewriter, fill.getLoc(),
                                        fill.getInputs()[0], empty)
                     .getResult(0);
    SmallVector<Value> inputs(conv.getDpsInputs());
    SmallVector<NamedAttribute> attrs = {
        rewriter.getNamedAttr("strides", conv.getStrides()),
        rewriter.getNamedAttr("dilations", conv.getDilations())};
    Operation *replacement;
    if (single) {
      inputs[1] = collapseFilter(rewriter, loc, inputs[1]);
      replacement = HwcOp::create(rewriter, loc, TypeRange{resultType}, inputs,
                                  ValueRange{init}, attrs);
    } else {
      inputs[1] = transposeFilter(rewriter, loc, inputs[1]);
      if (!inputs[1]) {
        rewriter.eraseOp(init.getDefiningOp());
        rewriter.eraseOp(empty.getDefiningOp());
        continue;
      }
      replacement = ConvOp::create(rewriter, loc, TypeRange{resultType}, inputs,
                                   ValueRange{init}, attrs);
    }
    rewriter.replaceOp(collapse, replacement->getResults());
    rewriter.eraseOp(conv);
    if (fill->use_empty())
      rewriter.eraseOp(fill);
  }
}

LogicalResult lowerStage(IRRewriter &rewriter, patch::StageOp stage) {
  rewriteDepthwise<linalg::DepthwiseConv2DNhwcHwcmQOp,
                   linalg::DepthwiseConv2DNhwcHwcQOp,
                   linalg::Conv2DNhwcFhwcQOp>(rewriter, stage);
  rewriteDepthwise<linalg::DepthwiseConv2DNhwcHwcmOp,
                   linalg::DepthwiseConv2DNhwcHwcOp, linalg::Conv2DNhwcFhwcOp>(
      rewriter, stage);
  if (stage.getStrategy() != "recompute")
    return stage.emitOpError("has no lowering for the '")
           << stage.getStrategy()
           << "' strategy yet; plan with strategies=recompute";
  Block &body = stage.getBody().front();
  auto yield = cast<patch::YieldOp>(body.getTerminator());
  auto root = yield.getValue().getDefiningOp<linalg::LinalgOp>();
  auto outType = cast<RankedTensorType>(stage.getResult().getType());
  bool global = outType.getDimSize(1) == 1 && outType.getDimSize(2) == 1;
  // A stage ending in a global pooling: the patches tile the pooling's
  // window loops and accumulate; what follows it (requantisation) runs
  // once, after the loops.
  while (global && root && root.getNumReductionLoops() == 0) {
    Value next;
    for (OpOperand *input : root.getDpsInputOperands())
      if (input->get().getDefiningOp<linalg::LinalgOp>() &&
          stage->isProperAncestor(input->get().getDefiningOp()))
        next = input->get();
    root = next ? next.getDefiningOp<linalg::LinalgOp>() : nullptr;
  }
  if (!root || root->getNumResults() != 1)
    return stage.emitOpError(
        "cannot tile its last op: it must be a linalg op with one result");
  OpOperand *image = root.getDpsInputOperand(0);
  AffineMap map = global
                      ? root.getMatchingIndexingMap(image)
                      : root.getMatchingIndexingMap(root.getDpsInitOperand(0));
  // The loop that moves along rows (columns) of what the patches tile: the
  // output's, or the pooling window's.
  auto loopOf = [&](unsigned dim) -> std::optional<unsigned> {
    AffineExpr expr = map.getResult(dim);
    if (auto d = dyn_cast<AffineDimExpr>(expr))
      return d.getPosition();
    std::optional<unsigned> found;
    expr.walk([&](AffineExpr sub) {
      if (auto d = dyn_cast<AffineDimExpr>(sub))
        if (root.getIteratorTypesArray()[d.getPosition()] ==
            utils::IteratorType::reduction)
          found = d.getPosition();
    });
    return found;
  };
  std::optional<unsigned> rowLoop = loopOf(1), colLoop = loopOf(2);
  if (!rowLoop || !colLoop)
    return stage.emitOpError("cannot tile its last op by rows and columns");

  SmallVector<OpFoldResult> tileSizes(root.getNumLoops(),
                                      rewriter.getIndexAttr(0));
  tileSizes[*rowLoop] = rewriter.getIndexAttr(stage.getTile()[0]);
  tileSizes[*colLoop] = rewriter.getIndexAttr(stage.getTile()[1]);
  Operation *rootInit = root.getDpsInitOperand(0)->get().getDefiningOp();
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(tileSizes);
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (!stage->isProperAncestor(producer.getOwner()))
          return std::nullopt;
        // Patches of a pooling window accumulate: its initialisation stays
        // before the loops.
        if (global && producer.getOwner() == rootInit)
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(root.getOperation()), options);
  if (failed(result))
    return stage.emitOpError("tiling its last op by patches failed");
  // The arena's liveness sees inside these loops (BufferLiveness.h).
  for (LoopLikeOpInterface loop : result->loops)
    loop->setAttr(kPatchLoopAttrName, rewriter.getUnitAttr());
  Value tiled = result->replacements.lookup(root->getResult(0));
  rewriter.replaceAllUsesWith(root->getResult(0), tiled);

  // Tiling a padding guards against patches whose input slice is empty
  // (the patch lies in the padding); a real patch always reads some of its
  // input, and the guard would double the patch's padded window. Sizes that
  // cannot be zero fold the guard away.
  SmallVector<arith::CmpIOp> guards;
  if (!result->loops.empty())
    result->loops.front()->walk([&](arith::CmpIOp cmp) {
      if (cmp.getPredicate() == arith::CmpIPredicate::eq &&
          isZeroInteger(cmp.getRhs()))
        if (std::optional<IndexRange> range = getIndexRange(cmp.getLhs()))
          if (range->first > 0)
            guards.push_back(cmp);
    });
  for (arith::CmpIOp cmp : guards) {
    rewriter.setInsertionPoint(cmp);
    rewriter.replaceOp(cmp, arith::ConstantIntOp::create(rewriter, cmp.getLoc(),
                                                         rewriter.getI1Type(),
                                                         int64_t(0)));
  }

  // Inline the body where the stage was.
  Value output = yield.getValue();
  rewriter.inlineBlockBefore(&body, stage, stage.getInputs());
  rewriter.replaceOp(stage, output);
  rewriter.eraseOp(yield);
  return success();
}

struct LowerPatchStagesPass final
    : sieve::impl::LowerPatchStagesBase<LowerPatchStagesPass> {
  void runOnOperation() override {
    SmallVector<patch::StageOp> stages;
    getOperation().walk([&](patch::StageOp op) { stages.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (patch::StageOp stage : stages)
      if (failed(lowerStage(rewriter, stage)))
        return signalPassFailure();
  }
};

} // namespace
