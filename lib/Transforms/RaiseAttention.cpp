//===- RaiseAttention.cpp - matmul/softmax/matmul chains to attn ----------===//
//
// Part of Sieve. Exporters write attention as `Q K^T -> scale -> (+ mask) ->
// softmax -> P V`, with the heads moved around by reshapes and transposes and
// grouped KV heads broadcast to every query head. This pass finds that chain
// from its last matmul backwards and replaces it by one `attn.attention`, so
// that Sieve can lower it without the L x L score matrix and sparsify it. The
// exporter's reshapes, transposes and broadcasts between the inputs and the
// chain become dead and disappear.
//
// Two dialects are matched, because the chain has to be seen before it is
// lowered: TOSA (run at the end of the import stage, before lower-tosa
// decomposes it) and linalg on tensors (torch-mlir and TensorFlow exports:
// batch_matmul, linalg.softmax or its decomposition into generics).
//
// A constant mask is classified with sieve::AttentionPattern: causal becomes
// the `causal` flag, LogSparse and diagonal patterns (sliding windows) become
// `attn.sparse_attention` (checked entry by entry: a mask that only resembles
// LogSparse stays a mask), a mask that keeps everything disappears.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/AttentionPattern.h"
#include "sieve/Dialect/Attn/IR/AttnOps.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"

namespace sieve {
#define GEN_PASS_DEF_RAISEATTENTION
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// What the chain computes, in the view of the softmax (rank R: [B..., H,
/// Lq, Lk] scores). `key` is the untransposed [B..., Hk, Lk, D].
struct Chain {
  Value query, key, value, mask;
  /// A linalg mask: the add's operand, brought to the scores' rank when the
  /// op is built.
  OpOperand *linalgMask = nullptr;
  /// K^T [B..., H, D, Lk] when the key has to be transposed for the op.
  Value keyTransposed;
  float scale = 1.0f;
  /// The last matmul and the value that holds its result in the softmax's
  /// view (its reshape to rank R, or the matmul itself).
  Operation *root = nullptr;
  Value result;
  /// The view to build: the softmax input's type ([B..., H, Lq, Lk]).
  RankedTensorType scores;
};

//===----------------------------------------------------------------------===//
// Looking through the exporters' data movement
//===----------------------------------------------------------------------===//

/// The input of a reshape (TOSA or tensor) of `value`, or null.
Value reshapeInput(Value value) {
  Operation *op = value.getDefiningOp();
  if (auto r = dyn_cast_or_null<tosa::ReshapeOp>(op))
    return r.getInput1();
  if (auto r = dyn_cast_or_null<tensor::CollapseShapeOp>(op))
    return r.getSrc();
  if (auto r = dyn_cast_or_null<tensor::ExpandShapeOp>(op))
    return r.getSrc();
  return {};
}

/// `value` seen in the softmax's view: through a reshape that only merges or
/// splits the batch dims, when its input has the batch dims `batch` and the
/// last two dims of `value`. `value` itself if it already has them.
Value inView(Value value, ArrayRef<int64_t> batch) {
  auto matches = [&](Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getRank() != static_cast<int64_t>(batch.size()) + 2)
      return false;
    return type.getShape().drop_back(2) == batch;
  };
  if (matches(value))
    return value;
  Value input = reshapeInput(value);
  if (!input)
    return {};
  auto inType = cast<RankedTensorType>(input.getType());
  auto outType = cast<RankedTensorType>(value.getType());
  if (inType.getRank() < 2 ||
      inType.getShape().take_back(2) != outType.getShape().take_back(2))
    return {};
  return matches(input) ? input : Value();
}

/// A dense constant behind `value` (arith.constant, tosa.const, through
/// reshapes), reshaped to `value`'s type.
DenseElementsAttr getConstant(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return {};
  DenseElementsAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr;
  if (Value input = reshapeInput(value))
    if (DenseElementsAttr inner = getConstant(input))
      return inner.reshape(type);
  return {};
}

