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

    OpBuilder builder(op);
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
        /*input_scale=*/Value(), weightAttr,
        integer ? DenseF32ArrayAttr()
                : builder.getDenseF32ArrayAttr(ternary->scale),
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
    op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
  }
};

} // namespace
