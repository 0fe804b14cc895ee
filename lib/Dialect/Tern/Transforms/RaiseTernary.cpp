//===- RaiseTernary.cpp - Constant ternary matmuls to tern.matmul ---------===//
//
// Part of Sieve. Runs after lower-tosa, so that tosa.matmul (a batch_matmul
// of batch 1 by then) and linalg models look the same. Only exact rewrites by
// default: the weights must be ternary, bit for bit, possibly times a scale.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Tern/Transforms/Passes.h"

#include "sieve/Dialect/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <type_traits>

namespace sieve::tern {
#define GEN_PASS_DEF_RAISETERNARY
#include "sieve/Dialect/Tern/Transforms/Passes.h.inc"
} // namespace sieve::tern

using namespace mlir;
using namespace sieve;

namespace {

/// Ternary weights N x K (row-major) and their scale: one, or one per row.
struct Ternary {
  SmallVector<int8_t> weights;
  SmallVector<float> scale;
  /// |w - scale * t| / |w| over the tensor, when quantised.
  std::optional<double> error;
};

/// Whether `value` is a zero fill (or a zero constant): the accumulator of a
/// plain matmul.
bool isZeroInit(Value value) {
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat()) ||
           matchPattern(fill.getInputs()[0], m_Zero());
  return matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero());
}

/// Ternary weights from N x K integers (row n, column k); nullopt if any
/// is not -1, 0 or 1, or all are zero.
std::optional<Ternary> integerTernary(ArrayRef<int64_t> flat) {
  Ternary t;
  t.weights.reserve(flat.size());
  bool anyNonZero = false;
  for (int64_t w : flat) {
    if (w < -1 || w > 1)
      return std::nullopt;
    anyNonZero |= w != 0;
    t.weights.push_back(int8_t(w));
  }
  if (!anyNonZero)
    return std::nullopt;
  return t;
}

/// Ternary weights times a scale (per tensor or per row) from N x K floats.
std::optional<Ternary> floatTernary(ArrayRef<float> flat, int64_t numN,
                                    int64_t numK, bool quantize) {
  Ternary t;
  t.weights.resize(numN * numK);
  t.scale.assign(numN, 0.0f);
  bool exact = true;
  // Per channel: every non-zero weight of row n is +-scale[n], bit for bit.
  for (int64_t n = 0; n < numN && exact; ++n)
    for (int64_t k = 0; k < numK; ++k) {
      float w = flat[n * numK + k];
      if (w == 0.0f) {
        t.weights[n * numK + k] = 0;
        continue;
      }
      if (t.scale[n] == 0.0f)
        t.scale[n] = std::fabs(w);
      if (std::fabs(w) != t.scale[n] || std::isnan(w)) {
        exact = false;
        break;
      }
      t.weights[n * numK + k] = w > 0 ? 1 : -1;
    }
  if (exact) {
    float common = 0.0f;
    bool perTensor = true;
    for (float s : t.scale) {
      if (s == 0.0f)
        continue;
      if (common == 0.0f)
        common = s;
      perTensor &= s == common;
    }
    if (common == 0.0f)
      return std::nullopt; // all zero: nothing to gain, nothing to check
    // An all-zero channel takes any scale; give it the common one.
    for (float &s : t.scale)
      if (s == 0.0f)
        s = common;
    if (perTensor)
      t.scale.assign(1, common);
    return t;
  }
  if (!quantize)
    return std::nullopt;

  // BitNet b1.58's weight quantisation: scale = mean |w|, round(w / scale)
  // clamped to [-1, 1].
  double sumAbs = 0.0;
  for (float w : flat) {
    if (!std::isfinite(w))
      return std::nullopt;
    sumAbs += std::fabs(w);
  }
  float scale = float(sumAbs / flat.size());
  if (scale == 0.0f)
    return std::nullopt;
  double errSq = 0.0, normSq = 0.0;
  for (size_t i = 0; i < flat.size(); ++i) {
    float w = flat[i];
    float q = std::min(1.0f, std::max(-1.0f, std::nearbyint(w / scale)));
    t.weights[i] = int8_t(q);
    errSq += double(w - q * scale) * (w - q * scale);
    normSq += double(w) * w;
  }
  t.scale.assign(1, scale);
  t.error = normSq > 0 ? std::sqrt(errSq / normSq) : 0.0;
  return t;
}

//===----------------------------------------------------------------------===//
// Contractions: out[t..., n] = sum_k x[t..., k] * w[k, n]
//===----------------------------------------------------------------------===//
//
// A linear layer on [M, K] or [B, T, K] activations, as exporters write it:
// linalg.matmul, linalg.batch_matmul (tosa.matmul) whose weights are the same
// for every batch (a replicated constant or a broadcast of one), or a
// linalg.generic contraction. The leading loops of the output are the tokens
// (M = their product); the activations must be read [tokens..., k] in the
// same order, so that collapsing them to [M, K] keeps each token's row.

struct Contraction {
  unsigned loopK, loopN;
  int64_t numM = 1, numN, numK;
};

