//===- LowerTokenSparse.cpp - Token-sparse attn ops to loops --------------===//
//
// Part of Sieve. Lowers the ops of ZipVL-style token sparsity
// (docs/token-sparse.md) on tensors: each op reads its operands through
// `bufferization.to_buffer` (read-only), writes a fresh `memref.alloc` and
// returns it with `bufferization.to_tensor restrict writable`, so one-shot
// bufferization keeps the loops as they are and the arena planner places
// every buffer (all sized for the bound L; the kept count only bounds loops).
// attn.kept_attention is not lowered here: sieve-lower-attention lowers it
// with the flash kernel, bounded by the run-time kept count.
//
// Probe scores of a block of 16 queries against one key are one vector: the
// queries are transposed once into Qt [D x 16] and the key's elements
// broadcast (D FMAs on 16 lanes, no horizontal reduction), 6 keys at a time
// (12 AVX2 accumulators), as in the flash lowering's register tiles.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "sieve/Dialect/Attn/IR/AttnOps.h"

#include "AttentionBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include "llvm/Support/FormatVariadic.h"

#include <functional>
#include <limits>

namespace sieve {
#define GEN_PASS_DEF_LOWERTOKENSPARSE
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// Probe queries per vector of scores (two AVX2 registers, four NEON ones).
constexpr int64_t kLanes = 16;
/// Keys whose probe scores are computed together (each Qt row loaded
/// serves all of them).
constexpr int64_t kKeysPerStep = 6;

class Builder : sieve::AttentionBuilder {
public:
  explicit Builder(ImplicitLocOpBuilder &b)
      : AttentionBuilder(b), f32(b.getF32Type()), i32(b.getI32Type()),
        lane(VectorType::get({kLanes}, b.getF32Type())),
        laneI32(VectorType::get({kLanes}, b.getI32Type())) {}

  Value lowerScores(attn::TokenScoresOp op);
  SmallVector<Value> lowerSelect(attn::SelectTokensOp op);
  Value lowerGather(attn::GatherTokensOp op);
  Value lowerScatter(attn::ScatterTokensOp op);
  Value lowerCompact(attn::CacheCompactOp op);
  /// The buffers of a lowered attn.cache_append that an attn.cache_attention
  /// fused with it reads (and finishes: it copies the cached rows).
  struct AppendBuffers {
    Value keyCache, valueCache, count, newKeyCache, newValueCache;
    /// i1: the cached rows must be copied (the caller passed separate input
    /// and output buffers; in place, they are already there).
    Value copyKeys, copyValues;
    /// Writes the new counts; after every read of `count` (it may be the
    /// same buffer as the new count, docs/abi.md).
    std::function<void()> writeCounts;
  };
  SmallVector<Value> lowerAppend(attn::CacheAppendOp op,
                                 AppendBuffers *fused = nullptr);
  Value lowerCacheAttention(attn::CacheAttentionOp op,
                            const AppendBuffers *fused = nullptr);

private:
  Value gatherRows(Value source, Value indices, Value count,
                   ArrayRef<int64_t> outShape);
  /// count[bi] clamped into [0, bound], as an index.
  Value clampedCount(Value cnt, Value bi, int64_t bound) {
    return maxIdx(
        minIdx(toIndex(memref::LoadOp::create(b, cnt, bi)), idx(bound)),
        idx(0));
  }

  // Index arithmetic is on `index` (AttentionBuilder), counts are i32.
  Value laneConst(float x) { return splat(lane, x); }
  Value toIndex(Value x) {
    return arith::IndexCastOp::create(b, b.getIndexType(), x);
  }
  Value toI32(Value x) { return arith::IndexCastOp::create(b, i32, x); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, p, x, y);
  }

  /// A read-only buffer of a tensor operand.
  Value buffer(Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    return bufferization::ToBufferOp::create(
        b, MemRefType::get(type.getShape(), type.getElementType()), tensor,
        /*read_only=*/true);
  }
  Value alloc(ArrayRef<int64_t> shape, Type type) {
    return memref::AllocOp::create(b, MemRefType::get(shape, type));
  }
  Value toTensor(Value memref) {
    auto type = cast<MemRefType>(memref.getType());
    return bufferization::ToTensorOp::create(
        b, RankedTensorType::get(type.getShape(), type.getElementType()),
        memref, b.getUnitAttr(), b.getUnitAttr());
  }

