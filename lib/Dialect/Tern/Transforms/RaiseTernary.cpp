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

#include <cmath>

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

/// The weight at [n, k] of a K x N (or, transposed, N x K) matrix.
template <typename T>
T weightAt(ArrayRef<T> values, bool transposed, int64_t n, int64_t k,
           int64_t numN, int64_t numK) {
  return transposed ? values[n * numK + k] : values[k * numN + n];
}

std::optional<Ternary> integerTernary(ElementsAttr attr, bool transposed,
                                      int64_t numN, int64_t numK) {
  auto values = attr.tryGetValues<APInt>();
  if (!values)
    return std::nullopt;
  SmallVector<int64_t> flat;
  flat.reserve(numN * numK);
  for (const APInt &v : *values)
    flat.push_back(v.getSExtValue());
  Ternary t;
  t.weights.resize(numN * numK);
  bool anyNonZero = false;
  for (int64_t n = 0; n < numN; ++n)
    for (int64_t k = 0; k < numK; ++k) {
      int64_t w = weightAt<int64_t>(flat, transposed, n, k, numN, numK);
      if (w < -1 || w > 1)
        return std::nullopt;
      anyNonZero |= w != 0;
      t.weights[n * numK + k] = int8_t(w);
    }
  if (!anyNonZero)
    return std::nullopt;
  return t;
}

