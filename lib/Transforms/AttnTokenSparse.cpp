//===- AttnTokenSparse.cpp - Dense attention to token-sparse attention ----===//
//
// Part of Sieve. ZipVL (He et al. 2024): a few probe queries score every
// token, the smallest set of tokens holding a fraction tau of the score is
// kept (plus sinks and a recent window), and dense attention runs among the
// kept tokens only. Queries that were not kept get zeros (through the
// residual connection the token passes the layer unchanged). This changes
// the model, hence a warning per op. With cache-capacity=C the prefill also
// returns each layer's compacted KV cache and kept count (extra results of
// the function). An exporter's decode step (attention of one query over
// concat(past K/V, the new token's K/V)) becomes attn.cache_append +
// attn.cache_attention over a cache holding the past. docs/token-sparse.md.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Attn/IR/AttnOps.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// `x` [H, L, D] as one batch, [1, H, L, D] (rank-3 attentions).
Value addBatch(ImplicitLocOpBuilder &b, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape{1};
  llvm::append_range(shape, type.getShape());
  return tensor::ExpandShapeOp::create(
      b, RankedTensorType::get(shape, type.getElementType()), x,
      SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
}

/// Shape of `type` with dim `dim` set to `size`.
RankedTensorType withDim(Type type, int64_t dim, int64_t size) {
  auto ranked = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(ranked.getShape());
  shape[dim] = size;
  return RankedTensorType::get(shape, ranked.getElementType());
}

/// An exporter's decode key or value: `concat(past, token)` along the
/// length, seen through the views the exporter put between the concat and
/// the attention (reshapes that keep the length a dim of its own,
/// transposes, broadcasts of the grouped heads).
struct ConcatChain {
  Value past, token; // [.., P, ..] and [.., 1, ..] along `dim`
  int64_t dim = 0;
  SmallVector<Operation *> views; // from the concat towards the attention
};

/// Whether `slice` writes all of its source at `offset` along `dim` and at
/// 0 elsewhere, unstrided.
bool insertsAt(tensor::InsertSliceOp slice, int64_t dim, int64_t offset) {
  if (!slice.hasUnitStride() || !slice.getSourceType().hasStaticShape())
    return false;
  for (auto [d, ofr] : llvm::enumerate(slice.getMixedOffsets())) {
    std::optional<int64_t> at = getConstantIntValue(ofr);
    if (!at || *at != (int64_t(d) == dim ? offset : 0))
      return false;
  }
  // The source fills the destination but for the length.
  auto src = slice.getSourceType(), dst = slice.getResultType();
  for (int64_t d = 0; d < dst.getRank(); ++d)
    if (d != dim && src.getRank() == dst.getRank() &&
        src.getDimSize(d) != dst.getDimSize(d))
      return false;
  return src.getRank() == dst.getRank();
}

/// `value` as the two pieces of a concat along `dim`: a tensor.concat, or
/// what tosa-to-tensor makes of a tosa.concat (the past inserted into an
/// empty tensor at 0, the token inserted after it).
std::optional<std::pair<Value, Value>> concatPieces(Operation *def,
                                                    int64_t dim) {
  Value past, token;
  if (auto concat = dyn_cast<tensor::ConcatOp>(def)) {
    if (int64_t(concat.getDim()) != dim || concat.getInputs().size() != 2)
      return std::nullopt;
    past = concat.getInputs()[0];
    token = concat.getInputs()[1];
  } else if (auto outer = dyn_cast<tensor::InsertSliceOp>(def)) {
    auto inner = outer.getDest().getDefiningOp<tensor::InsertSliceOp>();
    if (!inner || !inner.getDest().getDefiningOp<tensor::EmptyOp>())
      return std::nullopt;
    int64_t length = inner.getSourceType().getDimSize(dim);
    if (!insertsAt(inner, dim, 0) || !insertsAt(outer, dim, length) ||
        outer.getResultType().getDimSize(dim) !=
            length + outer.getSourceType().getDimSize(dim))
      return std::nullopt;
    past = inner.getSource();
    token = outer.getSource();
  } else {
    return std::nullopt;
  }
  if (cast<RankedTensorType>(token.getType()).getDimSize(dim) != 1)
    return std::nullopt;
  return std::make_pair(past, token);
}

/// The chain behind `value`, whose dim `dim` is the length; nullopt if
/// `value` is not such a concat (another axis, more than two pieces, a
/// second piece longer than one token).
std::optional<ConcatChain> findConcat(Value value, int64_t dim) {
  ConcatChain chain;
  while (true) {
    Operation *def = value.getDefiningOp();
    if (!def)
      return std::nullopt;
    // The reassociation group holding `dim` must be `dim` alone (the length
    // is neither merged with nor split into other dims).
    auto singleton = [](ArrayRef<ReassociationIndices> groups, int64_t d,
                        bool inResult) -> std::optional<int64_t> {
      for (auto [g, group] : llvm::enumerate(groups)) {
        if (inResult) {
          if (d == int64_t(g))
            return group.size() == 1 ? std::optional<int64_t>(group[0])
                                     : std::nullopt;
        } else if (llvm::is_contained(group, d)) {
          return group.size() == 1 ? std::optional<int64_t>(g) : std::nullopt;
        }
      }
      return std::nullopt;
    };
    if (std::optional<std::pair<Value, Value>> pieces =
            concatPieces(def, dim)) {
      std::tie(chain.past, chain.token) = *pieces;
      chain.dim = dim;
      std::reverse(chain.views.begin(), chain.views.end());
      return chain;
    }
    std::optional<int64_t> source;
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def))
      source = singleton(collapse.getReassociationIndices(), dim, true);
    else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
      source = singleton(expand.getReassociationIndices(), dim, false);
    else if (auto transpose = dyn_cast<linalg::TransposeOp>(def))
      source = transpose.getPermutation()[dim];
    else if (auto broadcast = dyn_cast<linalg::BroadcastOp>(def)) {
      ArrayRef<int64_t> added = broadcast.getDimensions();
      if (!llvm::is_contained(added, dim))
        source =
            dim - llvm::count_if(added, [&](int64_t d) { return d < dim; });
    }
    if (!source)
      return std::nullopt;
    chain.views.push_back(def);
    value = def->getOperand(0);
    dim = *source;
  }
}