  /// A `sieve.parallel` scf.forall over `counts` (on memrefs: no results).
  template <typename Fn> void parallel(ArrayRef<int64_t> counts, Fn body) {
    SmallVector<OpFoldResult> ubs;
    for (int64_t c : counts)
      ubs.push_back(b.getIndexAttr(c));
    auto forall = scf::ForallOp::create(b, ubs, ValueRange{}, std::nullopt);
    forall->setAttr(sieve::attrs::kParallelLoop, b.getUnitAttr());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getBody()->getTerminator());
    body(forall.getInductionVars());
  }
  /// scf.if with results; each branch returns the values to yield.
  template <typename Then, typename Else>
  ValueRange ifElse(Value cond, TypeRange types, Then thenBody, Else elseBody) {
    auto ifOp = scf::IfOp::create(b, types, cond, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(b, ValueRange(thenBody()));
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, ValueRange(elseBody()));
    return ifOp.getResults();
  }
  template <typename Fn> void ifThen(Value cond, Fn body) {
    auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    body();
  }

  /// Row `row` of head `head` of batch `batch` of a [B, H, L, D] buffer.
  Value readRow(Value buf, Value batch, Value head, Value row, int64_t d) {
    return vector::TransferReadOp::create(b, VectorType::get({d}, f32), buf,
                                          ValueRange{batch, head, row, idx(0)},
                                          f32Const(0.0f), ArrayRef<bool>{true});
  }
  void writeRow(Value vec, Value buf, Value batch, Value head, Value row) {
    vector::TransferWriteOp::create(b, vec, buf,
                                    ValueRange{batch, head, row, idx(0)},
                                    ArrayRef<bool>{true});
  }

  /// Fills qt [D x kLanes] with the rows `rows[lane]` of q[batch, head] (rows
  /// are clamped into range by the caller; masked lanes read some valid row).
  void transposeQueries(Value qt, Value q, Value batch, Value head,
                        ArrayRef<Value> rows, int64_t d) {
    for (int64_t x = 0; x < kLanes; ++x) {
      Value row = readRow(q, batch, head, rows[x], d);
      for (int64_t e = 0; e < d; ++e)
        memref::StoreOp::create(
            b, vector::ExtractOp::create(b, row, ArrayRef<int64_t>{e}), qt,
            ValueRange{idx(e), idx(x)});
    }
  }

  /// scale * (key row j) . (the kLanes queries of qt), one lane per query, for
  /// each key row of `rows`: each Qt row loaded serves all of them.
  SmallVector<Value> keyScores(Value qt, Value k, Value batch, Value head,
                               ArrayRef<Value> rows, int64_t d, float scale) {
    SmallVector<Value> accs(rows.size(), laneConst(0.0f));
    for (int64_t e = 0; e < d; ++e) {
      Value qRow =
          vector::LoadOp::create(b, lane, qt, ValueRange{idx(e), idx(0)});
      for (size_t u = 0; u < rows.size(); ++u) {
        Value kx = memref::LoadOp::create(
            b, k, ValueRange{batch, head, rows[u], idx(e)});
        accs[u] = vector::FMAOp::create(
            b, vector::BroadcastOp::create(b, lane, kx), qRow, accs[u]);
      }
    }
    for (Value &acc : accs)
      acc = arith::MulFOp::create(b, acc, laneConst(scale));
    return accs;
  }

  /// exp(x - m) per lane, with m = -inf (a lane that has seen no key yet)
  /// treated as 0 so that masked scores give 0 instead of NaN.
  Value safeMax(Value m) {
    Value none = arith::CmpFOp::create(
        b, arith::CmpFPredicate::OEQ, m,
        laneConst(-std::numeric_limits<float>::infinity()));
    return arith::SelectOp::create(b, none, laneConst(0.0f), m);
  }

  Type f32, i32;
  VectorType lane, laneI32;
};

//===----------------------------------------------------------------------===//
// attn.token_scores
//===----------------------------------------------------------------------===//