std::optional<float> getSplatFloat(Value value) {
  DenseElementsAttr attr = getConstant(value);
  if (!attr || !attr.isSplat() || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToFloat();
}

bool isZero(Value value) {
  std::optional<float> v = getSplatFloat(value);
  return v && *v == 0.0f;
}

/// Undoes the grouped-KV broadcast exporters write: `expanded` is
/// [B..., Hk, G, L, D], broadcast (an add of zeros, a tile or a
/// linalg.broadcast) from a reshape of [B..., Hk, L, D] to [B..., Hk, 1, L,
/// D]. Returns the [B..., Hk, L, D] tensor, or null.
Value ungroupBroadcast(Value expanded) {
  auto expandedType = dyn_cast<RankedTensorType>(expanded.getType());
  if (!expandedType || expandedType.getRank() < 4)
    return {};
  int64_t g = expandedType.getRank() - 3; // G in [B..., Hk, G, L, D]
  Value unit;
  Operation *broadcast = expanded.getDefiningOp();
  if (auto add = dyn_cast_or_null<tosa::AddOp>(broadcast)) {
    if (isZero(add.getInput2()))
      unit = add.getInput1();
    else if (isZero(add.getInput1()))
      unit = add.getInput2();
  } else if (auto tile = dyn_cast_or_null<tosa::TileOp>(broadcast)) {
    unit = tile.getInput1();
  } else if (auto bcast = dyn_cast_or_null<linalg::BroadcastOp>(broadcast)) {
    // linalg.broadcast adds the group dim: its input is the grouped tensor.
    auto inType = cast<RankedTensorType>(bcast.getInput().getType());
    if (bcast.getDimensions().size() == 1 && bcast.getDimensions()[0] == g &&
        inType.getRank() == expandedType.getRank() - 1)
      return bcast.getInput();
    return {};
  }
  if (!unit)
    return {};
  auto unitType = cast<RankedTensorType>(unit.getType());
  if (unitType.getRank() != expandedType.getRank() ||
      unitType.getDimSize(g) != 1)
    return {};
  Value grouped = reshapeInput(unit);
  if (!grouped)
    return {};
  auto groupedType = cast<RankedTensorType>(grouped.getType());
  SmallVector<int64_t> expected(unitType.getShape());
  expected.erase(expected.begin() + g);
  if (groupedType.getShape() != ArrayRef<int64_t>(expected))
    return {};
  return grouped;
}

/// A key or value operand ([N, L, D] or [L, D] as the matmul reads it) in
/// the softmax's view [B..., H, L, D], with a grouped-KV broadcast undone
/// ([B..., Hk, L, D]); null if it is neither. Canonicalization may have
/// merged the reshapes around the broadcast, so the broadcast is looked for
/// both behind the view and directly behind the operand.
Value kvInView(Value operand, ArrayRef<int64_t> batch) {
  auto operandType = cast<RankedTensorType>(operand.getType());
  auto fromBroadcast = [&](Value expanded) -> Value {
    Value grouped = ungroupBroadcast(expanded);
    if (!grouped || batch.empty())
      return {};
    auto groupedType = cast<RankedTensorType>(grouped.getType());
    auto expandedType = cast<RankedTensorType>(expanded.getType());
    int64_t rank = groupedType.getRank();
    int64_t kvHeads = groupedType.getDimSize(rank - 3);
    int64_t groups = expandedType.getDimSize(rank - 2);
    if (rank != static_cast<int64_t>(batch.size()) + 2 ||
        groupedType.getShape().take_front(rank - 3) != batch.drop_back() ||
        kvHeads * groups != batch.back() ||
        groupedType.getShape().take_back(2) !=
            operandType.getShape().take_back(2))
      return {};
    return grouped;
  };
  if (Value view = inView(operand, batch)) {
    if (Value expanded = reshapeInput(view))
      if (Value grouped = fromBroadcast(expanded))
        return grouped;
    return view;
  }
  if (Value expanded = reshapeInput(operand))
    return fromBroadcast(expanded);
  return {};
}

//===----------------------------------------------------------------------===//
// The chain, TOSA form
//===----------------------------------------------------------------------===//

/// `value` is `reduce(x)` along the last axis, of kind ReduceOp.
template <typename ReduceOp> Value reducedLastAxis(Value value) {
  auto reduce = value.getDefiningOp<ReduceOp>();
  if (!reduce)
    return {};
  auto inType = cast<RankedTensorType>(reduce.getInput().getType());
  if (reduce.getAxis() != inType.getRank() - 1)
    return {};
  return reduce.getInput();
}

/// softmax(x) along the last axis, as TOSA exporters write it:
/// e = exp(x - reduce_max(x)) (or exp(x)), e * reciprocal(reduce_sum(e)).
Value matchTosaSoftmax(Value p) {
  auto mul = p.getDefiningOp<tosa::MulOp>();
  if (!mul)
    return {};
  for (auto [e, r] : {std::pair(mul.getInput1(), mul.getInput2()),
                      std::pair(mul.getInput2(), mul.getInput1())}) {
    auto reciprocal = r.getDefiningOp<tosa::ReciprocalOp>();
    if (!reciprocal ||
        reducedLastAxis<tosa::ReduceSumOp>(reciprocal.getInput1()) != e)
      continue;
    auto exp = e.getDefiningOp<tosa::ExpOp>();
    if (!exp)
      continue;
    Value shifted = exp.getInput1();
    if (auto sub = shifted.getDefiningOp<tosa::SubOp>())
      if (reducedLastAxis<tosa::ReduceMaxOp>(sub.getInput2()) ==
          sub.getInput1())
        return sub.getInput1();
    return shifted;
  }
  return {};
}

/// x = s * c (either order), with c a constant splat: returns s.
Value matchTosaScale(Value x, float &scale) {
  auto mul = x.getDefiningOp<tosa::MulOp>();
  if (!mul)
    return {};
  for (auto [s, c] : {std::pair(mul.getInput1(), mul.getInput2()),
                      std::pair(mul.getInput2(), mul.getInput1())})
    if (std::optional<float> v = getSplatFloat(c)) {
      scale = *v;
      return s;
    }
  return {};
}

//===----------------------------------------------------------------------===//
// The chain, linalg form
//===----------------------------------------------------------------------===//

/// The single op a generic's body computes before yielding, if the body is
/// exactly that one op.
Operation *singleBodyOp(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  if (!llvm::hasSingleElement(body.without_terminator()))
    return nullptr;
  Operation *op = &body.front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 || yield.getOperand(0) != op->getResult(0))
    return nullptr;
  return op;
}

