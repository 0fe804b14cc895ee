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

#include "sieve/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <limits>
#include <numeric>

namespace sieve {
#define GEN_PASS_DEF_LOWERATTENTION
#define GEN_PASS_DEF_HOISTPARALLELSCRATCH
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// The unit attribute that marks a loop with independent iterations for the
/// parallel-for hook (docs/parallel.md).
constexpr llvm::StringLiteral kParallelAttr = "sieve.parallel";

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// Emits `scf.for lb to ub step step iter_args(init)`; `body` returns the
/// values to yield.
template <typename Fn>
ValueRange forLoop(ImplicitLocOpBuilder &b, Value lb, Value ub, Value step,
                   ValueRange init, Fn body) {
  auto loop =
      scf::ForOp::create(b, lb, ub, step, init,
                         [&](OpBuilder &, Location, Value iv, ValueRange args) {
                           SmallVector<Value> yielded = body(iv, args);
                           scf::YieldOp::create(b, yielded);
                         });
  return loop.getResults();
}

/// Tile sizes of one lowering.
struct Tiles {
  int64_t bq;   ///< queries per block (a multiple of cols and rows)
  int64_t bk;   ///< keys per block (a multiple of rows)
  int64_t rows; ///< R: rows of a register tile
  int64_t cols; ///< C: lanes of a register tile (one vector value)
};

/// Builds the flash lowering of one attention on [BH, L, D] tensors.
class FlashBuilder {
public:
  FlashBuilder(ImplicitLocOpBuilder &b, Tiles tiles, Type elementType,
               float scale, bool causal)
      : b(b), t(tiles), elementType(elementType), f32(b.getF32Type()),
        vec(VectorType::get({tiles.cols}, b.getF32Type())), scale(scale),
        causal(causal) {}

  /// q: [BH, Lq, D], k: [BH, Lk, D], v: [BH, Lk, Dv]; returns [BH, Lq, Dv].
  Value build(Value q, Value k, Value v);

private:
  Value idx(int64_t x) { return arith::ConstantIndexOp::create(b, x); }
  Value f32Const(float x) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(x));
  }
  Value vecConst(float x) {
    return arith::ConstantOp::create(b, DenseElementsAttr::get(vec, x));
  }
  Value minIdx(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
  Value maxIdx(Value x, Value y) { return arith::MaxSIOp::create(b, x, y); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }

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
  void softmax(Value qb, Value kb, Value nk);
  void accumulate(Value v, Value bh, Value kb, Value nk);

  ImplicitLocOpBuilder &b;
  Tiles t;
  Type elementType;
  Type f32;
  VectorType vec;
  float scale;
  bool causal;

  // Per-op sizes and the scratch of the current forall iteration.
  int64_t lq = 0, lk = 0, d = 0, dv = 0, dvPad = 0;
  Value qt, st, o, m, l, alpha;
};

