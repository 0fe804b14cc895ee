//===- ExportEntry.cpp - Give the entry function its C signature ----------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/IR/SymbolTable.h"

namespace sieve {
#define GEN_PASS_DEF_EXPORTENTRY
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

struct ExportEntryPass final : sieve::impl::ExportEntryBase<ExportEntryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = getEntryFunction(module);
    if (!func) {
      module.emitError("no function is marked 'sieve.entry'; run "
                       "sieve-record-interface first");
      return signalPassFailure();
    }
    if (!isCIdentifier(modelName)) {
      module.emitError("model name '")
          << modelName << "' is not a C identifier";
      return signalPassFailure();
    }
    if (func.getNumResults() != 0) {
      func.emitError("entry function still returns values; outputs must be "
                     "out-parameters (buffer-results-to-out-params)");
      return signalPassFailure();
    }
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity()) {
        func.emitError("argument ")
            << arg.getArgNumber() << " has type " << arg.getType()
            << "; the C entry point takes statically shaped memrefs with the "
               "identity layout (bare pointers)";
        return signalPassFailure();
      }
    }

    std::string symbol = modelName + "_run";
    if (func.getName() != symbol) {
      if (SymbolTable::lookupSymbolIn(module, symbol)) {
        func.emitError("cannot name the entry '")
            << symbol << "': the module already has that symbol";
        return signalPassFailure();
      }
      if (failed(SymbolTable::replaceAllSymbolUses(
              func, StringAttr::get(&getContext(), symbol), module)))
        return signalPassFailure();
      func->setAttr("sieve.source_name", func.getSymNameAttr());
      func.setName(symbol);
    }

    // What the exporter attached to arguments (names, saved-model paths) is
    // in sieve.inputs/sieve.outputs now; LLVM would only warn about it.
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      func.setArgAttrs(i, ArrayRef<NamedAttribute>{});

    if (failed(lowerChecks(func)))
      return signalPassFailure();
    func.setPublic();
  }

  /// Turns the `cf.assert`s that survived folding into the status the entry
  /// point returns: 0, or k when the k-th check (in program order) is the
  /// first that failed. Execution goes on after a failed check (every shape
  /// is static, so no access depends on it), but the outputs are then
  /// unspecified. The checks are recorded for the header and the report.
  LogicalResult lowerChecks(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    auto i32 = IntegerType::get(ctx, 32);
    func.setType(FunctionType::get(ctx, func.getArgumentTypes(), {i32}));

    SmallVector<cf::AssertOp> asserts;
    WalkResult nested = func.walk([&](cf::AssertOp op) {
      if (op->getParentOp() != func) {
        op.emitError("this run-time check sits inside a loop or a branch; "
                     "Sieve turns only top-level checks into the entry "
                     "point's status (drop checks with --asserts=drop)");
        return WalkResult::interrupt();
      }
      asserts.push_back(op);
      return WalkResult::advance();
    });
    if (nested.wasInterrupted())
      return failure();

    OpBuilder builder = OpBuilder::atBlockBegin(&func.getBody().front());
    Value zero = arith::ConstantIntOp::create(builder, func.getLoc(), i32, 0);
    Value status = zero;
    SmallVector<Attribute> checks;
    for (auto [i, op] : llvm::enumerate(asserts)) {
      builder.setInsertionPoint(op);
      Location loc = op.getLoc();
      Value code = arith::ConstantIntOp::create(builder, loc, i32, i + 1);
      Value noneFailed = arith::CmpIOp::create(
          builder, loc, arith::CmpIPredicate::eq, status, zero);
      Value ifFailed =
          arith::SelectOp::create(builder, loc, noneFailed, code, status);
      status =
          arith::SelectOp::create(builder, loc, op.getArg(), status, ifFailed);
      checks.push_back(DictionaryAttr::get(
          ctx,
          {NamedAttribute(StringAttr::get(ctx, "status"),
                          builder.getI32IntegerAttr(i + 1)),
           NamedAttribute(StringAttr::get(ctx, "message"), op.getMsgAttr()),
           NamedAttribute(StringAttr::get(ctx, "loc"),
                          StringAttr::get(ctx, describeLocation(loc)))}));
      op.erase();
    }
    if (!checks.empty())
      func->setAttr(attrs::kChecks, ArrayAttr::get(ctx, checks));
    func.walk([&](func::ReturnOp ret) { ret->setOperands(status); });
    return success();
  }
};

} // namespace
