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
#include "sieve/Analysis/PatchPlan.h"
#include "sieve/Analysis/PatchPlanGraph.h"
#include "sieve/Dialect/Patch/IR/PatchOps.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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

// Helpers of the two cached lowerings (lowerCachedStage: row strips;
// lowerCachedGrid: 2-D grids with cached columns). Both walk the patches
// along one axis (rows, or the columns of a band), keep a window per layer
// that slides with them and compute only what is new.

/// A cached stage ending in a global pooling: its layers up to the
/// pooling's input are cached as usual, and `reduce`, the pooling's op
/// with the window loops `rowLoop` and `colLoop`, accumulates each patch's
/// new pixels of that input into its accumulator, carried through the
/// patches as an output is; what follows it (the requantisation) runs once,
/// after the patches, as in a recomputed stage.
struct CachedPool {
  linalg::LinalgOp reduce;
  unsigned rowLoop = 0, colLoop = 0;
};

/// The global pooling ending a stage whose last layer reads layer `input`
/// whole into one pixel (stageTiledLayer): the op with reduction loops
/// that the ops without reduction loops before the stage's result read,
/// reading that layer's result whole through window loops.
std::optional<CachedPool> findGlobalPool(patch::StageOp stage,
                                         const NetworkOps &graph, int input) {
  auto yield = cast<patch::YieldOp>(stage.getBody().front().getTerminator());
  auto root = yield.getValue().getDefiningOp<linalg::LinalgOp>();
  while (root && root.getNumReductionLoops() == 0) {
    Value next;
    for (OpOperand *operand : root.getDpsInputOperands())
      if (operand->get().getDefiningOp<linalg::LinalgOp>() &&
          stage->isProperAncestor(operand->get().getDefiningOp()))
        next = operand->get();
    root = next ? next.getDefiningOp<linalg::LinalgOp>() : nullptr;
  }
  if (!root || root->getNumResults() != 1 || root.getNumDpsInputs() < 1 ||
      root.getNumDpsInits() != 1 ||
      !isa<TilingInterface>(root.getOperation()) ||
      root.getDpsInputOperand(0)->get() !=
          graph.ops[input].back()->getResult(0))
    return std::nullopt;
  AffineMap map = root.getMatchingIndexingMap(root.getDpsInputOperand(0));
  auto windowLoop = [&](unsigned dim) -> std::optional<unsigned> {
    std::optional<unsigned> found;
    map.getResult(dim).walk([&](AffineExpr sub) {
      if (auto d = dyn_cast<AffineDimExpr>(sub))
        if (root.getIteratorTypesArray()[d.getPosition()] ==
            utils::IteratorType::reduction)
          found = d.getPosition();
    });
    return found;
  };
  if (map.getNumResults() != 4)
    return std::nullopt;
  std::optional<unsigned> rowLoop = windowLoop(1), colLoop = windowLoop(2);
  if (!rowLoop || !colLoop)
    return std::nullopt;
  return CachedPool{root, *rowLoop, *colLoop};
}

/// Checks that a cached stage's layers are spatial and that its last layer
/// gives the stage's NHWC feature map, or is a global pooling (`pool` then
/// set). Returns the number of layers whose pixels the patches compute.
FailureOr<int> checkCachedStage(patch::StageOp stage, const NetworkOps &graph,
                                std::optional<CachedPool> &pool) {
  auto yield = cast<patch::YieldOp>(stage.getBody().front().getTerminator());
  auto outType = cast<RankedTensorType>(stage.getResult().getType());
  const Network &net = graph.net;
  int n = net.layers.size();
  for (int l = 0; l < n; ++l)
    if (!net.layers[l].spatial)
      return graph.anchor[l]->emitOpError(
                 "cannot run in a cached patch stage: ")
             << net.layers[l].opaqueReason;
  if (n > 0 && graph.ops[n - 1].back()->getResult(0) == yield.getValue() &&
      outType.getRank() == 4 && stageTiledLayer(net, 0, n - 1) == n - 2 &&
      (pool = findGlobalPool(stage, graph, n - 2)))
    return n - 1;
  if (n == 0 || graph.ops[n - 1].back()->getResult(0) != yield.getValue() ||
      outType.getRank() != 4 ||
      (outType.getDimSize(1) == 1 && outType.getDimSize(2) == 1))
    return stage.emitOpError("lowers the 'cache' strategy only for stages "
                             "whose last layer gives a feature map or is a "
                             "global pooling");
  return n;
}

/// Accumulates `part`, the pixels of the pooling's input a patch computed
/// (from `row`, `col`), into `pool`'s accumulator `acc`: the pooling op
/// tiled to those pixels of its window. Returns the new accumulator.
FailureOr<Value> accumulatePool(IRRewriter &rewriter, CachedPool pool,
                                Value acc, Value part, OpFoldResult row,
                                OpFoldResult col) {
  auto tiling = cast<TilingInterface>(pool.reduce.getOperation());
  auto partType = cast<RankedTensorType>(part.getType());
  SmallVector<OpFoldResult> offsets, sizes;
  for (Range range : tiling.getIterationDomain(rewriter)) {
    offsets.push_back(range.offset);
    sizes.push_back(range.size);
  }
  offsets[pool.rowLoop] = row;
  sizes[pool.rowLoop] = rewriter.getIndexAttr(partType.getDimSize(1));
  offsets[pool.colLoop] = col;
  sizes[pool.colLoop] = rewriter.getIndexAttr(partType.getDimSize(2));
  FailureOr<TilingResult> tiled =
      tiling.getTiledImplementation(rewriter, offsets, sizes);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return pool.reduce.emitOpError(
        "cannot be tiled by the patches of a cached stage");
  // It reads the patch's pixels where they were computed, and accumulates
  // into the accumulator carried through the patches.
  auto op = cast<linalg::LinalgOp>(tiled->tiledOps.front());
  for (auto [operand, whole, value] :
       {std::make_tuple(op.getDpsInputOperand(0),
                        pool.reduce.getDpsInputOperand(0)->get(), part),
        std::make_tuple(op.getDpsInitOperand(0),
                        pool.reduce.getDpsInitOperand(0)->get(), acc)}) {
    auto slice = operand->get().getDefiningOp<tensor::ExtractSliceOp>();
    Value source = slice ? slice.getSource() : operand->get();
    if (source != whole || operand->get().getType() != value.getType())
      return pool.reduce.emitOpError(
          "cannot accumulate the patches of a cached stage");
    rewriter.modifyOpInPlace(op, [&] { operand->set(value); });
    if (slice && slice->use_empty())
      rewriter.eraseOp(slice);
  }
  return op->getResult(0);
}

/// After the patches: what follows the pooling's op in the stage (its
/// requantisation) reads the accumulator `acc` and moves after the patches,
/// before `anchor`.
void finishPool(IRRewriter &rewriter, CachedPool pool, Value acc,
                ArrayRef<Operation *> templates, Operation *anchor) {
  llvm::SmallPtrSet<Operation *, 8> after{pool.reduce};
  SmallVector<Operation *> moved;
  for (Operation *op : templates)
    if (llvm::any_of(op->getOperands(), [&](Value v) {
          return v.getDefiningOp() && after.contains(v.getDefiningOp());
        })) {
      after.insert(op);
      moved.push_back(op);
    }
  rewriter.replaceAllUsesWith(pool.reduce->getResult(0), acc);
  for (Operation *op : moved)
    rewriter.moveOpBefore(op, anchor);
}

/// With dilations, a later patch may need a row (column) before an earlier
/// one's first (the taps skip some): it is kept from the first patch that
/// needs it to the last, so that regions only move forward.
void keepRegionsMoving(std::vector<std::vector<Interval>> &fields, int n) {
  int64_t grid = fields.size();
  for (int l = 0; l < n; ++l) {
    for (int64_t i = 1; i < grid; ++i)
      if (!fields[i][l].empty() && !fields[i - 1][l].empty())
        fields[i][l].hi = std::max(fields[i][l].hi, fields[i - 1][l].hi);
    for (int64_t i = grid - 1; i > 0; --i)
      if (!fields[i][l].empty() && !fields[i - 1][l].empty())
        fields[i - 1][l].lo = std::min(fields[i - 1][l].lo, fields[i][l].lo);
  }
}

/// The stage's inputs read by its layers, by network tensor (block
/// arguments of tensor type, in order).
llvm::DenseMap<Value, int> stageInputsRead(patch::StageOp stage,
                                           const Network &net) {
  llvm::DenseMap<Value, int> externalOf;
  llvm::SmallDenseSet<int> read;
  for (const NetLayer &layer : net.layers)
    for (const LayerInput &input : layer.inputs)
      if (net.tensors[input.tensor].producer < 0)
        read.insert(input.tensor);
  int tensor = 0;
  for (Value input : stage.getInputs())
    if (isa<RankedTensorType>(input.getType())) {
      if (read.contains(tensor))
        externalOf[input] = tensor;
      ++tensor;
    }
  return externalOf;
}

/// What a patch does per layer along the walked axis, worked out before
/// any IR: the new rows (columns) [lo, hi] it computes (none when `skip`),
/// the window's first one `top` at that time (0 for the output), by how
/// many the window slides first (0: no copy), and the window's first one
/// after the patch.
struct CachedStep {
  bool skip = true;
  int64_t lo = 0, hi = -1, top = 0, slide = 0, base = 0;
};
using CachedSteps = std::vector<std::vector<CachedStep>>;

/// The steps of patches with regions `fields` (per patch and layer) and
/// windows of `windowSize` rows (columns) per layer but the last.
CachedSteps cachedSteps(const std::vector<std::vector<Interval>> &fields,
                        ArrayRef<int64_t> windowSize, int n) {
  int64_t grid = fields.size();
  CachedSteps steps(grid, std::vector<CachedStep>(n));
  // Per layer: the last one computed so far, and the window's first one.
  // Nothing computed yet: windows that hold their border start before 0.
  const int64_t none = std::numeric_limits<int64_t>::min() / 4;
  std::vector<int64_t> done(n, none), base(n, 0);
  for (int64_t i = 0; i < grid; ++i)
    for (int l = 0; l < n; ++l) {
      CachedStep &step = steps[i][l];
      Interval region = fields[i][l];
      int64_t lo = std::max(region.lo, done[l] + 1), hi = region.hi;
      step.base = base[l];
      if (lo > hi)
        continue;
      step.skip = false;
      step.lo = lo;
      step.hi = hi;
      if (l + 1 < n) {
        // Slide the window: what is still needed moves to its start.
        int64_t newBase = hi - windowSize[l] + 1;
        int64_t shift = newBase - base[l];
        if (done[l] != none && shift > 0 && shift < windowSize[l])
          step.slide = shift;
        base[l] = step.base = step.top = newBase;
      }
      done[l] = hi;
    }
  return steps;
}