/// The input of a generic fed to the body's block argument `arg`, or null if
/// `v` is not a block argument of an input.
Value inputOf(linalg::GenericOp generic, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &generic.getRegion().front() ||
      arg.getArgNumber() >= generic.getNumDpsInputs())
    return {};
  return generic.getDpsInputOperand(arg.getArgNumber())->get();
}

bool isAllParallel(linalg::GenericOp generic) {
  return generic.getNumParallelLoops() == generic.getNumLoops();
}

/// `value` is a reduction generic over the last dim of its single input
/// whose body is one op of kind OpTys...: returns the input.
template <typename... OpTys> Value reducedByGeneric(Value value) {
  while (Value input = reshapeInput(value)) // keepdim reshapes
    value = input;
  auto generic = value.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumReductionLoops() != 1)
    return {};
  auto iterators = generic.getIteratorTypesArray();
  if (iterators.back() != utils::IteratorType::reduction)
    return {};
  Operation *op = singleBodyOp(generic);
  if (!op || !isa<OpTys...>(op))
    return {};
  return generic.getDpsInputOperand(0)->get();
}

/// A broadcast input of a generic as seen by its other, full-shape input:
/// through the keepdim reshape.
Value stripKeepDim(Value v) {
  while (Value input = reshapeInput(v))
    v = input;
  return v;
}

/// exp(x - m) as one generic or as a generic exp of a generic sub; returns
/// (x, m).
std::optional<std::pair<Value, Value>> matchExpOfSub(Value n) {
  auto generic = n.getDefiningOp<linalg::GenericOp>();
  if (!generic || !isAllParallel(generic))
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto exp = yield.getOperand(0).getDefiningOp<math::ExpOp>();
  if (!exp)
    return std::nullopt;
  if (auto sub = exp.getOperand().getDefiningOp<arith::SubFOp>()) {
    Value x = inputOf(generic, sub.getLhs()),
          m = inputOf(generic, sub.getRhs());
    if (x && m)
      return std::pair(x, m);
    return std::nullopt;
  }
  Value inner = inputOf(generic, exp.getOperand());
  auto subGeneric = inner ? inner.getDefiningOp<linalg::GenericOp>() : nullptr;
  if (!subGeneric || !isAllParallel(subGeneric))
    return std::nullopt;
  auto sub = dyn_cast_or_null<arith::SubFOp>(singleBodyOp(subGeneric));
  if (!sub)
    return std::nullopt;
  Value x = inputOf(subGeneric, sub.getLhs()),
        m = inputOf(subGeneric, sub.getRhs());
  if (x && m)
    return std::pair(x, m);
  return std::nullopt;
}

/// softmax(x) along the last dim: linalg.softmax, or its decomposition
/// (upstream's and torch-mlir's): max, exp(x - max), sum, divide.
Value matchLinalgSoftmax(Value p) {
  if (auto softmax = p.getDefiningOp<linalg::SoftmaxOp>()) {
    auto type = cast<RankedTensorType>(softmax.getInput().getType());
    if (softmax.getDimension() == static_cast<uint64_t>(type.getRank() - 1))
      return softmax.getInput();
    return {};
  }
  auto div = p.getDefiningOp<linalg::GenericOp>();
  if (!div || !isAllParallel(div))
    return {};
  auto divf = dyn_cast_or_null<arith::DivFOp>(singleBodyOp(div));
  if (!divf)
    return {};
  Value n = inputOf(div, divf.getLhs()), d = inputOf(div, divf.getRhs());
  if (!n || !d || reducedByGeneric<arith::AddFOp>(d) != n)
    return {};
  auto expOfSub = matchExpOfSub(n);
  if (!expOfSub)
    return {};
  auto [x, m] = *expOfSub;
  if (reducedByGeneric<arith::MaximumFOp, arith::MaxNumFOp>(stripKeepDim(m)) !=
      x)
    return {};
  return x;
}

/// x = s * c or s / c in a generic, c a constant (captured scalar or splat
/// input): returns s.
Value matchLinalgScale(Value x, float &scale) {
  auto generic = x.getDefiningOp<linalg::GenericOp>();
  if (!generic || !isAllParallel(generic))
    return {};
  Operation *op = singleBodyOp(generic);
  if (!op || !isa<arith::MulFOp, arith::DivFOp>(op))
    return {};
  auto constantOf = [&](Value v) -> std::optional<float> {
    FloatAttr attr;
    if (matchPattern(v, m_Constant(&attr)))
      return attr.getValueAsDouble();
    if (Value input = inputOf(generic, v))
      return getSplatFloat(input);
    return std::nullopt;
  };
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  bool divide = isa<arith::DivFOp>(op);
  for (auto [s, c] : {std::pair(lhs, rhs), std::pair(rhs, lhs)}) {
    Value input = inputOf(generic, s);
    std::optional<float> v = constantOf(c);
    if (!input || !v || (divide && s != lhs) || *v == 0.0f)
      continue;
    scale = divide ? 1.0f / *v : *v;
    return input;
  }
  return {};
}