std::optional<Ternary> floatTernary(ElementsAttr attr, bool transposed,
                                    int64_t numN, int64_t numK, bool quantize) {
  auto values = attr.tryGetValues<APFloat>();
  if (!values)
    return std::nullopt;
  SmallVector<float> flat;
  flat.reserve(numN * numK);
  for (const APFloat &v : *values)
    flat.push_back(v.convertToFloat());
  Ternary t;
  t.weights.resize(numN * numK);
  t.scale.assign(numN, 0.0f);
  bool exact = true;
  // Per channel: every non-zero weight of row n is +-scale[n], bit for bit.
  for (int64_t n = 0; n < numN && exact; ++n)
    for (int64_t k = 0; k < numK; ++k) {
      float w = weightAt<float>(flat, transposed, n, k, numN, numK);
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
  for (int64_t n = 0; n < numN; ++n)
    for (int64_t k = 0; k < numK; ++k) {
      float w = weightAt<float>(flat, transposed, n, k, numN, numK);
      float q = std::min(1.0f, std::max(-1.0f, std::nearbyint(w / scale)));
      t.weights[n * numK + k] = int8_t(q);
      errSq += double(w - q * scale) * (w - q * scale);
      normSq += double(w) * w;
    }
  t.scale.assign(1, scale);
  t.error = normSq > 0 ? std::sqrt(errSq / normSq) : 0.0;
  return t;
}

//===----------------------------------------------------------------------===//
// BitNet's activation quantisation in f32, as exporters write it
//===----------------------------------------------------------------------===//
//
// BitLinear computes, per token (row m of x):
//   s[m] = 127 / max(max_k |x[m, k]|, 1e-5)
//   q = clamp(roundeven(x * s), -128, 127)
// and then either matmul(q / s, W) (fake quantisation) or matmul(q, W) / s.
// Exporters spread this over linalg ops: a reduction for the absolute
// maximum and elementwise linalg.generics, fused or one per scalar op. The
// matcher below reads such a chain as one expression tree, looking through
// elementwise producers, and accepts it only if it computes exactly what
// tern.quantize_absmax computes (round half to even, the 1e-5 floor, the
// [-128, 127] clamp), so the rewrite changes only the order of the float
// operations of the matmul and the dequantisation.

/// A scalar of an elementwise chain: an op in the body of some linalg op, a
/// constant, or an element of a tensor the chain reads (its leaf).
struct Scalar {
  Operation *op = nullptr;
  std::optional<double> constant;
  Value leaf;
  /// Reached through a row broadcast ((m, k) -> (m) or (m, 0)): the value
  /// depends on the row only.
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

/// (m, k) -> (m) or (m, 0).
bool isRowMap(AffineMap map) {
  if (map.getNumDims() != 2 || map.getNumResults() < 1 ||
      map.getNumResults() > 2 ||
      map.getResult(0) != getAffineDimExpr(0, map.getContext()))
    return false;
  if (map.getNumResults() == 1)
    return true;
  auto c = dyn_cast<AffineConstantExpr>(map.getResult(1));
  return c && c.getValue() == 0;
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
    if (consumer.getNumLoops() != 2 || !isRowMap(map))
      return {};
    perRow = true;
  }
  s.perRow = perRow;
  // [M] <-> [M, 1] reshapes keep the value of row m.
  while (tensor != stopAt) {
    auto type = dyn_cast<RankedTensorType>(tensor.getType());
    if (!type || !(type.getRank() == 1 ||
                   (type.getRank() == 2 && type.getDimSize(1) == 1)))
      break;
    if (auto e = tensor.getDefiningOp<tensor::ExpandShapeOp>())
      tensor = e.getSrc();
    else if (auto c = tensor.getDefiningOp<tensor::CollapseShapeOp>())
      tensor = c.getSrc();
    else
      break;
  }
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

/// The reduction max_k |x[m, k]| (linalg.generic or linalg.reduce, from 0 or
/// -inf): its input x.
Value matchAbsMax(Value amax) {
  auto red = amax.getDefiningOp<linalg::LinalgOp>();
  if (!red || red.getNumDpsInputs() != 1 || red.getNumDpsInits() != 1 ||
      red.getNumLoops() != 2 || red.getNumReductionLoops() != 1 ||
      red.getIteratorTypesArray()[0] != utils::IteratorType::parallel)
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
  if (!first.isZero() && !(first.isInfinity() && first.isNegative()))
    return {};
  Block *body = red.getBlock();
  Value yielded = body->getTerminator()->getOperand(0);
  Value a, b;
  Scalar y;
  y.op = yielded.getDefiningOp();
  if (!y.op || y.op->getBlock() != body || !matchMinMax(y, true, a, b))
    return {};
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
  return {};
}

/// s = 127 / max(amax, 1e-5): the reduction result amax.
Value matchScale(const Scalar &s) {
  Scalar num, den;
  if (!matchBinary<arith::DivFOp>(s, num, den, {}) || !isConstant(num, 127.0f))
    return {};
  Value a, b;
  if (!matchMinMax(den, true, a, b))
    return {};
  for (auto [v, eps] : {std::pair{a, b}, std::pair{b, a}}) {
    Scalar amax = follow(v, den.perRow, {});
    if (isConstant(follow(eps, den.perRow, {}), 1e-5f) && amax.leaf &&
        amax.perRow && matchAbsMax(amax.leaf))
      return amax.leaf;
  }
  return {};
}

/// What BitNet's quantisation of one layer's input reads.
struct AbsmaxQuant {
  Value input;  ///< x, [M, K] f32
  Value absMax; ///< the reduction max_k |x[m, k]|
};

/// q = clamp(roundeven(x * s), -128, 127) (the clamp and the rounding in
/// either order).
std::optional<AbsmaxQuant> matchQuantized(const Scalar &q) {
  // Peel the clamp and the rounding, in either order.
  Scalar v = q;
  bool rounded = false, low = false, high = false;
  for (int step = 0; step < 3; ++step) {
    Value a, b;
    if (!rounded && v.op && isa<math::RoundEvenOp>(v.op)) {
      rounded = true;
      v = operandOf(v, 0, {});
      continue;
    }
    bool isMax = !low && matchMinMax(v, true, a, b);
    bool isMin = !isMax && !high && matchMinMax(v, false, a, b);
    if (!isMax && !isMin)
      break;
    float bound = isMax ? -128.0f : 127.0f;
    Scalar x = follow(a, v.perRow, {}), c = follow(b, v.perRow, {});
    if (!isConstant(c, bound))
      std::swap(x, c);
    if (!isConstant(c, bound))
      return std::nullopt;
    (isMax ? low : high) = true;
    v = x;
  }
  if (!rounded || !low || !high)
    return std::nullopt;
  // x * s, with x read element by element.
  if (!v.op || !isa<arith::MulFOp>(v.op))
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    Value absMax = matchScale(operandOf(v, 1 - i, {}));
    if (!absMax)
      continue;
    Value input = matchAbsMax(absMax);
    Scalar x = operandOf(v, i, input);
    if (x.leaf == input && !x.perRow)
      return AbsmaxQuant{input, absMax};
  }
  return std::nullopt;
}

/// The value of `tensor`'s elements as a Scalar (through its elementwise
/// producers).
Scalar elementOf(Value tensor) {
  auto producer = tensor.getDefiningOp<linalg::GenericOp>();
  if (!producer || !isElementwise(producer))
    return {};
  return follow(producer.getBody()->getTerminator()->getOperand(0), false, {});
}

/// A BitNet layer around a matmul: the f32 activations x, the op whose
/// result becomes tern.matmul's, and a constant the dequantisation
/// multiplies by (the weight scale, when the weights are plain ternary).
struct BitNetMatch {
  Value input;
  Operation *replaced;
  float weightScale = 1.0f;
};

/// acc or acc * c (either order), acc the element of `matmul`'s result.
bool matchAccumulator(const Scalar &a, Value matmul, float &c) {
  if (a.leaf == matmul && !a.perRow)
    return true;
  Scalar l, r;
  if (!matchBinary<arith::MulFOp>(a, l, r, {}))
    return false;
  if (r.leaf == matmul)
    std::swap(l, r);
  if (l.leaf != matmul || l.perRow || !r.constant)
    return false;
  c *= float(*r.constant);
  return true;
}

/// matmul(q / s, W) with q, s BitNet's quantisation of x (the matmul is
/// replaced), or matmul(q, W) followed by an elementwise acc / s,
/// (acc * c) / s or (acc / s) * c (that op is replaced).
std::optional<BitNetMatch> matchBitNet(linalg::LinalgOp op, Value input) {
  Scalar root = elementOf(input), q, s;
  if (!root)
    return std::nullopt;
  if (matchBinary<arith::DivFOp>(root, q, s, {})) {
    std::optional<AbsmaxQuant> quant = matchQuantized(q);
    if (quant && matchScale(s) == quant->absMax)
      return BitNetMatch{quant->input, op};
    return std::nullopt;
  }
  std::optional<AbsmaxQuant> quant = matchQuantized(root);
  if (!quant)
    return std::nullopt;
  Value acc = op->getResult(0);
  for (Operation *user : acc.getUsers()) {
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || !isElementwise(generic) ||
        generic.getResult(0).getType() != acc.getType())
      continue;
    Scalar y = elementOf(generic.getResult(0)), a, d;
    float c = 1.0f;
    // (acc / s) * c: peel the constant.
    if (matchBinary<arith::MulFOp>(y, a, d, {})) {
      if (a.constant)
        std::swap(a, d);
      if (!d.constant)
        continue;
      c = float(*d.constant);
      y = a;
    }
    if (!matchBinary<arith::DivFOp>(y, a, d, {}))
      continue;
    // acc / (s * c'): the weight scale stored as its inverse.
    Scalar l, r;
    if (matchBinary<arith::MulFOp>(d, l, r, {})) {
      if (l.constant)
        std::swap(l, r);
      if (!r.constant || *r.constant == 0.0)
        continue;
      c /= float(*r.constant);
      d = l;
    }
    if (matchScale(d) != quant->absMax || !matchAccumulator(a, acc, c))
      continue;
    return BitNetMatch{quant->input, generic, c};
  }
  return std::nullopt;
}