/// How far patch `i` lies past patch `i - 1` along `axis` (1: rows, 2:
/// columns) when it does what that patch did moved by a fixed amount in
/// every layer (`move[l]`) and in the stage's inputs (`move[n]`), reading
/// no padding along that axis; none otherwise. Such patches run as a loop.
std::optional<std::vector<int64_t>>
stepMove(const Network &net, const CachedSteps &steps, int64_t i, int axis) {
  int n = steps[i].size();
  std::vector<int64_t> move(n + 1, 0);
  std::optional<int64_t> external;
  for (int l = 0; l < n; ++l) {
    const CachedStep &a = steps[i - 1][l], &b = steps[i][l];
    if (a.skip != b.skip)
      return std::nullopt;
    if (a.skip) {
      move[l] = b.base - a.base;
      continue;
    }
    move[l] = b.lo - a.lo;
    if (b.hi - a.hi != move[l] || b.slide != a.slide ||
        (l + 1 < n && (b.top - a.top != move[l] || b.base - a.base != move[l])))
      return std::nullopt;
    for (const LayerInput &input : net.layers[l].inputs) {
      const NetTensor &t = net.tensors[input.tensor];
      const AxisAccess &access = axis == 1 ? input.rows : input.cols;
      int64_t extent = axis == 1 ? t.height : t.width;
      Interval ra = access.inputOf({a.lo, a.hi}),
               rb = access.inputOf({b.lo, b.hi});
      for (Interval r : {ra, rb})
        if (r.lo < 0 || r.hi >= extent)
          return std::nullopt;
      if (t.producer >= 0) {
        // Where it reads in the producer's window.
        if (rb.lo - steps[i][t.producer].base !=
            ra.lo - steps[i - 1][t.producer].base)
          return std::nullopt;
      } else {
        if (external && *external != rb.lo - ra.lo)
          return std::nullopt;
        external = rb.lo - ra.lo;
      }
    }
  }
  move[n] = external.value_or(0);
  return move;
}

/// The longest run [first, last] of items that each move the same way from
/// the one before (`moveOf`); last < 0 when there is none worth a loop.
struct Run {
  int64_t first = 0, last = -1;
  std::vector<int64_t> move;
};
Run longestRun(
    int64_t count,
    function_ref<std::optional<std::vector<int64_t>>(int64_t)> moveOf) {
  Run run;
  std::optional<std::vector<int64_t>> previous;
  int64_t runFirst = 0;
  for (int64_t i = 1; i < count; ++i) {
    std::optional<std::vector<int64_t>> move = moveOf(i);
    if (!move || !previous || *move != *previous)
      runFirst = i - 1;
    if (move && i - runFirst > run.last - run.first) {
      run.first = runFirst;
      run.last = i;
      run.move = *move;
    }
    previous = std::move(move);
  }
  // Two patches gain nothing from a loop.
  if (run.last - run.first < 2)
    run.last = -1;
  return run;
}

/// Replaces `s` by the same slice of `source`, its offsets along `dims`
/// given by `at(their offsets in s)`; those offsets and sizes must be
/// static (`what` names them in the diagnostic).
LogicalResult
readSliceFrom(IRRewriter &rewriter, tensor::ExtractSliceOp s, Value source,
              ArrayRef<int> dims, StringRef what,
              function_ref<SmallVector<OpFoldResult>(ArrayRef<int64_t>)> at) {
  SmallVector<int64_t> first;
  for (int d : dims) {
    std::optional<int64_t> offset = getConstantIntValue(s.getMixedOffsets()[d]);
    if (!offset || s.getType().isDynamicDim(d))
      return s.emitOpError("has a dynamic ")
             << what << " range in a cached patch stage";
    first.push_back(*offset);
  }
  rewriter.setInsertionPoint(s);
  SmallVector<OpFoldResult> offsets(s.getMixedOffsets());
  for (auto [d, offset] : llvm::zip(dims, at(first)))
    offsets[d] = offset;
  rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
      s, s.getType(), source, offsets, s.getMixedSizes(), s.getMixedStrides());
  return success();
}

/// Tiles a layer's ops backwards from the slices in `worklist` (the layer's
/// new part): each slice that `redirect` does not take over (it returns
/// true when it replaced the slice, reading a window or an input) is
/// computed by the stage's op that produces it. Returns the layer's tiled
/// value (null when nothing was tiled). `by` names the tiling in the
/// diagnostics.
FailureOr<Value>
tileLayer(IRRewriter &rewriter, SmallVector<tensor::ExtractSliceOp> worklist,
          const llvm::SmallPtrSetImpl<Operation *> &bodyOps,
          function_ref<FailureOr<bool>(tensor::ExtractSliceOp)> redirect,
          StringRef by) {
  Value computed;
  while (!worklist.empty()) {
    tensor::ExtractSliceOp s = worklist.pop_back_val();
    FailureOr<bool> taken = redirect(s);
    if (failed(taken))
      return failure();
    if (*taken)
      continue;
    auto producer = dyn_cast<OpResult>(s.getSource());
    if (!producer || !bodyOps.contains(producer.getOwner()) ||
        !isa<TilingInterface>(producer.getOwner()))
      continue;
    rewriter.setInsertionPoint(s);
    FailureOr<TilingResult> tiled =
        tensor::replaceExtractSliceWithTiledProducer(rewriter, s, producer);
    if (failed(tiled))
      return producer.getOwner()->emitOpError("cannot be tiled by ")
             << by << " in a cached patch stage";
    Value value = tiled->tiledValues[0];
    // The first slice is the layer's new part (later ones may reuse its
    // address once it is erased).
    if (!computed)
      computed = value;
    rewriter.replaceOp(s, value);
    for (Operation *generated : tiled->generatedSlices)
      if (auto g = dyn_cast<tensor::ExtractSliceOp>(generated))
        worklist.push_back(g);
  }
  return computed;
}

/// Makes the tiled ops of `computed` write in place: the destination of
/// the tiled ops (an empty tensor's slice) becomes `destSlice()` (of the
/// window or the output), built before the op that writes it.
void computeInPlace(IRRewriter &rewriter, Value computed,
                    function_ref<Value()> destSlice) {
  Value value = computed;
  while (auto dps = value.getDefiningOp<DestinationStyleOpInterface>()) {
    OpOperand *init = dps.getTiedOpOperand(cast<OpResult>(value));
    auto initSlice = init->get().getDefiningOp<tensor::ExtractSliceOp>();
    if (initSlice && initSlice.getSource().getDefiningOp<tensor::EmptyOp>()) {
      rewriter.setInsertionPoint(dps);
      Value pixels = destSlice();
      if (pixels.getType() == init->get().getType())
        rewriter.modifyOpInPlace(dps, [&] { init->set(pixels); });
      return;
    }
    value = init->get();
  }
}

/// Emits before `anchor` a loop over the patches (bands) of `run` carrying
/// the windows `kept` and the output, whose body `emit` fills before its
/// yield (with `iv` its induction variable); the carried values are the
/// loop's results afterwards.
LogicalResult emitCarriedLoop(IRRewriter &rewriter, Location loc,
                              const Run &run, ArrayRef<int> kept,
                              std::vector<Value> &windows, Value &output,
                              Value &iv, Operation *anchor,
                              function_ref<LogicalResult(Operation *)> emit) {
  SmallVector<Value> carried;
  for (int l : kept)
    carried.push_back(windows[l]);
  carried.push_back(output);
  rewriter.setInsertionPoint(anchor);
  Value lb = arith::ConstantIndexOp::create(rewriter, loc, run.first);
  Value ub = arith::ConstantIndexOp::create(rewriter, loc, run.last + 1);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto loop =
      scf::ForOp::create(rewriter, loc, lb, ub, one, carried,
                         [&](OpBuilder &b, Location l, Value, ValueRange args) {
                           scf::YieldOp::create(b, l, args);
                         });
  // The arena's liveness sees inside it (BufferLiveness.h).
  loop->setAttr(kPatchLoopAttrName, rewriter.getUnitAttr());
  Operation *loopYield = loop.getBody()->getTerminator();
  ValueRange args = loop.getRegionIterArgs();
  for (auto [k, l] : llvm::enumerate(kept))
    windows[l] = args[k];
  output = args.back();
  iv = loop.getInductionVar();
  rewriter.setInsertionPoint(loopYield);
  if (failed(emit(loopYield)))
    return failure();
  iv = Value();
  SmallVector<Value> yielded;
  for (int l : kept)
    yielded.push_back(windows[l]);
  yielded.push_back(output);
  rewriter.modifyOpInPlace(loopYield, [&] { loopYield->setOperands(yielded); });
  for (auto [k, l] : llvm::enumerate(kept))
    windows[l] = loop.getResult(k);
  output = loop.getResults().back();
  return success();
}

/// Moves each of `inserts` (the new part of a layer entering its window)
/// right before the window's first user in `anchor`'s block: after the
/// reads of the new part itself (from the tiled value), so that
/// bufferization computes it in place in the window rather than into a
/// copy.
void insertBeforeFirstUse(ArrayRef<tensor::InsertSliceOp> inserts,
                          Operation *anchor) {
  Block *block = anchor->getBlock();
  for (tensor::InsertSliceOp insert : inserts) {
    if (!insert)
      continue;
    Operation *firstUser = anchor;
    for (Operation *user : insert->getUsers())
      if (Operation *at = block->findAncestorOpInBlock(*user))
        if (at->isBeforeInBlock(firstUser))
          firstUser = at;
    insert->moveBefore(firstUser);
  }
}