/// The mask input of a generic add, brought to the scores' rank with unit
/// dims where its indexing map broadcasts.
Value maskInScoresRank(OpBuilder &builder, linalg::GenericOp generic,
                       OpOperand *mask, RankedTensorType scores) {
  AffineMap map = generic.getMatchingIndexingMap(mask);
  auto type = cast<RankedTensorType>(mask->get().getType());
  if (map.isIdentity())
    return mask->get();
  // The scores' rank with size-1 dims read at 0 (torch-mlir's keepdim maps
  // such as (d0, d1, d2) -> (0, 0, d2)): the op broadcasts those itself.
  if (type.getRank() == scores.getRank() &&
      llvm::all_of(llvm::enumerate(map.getResults()), [&](auto indexed) {
        auto [i, e] = indexed;
        if (auto dim = dyn_cast<AffineDimExpr>(e))
          return dim.getPosition() == i;
        auto constant = dyn_cast<AffineConstantExpr>(e);
        return constant && constant.getValue() == 0 && type.getDimSize(i) == 1;
      }))
    return mask->get();
  // Results must be a subsequence of the dims (broadcast, no transpose).
  SmallVector<int64_t> kept;
  for (AffineExpr e : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(e);
    if (!dim || (!kept.empty() && dim.getPosition() <= kept.back()))
      return {};
    kept.push_back(dim.getPosition());
  }
  if (kept.empty())
    return {};
  SmallVector<int64_t> shape(scores.getRank(), 1);
  SmallVector<ReassociationIndices> groups(kept.size());
  size_t group = 0;
  for (int64_t d = 0; d < scores.getRank(); ++d) {
    if (group < kept.size() && kept[group] == d) {
      shape[d] = type.getDimSize(group);
      groups[group].push_back(d);
      ++group;
      continue;
    }
    // A unit dim joins the next kept dim's group, or the last one.
    groups[std::min(group, kept.size() - 1)].push_back(d);
  }
  for (auto &g : groups)
    llvm::sort(g);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  return tensor::ExpandShapeOp::create(builder, generic.getLoc(), resultType,
                                       mask->get(), groups);
}

//===----------------------------------------------------------------------===//
// Matching from the last matmul
//===----------------------------------------------------------------------===//

/// The operands of a matmul-like op: (a, b, bTransposed). Batch matmuls are
/// rank 3, plain matmuls rank 2.
struct MatmulOperands {
  Value a, b;
  bool bTransposed = false;
};

std::optional<MatmulOperands> getMatmul(Operation *op) {
  if (auto mm = dyn_cast<tosa::MatMulOp>(op))
    return MatmulOperands{mm.getA(), mm.getB(), false};
  if (isa<linalg::BatchMatmulTransposeBOp, linalg::MatmulTransposeBOp>(op)) {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    return MatmulOperands{linalgOp.getDpsInputs()[0],
                          linalgOp.getDpsInputs()[1], true};
  }
  if (auto bmm = dyn_cast<linalg::BatchMatmulOp>(op))
    if (linalg::BatchMatmulOp::isDefaultIndexingMaps(bmm.getIndexingMapsAttr()))
      return MatmulOperands{bmm.getInputs()[0], bmm.getInputs()[1], false};
  if (auto mm = dyn_cast<linalg::MatmulOp>(op))
    if (linalg::MatmulOp::isDefaultIndexingMaps(mm.getIndexingMapsAttr()))
      return MatmulOperands{mm.getInputs()[0], mm.getInputs()[1], false};
  return std::nullopt;
}

/// The permutation of a transpose (TOSA or linalg) producing `value`.
std::optional<SmallVector<int64_t>> getTranspose(Value value, Value &input) {
  Operation *op = value.getDefiningOp();
  if (auto t = dyn_cast_or_null<tosa::TransposeOp>(op)) {
    input = t.getInput1();
    return SmallVector<int64_t>(t.getPerms().begin(), t.getPerms().end());
  }
  if (auto t = dyn_cast_or_null<linalg::TransposeOp>(op)) {
    input = t.getInput();
    return SmallVector<int64_t>(t.getPermutation());
  }
  return std::nullopt;
}

/// K from K^T in the softmax's view: `kt` (rank 3, or 2) is the matmul's
/// second operand. Only a swap of the last two dims is looked through.
Value untransposeKey(Value kt, ArrayRef<int64_t> batch) {
  auto isSwapLast2 = [](ArrayRef<int64_t> perm) {
    int64_t n = perm.size();
    for (int64_t i = 0; i < n - 2; ++i)
      if (perm[i] != i)
        return false;
    return n >= 2 && perm[n - 2] == n - 1 && perm[n - 1] == n - 2;
  };
  Value input;
  // A transpose of the batched operand: [N, D, Lk] <- [N, Lk, D].
  if (auto perm = getTranspose(kt, input); perm && isSwapLast2(*perm))
    return kvInView(input, batch);
  // A reshape of a transpose in the softmax's view.
  Value ktView = reshapeInput(kt);
  if (!ktView)
    return {};
  if (auto perm = getTranspose(ktView, input); perm && isSwapLast2(*perm)) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getShape().drop_back(2) == batch)
      return kvInView(input, batch);
  }
  return {};
}

