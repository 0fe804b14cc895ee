//===- TokenSparseOps.cpp - Verifiers of the token-sparse attn ops --------===//
//
// Part of Sieve. The ops of ZipVL-style token sparsity (docs/token-sparse.md):
// rank-4 bhld f32 tensors with static shapes, per-batch scores, indices and
// counts. The ops themselves are generated in AttnOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Attn/IR/AttnOps.h"

#include <cmath>

using namespace mlir;
using namespace sieve::attn;

/// `type` is static with rank `rank`; `name` names it in the error.
static LogicalResult checkStatic(Operation *op, StringRef name, Type type,
                                 int64_t rank) {
  auto ranked = cast<RankedTensorType>(type);
  if (ranked.getRank() != rank)
    return op->emitOpError()
           << name << " must have rank " << rank << ", got " << type;
  if (!ranked.hasStaticShape())
    return op->emitOpError()
           << name << " must have a static shape, got " << type;
  return success();
}

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// indices [B, L] and count [B] for a batch of `batch` and length `length`.
static LogicalResult checkSelection(Operation *op, Value indices, Value count,
                                    int64_t batch, int64_t length) {
  if (failed(checkStatic(op, "indices", indices.getType(), 2)) ||
      failed(checkStatic(op, "count", count.getType(), 1)))
    return failure();
  if (shapeOf(indices) != ArrayRef<int64_t>{batch, length})
    return op->emitOpError() << "indices must be [" << batch << ", " << length
                             << "] (batch, length), got " << indices.getType();
  if (shapeOf(count)[0] != batch)
    return op->emitOpError() << "count must be [" << batch << "] (batch), got "
                             << count.getType();
  return success();
}

static LogicalResult checkScale(Operation *op, APFloat scale) {
  float value = scale.convertToFloat();
  if (!std::isfinite(value) || value == 0.0f)
    return op->emitOpError("scale must be finite and non-zero, got ") << value;
  return success();
}

/// Query heads a multiple of the key heads, batch and depth equal.
static LogicalResult checkQueryKey(Operation *op, ArrayRef<int64_t> q,
                                   ArrayRef<int64_t> k) {
  if (q[0] != k[0])
    return op->emitOpError()
           << "query and key batch sizes differ: " << q[0] << " vs " << k[0];
  if (k[1] == 0 || q[1] % k[1] != 0)
    return op->emitOpError()
           << "query heads (" << q[1]
           << ") must be a multiple of the key heads (" << k[1] << ")";
  if (q[3] != k[3])
    return op->emitOpError()
           << "query and key depths differ: " << q[3] << " vs " << k[3];
  return success();
}

LogicalResult TokenScoresOp::verify() {
  if (failed(checkStatic(*this, "query", getQuery().getType(), 4)) ||
      failed(checkStatic(*this, "key", getKey().getType(), 4)) ||
      failed(checkStatic(*this, "scores", getScores().getType(), 2)) ||
      failed(checkScale(*this, getScale())))
    return failure();
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKey());
  if (failed(checkQueryKey(*this, q, k)))
    return failure();
  if (shapeOf(getScores()) != ArrayRef<int64_t>{q[0], k[2]})
    return emitOpError() << "scores must be [" << q[0] << ", " << k[2]
                         << "] (batch, keys), got " << getScores().getType();
  if (int64_t(getProbe()) < 1 || int64_t(getProbe()) > q[2])
    return emitOpError() << "probe must be between 1 and the " << q[2]
                         << " queries, got " << int64_t(getProbe());
  if (int64_t(getStride()) < 0)
    return emitOpError() << "stride must be >= 0, got " << int64_t(getStride());
  if (getCausal() && q[2] > k[2])
    return emitOpError() << "causal scores need at least as many keys as "
                            "queries, got "
                         << q[2] << " queries and " << k[2] << " keys";
  return success();
}

LogicalResult SelectTokensOp::verify() {
  if (failed(checkStatic(*this, "scores", getScores().getType(), 2)))
    return failure();
  ArrayRef<int64_t> s = shapeOf(getScores());
  if (failed(checkSelection(*this, getIndices(), getCount(), s[0], s[1])))
    return failure();
  float tau = getTau().convertToFloat();
  if (!(tau > 0.0f && tau <= 1.0f))
    return emitOpError() << "tau must be in (0, 1], got " << tau;
  if (int64_t(getSinks()) < 0 || int64_t(getRecent()) < 0)
    return emitOpError() << "sinks and recent must be >= 0, got "
                         << int64_t(getSinks()) << " and "
                         << int64_t(getRecent());
  if (int64_t(getSinks()) + int64_t(getRecent()) > s[1])
    return emitOpError() << "sinks + recent (" << int64_t(getSinks()) << " + "
                         << int64_t(getRecent()) << ") exceed the " << s[1]
                         << " tokens";
  return success();
}

/// gather_tokens and scatter_tokens: the same rules.
static LogicalResult verifyMove(Operation *op, Value source, Value indices,
                                Value count, Value result) {
  if (failed(checkStatic(op, "source", source.getType(), 4)))
    return failure();
  ArrayRef<int64_t> s = shapeOf(source);
  if (failed(checkSelection(op, indices, count, s[0], s[2])))
    return failure();
  if (result.getType() != source.getType())
    return op->emitOpError()
           << "result must have the source type " << source.getType()
           << ", got " << result.getType();
  return success();
}

LogicalResult GatherTokensOp::verify() {
  return verifyMove(*this, getSource(), getIndices(), getCount(), getResult());
}

