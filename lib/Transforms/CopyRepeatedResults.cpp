//===- CopyRepeatedResults.cpp - One tensor per function output -----------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

namespace sieve {
#define GEN_PASS_DEF_COPYREPEATEDRESULTS
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

struct CopyRepeatedResultsPass final
    : sieve::impl::CopyRepeatedResultsBase<CopyRepeatedResultsPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 4> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = dyn_cast<RankedTensorType>(operand.get().getType());
        if (!type || seen.insert(operand.get()).second)
          continue;
        // An explicit copy: a linalg.copy into an empty tensor would be
        // bufferized in place, back into the same buffer.
        OpBuilder builder(ret);
        operand.set(bufferization::AllocTensorOp::create(
            builder, operand.get().getLoc(), type, ValueRange{},
            /*copy=*/operand.get()));
      }
    });
  }
};

} // namespace
