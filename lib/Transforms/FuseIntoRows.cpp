//===- FuseIntoRows.cpp - Row-by-row convolutions fused with consumers ----===//
//
// Part of Sieve. Tiles elementwise consumers of convolutions and matmuls by
// output rows and fuses their single-use producers into the row loop, so
// that int32 accumulators and padded inputs never exist whole.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "sieve/Analysis/BufferLiveness.h"

namespace sieve {
#define GEN_PASS_DEF_FUSEINTOROWS
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// A convolution or matmul: a linalg op that reduces.
bool isReduction(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() > 0;
}

/// Whether computing `producer` by rows saves memory: its elements are wider
/// than those of `consumer`'s result (int32 accumulators requantised to int8)
/// or it reads a padded copy of its input.
bool rowsSaveMemory(Operation *producer, linalg::LinalgOp consumer) {
  auto bitWidth = [](Value value) {
    return getElementTypeOrSelf(value.getType()).getIntOrFloatBitWidth();
  };
  if (bitWidth(producer->getResult(0)) > bitWidth(consumer->getResult(0)))
    return true;
  return llvm::any_of(producer->getOperands(), [](Value operand) {
    return operand.getDefiningOp<tensor::PadOp>();
  });
}

/// Whether `op` is at the top level of the function, or inside a loop over
/// patches (sieve-lower-patch-stages), whose body is a function's worth of
/// ops on one patch.
bool isAtTopLevel(Operation *op) {
  if (isa<func::FuncOp>(op->getParentOp()))
    return true;
  auto loop = op->getParentOfType<scf::ForOp>();
  return loop && loop->hasAttr(sieve::kPatchLoopAttrName);
}

/// An elementwise linalg op on tensors, at the top level of the function
/// or of a patch, whose output is indexed by its loops in order, and that reads
/// a reduction's result that nothing else reads and that is cheaper by rows.
bool isRowFusionRoot(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() ||
      op.getNumLoops() != op.getNumParallelLoops() ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 2 || !isAtTopLevel(op))
    return false;
  if (!op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return false;
  // Upstream tiling divides by loop sizes: an empty op (a zero-sized
  // dimension anywhere in its operands) has no rows to compute anyway.
  if (llvm::is_contained(op.getStaticLoopRanges(), 0))
    return false;
  return llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *operand) {
    Operation *producer = operand->get().getDefiningOp();
    if (auto linalgProducer = dyn_cast_if_present<linalg::LinalgOp>(producer))
      if (llvm::is_contained(linalgProducer.getStaticLoopRanges(), 0))
        return false;
    return isReduction(producer) && producer->hasOneUse() &&
           op.getMatchingIndexingMap(operand).isIdentity() &&
           rowsSaveMemory(producer, op);
  });
}

/// The producers worth fusing into the rows of `root`: those that only the
/// fused computation uses: the reduction, the fill or broadcast initialising
/// its accumulators, and the padding of its input. Collected before tiling,
/// which adds uses.
llvm::SmallPtrSet<Operation *, 8> collectFusableProducers(Operation *root) {
  llvm::SmallPtrSet<Operation *, 8> fusable;
  SmallVector<Operation *> worklist = {root};
  while (!worklist.empty()) {
    Operation *consumer = worklist.pop_back_val();
    for (Value operand : consumer->getOperands()) {
      Operation *producer = operand.getDefiningOp();
      if (!producer || !producer->hasOneUse() || fusable.contains(producer))
        continue;
      bool isInit = false;
      if (auto dps = dyn_cast<DestinationStyleOpInterface>(consumer))
        isInit = llvm::is_contained(dps.getDpsInits(), operand);
      // A reduction initialising another accumulates into the same
      // accumulator (a cached stage's patches each add their pixels to a
      // global pooling's): it stays where it is, right after its patch.
      // Fused, it would move down to the root, after the later patches,
      // keeping its patch's input alive through them (MobileNetV2-0.35@144:
      // both patches' conv_62 outputs live at pool_63).
      bool accumulates =
          isInit && isReduction(producer) && isReduction(consumer);
      bool wanted =
          !accumulates &&
          (isReduction(producer) || isa<tensor::PadOp>(producer) ||
           (isInit && isa<linalg::LinalgOp>(producer) && consumer != root));
      if (wanted && isa<TilingInterface>(producer)) {
        fusable.insert(producer);
        worklist.push_back(producer);
      }
    }
  }
  return fusable;
}

struct FuseIntoRowsPass final
    : sieve::impl::FuseIntoRowsBase<FuseIntoRowsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> roots;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isRowFusionRoot(op))
        roots.push_back(op);
    });

    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp root : roots) {
      // One row: the outer two dimensions (batch, height) of NHWC-like
      // results, the outer one of matrices.
      unsigned rank = root.getNumLoops();
      SmallVector<OpFoldResult> tileSizes(rank, rewriter.getIndexAttr(0));
      tileSizes[0] = rewriter.getIndexAttr(1);
      if (rank >= 3)
        tileSizes[1] = rewriter.getIndexAttr(1);

      scf::SCFTileAndFuseOptions options;
      options.tilingOptions.setTileSizes(tileSizes);
      llvm::SmallPtrSet<Operation *, 8> fusable = collectFusableProducers(root);
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp, OpResult producer, bool)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            if (!fusable.contains(producer.getOwner()))
              return std::nullopt;
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          });
      rewriter.setInsertionPoint(root);
      FailureOr<scf::SCFTileAndFuseResult> result =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(root.getOperation()), options);
      if (failed(result))
        continue; // Not tileable this way: it stays whole, which is correct.
      if (!result->loops.empty())
        sieve::foldNonEmptyPadGuards(rewriter, result->loops.front());
      for (OpResult value : root->getResults())
        if (Value replacement = result->replacements.lookup(value))
          rewriter.replaceAllUsesWith(value, replacement);
    }

    // A row of an accumulator initialised from a shared tensor.empty must
    // become its own row-sized tensor.empty, or bufferization allocates the
    // whole tensor outside the loop.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

// A row whose input slice cannot be empty never takes the guard: msf-mbv2's
// column strips (dw_42) kept a second padded buffer for it.
// Interval arithmetic loses the dependence between the clamps of a border
// patch's slice size (each affine.max with 0 lets the interval reach 0): in
// mcunet-in4's 1x1 patches of conv_1..conv_13 the guard of dw_5's padded
// input stayed, and the else branch held every earlier layer of the patch,
// so their buffers were all alive at once (116,896 B for a 68,512 B plan).
// Evaluating the size at every patch (loops with constant bounds) is exact.
static bool cannotBeZero(Value size) {
  std::optional<sieve::IndexRange> range = sieve::getIndexRange(size);
  if (range && range->first > 0)
    return true;
  range = sieve::getExactIndexRange(size);
  return range && range->first > 0;
}

void sieve::foldNonEmptyPadGuards(RewriterBase &rewriter, Operation *loop) {
  SmallVector<arith::CmpIOp> guards;
  loop->walk([&](arith::CmpIOp cmp) {
    if (cmp.getPredicate() == arith::CmpIPredicate::eq &&
        isZeroInteger(cmp.getRhs()))
      if (cannotBeZero(cmp.getLhs()))
        guards.push_back(cmp);
  });
  for (arith::CmpIOp cmp : guards) {
    rewriter.setInsertionPoint(cmp);
    rewriter.replaceOp(cmp, arith::ConstantIntOp::create(rewriter, cmp.getLoc(),
                                                         rewriter.getI1Type(),
                                                         int64_t(0)));
  }
}
