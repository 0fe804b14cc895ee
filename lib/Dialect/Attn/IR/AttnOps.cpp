//===- AttnOps.cpp - Ops of the attn dialect ------------------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace sieve;
using namespace sieve::attn;

AttentionDims sieve::attn::getAttentionDims(int64_t rank, Layout layout) {
  if (layout == Layout::blhd)
    return {rank - 3, rank - 2, rank - 1};
  return {rank - 2, rank >= 3 ? rank - 3 : -1, rank - 1};
}

/// Two static sizes conflict; dynamic sizes are checked at run time.
static bool sizesConflict(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

static bool isStatic(int64_t size) { return !ShapedType::isDynamic(size); }

/// The rules both ops share (see AttnShapeDoc in AttnOps.td). `mask` is null
/// for sparse_attention.
static LogicalResult verifyShapes(Operation *op, RankedTensorType q,
                                  RankedTensorType k, RankedTensorType v,
                                  RankedTensorType r, Layout layout,
                                  RankedTensorType mask) {
  auto emitError = [&] { return op->emitOpError(); };
  int64_t rank = q.getRank();
  if (rank < 2)
    return emitError() << "query must have rank >= 2 ([batch..., length, "
                          "depth]), got rank "
                       << rank;
  if (layout == Layout::blhd && rank < 3)
    return emitError() << "layout blhd needs rank >= 3 ([batch..., length, "
                          "heads, depth]), got rank "
                       << rank;
  for (auto [name, type] : {std::pair<StringRef, RankedTensorType>{"key", k},
                            {"value", v},
                            {"result", r}})
    if (type.getRank() != rank)
      return emitError() << name << " must have the rank of the query (" << rank
                         << "), got " << type.getRank();

  Type elementType = q.getElementType();
  if (k.getElementType() != elementType || v.getElementType() != elementType ||
      r.getElementType() != elementType)
    return emitError() << "query, key, value and result must have one "
                          "element type, got "
                       << q.getElementType() << ", " << k.getElementType()
                       << ", " << v.getElementType() << " and "
                       << r.getElementType();

  AttentionDims dims = getAttentionDims(rank, layout);
  for (int64_t d = 0; d < rank; ++d) {
    if (d == dims.length || d == dims.head || d == dims.depth)
      continue;
    for (auto type : {k, v, r})
      if (sizesConflict(q.getDimSize(d), type.getDimSize(d)))
        return emitError() << "batch dimension " << d
                           << " differs between operands: " << q << " vs "
                           << type;
  }

  if (dims.head >= 0) {
    int64_t heads = q.getDimSize(dims.head), kvHeads = k.getDimSize(dims.head);
    if (sizesConflict(kvHeads, v.getDimSize(dims.head)))
      return emitError() << "key and value head counts (dim " << dims.head
                         << ") differ: " << kvHeads << " vs "
                         << v.getDimSize(dims.head);
    if (isStatic(heads) && isStatic(kvHeads) &&
        (kvHeads == 0 || heads % kvHeads != 0))
      return emitError() << "query heads (dim " << dims.head << ", " << heads
                         << ") must be a multiple of the key/value heads ("
                         << kvHeads << ")";
  }

  int64_t lq = q.getDimSize(dims.length), lk = k.getDimSize(dims.length);
  if (sizesConflict(q.getDimSize(dims.depth), k.getDimSize(dims.depth)))
    return emitError() << "query and key depths differ: "
                       << q.getDimSize(dims.depth) << " vs "
                       << k.getDimSize(dims.depth);
  if (sizesConflict(lk, v.getDimSize(dims.length)))
    return emitError() << "key and value lengths differ: " << lk << " vs "
                       << v.getDimSize(dims.length);
  SmallVector<int64_t> resultShape(q.getShape());
  resultShape[dims.depth] = v.getDimSize(dims.depth);
  for (int64_t d = 0; d < rank; ++d)
    if (sizesConflict(r.getDimSize(d), resultShape[d]))
      return emitError() << "result must be the query shape with the value "
                            "depth, "
                         << RankedTensorType::get(resultShape, elementType)
                         << ", got " << r;

  if (!mask)
    return success();
  if (!mask.getElementType().isInteger(1) &&
      mask.getElementType() != elementType)
    return emitError() << "mask must be i1 (true = keep) or " << elementType
                       << " (added to the scores), got "
                       << mask.getElementType();
  // The scores are [B..., H, Lq, Lk] in both layouts.
  SmallVector<int64_t> scoreShape(q.getShape());
  if (layout == Layout::blhd)
    std::swap(scoreShape[dims.length], scoreShape[dims.head]);
  scoreShape[rank - 1] = lk;
  auto scoreType = RankedTensorType::get(scoreShape, mask.getElementType());
  if (mask.getRank() != rank)
    return emitError() << "mask must have the rank of the scores " << scoreType
                       << ", got " << mask;
  for (int64_t d = 0; d < rank; ++d)
    if (mask.getDimSize(d) != 1 &&
        sizesConflict(mask.getDimSize(d), scoreShape[d]))
      return emitError() << "mask must be shaped like the scores " << scoreType
                         << " (or 1 in a dim to broadcast), got " << mask;
  return success();
}

static LogicalResult verifyScale(Operation *op, APFloat scaleValue) {
  float scale = scaleValue.convertToFloat();
  if (!std::isfinite(scale) || scale == 0.0f)
    return op->emitOpError("scale must be finite and non-zero, got ") << scale;
  return success();
}

/// Query and key lengths of an op, in its layout.
template <typename OpTy>
static std::pair<int64_t, int64_t> getLengths(OpTy op) {
  auto dims =
      getAttentionDims(op.getQuery().getType().getRank(), op.getLayout());
  return {op.getQuery().getType().getDimSize(dims.length),
          op.getKey().getType().getDimSize(dims.length)};
}

LogicalResult AttentionOp::verify() {
  auto mask = getMask() ? cast<RankedTensorType>(getMask().getType())
                        : RankedTensorType();
  if (failed(verifyShapes(*this, getQuery().getType(), getKey().getType(),
                          getValue().getType(), getResult().getType(),
                          getLayout(), mask)) ||
      failed(verifyScale(*this, getScale())))
    return failure();
  auto [lq, lk] = getLengths(*this);
  if (getCausal() && isStatic(lq) && isStatic(lk) && lq > lk)
    return emitOpError("causal attention aligns queries with the last keys "
                       "and needs at least as many keys as queries, got ")
           << lq << " queries and " << lk << " keys";
  return success();
}

AttentionPattern SparseAttentionOp::getAttentionPattern() {
  return *attn::getAttentionPattern(getPattern());
}

LogicalResult SparseAttentionOp::verify() {
  if (failed(verifyShapes(*this, getQuery().getType(), getKey().getType(),
                          getValue().getType(), getResult().getType(),
                          getLayout(), RankedTensorType())) ||
      failed(verifyScale(*this, getScale())))
    return failure();
  auto [lq, lk] = getLengths(*this);
  if (!isStatic(lq) || !isStatic(lk))
    return success();
  if (lq > lk)
    return emitOpError("sparse attention aligns queries with the last keys "
                       "and needs at least as many keys as queries, got ")
           << lq << " queries and " << lk << " keys";
  AttentionPattern pattern = getAttentionPattern();
  switch (pattern.getKind()) {
  case AttentionPattern::Kind::LogSparse:
    break;
  case AttentionPattern::Kind::LogSparseLocal:
    if (pattern.getSize() > lk)
      return emitOpError("local window ")
             << pattern.getSize() << " is larger than the " << lk << " keys";
    break;
  case AttentionPattern::Kind::LogSparseRestart:
    if (pattern.getSize() > lk)
      return emitOpError("restart length ")
             << pattern.getSize() << " is larger than the " << lk << " keys";
    break;
  case AttentionPattern::Kind::Diagonals:
    if (pattern.getOffsets().back() >= lk)
      return emitOpError("diagonal offset ")
             << pattern.getOffsets().back() << " reaches past the " << lk
             << " keys";
    break;
  }
  return success();
}

#define GET_OP_CLASSES
#include "sieve/Dialect/Attn/IR/AttnOps.cpp.inc"