/// The left padding of `padded` along `axis` if it is a zero-padding
/// (TOSA or tensor.pad) that pads nothing else; `padded` itself with 0
/// otherwise.
std::pair<Value, int64_t> leftZeroPadding(Value padded, int64_t axis) {
  SmallVector<int64_t> low, high;
  Value input;
  if (auto pad = padded.getDefiningOp<tosa::PadOp>()) {
    auto shape = pad.getPadding().getDefiningOp<tosa::ConstShapeOp>();
    std::optional<float> value = getSplatFloat(pad.getPadConst());
    if (!shape || !value || *value != 0.0f)
      return {padded, 0};
    auto values = llvm::to_vector(shape.getValues().getValues<int64_t>());
    for (size_t i = 0; i + 1 < values.size(); i += 2) {
      low.push_back(values[i]);
      high.push_back(values[i + 1]);
    }
    input = pad.getInput1();
  } else if (auto pad = padded.getDefiningOp<tensor::PadOp>()) {
    Value value = pad.getConstantPaddingValue();
    FloatAttr zero;
    if (!value || !matchPattern(value, m_Constant(&zero)) ||
        !zero.getValue().isZero() || pad.hasZeroLowPad() ||
        ShapedType::isDynamicShape(pad.getStaticLow()) ||
        ShapedType::isDynamicShape(pad.getStaticHigh()))
      return {padded, 0};
    low = llvm::to_vector(pad.getStaticLow());
    high = llvm::to_vector(pad.getStaticHigh());
    input = pad.getSource();
  } else {
    return {padded, 0};
  }
  for (size_t d = 0; d < low.size(); ++d)
    if (high[d] != 0 || (static_cast<int64_t>(d) != axis && low[d] != 0))
      return {padded, 0};
  return {input, low[axis]};
}

/// The kernel size of the causal 1-D convolution that produces `value`
/// (through reshapes and transposes), if there is one with a kernel > 1.
std::optional<int64_t> getCausalConvKernel(Value value) {
  while (true) {
    Value input;
    if (Value r = reshapeInput(value))
      value = r;
    else if (getTranspose(value, input))
      value = input;
    else
      break;
  }
  auto causal = [](int64_t kernel, int64_t stride, int64_t dilation,
                   int64_t left) -> std::optional<int64_t> {
    if (kernel > 1 && stride == 1 && left == dilation * (kernel - 1))
      return kernel;
    return std::nullopt;
  };
  if (auto conv = value.getDefiningOp<tosa::Conv2DOp>()) {
    // A 1-D convolution is a 2-D one with a kernel of 1 in H or in W.
    auto weight = cast<RankedTensorType>(conv.getWeight().getType());
    ArrayRef<int64_t> pad = conv.getPad(); // top, bottom, left, right
    int64_t kh = weight.getDimSize(1), kw = weight.getDimSize(2);
    int64_t axis = kh == 1 ? 2 : 1; // the length axis of [N, H, W, C]
    int64_t k = axis == 2 ? kw : kh;
    if ((axis == 2 && kh != 1) || (axis == 1 && kw != 1))
      return std::nullopt;
    int64_t before = axis == 1 ? pad[0] : pad[2];
    int64_t after = axis == 1 ? pad[1] : pad[3];
    int64_t acrossBefore = axis == 1 ? pad[2] : pad[0];
    int64_t acrossAfter = axis == 1 ? pad[3] : pad[1];
    if (after != 0 || acrossBefore != 0 || acrossAfter != 0)
      return std::nullopt;
    auto [_, padded] = leftZeroPadding(conv.getInput(), axis);
    return causal(k, conv.getStride()[axis - 1], conv.getDilation()[axis - 1],
                  before + padded);
  }
  // linalg: [N, W, C] x [KW, C, F] (TensorFlow) or [N, C, W] x [F, C, KW]
  // (torch-mlir).
  if (auto conv = value.getDefiningOp<linalg::Conv1DNwcWcfOp>()) {
    auto filter = cast<RankedTensorType>(conv.getInputs()[1].getType());
    auto [_, left] = leftZeroPadding(conv.getInputs()[0], 1);
    return causal(filter.getDimSize(0),
                  conv.getStrides().getValues<int64_t>()[0],
                  conv.getDilations().getValues<int64_t>()[0], left);
  }
  if (auto conv = value.getDefiningOp<linalg::Conv1DNcwFcwOp>()) {
    auto filter = cast<RankedTensorType>(conv.getInputs()[1].getType());
    auto [_, left] = leftZeroPadding(conv.getInputs()[0], 2);
    return causal(filter.getDimSize(2),
                  conv.getStrides().getValues<int64_t>()[0],
                  conv.getDilations().getValues<int64_t>()[0], left);
  }
  // A 1-D convolution written as a linalg 2-D one with a unit spatial dim:
  // [N, H, W, C] x [F, KH, KW, C] or [KH, KW, C, F] (TensorFlow).
  auto conv2d = [&](Value input, int64_t kh, int64_t kw,
                    DenseIntElementsAttr strides,
                    DenseIntElementsAttr dilations) -> std::optional<int64_t> {
    if (kh != 1 && kw != 1)
      return std::nullopt;
    int64_t axis = kh == 1 ? 2 : 1; // the length axis of [N, H, W, C]
    auto [_, left] = leftZeroPadding(input, axis);
    return causal(axis == 2 ? kw : kh, strides.getValues<int64_t>()[axis - 1],
                  dilations.getValues<int64_t>()[axis - 1], left);
  };
  if (auto conv = value.getDefiningOp<linalg::Conv2DNhwcFhwcOp>()) {
    auto filter = cast<RankedTensorType>(conv.getInputs()[1].getType());
    return conv2d(conv.getInputs()[0], filter.getDimSize(1),
                  filter.getDimSize(2), conv.getStrides(), conv.getDilations());
  }
  if (auto conv = value.getDefiningOp<linalg::Conv2DNhwcHwcfOp>()) {
    auto filter = cast<RankedTensorType>(conv.getInputs()[1].getType());
    return conv2d(conv.getInputs()[0], filter.getDimSize(0),
                  filter.getDimSize(1), conv.getStrides(), conv.getDilations());
  }
  return std::nullopt;
}

