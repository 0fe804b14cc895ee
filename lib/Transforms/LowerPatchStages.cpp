//===- LowerPatchStages.cpp - patch.stage to loops over patches -----------===//
//
// Part of Sieve. Upstream tile-and-fuse does the work: tiling the stage's
// last op by the stage's tile and fusing every producer of the stage into
// the loop computes, for each patch, exactly the receptive field of its
// tile in every layer, with padding applied where a padded slice reaches an
// image border.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Patch/IR/PatchOps.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace sieve {
#define GEN_PASS_DEF_LOWERPATCHSTAGES
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

LogicalResult lowerStage(IRRewriter &rewriter, patch::StageOp stage) {
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
  Value tiled = result->replacements.lookup(root->getResult(0));
  rewriter.replaceAllUsesWith(root->getResult(0), tiled);

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