Value Builder::lowerScores(attn::TokenScoresOp op) {
  ArrayRef<int64_t> qs = op.getQuery().getType().getShape();
  ArrayRef<int64_t> ks = op.getKey().getType().getShape();
  int64_t batch = qs[0], heads = qs[1], lq = qs[2], d = qs[3];
  int64_t kvHeads = ks[1], lk = ks[2], group = heads / kvHeads;
  int64_t probe = int64_t(op.getProbe()), stride = int64_t(op.getStride());
  // Probe rows: rows 0, stride, ... below the last `probe`, then the last
  // `probe` rows. Their number is known at compile time.
  int64_t strided = stride > 0 ? (lq - probe + stride - 1) / stride : 0;
  int64_t numProbe = strided + probe;
  int64_t numBlocks = (numProbe + kLanes - 1) / kLanes;
  bool causal = op.getCausal();
  float scale = op.getScale().convertToFloat();
  float negInf = -std::numeric_limits<float>::infinity();

  Value q = buffer(op.getQuery()), k = buffer(op.getKey());
  // Per head column sums, reduced over the heads afterwards (the heads run
  // in parallel and must not add into one row).
  Value partial = alloc({batch * heads, lk}, f32);
  parallel({batch * heads}, [&](ValueRange ivs) {
    Value bh = ivs[0];
    Value bi = arith::DivUIOp::create(b, bh, idx(heads));
    Value h = arith::RemUIOp::create(b, bh, idx(heads));
    Value kh = arith::DivUIOp::create(b, h, idx(group));
    Value qt = alloc({d, kLanes}, f32);
    // Rounded up: pass 1 writes whole steps of kKeysPerStep keys.
    Value probs = alloc(
        {(lk + kKeysPerStep - 1) / kKeysPerStep * kKeysPerStep, kLanes}, f32);
    forLoop(idx(0), idx(lk), [&](Value j) {
      memref::StoreOp::create(b, f32Const(0.0f), partial, ValueRange{bh, j});
    });
    forLoop(idx(0), idx(numBlocks), [&](Value blk) {
      // Each lane's query row and the last key it sees (-1: none).
      SmallVector<Value> rows, limits;
      for (int64_t x = 0; x < kLanes; ++x) {
        Value t = add(mul(blk, idx(kLanes)), idx(x));
        Value isStrided = cmp(arith::CmpIPredicate::slt, t, idx(strided));
        Value row = arith::SelectOp::create(
            b, isStrided, mul(t, idx(std::max<int64_t>(stride, 1))),
            add(t, idx(lq - probe - strided)));
        Value valid = cmp(arith::CmpIPredicate::slt, t, idx(numProbe));
        row = minIdx(row, idx(lq - 1));
        rows.push_back(row);
        Value last =
            causal ? minIdx(add(row, idx(lk - lq)), idx(lk - 1)) : idx(lk - 1);
        limits.push_back(
            toI32(arith::SelectOp::create(b, valid, last, idx(-1))));
      }
      transposeQueries(qt, q, bi, h, rows, d);
      Value limit = vector::FromElementsOp::create(b, laneI32, limits);
      // Pass 1: scores (masked) and their max per lane, kKeysPerStep keys
      // at a time (rows past the keys read the last key and are masked).
      Value m = forLoop(
          idx(0), idx(lk), idx(kKeysPerStep), {laneConst(negInf)},
          [&](Value j0, ValueRange acc) {
            SmallVector<Value> rows;
            for (int64_t u = 0; u < kKeysPerStep; ++u)
              rows.push_back(minIdx(add(j0, idx(u)), idx(lk - 1)));
            SmallVector<Value> scores =
                keyScores(qt, k, bi, kh, rows, d, scale);
            Value mx = acc[0];
            for (int64_t u = 0; u < kKeysPerStep; ++u) {
              Value j = add(j0, idx(u));
              Value keep =
                  cmp(arith::CmpIPredicate::sle,
                      vector::BroadcastOp::create(b, laneI32, toI32(j)), limit);
              Value s = arith::SelectOp::create(b, keep, scores[u],
                                                laneConst(negInf));
              vector::StoreOp::create(b, s, probs, ValueRange{j, idx(0)});
              mx = arith::MaximumFOp::create(b, mx, s);
            }
            return SmallVector<Value>{mx};
          })[0];
      m = safeMax(m);
      // Pass 2: exponentials and their sum per lane (flash's exp of
      // non-positive arguments; masked scores, -inf, give 0).
      Value l = forLoop(
          idx(0), idx(lk), idx(1), {laneConst(0.0f)},
          [&](Value j, ValueRange acc) {
            Value s =
                vector::LoadOp::create(b, lane, probs, ValueRange{j, idx(0)});
            Value e = expNonPositive(arith::SubFOp::create(b, s, m));
            e = arith::SelectOp::create(
                b,
                arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, s,
                                      laneConst(negInf)),
                laneConst(0.0f), e);
            vector::StoreOp::create(b, e, probs, ValueRange{j, idx(0)});
            return SmallVector<Value>{arith::AddFOp::create(b, acc[0], e)};
          })[0];
      Value empty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l,
                                          laneConst(0.0f));
      Value inv =
          arith::SelectOp::create(b, empty, laneConst(0.0f),
                                  arith::DivFOp::create(b, laneConst(1.0f), l));
      // Pass 3: the probabilities, summed over the probe rows, per key.
      forLoop(idx(0), idx(lk), [&](Value j) {
        Value p = arith::MulFOp::create(
            b, vector::LoadOp::create(b, lane, probs, ValueRange{j, idx(0)}),
            inv);
        Value sum = vector::ReductionOp::create(
            b, vector::CombiningKind::ADD, p, arith::FastMathFlags::reassoc);
        Value old = memref::LoadOp::create(b, partial, ValueRange{bh, j});
        memref::StoreOp::create(b, arith::AddFOp::create(b, old, sum), partial,
                                ValueRange{bh, j});
      });
    });
  });

  // Reduce over the heads and divide by H * n_j, n_j the probe rows that see
  // key j: the last `probe` rows see it from row j - (Lk - Lq) on, the
  // strided rows t * stride likewise.
  Value scores = alloc({batch, lk}, f32);
  forLoop(idx(0), idx(batch), [&](Value bi) {
    forLoop(idx(0), idx(lk), [&](Value j) {
      Value sum = forLoop(
          idx(0), idx(heads), idx(1), {f32Const(0.0f)},
          [&](Value h, ValueRange acc) {
            Value x = memref::LoadOp::create(
                b, partial, ValueRange{add(mul(bi, idx(heads)), h), j});
            return SmallVector<Value>{arith::AddFOp::create(b, acc[0], x)};
          })[0];
      Value seeing = idx(numProbe);
      if (causal) {
        Value first = maxIdx(sub(j, idx(lk - lq)), idx(0));
        Value recent = sub(idx(lq), maxIdx(first, idx(lq - probe)));
        seeing = recent;
        if (strided > 0) {
          // Strided rows t * stride >= first: t >= ceil(first / stride).
          Value from = arith::CeilDivUIOp::create(b, first, idx(stride));
          seeing = add(seeing, maxIdx(sub(idx(strided), from), idx(0)));
        }
      }
      Value n = arith::UIToFPOp::create(b, f32, toI32(mul(seeing, idx(heads))));
      Value zero = cmp(arith::CmpIPredicate::eq, seeing, idx(0));
      Value score = arith::SelectOp::create(b, zero, f32Const(0.0f),
                                            arith::DivFOp::create(b, sum, n));
      memref::StoreOp::create(b, score, scores, ValueRange{bi, j});
    });
  });
  return toTensor(scores);
}

