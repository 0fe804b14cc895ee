//===- LowerAttention.cpp - Flash-style lowering of attn.attention --------===//
//
// Part of Sieve. Lowers `attn.attention` on tensors, before bufferization,
// into tiled loops with an online softmax (FlashAttention's recurrence), so
// that no Lq x Lk buffer ever exists: per (batch*head, block of Bq queries)
// an `scf.forall` iteration (marked `sieve.parallel`) walks the keys in
// blocks of Bk and keeps only O(Bq * (D + Dv + Bk)) floats of scratch.
//
// Layout of the scratch, chosen so that every inner loop is a register-
// blocked outer product on whole vectors (no horizontal reductions):
//
//   Qt[D][Bq]   the query block, transposed once per query block;
//   St[Bk][Bq]  scores, keys by rows and queries along the vectors: the
//               softmax statistics of a query are lanes, so the running max
//               and sum are elementwise vector ops; overwritten by P^T;
//   O[Bq][Dv']  the unnormalised output accumulator (Dv' = Dv rounded up to
//               the tile width);
//   m, l, alpha [Bq]: running max, running sum, rescale factor.
//
// S^T = K_blk * Qt is computed in tiles of R keys x C queries (K elements
// broadcast, Qt rows loaded as vectors), O += P V in tiles of R queries x C
// value columns (P^T elements broadcast, V rows loaded as vectors).
//
// Causal attention: query i sees key j iff j <= i + (Lk - Lq). Key blocks
// past the last key a query block can see are not visited at all; inside the
// diagonal block the mask is a vector compare. A query that sees no key (only
// possible when Lq > Lk) gets a zero row: the running sum stays 0, and the
// final scaling multiplies by 0 instead of dividing by it.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "sieve/Analysis/AttentionPattern.h"
#include "sieve/Dialect/Attn/IR/AttnOps.h"
#include "sieve/Transforms/AttentionConv.h"

#include "AttentionBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <cmath>
#include <limits>
#include <numeric>

namespace sieve {
#define GEN_PASS_DEF_LOWERATTENTION
#define GEN_PASS_DEF_HOISTPARALLELSCRATCH
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// Tile sizes of one lowering.
struct Tiles {
  int64_t bq;   ///< queries per block (a multiple of cols and rows)
  int64_t bk;   ///< keys per block (a multiple of rows)
  int64_t rows; ///< R: rows of a register tile
  int64_t cols; ///< C: lanes of a register tile (one vector value)
};

/// Builds the flash lowering of one attention on [BH, L, D] tensors.
class FlashBuilder : sieve::AttentionBuilder {
public:
  FlashBuilder(ImplicitLocOpBuilder &b, Tiles tiles, Type elementType,
               float scale, bool causal)
      : AttentionBuilder(b), t(tiles), elementType(elementType),
        f32(b.getF32Type()), vec(VectorType::get({tiles.cols}, b.getF32Type())),
        scale(scale), causal(causal) {}

  /// q: [BH, Lq, D], k: [BHk, Lk, D], v: [BHk, Lk, Dv]; returns [BH, Lq, Dv].
  /// Query head bh reads key/value head bh / group (grouped-query attention).
  /// `mask`, if set, is the op's mask ([B..., H, Lq, Lk], dims of 1
  /// broadcast); `batchShape` is B... and `heads` is H.
  Value build(Value q, Value k, Value v, int64_t group, Value mask,
              ArrayRef<int64_t> batchShape, int64_t heads);

  /// Builds each query block from the convolution that computes Q
  /// (convolutional self-attention) instead of reading `q`.
  void setQueryConv(const sieve::QueryConv &conv) { queryConv = conv; }

  /// Attention among the first count[b] rows only (attn.kept_attention:
  /// queries and keys are the kept tokens packed at the front, Lq = Lk):
  /// `count` is a [B] i32 tensor read at run time, batch index bh / heads.
  /// Key blocks stop at the count, query blocks past it are not computed,
  /// and rows from the count on are zero; the rows past the count are
  /// never read.
  void setCount(Value countTensor) { count = countTensor; }

private:
  Value vecConst(float x) { return splat(vec, x); }

  /// Reads one element of an input tensor as f32.
  Value readScalar(Value tensor, ValueRange indices) {
    Value x = tensor::ExtractOp::create(b, tensor, indices);
    return toF32(x);
  }
  Value toF32(Value x) {
    if (elementType == f32)
      return x;
    Type type = f32;
    if (auto vt = dyn_cast<VectorType>(x.getType()))
      type = VectorType::get(vt.getShape(), f32);
    return arith::ExtFOp::create(b, type, x);
  }
  Value fromF32(Value x) {
    if (elementType == f32)
      return x;
    return arith::TruncFOp::create(
        b,
        VectorType::get(cast<VectorType>(x.getType()).getShape(), elementType),
        x);
  }
  Value scratch(ArrayRef<int64_t> shape) {
    return memref::AllocOp::create(b, MemRefType::get(shape, f32));
  }

  void computeScores(Value k, Value bh, Value kb, Value nk);
  Value convolveQuery(Value bh, Value row, Value dd);
  void applyMask(Value bh, Value qb, Value kb, Value nk);
  void softmax(Value qb, Value kb, Value nk);
  void accumulate(Value v, Value bh, Value kb, Value nk);
  Value readVector(Value tensor, SmallVector<Value> indices, int64_t width);

  Tiles t;
  Type elementType;
  Type f32;
  VectorType vec;
  float scale;
  bool scaleInQuery = false;
  bool causal;