/// The stage body's ops, the templates the patches tile (dead afterwards).
void collectTemplates(Block &body, SmallVectorImpl<Operation *> &templates,
                      llvm::SmallPtrSetImpl<Operation *> &bodyOps) {
  for (Operation &op : body.without_terminator()) {
    templates.push_back(&op);
    bodyOps.insert(&op);
  }
}

/// Replaces the stage by `output` and erases the templates left dead.
void finishCachedStage(IRRewriter &rewriter, patch::StageOp stage,
                       Operation *yield, Value output,
                       ArrayRef<Operation *> templates) {
  rewriter.replaceAllUsesWith(stage.getResult(), output);
  rewriter.eraseOp(yield);
  rewriter.eraseOp(stage);
  for (Operation *op : llvm::reverse(templates))
    if (op->use_empty() && isPure(op))
      rewriter.eraseOp(op);
}

/// Slides a window along `dim` (1: rows, 2: columns) of `size` by `slide`:
/// what it keeps moves to its start, in place, in chunks of at most `slide`
/// rows (columns), first to last, so that no chunk overlaps where it goes:
/// bufferization copies each through a temporary, which sieve-elide-copies
/// removes (a copy through a temporary between disjoint parts of one buffer
/// becomes one copy: a memcpy for rows, one per window row for columns). No
/// temporary, and each kept byte is copied once (through a temporary, two
/// copies, the second a byte loop, were most of the instructions cached
/// strips cost beyond their MACs on the Cortex-M55). The slices drop the
/// batch dimension so that they never fold into the insertion of the
/// previous patch's rows (when the slide keeps exactly those,
/// canonicalisation would read them where they were computed, after they
/// entered the window, and bufferization would then compute them into a
/// copy alive through that patch).
Value slideWindow(IRRewriter &rewriter, Location loc, Value window, int dim,
                  int64_t size, int64_t slide) {
  auto type = cast<RankedTensorType>(window.getType());
  for (int64_t first = 0; first < size - slide; first += slide) {
    int64_t count = std::min(slide, size - slide - first);
    SmallVector<int64_t> shape = {type.getDimSize(1), type.getDimSize(2),
                                  type.getDimSize(3)};
    shape[dim - 1] = count;
    auto chunkType = RankedTensorType::get(shape, type.getElementType());
    SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)),
        sizes = {rewriter.getIndexAttr(1), rewriter.getIndexAttr(shape[0]),
                 rewriter.getIndexAttr(shape[1]),
                 rewriter.getIndexAttr(shape[2])},
        strides(4, rewriter.getIndexAttr(1));
    offsets[dim] = rewriter.getIndexAttr(first + slide);
    Value chunk = tensor::ExtractSliceOp::create(
        rewriter, loc, chunkType, window, offsets, sizes, strides);
    offsets[dim] = rewriter.getIndexAttr(first);
    window = tensor::InsertSliceOp::create(rewriter, loc, chunk, window,
                                           offsets, sizes, strides);
  }
  return window;
}

/// The `cache` strategy for row strips (a grid of one column), as line
/// buffers: every layer of the stage but the last keeps a window of the
/// rows its consumers still need (the largest region a patch holds), which
/// slides down with the patches; each patch computes only the rows of each
/// layer that are new (not held by the previous patch), from the windows of
/// the layers it reads, straight into its own window. Every row is computed
/// once. Shapes stay static, which gives the arena exact buffers: the
/// patches at the image borders (whose regions differ) are unrolled, the
/// steady state between them is one loop over a patch's ops.
LogicalResult lowerCachedStage(IRRewriter &rewriter, patch::StageOp stage) {
  Block &body = stage.getBody().front();
  auto yield = cast<patch::YieldOp>(body.getTerminator());
  auto outType = cast<RankedTensorType>(stage.getResult().getType());
  if (stage.getGrid()[1] != 1)
    return stage.emitOpError("lowers the 'cache' strategy for row strips "
                             "only (a grid of one column), not grid ")
           << stage.getGrid()[0] << "x" << stage.getGrid()[1];
  NetworkOps graph = buildNetwork(body);
  const Network &net = graph.net;
  std::optional<CachedPool> pool;
  FailureOr<int> cached = checkCachedStage(stage, graph, pool);
  if (failed(cached))
    return failure();
  // The layers whose rows the patches compute (all but a global pooling).
  int n = *cached;

  // Per patch and layer, the rows the patch needs.
  int64_t height = net.tensors[net.layers[n - 1].output].height,
          tile = stage.getTile()[0];
  int64_t grid = (height + tile - 1) / tile;
  std::vector<std::vector<Interval>> fields;
  for (int64_t i = 0; i < grid; ++i)
    fields.push_back(
        receptiveField(net, 0, n - 1, 0,
                       {i * tile, std::min(height, (i + 1) * tile) - 1})
            .layer);
  keepRegionsMoving(fields, n);
  // Windows: the layers read by later layers of the stage.
  llvm::DenseMap<Value, int> windowOf;
  std::vector<int64_t> windowRows(n, 0);
  for (int l = 0; l + 1 < n; ++l) {
    Value value = graph.ops[l].back()->getResult(0);
    if (cast<RankedTensorType>(value.getType()).getRank() != 4)
      return graph.anchor[l]->emitOpError(
          "cannot run in a cached patch stage: its result is not NHWC");
    windowOf[value] = l;
    for (int64_t i = 0; i < grid; ++i) {
      windowRows[l] = std::max(windowRows[l], fields[i][l].size());
      // The windows slide forward only.
      if (i > 0 && !fields[i][l].empty() && !fields[i - 1][l].empty() &&
          (fields[i][l].lo < fields[i - 1][l].lo ||
           fields[i][l].hi < fields[i - 1][l].hi))
        return graph.anchor[l]->emitOpError(
            "cannot run in a cached patch stage: its rows do not move "
            "forward with the patches");
    }
  }
  llvm::DenseMap<Value, int> externalOf = stageInputsRead(stage, net);

  CachedSteps steps = cachedSteps(fields, windowRows, n);

  // The steady state: patches that do what the patch before them did,
  // moved down by a fixed number of rows in every layer (and in the stage's
  // inputs), away from the image borders (no padding). They run as one
  // loop of one patch's ops, whose shapes are static; the patches before
  // (the top border) and after (the bottom border, the remainder) stay
  // unrolled. `moves[i]`: per layer, then for the stage's inputs, how far
  // patch i lies below patch i - 1; none when it is not such a move.
  Run steady = longestRun(
      grid, [&](int64_t i) { return stepMove(net, steps, i, /*axis=*/1); });

  SmallVector<Operation *> templates;
  llvm::SmallPtrSet<Operation *, 32> bodyOps;
  collectTemplates(body, templates, bodyOps);

  // The body runs where the stage was; its ops are the templates the
  // patches tile, dead afterwards.
  rewriter.inlineBlockBefore(&body, stage, stage.getInputs());
  Location loc = stage.getLoc();
  auto rowSlice = [&](Value source, OpFoldResult row, int64_t rows) {
    auto type = cast<RankedTensorType>(source.getType());
    SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)), sizes,
        strides(4, rewriter.getIndexAttr(1));
    offsets[1] = row;
    for (int64_t d = 0; d < 4; ++d)
      sizes.push_back(
          rewriter.getIndexAttr(d == 1 ? rows : type.getDimSize(d)));
    return tensor::ExtractSliceOp::create(rewriter, loc, source, offsets, sizes,
                                          strides);
  };
  auto insertRows = [&](Value source, Value dest, OpFoldResult row) {
    SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)),
        sizes = tensor::getMixedSizes(rewriter, loc, source),
        strides(4, rewriter.getIndexAttr(1));
    offsets[1] = row;
    return tensor::InsertSliceOp::create(rewriter, loc, source, dest, offsets,
                                         sizes, strides)
        .getResult();
  };

  rewriter.setInsertionPoint(yield);
  std::vector<Value> windows(n);
  for (int l = 0; l + 1 < n; ++l) {
    auto type =
        cast<RankedTensorType>(graph.ops[l].back()->getResult(0).getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[1] = windowRows[l];
    windows[l] =
        tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
  }
  // The stage's output, or the pooling's accumulator.
  Value output =
      pool ? pool->reduce.getDpsInitOperand(0)->get()
           : tensor::EmptyOp::create(rewriter, loc, outType.getShape(),
                                     outType.getElementType())
                 .getResult();

  // Emits patch `i` before `anchor`. In the loop (`iv` set) the ops are
  // those of patch `steady.first`; the rows they take from the stage's inputs
  // and give to the stage's output move with the iteration, every other
  // offset (into the windows) is the same in every iteration.
  Value iv;
  auto absoluteRow = [&](int64_t row, int64_t move) -> OpFoldResult {
    if (!iv || move == 0)
      return rewriter.getIndexAttr(row);
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    return affine::AffineApplyOp::create(
               rewriter, loc,
               AffineMap::get(1, 0, d0 * move + (row - steady.first * move)),
               iv)
        .getResult();
  };
  auto emitPatch = [&](int64_t i, Operation *anchor) -> LogicalResult {
    // Per layer, the rows this patch computed, and where they enter the
    // layer's window.
    std::vector<Value> newRows(n);
    std::vector<tensor::InsertSliceOp> inserts(n);
    for (int l = 0; l < n; ++l) {
      const CachedStep &step = steps[i][l];
      if (step.skip)
        continue;
      int64_t lo = step.lo, hi = step.hi, top = step.top;
      bool last = l + 1 == n;
      Value dest = last ? output : windows[l];
      if (step.slide)
        dest = slideWindow(rewriter, loc, dest, /*dim=*/1, windowRows[l],
                           step.slide);
      // The new rows, tiled from the layer's ops; what they read of
      // earlier layers comes from those layers' windows.
      Value full = graph.ops[l].back()->getResult(0);
      SmallVector<tensor::ExtractSliceOp> worklist{
          rowSlice(full, rewriter.getIndexAttr(lo), hi - lo + 1)};
      // Reads the rows `s` reads from `source` instead, its first row given
      // by `row(first row of s)`; the rows must be static.
      auto readRowsFrom = [&](tensor::ExtractSliceOp s, Value source,
                              function_ref<OpFoldResult(int64_t)> row) {
        return readSliceFrom(rewriter, s, source, {1}, "row",
                             [&](ArrayRef<int64_t> first) {
                               return SmallVector<OpFoldResult>{row(first[0])};
                             });
      };
      auto redirect = [&](tensor::ExtractSliceOp s) -> FailureOr<bool> {
        Value source = s.getSource();
        auto window = windowOf.find(source);
        if (window != windowOf.end() && window->second != l) {
          int p = window->second;
          // Rows the producer computed in this patch are read where it
          // computed them: bufferization then writes them in place into
          // the window (reading them through the window, after they enter
          // it, made it compute them into a copy).
          std::optional<int64_t> first =
              getConstantIntValue(s.getMixedOffsets()[1]);
          const CachedStep &from = steps[i][p];
          if (first && newRows[p] && !s.getType().isDynamicDim(1) &&
              *first >= from.lo &&
              *first + s.getType().getDimSize(1) - 1 <= from.hi) {
            if (failed(readRowsFrom(s, newRows[p], [&](int64_t row) {
                  return rewriter.getIndexAttr(row - from.lo);
                })))
              return failure();
            return true;
          }
          if (failed(readRowsFrom(s, windows[p], [&](int64_t first) {
                return rewriter.getIndexAttr(first - steps[i][p].base);
              })))
            return failure();
          return true;
        }
        if (iv && externalOf.count(source)) {
          // Rows of a stage input: they move with the loop.
          if (failed(readRowsFrom(s, source, [&](int64_t first) {
                return absoluteRow(first, steady.move[n]);
              })))
            return failure();
          return true;
        }
        return false;
      };
      FailureOr<Value> tiled =
          tileLayer(rewriter, std::move(worklist), bodyOps, redirect, "rows");
      if (failed(tiled))
        return failure();
      Value computed = *tiled;
      if (!computed)
        return graph.anchor[l]->emitOpError(
                   "cannot be tiled by rows in a cached patch stage: its "
                   "layer ends in '")
               << full.getDefiningOp()->getName() << "'";
      if (last && pool) {
        // The new rows of the pooling's input, in a buffer of their own,
        // enter the pooling's accumulator.
        rewriter.setInsertionPoint(anchor);
        FailureOr<Value> acc = accumulatePool(
            rewriter, *pool, output, computed,
            absoluteRow(lo, steady.move.empty() ? 0 : steady.move[l]),
            rewriter.getIndexAttr(0));
        if (failed(acc))
          return failure();
        output = *acc;
        continue;
      }
      // Written in place: the tiled ops compute into the rows of the
      // window or the output.
      computeInPlace(rewriter, computed, [&] {
        return rowSlice(
            dest,
            last ? absoluteRow(lo, steady.move.empty() ? 0 : steady.move[l])
                 : rewriter.getIndexAttr(lo - top),
            hi - lo + 1);
      });
      rewriter.setInsertionPoint(anchor);
      dest = insertRows(
          computed, dest,
          last ? absoluteRow(lo, steady.move.empty() ? 0 : steady.move[l])
               : rewriter.getIndexAttr(lo - top));
      if (last) {
        output = dest;
      } else {
        windows[l] = dest;
        newRows[l] = computed;
        inserts[l] = dest.getDefiningOp<tensor::InsertSliceOp>();
      }
    }
    // The new rows enter each window right before the window is read.
    insertBeforeFirstUse(inserts, anchor);
    return success();
  };

  // The steady state as one loop; the windows and the output are carried
  // through it.
  SmallVector<int> kept;
  for (int l = 0; l + 1 < n; ++l)
    kept.push_back(l);
  for (int64_t i = 0; i < grid; ++i) {
    if (i != steady.first || steady.last < 0) {
      rewriter.setInsertionPoint(yield);
      if (failed(emitPatch(i, yield)))
        return failure();
      continue;
    }
    if (failed(emitCarriedLoop(
            rewriter, loc, steady, kept, windows, output, iv, yield,
            [&](Operation *loopYield) { return emitPatch(i, loopYield); })))
      return failure();
    i = steady.last;
  }

  if (pool) {
    finishPool(rewriter, *pool, output, templates, yield);
    output = yield.getValue();
  }
  finishCachedStage(rewriter, stage, yield, output, templates);
  return success();
}