/// Erases an op this pass built, and the empty tensor it used as init.
void eraseUnused(Operation *op) {
  SmallVector<Operation *> producers;
  for (Value operand : op->getOperands())
    if (Operation *producer = operand.getDefiningOp())
      producers.push_back(producer);
  op->erase();
  for (Operation *producer : producers)
    if (isa<tensor::EmptyOp>(producer) && producer->use_empty())
      producer->erase();
}

class Raiser {
public:
  explicit Raiser(OpBuilder &builder) : builder(builder) {}

  /// Matches the chain that ends in `pv`; std::nullopt if it is not one.
  std::optional<Chain> match(Operation *pv) {
    auto pvOperands = getMatmul(pv);
    if (!pvOperands || pvOperands->bTransposed)
      return std::nullopt;
    Chain chain;
    chain.root = pv;
    Value p = pvOperands->a;
    if (Value input = reshapeInput(p))
      p = input;
    bool tosa = isa<tosa::MatMulOp>(pv);
    Value x = tosa ? matchTosaSoftmax(p) : matchLinalgSoftmax(p);
    if (!x)
      return std::nullopt;
    chain.scores = cast<RankedTensorType>(x.getType());
    ArrayRef<int64_t> batch = chain.scores.getShape().drop_back(2);

    // Optional mask, then optional scale.
    Value s = x;
    if (tosa) {
      if (auto add = x.getDefiningOp<tosa::AddOp>()) {
        float ignored;
        // The scores side is the one that leads to the QK matmul.
        for (auto [a, b] : {std::pair(add.getInput1(), add.getInput2()),
                            std::pair(add.getInput2(), add.getInput1())})
          if (leadsToScores(a, tosa, ignored)) {
            s = a;
            chain.mask = b;
            break;
          }
        if (!chain.mask)
          return std::nullopt;
      }
      if (Value scaled = matchTosaScale(s, chain.scale))
        s = scaled;
    } else {
      if (auto add = x.getDefiningOp<linalg::GenericOp>()) {
        auto addf = dyn_cast_or_null<arith::AddFOp>(singleBodyOp(add));
        if (addf && isAllParallel(add) && add.getNumDpsInputs() == 2) {
          for (OpOperand *operand : add.getDpsInputOperands()) {
            float ignored;
            if (leadsToScores(operand->get(), tosa, ignored) &&
                add.getMatchingIndexingMap(operand).isIdentity()) {
              s = operand->get();
              chain.linalgMask = add.getDpsInputOperand(
                  operand->getOperandNumber() == 0 ? 1 : 0);
              break;
            }
          }
          if (!chain.linalgMask)
            return std::nullopt;
        }
      }
      if (Value scaled = matchLinalgScale(s, chain.scale))
        s = scaled;
    }

    // Q K^T.
    if (Value input = reshapeInput(s))
      s = input;
    Operation *qkOp = s.getDefiningOp();
    auto qk = qkOp ? getMatmul(qkOp) : std::nullopt;
    if (!qk)
      return std::nullopt;
    chain.query = inView(qk->a, batch);
    chain.key =
        qk->bTransposed ? kvInView(qk->b, batch) : untransposeKey(qk->b, batch);
    // K^T without a transpose to undo (a channels-first convolution's output
    // is K^T as it is): the op gets a transpose of it.
    if (!chain.key && !qk->bTransposed) {
      chain.keyTransposed = inView(qk->b, batch);
      chain.key = chain.keyTransposed;
    }
    chain.value = kvInView(pvOperands->b, batch);
    if (!chain.query || !chain.key || !chain.value)
      return std::nullopt;

    // The result in the softmax's view.
    chain.result = pv->getResult(0);
    if (chain.result.hasOneUse())
      if (Operation *user = *chain.result.getUsers().begin())
        if (user->getNumResults() == 1 &&
            isa<tosa::ReshapeOp, tensor::ExpandShapeOp>(user) &&
            inView(user->getResult(0), batch) == user->getResult(0))
          chain.result = user->getResult(0);
    return chain;
  }

