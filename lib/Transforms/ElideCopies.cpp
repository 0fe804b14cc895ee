//===- ElideCopies.cpp - Remove copies bufferization leaves behind --------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace sieve {
#define GEN_PASS_DEF_ELIDECOPIES
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// Follows `value` back through reshapes to an allocation; collects the
/// reshapes, the last one first.
memref::AllocOp findAllocThroughReshapes(Value value,
                                         SmallVectorImpl<Operation *> &chain) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def))
      return alloc;
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
      return {};
    chain.push_back(def);
    value = def->getOperand(0);
  }
  return {};
}

/// Rebuilds, from `output`, a value of the allocation's type by undoing the
/// reshapes that led from the allocation to the copied value.
Value undoReshapes(OpBuilder &builder, Value output,
                   ArrayRef<Operation *> chain) {
  for (Operation *op : chain) {
    Location loc = op->getLoc();
    if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op)) {
      output = memref::ExpandShapeOp::create(
          builder, loc, collapse.getSrcType(), output,
          collapse.getReassociationIndices());
    } else {
      auto expand = cast<memref::ExpandShapeOp>(op);
      output = memref::CollapseShapeOp::create(
          builder, loc, expand.getSrcType(), output,
          expand.getReassociationIndices());
    }
  }
  return output;
}

struct ElideCopiesPass final : sieve::impl::ElideCopiesBase<ElideCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    func.walk([](memref::CopyOp copy) {
      if (copy.getSource() == copy.getTarget())
        copy.erase();
    });
    Block &body = func.getBody().front();
    SmallVector<memref::CopyOp> copies;
    for (auto copy : body.getOps<memref::CopyOp>())
      copies.push_back(copy);
    for (memref::CopyOp copy : copies)
      elideOutputCopy(copy);
  }

  /// Makes the buffer copied into an output argument a view of that argument.
  void elideOutputCopy(memref::CopyOp copy) {
    auto output = dyn_cast<BlockArgument>(copy.getTarget());
    if (!output || output.getOwner()->getParentOp() != getOperation() ||
        !output.hasOneUse())
      return;
    auto outputType = cast<MemRefType>(output.getType());
    if (!outputType.getLayout().isIdentity())
      return;
    SmallVector<Operation *> chain;
    memref::AllocOp alloc = findAllocThroughReshapes(copy.getSource(), chain);
    if (!alloc || alloc->getBlock() != copy->getBlock())
      return;
    // The allocation and its reshapes must be dead after the copy.
    SmallVector<Value> views = {alloc.getResult()};
    for (Operation *op : chain)
      views.push_back(op->getResult(0));
    for (Value view : views)
      for (Operation *user : view.getUsers()) {
        Operation *top = copy->getBlock()->findAncestorOpInBlock(*user);
        if (top != copy && copy->isBeforeInBlock(top))
          return;
      }

    if (chain.empty() && output.getType() != alloc.getType())
      return;
    OpBuilder builder(alloc);
    Value replacement = undoReshapes(builder, output, chain);
    copy.erase();
    alloc.getResult().replaceAllUsesWith(replacement);
    alloc.erase();
  }
};

} // namespace
