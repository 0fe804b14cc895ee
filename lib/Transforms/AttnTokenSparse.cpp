//===- AttnTokenSparse.cpp - Dense attention to token-sparse attention ----===//
//
// Part of Sieve. ZipVL (He et al. 2024): a few probe queries score every
// token, the smallest set of tokens holding a fraction tau of the score is
// kept (plus sinks and a recent window), and dense attention runs among the
// kept tokens only. Queries that were not kept get zeros (through the
// residual connection the token passes the layer unchanged). This changes
// the model, hence a warning per op. docs/token-sparse.md.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Attn/IR/AttnOps.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>

namespace sieve {
#define GEN_PASS_DEF_ATTNTOKENSPARSE
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// tau as written (0.97, not 9.700000e-01).
std::string formatTau(double tau) {
  char text[32];
  snprintf(text, sizeof(text), "%g", tau);
  return text;
}

struct AttnTokenSparsePass final
    : sieve::impl::AttnTokenSparseBase<AttnTokenSparsePass> {
  using Base::Base;

  void runOnOperation() override {
    auto error = [&] {
      return getOperation().emitError("sieve-attn-token-sparse: ");
    };
    if (!(tau > 0.0 && tau <= 1.0)) {
      error() << "tau must be in (0, 1], got " << formatTau(tau);
      return signalPassFailure();
    }
    if (probe < 1) {
      error() << "probe must be >= 1 query, got " << int64_t(probe);
      return signalPassFailure();
    }
    if (sinks < 0 || recent < 0 || stride < 0) {
      error() << "sinks, recent and stride must be >= 0";
      return signalPassFailure();
    }
    SmallVector<attn::AttentionOp> ops;
    getOperation().walk([&](attn::AttentionOp op) { ops.push_back(op); });
    for (attn::AttentionOp op : ops)
      if (failed(rewrite(op)))
        return signalPassFailure();
  }

  LogicalResult rewrite(attn::AttentionOp op) {
    RankedTensorType qType = op.getQuery().getType();
    int64_t rank = qType.getRank();
    if (op.getMask())
      return op.emitError("token-sparse attention cannot keep a mask operand "
                          "yet (only causal or unmasked attention)");
    if (op.getLayout() != attn::Layout::bhld || (rank != 3 && rank != 4))
      return op.emitError("token-sparse attention needs the bhld layout with "
                          "rank 3 ([H, L, D]) or 4 ([B, H, L, D]), got ")
             << qType;
    for (Value x : {op.getQuery(), op.getKey(), op.getValue()})
      if (!cast<RankedTensorType>(x.getType()).getElementType().isF32() ||
          !cast<RankedTensorType>(x.getType()).hasStaticShape())
        return op.emitError("token-sparse attention needs static f32 "
                            "operands, got ")
               << x.getType();
    if (op->hasAttr("attn.query_conv") || op->hasAttr("attn.key_conv"))
      return op.emitError("token-sparse attention does not take "
                          "convolutional self-attention");
    int64_t lq = qType.getDimSize(rank - 2);
    int64_t lk = op.getKey().getType().getDimSize(rank - 2);
    if (lq != lk)
      return op.emitError("token-sparse prefill needs self-attention (as many "
                          "queries as keys), got ")
             << lq << " queries and " << lk << " keys";
    if (probe > lq)
      return op.emitError("probe=")
             << int64_t(probe) << " is larger than the " << lq << " queries";
    if (sinks + recent > lk)
      return op.emitError("sinks + recent (")
             << int64_t(sinks) << " + " << int64_t(recent) << ") exceed the "
             << lk << " tokens";

    ImplicitLocOpBuilder b(op.getLoc(), op);
    // Rank 3 is one batch: [H, L, D] -> [1, H, L, D] and back.
    auto toRank4 = [&](Value x) -> Value {
      if (rank == 4)
        return x;
      auto type = cast<RankedTensorType>(x.getType());
      SmallVector<int64_t> shape{1};
      llvm::append_range(shape, type.getShape());
      return tensor::ExpandShapeOp::create(
          b, RankedTensorType::get(shape, type.getElementType()), x,
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    };
    Value q = toRank4(op.getQuery()), k = toRank4(op.getKey()),
          v = toRank4(op.getValue());
    ArrayRef<int64_t> qs = cast<RankedTensorType>(q.getType()).getShape();
    int64_t batch = qs[0];
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    bool causal = op.getCausal();

    auto scores = attn::TokenScoresOp::create(
        b, RankedTensorType::get({batch, lk}, f32), q, k, op.getScaleAttr(),
        b.getI64IntegerAttr(probe), b.getI64IntegerAttr(stride),
        causal ? b.getUnitAttr() : UnitAttr());
    auto select = attn::SelectTokensOp::create(
        b, RankedTensorType::get({batch, lk}, i32),
        RankedTensorType::get({batch}, i32), scores,
        b.getF32FloatAttr(static_cast<float>(tau)), b.getI64IntegerAttr(sinks),
        b.getI64IntegerAttr(recent));
    Value indices = select.getIndices(), count = select.getCount();
    auto gather = [&](Value x) -> Value {
      return attn::GatherTokensOp::create(b, x.getType(), x, indices, count);
    };
    Value gq = gather(q), gk = gather(k), gv = gather(v);
    auto vShape = cast<RankedTensorType>(v.getType()).getShape();
    auto keptType = RankedTensorType::get({batch, qs[1], lq, vShape[3]}, f32);
    auto keptOp = attn::KeptAttentionOp::create(
        b, keptType, gq, gk, gv, count, op.getScaleAttr(),
        causal ? b.getUnitAttr() : UnitAttr());
    // For the report (docs/report.md): the options and the least count.
    keptOp->setAttr(
        "attn.token_sparse",
        b.getStringAttr(llvm::formatv(
            "tau={0} probe={1} stride={2} sinks={3} recent={4}", formatTau(tau),
            int64_t(probe), int64_t(stride), int64_t(sinks), int64_t(recent))));
    keptOp->setAttr("attn.kept_min",
                    b.getI64IntegerAttr(std::min<int64_t>(lk, sinks + recent)));
    Value kept = keptOp;
    Value result =
        attn::ScatterTokensOp::create(b, keptType, kept, indices, count);
    if (rank == 3)
      result = tensor::CollapseShapeOp::create(
          b, op.getResult().getType(), result,
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    op.emitWarning("token-sparse attention (ZipVL) changes the model: tau=")
        << formatTau(tau) << " keeps a run-time number of the " << lk
        << " tokens (at most " << lk << "; at least " << sinks + recent
        << "); dropped queries give zeros";
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }
};

} // namespace