/// The body adds x * w to the accumulator: mulf/addf, or (integer) the
/// sign-extended inputs' muli/addi (linalg.matmul's default cast; an
/// unsigned one would read the weight -1 as 255).
bool isMultiplyAccumulate(linalg::LinalgOp op, bool integer) {
  Block *body = op.getBlock();
  Value acc = body->getArgument(2);
  Operation *add = body->getTerminator()->getOperand(0).getDefiningOp();
  if (!add || (integer ? !isa<arith::AddIOp>(add) : !isa<arith::AddFOp>(add)))
    return false;
  Value product = add->getOperand(0) == acc   ? add->getOperand(1)
                  : add->getOperand(1) == acc ? add->getOperand(0)
                                              : Value();
  Operation *mul = product ? product.getDefiningOp() : nullptr;
  if (!mul || (integer ? !isa<arith::MulIOp>(mul) : !isa<arith::MulFOp>(mul)))
    return false;
  auto input = [&](Value v) -> Value {
    if (!integer)
      return v;
    auto ext = v.getDefiningOp<arith::ExtSIOp>();
    return ext ? ext.getIn() : Value();
  };
  Value a = input(mul->getOperand(0)), b = input(mul->getOperand(1));
  Value x = body->getArgument(0), w = body->getArgument(1);
  return (a == x && b == w) || (a == w && b == x);
}

std::optional<Contraction> matchContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 || !op.hasPureTensorSemantics())
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap x = maps[0], out = maps[2];
  unsigned r = out.getNumResults() - 1; // token loops
  if (!x.isProjectedPermutation() || !out.isProjectedPermutation() ||
      out.getNumResults() < 2 || x.getNumResults() != r + 1 ||
      op.getNumLoops() != r + 2 || !maps[1].isProjectedPermutation())
    return std::nullopt;
  for (unsigned i = 0; i < r; ++i)
    if (x.getResult(i) != out.getResult(i))
      return std::nullopt;
  Contraction c;
  c.loopN = out.getDimPosition(r);
  c.loopK = x.getDimPosition(r);
  if (c.loopK == c.loopN ||
      op.getIteratorTypesArray()[c.loopK] != utils::IteratorType::reduction)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (int64_t size : ranges)
    if (ShapedType::isDynamic(size))
      return std::nullopt;
  for (unsigned i = 0; i < r; ++i)
    c.numM *= ranges[out.getDimPosition(i)];
  c.numN = ranges[c.loopN];
  c.numK = ranges[c.loopK];
  if (c.numM == 0 || c.numN == 0 || c.numK == 0)
    return std::nullopt;
  return c;
}

bool sameBits(int64_t a, int64_t b) { return a == b; }
bool sameBits(float a, float b) {
  return llvm::bit_cast<uint32_t>(a) == llvm::bit_cast<uint32_t>(b);
}

/// The elements of `v`, row-major, if it is a constant, a broadcast of one
/// (linalg.broadcast, or a generic that yields its input: what tosa.tile
/// lowers to) or a reshape of these. Bounded, since a broadcast is expanded.
template <typename T> std::optional<SmallVector<T>> constantElements(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() > (1 << 26))
    return std::nullopt;
  ElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr))) {
    SmallVector<T> out;
    out.reserve(type.getNumElements());
    if constexpr (std::is_same_v<T, float>) {
      auto values = attr.tryGetValues<APFloat>();
      if (!values || !type.getElementType().isF32())
        return std::nullopt;
      for (const APFloat &x : *values)
        out.push_back(x.convertToFloat());
    } else {
      auto values = attr.tryGetValues<APInt>();
      if (!values)
        return std::nullopt;
      for (const APInt &x : *values)
        out.push_back(x.getSExtValue());
    }
    return out;
  }
  if (auto e = v.getDefiningOp<tensor::ExpandShapeOp>())
    return constantElements<T>(e.getSrc());
  if (auto c = v.getDefiningOp<tensor::CollapseShapeOp>())
    return constantElements<T>(c.getSrc());
  auto bc = v.getDefiningOp<linalg::LinalgOp>();
  if (!bc || bc.getNumDpsInputs() != 1 || bc.getNumDpsInits() != 1 ||
      bc.getNumParallelLoops() != bc.getNumLoops() ||
      !bc.getMatchingIndexingMap(bc.getDpsInitOperand(0)).isIdentity() ||
      bc.getBlock()->getTerminator()->getOperand(0) !=
          bc.getBlock()->getArgument(0))
    return std::nullopt;
  OpOperand *in = bc.getDpsInputOperand(0);
  auto inType = dyn_cast<RankedTensorType>(in->get().getType());
  std::optional<SmallVector<T>> src = constantElements<T>(in->get());
  if (!inType || !src)
    return std::nullopt;
  AffineMap map = bc.getMatchingIndexingMap(in);
  ArrayRef<int64_t> shape = type.getShape(), inShape = inType.getShape();
  SmallVector<T> out;
  out.reserve(type.getNumElements());
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    int64_t at = 0;
    for (unsigned r = 0; r < map.getNumResults(); ++r) {
      int64_t x;
      if (auto d = dyn_cast<AffineDimExpr>(map.getResult(r)))
        x = index[d.getPosition()];
      else if (auto c = dyn_cast<AffineConstantExpr>(map.getResult(r)))
        x = c.getValue();
      else
        return std::nullopt;
      if (x < 0 || x >= inShape[r])
        return std::nullopt;
      at = at * inShape[r] + x;
    }
    out.push_back((*src)[at]);
    for (int64_t a = int64_t(shape.size()) - 1; a >= 0; --a) {
      if (++index[a] < shape[a])
        break;
      index[a] = 0;
    }
  }
  return out;
}