//===----------------------------------------------------------------------===//
// attn.select_tokens
//===----------------------------------------------------------------------===//

SmallVector<Value> Builder::lowerSelect(attn::SelectTokensOp op) {
  ArrayRef<int64_t> shape = op.getScores().getType().getShape();
  int64_t batch = shape[0], length = shape[1];
  int64_t sinks = int64_t(op.getSinks()), recent = int64_t(op.getRecent());
  double tau = op.getTau().convertToFloat();
  Type f64 = b.getF64Type();
  Value s = buffer(op.getScores());
  Value indices = alloc({batch, length}, i32);
  Value counts = alloc({batch}, i32);
  Value zeroI32 = arith::ConstantOp::create(b, b.getI32IntegerAttr(0));
  Value zeroF64 = arith::ConstantOp::create(b, b.getF64FloatAttr(0.0));

  forLoop(idx(0), idx(batch), [&](Value bi) {
    auto score = [&](Value j) {
      return memref::LoadOp::create(b, s, ValueRange{bi, j}).getResult();
    };
    auto bits = [&](Value x) {
      return arith::BitcastOp::create(b, i32, x).getResult();
    };
    auto forced = [&](Value j) {
      return arith::OrIOp::create(
                 b, cmp(arith::CmpIPredicate::slt, j, idx(sinks)),
                 cmp(arith::CmpIPredicate::sge, j, idx(length - recent)))
          .getResult();
    };
    Value keepAll = arith::ConstantOp::create(b, b.getBoolAttr(tau >= 1.0));
    Value rem = zeroF64;
    Value pivot = zeroI32, need = zeroF64;
    if (tau < 1.0) {
      // rem: the mass the non-forced tokens must add to reach tau * total.
      auto sums = forLoop(idx(0), idx(length), idx(1), {zeroF64, zeroF64},
                          [&](Value j, ValueRange acc) {
                            Value x = arith::ExtFOp::create(b, f64, score(j));
                            Value total = arith::AddFOp::create(b, acc[0], x);
                            Value f = arith::SelectOp::create(
                                b, forced(j),
                                arith::AddFOp::create(b, acc[1], x), acc[1]);
                            return SmallVector<Value>{total, f};
                          });
      Value target = arith::MulFOp::create(
          b, sums[0], arith::ConstantOp::create(b, b.getF64FloatAttr(tau)));
      rem = arith::SubFOp::create(b, target, sums[1]);
      // The largest bit pattern v with S(v) = (sum of the non-forced scores
      // whose pattern is >= v) >= rem, one bit at a time from the top.
      auto massFrom = [&](Value v, arith::CmpIPredicate pred) {
        return forLoop(
            idx(0), idx(length), idx(1), {zeroF64},
            [&](Value j, ValueRange acc) {
              Value x = score(j);
              Value in = arith::AndIOp::create(
                  b, cmp(pred, bits(x), v),
                  arith::XOrIOp::create(
                      b, forced(j),
                      arith::ConstantOp::create(b, b.getBoolAttr(true))));
              Value y = arith::SelectOp::create(
                  b, in, arith::ExtFOp::create(b, f64, x), zeroF64);
              return SmallVector<Value>{arith::AddFOp::create(b, acc[0], y)};
            })[0];
      };
      pivot = forLoop(
          idx(0), idx(31), idx(1), {zeroI32}, [&](Value t, ValueRange acc) {
            Value bit = arith::ShLIOp::create(
                b, arith::ConstantOp::create(b, b.getI32IntegerAttr(1)),
                toI32(sub(idx(30), t)));
            Value cand = arith::OrIOp::create(b, acc[0], bit);
            Value mass = massFrom(cand, arith::CmpIPredicate::sge);
            Value enough =
                arith::CmpFOp::create(b, arith::CmpFPredicate::OGE, mass, rem);
            return SmallVector<Value>{
                arith::SelectOp::create(b, enough, cand, acc[0])};
          })[0];
      need = arith::SubFOp::create(b, rem,
                                   massFrom(pivot, arith::CmpIPredicate::sgt));
    }
    Value any =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, rem, zeroF64);
    // One pass in index order: forced tokens, tokens above the pivot, and
    // tokens equal to it while the remaining mass still needs them.
    auto result =
        forLoop(idx(0), idx(length), idx(1), {zeroI32, zeroF64},
                [&](Value j, ValueRange acc) {
                  Value x = score(j);
                  Value above = cmp(arith::CmpIPredicate::sgt, bits(x), pivot);
                  Value tie = arith::AndIOp::create(
                      b, cmp(arith::CmpIPredicate::eq, bits(x), pivot),
                      arith::CmpFOp::create(b, arith::CmpFPredicate::OLT,
                                            acc[1], need));
                  Value chosen = arith::AndIOp::create(
                      b, any, arith::OrIOp::create(b, above, tie));
                  Value keep = arith::OrIOp::create(
                      b, keepAll, arith::OrIOp::create(b, forced(j), chosen));
                  Value added = arith::SelectOp::create(
                      b, arith::AndIOp::create(b, tie, chosen),
                      arith::AddFOp::create(b, acc[1],
                                            arith::ExtFOp::create(b, f64, x)),
                      acc[1]);
                  ifThen(keep, [&] {
                    memref::StoreOp::create(b, toI32(j), indices,
                                            ValueRange{bi, toIndex(acc[0])});
                  });
                  Value next = arith::SelectOp::create(
                      b, keep,
                      arith::AddIOp::create(
                          b, acc[0],
                          arith::ConstantOp::create(b, b.getI32IntegerAttr(1))),
                      acc[0]);
                  return SmallVector<Value>{next, added};
                });
    Value count = result[0];
    forLoop(toIndex(count), idx(length), [&](Value j) {
      memref::StoreOp::create(b, zeroI32, indices, ValueRange{bi, j});
    });
    memref::StoreOp::create(b, count, counts, ValueRange{bi});
  });
  return {toTensor(indices), toTensor(counts)};
}

