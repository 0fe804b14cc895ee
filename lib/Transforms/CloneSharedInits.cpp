//===- CloneSharedInits.cpp - One initial value per destination -----------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace sieve {
#define GEN_PASS_DEF_CLONESHAREDINITS
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// An op that only produces an initial value: cheap to recompute, reads no
/// tensor but the empty one it fills.
bool isInitProducer(Operation *op) {
  if (isa<tensor::EmptyOp, linalg::FillOp>(op))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumLoops() != generic.getNumParallelLoops())
    return false;
  // A broadcast of constants (a bias) into an empty tensor.
  return llvm::all_of(generic.getDpsInputOperands(),
                      [](OpOperand *operand) {
                        Operation *def = operand->get().getDefiningOp();
                        return def && def->hasTrait<OpTrait::ConstantLike>();
                      }) &&
         llvm::all_of(generic.getDpsInits(), [](Value init) {
           return init.getDefiningOp<tensor::EmptyOp>();
         });
}

/// Clones `op` (and the tensor.empty it fills) right before `user`.
Value cloneBefore(Operation *op, OpResult result, Operation *user) {
  OpBuilder builder(user);
  IRMapping mapping;
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
    for (Value init : dps.getDpsInits())
      if (auto empty = init.getDefiningOp<tensor::EmptyOp>())
        mapping.map(init, builder.clone(*empty)->getResult(0));
  Operation *clone = builder.clone(*op, mapping);
  return clone->getResult(result.getResultNumber());
}

struct CloneSharedInitsPass final
    : sieve::impl::CloneSharedInitsBase<CloneSharedInitsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<OpOperand *> sharedInits;
    getOperation().walk([&](DestinationStyleOpInterface op) {
      for (OpOperand &init : op.getDpsInitsMutable()) {
        Operation *producer = init.get().getDefiningOp();
        if (producer && isInitProducer(producer) && !init.get().hasOneUse())
          sharedInits.push_back(&init);
      }
    });
    // Loops over patches (sieve-lower-patch-stages) write their result into
    // their initial value: loops sharing one would keep an earlier loop's
    // result alive until the last of them runs.
    getOperation().walk([&](scf::ForOp loop) {
      for (OpOperand &init : loop.getInitArgsMutable()) {
        Operation *producer = init.get().getDefiningOp();
        if (producer && isInitProducer(producer) && !init.get().hasOneUse())
          sharedInits.push_back(&init);
      }
    });
    for (OpOperand *init : sharedInits) {
      auto result = cast<OpResult>(init->get());
      if (result.hasOneUse())
        continue; // The last remaining user keeps the original.
      init->set(cloneBefore(result.getOwner(), result, init->getOwner()));
    }
  }
};

} // namespace
