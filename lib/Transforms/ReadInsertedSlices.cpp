//===- ReadInsertedSlices.cpp - Read a slice where it was inserted --------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/Matchers.h"

namespace sieve {
#define GEN_PASS_DEF_READINSERTEDSLICES
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

struct ReadInsertedSlicesPass final
    : sieve::impl::ReadInsertedSlicesBase<ReadInsertedSlicesPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    DominanceInfo dominance(func);
    SmallVector<tensor::InsertSliceOp> inserts;
    func.walk([&](tensor::InsertSliceOp insert) { inserts.push_back(insert); });
    for (tensor::InsertSliceOp insert : inserts)
      rereadAfter(insert, dominance);
  }

  /// Makes the reads of `insert`'s source that come after it read the
  /// tensor it was inserted into instead. Canonicalisation folds
  /// `extract_slice(insert_slice %s into %d)` at the same offsets into %s;
  /// one-shot bufferization then sees %s read after the insertion wrote the
  /// buffer %s lives in, and computes %s into a copy of its own (a patch
  /// stage's last patch read again by the next stage's residual add). Only
  /// where nothing writes into the result afterwards: every user of it only
  /// extracts slices, so reading it creates no conflict of its own. A
  /// constant is read where it is (its reads need no copy): reading it from
  /// where it was inserted would keep that buffer alive (the padding value
  /// filled into the border of windows of two cached patch stages).
  void rereadAfter(tensor::InsertSliceOp insert, DominanceInfo &dominance) {
    Value source = insert.getSource();
    Value result = insert.getResult();
    if (matchPattern(source, m_Constant()))
      return;
    if (!llvm::all_of(result.getUsers(), [](Operation *user) {
          return isa<tensor::ExtractSliceOp>(user);
        }))
      return;
    SmallVector<OpOperand *> later;
    for (OpOperand &use : source.getUses())
      if (use.getOwner() != insert &&
          dominance.properlyDominates(insert.getOperation(), use.getOwner()))
        later.push_back(&use);
    if (later.empty())
      return;
    OpBuilder builder(insert->getContext());
    builder.setInsertionPointAfter(insert);
    Value reread = tensor::ExtractSliceOp::create(
        builder, insert.getLoc(), cast<RankedTensorType>(source.getType()),
        result, insert.getMixedOffsets(), insert.getMixedSizes(),
        insert.getMixedStrides());
    for (OpOperand *use : later)
      use->set(reread);
  }
};

} // namespace