/// The grouped-query broadcast `[.., Hk, L, D] -> [.., Hk, G, L, D]`
/// followed by the collapse of (.., Hk, G) into the query heads: returns the
/// collapse's reassociation without the group dim, so that the KV heads stay
/// Hk (the cache ops read KV head h / G for query head h, which is what the
/// broadcast computes); empty if `views[i]` does not start such a pair.
SmallVector<ReassociationIndices> ungroupedCollapse(ArrayRef<Operation *> views,
                                                    size_t i) {
  auto broadcast = dyn_cast<linalg::BroadcastOp>(views[i]);
  if (!broadcast || broadcast.getDimensions().size() != 1 ||
      i + 1 == views.size())
    return {};
  auto collapse = dyn_cast<tensor::CollapseShapeOp>(views[i + 1]);
  int64_t g = broadcast.getDimensions()[0];
  if (!collapse || g == 0)
    return {};
  SmallVector<ReassociationIndices> groups;
  bool merged = false;
  for (ReassociationIndices group : collapse.getReassociationIndices()) {
    // The group dim must be the innermost of a group holding the KV heads.
    auto it = llvm::find(group, g);
    if (it != group.end()) {
      if (it + 1 != group.end() || it == group.begin() || *(it - 1) != g - 1)
        return {};
      group.erase(it);
      merged = true;
    }
    for (int64_t &d : group)
      if (d > g)
        --d;
    groups.push_back(group);
  }
  return merged ? groups : SmallVector<ReassociationIndices>{};
}

/// Whether the chain has a grouped-query broadcast that replayViews can drop:
/// only collapses and transposes after it (their shapes follow the piece's).
bool canUngroup(const ConcatChain &chain) {
  for (size_t i = 0; i < chain.views.size(); ++i)
    if (!ungroupedCollapse(chain.views, i).empty())
      return llvm::all_of(
          ArrayRef<Operation *>(chain.views).drop_front(i + 2),
          [](Operation *view) {
            return isa<tensor::CollapseShapeOp, linalg::TransposeOp>(view);
          });
  return false;
}