LogicalResult ScatterTokensOp::verify() {
  return verifyMove(*this, getSource(), getIndices(), getCount(), getResult());
}

LogicalResult KeptAttentionOp::verify() {
  for (auto [name, value] : {std::pair<StringRef, Value>{"query", getQuery()},
                             {"key", getKey()},
                             {"value", getValue()},
                             {"result", getResult()}})
    if (failed(checkStatic(*this, name, value.getType(), 4)))
      return failure();
  if (failed(checkScale(*this, getScale())))
    return failure();
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKey()),
                    v = shapeOf(getValue());
  if (failed(checkQueryKey(*this, q, k)))
    return failure();
  if (q[2] != k[2] || v[2] != k[2])
    return emitOpError() << "query, key and value must have one length (the "
                            "tokens gathered), got "
                         << q[2] << ", " << k[2] << " and " << v[2];
  if (v[0] != k[0] || v[1] != k[1])
    return emitOpError() << "value must have the key's batch and heads, got "
                         << getValue().getType();
  if (shapeOf(getResult()) != ArrayRef<int64_t>{q[0], q[1], q[2], v[3]})
    return emitOpError() << "result must be [" << q[0] << ", " << q[1] << ", "
                         << q[2] << ", " << v[3] << "], got "
                         << getResult().getType();
  if (failed(checkStatic(*this, "count", getCount().getType(), 1)))
    return failure();
  if (shapeOf(getCount())[0] != q[0])
    return emitOpError() << "count must be [" << q[0] << "] (batch), got "
                         << getCount().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// The KV cache (decode form)
//===----------------------------------------------------------------------===//

/// A key cache [B, Hk, C, D] and a value cache [B, Hk, C, Dv] with a count
/// [B]: one batch, heads and capacity.
static LogicalResult checkCache(Operation *op, Value keys, Value values,
                                Value count) {
  if (failed(checkStatic(op, "key cache", keys.getType(), 4)) ||
      failed(checkStatic(op, "value cache", values.getType(), 4)) ||
      failed(checkStatic(op, "count", count.getType(), 1)))
    return failure();
  ArrayRef<int64_t> k = shapeOf(keys), v = shapeOf(values);
  if (k[0] != v[0] || k[1] != v[1] || k[2] != v[2])
    return op->emitOpError()
           << "key and value caches must have one batch, heads and "
              "capacity, got "
           << keys.getType() << " and " << values.getType();
  if (k[2] < 1)
    return op->emitOpError() << "the cache capacity must be at least 1 token, "
                                "got "
                             << keys.getType();
  if (shapeOf(count)[0] != k[0])
    return op->emitOpError()
           << "count must be [" << k[0] << "] (batch), got " << count.getType();
  return success();
}

LogicalResult CacheCompactOp::verify() {
  if (failed(checkStatic(*this, "source", getSource().getType(), 4)) ||
      failed(checkStatic(*this, "result", getResult().getType(), 4)))
    return failure();
  ArrayRef<int64_t> s = shapeOf(getSource()), r = shapeOf(getResult());
  if (failed(checkSelection(*this, getIndices(), getCount(), s[0], s[2])))
    return failure();
  if (r[0] != s[0] || r[1] != s[1] || r[3] != s[3])
    return emitOpError() << "result must have the source's batch, heads and "
                            "depth ("
                         << s[0] << ", " << s[1] << ", " << s[3] << "), got "
                         << getResult().getType();
  if (r[2] < s[2])
    return emitOpError() << "the cache capacity (" << r[2] << ") must hold the "
                         << s[2] << " tokens of the source";
  return success();
}

LogicalResult CacheAppendOp::verify() {
  if (failed(checkCache(*this, getKeyCache(), getValueCache(), getCount())) ||
      failed(checkStatic(*this, "new key", getNewKey().getType(), 4)) ||
      failed(checkStatic(*this, "new value", getNewValue().getType(), 4)))
    return failure();
  ArrayRef<int64_t> k = shapeOf(getKeyCache()), v = shapeOf(getValueCache());
  if (shapeOf(getNewKey()) != ArrayRef<int64_t>{k[0], k[1], 1, k[3]})
    return emitOpError() << "new key must be [" << k[0] << ", " << k[1]
                         << ", 1, " << k[3] << "] (one token), got "
                         << getNewKey().getType();
  if (shapeOf(getNewValue()) != ArrayRef<int64_t>{v[0], v[1], 1, v[3]})
    return emitOpError() << "new value must be [" << v[0] << ", " << v[1]
                         << ", 1, " << v[3] << "] (one token), got "
                         << getNewValue().getType();
  if (getNewKeyCache().getType() != getKeyCache().getType() ||
      getNewValueCache().getType() != getValueCache().getType() ||
      getNewCount().getType() != getCount().getType())
    return emitOpError("results must have the types of the cache and count");
  return success();
}

LogicalResult CacheAttentionOp::verify() {
  if (failed(checkCache(*this, getKeyCache(), getValueCache(), getCount())) ||
      failed(checkStatic(*this, "query", getQuery().getType(), 4)) ||
      failed(checkStatic(*this, "result", getResult().getType(), 4)) ||
      failed(checkScale(*this, getScale())))
    return failure();
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKeyCache()),
                    v = shapeOf(getValueCache());
  if (failed(checkQueryKey(*this, q, k)))
    return failure();
  if (shapeOf(getResult()) != ArrayRef<int64_t>{q[0], q[1], q[2], v[3]})
    return emitOpError() << "result must be [" << q[0] << ", " << q[1] << ", "
                         << q[2] << ", " << v[3] << "], got "
                         << getResult().getType();
  return success();
}