  /// Builds the attention op of `chain`; false (and nothing changed) if its
  /// shapes do not make a valid op.
  bool rewrite(Chain &chain) {
    Operation *anchor = chain.result.getDefiningOp();
    builder.setInsertionPoint(anchor);
    Location loc = chain.root->getLoc();
    auto resultType = cast<RankedTensorType>(chain.result.getType());
    auto queryType = cast<RankedTensorType>(chain.query.getType());
    auto valueType = cast<RankedTensorType>(chain.value.getType());
    if (chain.keyTransposed) {
      auto ktType = cast<RankedTensorType>(chain.keyTransposed.getType());
      int64_t rank = ktType.getRank();
      SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
      std::swap(perm[rank - 2], perm[rank - 1]);
      SmallVector<int64_t> shape(ktType.getShape());
      std::swap(shape[rank - 2], shape[rank - 1]);
      auto keyType = RankedTensorType::get(shape, ktType.getElementType());
      if (isa<tosa::MatMulOp>(chain.root)) {
        chain.key = tosa::TransposeOp::create(
            builder, loc, keyType, chain.keyTransposed,
            builder.getDenseI32ArrayAttr(llvm::to_vector_of<int32_t>(perm)));
      } else {
        Value init = tensor::EmptyOp::create(builder, loc, shape,
                                             ktType.getElementType());
        chain.key = linalg::TransposeOp::create(builder, loc,
                                                chain.keyTransposed, init, perm)
                        ->getResult(0);
      }
    }
    SmallVector<int64_t> shape(queryType.getShape());
    shape.back() = valueType.getShape().back();
    auto type = RankedTensorType::get(shape, resultType.getElementType());

    if (chain.linalgMask) {
      auto add = cast<linalg::GenericOp>(chain.linalgMask->getOwner());
      chain.mask =
          maskInScoresRank(builder, add, chain.linalgMask, chain.scores);
      if (!chain.mask)
        return false;
    }
    Value mask = chain.mask;
    bool causal = false;
    std::optional<AttentionPattern> pattern;
    if (mask)
      classifyMask(chain, mask, causal, pattern);

    Operation *op;
    if (pattern)
      op = attn::SparseAttentionOp::create(
          builder, loc, type, chain.query, chain.key, chain.value,
          attn::getPatternAttr(builder.getContext(), *pattern),
          builder.getF32FloatAttr(chain.scale),
          attn::LayoutAttr::get(builder.getContext(), attn::Layout::bhld));
    else
      op = attn::AttentionOp::create(
          builder, loc, type, chain.query, chain.key, chain.value, mask,
          builder.getF32FloatAttr(chain.scale),
          causal ? builder.getUnitAttr() : UnitAttr(),
          attn::LayoutAttr::get(builder.getContext(), attn::Layout::bhld));

    // The shapes are the exporter's: check them quietly, the chain stays if
    // they do not make an attention.
    {
      ScopedDiagnosticHandler quiet(builder.getContext(),
                                    [](Diagnostic &) { return success(); });
      if (type != resultType || failed(mlir::verify(op))) {
        op->erase();
        if (chain.linalgMask && chain.mask.use_empty())
          chain.mask.getDefiningOp()->erase(); // our unit-dim expansion
        if (chain.keyTransposed)
          eraseUnused(chain.key.getDefiningOp()); // our transpose
        return false;
      }
    }
    chain.result.replaceAllUsesWith(op->getResult(0));
    markCausalConvolutions(absorbHeadTransposes(op));
    return true;
  }

  /// Convolutional self-attention (Li et al. 2019) builds Q and K with a
  /// causal 1-D convolution: kernel k, stride 1, (k-1) * dilation zeros on
  /// the left of the sequence and none on the right. When the query or key
  /// comes (through the exporter's reshapes and transposes) from such a
  /// convolution, the op records its kernel as `attn.query_conv` /
  /// `attn.key_conv`, for a lowering that computes it in the attention's
  /// prologue.
  void markCausalConvolutions(Operation *op) {
    for (auto [index, name] :
         {std::pair<unsigned, StringRef>{0, "attn.query_conv"},
          {1, "attn.key_conv"}})
      if (std::optional<int64_t> kernel =
              getCausalConvKernel(op->getOperand(index)))
        op->setAttr(name, builder.getI64IntegerAttr(*kernel));
  }

  /// Exporters move the heads in front of the length before attention and
  /// back after it ([B, L, H, D] -> [B, H, L, D] -> [B, L, H, D]). When the
  /// query, key and value all come from such a transpose and the result goes
  /// only to the inverse one, the op reads and writes the exporter's layout
  /// directly (`blhd`) and the transposes disappear.
  Operation *absorbHeadTransposes(Operation *op) {
    int64_t rank = cast<RankedTensorType>(op->getResult(0).getType()).getRank();
    if (rank < 4 || !op->getResult(0).hasOneUse())
      return op;
    SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(swap[rank - 3], swap[rank - 2]);
    SmallVector<Value> inputs;
    for (Value operand : op->getOperands().take_front(3)) {
      Value input;
      auto perm = getTranspose(operand, input);
      if (!perm || *perm != swap)
        return op;
      inputs.push_back(input);
    }
    Operation *user = *op->getResult(0).getUsers().begin();
    if (user->getNumResults() != 1)
      return op;
    Value ignored;
    auto userPerm = getTranspose(user->getResult(0), ignored);
    if (!userPerm || *userPerm != swap)
      return op;
    builder.setInsertionPoint(op);
    IRMapping mapping;
    for (auto [operand, input] : llvm::zip(op->getOperands(), inputs))
      mapping.map(operand, input);
    Operation *blhd = builder.clone(*op, mapping);
    blhd->getResult(0).setType(
        cast<RankedTensorType>(user->getResult(0).getType()));
    blhd->setAttr("layout", attn::LayoutAttr::get(builder.getContext(),
                                                  attn::Layout::blhd));
    user->getResult(0).replaceAllUsesWith(blhd->getResult(0));
    user->erase();
    op->erase();
    return blhd;
  }

private:
  /// Whether `v` is (a scale of) the reshaped QK matmul.
  bool leadsToScores(Value v, bool tosa, float &scale) {
    if (Value scaled =
            tosa ? matchTosaScale(v, scale) : matchLinalgScale(v, scale))
      v = scaled;
    if (Value input = reshapeInput(v))
      v = input;
    Operation *op = v.getDefiningOp();
    return op && getMatmul(op).has_value();
  }

