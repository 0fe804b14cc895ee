//===- AttnOps.cpp - Ops of the attn dialect ------------------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace sieve::attn;

/// Two static sizes conflict; dynamic sizes are checked at run time.
static bool sizesConflict(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

LogicalResult AttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType(),
       v = getValue().getType(), r = getResult().getType();
  int64_t rank = q.getRank();
  if (rank < 2)
    return emitOpError("query must have rank >= 2 ([batch..., length, "
                       "depth]), got rank ")
           << rank;
  for (auto [name, type] : {std::pair<StringRef, RankedTensorType>{"key", k},
                            {"value", v},
                            {"result", r}})
    if (type.getRank() != rank)
      return emitOpError() << name << " must have the rank of the query ("
                           << rank << "), got " << type.getRank();

  Type elementType = q.getElementType();
  if (k.getElementType() != elementType || v.getElementType() != elementType ||
      r.getElementType() != elementType)
    return emitOpError("query, key, value and result must have one element "
                       "type, got ")
           << q.getElementType() << ", " << k.getElementType() << ", "
           << v.getElementType() << " and " << r.getElementType();

  for (int64_t d = 0; d < rank - 2; ++d)
    for (auto type : {k, v, r})
      if (sizesConflict(q.getDimSize(d), type.getDimSize(d)))
        return emitOpError("batch dimension ")
               << d << " differs between operands: " << q << " vs " << type;

  int64_t lq = q.getDimSize(rank - 2), lk = k.getDimSize(rank - 2);
  if (sizesConflict(q.getDimSize(rank - 1), k.getDimSize(rank - 1)))
    return emitOpError("query and key depths differ: ")
           << q.getDimSize(rank - 1) << " vs " << k.getDimSize(rank - 1);
  if (sizesConflict(lk, v.getDimSize(rank - 2)))
    return emitOpError("key and value lengths differ: ")
           << lk << " vs " << v.getDimSize(rank - 2);
  if (sizesConflict(r.getDimSize(rank - 2), lq) ||
      sizesConflict(r.getDimSize(rank - 1), v.getDimSize(rank - 1)))
    return emitOpError("result must be [batch..., query length, value depth] "
                       "= [..., ")
           << lq << ", " << v.getDimSize(rank - 1) << "], got " << r;

  float scale = getScale().convertToFloat();
  if (!std::isfinite(scale) || scale == 0.0f)
    return emitOpError("scale must be finite and non-zero, got ") << scale;

  if (getCausal() && !ShapedType::isDynamic(lq) && !ShapedType::isDynamic(lk) &&
      lq > lk)
    return emitOpError("causal attention aligns queries with the last keys "
                       "and needs at least as many keys as queries, got ")
           << lq << " queries and " << lk << " keys";
  return success();
}

#define GET_OP_CLASSES
#include "sieve/Dialect/Attn/IR/AttnOps.cpp.inc"
