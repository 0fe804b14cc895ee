//===- ExportEntry.cpp - Give the entry function its C signature ----------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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

    // Return the C status code 0.
    MLIRContext *ctx = &getContext();
    auto i32 = IntegerType::get(ctx, 32);
    func.setType(FunctionType::get(ctx, func.getArgumentTypes(), {i32}));
    func.walk([&](func::ReturnOp ret) {
      OpBuilder builder(ret);
      Value zero = arith::ConstantIntOp::create(builder, ret.getLoc(), i32, 0);
      ret->setOperands(zero);
    });
    func.setPublic();
  }
};

} // namespace