/// St[j][i] = scale * sum_d K[kb + j][d] * Qt[d][i] for j < nk (rounded up to
/// R), all Bq queries, in R x C register tiles.
void FlashBuilder::computeScores(Value k, Value bh, Value kb, Value nk) {
  Value c0 = idx(0), c1 = idx(1);
  Value lastKey = idx(lk - 1);
  Value scaleVec = vecConst(scale);
  forLoop(b, c0, nk, idx(t.rows), {}, [&](Value j, ValueRange) {
    // Rows past the last key read the last key again: their scores are
    // never used (the softmax stops at nk).
    SmallVector<Value> keyRows;
    for (int64_t r = 0; r < t.rows; ++r)
      keyRows.push_back(minIdx(add(add(kb, j), idx(r)), lastKey));
    forLoop(b, c0, idx(t.bq), idx(t.cols), {}, [&](Value i, ValueRange) {
      SmallVector<Value> init(t.rows, vecConst(0.0f));
      ValueRange acc =
          forLoop(b, c0, idx(d), c1, init, [&](Value dd, ValueRange acc) {
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
        Value s = arith::MulFOp::create(b, acc[r], scaleVec);
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

  forLoop(b, c0, idx(t.bq), idx(t.cols), {}, [&](Value c, ValueRange) {
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
    Value mNew = forLoop(b, c0, nk, c1, {mOld}, [&](Value j, ValueRange acc) {
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
    Value a = math::ExpOp::create(b, arith::SubFOp::create(b, mOld, mSafe));
    a = arith::SelectOp::create(b, none, zero, a);
    vector::StoreOp::create(b, a, alpha, ValueRange{c});
    vector::StoreOp::create(b, mNew, m, ValueRange{c});
    Value sum = forLoop(b, c0, nk, c1, {zero}, [&](Value j, ValueRange acc) {
      Value s = vector::LoadOp::create(b, vec, st, ValueRange{j, c});
      Value p = math::ExpOp::create(b, arith::SubFOp::create(b, s, mSafe));
      if (causal)
        p = arith::SelectOp::create(b, visible(j), p, zero);
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
/// register tiles.
void FlashBuilder::accumulate(Value v, Value bh, Value kb, Value nk) {
  Value c0 = idx(0), c1 = idx(1);
  bool inBounds = dv % t.cols == 0;
  Value pad = arith::ConstantOp::create(b, b.getFloatAttr(elementType, 0.0));
  VectorType inVec = VectorType::get({t.cols}, elementType);
  forLoop(b, c0, idx(t.bq), idx(t.rows), {}, [&](Value i, ValueRange) {
    SmallVector<Value> rowIdx;
    for (int64_t r = 0; r < t.rows; ++r)
      rowIdx.push_back(add(i, idx(r)));
    forLoop(b, c0, idx(dvPad), idx(t.cols), {}, [&](Value e, ValueRange) {
      SmallVector<Value> init;
      for (int64_t r = 0; r < t.rows; ++r) {
        Value acc = vector::LoadOp::create(b, vec, o, ValueRange{rowIdx[r], e});
        Value a = memref::LoadOp::create(b, alpha, ValueRange{rowIdx[r]});
        init.push_back(arith::MulFOp::create(
            b, acc, vector::BroadcastOp::create(b, vec, a)));
      }
      ValueRange acc =
          forLoop(b, c0, nk, c1, init, [&](Value j, ValueRange acc) {
            Value vv = vector::TransferReadOp::create(
                b, inVec, v, ValueRange{bh, add(kb, j), e}, pad,
                ArrayRef<bool>{inBounds});
            vv = toF32(vv);
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
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

Value FlashBuilder::build(Value q, Value k, Value v) {
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
  forall->setAttr(kParallelAttr, b.getUnitAttr());

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value bh = forall.getInductionVar(0);
  Value qb = mul(forall.getInductionVar(1), idx(t.bq));
  Value out = forall.getRegionIterArgs()[0];
  Value c0 = idx(0), c1 = idx(1);

  // Per-iteration scratch (each worker of the parallel-for gets its own).
  qt = scratch({d, t.bq});
  st = scratch({t.bk, t.bq});
  o = scratch({t.bq, dvPad});
  m = scratch({t.bq});
  l = scratch({t.bq});
  alpha = scratch({t.bq});

  // Qt: the query block, transposed; rows past Lq repeat the last query.
  Value lastQuery = idx(lq - 1);
  forLoop(b, c0, idx(t.bq), c1, {}, [&](Value i, ValueRange) {
    Value row = minIdx(add(qb, i), lastQuery);
    forLoop(b, c0, idx(d), c1, {}, [&](Value dd, ValueRange) {
      memref::StoreOp::create(b, readScalar(q, {bh, row, dd}), qt,
                              ValueRange{dd, i});
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
  Value negInf = vecConst(-std::numeric_limits<float>::infinity());
  Value zero = vecConst(0.0f);
  forLoop(b, c0, idx(t.bq), idx(t.cols), {}, [&](Value c, ValueRange) {
    vector::StoreOp::create(b, negInf, m, ValueRange{c});
    vector::StoreOp::create(b, zero, l, ValueRange{c});
    return SmallVector<Value>{};
  });
  forLoop(b, c0, idx(t.bq), c1, {}, [&](Value i, ValueRange) {
    forLoop(b, c0, idx(dvPad), idx(t.cols), {}, [&](Value e, ValueRange) {
      vector::StoreOp::create(b, zero, o, ValueRange{i, e});
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });

  // Keys past kEnd are masked for every query of the block: not visited.
  Value kEnd = idx(lk);
  if (causal)
    kEnd = maxIdx(minIdx(add(qb, idx(t.bq + lk - lq)), kEnd), c0);
  forLoop(b, c0, kEnd, idx(t.bk), {}, [&](Value kb, ValueRange) {
    Value nk = minIdx(idx(t.bk), sub(kEnd, kb));
    computeScores(k, bh, kb, nk);
    softmax(qb, kb, nk);
    accumulate(v, bh, kb, nk);
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
  bool inBounds = dv % t.cols == 0;
  Value one = f32Const(1.0f), zeroScalar = f32Const(0.0f);
  tile = forLoop(b, c0, rows, c1, {tile}, [&](Value i, ValueRange rowAcc) {
    Value sum = memref::LoadOp::create(b, l, ValueRange{i});
    Value empty =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sum, zeroScalar);
    Value inv = arith::SelectOp::create(b, empty, zeroScalar,
                                        arith::DivFOp::create(b, one, sum));
    Value invVec = vector::BroadcastOp::create(b, vec, inv);
    return SmallVector<Value>{forLoop(
        b, c0, idx(dvPad), idx(t.cols), {rowAcc[0]},
        [&](Value e, ValueRange acc) {
          Value x = vector::LoadOp::create(b, vec, o, ValueRange{i, e});
          x = fromF32(arith::MulFOp::create(b, x, invVec));
          Value w =
              vector::TransferWriteOp::create(b, x, acc[0], ValueRange{i, e},
                                              ArrayRef<bool>{inBounds})
                  .getResult();
          return SmallVector<Value>{w};
        })[0]};
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
    SmallVector<sieve::attn::AttentionOp> ops;
    getOperation().walk(
        [&](sieve::attn::AttentionOp op) { ops.push_back(op); });
    for (sieve::attn::AttentionOp op : ops)
      if (failed(lower(op)))
        return signalPassFailure();
  }

  LogicalResult lower(sieve::attn::AttentionOp op) {
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elementType = resultType.getElementType();
    auto sameElement = [&](Value x) {
      return cast<RankedTensorType>(x.getType()).getElementType() ==
             elementType;
    };
    if (!(elementType.isF32() || elementType.isF16() || elementType.isBF16()) ||
        !sameElement(op.getQuery()) || !sameElement(op.getKey()) ||
        !sameElement(op.getValue()))
      return op.emitError() << "cannot be lowered: the flash lowering takes "
                               "f32, f16 or bf16 operands of one element type";
    if (!resultType.hasStaticShape() ||
        !cast<RankedTensorType>(op.getQuery().getType()).hasStaticShape() ||
        !cast<RankedTensorType>(op.getKey().getType()).hasStaticShape() ||
        !cast<RankedTensorType>(op.getValue().getType()).hasStaticShape())
      return op.emitError() << "cannot be lowered: dynamic shapes";
    if (cast<RankedTensorType>(op.getKey().getType())
            .getDimSize(resultType.getRank() - 2) == 0)
      return op.emitError() << "cannot be lowered: no keys";

    ImplicitLocOpBuilder b(op.getLoc(), op);
    Value q = toRank3(b, op.getQuery());
    Value k = toRank3(b, op.getKey());
    Value v = toRank3(b, op.getValue());
    int64_t lq = cast<RankedTensorType>(q.getType()).getDimSize(1);
    int64_t lk = cast<RankedTensorType>(k.getType()).getDimSize(1);
    // Small sequences get smaller blocks: no work and scratch for queries or
    // keys that do not exist.
    Tiles tiles{
        std::min<int64_t>(blockQ, roundUp(lq, std::lcm(tileCols.getValue(),
                                                       tileRows.getValue()))),
        std::min<int64_t>(blockK, roundUp(lk, tileRows)), tileRows, tileCols};
    FlashBuilder flash(b, tiles, elementType, op.getScale().convertToFloat(),
                       op.getCausal());
    Value result = flash.build(q, k, v);
    op.replaceAllUsesWith(fromRank3(b, result, resultType));
    op.erase();
    return success();
  }
};

} // namespace

namespace {

/// Until the parallel-for pass gives each worker its own copy of a
/// `sieve.parallel` loop's scratch, such loops run serially, and then one
/// copy, allocated before the loop, is enough: this is what lets the static
/// arena place the scratch at all.
struct HoistParallelScratchPass final
    : sieve::impl::HoistParallelScratchBase<HoistParallelScratchPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](scf::ForallOp loop) {
      if (!loop->hasAttr(kParallelAttr))
        return;
      for (Operation &op :
           llvm::make_early_inc_range(loop.getBody()->getOperations())) {
        auto alloc = dyn_cast<memref::AllocOp>(op);
        if (alloc && alloc.getType().hasStaticShape() &&
            alloc->getNumOperands() == 0)
          alloc->moveBefore(loop);
      }
    });
  }
};

} // namespace