//===----------------------------------------------------------------------===//
// attn.gather_tokens, attn.scatter_tokens
//===----------------------------------------------------------------------===//

Value Builder::lowerGather(attn::GatherTokensOp op) {
  return gatherRows(op.getSource(), op.getIndices(), op.getCount(),
                    op.getSource().getType().getShape());
}

/// out[b, h, r] = source[b, h, indices[b, r]] for r < count[b], into a
/// buffer of `outShape` (as many rows as the source, or more: a cache).
Value Builder::gatherRows(Value source, Value indices, Value count,
                          ArrayRef<int64_t> outShape) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(source.getType()).getShape();
  int64_t length = shape[2], d = shape[3];
  Value src = buffer(source), ind = buffer(indices), cnt = buffer(count);
  Value out = alloc(outShape, f32);
  // Only the kept rows are written: the rows from the count on are
  // unspecified, and attn.kept_attention never reads them.
  parallel({shape[0], shape[1]}, [&](ValueRange ivs) {
    Value bi = ivs[0], h = ivs[1];
    Value n = clampedCount(cnt, bi, length);
    forLoop(idx(0), n, [&](Value r) {
      Value j = toIndex(memref::LoadOp::create(b, ind, ValueRange{bi, r}));
      Value ok =
          arith::AndIOp::create(b, cmp(arith::CmpIPredicate::sge, j, idx(0)),
                                cmp(arith::CmpIPredicate::slt, j, idx(length)));
      Value safe = arith::SelectOp::create(b, ok, j, idx(0));
      Value row = readRow(src, bi, h, safe, d);
      row = arith::SelectOp::create(
          b, ok, row,
          arith::ConstantOp::create(
              b, DenseElementsAttr::get(VectorType::get({d}, f32), 0.0f)));
      writeRow(row, out, bi, h, r);
    });
  });
  return toTensor(out);
}