struct RaiseTernaryPass final
    : sieve::tern::impl::RaiseTernaryBase<RaiseTernaryPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op.getOperation()))
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates)
      raise(op);
  }

  void raise(linalg::LinalgOp op) {
    bool batched = isa<linalg::BatchMatmulOp>(op.getOperation());
    MLIRContext *ctx = op.getContext();
    // Loops (b,) m, n, k: the activations must be [.., m, k] and the result
    // [.., m, n]; the weights [.., k, n] or [.., n, k].
    unsigned b = batched ? 1 : 0;
    AffineExpr m = getAffineDimExpr(b, ctx), n = getAffineDimExpr(b + 1, ctx),
               k = getAffineDimExpr(b + 2, ctx);
    SmallVector<AffineExpr> lead;
    if (batched)
      lead.push_back(getAffineDimExpr(0, ctx));
    auto map = [&](AffineExpr x, AffineExpr y) {
      SmallVector<AffineExpr> exprs(lead);
      exprs.append({x, y});
      return AffineMap::get(b + 3, 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (maps[0] != map(m, k) || maps[2] != map(m, n))
      return;
    bool transposed;
    if (maps[1] == map(k, n))
      transposed = false;
    else if (maps[1] == map(n, k))
      transposed = true;
    else
      return;

    Value input = op.getDpsInputs()[0], init = op.getDpsInits()[0];
    ElementsAttr weights;
    if (!matchPattern(op.getDpsInputs()[1], m_Constant(&weights)) ||
        !isZeroInit(init))
      return;
    auto inType = cast<RankedTensorType>(input.getType());
    auto wType = cast<RankedTensorType>(weights.getType());
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    if (!inType.hasStaticShape() || !outType.hasStaticShape() ||
        (batched && (inType.getDimSize(0) != 1 || wType.getDimSize(0) != 1)))
      return;
    int64_t numK = inType.getShape().back();
    int64_t numN = outType.getShape().back();
    if (numK == 0 || numN == 0)
      return;

    Type inElt = inType.getElementType(), wElt = wType.getElementType(),
         outElt = outType.getElementType();
    std::optional<Ternary> ternary;
    bool integer =
        inElt.isInteger(8) && wElt.isInteger(8) && outElt.isInteger(32);
    if (integer)
      ternary = integerTernary(weights, transposed, numN, numK);
    else if (inElt.isF32() && wElt.isF32() && outElt.isF32())
      ternary = floatTernary(weights, transposed, numN, numK, quantize);
    if (!ternary)
      return;

    // BitNet's quantise-matmul-dequantise in f32: the matmul of int8
    // activations with their per-token scale, replacing the matmul or the
    // dequantisation after it.
    Operation *replaced = op;
    Value inputScale;
    SmallVector<float> scale = ternary->scale;
    if (!integer && !batched)
      if (std::optional<BitNetMatch> bitnet = matchBitNet(op, input)) {
        replaced = bitnet->replaced;
        for (float &s : scale)
          s *= bitnet->weightScale;
        OpBuilder qb(replaced);
        auto quant = tern::QuantizeAbsmaxOp::create(
            qb, op.getLoc(),
            RankedTensorType::get({inType.getDimSize(0), numK}, qb.getI8Type()),
            RankedTensorType::get({inType.getDimSize(0)}, qb.getF32Type()),
            bitnet->input);
        input = quant.getQuantized();
        inputScale = quant.getScale();
      }

    OpBuilder builder(replaced);
    Location loc = op.getLoc();
    int64_t numM = inType.getDimSize(b);
    if (batched)
      input = tensor::CollapseShapeOp::create(
          builder, loc, RankedTensorType::get({numM, numK}, inElt), input,
          SmallVector<ReassociationIndices>{{0, 1}, {2}});
    auto weightAttr = DenseIntElementsAttr::get(
        RankedTensorType::get({numN, numK}, builder.getI8Type()),
        ArrayRef<int8_t>(ternary->weights));
    auto result = tern::MatmulOp::create(
        builder, loc, RankedTensorType::get({numM, numN}, outElt), input,
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
    Value replacement = result;
    if (batched)
      replacement = tensor::ExpandShapeOp::create(
          builder, loc, outType, replacement,
          SmallVector<ReassociationIndices>{{0, 1}, {2}});
    replaced->getResult(0).replaceAllUsesWith(replacement);
    replaced->erase();
    if (replaced != op && op->use_empty())
      op->erase();
  }
};

} // namespace
