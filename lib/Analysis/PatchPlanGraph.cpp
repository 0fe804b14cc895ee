//===- PatchPlanGraph.cpp - A CNN's layers read from linalg ---------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/PatchPlanGraph.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExpr.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace sieve;

namespace {

/// An activation value: the tensor it is (or is a view of) and, for padded
/// views, the offset of the view along rows and columns.
struct Activation {
  int tensor = -1;
  int64_t rowOffset = 0;
  int64_t colOffset = 0;
};

/// `expr` as a sum of loop dimensions times constants, plus a constant.
bool linearize(AffineExpr expr, int64_t scale,
               llvm::SmallDenseMap<unsigned, int64_t> &coeffs,
               int64_t &constant) {
  if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
    coeffs[dim.getPosition()] += scale;
    return true;
  }
  if (auto cst = dyn_cast<AffineConstantExpr>(expr)) {
    constant += scale * cst.getValue();
    return true;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!bin)
    return false;
  if (bin.getKind() == AffineExprKind::Add)
    return linearize(bin.getLHS(), scale, coeffs, constant) &&
           linearize(bin.getRHS(), scale, coeffs, constant);
  if (bin.getKind() == AffineExprKind::Mul) {
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return linearize(bin.getLHS(), scale * c.getValue(), coeffs, constant);
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return linearize(bin.getRHS(), scale * c.getValue(), coeffs, constant);
  }
  return false;
}

/// How output dimension `outDim` of `op` reads dimension `outDim` of its
/// input `operand`: stride on the output loop, dilation and size of at most
/// one reduction loop, and an offset.
std::optional<AxisAccess> readAccess(linalg::LinalgOp op, OpOperand *operand,
                                     unsigned outDim, std::string &why) {
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  AffineMap inMap = op.getMatchingIndexingMap(operand);
  if (outMap.getNumResults() <= outDim || inMap.getNumResults() <= outDim) {
    why = "its indexing maps do not index rows and columns";
    return std::nullopt;
  }
  auto outLoop = dyn_cast<AffineDimExpr>(outMap.getResult(outDim));
  if (!outLoop) {
    why = "its output is not indexed by a loop per spatial dimension";
    return std::nullopt;
  }
  llvm::SmallDenseMap<unsigned, int64_t> coeffs;
  int64_t constant = 0;
  if (!linearize(inMap.getResult(outDim), 1, coeffs, constant)) {
    why = "its input is indexed by a non-linear expression";
    return std::nullopt;
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  AxisAccess access;
  access.offset = constant;
  access.stride = 0;
  for (auto [loop, coeff] : coeffs) {
    if (coeff == 0)
      continue;
    if (loop == outLoop.getPosition()) {
      access.stride = coeff;
      continue;
    }
    if (iterators[loop] != utils::IteratorType::reduction ||
        ShapedType::isDynamic(ranges[loop]) || access.kernel != 1 ||
        coeff <= 0) {
      why = "its input rows or columns depend on more than one window loop";
      return std::nullopt;
    }
    access.kernel = ranges[loop];
    access.dilation = coeff;
  }
  if (access.stride <= 0) {
    why = "its input rows or columns do not follow its output's";
    return std::nullopt;
  }
  return access;
}

/// Rows, columns and channels of a feature map type (NHWC, or NHWCM as the
/// depthwise convolutions with a multiplier write it).
bool featureMapShape(Type type, int64_t &h, int64_t &w, int64_t &c,
                     int64_t &bytes) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      !tensor.getElementType().isIntOrFloat())
    return false;
  bytes = std::max<int64_t>(1, tensor.getElementTypeBitWidth() / 8);
  if (tensor.getRank() < 4 || tensor.getDimSize(0) != 1) {
    h = w = 1;
    c = tensor.getNumElements();
    return false;
  }
  h = tensor.getDimSize(1);
  w = tensor.getDimSize(2);
  c = tensor.getNumElements() / (h * w);
  return true;
}

struct GraphBuilder {
  NetworkOps result;
  llvm::DenseMap<Value, Activation> activations;
  /// Per layer: the value it currently ends with.
  std::vector<Value> layerValue;

  void addInput(Value value) {
    int64_t h, w, c, bytes;
    featureMapShape(value.getType(), h, w, c, bytes);
    activations[value] = {result.net.addInput(h, w, c, bytes)};
  }

  int newLayer(Operation *op, NetLayer layer, Value value, bool spatial) {
    int64_t h = 1, w = 1, c = 1, bytes = 1;
    spatial &= featureMapShape(value.getType(), h, w, c, bytes);
    if (!spatial && layer.opaqueReason.empty())
      layer.opaqueReason = "its result is not a 1xHxWxC feature map";
    layer.spatial = spatial;
    int tensor = result.net.addLayer(std::move(layer), h, w, c, bytes);
    result.ops.push_back({op});
    result.anchor.push_back(op);
    layerValue.push_back(value);
    activations[value] = {tensor};
    return result.net.layers.size() - 1;
  }