/// The weights as N x K values, read by the contraction through `map` from
/// constant elements (constantElements). Axes other than k and n are tokens
/// (batches) the weights must not vary along; nullopt if they do.
template <typename T>
std::optional<SmallVector<T>> weightMatrix(Value w, AffineMap map,
                                           const Contraction &c) {
  SmallVector<int64_t> axisLoop; // per axis of w: the loop reading it
  for (unsigned i = 0; i < map.getNumResults(); ++i)
    axisLoop.push_back(map.getDimPosition(i));
  auto type = cast<RankedTensorType>(w.getType());
  if (!type.hasStaticShape() || llvm::count(axisLoop, int64_t(c.loopK)) != 1 ||
      llvm::count(axisLoop, int64_t(c.loopN)) != 1)
    return std::nullopt;
  std::optional<SmallVector<T>> elements = constantElements<T>(w);
  if (!elements)
    return std::nullopt;
  SmallVector<T> &all = *elements;
  // Where (n, k) is first read; every other batch must hold the same bits.
  SmallVector<int64_t> first(c.numN * c.numK, -1);
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0, e = all.size(); i < e; ++i) {
    int64_t n = 0, k = 0;
    for (size_t a = 0; a < shape.size(); ++a) {
      if (axisLoop[a] == int64_t(c.loopN))
        n = index[a];
      else if (axisLoop[a] == int64_t(c.loopK))
        k = index[a];
    }
    int64_t &at = first[n * c.numK + k];
    if (at < 0)
      at = i;
    else if (!sameBits(all[at], all[i]))
      return std::nullopt; // batched weights that differ per batch
    for (int64_t a = int64_t(shape.size()) - 1; a >= 0; --a) {
      if (++index[a] < shape[a])
        break;
      index[a] = 0;
    }
  }
  SmallVector<T> out;
  out.reserve(first.size());
  for (int64_t at : first)
    out.push_back(all[at]);
  return out;
}

//===----------------------------------------------------------------------===//
// BitNet's activation quantisation in f32, as exporters write it
//===----------------------------------------------------------------------===//
//
// BitLinear computes, per token (row m of x; x may be [M, K] or [B, T, K]):
//   s[m] = 127 / max(max_k |x[m, k]|, 1e-5)      q = clamp(roundeven(x * s))
// or with the step d[m] = max(max_k |x[m, k]|, 1e-5) / 127, q =
// clamp(roundeven(x / d)), clamped to [-128, 127], and then either
// matmul(q / s, W) or matmul(q * d, W) (fake quantisation) or matmul(q, W)
// / s or * d. Exporters spread this over linalg ops: a reduction for the
// absolute maximum and elementwise linalg.generics, fused or one per scalar
// op, with reshapes between [B, T, K] and [B * T, K]. The matcher below
// reads such a chain as one expression tree, looking through elementwise
// producers and reshapes that keep each token's row, and accepts it only if
// it computes exactly what tern.quantize_absmax computes (round half to
// even, the 1e-5 floor, the [-128, 127] clamp, the product or the division
// as written), so the rewrite changes only the order of the float
// operations of the matmul and the dequantisation.

/// A scalar of an elementwise chain: an op in the body of some linalg op, a
/// constant, or an element of a tensor the chain reads (its leaf).
struct Scalar {
  Operation *op = nullptr;
  std::optional<double> constant;
  Value leaf;
  /// Reached through a row broadcast ((t..., k) -> (t...) or (t..., 0)):
  /// the value depends on the token only.
  bool perRow = false;
  explicit operator bool() const { return op || constant || leaf; }
};

/// Whether `op` computes its one result element by element from its inputs.
bool isElementwise(linalg::GenericOp op) {
  return op.getNumDpsInits() == 1 &&
         op.getNumParallelLoops() == op.getNumLoops() &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() &&
         !op.payloadUsesValueFromOperand(op.getDpsInitOperand(0));
}

/// (t..., k) -> (t...) or (t..., 0): the leading loops in order.
bool isRowMap(AffineMap map) {
  unsigned tokens = map.getNumDims() - 1;
  if (map.getNumDims() < 2 || map.getNumResults() < tokens ||
      map.getNumResults() > tokens + 1)
    return false;
  for (unsigned i = 0; i < tokens; ++i)
    if (map.getResult(i) != getAffineDimExpr(i, map.getContext()))
      return false;
  if (map.getNumResults() == tokens)
    return true;
  auto c = dyn_cast<AffineConstantExpr>(map.getResult(tokens));
  return c && c.getValue() == 0;
}