/// `piece` (the past or the token) through the chain's views; with
/// `ungroup` (canUngroup), without the grouped-query broadcast.
Value replayViews(ImplicitLocOpBuilder &b, const ConcatChain &chain,
                  Value piece, bool ungroup) {
  int64_t dim = chain.dim;
  int64_t len = cast<RankedTensorType>(piece.getType()).getDimSize(dim);
  for (size_t i = 0; i < chain.views.size(); ++i) {
    Operation *view = chain.views[i];
    // The view's length dim in its result, as findConcat matched it.
    auto resultType = cast<RankedTensorType>(view->getResult(0).getType());
    SmallVector<ReassociationIndices> ungrouped;
    if (ungroup)
      ungrouped = ungroupedCollapse(chain.views, i);
    if (!ungrouped.empty()) {
      // The piece keeps its Hk heads; its length stays its own group.
      auto pieceType = cast<RankedTensorType>(piece.getType());
      SmallVector<int64_t> shape;
      for (auto [g, group] : llvm::enumerate(ungrouped)) {
        int64_t size = 1;
        for (int64_t d : group)
          size *= pieceType.getDimSize(d);
        if (group.size() == 1 && group[0] == dim)
          dim = g;
        shape.push_back(size);
      }
      piece = tensor::CollapseShapeOp::create(
          b, RankedTensorType::get(shape, pieceType.getElementType()), piece,
          ungrouped);
      ++i;
      continue;
    }
    auto pieceType = cast<RankedTensorType>(piece.getType());
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(view)) {
      // Shapes from the piece's: its heads may be the ungrouped ones.
      SmallVector<int64_t> shape;
      for (auto [g, group] :
           llvm::enumerate(collapse.getReassociationIndices())) {
        if (group.size() == 1 && group[0] == dim)
          dim = g;
        int64_t size = 1;
        for (int64_t d : group)
          size *= pieceType.getDimSize(d);
        shape.push_back(size);
      }
      piece = tensor::CollapseShapeOp::create(
          b, RankedTensorType::get(shape, pieceType.getElementType()), piece,
          collapse.getReassociationIndices());
    } else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(view)) {
      dim = expand.getReassociationIndices()[dim][0];
      piece =
          tensor::ExpandShapeOp::create(b, withDim(resultType, dim, len), piece,
                                        expand.getReassociationIndices());
    } else if (auto transpose = dyn_cast<linalg::TransposeOp>(view)) {
      ArrayRef<int64_t> perm = transpose.getPermutation();
      dim = llvm::find(perm, dim) - perm.begin();
      SmallVector<int64_t> shape;
      for (int64_t d : perm)
        shape.push_back(pieceType.getDimSize(d));
      auto type = RankedTensorType::get(shape, pieceType.getElementType());
      Value init =
          tensor::EmptyOp::create(b, type.getShape(), type.getElementType());
      piece = linalg::TransposeOp::create(b, piece, init, perm)->getResult(0);
    } else {
      auto broadcast = cast<linalg::BroadcastOp>(view);
      SmallVector<int64_t> sorted(broadcast.getDimensions());
      llvm::sort(sorted);
      for (int64_t added : sorted)
        if (added <= dim)
          ++dim;
      auto type = withDim(resultType, dim, len);
      Value init =
          tensor::EmptyOp::create(b, type.getShape(), type.getElementType());
      piece =
          linalg::BroadcastOp::create(b, piece, init, broadcast.getDimensions())
              ->getResult(0);
    }
  }
  return piece;
}

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
    if (cacheCapacity < 0) {
      error() << "cache-capacity must be >= 0 (0: no cache outputs), got "
              << int64_t(cacheCapacity);
      return signalPassFailure();
    }
    SmallVector<attn::AttentionOp> ops;
    getOperation().walk([&](attn::AttentionOp op) { ops.push_back(op); });
    int64_t layer = 0;
    for (attn::AttentionOp op : ops)
      if (failed(rewrite(op, layer)))
        return signalPassFailure();
    if (cacheCapacity > 0 && cacheResults.empty())
      getOperation().emitWarning("cache-capacity=")
          << int64_t(cacheCapacity)
          << " adds no cache results: the function has no prefill attention "
             "(an attn.attention with as many queries as keys)";
    addCacheResults();
  }

  /// Values the prefill returns besides the model's outputs (cache-capacity):
  /// per layer the key cache, the value cache and the kept count, with the
  /// names of their C interface entries.
  SmallVector<std::pair<Value, std::string>> cacheResults;

  /// Appends cacheResults to the function's results (and to the entry's
  /// recorded outputs, so that the C header names them).
  void addCacheResults() {
    if (cacheResults.empty())
      return;
    func::FuncOp func = getOperation();
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    SmallVector<Value> operands(ret.getOperands());
    SmallVector<Type> types(func.getResultTypes());
    auto outputs = func->getAttrOfType<ArrayAttr>(attrs::kOutputs);
    SmallVector<Attribute> described(outputs ? outputs.getValue()
                                             : ArrayRef<Attribute>{});
    Builder b(func.getContext());
    for (auto &[value, name] : cacheResults) {
      operands.push_back(value);
      types.push_back(value.getType());
      described.push_back(
          b.getDictionaryAttr(b.getNamedAttr("name", b.getStringAttr(name))));
    }
    ret->setOperands(operands);
    func.setFunctionType(
        FunctionType::get(func.getContext(), func.getArgumentTypes(), types));
    if (outputs)
      func->setAttr(attrs::kOutputs, b.getArrayAttr(described));
  }

  LogicalResult rewrite(attn::AttentionOp op, int64_t &layer) {
    RankedTensorType qType = op.getQuery().getType();
    int64_t rank = qType.getRank();
    // Fewer queries than keys: a decode step, or it stays dense.
    int64_t lengthDim =
        op.getLayout() == attn::Layout::bhld ? rank - 2 : rank - 3;
    if (qType.getDimSize(lengthDim) !=
        op.getKey().getType().getDimSize(lengthDim))
      return rewriteDecode(op);
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
    if (op.getMask())
      return op.emitError("token-sparse attention cannot keep a mask operand "
                          "yet (only causal or unmasked attention)");
    if (cacheCapacity > 0 && cacheCapacity < lk)
      return op.emitError("cache-capacity=")
             << int64_t(cacheCapacity) << " cannot hold the " << lk
             << " tokens of the prefill";
    if (cacheCapacity > 0 && op->getParentOp() != getOperation().getOperation())
      return op.emitError("token-sparse prefill with cache outputs needs the "
                          "attention at the top level of the function");
    if (probe > lq)
      return op.emitError("probe=")
             << int64_t(probe) << " is larger than the " << lq << " queries";
    if (sinks + recent > lk)
      return op.emitError("sinks + recent (")
             << int64_t(sinks) << " + " << int64_t(recent) << ") exceed the "
             << lk << " tokens";

    ImplicitLocOpBuilder b(op.getLoc(), op);
    // Rank 3 is one batch: [H, L, D] -> [1, H, L, D] and back.
    auto toRank4 = [&](Value x) { return rank == 4 ? x : addBatch(b, x); };
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
    if (cacheCapacity > 0) {
      // ZipVL's eviction: the caches hold the kept tokens only, compacted.
      auto compact = [&](Value x) -> Value {
        auto type = withDim(x.getType(), 2, cacheCapacity);
        return attn::CacheCompactOp::create(b, type, x, indices, count);
      };
      std::string suffix = std::to_string(layer++);
      cacheResults.push_back({compact(k), "key_cache" + suffix});
      cacheResults.push_back({compact(v), "value_cache" + suffix});
      cacheResults.push_back({count, "kept" + suffix});
    }
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

  /// An exporter's decode step: one query over `concat(past, new)` (the
  /// past K/V of a static length P, then the new token's) becomes
  ///   cache = past in a cache of capacity P + 1, count = P
  ///   attn.cache_append (the new token at row P) -> attn.cache_attention
  /// which computes the same values (every cached token is seen). Anything
  /// else with fewer queries than keys stays dense, with a warning.
  LogicalResult rewriteDecode(attn::AttentionOp op) {
    RankedTensorType qType = op.getQuery().getType();
    int64_t rank = qType.getRank();
    auto dense = [&](StringRef why) {
      op.emitWarning("token-sparse: this attention stays dense (")
          << why << ")";
      return success();
    };
    if (op.getLayout() != attn::Layout::bhld || (rank != 3 && rank != 4))
      return dense("a decode step needs the bhld layout with rank 3 or 4");
    for (Value x : {op.getQuery(), op.getKey(), op.getValue()})
      if (!cast<RankedTensorType>(x.getType()).getElementType().isF32() ||
          !cast<RankedTensorType>(x.getType()).hasStaticShape())
        return dense("a decode step needs static f32 operands");
    if (op->hasAttr("attn.query_conv") || op->hasAttr("attn.key_conv"))
      return dense("convolutional self-attention");
    int64_t lq = qType.getDimSize(rank - 2);
    if (lq != 1)
      return dense("neither prefill, as many queries as keys, nor a decode "
                   "step of one query");
    if (op.getMask())
      return dense("a decode step with a mask operand");
    if (op->getParentOp() != getOperation().getOperation())
      return dense("a decode step must sit at the top level of the function");
    std::optional<ConcatChain> keys = findConcat(op.getKey(), rank - 2);
    std::optional<ConcatChain> values = findConcat(op.getValue(), rank - 2);
    if (!keys || !values)
      return dense("a decode step's keys and values must be a concat of the "
                   "past and the new token along the length");
    auto pastLength = [](const ConcatChain &chain) {
      return cast<RankedTensorType>(chain.past.getType()).getDimSize(chain.dim);
    };
    int64_t past = pastLength(*keys);
    if (pastLength(*values) != past)
      return dense("the past keys and values differ in length");

    ImplicitLocOpBuilder b(op.getLoc(), op);
    auto toRank4 = [&](Value x) { return rank == 4 ? x : addBatch(b, x); };
    // Grouped KV heads stay grouped in the cache when both chains allow it.
    bool ungroup = canUngroup(*keys) && canUngroup(*values);
    auto piece = [&](const ConcatChain &chain, Value x) {
      return toRank4(replayViews(b, chain, x, ungroup));
    };
    Value q = toRank4(op.getQuery());
    Value pastK = piece(*keys, keys->past), newK = piece(*keys, keys->token);
    Value pastV = piece(*values, values->past),
          newV = piece(*values, values->token);
    // The past in a cache with room for the new token; rows past the count
    // are never read, so the rest of the buffer stays unwritten.
    auto toCache = [&](Value x) -> Value {
      auto type = withDim(x.getType(), 2, past + 1);
      Value empty =
          tensor::EmptyOp::create(b, type.getShape(), type.getElementType());
      SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
          ones(4, b.getIndexAttr(1)), sizes;
      for (int64_t size : cast<RankedTensorType>(x.getType()).getShape())
        sizes.push_back(b.getIndexAttr(size));
      return tensor::InsertSliceOp::create(b, x, empty, zeros, sizes, ones);
    };
    Value cacheK = toCache(pastK), cacheV = toCache(pastV);
    int64_t batch = cast<RankedTensorType>(q.getType()).getDimSize(0);
    auto countType = RankedTensorType::get({batch}, b.getI32Type());
    Value count = arith::ConstantOp::create(
        b, DenseElementsAttr::get(countType,
                                  b.getI32IntegerAttr(past).getValue()));
    auto append = attn::CacheAppendOp::create(
        b, cacheK.getType(), cacheV.getType(), countType, cacheK, cacheV, count,
        newK, newV);
    auto qShape = cast<RankedTensorType>(q.getType()).getShape();
    auto resultType = RankedTensorType::get(
        {qShape[0], qShape[1], 1,
         cast<RankedTensorType>(newV.getType()).getDimSize(3)},
        b.getF32Type());
    Value result = attn::CacheAttentionOp::create(
        b, resultType, q, append.getNewKeyCache(), append.getNewValueCache(),
        append.getNewCount(), op.getScaleAttr());
    if (rank == 3)
      result = tensor::CollapseShapeOp::create(
          b, op.getResult().getType(), result,
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }
};

} // namespace