  /// Adds `op`'s result to layer `l` (its last value changes).
  void extend(int l, Operation *op, Value value) {
    int64_t h, w, c, bytes;
    featureMapShape(value.getType(), h, w, c, bytes);
    NetTensor &t = result.net.tensors[result.net.layers[l].output];
    t.height = h;
    t.width = w;
    t.channels = c;
    t.elementBytes = bytes;
    result.ops[l].push_back(op);
    layerValue[l] = value;
    activations[value] = {result.net.layers[l].output};
  }

  /// The layer whose last value `value` is, if `value` has only one use.
  int extensible(Value value) {
    auto it = activations.find(value);
    if (it == activations.end() || !value.hasOneUse())
      return -1;
    int producer = result.net.tensors[it->second.tensor].producer;
    if (producer < 0 || layerValue[producer] != value)
      return -1;
    return producer;
  }

  /// Elementwise generics that the fuse stage folds into their only reader
  /// (linalg-fuse-elementwise-ops fuses a producer with one use into the
  /// generic that reads it): the activations they read, and the op, both
  /// given to the reader's layer.
  llvm::DenseMap<Value, SmallVector<Activation>> fusedInputs;
  llvm::DenseMap<Value, Operation *> fusedOps;

  bool isActivation(Value value) const {
    return activations.count(value) || fusedInputs.count(value);
  }