Value Builder::lowerScatter(attn::ScatterTokensOp op) {
  ArrayRef<int64_t> shape = op.getSource().getType().getShape();
  int64_t length = shape[2], d = shape[3];
  Value src = buffer(op.getSource()), ind = buffer(op.getIndices()),
        cnt = buffer(op.getCount());
  Value out = alloc(shape, f32);
  Value zeros = arith::ConstantOp::create(
      b, DenseElementsAttr::get(VectorType::get({d}, f32), 0.0f));
  parallel({shape[0], shape[1]}, [&](ValueRange ivs) {
    Value bi = ivs[0], h = ivs[1];
    forLoop(idx(0), idx(length),
            [&](Value r) { writeRow(zeros, out, bi, h, r); });
    Value n =
        maxIdx(minIdx(toIndex(memref::LoadOp::create(b, cnt, bi)), idx(length)),
               idx(0));
    forLoop(idx(0), n, [&](Value r) {
      Value j = toIndex(memref::LoadOp::create(b, ind, ValueRange{bi, r}));
      Value ok =
          arith::AndIOp::create(b, cmp(arith::CmpIPredicate::sge, j, idx(0)),
                                cmp(arith::CmpIPredicate::slt, j, idx(length)));
      ifThen(ok, [&] { writeRow(readRow(src, bi, h, r, d), out, bi, h, j); });
    });
  });
  return toTensor(out);
}

//===----------------------------------------------------------------------===//
// The KV cache: attn.cache_compact, attn.cache_append, attn.cache_attention
//===----------------------------------------------------------------------===//

Value Builder::lowerCompact(attn::CacheCompactOp op) {
  return gatherRows(op.getSource(), op.getIndices(), op.getCount(),
                    op.getResult().getType().getShape());
}

/// With `fused`, the cached rows are not copied here: the attention that
/// reads them copies each row as it reads it (one pass over the cache
/// instead of a copy and a second read); `fused` gets the buffers.
///
/// In place: when the caller passes the same buffer as a cache input and
/// its output (docs/abi.md, "KV cache"), the cached rows are already where
/// they belong and only the new row is written: a decode step then reads
/// the cache once and writes one row. The test is on the pointers at run
/// time, so separate buffers keep working (the rows are copied).
SmallVector<Value> Builder::lowerAppend(attn::CacheAppendOp op,
                                        AppendBuffers *fused) {
  ArrayRef<int64_t> ks = op.getKeyCache().getType().getShape();
  ArrayRef<int64_t> vs = op.getValueCache().getType().getShape();
  int64_t batch = ks[0], heads = ks[1], capacity = ks[2];
  Value kc = buffer(op.getKeyCache()), vc = buffer(op.getValueCache()),
        cnt = buffer(op.getCount()), nk = buffer(op.getNewKey()),
        nv = buffer(op.getNewValue());
  // The status check (docs/abi.md): every batch index has room. ExportEntry
  // turns it into the entry point's status; the writes below are guarded
  // on their own, so a full cache is never written past its capacity.
  Value room = arith::ConstantOp::create(b, b.getBoolAttr(true));
  for (int64_t bi = 0; bi < batch; ++bi)
    room = arith::AndIOp::create(
        b, room,
        cmp(arith::CmpIPredicate::slt,
            toIndex(memref::LoadOp::create(b, cnt, idx(bi))), idx(capacity)));
  cf::AssertOp::create(
      b, room,
      llvm::formatv("attn.cache_append: the KV cache is full ({0} tokens)",
                    capacity)
          .str());

  Value outK = alloc(ks, f32), outV = alloc(vs, f32);
  Value outN = alloc({batch}, i32);
  // After bufferization the results are the caller's output buffers (the
  // copies into them are elided), so these compare the caller's pointers.
  auto differ = [&](Value x, Value y) {
    return cmp(arith::CmpIPredicate::ne,
               memref::ExtractAlignedPointerAsIndexOp::create(b, x),
               memref::ExtractAlignedPointerAsIndexOp::create(b, y));
  };
  Value copyK = differ(kc, outK), copyV = differ(vc, outV);
  // The cached rows are copied (the caller's cache is an input, only read)
  // up to the count: the copy is proportional to the tokens held.
  parallel({batch, heads}, [&](ValueRange ivs) {
    Value bi = ivs[0], h = ivs[1];
    Value n = clampedCount(cnt, bi, capacity);
    if (!fused) {
      ifThen(copyK, [&] {
        forLoop(idx(0), n, [&](Value r) {
          writeRow(readRow(kc, bi, h, r, ks[3]), outK, bi, h, r);
        });
      });
      ifThen(copyV, [&] {
        forLoop(idx(0), n, [&](Value r) {
          writeRow(readRow(vc, bi, h, r, vs[3]), outV, bi, h, r);
        });
      });
    }
    ifThen(cmp(arith::CmpIPredicate::slt, n, idx(capacity)), [&] {
      writeRow(readRow(nk, bi, h, idx(0), ks[3]), outK, bi, h, n);
      writeRow(readRow(nv, bi, h, idx(0), vs[3]), outV, bi, h, n);
    });
  });
  auto writeCounts = [this, batch, capacity, cnt, outN] {
    forLoop(idx(0), idx(batch), [&](Value bi) {
      Value c = memref::LoadOp::create(b, cnt, bi);
      Value n = clampedCount(cnt, bi, capacity);
      Value full = cmp(arith::CmpIPredicate::sge, n, idx(capacity));
      Value next = arith::SelectOp::create(b, full, c, toI32(add(n, idx(1))));
      memref::StoreOp::create(b, next, outN, ValueRange{bi});
    });
  };
  if (fused)
    *fused = {kc, vc, cnt, outK, outV, copyK, copyV, writeCounts};
  else
    writeCounts();
  return {toTensor(outK), toTensor(outV), toTensor(outN)};
}

