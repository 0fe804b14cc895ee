//===- PatchOps.cpp - Ops of the patch dialect ----------------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Patch/IR/PatchOps.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace sieve::patch;

LogicalResult WindowOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.getRank() != 4 || out.getRank() != 4)
    return emitOpError("input and result must be NHWC (rank 4), got ")
           << in << " and " << out;
  if (in.getElementType() != out.getElementType())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from the input's "
           << in.getElementType();
  if (!out.hasStaticShape())
    return emitOpError("window shape must be static, got ") << out;
  for (int64_t d : {0, 3})
    if (!in.isDynamicDim(d) && in.getDimSize(d) != out.getDimSize(d))
      return emitOpError("window keeps batch and channels: dimension ")
             << d << " is " << in.getDimSize(d) << " in the input but "
             << out.getDimSize(d) << " in the result";
  if (getStep().size() != 2 || getOffset().size() != 2)
    return emitOpError("step and offset need 2 values (rows, columns), got ")
           << getStep().size() << " and " << getOffset().size();
  for (int64_t s : getStep())
    if (s <= 0)
      return emitOpError("step must be positive, got ") << s;
  if (getPadding().getType() != in.getElementType())
    return emitOpError("padding ")
           << getPadding() << " must have the element type "
           << in.getElementType();

  // With constant patch indices the window is known: it must touch the input,
  // or the patch would read nothing but padding.
  APInt row, col;
  if (matchPattern(getRow(), m_ConstantInt(&row)) &&
      matchPattern(getCol(), m_ConstantInt(&col))) {
    ArrayRef<int64_t> step = getStep(), offset = getOffset();
    int64_t index[2] = {row.getSExtValue(), col.getSExtValue()};
    for (int d = 0; d < 2; ++d) {
      int64_t size = in.getDimSize(d + 1);
      if (ShapedType::isDynamic(size))
        continue;
      int64_t begin = index[d] * step[d] + offset[d];
      int64_t end = begin + out.getDimSize(d + 1);
      if (end <= 0 || begin >= size)
        return emitOpError("window of patch (")
               << index[0] << ", " << index[1] << ") covers "
               << (d == 0 ? "rows " : "columns ") << begin << " to " << end - 1
               << ", outside the input's 0 to " << size - 1;
    }
  }
  return success();
}

OpFoldResult WindowOp::fold(FoldAdaptor adaptor) {
  // The window of the only patch of an unpadded single-patch stage is the
  // input itself.
  auto row = dyn_cast_or_null<IntegerAttr>(adaptor.getRow());
  auto col = dyn_cast_or_null<IntegerAttr>(adaptor.getCol());
  if (!row || !col || row.getInt() != 0 || col.getInt() != 0)
    return {};
  if (getInput().getType() != getResult().getType() ||
      !llvm::all_of(getOffset(), [](int64_t o) { return o == 0; }))
    return {};
  return getInput();
}

void StageOp::build(OpBuilder &builder, OperationState &state, Type result,
                    ValueRange inputs, ArrayRef<int64_t> grid,
                    ArrayRef<int64_t> tile, ArrayRef<int64_t> halo,
                    StringRef strategy) {
  state.addOperands(inputs);
  state.addAttribute(getGridAttrName(state.name),
                     builder.getDenseI64ArrayAttr(grid));
  state.addAttribute(getTileAttrName(state.name),
                     builder.getDenseI64ArrayAttr(tile));
  state.addAttribute(getHaloAttrName(state.name),
                     builder.getDenseI64ArrayAttr(halo));
  state.addAttribute(getStrategyAttrName(state.name),
                     builder.getStringAttr(strategy));
  state.addTypes(result);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value input : inputs)
    block->addArgument(input.getType(), input.getLoc());
}

static bool isFeatureMap(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == 4;
}

SmallVector<Operation *> StageOp::getLayerOps() {
  // The ops that compute on the stage's inputs, directly or not; not those
  // that only create accumulators (tensor.empty, linalg.fill of a scalar).
  Block &body = getBody().front();
  llvm::SmallPtrSet<Value, 16> derived(body.args_begin(), body.args_end());
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator()) {
    if (llvm::none_of(op.getOperands(),
                      [&](Value v) { return derived.contains(v); }))
      continue;
    for (Value result : op.getResults())
      derived.insert(result);
    if (op.getNumResults() == 1 && isFeatureMap(op.getResult(0).getType()))
      ops.push_back(&op);
  }
  return ops;
}

LogicalResult StageOp::verify() {
  auto out = dyn_cast<RankedTensorType>(getResult().getType());
  if (!out || out.getRank() != 4 || !out.hasStaticShape())
    return emitOpError("result must be a static NHWC feature map, got ")
           << getResult().getType();
  if (getGrid().size() != 2 || getTile().size() != 2)
    return emitOpError("grid and tile need 2 values (rows, columns), got ")
           << getGrid().size() << " and " << getTile().size();
  // A stage that ends in a global reduction (one pixel per channel) tiles
  // that reduction's input, whose size the op does not know.
  bool global = out.getDimSize(1) == 1 && out.getDimSize(2) == 1;
  for (int d = 0; d < 2; ++d) {
    int64_t size = out.getDimSize(d + 1), tile = getTile()[d],
            grid = getGrid()[d];
    if (tile <= 0 || grid <= 0)
      return emitOpError("grid and tile must be positive, got grid ")
             << grid << " and tile " << tile;
    if (global)
      continue;
    if (tile > size || (size + tile - 1) / tile != grid)
      return emitOpError("a tile of ")
             << tile << " " << (d == 0 ? "rows" : "columns")
             << " needs a grid of " << (size + tile - 1) / tile
             << " to cover the output's " << size << ", not " << grid
             << (tile > size ? " (the tile is larger than the output)" : "");
  }
  if (getStrategy() != "recompute" && getStrategy() != "cache")
    return emitOpError("unknown overlap strategy '")
           << getStrategy() << "'; use recompute or cache";

  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("body has ")
           << body.getNumArguments() << " arguments for " << getInputs().size()
           << " inputs";
  for (auto [arg, input] : llvm::zip(body.getArguments(), getInputs()))
    if (arg.getType() != input.getType())
      return emitOpError("body argument ")
             << arg.getArgNumber() << " has type " << arg.getType()
             << ", but the input has type " << input.getType();
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("body must end with patch.yield");
  if (yield.getValue().getType() != out)
    return emitOpError("yields ")
           << yield.getValue().getType() << " but the result is " << out;

  SmallVector<Operation *> layers = getLayerOps();
  if (getHalo().size() != 2 * layers.size())
    return emitOpError("halo needs a (rows, columns) pair for each of the ")
           << layers.size()
           << " ops of the body that compute a 4-D result from the inputs, "
              "got "
           << getHalo().size() << " values";
  for (int64_t halo : getHalo())
    if (halo < 0)
      return emitOpError("halo must not be negative, got ") << halo;

  // Activations enter through the inputs, so that the lowering can window
  // them; only constants (weights) may come from above.
  WalkResult walk = getBody().walk([&](Operation *op) {
    for (Value operand : op->getOperands()) {
      Region *owner = operand.getParentRegion();
      if (getBody().isAncestor(owner))
        continue;
      Operation *def = operand.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>())
        continue;
      op->emitOpError("reads a value defined outside its patch.stage that is "
                      "not a constant; pass it as an input of the stage");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

#define GET_OP_CLASSES
#include "sieve/Dialect/Patch/IR/PatchOps.cpp.inc"