/// Offsets and sizes of a slice of an NHWC tensor: `rows` from `row`,
/// `cols` from `col`, every batch and channel.
struct PixelBox {
  OpFoldResult row, col;
  int64_t rows, cols;
};

tensor::ExtractSliceOp sliceBox(IRRewriter &rewriter, Location loc,
                                Value source, const PixelBox &box) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)),
      sizes = {rewriter.getIndexAttr(type.getDimSize(0)),
               rewriter.getIndexAttr(box.rows), rewriter.getIndexAttr(box.cols),
               rewriter.getIndexAttr(type.getDimSize(3))},
      strides(4, rewriter.getIndexAttr(1));
  offsets[1] = box.row;
  offsets[2] = box.col;
  return tensor::ExtractSliceOp::create(rewriter, loc, source, offsets, sizes,
                                        strides);
}

Value insertBox(IRRewriter &rewriter, Location loc, Value source, Value dest,
                OpFoldResult row, OpFoldResult col) {
  SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)),
      sizes = tensor::getMixedSizes(rewriter, loc, source),
      strides(4, rewriter.getIndexAttr(1));
  offsets[1] = row;
  offsets[2] = col;
  return tensor::InsertSliceOp::create(rewriter, loc, source, dest, offsets,
                                       sizes, strides)
      .getResult();
}

/// The padded reads of `window`, a window of lowerCachedGrid that holds
/// its border (the padding value past the tensor): each padding of a slice
/// of it becomes the slice widened by the padding, read in place, instead
/// of a padded copy.
LogicalResult readBordersInPlace(IRRewriter &rewriter, Value window) {
  auto windowType = cast<RankedTensorType>(window.getType());
  for (Operation *user : llvm::make_early_inc_range(window.getUsers())) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
    if (!slice || slice.getType().getRank() != windowType.getRank())
      continue;
    for (Operation *sliceUser : llvm::make_early_inc_range(slice->getUsers())) {
      auto pad = dyn_cast<tensor::PadOp>(sliceUser);
      if (!pad)
        continue;
      SmallVector<OpFoldResult> offsets, sizes,
          strides(windowType.getRank(), rewriter.getIndexAttr(1));
      for (int64_t d = 0; d < windowType.getRank(); ++d) {
        std::optional<int64_t> offset =
            getConstantIntValue(slice.getMixedOffsets()[d]);
        std::optional<int64_t> stride =
            getConstantIntValue(slice.getMixedStrides()[d]);
        int64_t low = pad.getStaticLow()[d],
                size = pad.getResultType().getDimSize(d);
        if (!offset || !stride || *stride != 1 || ShapedType::isDynamic(low) ||
            ShapedType::isDynamic(size) || *offset - low < 0 ||
            *offset - low + size > windowType.getDimSize(d))
          return pad.emitOpError(
              "cannot read its padding from its window in a cached patch "
              "stage");
        offsets.push_back(rewriter.getIndexAttr(*offset - low));
        sizes.push_back(rewriter.getIndexAttr(size));
      }
      rewriter.setInsertionPoint(pad);
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          pad, pad.getResultType(), window, offsets, sizes, strides);
    }
    if (slice->use_empty())
      rewriter.eraseOp(slice);
  }
  return success();
}

