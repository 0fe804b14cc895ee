//===- AttnLogSparse.cpp - Dense causal attention to LogSparse ------------===//
//
// Part of Sieve. LogSparse attention (Li et al. 2019) keeps O(log L) of the
// L causal keys of each query; on request it replaces a model's dense causal
// attention, which changes the model (hence a warning per op). The pattern
// and its pair counts come from sieve::AttentionPattern, like everywhere
// else.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/AttentionError.h"
#include "sieve/Analysis/AttentionPattern.h"
#include "sieve/Dialect/Attn/IR/AttnOps.h"
#include "sieve/Transforms/Passes.h"

#include "llvm/Support/FormatVariadic.h"

namespace sieve {
#define GEN_PASS_DEF_ATTNLOGSPARSE
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

struct AttnLogSparsePass final
    : sieve::impl::AttnLogSparseBase<AttnLogSparsePass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<AttentionPattern> pattern = getPattern();
    if (!pattern)
      return signalPassFailure();
    SmallVector<attn::AttentionOp> ops;
    getOperation().walk([&](attn::AttentionOp op) { ops.push_back(op); });
    for (attn::AttentionOp op : ops)
      if (failed(rewrite(op, *pattern)))
        return signalPassFailure();
  }

  /// The pattern the options ask for, or an error on the function.
  std::optional<AttentionPattern> getPattern() {
    auto error = [&] {
      return getOperation().emitError("sieve-attn-logsparse: ");
    };
    if (variant == "plain") {
      if (window != 0) {
        error() << "window=" << static_cast<int64_t>(window)
                << " needs variant=local or variant=restart";
        return std::nullopt;
      }
      return AttentionPattern::logSparse();
    }
    if (variant != "local" && variant != "restart") {
      error() << "unknown variant '" << variant
              << "'; expected plain, local or restart";
      return std::nullopt;
    }
    if (window < 1) {
      error() << "variant=" << variant << " needs window >= 1, got "
              << static_cast<int64_t>(window);
      return std::nullopt;
    }
    return variant == "local" ? AttentionPattern::logSparseLocal(window)
                              : AttentionPattern::logSparseRestart(window);
  }

  LogicalResult rewrite(attn::AttentionOp op, const AttentionPattern &pattern) {
    if (!op.getCausal())
      return op.emitError("LogSparse attention needs a causal attention: "
                          "this one lets queries see later keys, which a "
                          "causal pattern would remove");
    if (op.getMask())
      return op.emitError("LogSparse attention replaces the mask: this "
                          "attention has a mask operand, which would be lost");
    auto dims = attn::getAttentionDims(op.getQuery().getType().getRank(),
                                       op.getLayout());
    int64_t lq = op.getQuery().getType().getDimSize(dims.length);
    int64_t lk = op.getKey().getType().getDimSize(dims.length);
    if (ShapedType::isDynamic(lq) || ShapedType::isDynamic(lk))
      return op.emitError("LogSparse attention needs static lengths, got ")
             << lq << " queries and " << lk << " keys";
    if (pattern.getSize() > lk)
      return op.emitError("window ")
             << pattern.getSize() << " is larger than the " << lk
             << " keys of this attention";

    int64_t depth = op.getQuery().getType().getDimSize(dims.depth);
    int64_t valueDepth = op.getValue().getType().getDimSize(dims.depth);
    if (ShapedType::isDynamic(depth) || ShapedType::isDynamic(valueDepth))
      return op.emitError("LogSparse attention needs static head depths, got ")
             << depth << " and " << valueDepth;

    int64_t pairs = pattern.numPairs(lq, lk);
    int64_t causalPairs = AttentionPattern::numCausalPairs(lq, lk);
    // How much the model changes, on seeded random inputs of this shape (the
    // real Q, K, V only exist at run time); the report carries it.
    AttentionErrorEstimate error = estimateErrorAgainstDense(
        pattern, lq, lk, depth, valueDepth, op.getScale().convertToDouble());
    op.emitWarning("LogSparse attention (")
        << pattern.describe() << ") changes the model: each head computes "
        << pairs << " of the " << causalPairs << " causal (query, key) pairs ("
        << llvm::formatv("{0:F1}", double(causalPairs) / pairs).str()
        << "x fewer); relative error against dense on random inputs: max "
        << llvm::formatv("{0:F3}", error.maxRelError).str() << ", mean "
        << llvm::formatv("{0:F3}", error.meanRelError).str() << ", RMS "
        << llvm::formatv("{0:F3}", error.rmsError).str()
        << " (unit-variance V) over " << error.rows << " query rows";

    OpBuilder builder(op);
    auto sparse = attn::SparseAttentionOp::create(
        builder, op.getLoc(), op.getType(), op.getQuery(), op.getKey(),
        op.getValue(), attn::getPatternAttr(op.getContext(), pattern),
        op.getScaleAttr(), op.getLayoutAttr());
    sparse->setAttr("attn.from_dense", builder.getUnitAttr());
    sparse->setAttr(
        "attn.dense_error",
        builder.getDictionaryAttr({
            builder.getNamedAttr("max_rel",
                                 builder.getF64FloatAttr(error.maxRelError)),
            builder.getNamedAttr("mean_rel",
                                 builder.getF64FloatAttr(error.meanRelError)),
            builder.getNamedAttr("rms",
                                 builder.getF64FloatAttr(error.rmsError)),
            builder.getNamedAttr("rows", builder.getI64IntegerAttr(error.rows)),
            builder.getNamedAttr("seed", builder.getI64IntegerAttr(error.seed)),
        }));
    op.replaceAllUsesWith(sparse.getResult());
    op.erase();
    return success();
  }
};

} // namespace