/// The source of a reshape that keeps every token's row: any reshape of a
/// per-token tensor (its elements are the tokens in order), or one that
/// keeps the last dimension ([B, T, K] <-> [B * T, K]); null otherwise.
Value rowReshapeSource(Value tensor, bool perRow) {
  auto keeps = [&](ArrayRef<ReassociationIndices> groups) {
    return perRow || groups.back().size() == 1;
  };
  if (auto e = tensor.getDefiningOp<tensor::ExpandShapeOp>())
    return keeps(e.getReassociationIndices()) ? e.getSrc() : Value();
  if (auto c = tensor.getDefiningOp<tensor::CollapseShapeOp>())
    return keeps(c.getReassociationIndices()) ? c.getSrc() : Value();
  return {};
}

/// `tensor` without the row-keeping reshapes that produce it.
Value stripReshapes(Value tensor, bool perRow = false) {
  while (Value src = rowReshapeSource(tensor, perRow))
    tensor = src;
  return tensor;
}

Scalar follow(Value v, bool perRow, Value stopAt);

/// Element of `tensor` read through `map` by `consumer`.
Scalar followTensor(Value tensor, AffineMap map, linalg::LinalgOp consumer,
                    bool perRow, Value stopAt) {
  Scalar s;
  DenseElementsAttr splat;
  if (matchPattern(tensor, m_Constant(&splat)) && splat.isSplat() &&
      isa<FloatType>(splat.getElementType())) {
    s.constant = splat.getSplatValue<APFloat>().convertToDouble();
    return s;
  }
  if (!map.isIdentity()) {
    // A row broadcast, from a [tokens..., K] domain only (inside a
    // per-token generic, a projection would broadcast across tokens).
    if (perRow || consumer.getNumLoops() < 2 || !isRowMap(map))
      return {};
    perRow = true;
  }
  s.perRow = perRow;
  while (tensor != stopAt)
    if (Value src = rowReshapeSource(tensor, perRow))
      tensor = src;
    else
      break;
  auto producer = tensor.getDefiningOp<linalg::GenericOp>();
  if (tensor != stopAt && producer && isElementwise(producer))
    return follow(producer.getBody()->getTerminator()->getOperand(0), perRow,
                  stopAt);
  s.leaf = tensor;
  return s;
}

/// The scalar `v` of a linalg body, through block arguments and elementwise
/// producers (never past `stopAt`).
Scalar follow(Value v, bool perRow, Value stopAt) {
  Scalar s;
  s.perRow = perRow;
  FloatAttr attr;
  if (matchPattern(v, m_Constant(&attr))) {
    s.constant = attr.getValueAsDouble();
    return s;
  }
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto owner =
        dyn_cast_or_null<linalg::LinalgOp>(arg.getOwner()->getParentOp());
    if (!owner || arg.getArgNumber() >= owner.getNumDpsInputs())
      return {};
    OpOperand *operand = owner.getDpsInputOperand(arg.getArgNumber());
    return followTensor(operand->get(), owner.getMatchingIndexingMap(operand),
                        owner, perRow, stopAt);
  }
  Operation *def = v.getDefiningOp();
  if (!def || !isa_and_nonnull<linalg::LinalgOp>(def->getParentOp()))
    return {};
  s.op = def;
  return s;
}

Scalar operandOf(const Scalar &s, unsigned i, Value stopAt) {
  return follow(s.op->getOperand(i), s.perRow, stopAt);
}

bool isConstant(const Scalar &s, float value) {
  return s.constant && float(*s.constant) == value;
}

/// max(a, b) (`isMax`) or min(a, b) in any spelling: maximumf/maxnumf
/// (minimumf/minnumf) or a select of a comparison. Operands in op order.
bool matchMinMax(const Scalar &s, bool isMax, Value &a, Value &b) {
  if (!s.op)
    return false;
  if ((isMax && isa<arith::MaximumFOp, arith::MaxNumFOp>(s.op)) ||
      (!isMax && isa<arith::MinimumFOp, arith::MinNumFOp>(s.op))) {
    a = s.op->getOperand(0);
    b = s.op->getOperand(1);
    return true;
  }
  auto select = dyn_cast<arith::SelectOp>(s.op);
  if (!select)
    return false;
  auto cmp = select.getCondition().getDefiningOp<arith::CmpFOp>();
  if (!cmp)
    return false;
  using P = arith::CmpFPredicate;
  P pred = cmp.getPredicate();
  bool greater =
      pred == P::OGT || pred == P::OGE || pred == P::UGT || pred == P::UGE;
  bool less =
      pred == P::OLT || pred == P::OLE || pred == P::ULT || pred == P::ULE;
  Value l = cmp.getLhs(), r = cmp.getRhs();
  Value t = select.getTrueValue(), f = select.getFalseValue();
  // select(l > r, l, r) is max(l, r); select(l < r, l, r) is min(l, r).
  bool pickLarger;
  if (t == l && f == r)
    pickLarger = greater;
  else if (t == r && f == l)
    pickLarger = less;
  else
    return false;
  if (!greater && !less)
    return false;
  if (pickLarger != isMax)
    return false;
  a = l;
  b = r;
  return true;
}

/// `s` is op `OpTy`; its operands, followed.
template <typename OpTy>
bool matchBinary(const Scalar &s, Scalar &a, Scalar &b, Value stopAt) {
  if (!s.op || !isa<OpTy>(s.op))
    return false;
  a = operandOf(s, 0, stopAt);
  b = operandOf(s, 1, stopAt);
  return a && b;
}