/// The `cache` strategy for grids of several columns (msf-CNN's fused
/// blocks, StreamNet): the patches walk each row of tiles (a band) left to
/// right; every layer of the stage but the last keeps a window of the
/// columns its consumers still need, over the rows the band needs of it,
/// which slides right with the patches; each patch computes only the
/// columns of each layer that are new, over the band's rows. Columns are
/// computed once per band; the rows two bands share are recomputed (caching
/// them too would keep full-width line buffers, which the small budgets this
/// strategy is for cannot hold). Shapes are static: the bands and patches
/// at the image borders are unrolled, the steady-state bands run as one loop
/// and, inside each band, the steady-state patches as one loop.
LogicalResult lowerCachedGrid(IRRewriter &rewriter, patch::StageOp stage) {
  Block &body = stage.getBody().front();
  auto yield = cast<patch::YieldOp>(body.getTerminator());
  auto outType = cast<RankedTensorType>(stage.getResult().getType());
  NetworkOps graph = buildNetwork(body);
  const Network &net = graph.net;
  std::optional<CachedPool> pool;
  FailureOr<int> cached = checkCachedStage(stage, graph, pool);
  if (failed(cached))
    return failure();
  // The layers whose pixels the patches compute (all but a global pooling).
  int n = *cached;

  const NetTensor &tiledOut = net.tensors[net.layers[n - 1].output];
  int64_t height = tiledOut.height, width = tiledOut.width;
  int64_t tileRows = stage.getTile()[0], tileCols = stage.getTile()[1];
  int64_t bands = (height + tileRows - 1) / tileRows;
  // Per patch of a band and layer, the columns the patch needs; per band
  // and layer, the rows. Each band starts with warm-up patches, left of the
  // image, that compute the first patch's columns a few at a time, so that
  // the windows hold the columns of a steady-state patch only.
  std::vector<std::vector<Interval>> fields = warmUpFields(net, 0, n - 1, 1,
                                                           tileCols),
                                     bandFields;
  int64_t warmUp = fields.size();
  int64_t grid = warmUp + (width + tileCols - 1) / tileCols;
  for (int64_t i = 0; i + warmUp < grid; ++i)
    fields.push_back(
        receptiveField(net, 0, n - 1, 1,
                       {i * tileCols, std::min(width, (i + 1) * tileCols) - 1})
            .layer);
  for (int64_t b = 0; b < bands; ++b)
    bandFields.push_back(
        receptiveField(net, 0, n - 1, 0,
                       {b * tileRows, std::min(height, (b + 1) * tileRows) - 1})
            .layer);
  // The windows hold their padding (borderFields, as the planner counts
  // them): past the tensor, the rows and columns that padded consumers
  // read, set to the padding value when a patch reaches them, so that the
  // consumers read the window in place instead of a padded copy.
  // `bandFields` stay the rows a band computes, `windowBands` are those of
  // its windows; along the columns, what a patch computes is its new part
  // within the tensor.
  std::vector<Interval> colExtents = borderExtents(net, 0, n - 1, 1);
  fields = borderFields(net, 0, 1, fields, colExtents);
  std::vector<std::vector<Interval>> windowBands =
      borderFields(net, 0, 0, bandFields, borderExtents(net, 0, n - 1, 0));
  keepRegionsMoving(fields, n);
  std::vector<Attribute> padValue(n);
  for (int l = 0; l + 1 < n; ++l) {
    Value value = graph.ops[l].back()->getResult(0);
    for (Operation *user : value.getUsers()) {
      auto pad = dyn_cast<tensor::PadOp>(user);
      if (!pad)
        continue;
      Attribute attr;
      Value padding = pad.getConstantPaddingValue();
      if (!padding || !matchPattern(padding, m_Constant(&attr)) ||
          (padValue[l] && padValue[l] != attr))
        return pad.emitOpError("cannot run in a cached patch stage: its "
                               "padding value is not one constant");
      padValue[l] = attr;
    }
  }
  // Windows: the columns the patches' new parts read (cachedWindowSizes,
  // as the planner counts them) of the rows (the largest region of a band)
  // of every layer but the last.
  llvm::DenseMap<Value, int> windowOf;
  std::vector<int64_t> windowRows(n, 0),
      windowCols = cachedWindowSizes(net, 0, 1, fields, &colExtents);
  for (int l = 0; l < n; ++l) {
    for (int64_t b = 0; b < bands; ++b)
      if (bandFields[b][l].empty())
        return graph.anchor[l]->emitOpError(
            "cannot run in a cached patch stage: a band of patches needs "
            "none of its rows");
    if (l + 1 == n)
      continue;
    Value value = graph.ops[l].back()->getResult(0);
    if (cast<RankedTensorType>(value.getType()).getRank() != 4)
      return graph.anchor[l]->emitOpError(
          "cannot run in a cached patch stage: its result is not NHWC");
    windowOf[value] = l;
    for (int64_t b = 0; b < bands; ++b)
      windowRows[l] = std::max(windowRows[l], windowBands[b][l].size());
    for (int64_t i = 0; i < grid; ++i) {
      if (i > 0 && !fields[i][l].empty() && !fields[i - 1][l].empty() &&
          (fields[i][l].lo < fields[i - 1][l].lo ||
           fields[i][l].hi < fields[i - 1][l].hi))
        return graph.anchor[l]->emitOpError(
            "cannot run in a cached patch stage: its columns do not move "
            "forward with the patches");
    }
  }
  llvm::DenseMap<Value, int> externalOf = stageInputsRead(stage, net);

  // What each patch of a band does per layer (the same in every band).
  CachedSteps steps = cachedSteps(fields, windowCols, n);

  // Windows of which every patch reads only what it computed itself
  // (nothing is kept for the next patch): each patch writes a window of its
  // own, which the loops do not carry (a carried window that a patch
  // overwrites whole would not bufferize in place). The planner counts
  // them as per-patch buffers (the same cachedWindowsPerPatch).
  std::vector<bool> perPatch = cachedWindowsPerPatch(net, 0, 1, fields);
  perPatch[n - 1] = false;

  // Steady states, as in lowerCachedStage: a patch (band) that does what
  // the one before it did moved right (down) by a fixed amount in every
  // layer and in the stage's inputs, reading no padding along that axis.
  // `move[l]` per layer, `move[n]` for the stage's inputs.
  auto bandMove = [&](int64_t b) -> std::optional<std::vector<int64_t>> {
    std::vector<int64_t> move(n + 1, 0);
    std::optional<int64_t> external;
    for (int l = 0; l < n; ++l) {
      Interval a = bandFields[b - 1][l], c = bandFields[b][l];
      move[l] = c.lo - a.lo;
      if (c.size() != a.size())
        return std::nullopt;
      for (const LayerInput &input : net.layers[l].inputs) {
        const NetTensor &t = net.tensors[input.tensor];
        Interval ra = input.rows.inputOf(a), rb = input.rows.inputOf(c);
        for (Interval r : {ra, rb})
          if (r.lo < 0 || r.hi >= t.height)
            return std::nullopt;
        if (t.producer >= 0) {
          if (rb.lo - bandFields[b][t.producer].lo !=
              ra.lo - bandFields[b - 1][t.producer].lo)
            return std::nullopt;
        } else {
          if (external && *external != rb.lo - ra.lo)
            return std::nullopt;
          external = rb.lo - ra.lo;
        }
      }
    }
    move[n] = external.value_or(0);
    return move;
  };
  Run patchRun = longestRun(
      grid, [&](int64_t i) { return stepMove(net, steps, i, /*axis=*/2); });
  Run bandRun = longestRun(bands, bandMove);

  SmallVector<Operation *> templates;
  llvm::SmallPtrSet<Operation *, 32> bodyOps;
  collectTemplates(body, templates, bodyOps);
  rewriter.inlineBlockBefore(&body, stage, stage.getInputs());
  Location loc = stage.getLoc();

  auto emptyWindow = [&](int l) -> Value {
    auto type =
        cast<RankedTensorType>(graph.ops[l].back()->getResult(0).getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[1] = windowRows[l];
    shape[2] = windowCols[l];
    // A window that holds its border starts with the padding filled in,
    // the same in every band (patch): from an empty tensor, CSE would make
    // those windows one, which bufferization then copies.
    if (padValue[l])
      return bufferization::AllocTensorOp::create(
          rewriter, loc, RankedTensorType::get(shape, type.getElementType()),
          ValueRange{});
    return tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
  };
  rewriter.setInsertionPoint(yield);
  std::vector<Value> windows(n);
  for (int l = 0; l + 1 < n; ++l)
    if (!perPatch[l])
      windows[l] = emptyWindow(l);
  // The stage's output, or the pooling's accumulator.
  Value output =
      pool ? pool->reduce.getDpsInitOperand(0)->get()
           : tensor::EmptyOp::create(rewriter, loc, outType.getShape(),
                                     outType.getElementType())
                 .getResult();

  // In the loops (`bandIv`, `patchIv` set) the ops are those of the run's
  // first band (patch); the rows and columns they take from the stage's
  // inputs and give to its output move with the iterations, every offset
  // into a window is the same in every iteration.
  Value bandIv, patchIv;
  auto moving = [&](int64_t at, Value iv, const Run &run,
                    int64_t move) -> OpFoldResult {
    if (!iv || move == 0)
      return rewriter.getIndexAttr(at);
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    return affine::AffineApplyOp::create(
               rewriter, loc,
               AffineMap::get(1, 0, d0 * move + (at - run.first * move)), iv)
        .getResult();
  };
  auto outputRow = [&](int64_t row, int l) {
    return moving(row, bandIv, bandRun, bandIv ? bandRun.move[l] : 0);
  };
  auto outputCol = [&](int64_t col, int l) {
    return moving(col, patchIv, patchRun, patchIv ? patchRun.move[l] : 0);
  };

  auto emitPatch = [&](int64_t b, int64_t i,
                       Operation *anchor) -> LogicalResult {
    // Per layer, the columns this patch computed [newLo, newHi], and where
    // they enter the layer's window.
    std::vector<Value> newCols(n);
    std::vector<int64_t> newLo(n, 0), newHi(n, -1);
    std::vector<tensor::InsertSliceOp> inserts(n);
    for (int l = 0; l < n; ++l) {
      const CachedStep &step = steps[i][l];
      if (step.skip)
        continue;
      Interval rows = bandFields[b][l], border = windowBands[b][l];
      int64_t width = net.tensors[net.layers[l].output].width;
      int64_t lo = std::max<int64_t>(step.lo, 0),
              hi = std::min(step.hi, width - 1), top = step.top;
      bool last = l + 1 == n;
      Value dest = last ? output : windows[l];
      rewriter.setInsertionPoint(anchor);
      if (!last && perPatch[l])
        dest = emptyWindow(l);
      // The columns still needed move to the window's left, in place.
      if (step.slide)
        dest = slideWindow(rewriter, loc, dest, /*dim=*/2, windowCols[l],
                           step.slide);
      // The window's border: the new columns' rows past the tensor, and the
      // new columns past it, hold the padding value. The fill writes the
      // window's slice in place (sieve-fold-constants leaves inserted fills
      // alone rather than make them constants copied from flash).
      auto fillBox = [&](int64_t row, int64_t rowCount, int64_t col,
                         int64_t colCount) {
        if (rowCount <= 0 || colCount <= 0)
          return;
        Value box = sliceBox(rewriter, loc, dest,
                             {rewriter.getIndexAttr(row),
                              rewriter.getIndexAttr(col), rowCount, colCount});
        Value padding = arith::ConstantOp::create(rewriter, loc,
                                                  cast<TypedAttr>(padValue[l]));
        Value filled =
            linalg::FillOp::create(rewriter, loc, padding, box).getResult(0);
        dest =
            insertBox(rewriter, loc, filled, dest, rewriter.getIndexAttr(row),
                      rewriter.getIndexAttr(col));
      };
      if (!last && padValue[l]) {
        int64_t cols = step.hi - step.lo + 1, at = step.lo - top;
        fillBox(0, rows.lo - border.lo, at, cols);
        fillBox(rows.hi + 1 - border.lo, border.hi - rows.hi, at, cols);
        fillBox(rows.lo - border.lo, rows.size(), at, lo - step.lo);
        fillBox(rows.lo - border.lo, rows.size(), hi + 1 - top, step.hi - hi);
      }
      if (lo > hi) {
        windows[l] = dest;
        continue;
      }
      newLo[l] = lo;
      newHi[l] = hi;
      // The band's rows of the new columns, tiled from the layer's ops;
      // what they read of earlier layers comes from those layers' windows.
      Value full = graph.ops[l].back()->getResult(0);
      SmallVector<tensor::ExtractSliceOp> worklist{
          sliceBox(rewriter, loc, full,
                   {rewriter.getIndexAttr(rows.lo), rewriter.getIndexAttr(lo),
                    rows.size(), hi - lo + 1})};
      // Reads what `s` reads from `source` instead, at `at(first row,
      // first column of s)`; the offsets and sizes must be static.
      auto readFrom = [&](tensor::ExtractSliceOp s, Value source,
                          function_ref<std::pair<OpFoldResult, OpFoldResult>(
                              int64_t, int64_t)>
                              at) {
        return readSliceFrom(rewriter, s, source, {1, 2}, "pixel",
                             [&](ArrayRef<int64_t> first) {
                               auto [row, col] = at(first[0], first[1]);
                               return SmallVector<OpFoldResult>{row, col};
                             });
      };
      auto redirect = [&](tensor::ExtractSliceOp s) -> FailureOr<bool> {
        Value source = s.getSource();
        auto window = windowOf.find(source);
        if (window != windowOf.end() && window->second != l) {
          int p = window->second;
          // Columns the producer computed in this patch are read where it
          // computed them, as in lowerCachedStage: reading them through the
          // window made bufferization compute them into a copy.
          // A padded read takes the window's border in place.
          std::optional<int64_t> col =
              getConstantIntValue(s.getMixedOffsets()[2]);
          bool padded = llvm::any_of(s->getUsers(), [](Operation *u) {
            return isa<tensor::PadOp>(u);
          });
          if (col && newCols[p] && !padded && !s.getType().isDynamicDim(2) &&
              *col >= newLo[p] &&
              *col + s.getType().getDimSize(2) - 1 <= newHi[p]) {
            if (failed(readFrom(s, newCols[p], [&](int64_t row, int64_t col) {
                  return std::make_pair<OpFoldResult, OpFoldResult>(
                      rewriter.getIndexAttr(row - bandFields[b][p].lo),
                      rewriter.getIndexAttr(col - newLo[p]));
                })))
              return failure();
            return true;
          }
          if (failed(readFrom(s, windows[p], [&](int64_t row, int64_t col) {
                return std::make_pair<OpFoldResult, OpFoldResult>(
                    rewriter.getIndexAttr(row - windowBands[b][p].lo),
                    rewriter.getIndexAttr(col - steps[i][p].base));
              })))
            return failure();
          return true;
        }
        if ((bandIv || patchIv) && externalOf.count(source)) {
          if (failed(readFrom(s, source, [&](int64_t row, int64_t col) {
                return std::make_pair(
                    moving(row, bandIv, bandRun, bandIv ? bandRun.move[n] : 0),
                    moving(col, patchIv, patchRun,
                           patchIv ? patchRun.move[n] : 0));
              })))
            return failure();
          return true;
        }
        return false;
      };
      FailureOr<Value> tiled =
          tileLayer(rewriter, std::move(worklist), bodyOps, redirect, "pixels");
      if (failed(tiled))
        return failure();
      for (int p = 0; p < l; ++p)
        if (padValue[p] && windows[p] &&
            failed(readBordersInPlace(rewriter, windows[p])))
          return failure();
      Value computed = *tiled;
      if (!computed)
        return graph.anchor[l]->emitOpError(
                   "cannot be tiled by pixels in a cached patch stage: its "
                   "layer ends in '")
               << full.getDefiningOp()->getName() << "'";
      auto destRow = [&]() -> OpFoldResult {
        return last ? outputRow(rows.lo, l)
                    : rewriter.getIndexAttr(rows.lo - border.lo);
      };
      auto destCol = [&]() -> OpFoldResult {
        return last ? outputCol(lo, l) : rewriter.getIndexAttr(lo - top);
      };
      if (last && pool) {
        // The new pixels of the pooling's input, in a buffer of their own,
        // enter the pooling's accumulator.
        rewriter.setInsertionPoint(anchor);
        FailureOr<Value> acc = accumulatePool(rewriter, *pool, output, computed,
                                              destRow(), destCol());
        if (failed(acc))
          return failure();
        output = *acc;
        continue;
      }
      // Written in place: the tiled ops compute into the pixels of the
      // window or the output.
      computeInPlace(rewriter, computed, [&] {
        return sliceBox(rewriter, loc, dest,
                        {destRow(), destCol(), rows.size(), hi - lo + 1});
      });
      rewriter.setInsertionPoint(anchor);
      dest = insertBox(rewriter, loc, computed, dest, destRow(), destCol());
      if (last) {
        output = dest;
      } else {
        windows[l] = dest;
        newCols[l] = computed;
        inserts[l] = dest.getDefiningOp<tensor::InsertSliceOp>();
      }
    }
    // The new columns enter each window right before the window is read.
    insertBeforeFirstUse(inserts, anchor);
    return success();
  };

  // The loops carry the windows kept from patch to patch, and the output.
  SmallVector<int> kept;
  for (int l = 0; l + 1 < n; ++l)
    if (!perPatch[l])
      kept.push_back(l);
  auto emitLoop =
      [&](const Run &run, Value &iv, Operation *anchor,
          function_ref<LogicalResult(Operation *)> emit) -> LogicalResult {
    return emitCarriedLoop(rewriter, loc, run, kept, windows, output, iv,
                           anchor, emit);
  };
  auto emitBand = [&](int64_t b, Operation *anchor) -> LogicalResult {
    for (int64_t i = 0; i < grid; ++i) {
      if (i != patchRun.first || patchRun.last < 0) {
        Operation *before = anchor->getPrevNode();
        if (failed(emitPatch(b, i, anchor)))
          return failure();
        // An unrolled patch runs once per inference, or once per band
        // inside the loop over the steady-state bands: its code is
        // compiled for size (the border bands' and patches' unrolled code
        // overflowed the Cortex-M55's flash: msf-mbv2 at 12,000 B,
        // mcunet-in4 at 67,996 B with its unrolled patches in the band
        // loop).
        for (Operation *op = before ? before->getNextNode()
                                    : &anchor->getBlock()->front();
             op != anchor; op = op->getNextNode())
          markColdCode(op);
        continue;
      }
      if (failed(emitLoop(patchRun, patchIv, anchor, [&](Operation *loopYield) {
            return emitPatch(b, i, loopYield);
          })))
        return failure();
      i = patchRun.last;
    }
    return success();
  };
  for (int64_t b = 0; b < bands; ++b) {
    if (b != bandRun.first || bandRun.last < 0) {
      // An unrolled band starts from empty windows: its warm-up patches
      // compute all it reads, so what the band before left is dead. Kept,
      // its first patch's columns, entering the window where the last patch
      // before wrote its own, fold (insert after insert) into an insertion
      // into the window before that patch, which bufferization then copies
      // whole (mcunet-in3 at 63,456 B: a 6,800 B copy beside the planned
      // peak).
      if (b > 0) {
        rewriter.setInsertionPoint(yield);
        for (int l : kept)
          windows[l] = emptyWindow(l);
      }
      if (failed(emitBand(b, yield)))
        return failure();
      continue;
    }
    if (failed(emitLoop(bandRun, bandIv, yield, [&](Operation *loopYield) {
          return emitBand(b, loopYield);
        })))
      return failure();
    b = bandRun.last;
  }

  if (pool) {
    finishPool(rewriter, *pool, output, templates, yield);
    output = yield.getValue();
  }
  finishCachedStage(rewriter, stage, yield, output, templates);
  return success();
}

/// `v`, or a copy of the index arithmetic computing it placed before
/// `before`, where `v` itself is not available there; null when `v` is
/// computed by something that cannot move.
Value indexBefore(IRRewriter &rewriter, Value v, Operation *before,
                  DominanceInfo &dominance, unsigned depth = 0) {
  if (dominance.properlyDominates(v, before))
    return v;
  Operation *def = v.getDefiningOp();
  if (depth > 32 || !def || def->getNumRegions() || !isPure(def))
    return {};
  IRMapping mapping;
  for (Value operand : def->getOperands()) {
    Value moved = indexBefore(rewriter, operand, before, dominance, depth + 1);
    if (!moved)
      return {};
    mapping.map(operand, moved);
  }
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(before);
  Operation *copy = rewriter.clone(*def, mapping);
  return copy->getResult(cast<OpResult>(v).getResultNumber());
}

/// Fuses `producer` into the loops once for all of `slices` (the regions
/// its tiled consumers read, all of the same rank, unit strides): for the
/// union of the regions, placed before the first of them; each slice then
/// reads its part of the fused result. Fails, changing nothing, where the
/// slices are not of that form.
LogicalResult fuseOnceForSlices(IRRewriter &rewriter, OpResult producer,
                                SmallVector<tensor::ExtractSliceOp> slices,
                                MutableArrayRef<LoopLikeOpInterface> loops) {
  auto type = cast<RankedTensorType>(producer.getType());
  int64_t rank = type.getRank();
  Block *body = &loops.back()->getRegion(0).front();
  Operation *first = nullptr;
  for (tensor::ExtractSliceOp slice : slices) {
    Operation *at = body->findAncestorOpInBlock(*slice);
    if (!at || slice.getType().getRank() != rank ||
        !llvm::all_of(slice.getMixedStrides(),
                      [](OpFoldResult s) { return isConstantIntValue(s, 1); }))
      return failure();
    if (!first || at->isBeforeInBlock(first))
      first = at;
  }
  DominanceInfo dominance;
  Location loc = slices.front().getLoc();
  SmallVector<OpFoldResult> offsets, sizes;
  SmallVector<SmallVector<OpFoldResult>> sliceOffsets(slices.size());
  for (int64_t d = 0; d < rank; ++d) {
    SmallVector<OpFoldResult> starts, bounds;
    for (auto [i, slice] : llvm::enumerate(slices)) {
      OpFoldResult offset = slice.getMixedOffsets()[d];
      OpFoldResult size = slice.getMixedSizes()[d];
      for (OpFoldResult *ofr : {&offset, &size})
        if (auto v = dyn_cast<Value>(*ofr)) {
          Value moved = indexBefore(rewriter, v, first, dominance);
          if (!moved)
            return failure();
          *ofr = moved;
        }
      starts.push_back(offset);
      bounds.push_back(offset);
      bounds.push_back(size);
      sliceOffsets[i].push_back(slice.getMixedOffsets()[d]);
    }
    rewriter.setInsertionPoint(first);
    auto n = int64_t(slices.size());
    OpFoldResult start = affine::makeComposedFoldedAffineMin(
        rewriter, loc,
        AffineMap::getMultiDimIdentityMap(n, rewriter.getContext()), starts);
    SmallVector<AffineExpr> ends;
    for (int64_t i = 0; i < n; ++i)
      ends.push_back(rewriter.getAffineDimExpr(2 * i) +
                     rewriter.getAffineDimExpr(2 * i + 1));
    OpFoldResult end = affine::makeComposedFoldedAffineMax(
        rewriter, loc, AffineMap::get(2 * n, 0, ends, rewriter.getContext()),
        bounds);
    AffineExpr d0, d1;
    bindDims(rewriter.getContext(), d0, d1);
    offsets.push_back(start);
    sizes.push_back(affine::makeComposedFoldedAffineApply(
        rewriter, loc, d1 - d0, {start, end}));
  }
  rewriter.setInsertionPoint(first);
  SmallVector<OpFoldResult> ones(rank, rewriter.getIndexAttr(1));
  auto whole = tensor::ExtractSliceOp::create(rewriter, loc, producer, offsets,
                                              sizes, ones);
  std::optional<scf::SCFFuseProducerOfSliceResult> fused =
      scf::tileAndFuseProducerOfSlice(rewriter, whole, loops);
  if (!fused) {
    rewriter.eraseOp(whole);
    return failure();
  }
  Value region = fused->tiledAndFusedProducer;
  AffineExpr d0, d1;
  bindDims(rewriter.getContext(), d0, d1);
  for (auto [i, slice] : llvm::enumerate(slices)) {
    rewriter.setInsertionPoint(slice);
    SmallVector<OpFoldResult> within;
    for (int64_t d = 0; d < rank; ++d)
      within.push_back(affine::makeComposedFoldedAffineApply(
          rewriter, slice.getLoc(), d0 - d1, {sliceOffsets[i][d], offsets[d]}));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        slice, slice.getType(), region, within, slice.getMixedSizes(),
        slice.getMixedStrides());
  }
  return success();
}