  /// Turns a constant mask into `causal`, a sparse pattern, or nothing.
  void classifyMask(const Chain &chain, Value &mask, bool &causal,
                    std::optional<AttentionPattern> &pattern) {
    DenseElementsAttr attr = getConstant(mask);
    // Masks of dynamic or huge shapes stay masks (the classification holds
    // one bool per pair).
    if (!attr || !chain.scores.hasStaticShape() ||
        chain.scores.getNumElements() > (int64_t(1) << 28))
      return;
    auto type = cast<RankedTensorType>(attr.getType());
    int64_t rank = type.getRank();
    int64_t lq = chain.scores.getDimSize(rank - 2),
            lk = chain.scores.getDimSize(rank - 1);
    int64_t mq = type.getDimSize(rank - 2), mk = type.getDimSize(rank - 1);
    if (lq > lk || (mq != 1 && mq != lq) || (mk != 1 && mk != lk))
      return;
    // keep[i][j] of every [Lq, Lk] slice; the slices must agree.
    std::optional<std::vector<bool>> keep;
    bool isBool = type.getElementType().isInteger(1);
    std::vector<bool> slice(lq * lk);
    int64_t sliceSize = mq * mk, slices = type.getNumElements() / sliceSize;
    SmallVector<APFloat> floats;
    SmallVector<bool> bools;
    if (isBool)
      bools = llvm::to_vector(attr.getValues<bool>());
    else
      floats = llvm::to_vector(attr.getValues<APFloat>());
    for (int64_t s = 0; s < slices; ++s) {
      for (int64_t i = 0; i < lq; ++i)
        for (int64_t j = 0; j < lk; ++j) {
          int64_t index =
              s * sliceSize + (mq == 1 ? 0 : i) * mk + (mk == 1 ? 0 : j);
          if (isBool) {
            slice[i * lk + j] = bools[index];
            continue;
          }
          // Additive: 0 keeps a key, <= -1e4 (or -inf) removes it; anything
          // else weighs keys and is a general mask.
          float v = floats[index].convertToFloat();
          if (v == 0.0f)
            slice[i * lk + j] = true;
          else if (v <= -1e4f)
            slice[i * lk + j] = false;
          else
            return;
        }
      if (keep && *keep != slice)
        return;
      keep = slice;
    }
    if (!keep)
      return;
    if (llvm::all_of(*keep, [](bool k) { return k; })) {
      mask = Value();
      return;
    }
    if (isCausal(*keep, lq, lk)) {
      mask = Value();
      causal = true;
      return;
    }
    // A sparse pattern gives zeros for a row without keys; a mask does not
    // (uniform weights for -1e4, NaN for -inf): such masks stay masks.
    for (int64_t i = 0; i < lq; ++i)
      if (std::none_of(keep->begin() + i * lk, keep->begin() + (i + 1) * lk,
                       [](bool k) { return k; }))
        return;
    pattern = classifyKeepMatrix(*keep, lq, lk);
    if (pattern)
      mask = Value();
  }

  OpBuilder &builder;
};

struct RaiseAttentionPass final
    : sieve::impl::RaiseAttentionBase<RaiseAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (getMatmul(op))
        candidates.push_back(op);
    });
    OpBuilder builder(&getContext());
    Raiser raiser(builder);
    for (Operation *op : candidates) {
      std::optional<Chain> chain = raiser.match(op);
      if (!chain)
        continue;
      Operation *replaced = chain->result.getDefiningOp();
      if (raiser.rewrite(*chain))
        eraseDeadChain(replaced);
    }
  }

  /// Erases `op` and, transitively, the producers that only it used: the
  /// chain and the exporter's data movement that fed it.
  static void eraseDeadChain(Operation *op) {
    SmallVector<Operation *> worklist = {op};
    while (!worklist.empty()) {
      Operation *next = worklist.pop_back_val();
      bool removable =
          next->use_empty() &&
          (isMemoryEffectFree(next) ||
           (isa<linalg::LinalgOp>(next) &&
            cast<linalg::LinalgOp>(next).hasPureTensorSemantics()));
      if (!removable)
        continue;
      SetVector<Operation *> producers;
      for (Value operand : next->getOperands())
        if (Operation *producer = operand.getDefiningOp())
          producers.insert(producer);
      next->erase();
      for (Operation *producer : producers)
        if (!llvm::is_contained(worklist, producer))
          worklist.push_back(producer);
    }
  }
};

} // namespace