Value Builder::lowerCacheAttention(attn::CacheAttentionOp op,
                                   const AppendBuffers *fused) {
  ArrayRef<int64_t> qs = op.getQuery().getType().getShape();
  ArrayRef<int64_t> ks = op.getKeyCache().getType().getShape();
  int64_t batch = qs[0], heads = qs[1], lq = qs[2], d = qs[3];
  int64_t group = heads / ks[1], capacity = ks[2];
  int64_t dv = op.getValueCache().getType().getShape()[3];
  float scale = op.getScale().convertToFloat();
  Value q = buffer(op.getQuery());
  // Fused with the append: the cached rows come from the append's input
  // cache (and are copied into its result by the first head of each KV
  // head's group, with the first query); the new token's row, written by
  // the append, from its result.
  Value kc = fused ? fused->keyCache : buffer(op.getKeyCache());
  Value vc = fused ? fused->valueCache : buffer(op.getValueCache());
  Value cnt = fused ? fused->count : buffer(op.getCount());
  Value out = alloc({batch, heads, lq, dv}, f32);
  VectorType rowType = VectorType::get({dv}, f32);
  Value zeroRow =
      arith::ConstantOp::create(b, DenseElementsAttr::get(rowType, 0.0f));
  // Two passes over the cached tokens, both bounded by the count: the
  // scores and their max, then exponentials, their sum and P V.
  parallel({batch * heads}, [&](ValueRange ivs) {
    Value bi = arith::DivUIOp::create(b, ivs[0], idx(heads));
    Value h = arith::RemUIOp::create(b, ivs[0], idx(heads));
    Value kh = arith::DivUIOp::create(b, h, idx(group));
    Value n = clampedCount(cnt, bi, capacity);
    Value room = cmp(arith::CmpIPredicate::slt, n, idx(capacity));
    Value leader = cmp(arith::CmpIPredicate::eq,
                       arith::RemUIOp::create(b, h, idx(group)), idx(0));
    Value probs = alloc({capacity}, f32); // per worker
    forLoop(idx(0), idx(lq), [&](Value i) {
      Value first = arith::AndIOp::create(
          b, leader, cmp(arith::CmpIPredicate::eq, i, idx(0)));
      Value copyK =
          fused ? arith::AndIOp::create(b, first, fused->copyKeys) : first;
      Value copyV =
          fused ? arith::AndIOp::create(b, first, fused->copyValues) : first;
      Value qRow = arith::MulFOp::create(
          b, readRow(q, bi, h, i, d),
          arith::ConstantOp::create(
              b, DenseElementsAttr::get(VectorType::get({d}, f32), scale)));
      auto score = [&](Value kRow, Value j, Value m) -> Value {
        Value prod = arith::MulFOp::create(b, qRow, kRow);
        Value s = vector::ReductionOp::create(
            b, vector::CombiningKind::ADD, prod, arith::FastMathFlags::reassoc);
        memref::StoreOp::create(b, s, probs, ValueRange{j});
        return arith::MaximumFOp::create(b, m, s);
      };
      Value m = forLoop(idx(0), n, idx(1),
                        {f32Const(-std::numeric_limits<float>::infinity())},
                        [&](Value j, ValueRange acc) {
                          Value kRow = readRow(kc, bi, kh, j, d);
                          if (fused)
                            ifThen(copyK, [&] {
                              writeRow(kRow, fused->newKeyCache, bi, kh, j);
                            });
                          return SmallVector<Value>{score(kRow, j, acc[0])};
                        })[0];
      if (fused)
        m = ifElse(
            room, {f32},
            [&] {
              return SmallVector<Value>{
                  score(readRow(fused->newKeyCache, bi, kh, n, d), n, m)};
            },
            [&] { return SmallVector<Value>{m}; })[0];
      auto accumulate = [&](Value vRow, Value j,
                            ValueRange acc) -> SmallVector<Value> {
        Value e = math::ExpOp::create(
            b, arith::SubFOp::create(
                   b, memref::LoadOp::create(b, probs, ValueRange{j}), m));
        Value o = vector::FMAOp::create(
            b, vector::BroadcastOp::create(b, rowType, e), vRow, acc[1]);
        return {arith::AddFOp::create(b, acc[0], e), o};
      };
      SmallVector<Value> sums = llvm::to_vector(
          forLoop(idx(0), n, idx(1), {f32Const(0.0f), zeroRow},
                  [&](Value j, ValueRange acc) {
                    Value vRow = readRow(vc, bi, kh, j, dv);
                    if (fused)
                      ifThen(copyV, [&] {
                        writeRow(vRow, fused->newValueCache, bi, kh, j);
                      });
                    return accumulate(vRow, j, acc);
                  }));
      if (fused)
        sums = llvm::to_vector(ifElse(
            room, {f32, rowType},
            [&] {
              return accumulate(readRow(fused->newValueCache, bi, kh, n, dv), n,
                                sums);
            },
            [&] { return sums; }));
      // No cached token: l = 0 and the row is zero.
      Value empty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sums[0],
                                          f32Const(0.0f));
      Value inv = arith::SelectOp::create(
          b, empty, f32Const(0.0f),
          arith::DivFOp::create(b, f32Const(1.0f), sums[0]));
      writeRow(arith::MulFOp::create(
                   b, sums[1], vector::BroadcastOp::create(b, rowType, inv)),
               out, bi, h, i);
    });
  });
  return toTensor(out);
}