/// Tiles `root` by patches and fuses its producers that `fusable` accepts,
/// as upstream's tileConsumerAndFuseProducersUsingSCF does, except that a
/// producer several tiled consumers read (a layer read by a convolution and
/// by a residual add inside the stage) is fused once, for the union of the
/// regions they read, once every consumer is fused: upstream fuses it once
/// per slice, so a patch computed such a layer, and everything before it,
/// once per reader (mcunet-in3's first stage, two residual adds, four
/// times: more MACs and more live buffers than the planner counts, which is
/// one region per layer and patch).
FailureOr<scf::SCFTilingResult>
tileAndFuseEachOnce(IRRewriter &rewriter, TilingInterface root,
                    const scf::SCFTilingOptions &tiling,
                    function_ref<bool(OpResult)> fusable) {
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, root, tiling);
  if (failed(tiled) || tiled->loops.empty())
    return tiled;
  MutableArrayRef<LoopLikeOpInterface> loops = tiled->loops;
  llvm::SmallPtrSet<Operation *, 32> fusedOps{root.getOperation()};
  // Slices fusion was tried on and that are still there (a destination read
  // through the loops' iter_args stays a slice of them).
  constexpr StringLiteral kTried = "sieve.fusion_tried";
  // The op whose result `slice` reads (through the loops' iter_args for
  // destinations), if it is fusable.
  auto producerOf = [&](tensor::ExtractSliceOp slice) -> OpResult {
    Value source = slice.getSource();
    while (auto arg = dyn_cast<BlockArgument>(source)) {
      auto loop = dyn_cast<LoopLikeOpInterface>(arg.getOwner()->getParentOp());
      if (!loop || !llvm::is_contained(loops, loop))
        return {};
      OpOperand *init = loop.getTiedLoopInit(arg);
      if (!init)
        return {};
      source = init->get();
    }
    auto result = dyn_cast<OpResult>(source);
    if (!result || !isa<TilingInterface>(result.getOwner()) ||
        loops.front()->isAncestor(result.getOwner()) || !fusable(result))
      return {};
    return result;
  };
  while (true) {
    // The slices still to fuse, by producer, in the order they appear.
    llvm::MapVector<Value, SmallVector<tensor::ExtractSliceOp>> slicesOf;
    loops.front()->walk([&](tensor::ExtractSliceOp slice) {
      if (slice->hasAttr(kTried))
        return;
      if (OpResult producer = producerOf(slice))
        slicesOf[producer].push_back(slice);
    });
    if (slicesOf.empty())
      break;
    // A producer is ready once every op that reads it has been fused (its
    // tiled copy made the slices of it); slices of destinations read
    // through the loops' iter_args are fused one by one.
    auto ready = [&](Value producer) {
      return llvm::all_of(producer.getUsers(), [&](Operation *user) {
        return fusedOps.contains(user) || loops.front()->isAncestor(user);
      });
    };
    auto chosen = llvm::find_if(
        slicesOf, [&](auto &entry) { return ready(entry.first); });
    bool once = chosen != slicesOf.end();
    if (!once)
      chosen = slicesOf.begin();
    auto producer = cast<OpResult>(chosen->first);
    SmallVector<tensor::ExtractSliceOp> slices = chosen->second;
    bool direct = llvm::all_of(slices, [&](tensor::ExtractSliceOp slice) {
      return slice.getSource() == producer;
    });
    if (once && direct && slices.size() > 1 &&
        isa<linalg::LinalgOp, tensor::PadOp>(producer.getOwner()) &&
        succeeded(fuseOnceForSlices(rewriter, producer, slices, loops))) {
      fusedOps.insert(producer.getOwner());
      continue;
    }
    tensor::ExtractSliceOp slice = slices.front();
    slice->setAttr(kTried, rewriter.getUnitAttr());
    if (scf::tileAndFuseProducerOfSlice(rewriter, slice, loops))
      fusedOps.insert(producer.getOwner());
  }
  loops.front()->walk(
      [&](tensor::ExtractSliceOp slice) { slice->removeAttr(kTried); });
  return tiled;
}

