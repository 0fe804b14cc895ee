//===- DropAsserts.cpp - Remove run-time checks ---------------------------===//
//
// Part of Sieve. For users who know that their exporter's checks cannot fail
// and want neither their code nor the status they feed.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"

namespace sieve {
#define GEN_PASS_DEF_DROPASSERTS
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

struct DropAssertsPass final : sieve::impl::DropAssertsBase<DropAssertsPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](cf::AssertOp op) {
      op.emitRemark() << "run-time check dropped: \"" << op.getMsg() << "\"";
      op.erase();
    });
  }
};

} // namespace
