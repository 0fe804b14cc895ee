//===- Int8Kernels.cpp - Which int8 convolutions get kernels --------------===//
//
// Part of Sieve. See Int8Kernels.h.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Int8Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace {

std::optional<int64_t> constantInt(Value v) {
  APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return std::nullopt;
}

/// Whether `v` is computed from constants only (sieve-fold-constants folds
/// it into one before bufferization makes it a constant global).
bool isConstantTree(Value v, int depth = 0) {
  Operation *def = v.getDefiningOp();
  if (!def || depth > 8)
    return false;
  if (def->hasTrait<OpTrait::ConstantLike>())
    return true;
  if (def->getNumRegions() != 0 && !isa<linalg::LinalgOp>(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value operand) {
    return isa<tensor::EmptyOp>(operand.getDefiningOp()) ||
           isConstantTree(operand, depth + 1);
  });
}

/// Whether an elementwise generic reading the accumulators (or what they
/// became) as `acc` is one the kernels compute in registers: arith ops
/// only, every other input a constant, a scalar or per channel.
bool isRequantStep(linalg::GenericOp g, OpOperand &acc) {
  if (g.getNumDpsInits() != 1 || g.getNumParallelLoops() != g.getNumLoops() ||
      !g.getMatchingIndexingMap(&acc).isIdentity() ||
      !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return false;
  unsigned channel = g.getNumLoops() - 1;
  for (OpOperand *input : g.getDpsInputOperands()) {
    if (input == &acc)
      continue;
    AffineMap m = g.getMatchingIndexingMap(input);
    bool scalar = m.getNumResults() == 0;
    bool perChannel =
        m.getNumResults() == 1 &&
        m.getResult(0) == getAffineDimExpr(channel, g.getContext());
    if (!scalar && !perChannel && !isConstantTree(input->get()))
      return false;
  }
  Block *body = g.getBody();
  if (!body->getArgument(body->getNumArguments() - 1).use_empty())
    return false;
  return llvm::all_of(body->without_terminator(), [](Operation &op) {
    return op.getDialect()->getNamespace() == "arith" &&
           op.getNumRegions() == 0;
  });
}

/// Whether the accumulators' initialisation is one the kernels fold into
/// their corrections: a fill with a constant, or a constant broadcast.
bool isFoldableInit(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return constantInt(fill.getInputs()[0]).has_value();
  auto g = init.getDefiningOp<linalg::GenericOp>();
  return g && g.getNumDpsInputs() == 1 && isConstantTree(g.getDpsInputs()[0]);
}

} // namespace

std::string sieve::resolveInt8Kernels(StringRef mode, StringRef isa) {
  // auto: the target's kernels wherever it has some, the generic loops
  // elsewhere.
  if (mode == "auto")
    return isa == "none" ? "generic" : "vector";
  return mode.str();
}

bool sieve::isInt8Conv(linalg::LinalgOp op) {
  if (!isa<linalg::Conv2DNhwcFhwcOp, linalg::Conv2DNhwcFhwcQOp,
           linalg::DepthwiseConv2DNhwcHwcOp, linalg::DepthwiseConv2DNhwcHwcQOp,
           linalg::DepthwiseConv2DNhwcHwcmOp,
           linalg::DepthwiseConv2DNhwcHwcmQOp>(op.getOperation()))
    return false;
  auto bits = [](Value v) {
    return getElementTypeOrSelf(v.getType()).getIntOrFloatBitWidth();
  };
  Type in = getElementTypeOrSelf(op.getDpsInputs()[0].getType());
  Type out = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  return in.isInteger(8) && out.isInteger(32) &&
         bits(op.getDpsInputs()[1]) == 8;
}

std::string sieve::int8ConvUnsupported(linalg::LinalgOp op) {
  Operation *raw = op.getOperation();
  auto strideAttr = raw->getAttrOfType<DenseIntElementsAttr>("strides");
  auto dilationAttr = raw->getAttrOfType<DenseIntElementsAttr>("dilations");
  if (!strideAttr || !dilationAttr)
    return "no strides";
  for (APInt d : dilationAttr)
    if (d != 1)
      return "dilated";
  if (isa<linalg::Conv2DNhwcFhwcQOp, linalg::DepthwiseConv2DNhwcHwcQOp,
          linalg::DepthwiseConv2DNhwcHwcmQOp>(raw)) {
    std::optional<int64_t> izp = constantInt(op.getDpsInputs()[2]);
    std::optional<int64_t> wzp = constantInt(op.getDpsInputs()[3]);
    if (!izp || !wzp)
      return "zero points not constant";
    // A weight zero point would need the sum of each input window.
    if (*wzp != 0)
      return "non-zero weight zero point";
  }
  if (isa<linalg::DepthwiseConv2DNhwcHwcmOp,
          linalg::DepthwiseConv2DNhwcHwcmQOp>(raw)) {
    auto filter = cast<ShapedType>(op.getDpsInputs()[1].getType());
    if (filter.getRank() == 4 && filter.getDimSize(3) != 1)
      return "channel multiplier above one";
  }
  return "";
}

bool sieve::int8KernelFusesRequant(linalg::LinalgOp op, StringRef isa,
                                   StringRef kernels) {
  // Forced kernels the target lacks are an error of sieve-vectorize-int8.
  // An AVX-512 target runs the AVX2 kernels too.
  if (kernels == "generic" || isa == "none" ||
      (kernels != "vector" && kernels != isa &&
       !(kernels == "avx2" && isa == "avx512")))
    return false;
  if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      !isInt8Conv(op) || !int8ConvUnsupported(op).empty() ||
      !isConstantTree(op.getDpsInputs()[1]) ||
      !isFoldableInit(op.getDpsInits()[0]))
    return false;
  for (Value v : {op.getDpsInputs()[0], op.getDpsInits()[0]})
    if (!cast<ShapedType>(v.getType()).hasStaticShape())
      return false;
  // linalg-fuse-elementwise-ops merges the chain of elementwise ops that
  // alone read the accumulators into one consumer; the kernels fuse it when
  // it reads nothing but the accumulators, constants, scalars and per
  // channel values (a residual add reads another activation).
  Value value = op->getResult(0);
  bool requant = false;
  while (value.hasOneUse()) {
    OpOperand &use = *value.getUses().begin();
    Operation *user = use.getOwner();
    if (llvm::isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user)) {
      value = user->getResult(0);
      continue;
    }
    auto g = dyn_cast<linalg::GenericOp>(user);
    if (!g || g->getNumResults() != 1 || !g.isDpsInput(&use))
      break;
    if (!isRequantStep(g, use))
      return false;
    requant = true;
    value = g->getResult(0);
  }
  return requant;
}