/// How the per-token scale is written.
enum class ScaleForm {
  Inverse, ///< s = 127 / max(amax, 1e-5); q = x * s
  Step,    ///< d = max(amax, 1e-5) / 127; q = x / d
};

/// What BitNet's quantisation of one layer's input reads.
struct AbsmaxQuant {
  Value input;  ///< x, [tokens..., K] f32
  Value absMax; ///< the reduction max_k |x[t..., k]|
  ScaleForm form;
};

/// A BitNet layer around a matmul: the quantisation, the op whose result
/// becomes tern.matmul's, and a constant the dequantisation multiplies by.
struct BitNetMatch {
  AbsmaxQuant quant;
  Operation *replaced;
  float weightScale = 1.0f;
};

/// The matcher, which also keeps why the closest candidate failed: a layer
/// whose input is rounded and clamped but not exactly as BitNet does stays
/// float, and the user is told why.
class BitNetMatcher {
public:
  std::optional<BitNetMatch> match(linalg::LinalgOp op, Value input);
  /// The reason of the deepest failure, when the input was rounded.
  std::optional<std::string> nearMiss() const {
    if (!sawRounding)
      return std::nullopt;
    if (reason.empty())
      return std::string("the rounded activations are not scaled by 127 / "
                         "max(max_k |x|, 1e-5) or divided by max(...) / 127");
    return reason;
  }

private:
  void miss(int stage, const Twine &why) {
    if (stage > bestStage) {
      bestStage = stage;
      reason = why.str();
    }
  }
  Value matchAbsMax(Value amax);
  Value matchScale(const Scalar &s, ScaleForm form);
  std::optional<AbsmaxQuant> matchQuantized(const Scalar &q);

  /// A product of factors to the power +-1: constants (folded into c), a
  /// base (the quantised activations, or the accumulator), per-token scales.
  struct Product {
    double c = 1.0;
    int bases = 0, baseSign = 0, inverse = 0, step = 0, scales = 0;
    std::optional<AbsmaxQuant> quant;
    Value absMax;
    bool ok = true;
  };
  void product(const Scalar &s, int sign, Value acc, Product &p, int depth);

  int bestStage = -1;
  std::string reason;
  bool sawRounding = false;
};