void peelBorderPatches(IRRewriter &rewriter, scf::ForOp loop);

/// In the patches of static shapes of a recomputed stage (the border
/// patches peelBorderPatches runs on their own), a padding of a region the
/// patch computes, read by nothing else, becomes a buffer of the padded
/// shape set to the padding value, into whose inside the region's producer
/// writes: the reduction that reads it (a depthwise) then reads its border
/// in place, without the padded input rows sieve-fuse-into-rows would copy.
/// The planner counts that buffer (evaluate in PatchPlan.cpp). The body is
/// canonicalized first, so that the peeled patches' shapes are constants.
void padInPlace(IRRewriter &rewriter, patch::StageOp stage) {
  MLIRContext *context = stage.getContext();
  RewritePatternSet patterns(context);
  for (Dialect *dialect : context->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : context->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, context);
  (void)applyPatternsGreedily(stage.getBody(), std::move(patterns));
  SmallVector<tensor::PadOp> pads;
  stage.getBody().walk([&](tensor::PadOp pad) { pads.push_back(pad); });
  for (tensor::PadOp pad : pads) {
    RankedTensorType type = pad.getResultType();
    Value padding = pad.getConstantPaddingValue();
    Value source = pad.getSource();
    auto sourceType = cast<RankedTensorType>(source.getType());
    // The low paddings may be constants still held by values (a peeled
    // patch's `arith.constant`s, which canonicalization does not fold into
    // a pad whose result type is static already).
    SmallVector<int64_t> low;
    for (OpFoldResult l : pad.getMixedLowPad())
      if (std::optional<int64_t> value = getConstantIntValue(l))
        low.push_back(*value);
    if (!padding || !type.hasStaticShape() || !sourceType.hasStaticShape() ||
        !source.hasOneUse() || low.size() != size_t(type.getRank()))
      continue;
    // The op that writes the region: its destination is a slice of an
    // empty tensor (computeInPlace).
    Operation *writer = nullptr;
    for (Value value = source;;) {
      auto dps = value.getDefiningOp<DestinationStyleOpInterface>();
      if (!dps)
        break;
      OpOperand *init = dps.getTiedOpOperand(cast<OpResult>(value));
      auto slice = init->get().getDefiningOp<tensor::ExtractSliceOp>();
      if (slice && slice.getSource().getDefiningOp<tensor::EmptyOp>()) {
        writer = dps;
        break;
      }
      value = init->get();
    }
    if (!writer || type == sourceType)
      continue;
    Location loc = pad.getLoc();
    SmallVector<OpFoldResult> offsets, sizes,
        strides(type.getRank(), rewriter.getIndexAttr(1));
    for (int64_t d = 0; d < type.getRank(); ++d) {
      offsets.push_back(rewriter.getIndexAttr(low[d]));
      sizes.push_back(rewriter.getIndexAttr(sourceType.getDimSize(d)));
    }
    // From an alloc_tensor, not an empty tensor: CSE would make the
    // buffers of two paddings of one shape one.
    rewriter.setInsertionPoint(writer);
    Value buffer =
        bufferization::AllocTensorOp::create(rewriter, loc, type, ValueRange{});
    Value filled =
        linalg::FillOp::create(rewriter, loc, padding, buffer).getResult(0);
    computeInPlace(rewriter, source, [&] {
      return tensor::ExtractSliceOp::create(rewriter, loc, filled, offsets,
                                            sizes, strides)
          .getResult();
    });
    rewriter.setInsertionPoint(pad);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(pad, source, filled,
                                                       offsets, sizes, strides);
  }
}

