//===- KernelLoops.h - Loops of the generated int8 kernels ------*- C++ -*-===//
//
// Part of Sieve. Shared by the kernel builders of sieve-vectorize-int8
// (VectorizeInt8.cpp for x86 and AArch64, Int8KernelsArm.cpp for Cortex-M).
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_KERNELLOOPS_H
#define SIEVE_TRANSFORMS_KERNELLOOPS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace sieve {

/// `body` run `count` times over an index carrying `init`, returning the
/// carried values: an `scf.for`, or the body inlined once for a count of one
/// (1x1 filters, single tiles), or nothing for zero. `body` may leave its
/// block without a terminator; the loop's `scf.yield` is built here.
inline llvm::SmallVector<mlir::Value> buildCountedLoop(
    mlir::OpBuilder &b, mlir::Location loc, int64_t count,
    mlir::ValueRange init,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value,
                                                      mlir::ValueRange)>
        body) {
  using namespace mlir;
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  if (count == 0)
    return llvm::SmallVector<Value>(init.begin(), init.end());
  if (count == 1)
    return body(idx(0), init);
  auto forOp = scf::ForOp::create(b, loc, idx(0), idx(count), idx(1), init);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forOp.getBody());
  llvm::SmallVector<Value> results =
      body(forOp.getInductionVar(), forOp.getRegionIterArgs());
  if (!forOp.getBody()->empty() &&
      isa_and_nonnull<scf::YieldOp>(forOp.getBody()->back()))
    forOp.getBody()->back().erase();
  b.setInsertionPointToEnd(forOp.getBody());
  scf::YieldOp::create(b, loc, results);
  return llvm::SmallVector<Value>(forOp.getResults());
}

} // namespace sieve

#endif // SIEVE_TRANSFORMS_KERNELLOOPS_H