/// The reduction max_k |x[t..., k]| (linalg.generic or linalg.reduce, from
/// 0 or -inf, over the last dimension): its input x.
Value BitNetMatcher::matchAbsMax(Value amax) {
  auto red = amax.getDefiningOp<linalg::LinalgOp>();
  if (!red || red.getNumDpsInputs() != 1 || red.getNumDpsInits() != 1 ||
      red.getNumLoops() < 2 || red.getNumReductionLoops() != 1 ||
      red.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return {};
  OpOperand *in = red.getDpsInputOperand(0);
  OpOperand *init = red.getDpsInitOperand(0);
  if (!red.getMatchingIndexingMap(in).isIdentity() ||
      !isRowMap(red.getMatchingIndexingMap(init)))
    return {};
  // From 0 (|x| >= 0) or -inf.
  Value start = init->get();
  auto fill = start.getDefiningOp<linalg::FillOp>();
  Value fillValue = fill ? fill.getInputs()[0] : start;
  FloatAttr scalar;
  DenseElementsAttr splat;
  APFloat first(0.0f);
  if (matchPattern(fillValue, m_Constant(&scalar)))
    first = scalar.getValue();
  else if (matchPattern(fillValue, m_Constant(&splat)) && splat.isSplat() &&
           isa<FloatType>(splat.getElementType()))
    first = splat.getSplatValue<APFloat>();
  else
    return {};
  if (!first.isZero() && !(first.isInfinity() && first.isNegative())) {
    miss(5, "the per-token maximum does not start at 0 or -inf");
    return {};
  }
  Block *body = red.getBlock();
  Value yielded = body->getTerminator()->getOperand(0);
  Value a, b;
  Scalar y;
  y.op = yielded.getDefiningOp();
  if (!y.op || y.op->getBlock() != body || !matchMinMax(y, true, a, b)) {
    miss(5, "the per-token reduction is not a maximum (BitNet takes max_k "
            "|x|)");
    return {};
  }
  Value inArg = body->getArgument(0), accArg = body->getArgument(1);
  for (auto [abs, acc] : {std::pair{a, b}, std::pair{b, a}}) {
    if (acc != accArg)
      continue;
    auto absOp = abs.getDefiningOp<math::AbsFOp>();
    if (absOp && absOp.getOperand() == inArg)
      return in->get();
    // Unfused: the maximum of a tensor |x| computed by its own generic.
    auto absGeneric = in->get().getDefiningOp<linalg::GenericOp>();
    if (abs != inArg || !absGeneric || !isElementwise(absGeneric))
      continue;
    absOp = absGeneric.getBody()
                ->getTerminator()
                ->getOperand(0)
                .getDefiningOp<math::AbsFOp>();
    auto x = absOp ? dyn_cast<BlockArgument>(absOp.getOperand()) : nullptr;
    if (!x || x.getOwner() != absGeneric.getBody() ||
        x.getArgNumber() >= absGeneric.getNumDpsInputs())
      continue;
    OpOperand *xOperand = absGeneric.getDpsInputOperand(x.getArgNumber());
    if (absGeneric.getMatchingIndexingMap(xOperand).isIdentity())
      return xOperand->get();
  }
  miss(5, "the per-token maximum is not taken of |x| (BitNet takes max_k "
          "|x|)");
  return {};
}

/// s = 127 / max(amax, 1e-5) (Inverse) or d = max(amax, 1e-5) / 127 (Step):
/// the reduction amax.
Value BitNetMatcher::matchScale(const Scalar &s, ScaleForm form) {
  Scalar num, den;
  if (!matchBinary<arith::DivFOp>(s, num, den, {}))
    return {};
  bool inverse = form == ScaleForm::Inverse;
  const Scalar &c = inverse ? num : den, &floor = inverse ? den : num;
  Value a, b;
  if (!matchMinMax(floor, true, a, b))
    return {};
  for (auto [v, e] : {std::pair{a, b}, std::pair{b, a}}) {
    Scalar amax = follow(v, floor.perRow, {}),
           eps = follow(e, floor.perRow, {});
    if (!amax.leaf || !amax.perRow || !eps.constant)
      continue;
    // From here on it is a per-token scale; say what is off.
    Value x = matchAbsMax(amax.leaf);
    if (!x)
      continue;
    if (!isConstant(eps, 1e-5f)) {
      miss(4, "the scale's floor is " +
                  llvm::formatv("{0:e}", *eps.constant).str() + ", not 1e-5");
      continue;
    }
    if (!isConstant(c, 127.0f)) {
      miss(4, "the per-token scale is not 127 / max(...) or max(...) / 127");
      continue;
    }
    return amax.leaf;
  }
  return {};
}

/// q = clamp(roundeven(x * s), -128, 127) or clamp(roundeven(x / d), ...)
/// (the clamp and the rounding in either order).
std::optional<AbsmaxQuant> BitNetMatcher::matchQuantized(const Scalar &q) {
  // Peel the clamp and the rounding, in either order.
  Scalar v = q;
  bool rounded = false, low = false, high = false;
  for (int step = 0; step < 3; ++step) {
    Value a, b;
    if (!rounded && v.op && isa<math::RoundEvenOp>(v.op)) {
      rounded = sawRounding = true;
      v = operandOf(v, 0, {});
      continue;
    }
    if (!rounded && v.op &&
        isa<math::RoundOp, math::FloorOp, math::CeilOp, math::TruncOp>(v.op)) {
      sawRounding = true;
      miss(1, "the activations are rounded by '" +
                  v.op->getName().getStringRef() +
                  "', not half to even (math.roundeven)");
      return std::nullopt;
    }
    bool isMax = !low && matchMinMax(v, true, a, b);
    bool isMin = !isMax && !high && matchMinMax(v, false, a, b);
    if (!isMax && !isMin)
      break;
    float bound = isMax ? -128.0f : 127.0f;
    Scalar x = follow(a, v.perRow, {}), c = follow(b, v.perRow, {});
    if (!c.constant)
      std::swap(x, c);
    if (!isConstant(c, bound)) {
      if (c.constant) {
        sawRounding = true; // a clamp to constants: quantisation too
        miss(2, "the activations are clamped at " +
                    llvm::formatv("{0:f1}", *c.constant).str() +
                    ", not to [-128, 127]");
      }
      return std::nullopt;
    }
    (isMax ? low : high) = true;
    v = x;
  }
  if (!rounded)
    return std::nullopt;
  if (!low || !high) {
    miss(2, "the rounded activations are not clamped to [-128, 127]");
    return std::nullopt;
  }
  // x * s or x / d, with x read element by element.
  Scalar l, r;
  bool isMul = matchBinary<arith::MulFOp>(v, l, r, {});
  bool isDiv = !isMul && matchBinary<arith::DivFOp>(v, l, r, {});
  for (unsigned i = 0; i < 2 && (isMul || isDiv); ++i) {
    if (isDiv && i == 1)
      break; // x / d only
    unsigned xi = isDiv ? 0 : i;
    Scalar scale = operandOf(v, 1 - xi, {});
    ScaleForm form = isMul ? ScaleForm::Inverse : ScaleForm::Step;
    Value absMax = matchScale(scale, form);
    if (!absMax) {
      // The other form's scale in the wrong operation.
      ScaleForm other = isMul ? ScaleForm::Step : ScaleForm::Inverse;
      if (matchScale(scale, other))
        miss(3, isMul ? "the activations are multiplied by max(...) / 127 "
                        "(BitNet divides by it)"
                      : "the activations are divided by 127 / max(...) "
                        "(BitNet multiplies by it)");
      continue;
    }
    Value input = stripReshapes(matchAbsMax(absMax));
    Scalar x = operandOf(v, xi, input);
    if (x.leaf && x.leaf == input && !x.perRow)
      return AbsmaxQuant{input, absMax, form};
    miss(6, "the per-token maximum is taken over another tensor than the "
            "one quantised");
  }
  return std::nullopt;
}

void BitNetMatcher::product(const Scalar &s, int sign, Value acc, Product &p,
                            int depth) {
  if (!p.ok)
    return;
  if (!s || depth > 8) {
    p.ok = false;
    return;
  }
  auto base = [&] {
    ++p.bases;
    p.baseSign = sign;
  };
  auto scale = [&](Value absMax, int &exponent) {
    if (p.absMax && p.absMax != absMax)
      p.ok = false;
    p.absMax = absMax;
    ++p.scales;
    exponent += sign;
  };
  if (s.constant) {
    if (*s.constant == 0.0 || !std::isfinite(*s.constant))
      p.ok = false;
    else
      p.c = sign > 0 ? p.c * *s.constant : p.c / *s.constant;
    return;
  }
  if (acc) {
    if (s.leaf == acc && !s.perRow)
      return base();
  } else if (std::optional<AbsmaxQuant> q = matchQuantized(s)) {
    if (p.quant && p.quant->absMax != q->absMax)
      p.ok = false;
    p.quant = q;
    return base();
  }
  if (Value amax = matchScale(s, ScaleForm::Inverse))
    return scale(amax, p.inverse);
  if (Value amax = matchScale(s, ScaleForm::Step))
    return scale(amax, p.step);
  Scalar l, r;
  if (matchBinary<arith::MulFOp>(s, l, r, {})) {
    product(l, sign, acc, p, depth + 1);
    product(r, sign, acc, p, depth + 1);
    return;
  }
  if (matchBinary<arith::DivFOp>(s, l, r, {})) {
    product(l, sign, acc, p, depth + 1);
    product(r, -sign, acc, p, depth + 1);
    return;
  }
  p.ok = false;
}

/// The value of `tensor`'s elements as a Scalar (through its elementwise
/// producers).
Scalar elementOf(Value tensor) {
  auto producer = tensor.getDefiningOp<linalg::GenericOp>();
  if (!producer || !isElementwise(producer))
    return {};
  return follow(producer.getBody()->getTerminator()->getOperand(0), false, {});
}

/// matmul(q / s, W) or matmul(q * d, W) with q, s (d) BitNet's quantisation
/// of x (the matmul is replaced), or matmul(q, W) followed by an elementwise
/// acc / s or acc * d, times or divided by constants (that op is replaced).
std::optional<BitNetMatch> BitNetMatcher::match(linalg::LinalgOp op,
                                                Value input) {
  Scalar root = elementOf(stripReshapes(input));
  if (!root)
    return std::nullopt;
  Product in;
  product(root, 1, {}, in, 0);
  if (!in.ok || in.bases != 1 || in.baseSign != 1 || !in.quant)
    return std::nullopt;
  // One factor 1 / s or d, with s (d) from the same maximum as q's.
  auto dequantises = [&](const Product &p, Value absMax) {
    if (p.scales == 0)
      return false;
    if (p.scales == 1 && p.absMax == absMax &&
        ((p.inverse == -1 && p.step == 0) || (p.inverse == 0 && p.step == 1)))
      return true;
    miss(7, p.absMax != absMax
                ? "the dequantisation's scale is another token scale"
                : "the dequantisation multiplies by 127 / max(...) or "
                  "divides by max(...) / 127 (BitNet divides by the first, "
                  "multiplies by the second)");
    return false;
  };
  if (in.scales)
    return dequantises(in, in.quant->absMax)
               ? std::optional(BitNetMatch{*in.quant, op, float(in.c)})
               : std::nullopt;

  // matmul(q * c, W) dequantised after it, through row-keeping reshapes.
  Value acc = op->getResult(0);
  SmallVector<Operation *> users(acc.getUsers());
  for (size_t i = 0; i < users.size(); ++i) {
    Operation *user = users[i];
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user) &&
        rowReshapeSource(user->getResult(0), false) == acc) {
      users.append(user->getResult(0).user_begin(),
                   user->getResult(0).user_end());
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || !isElementwise(generic))
      continue;
    Product out;
    product(elementOf(generic.getResult(0)), 1, acc, out, 0);
    if (!out.ok || out.bases != 1 || out.baseSign != 1)
      continue;
    if (!out.scales) {
      miss(7, "the matmul of the quantised activations is not dequantised "
              "by the per-token scale");
      continue;
    }
    if (dequantises(out, in.quant->absMax))
      return BitNetMatch{*in.quant, generic, float(in.c * out.c)};
  }
  return std::nullopt;
}