  // Per-op sizes and the scratch of the current forall iteration.
  int64_t lq = 0, lk = 0, d = 0, dv = 0, dvPad = 0;
  Value qt, st, o, m, l, alpha;
  Value mask;
  SmallVector<int64_t> batchShape;
  int64_t heads = 1;
  std::optional<sieve::QueryConv> queryConv;
  Value count;
  /// With `count`: the last key row that exists (count - 1, at least 0).
  Value lastKeyRow;
};

/// Q[bh, row, dd] from the causal convolution: with b = bh / H, h = bh mod H
/// and f = h D + dd, bias[f] + sum over the taps t with
/// p = row + t dil - (k - 1) dil >= 0 (the left zeros contribute nothing) of
/// sum_c x[b, p, c] W[f, t, c]; the channels in vectors of C lanes.
Value FlashBuilder::convolveQuery(Value bh, Value row, Value dd) {
  const sieve::QueryConv &cv = *queryConv;
  Value batch = arith::DivUIOp::create(b, bh, idx(heads));
  Value head = arith::RemUIOp::create(b, bh, idx(heads));
  Value f = add(mul(head, idx(d)), dd);
  Value acc =
      cv.bias ? tensor::ExtractOp::create(b, cv.bias, ValueRange{f}).getResult()
              : cv.biasScalar;
  // Taps before the sequence start read the zeros: start at the first tap
  // t >= ((k - 1) dil - row) / dil.
  int64_t padding = (cv.kernel - 1) * cv.dilation;
  Value firstTap = maxIdx(
      arith::CeilDivSIOp::create(b, sub(idx(padding), row), idx(cv.dilation)),
      idx(0));
  Value zero = idx(0);
  // Whole vectors of channels, then the remainder as scalars (in-bounds
  // reads only: the microcontrollers' vector lowering has no masked loads).
  // Channels are vectors only where both the input and the weights keep
  // them innermost (the channels-last forms except conv_1d_nwc_wcf's
  // weights [k, C, F]).
  int64_t inputRank = cast<RankedTensorType>(cv.input.getType()).getRank();
  int64_t weightRank = cast<RankedTensorType>(cv.weight.getType()).getRank();
  bool contiguous = cv.inputChannelDim == inputRank - 1 &&
                    cv.weightChannelDim == weightRank - 1;
  int64_t vectorChannels = contiguous ? cv.channels / t.cols * t.cols : 0;
  Value padF32 = f32Const(0.0f);
  auto inputAt = [&](Value position, Value c) {
    SmallVector<Value> at(inputRank, zero);
    at[0] = batch;
    at[cv.inputLengthDim] = position;
    at[cv.inputChannelDim] = c;
    return at;
  };
  auto weightAt = [&](Value tap, Value c) {
    SmallVector<Value> at(weightRank, zero);
    at[cv.weightFilterDim] = f;
    at[cv.weightTapDim] = tap;
    at[cv.weightChannelDim] = c;
    return at;
  };
  ValueRange sums = forLoop(
      firstTap, idx(cv.kernel), idx(1), {vecConst(0.0f), padF32},
      [&](Value tap, ValueRange tapAcc) {
        Value position =
            sub(add(row, mul(tap, idx(cv.dilation))), idx(padding));
        Value vecSum =
            forLoop(zero, idx(vectorChannels), idx(t.cols), {tapAcc[0]},
                    [&](Value c, ValueRange chanAcc) {
                      Value x = vector::TransferReadOp::create(
                          b, vec, cv.input, inputAt(position, c), padF32,
                          ArrayRef<bool>{true});
                      Value w = vector::TransferReadOp::create(
                          b, vec, cv.weight, weightAt(tap, c), padF32,
                          ArrayRef<bool>{true});
                      return SmallVector<Value>{
                          vector::FMAOp::create(b, x, w, chanAcc[0])};
                    })[0];
        Value scalarSum = forLoop(
            idx(vectorChannels), idx(cv.channels), idx(1), {tapAcc[1]},
            [&](Value c, ValueRange chanAcc) {
              Value x =
                  tensor::ExtractOp::create(b, cv.input, inputAt(position, c));
              Value w =
                  tensor::ExtractOp::create(b, cv.weight, weightAt(tap, c));
              return SmallVector<Value>{arith::AddFOp::create(
                  b, chanAcc[0], arith::MulFOp::create(b, x, w))};
            })[0];
        return SmallVector<Value>{vecSum, scalarSum};
      });
  return vector::ReductionOp::create(b, vector::CombiningKind::ADD, sums[0],
                                     arith::AddFOp::create(b, acc, sums[1]));
}

/// St[j][i] := St[j][i] + mask (additive) or -inf where the mask is false,
/// for the keys [kb, kb + nk): the mask's query index runs across the vector
/// lanes of St, so this is a scalar loop (masks are the general case; causal
/// and sparse patterns do not need one).
void FlashBuilder::applyMask(Value bh, Value qb, Value kb, Value nk) {
  auto maskType = cast<RankedTensorType>(mask.getType());
  ArrayRef<int64_t> shape = maskType.getShape();
  int64_t rank = maskType.getRank();
  Value c0 = idx(0), c1 = idx(1);
  // The mask indices of (bh, query, key); size-1 dims broadcast.
  SmallVector<Value> prefix(rank - 2, c0);
  Value rest = bh;
  if (rank >= 3) {
    Value h = arith::RemUIOp::create(b, rest, idx(heads));
    rest = arith::DivUIOp::create(b, rest, idx(heads));
    if (shape[rank - 3] != 1)
      prefix[rank - 3] = h;
    for (int64_t dim = int64_t(batchShape.size()) - 1; dim >= 0; --dim) {
      Value x = arith::RemUIOp::create(b, rest, idx(batchShape[dim]));
      rest = arith::DivUIOp::create(b, rest, idx(batchShape[dim]));
      if (shape[dim] != 1)
        prefix[dim] = x;
    }
  }
  bool isBool = maskType.getElementType().isInteger(1);
  Value negInf = f32Const(-std::numeric_limits<float>::infinity());
  Value lastQuery = idx(lq - 1);
  forLoop(c0, nk, c1, {}, [&](Value j, ValueRange) {
    Value key = shape[rank - 1] == 1 ? c0 : add(kb, j);
    forLoop(c0, idx(t.bq), c1, {}, [&](Value i, ValueRange) {
      Value query = shape[rank - 2] == 1 ? c0 : minIdx(add(qb, i), lastQuery);
      SmallVector<Value> indices(prefix);
      indices.push_back(query);
      indices.push_back(key);
      Value x = tensor::ExtractOp::create(b, mask, indices);
      Value s = memref::LoadOp::create(b, st, ValueRange{j, i});
      if (isBool)
        s = arith::SelectOp::create(b, x, s, negInf);
      else
        s = arith::AddFOp::create(b, s, toF32(x));
      memref::StoreOp::create(b, s, st, ValueRange{j, i});
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// St[j][i] = scale * sum_d K[kb + j][d] * Qt[d][i] for j < nk (rounded up to
/// R), all Bq queries, in R x C register tiles (the scale is in Qt already
/// when it is a power of two).
void FlashBuilder::computeScores(Value k, Value bh, Value kb, Value nk) {
  Value c0 = idx(0), c1 = idx(1);
  Value lastKey = count ? lastKeyRow : idx(lk - 1);
  forLoop(c0, nk, idx(t.rows), {}, [&](Value j, ValueRange) {
    // Rows past the last key read the last key again: their scores are
    // never used (the softmax stops at nk).
    SmallVector<Value> keyRows;
    for (int64_t r = 0; r < t.rows; ++r)
      keyRows.push_back(minIdx(add(add(kb, j), idx(r)), lastKey));
    forLoop(c0, idx(t.bq), idx(t.cols), {}, [&](Value i, ValueRange) {
      SmallVector<Value> init(t.rows, vecConst(0.0f));
      ValueRange acc =
          forLoop(c0, idx(d), c1, init, [&](Value dd, ValueRange acc) {
            Value qv = vector::LoadOp::create(b, vec, qt, ValueRange{dd, i});
            SmallVector<Value> next;
            for (int64_t r = 0; r < t.rows; ++r) {
              Value kx = readScalar(k, {bh, keyRows[r], dd});
              Value kv = vector::BroadcastOp::create(b, vec, kx);
              next.push_back(vector::FMAOp::create(b, kv, qv, acc[r]));
            }
            return next;
          });
      for (int64_t r = 0; r < t.rows; ++r) {
        Value s = acc[r];
        if (!scaleInQuery)
          s = arith::MulFOp::create(b, s, vecConst(scale));
        vector::StoreOp::create(b, s, st, ValueRange{add(j, idx(r)), i});
      }
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// The online-softmax update for the key block [kb, kb + nk): new running
/// max m, alpha = exp(m_old - m_new), St := exp(St - m_new) (0 where
/// masked), l := l * alpha + sum_j St[j].
void FlashBuilder::softmax(Value qb, Value kb, Value nk) {
  Value c0 = idx(0), c1 = idx(1);
  Value negInf = vecConst(-std::numeric_limits<float>::infinity());
  Value zero = vecConst(0.0f);
  Type i32 = b.getI32Type();
  VectorType ivec = VectorType::get({t.cols}, i32);
  SmallVector<int32_t> lanes;
  for (int64_t x = 0; x < t.cols; ++x)
    lanes.push_back(int32_t(x));
  Value iota = arith::ConstantOp::create(
      b, DenseElementsAttr::get(ivec, ArrayRef(lanes)));
  // The key index j' = kb + j is visible to query i iff i >= j' - (Lk - Lq).
  Value keyShift = sub(kb, idx(lk - lq));

  forLoop(c0, idx(t.bq), idx(t.cols), {}, [&](Value c, ValueRange) {
    Value queries;
    if (causal) {
      Value first = arith::IndexCastOp::create(b, i32, add(qb, c));
      queries = arith::AddIOp::create(
          b, vector::BroadcastOp::create(b, ivec, first), iota);
    }
    // Masked scores become -inf (for the max) or probability 0.
    auto visible = [&](Value j) -> Value {
      Value limit = arith::IndexCastOp::create(b, i32, add(keyShift, j));
      return arith::CmpIOp::create(b, arith::CmpIPredicate::sge, queries,
                                   vector::BroadcastOp::create(b, ivec, limit));
    };
    Value mOld = vector::LoadOp::create(b, vec, m, ValueRange{c});
    Value mNew = forLoop(c0, nk, c1, {mOld}, [&](Value j, ValueRange acc) {
      Value s = vector::LoadOp::create(b, vec, st, ValueRange{j, c});
      if (causal)
        s = arith::SelectOp::create(b, visible(j), s, negInf);
      return SmallVector<Value>{arith::MaxNumFOp::create(b, acc[0], s)};
    })[0];
    // A query that has seen no key yet keeps m = -inf; subtracting 0 instead
    // keeps exp away from -inf - -inf.
    Value none =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, mNew, negInf);
    Value mSafe = arith::SelectOp::create(b, none, zero, mNew);
    Value a = expNonPositive(arith::SubFOp::create(b, mOld, mSafe));
    a = arith::SelectOp::create(b, none, zero, a);
    vector::StoreOp::create(b, a, alpha, ValueRange{c});
    vector::StoreOp::create(b, mNew, m, ValueRange{c});
    Value sum = forLoop(c0, nk, c1, {zero}, [&](Value j, ValueRange acc) {
      Value s = vector::LoadOp::create(b, vec, st, ValueRange{j, c});
      Value p = expNonPositive(arith::SubFOp::create(b, s, mSafe));
      if (causal)
        p = arith::SelectOp::create(b, visible(j), p, zero);
      if (mask)
        p = arith::SelectOp::create(
            b, arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, s, negInf),
            zero, p);
      vector::StoreOp::create(b, p, st, ValueRange{j, c});
      return SmallVector<Value>{arith::AddFOp::create(b, acc[0], p)};
    })[0];
    Value lOld = vector::LoadOp::create(b, vec, l, ValueRange{c});
    vector::StoreOp::create(b, vector::FMAOp::create(b, lOld, a, sum), l,
                            ValueRange{c});
    return SmallVector<Value>{};
  });
}

/// O[i] := alpha[i] * O[i] + sum_{j < nk} P^T[j][i] * V[kb + j], in R x C
/// register tiles: the whole vectors of V's rows, then (Dv not a multiple of
/// C) the tail of Dv mod C columns.
void FlashBuilder::accumulate(Value v, Value bh, Value kb, Value nk) {
  Value c0 = idx(0), c1 = idx(1);
  int64_t dvFull = dv / t.cols * t.cols;
  forLoop(c0, idx(t.bq), idx(t.rows), {}, [&](Value i, ValueRange) {
    SmallVector<Value> rowIdx;
    for (int64_t r = 0; r < t.rows; ++r)
      rowIdx.push_back(add(i, idx(r)));
    auto columns = [&](Value e, int64_t width) {
      SmallVector<Value> init;
      for (int64_t r = 0; r < t.rows; ++r) {
        Value acc = vector::LoadOp::create(b, vec, o, ValueRange{rowIdx[r], e});
        Value a = memref::LoadOp::create(b, alpha, ValueRange{rowIdx[r]});
        init.push_back(arith::MulFOp::create(
            b, acc, vector::BroadcastOp::create(b, vec, a)));
      }
      ValueRange acc = forLoop(c0, nk, c1, init, [&](Value j, ValueRange acc) {
        Value vv = readVector(v, {bh, add(kb, j), e}, width);
        SmallVector<Value> next;
        for (int64_t r = 0; r < t.rows; ++r) {
          Value p = memref::LoadOp::create(b, st, ValueRange{j, rowIdx[r]});
          Value pv = vector::BroadcastOp::create(b, vec, p);
          next.push_back(vector::FMAOp::create(b, pv, vv, acc[r]));
        }
        return next;
      });
      for (int64_t r = 0; r < t.rows; ++r)
        vector::StoreOp::create(b, acc[r], o, ValueRange{rowIdx[r], e});
    };
    forLoop(c0, idx(dvFull), idx(t.cols), {}, [&](Value e, ValueRange) {
      columns(e, t.cols);
      return SmallVector<Value>{};
    });
    if (dvFull < dv)
      columns(idx(dvFull), dv - dvFull);
    return SmallVector<Value>{};
  });
}

/// `width` <= C consecutive elements of `tensor` from `indices` (along the
/// last dim) as a C-lane f32 vector, zeros past `width`. A partial vector is
/// read element by element: a masked or out-of-bounds transfer_read has no
/// lowering on targets without masked loads (Cortex-M).
Value FlashBuilder::readVector(Value tensor, SmallVector<Value> indices,
                               int64_t width) {
  if (width == t.cols) {
    Value pad = arith::ConstantOp::create(b, b.getFloatAttr(elementType, 0.0));
    return toF32(vector::TransferReadOp::create(
        b, VectorType::get({t.cols}, elementType), tensor, indices, pad,
        ArrayRef<bool>{true}));
  }
  SmallVector<Value> lanes;
  Value last = indices.back();
  for (int64_t x = 0; x < width; ++x) {
    indices.back() = add(last, idx(x));
    lanes.push_back(readScalar(tensor, indices));
  }
  lanes.append(t.cols - width, f32Const(0.0f));
  return vector::FromElementsOp::create(b, vec, lanes);
}

Value FlashBuilder::build(Value q, Value k, Value v, int64_t group,
                          Value maskValue, ArrayRef<int64_t> batch,
                          int64_t numHeads) {
  mask = maskValue;
  batchShape.assign(batch.begin(), batch.end());
  heads = numHeads;
  auto qType = cast<RankedTensorType>(q.getType());
  auto kType = cast<RankedTensorType>(k.getType());
  auto vType = cast<RankedTensorType>(v.getType());
  int64_t bhCount = qType.getDimSize(0);
  lq = qType.getDimSize(1);
  d = qType.getDimSize(2);
  lk = kType.getDimSize(1);
  dv = vType.getDimSize(2);
  dvPad = roundUp(dv, t.cols);
  int64_t numBlocks = (lq + t.bq - 1) / t.bq;

  auto resultType = RankedTensorType::get({bhCount, lq, dv}, elementType);
  Value init = tensor::EmptyOp::create(b, resultType.getShape(), elementType);
  auto forall =
      scf::ForallOp::create(b,
                            ArrayRef<OpFoldResult>{b.getIndexAttr(bhCount),
                                                   b.getIndexAttr(numBlocks)},
                            ValueRange{init}, std::nullopt);
  forall->setAttr(sieve::attrs::kParallelLoop, b.getUnitAttr());

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value bh = forall.getInductionVar(0);
  Value kvHead =
      group == 1 ? bh : arith::DivUIOp::create(b, bh, idx(group)).getResult();
  Value qb = mul(forall.getInductionVar(1), idx(t.bq));
  Value out = forall.getRegionIterArgs()[0];
  Value c0 = idx(0), c1 = idx(1);
  // With a run-time count n: rows and keys from n on do not exist.
  Value rowCount, live;
  if (count) {
    Value batchIndex = arith::DivUIOp::create(b, bh, idx(heads));
    Value n = arith::IndexCastOp::create(
        b, b.getIndexType(),
        tensor::ExtractOp::create(b, count, ValueRange{batchIndex}));
    rowCount = maxIdx(minIdx(n, idx(lq)), c0);
    lastKeyRow = maxIdx(sub(rowCount, c1), c0);
    live = arith::CmpIOp::create(b, arith::CmpIPredicate::slt, qb, rowCount);
  }

  // Per-iteration scratch (each worker of the parallel-for gets its own).
  qt = scratch({d, t.bq});
  st = scratch({t.bk, t.bq});
  o = scratch({t.bq, dvPad});
  m = scratch({t.bq});
  l = scratch({t.bq});
  alpha = scratch({t.bq});

  // Qt: the query block, transposed; rows past Lq repeat the last query. A
  // scale that is a power of two (1/8 for D = 64) is applied here, exactly,
  // so that the score tiles need no multiply; any other scale would round
  // differently from the model's (Q K^T) * scale, so it stays there.
  Value lastQuery = count ? lastKeyRow : idx(lq - 1);
  int exponent;
  scaleInQuery = std::frexp(scale, &exponent) == 0.5f;
  Value scaleConst = f32Const(scale);
  // A block past the count needs no queries.
  Value qtRows =
      count ? arith::SelectOp::create(b, live, idx(t.bq), c0).getResult()
            : idx(t.bq);
  forLoop(c0, qtRows, c1, {}, [&](Value i, ValueRange) {
    Value row = minIdx(add(qb, i), lastQuery);
    forLoop(c0, idx(d), c1, {}, [&](Value dd, ValueRange) {
      Value x =
          queryConv ? convolveQuery(bh, row, dd) : readScalar(q, {bh, row, dd});
      if (scaleInQuery)
        x = arith::MulFOp::create(b, x, scaleConst);
      memref::StoreOp::create(b, x, qt, ValueRange{dd, i});
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
  Value negInf = vecConst(-std::numeric_limits<float>::infinity());
  Value zero = vecConst(0.0f);
  forLoop(c0, idx(t.bq), idx(t.cols), {}, [&](Value c, ValueRange) {
    vector::StoreOp::create(b, negInf, m, ValueRange{c});
    vector::StoreOp::create(b, zero, l, ValueRange{c});
    return SmallVector<Value>{};
  });
  forLoop(c0, idx(t.bq), c1, {}, [&](Value i, ValueRange) {
    forLoop(c0, idx(dvPad), idx(t.cols), {}, [&](Value e, ValueRange) {
      vector::StoreOp::create(b, zero, o, ValueRange{i, e});
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });

  // Keys past kEnd are masked for every query of the block: not visited.
  Value kEnd = idx(lk);
  if (causal)
    kEnd = maxIdx(minIdx(add(qb, idx(t.bq + lk - lq)), kEnd), c0);
  if (count)
    kEnd = arith::SelectOp::create(b, live, minIdx(kEnd, rowCount), c0);
  forLoop(c0, kEnd, idx(t.bk), {}, [&](Value kb, ValueRange) {
    Value nk = minIdx(idx(t.bk), sub(kEnd, kb));
    computeScores(k, kvHead, kb, nk);
    if (mask)
      applyMask(bh, qb, kb, nk);
    softmax(qb, kb, nk);
    accumulate(v, kvHead, kb, nk);
    return SmallVector<Value>{};
  });

  // out[bh, qb + i] = O[i] / l[i] (0 for a query that saw no key).
  Value rows = minIdx(idx(t.bq), sub(idx(lq), qb));
  auto tileType =
      RankedTensorType::get({ShapedType::kDynamic, dv}, elementType);
  SmallVector<OpFoldResult> offsets{bh, qb, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), rows, b.getIndexAttr(dv)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  Value tile =
      tensor::ExtractSliceOp::create(b, tileType, out, offsets, sizes, strides);
  // Whole vectors, then the Dv mod C tail element by element (no masked
  // stores on Cortex-M).
  int64_t dvFull = dv / t.cols * t.cols;
  Value one = f32Const(1.0f), zeroScalar = f32Const(0.0f);
  tile = forLoop(c0, rows, c1, {tile}, [&](Value i, ValueRange rowAcc) {
    Value sum = memref::LoadOp::create(b, l, ValueRange{i});
    Value empty =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sum, zeroScalar);
    Value inv = arith::SelectOp::create(b, empty, zeroScalar,
                                        arith::DivFOp::create(b, one, sum));
    Value invVec = vector::BroadcastOp::create(b, vec, inv);
    // Rows from the count on are zero (selected: their accumulators may
    // hold anything for a block past the count).
    Value absent;
    if (count)
      absent = arith::CmpIOp::create(b, arith::CmpIPredicate::sge, add(qb, i),
                                     rowCount);
    auto scaled = [&](Value e) {
      Value x = vector::LoadOp::create(b, vec, o, ValueRange{i, e});
      x = arith::MulFOp::create(b, x, invVec);
      if (count)
        x = arith::SelectOp::create(b, absent, vecConst(0.0f), x);
      return fromF32(x);
    };
    Value row = forLoop(c0, idx(dvFull), idx(t.cols), {rowAcc[0]},
                        [&](Value e, ValueRange acc) {
                          Value w = vector::TransferWriteOp::create(
                                        b, scaled(e), acc[0], ValueRange{i, e},
                                        ArrayRef<bool>{true})
                                        .getResult();
                          return SmallVector<Value>{w};
                        })[0];
    if (dvFull < dv) {
      Value x = scaled(idx(dvFull));
      for (int64_t lane = 0; dvFull + lane < dv; ++lane)
        row = tensor::InsertOp::create(
            b, vector::ExtractOp::create(b, x, ArrayRef<int64_t>{lane}), row,
            ValueRange{i, idx(dvFull + lane)});
    }
    return SmallVector<Value>{row};
  })[0];
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, tile, out, offsets, sizes, strides);
  return forall.getResult(0);
}

/// Reshapes [B..., L, D] to [prod(B...), L, D] (rank 2 gets a unit batch).
Value toRank3(ImplicitLocOpBuilder &b, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  if (rank == 3)
    return x;
  ArrayRef<int64_t> shape = type.getShape();
  int64_t batch = 1;
  for (int64_t s : shape.drop_back(2))
    batch *= s;
  auto newType = RankedTensorType::get(
      {batch, shape[rank - 2], shape[rank - 1]}, type.getElementType());
  if (rank == 2)
    return tensor::ExpandShapeOp::create(
        b, newType, x, SmallVector<ReassociationIndices>{{0, 1}, {2}});
  ReassociationIndices lead;
  for (int64_t i = 0; i < rank - 2; ++i)
    lead.push_back(i);
  return tensor::CollapseShapeOp::create(
      b, newType, x,
      SmallVector<ReassociationIndices>{lead, {rank - 2}, {rank - 1}});
}

Value fromRank3(ImplicitLocOpBuilder &b, Value x, RankedTensorType type) {
  int64_t rank = type.getRank();
  if (rank == 3)
    return x;
  if (rank == 2)
    return tensor::CollapseShapeOp::create(
        b, type, x, SmallVector<ReassociationIndices>{{0, 1}, {2}});
  ReassociationIndices lead;
  for (int64_t i = 0; i < rank - 2; ++i)
    lead.push_back(i);
  return tensor::ExpandShapeOp::create(
      b, type, x,
      SmallVector<ReassociationIndices>{lead, {rank - 2}, {rank - 1}});
}

/// Builds the diagonal-wise lowering of `attn.sparse_attention`: every
/// pattern is a set of diagonal offsets (key p - d for query position p), so
/// each query row does exactly one dot product per kept offset, the loads of
/// a diagonal are contiguous from one row to the next (Q[p] and K[p - d]),
/// and the softmax over the row's offsets runs in registers: the scores of a
/// row are packed into one vector (max, exp and sum as vector ops), then
/// O[p] = sum_d P[d] * V[p - d] / l. No scratch, O(1) state per row.
class SparseBuilder : sieve::AttentionBuilder {
public:
  SparseBuilder(ImplicitLocOpBuilder &b, int64_t cols, int64_t rowsPerTask,
                Type elementType, float scale,
                const sieve::AttentionPattern &pattern)
      : AttentionBuilder(b), cols(cols), rowsPerTask(rowsPerTask),
        elementType(elementType), f32(b.getF32Type()), scale(scale),
        pattern(pattern) {}

  Value build(Value q, Value k, Value v, int64_t group);

private:
  Value toF32(Value x) {
    if (elementType == f32)
      return x;
    return arith::ExtFOp::create(
        b, VectorType::get(cast<VectorType>(x.getType()).getShape(), f32), x);
  }
  /// Row `row` of a [BH, L, E] tensor as ceil(E / cols) f32 vectors (zeros
  /// past E). A partial last vector is read element by element: targets
  /// without masked loads (Cortex-M) cannot lower an out-of-bounds read.
  SmallVector<Value> readRow(Value tensor, Value head, Value row, int64_t e) {
    Value pad = arith::ConstantOp::create(b, b.getFloatAttr(elementType, 0.0));
    SmallVector<Value> parts;
    for (int64_t x = 0; x < e; x += cols) {
      if (x + cols <= e) {
        Value part = vector::TransferReadOp::create(
            b, VectorType::get({cols}, elementType), tensor,
            ValueRange{head, row, idx(x)}, pad, ArrayRef<bool>{true});
        parts.push_back(toF32(part));
        continue;
      }
      SmallVector<Value> lanes;
      for (int64_t y = x; y < x + cols; ++y)
        lanes.push_back(y < e ? tensor::ExtractOp::create(
                                    b, tensor, ValueRange{head, row, idx(y)})
                                    .getResult()
                              : pad);
      parts.push_back(toF32(vector::FromElementsOp::create(
          b, VectorType::get({cols}, elementType), lanes)));
    }
    return parts;
  }

  int64_t cols, rowsPerTask;
  Type elementType;
  Type f32;
  float scale;
  const sieve::AttentionPattern &pattern;
};

Value SparseBuilder::build(Value q, Value k, Value v, int64_t group) {
  auto qType = cast<RankedTensorType>(q.getType());
  int64_t bhCount = qType.getDimSize(0), lq = qType.getDimSize(1),
          d = qType.getDimSize(2);
  int64_t lk = cast<RankedTensorType>(k.getType()).getDimSize(1);
  int64_t dv = cast<RankedTensorType>(v.getType()).getDimSize(2);
  std::vector<int64_t> offsets = pattern.offsets(lk);
  int64_t numOffsets = offsets.size();
  // The packed scores of a row: one lane per offset, rounded up to whole
  // registers of 4 lanes; the padding lanes are masked.
  int64_t lanes = roundUp(std::max<int64_t>(numOffsets, 1), 4);
  VectorType laneF32 = VectorType::get({lanes}, f32);
  VectorType laneI64 = VectorType::get({lanes}, b.getI64Type());
  SmallVector<int64_t> offsetLanes(lanes, std::numeric_limits<int32_t>::max());
  for (int64_t x = 0; x < numOffsets; ++x)
    offsetLanes[x] = offsets[x];
  bool restart =
      pattern.getKind() == sieve::AttentionPattern::Kind::LogSparseRestart;

  int64_t numTasks = (lq + rowsPerTask - 1) / rowsPerTask;
  auto resultType = RankedTensorType::get({bhCount, lq, dv}, elementType);
  Value init = tensor::EmptyOp::create(b, resultType.getShape(), elementType);
  auto forall = scf::ForallOp::create(
      b,
      ArrayRef<OpFoldResult>{b.getIndexAttr(bhCount), b.getIndexAttr(numTasks)},
      ValueRange{init}, std::nullopt);
  forall->setAttr(sieve::attrs::kParallelLoop, b.getUnitAttr());

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value bh = forall.getInductionVar(0);
  Value kvHead =
      group == 1 ? bh : arith::DivUIOp::create(b, bh, idx(group)).getResult();
  Value first = mul(forall.getInductionVar(1), idx(rowsPerTask));
  Value rows = minIdx(idx(rowsPerTask), sub(idx(lq), first));
  Value out = forall.getRegionIterArgs()[0];
  auto tileType =
      RankedTensorType::get({ShapedType::kDynamic, dv}, elementType);
  SmallVector<OpFoldResult> sliceOffsets{bh, first, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), rows, b.getIndexAttr(dv)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  Value tile = tensor::ExtractSliceOp::create(b, tileType, out, sliceOffsets,
                                              sizes, strides);

  Value offsetVec = arith::ConstantOp::create(
      b, DenseElementsAttr::get(laneI64, ArrayRef(offsetLanes)));
  Value negInf = arith::ConstantOp::create(
      b,
      DenseElementsAttr::get(laneF32, -std::numeric_limits<float>::infinity()));
  Value zeros =
      arith::ConstantOp::create(b, DenseElementsAttr::get(laneF32, 0.0f));
  Value scaleVec = arith::ConstantOp::create(
      b, DenseElementsAttr::get(VectorType::get({cols}, f32), scale));
  Value zeroScalar = f32Const(0.0f);
  Value oneScalar = f32Const(1.0f);
  Value negInfScalar = arith::ConstantOp::create(
      b, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));

  tile = forLoop(idx(0), rows, idx(1), {tile}, [&](Value r, ValueRange acc) {
    Value i = add(first, r);
    // The row's key position p and which offsets it keeps: p - d >= 0, and
    // for restart attention p - d inside p's sub-sequence.
    Value p = add(i, idx(lk - lq));
    Value pInt = arith::IndexCastOp::create(b, b.getI64Type(), p);
    Value within = pInt;
    if (restart)
      within = arith::RemUIOp::create(
          b, pInt,
          arith::ConstantOp::create(b, b.getI64IntegerAttr(pattern.getSize())));
    Value keep = arith::CmpIOp::create(
        b, arith::CmpIPredicate::sge,
        vector::BroadcastOp::create(b, laneI64, within), offsetVec);

    SmallVector<Value> qRow = readRow(q, bh, i, d);
    SmallVector<Value> keys;
    SmallVector<Value> scores;
    for (int64_t x = 0; x < numOffsets; ++x) {
      // A dropped offset reads key 0 (valid memory) and is masked below.
      Value key = arith::MaxSIOp::create(b, sub(p, idx(offsets[x])), idx(0));
      keys.push_back(key);
      SmallVector<Value> kRow = readRow(k, kvHead, key, d);
      Value dot;
      for (size_t part = 0; part < qRow.size(); ++part)
        dot =
            dot ? vector::FMAOp::create(b, qRow[part], kRow[part], dot)
                      .getResult()
                : arith::MulFOp::create(b, qRow[part], kRow[part]).getResult();
      dot = arith::MulFOp::create(b, dot, scaleVec);
      scores.push_back(
          vector::ReductionOp::create(b, vector::CombiningKind::ADD, dot));
    }
    for (int64_t x = numOffsets; x < lanes; ++x)
      scores.push_back(negInfScalar);
    Value s = vector::FromElementsOp::create(b, laneF32, scores);
    s = arith::SelectOp::create(b, keep, s, negInf);
    // The row max by compares and selects, not a max reduction: that
    // becomes calls of fmaxf (libm) on targets without a vector max.
    Value m = negInfScalar;
    for (int64_t x = 0; x < lanes; ++x) {
      Value v = vector::ExtractOp::create(b, s, ArrayRef<int64_t>{x});
      Value greater = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, v, m);
      m = arith::SelectOp::create(b, greater, v, m);
    }
    // A row that keeps no offset: m = -inf; subtract 0 instead.
    Value none =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, m, negInfScalar);
    m = arith::SelectOp::create(b, none, zeroScalar, m);
    Value e = math::ExpOp::create(
        b, arith::SubFOp::create(b, s,
                                 vector::BroadcastOp::create(b, laneF32, m)));
    e = arith::SelectOp::create(b, keep, e, zeros);
    Value l = vector::ReductionOp::create(b, vector::CombiningKind::ADD, e);
    Value empty =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l, zeroScalar);
    Value inv = arith::SelectOp::create(b, empty, zeroScalar,
                                        arith::DivFOp::create(b, oneScalar, l));

    SmallVector<Value> o;
    for (int64_t x = 0; x < numOffsets; ++x) {
      Value weight = vector::BroadcastOp::create(
          b, VectorType::get({cols}, f32),
          vector::ExtractOp::create(b, e, ArrayRef<int64_t>{x}));
      SmallVector<Value> vRow = readRow(v, kvHead, keys[x], dv);
      for (size_t part = 0; part < vRow.size(); ++part)
        if (x == 0)
          o.push_back(arith::MulFOp::create(b, weight, vRow[part]));
        else
          o[part] = vector::FMAOp::create(b, weight, vRow[part], o[part]);
    }
    Value row = acc[0];
    Value invVec =
        vector::BroadcastOp::create(b, VectorType::get({cols}, f32), inv);
    for (size_t part = 0; part < o.size(); ++part) {
      Value x = arith::MulFOp::create(b, o[part], invVec);
      if (elementType != f32)
        x = arith::TruncFOp::create(b, VectorType::get({cols}, elementType), x);
      int64_t start = part * cols;
      if (start + cols <= dv) {
        row = vector::TransferWriteOp::create(
                  b, x, row, ValueRange{r, idx(start)}, ArrayRef<bool>{true})
                  .getResult();
        continue;
      }
      // The partial last vector element by element (no masked stores).
      for (int64_t y = start; y < dv; ++y)
        row = tensor::InsertOp::create(
            b, vector::ExtractOp::create(b, x, ArrayRef<int64_t>{y - start}),
            row, ValueRange{r, idx(y)});
    }
    return SmallVector<Value>{row};
  })[0];
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, tile, out, sliceOffsets, sizes,
                                        strides);
  return forall.getResult(0);
}

/// Swaps the length and head dims (rank - 3 and rank - 2): blhd <-> bhld.
Value swapLengthAndHeads(ImplicitLocOpBuilder &b, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < rank; ++i)
    perm.push_back(i);
  std::swap(perm[rank - 3], perm[rank - 2]);
  SmallVector<int64_t> shape;
  for (int64_t i : perm)
    shape.push_back(type.getDimSize(i));
  Value init = tensor::EmptyOp::create(b, shape, type.getElementType());
  return linalg::TransposeOp::create(b, x, init, perm).getResult()[0];
}

/// The operands of an attention op as [BH, L, D] tensors (bhld).
struct Normalized {
  Value q, k, v;
  int64_t group = 1; ///< query heads per key/value head
  int64_t heads = 1; ///< H
  SmallVector<int64_t> batchShape;
  bool swapped = false;
  RankedTensorType bhldResultType;
};

LogicalResult checkOperands(Operation *op, Value q, Value k, Value v,
                            Type elementType) {
  for (Value x : {q, k, v}) {
    auto type = cast<RankedTensorType>(x.getType());
    if (type.getElementType() != elementType)
      return op->emitError() << "cannot be lowered: the attention lowering "
                                "takes query, key and value of one element "
                                "type";
    if (!type.hasStaticShape())
      return op->emitError() << "cannot be lowered: dynamic shapes";
  }
  if (!(elementType.isF32() || elementType.isF16() || elementType.isBF16()))
    return op->emitError() << "cannot be lowered: element type " << elementType
                           << " (the lowering computes f32 from f32, f16 or "
                              "bf16 operands)";
  auto kType = cast<RankedTensorType>(k.getType());
  if (kType.getDimSize(kType.getRank() - 2) == 0)
    return op->emitError() << "cannot be lowered: no keys";
  return success();
}

Normalized normalize(ImplicitLocOpBuilder &b, Value q, Value k, Value v,
                     bool blhd, RankedTensorType resultType) {
  Normalized n;
  if (blhd) {
    q = swapLengthAndHeads(b, q);
    k = swapLengthAndHeads(b, k);
    v = swapLengthAndHeads(b, v);
    n.swapped = true;
  }
  auto qType = cast<RankedTensorType>(q.getType());
  int64_t rank = qType.getRank();
  if (rank >= 3) {
    n.heads = qType.getDimSize(rank - 3);
    n.group =
        n.heads / cast<RankedTensorType>(k.getType()).getDimSize(rank - 3);
    for (int64_t i = 0; i < rank - 3; ++i)
      n.batchShape.push_back(qType.getDimSize(i));
  }
  SmallVector<int64_t> shape(qType.getShape().drop_back());
  shape.push_back(resultType.getShape().back());
  n.bhldResultType = RankedTensorType::get(shape, resultType.getElementType());
  n.q = toRank3(b, q);
  n.k = toRank3(b, k);
  n.v = toRank3(b, v);
  return n;
}

Value denormalize(ImplicitLocOpBuilder &b, const Normalized &n, Value result) {
  result = fromRank3(b, result, n.bhldResultType);
  return n.swapped ? swapLengthAndHeads(b, result) : result;
}

struct LowerAttentionPass final
    : sieve::impl::LowerAttentionBase<LowerAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockQ <= 0 || blockK <= 0 || tileRows <= 0 || tileCols <= 0 ||
        blockQ % tileCols != 0 || blockQ % tileRows != 0 ||
        blockK % tileRows != 0) {
      getOperation().emitError()
          << "sieve-lower-attention: block-q must be a multiple of tile-cols "
             "and tile-rows, block-k a multiple of tile-rows (all positive)";
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<sieve::attn::AttentionOp, sieve::attn::SparseAttentionOp,
              sieve::attn::KeptAttentionOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      LogicalResult result = success();
      if (auto dense = dyn_cast<sieve::attn::AttentionOp>(op))
        result = lower(dense);
      else if (auto kept = dyn_cast<sieve::attn::KeptAttentionOp>(op))
        result = lower(kept);
      else
        result = lower(cast<sieve::attn::SparseAttentionOp>(op));
      if (failed(result))
        return signalPassFailure();
    }
  }

  LogicalResult lower(sieve::attn::AttentionOp op) {
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elementType = resultType.getElementType();
    if (failed(checkOperands(op, op.getQuery(), op.getKey(), op.getValue(),
                             elementType)))
      return failure();
    // Convolutional self-attention: each query block is computed from the
    // convolution's input, so the convolution and its Q tensor die (the
    // canonicalize after this pass erases them). Matched before normalize()
    // adds its own uses of Q.
    std::optional<sieve::QueryConv> queryConv;
    if (fuseQueryConv)
      queryConv = sieve::matchQueryConv(op);
    ImplicitLocOpBuilder b(op.getLoc(), op);
    Normalized n =
        normalize(b, op.getQuery(), op.getKey(), op.getValue(),
                  op.getLayout() == sieve::attn::Layout::blhd, resultType);
    int64_t lq = cast<RankedTensorType>(n.q.getType()).getDimSize(1);
    int64_t lk = cast<RankedTensorType>(n.k.getType()).getDimSize(1);
    // Small sequences get smaller blocks: no work and scratch for queries or
    // keys that do not exist.
    Tiles tiles{
        std::min<int64_t>(blockQ, roundUp(lq, std::lcm(tileCols.getValue(),
                                                       tileRows.getValue()))),
        std::min<int64_t>(blockK, roundUp(lk, tileRows)), tileRows, tileCols};
    FlashBuilder flash(b, tiles, elementType, op.getScale().convertToFloat(),
                       op.getCausal());
    if (queryConv)
      flash.setQueryConv(*queryConv);
    Value result = flash.build(n.q, n.k, n.v, n.group, op.getMask(),
                               n.batchShape, n.heads);
    op.replaceAllUsesWith(denormalize(b, n, result));
    op.erase();
    return success();
  }

  /// Token-sparse attention among the kept tokens (docs/token-sparse.md):
  /// the flash lowering with the run-time kept count bounding query blocks
  /// and keys, so that its work is about count^2 with flash's register
  /// tiles.
  LogicalResult lower(sieve::attn::KeptAttentionOp op) {
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    if (failed(checkOperands(op, op.getQuery(), op.getKey(), op.getValue(),
                             resultType.getElementType())))
      return failure();
    ImplicitLocOpBuilder b(op.getLoc(), op);
    Normalized n = normalize(b, op.getQuery(), op.getKey(), op.getValue(),
                             /*blhd=*/false, resultType);
    int64_t length = cast<RankedTensorType>(n.q.getType()).getDimSize(1);
    Tiles tiles{std::min<int64_t>(
                    blockQ, roundUp(length, std::lcm(tileCols.getValue(),
                                                     tileRows.getValue()))),
                std::min<int64_t>(blockK, roundUp(length, tileRows)), tileRows,
                tileCols};
    FlashBuilder flash(b, tiles, resultType.getElementType(),
                       op.getScale().convertToFloat(), op.getCausal());
    flash.setCount(op.getCount());
    Value result =
        flash.build(n.q, n.k, n.v, n.group, Value(), n.batchShape, n.heads);
    op.replaceAllUsesWith(denormalize(b, n, result));
    op.erase();
    return success();
  }

  LogicalResult lower(sieve::attn::SparseAttentionOp op) {
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elementType = resultType.getElementType();
    if (failed(checkOperands(op, op.getQuery(), op.getKey(), op.getValue(),
                             elementType)))
      return failure();
    ImplicitLocOpBuilder b(op.getLoc(), op);
    Normalized n =
        normalize(b, op.getQuery(), op.getKey(), op.getValue(),
                  op.getLayout() == sieve::attn::Layout::blhd, resultType);
    sieve::AttentionPattern pattern = op.getAttentionPattern();
    SparseBuilder sparse(b, tileCols, blockQ, elementType,
                         op.getScale().convertToFloat(), pattern);
    Value result = sparse.build(n.q, n.k, n.v, n.group);
    op.replaceAllUsesWith(denormalize(b, n, result));
    op.erase();
    return success();
  }
};

} // namespace