LogicalResult lowerStage(IRRewriter &rewriter, patch::StageOp stage,
                         bool staticBorders) {
  rewriteDepthwise<linalg::DepthwiseConv2DNhwcHwcmQOp,
                   linalg::DepthwiseConv2DNhwcHwcQOp,
                   linalg::Conv2DNhwcFhwcQOp>(rewriter, stage);
  rewriteDepthwise<linalg::DepthwiseConv2DNhwcHwcmOp,
                   linalg::DepthwiseConv2DNhwcHwcOp, linalg::Conv2DNhwcFhwcOp>(
      rewriter, stage);
  if (stage.getStrategy() == "cache")
    return stage.getGrid()[1] == 1 ? lowerCachedStage(rewriter, stage)
                                   : lowerCachedGrid(rewriter, stage);
  if (stage.getStrategy() != "recompute")
    return stage.emitOpError("has no lowering for the '")
           << stage.getStrategy() << "' strategy";
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
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(tileSizes);
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTilingResult> result = tileAndFuseEachOnce(
      rewriter, cast<TilingInterface>(root.getOperation()), tiling,
      [&](OpResult producer) {
        // Patches of a pooling window accumulate: its initialisation stays
        // before the loops.
        return stage->isProperAncestor(producer.getOwner()) &&
               !(global && producer.getOwner() == rootInit);
      });
  if (failed(result) || result->replacements.size() != 1)
    return stage.emitOpError("tiling its last op by patches failed");
  // The arena's liveness sees inside these loops (BufferLiveness.h).
  for (LoopLikeOpInterface loop : result->loops)
    loop->setAttr(kPatchLoopAttrName, rewriter.getUnitAttr());
  Value tiled = result->replacements.front();
  rewriter.replaceAllUsesWith(root->getResult(0), tiled);

  // A real patch always reads some of its input: the guards for empty
  // slices would double the patch's padded window.
  if (!result->loops.empty())
    foldNonEmptyPadGuards(rewriter, result->loops.front());

  // A stage ending in a global pooling keeps dynamic shapes (as the
  // planner counts it).
  if ((staticBorders || stage->hasAttr(kStaticBordersAttrName)) && !global &&
      !result->loops.empty())
    if (auto outer =
            dyn_cast<scf::ForOp>(result->loops.front().getOperation())) {
      peelBorderPatches(rewriter, outer);
      if (stage->hasAttr(kPadsInPlaceAttrName))
        padInPlace(rewriter, stage);
    }

  // Inline the body where the stage was.
  Value output = yield.getValue();
  rewriter.inlineBlockBefore(&body, stage, stage.getInputs());
  rewriter.replaceOp(stage, output);
  rewriter.eraseOp(yield);
  return success();
}

/// The index values that set the shapes of what a patch computes: the sizes
/// of its slices, its paddings and its buffers.
SmallVector<Value> shapeValues(Operation *root) {
  SmallVector<Value> values;
  root->walk([&](Operation *op) {
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op))
      llvm::append_range(values, slice.getSizes());
    else if (auto slice = dyn_cast<tensor::InsertSliceOp>(op))
      llvm::append_range(values, slice.getSizes());
    else if (auto pad = dyn_cast<tensor::PadOp>(op)) {
      llvm::append_range(values, pad.getLow());
      llvm::append_range(values, pad.getHigh());
    } else if (auto empty = dyn_cast<tensor::EmptyOp>(op))
      llvm::append_range(values, empty.getDynamicSizes());
  });
  return values;
}

/// `value` when the induction variable `iv` is `at`, through constants and
/// the index arithmetic tiling emits (folded with constant operands); none
/// when it depends on anything else.
std::optional<int64_t> evaluateAt(Value value, Value iv, int64_t at,
                                  llvm::DenseMap<Value, int64_t> &known,
                                  unsigned depth = 0) {
  if (value == iv)
    return at;
  if (std::optional<int64_t> c = getConstantIntValue(value))
    return c;
  if (auto it = known.find(value); it != known.end())
    return it->second;
  Operation *def = value.getDefiningOp();
  if (depth > 32 || !def || def->getNumResults() != 1 ||
      !isa<affine::AffineApplyOp, affine::AffineMinOp, affine::AffineMaxOp,
           arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::MinSIOp,
           arith::MaxSIOp, arith::FloorDivSIOp, arith::DivSIOp,
           arith::CeilDivSIOp, arith::RemSIOp>(def))
    return std::nullopt;
  SmallVector<Attribute> operands;
  for (Value operand : def->getOperands()) {
    std::optional<int64_t> v = evaluateAt(operand, iv, at, known, depth + 1);
    if (!v)
      return std::nullopt;
    operands.push_back(IntegerAttr::get(operand.getType(), *v));
  }
  SmallVector<OpFoldResult> results;
  if (failed(def->fold(operands, results)) || results.size() != 1)
    return std::nullopt;
  auto attr = dyn_cast_if_present<IntegerAttr>(
      dyn_cast_if_present<Attribute>(results[0]));
  if (!attr)
    return std::nullopt;
  known[value] = attr.getInt();
  return attr.getInt();
}

/// Splits `loop` at iteration value `at`: the iterations before it run as a
/// loop of their own, returned, before `loop`, which keeps the rest.
scf::ForOp splitLoopAt(IRRewriter &rewriter, scf::ForOp loop, int64_t at) {
  rewriter.setInsertionPoint(loop);
  Value bound = arith::ConstantIndexOp::create(rewriter, loop.getLoc(), at);
  auto head = cast<scf::ForOp>(rewriter.clone(*loop));
  rewriter.modifyOpInPlace(head, [&] { head.setUpperBound(bound); });
  rewriter.modifyOpInPlace(loop, [&] {
    loop.setLowerBound(bound);
    loop.getInitArgsMutable().assign(head.getResults());
  });
  return head;
}

/// Gives every patch of the loop nest static shapes, so that the int8
/// kernels (which take static shapes only) run in the border patches too:
/// the patches at the image borders, whose regions are clamped and padded
/// (and the smaller last tiles), each run as straight-line code with their
/// own constant shapes; the patches between them, whose shapes are all
/// alike, stay one loop whose shapes become constants. `loop` is the
/// outermost loop over patches; its nested patch loops get the same.
void peelBorderPatches(IRRewriter &rewriter, scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lb || !ub || !step || *step <= 0 || *ub <= *lb)
    return;
  // The shapes that depend on this loop's patch alone, per iteration.
  Value iv = loop.getInductionVar();
  SmallVector<Value> values;
  for (Value v : shapeValues(loop)) {
    llvm::DenseMap<Value, int64_t> known;
    if (!getConstantIntValue(v) && evaluateAt(v, iv, *lb, known))
      values.push_back(v);
  }
  SmallVector<int64_t> iterations;
  for (int64_t i = *lb; i < *ub; i += *step)
    iterations.push_back(i);
  SmallVector<SmallVector<int64_t>> shapes;
  for (int64_t i : iterations) {
    llvm::DenseMap<Value, int64_t> known;
    SmallVector<int64_t> shape;
    for (Value v : values)
      shape.push_back(*evaluateAt(v, iv, i, known));
    shapes.push_back(std::move(shape));
  }
  // The longest run of iterations with the same shapes stays a loop.
  size_t runFirst = 0, runLast = 0, bestFirst = 0, bestLast = 0;
  for (size_t i = 1; i < shapes.size(); ++i) {
    if (shapes[i] != shapes[i - 1])
      runFirst = i;
    runLast = i;
    if (runLast - runFirst > bestLast - bestFirst) {
      bestFirst = runFirst;
      bestLast = runLast;
    }
  }
  // The iterations before and after the run, one by one; with more of them,
  // the patches keep dynamic shapes, and the generic loops.
  if (bestFirst + (iterations.size() - 1 - bestLast) > kMaxStaticBorderPatches)
    return;
  SmallVector<scf::ForOp> pieces;
  scf::ForOp rest = loop;
  for (size_t i = 1; i <= bestFirst; ++i)
    pieces.push_back(splitLoopAt(rewriter, rest, iterations[i]));
  scf::ForOp middle = rest;
  if (bestLast + 1 < iterations.size()) {
    middle = splitLoopAt(rewriter, rest, iterations[bestLast + 1]);
    for (size_t i = bestLast + 2; i < iterations.size(); ++i)
      pieces.push_back(splitLoopAt(rewriter, rest, iterations[i]));
    pieces.push_back(rest);
  }
  // In the run, the shapes are constants.
  for (Value v : shapeValues(middle)) {
    std::optional<IndexRange> range = getExactIndexRange(v);
    if (!range || range->first != range->second || getConstantIntValue(v))
      continue;
    rewriter.setInsertionPoint(middle);
    Value constant =
        arith::ConstantIndexOp::create(rewriter, v.getLoc(), range->first);
    rewriter.replaceUsesWithIf(v, constant, [&](OpOperand &use) {
      return middle->isProperAncestor(use.getOwner());
    });
  }
  // The nested patch loops, in every piece.
  SmallVector<scf::ForOp> all(pieces);
  all.push_back(middle);
  SmallVector<scf::ForOp> nested;
  for (scf::ForOp piece : all)
    piece.getBody()->walk([&](scf::ForOp n) {
      if (n->hasAttr(kPatchLoopAttrName) &&
          n->getParentOfType<scf::ForOp>() == piece)
        nested.push_back(n);
    });
  // A piece without a patch loop in it is one border patch, run once per
  // inference (or once per row of patches): its code is compiled for size
  // (msf-mbv2 at 8,560 B: 13 layers in each of an 18x18 grid's border
  // patches overflowed the Cortex-M55's 512 KiB of code at -O3).
  for (scf::ForOp piece : pieces)
    if (llvm::none_of(nested,
                      [&](scf::ForOp n) { return piece->isProperAncestor(n); }))
      markColdCode(piece);
  for (scf::ForOp piece : pieces)
    (void)piece.promoteIfSingleIteration(rewriter);
  for (scf::ForOp n : nested)
    peelBorderPatches(rewriter, n);
}

struct LowerPatchStagesPass final
    : sieve::impl::LowerPatchStagesBase<LowerPatchStagesPass> {
  using LowerPatchStagesBase::LowerPatchStagesBase;
  void runOnOperation() override {
    SmallVector<patch::StageOp> stages;
    getOperation().walk([&](patch::StageOp op) { stages.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (patch::StageOp stage : stages)
      if (failed(lowerStage(rewriter, stage, staticBorders)))
        return signalPassFailure();
  }
};

} // namespace