/// `value` reshaped between [M, X] and [tokens..., X] (M their product):
/// its leading dims split into `type`'s, or merged.
Value reshapeRows(OpBuilder &builder, Location loc, Value value,
                  RankedTensorType type) {
  auto from = cast<RankedTensorType>(value.getType());
  if (from == type)
    return value;
  int64_t rank = std::max(from.getRank(), type.getRank());
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t i = 0; i + 1 < rank; ++i)
    groups[0].push_back(i);
  groups.push_back({rank - 1});
  if (type.getRank() > from.getRank())
    return tensor::ExpandShapeOp::create(builder, loc, type, value, groups);
  return tensor::CollapseShapeOp::create(builder, loc, type, value, groups);
}

/// `value`, [tokens..., X], as [M, X].
Value collapseRows(OpBuilder &builder, Location loc, Value value, int64_t m) {
  auto type = cast<RankedTensorType>(value.getType());
  return reshapeRows(builder, loc, value,
                     RankedTensorType::get({m, type.getShape().back()},
                                           type.getElementType()));
}

/// Whether `type` is [tokens..., x] with M tokens.
bool hasRows(Type type, int64_t m, int64_t x) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape() || t.getRank() < 1 || t.getShape().back() != x)
    return false;
  int64_t rows = 1;
  for (int64_t d : t.getShape().drop_back())
    rows *= d;
  return rows == m;
}