  /// Whether `op`, which reads `inputs` elementwise, is fused into its only
  /// reader by the fuse stage: all its loops are parallel, and it and its
  /// reader are generics indexing the value by permutations.
  static bool fusesIntoReader(linalg::LinalgOp op) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic || op->getNumResults() != 1 || !op->getResult(0).hasOneUse() ||
        op.getNumParallelLoops() != op.getNumLoops() ||
        !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isPermutation())
      return false;
    OpOperand &use = *op->getResult(0).getUses().begin();
    auto reader = dyn_cast<linalg::GenericOp>(use.getOwner());
    return reader && reader->getBlock() == op->getBlock() &&
           reader.isDpsInput(&use) &&
           reader.getMatchingIndexingMap(&use).isPermutation();
  }

  void visitLinalg(linalg::LinalgOp op) {
    Value value = op->getResult(0);
    SmallVector<std::pair<OpOperand *, Activation>> inputs;
    SmallVector<Operation *> fused;
    for (OpOperand *operand : op.getDpsInputOperands()) {
      auto it = activations.find(operand->get());
      if (it != activations.end())
        inputs.push_back({operand, it->second});
      // A fused producer's reads are this op's: it reads them elementwise.
      auto pending = fusedInputs.find(operand->get());
      if (pending == fusedInputs.end())
        continue;
      for (Activation act : pending->second)
        inputs.push_back({operand, act});
      fused.push_back(fusedOps.lookup(operand->get()));
    }
    bool reduction = op.getNumReductionLoops() > 0;
    NetLayer layer;
    bool spatial = op->getNumResults() == 1 && op.getNumDpsInits() == 1 &&
                   op.hasPureTensorSemantics();
    if (!spatial)
      layer.opaqueReason = "it has several results or is not on tensors";
    for (auto &[operand, act] : inputs) {
      LayerInput input{act.tensor, {}, {}};
      if (spatial) {
        std::string why;
        std::optional<AxisAccess> rows = readAccess(op, operand, 1, why);
        std::optional<AxisAccess> cols =
            rows ? readAccess(op, operand, 2, why) : std::nullopt;
        if (!rows || !cols) {
          spatial = false;
          layer.opaqueReason = why;
        } else {
          rows->offset += act.rowOffset;
          cols->offset += act.colOffset;
          input.rows = *rows;
          input.cols = *cols;
        }
      }
      layer.inputs.push_back(input);
    }
    if (reduction) {
      uint64_t points = 1;
      for (int64_t range : op.getStaticLoopRanges())
        points *= ShapedType::isDynamic(range) ? 0 : range;
      layer.macs = points;
      layer.accumulatorBytes = std::max<int64_t>(
          1, getElementTypeOrSelf(value.getType()).getIntOrFloatBitWidth() / 8);
    }
    // Channelwise: the input's channel is one of the output's loops.
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    layer.channelwise = !inputs.empty() && llvm::all_of(inputs, [&](auto &in) {
      AffineMap inMap = op.getMatchingIndexingMap(in.first);
      return inMap.getNumResults() == 4 && outMap.getNumResults() >= 4 &&
             inMap.getResult(3) == outMap.getResult(3);
    });

    // Elementwise ops after a layer join it, when they are its only reader;
    // with several candidates, the latest layer, so that the others come
    // before it.
    bool elementwise = spatial && !reduction &&
                       llvm::all_of(layer.inputs, [](const LayerInput &in) {
                         return in.rows.isIdentity() && in.cols.isIdentity();
                       });
    if (elementwise) {
      int join = -1;
      for (auto &[operand, act] : inputs)
        join = std::max(join, extensible(operand->get()));
      if (join >= 0) {
        NetLayer &joined = result.net.layers[join];
        for (const LayerInput &in : layer.inputs)
          if (in.tensor != joined.output)
            joined.inputs.push_back(in);
        joined.channelwise &= layer.channelwise;
        extend(join, op, value);
        attachFused(join, fused);
        return;
      }
      // Reading only tensors others read too: a layer of its own, unless
      // the fuse stage folds it into its reader (the rescale of a residual
      // add's skip input, whose add joins the convolution before it).
      if (fused.empty() && fusesIntoReader(op)) {
        for (auto &[operand, act] : inputs)
          fusedInputs[value].push_back(act);
        fusedOps[value] = op;
        return;
      }
    }
    int l = newLayer(op, std::move(layer), value, spatial);
    if (reduction)
      result.anchor[l] = op;
    attachFused(l, fused);
  }

  /// The fused producers belong to the layer of their reader.
  void attachFused(int l, ArrayRef<Operation *> fused) {
    auto &ops = result.ops[l];
    for (Operation *op : fused)
      ops.insert(ops.begin(), op);
  }

  void visit(Operation *op) {
    if (op->getNumResults() != 1)
      return markOpaque(op, "it has several results");
    Value value = op->getResult(0);
    if (auto pad = dyn_cast<tensor::PadOp>(op)) {
      Activation source = activations.lookup(pad.getSource());
      ArrayRef<int64_t> low = pad.getStaticLow();
      if (pad.getResultType().getRank() == 4 && low.size() == 4 &&
          !ShapedType::isDynamic(low[1]) && !ShapedType::isDynamic(low[2]) &&
          pad.getResultType().hasStaticShape()) {
        // A padded view: consumers read the source with an offset.
        activations[value] = {source.tensor, source.rowOffset - low[1],
                              source.colOffset - low[2]};
        pendingViews[value] = op;
        return;
      }
      return markOpaque(op, "it pads with dynamic amounts");
    }
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op)) {
      Value source = op->getOperand(0);
      int64_t h0, w0, c0, b0, h1, w1, c1, b1;
      bool fm0 = featureMapShape(source.getType(), h0, w0, c0, b0);
      bool fm1 = featureMapShape(value.getType(), h1, w1, c1, b1);
      int l = extensible(source);
      if (fm0 && fm1 && h0 == h1 && w0 == w1 && l >= 0)
        return extend(l, op, value);
    }
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
      visitLinalg(linalgOp);
      attachViews(op);
      return;
    }
    markOpaque(op, ("the analysis cannot see through '" +
                    op->getName().getStringRef() + "'")
                       .str());
  }

  /// An op the analysis does not understand: a layer that reads all its
  /// activation operands whole.
  void markOpaque(Operation *op, std::string why) {
    NetLayer layer;
    layer.opaqueReason = std::move(why);
    SmallVector<Operation *> fused;
    for (Value operand : op->getOperands()) {
      auto it = activations.find(operand);
      if (it != activations.end())
        layer.inputs.push_back({it->second.tensor, {}, {}});
      for (Activation act : fusedInputs.lookup(operand))
        layer.inputs.push_back({act.tensor, {}, {}});
      if (Operation *producer = fusedOps.lookup(operand))
        fused.push_back(producer);
    }
    if (op->getNumResults() == 0)
      return;
    attachFused(newLayer(op, std::move(layer), op->getResult(0), false), fused);
    attachViews(op);
  }

  /// Padded views belong to the layer that reads them.
  llvm::DenseMap<Value, Operation *> pendingViews;
  void attachViews(Operation *op) {
    // An op folded into its reader (fusedOps) is no activation of its own;
    // nor is a view of a network input a layer's.
    auto act = activations.find(op->getResult(0));
    if (act == activations.end())
      return;
    int l = result.net.tensors[act->second.tensor].producer;
    if (l < 0)
      return;
    for (Value operand : op->getOperands()) {
      auto it = pendingViews.find(operand);
      if (it == pendingViews.end())
        continue;
      auto &ops = result.ops[l];
      ops.insert(ops.begin(), it->second);
    }
  }
};

} // namespace

NetworkOps sieve::buildNetwork(func::FuncOp func) {
  return buildNetwork(func.getBody().front());
}

NetworkOps sieve::buildNetwork(Block &block) {
  GraphBuilder builder;
  for (BlockArgument arg : block.getArguments())
    if (isa<RankedTensorType>(arg.getType()))
      builder.addInput(arg);
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      for (Value operand : op.getOperands()) {
        auto it = builder.activations.find(operand);
        if (it != builder.activations.end())
          builder.result.net.tensors[it->second.tensor].isOutput = true;
      }
      continue;
    }
    bool reads = llvm::any_of(op.getOperands(),
                              [&](Value v) { return builder.isActivation(v); });
    if (reads)
      builder.visit(&op);
  }
  return std::move(builder.result);
}