/// The attn.cache_attention that reads all three results of `append` and
/// can be fused with it: the first user in the block, every other user
/// after it (the fused code sits at the attention).
static attn::CacheAttentionOp fusedAttention(attn::CacheAppendOp append) {
  Operation *earliest = nullptr;
  for (Operation *user : append->getUsers()) {
    if (user->getBlock() != append->getBlock())
      return {};
    if (!earliest || user->isBeforeInBlock(earliest))
      earliest = user;
  }
  auto first = dyn_cast_or_null<attn::CacheAttentionOp>(earliest);
  if (!first || first.getKeyCache() != append.getNewKeyCache() ||
      first.getValueCache() != append.getNewValueCache() ||
      first.getCount() != append.getNewCount())
    return {};
  for (Operation *user : append->getUsers())
    if (user != first && !first->isBeforeInBlock(user))
      return {};
  return first;
}

struct LowerTokenSparsePass final
    : sieve::impl::LowerTokenSparseBase<LowerTokenSparsePass> {
  /// attn.cache_append's run-time check is a cf.assert.
  void getDependentDialects(DialectRegistry &registry) const override {
    LowerTokenSparseBase::getDependentDialects(registry);
    registry.insert<cf::ControlFlowDialect>();
  }

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<attn::TokenScoresOp, attn::SelectTokensOp, attn::GatherTokensOp,
              attn::ScatterTokensOp, attn::CacheCompactOp, attn::CacheAppendOp,
              attn::CacheAttentionOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      ImplicitLocOpBuilder ib(op->getLoc(), op);
      Builder builder(ib);
      SmallVector<Value> results;
      // An append read by one decode attention is lowered with it, at the
      // attention: one pass over the cache reads, copies and attends.
      if (auto append = dyn_cast<attn::CacheAppendOp>(op);
          append && fusedAttention(append))
        continue;
      if (auto att = dyn_cast<attn::CacheAttentionOp>(op)) {
        auto append = att.getKeyCache().getDefiningOp<attn::CacheAppendOp>();
        if (append && fusedAttention(append) == att) {
          Builder::AppendBuffers buffers;
          SmallVector<Value> appended = builder.lowerAppend(append, &buffers);
          Value result = builder.lowerCacheAttention(att, &buffers);
          buffers.writeCounts();
          append->replaceAllUsesWith(appended);
          att->replaceAllUsesWith(ValueRange{result});
          att->erase();
          append->erase();
          continue;
        }
      }
      if (auto x = dyn_cast<attn::TokenScoresOp>(op))
        results.push_back(builder.lowerScores(x));
      else if (auto x = dyn_cast<attn::SelectTokensOp>(op))
        results = builder.lowerSelect(x);
      else if (auto x = dyn_cast<attn::GatherTokensOp>(op))
        results.push_back(builder.lowerGather(x));
      else if (auto x = dyn_cast<attn::ScatterTokensOp>(op))
        results.push_back(builder.lowerScatter(x));
      else if (auto x = dyn_cast<attn::CacheCompactOp>(op))
        results.push_back(builder.lowerCompact(x));
      else if (auto x = dyn_cast<attn::CacheAppendOp>(op))
        results = builder.lowerAppend(x);
      else
        results.push_back(
            builder.lowerCacheAttention(cast<attn::CacheAttentionOp>(op)));
      op->replaceAllUsesWith(results);
      op->erase();
    }
  }
};

} // namespace