struct RaiseTernaryPass final
    : sieve::tern::impl::RaiseTernaryBase<RaiseTernaryPass> {
  using Base::Base;

  void runOnOperation() override {
    erased.clear();
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::GenericOp>(
              op.getOperation()))
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates)
      if (!erased.contains(op))
        raise(op);
  }

  /// Candidates a raise erased before their turn (a BitNet layer's
  /// dequantisation is a linalg.generic too).
  llvm::SmallPtrSet<Operation *, 8> erased;

  void raise(linalg::LinalgOp op) {
    std::optional<Contraction> c = matchContraction(op);
    if (!c)
      return;
    Value input = op.getDpsInputs()[0], init = op.getDpsInits()[0];
    if (!isZeroInit(init))
      return;
    auto inType = cast<RankedTensorType>(input.getType());
    auto wType = cast<RankedTensorType>(op.getDpsInputs()[1].getType());
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    Type inElt = inType.getElementType(), wElt = wType.getElementType(),
         outElt = outType.getElementType();
    bool integer =
        inElt.isInteger(8) && wElt.isInteger(8) && outElt.isInteger(32);
    bool real = inElt.isF32() && wElt.isF32() && outElt.isF32();
    if ((!integer && !real) || !isMultiplyAccumulate(op, integer) ||
        !hasRows(inType, c->numM, c->numK) ||
        !hasRows(outType, c->numM, c->numN))
      return;
    Value w = op.getDpsInputs()[1];
    AffineMap wMap = op.getIndexingMapsArray()[1];
    std::optional<Ternary> ternary;
    if (integer) {
      if (auto values = weightMatrix<int64_t>(w, wMap, *c))
        ternary = integerTernary(*values);
    } else if (auto values = weightMatrix<float>(w, wMap, *c)) {
      ternary = floatTernary(*values, c->numN, c->numK, quantize);
    }
    if (!ternary)
      return;

    // BitNet's quantise-matmul-dequantise in f32: the matmul of int8
    // activations with their per-token scale, replacing the matmul or the
    // dequantisation after it.
    Operation *replaced = op;
    Value inputScale;
    SmallVector<float> scale = ternary->scale;
    Location loc = op.getLoc();
    if (real) {
      BitNetMatcher matcher;
      std::optional<BitNetMatch> bitnet = matcher.match(op, input);
      if (bitnet &&
          (!hasRows(bitnet->quant.input.getType(), c->numM, c->numK) ||
           !hasRows(bitnet->replaced->getResult(0).getType(), c->numM,
                    c->numN)))
        bitnet.reset();
      if (bitnet) {
        replaced = bitnet->replaced;
        for (float &s : scale)
          s *= bitnet->weightScale;
        OpBuilder qb(replaced);
        auto quant = tern::QuantizeAbsmaxOp::create(
            qb, loc, RankedTensorType::get({c->numM, c->numK}, qb.getI8Type()),
            RankedTensorType::get({c->numM}, qb.getF32Type()),
            collapseRows(qb, loc, bitnet->quant.input, c->numM),
            bitnet->quant.form == ScaleForm::Step);
        input = quant.getQuantized();
        inputScale = quant.getScale();
      } else if (std::optional<std::string> why = matcher.nearMiss()) {
        op.emitWarning() << "activations quantised but not as BitNet's "
                            "absmax quantisation: "
                         << *why << "; the layer stays a float ternary matmul";
      }
    }

    OpBuilder builder(replaced);
    input = collapseRows(builder, loc, input, c->numM);
    auto weightAttr = DenseIntElementsAttr::get(
        RankedTensorType::get({c->numN, c->numK}, builder.getI8Type()),
        ArrayRef<int8_t>(ternary->weights));
    auto result = tern::MatmulOp::create(
        builder, loc, RankedTensorType::get({c->numM, c->numN}, outElt), input,
        inputScale, weightAttr,
        integer ? DenseF32ArrayAttr() : builder.getDenseF32ArrayAttr(scale),
        /*kernel=*/StringAttr());
    if (ternary->error) {
      result.emitWarning() << "weights quantised to ternary (BitNet, scale "
                           << ternary->scale[0] << "): relative error "
                           << *ternary->error;
      result->setAttr("sieve.quantization_error",
                      builder.getF64FloatAttr(*ternary->error));
    }
    auto replacedType =
        cast<RankedTensorType>(replaced->getResult(0).getType());
    replaced->getResult(0).replaceAllUsesWith(
        reshapeRows(builder, loc, result, replacedType));
    erased.insert(replaced);
    replaced->erase();
    if (replaced != op && op->use_empty()) {
      erased.insert(op);
      op->erase();
    }
  }
};

} // namespace
