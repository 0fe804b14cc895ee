//===- LowerParallelLaunches.cpp - Launches become calls of the hook ------===//
//
// Part of Sieve. On the LLVM dialect, after the bare-pointer lowering: the
// entry point `<name>_run` becomes `<name>_run_parallel` with two more
// arguments, the application's parallel-for hook and its pool, and a new
// `<name>_run` calls it with neither. Every call of a launch declaration left
// by sieve-outline-parallel stores its operands into a context on the stack
// and calls the hook with a task function that reads them back: this is
// where LLVM types make the packing uniform (pointers, integers, floats).
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace sieve {
#define GEN_PASS_DEF_LOWERPARALLELLAUNCHES
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

struct LowerParallelLaunchesPass final
    : sieve::impl::LowerParallelLaunchesBase<LowerParallelLaunchesPass> {
  using Base::Base;

  /// The C prefix of the model's symbols.
  std::string modelName;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    // The entry sieve-export-entry named <name>_run; the C prefix follows.
    LLVM::LLVMFuncOp entry;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func->hasAttr(attrs::kEntry) && !func.isExternal())
        entry = func;
    if (!entry || !entry.getName().ends_with("_run")) {
      module.emitError("no entry function '<name>_run' marked '")
          << attrs::kEntry
          << "' on the LLVM dialect; run sieve-export-entry and the LLVM "
             "lowering first";
      return signalPassFailure();
    }
    modelName = entry.getName().drop_back(4).str();
    std::string runName = entry.getName().str();
    std::string parallelName = modelName + "_run_parallel";
    if (module.lookupSymbol(parallelName)) {
      module.emitError("the module already has a symbol '")
          << parallelName << "'";
      return signalPassFailure();
    }

    // <name>_run_parallel(..., hook, pool), and <name>_run(...) calling it
    // with no hook.
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    LLVM::LLVMFunctionType runType = entry.getFunctionType();
    SmallVector<Type> params(runType.getParams());
    params.append({ptr, ptr});
    entry.setSymName(parallelName);
    entry.setFunctionType(
        LLVM::LLVMFunctionType::get(runType.getReturnType(), params));
    Block &entryBlock = entry.getBody().front();
    Value hook = entryBlock.addArgument(ptr, entry.getLoc());
    Value pool = entryBlock.addArgument(ptr, entry.getLoc());
    if (ArrayAttr argAttrs = entry.getArgAttrsAttr()) {
      SmallVector<Attribute> extended(argAttrs.begin(), argAttrs.end());
      extended.append(2, DictionaryAttr::get(ctx));
      entry.setArgAttrsAttr(ArrayAttr::get(ctx, extended));
    }
    OpBuilder builder(entry);
    auto run =
        LLVM::LLVMFuncOp::create(builder, entry.getLoc(), runName, runType);
    {
      OpBuilder::InsertionGuard guard(builder);
      Block *block = run.addEntryBlock(builder);
      builder.setInsertionPointToStart(block);
      SmallVector<Value> args(block->getArguments());
      Value null = LLVM::ZeroOp::create(builder, run.getLoc(), ptr);
      args.append({null, null});
      auto call = LLVM::CallOp::create(builder, run.getLoc(), entry, args);
      LLVM::ReturnOp::create(builder, run.getLoc(), call.getResults());
    }

    SmallVector<LLVM::LLVMFuncOp> launches;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func->hasAttr(attrs::kParallelTask))
        launches.push_back(func);
    if (launches.empty())
      return;
    LLVM::LLVMFuncOp serialFor = createSerialFor(module);
    for (LLVM::LLVMFuncOp launch : launches)
      if (failed(lowerLaunch(module, launch, entry, hook, pool, serialFor)))
        return signalPassFailure();
  }

  /// The hook's type: void (void *pool, int32_t num_tasks, int32_t
  /// max_workers, sieve_task_fn fn, void *ctx).
  LLVM::LLVMFunctionType hookType() {
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);
    return LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                       {ptr, i32, i32, ptr, ptr});
  }

  /// void (void *ctx, int32_t task, int32_t worker).
  LLVM::LLVMFunctionType taskType() {
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);
    return LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                       {ptr, i32, i32});
  }

  /// What a NULL hook means: every task in order on worker 0, written as an
  /// implementation of the hook so that both paths make the same call.
  LLVM::LLVMFuncOp createSerialFor(ModuleOp module) {
    MLIRContext *ctx = &getContext();
    Location loc = module.getLoc();
    auto i32 = IntegerType::get(ctx, 32);
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto func =
        LLVM::LLVMFuncOp::create(builder, loc, modelName + "_serial_for",
                                 hookType(), LLVM::Linkage::Internal);
    SymbolTable(module).insert(func);
    Block *entry = func.addEntryBlock(builder);
    Block *header = builder.createBlock(&func.getBody(), {}, {i32}, {loc});
    Block *body = builder.createBlock(&func.getBody());
    Block *exit = builder.createBlock(&func.getBody());

    builder.setInsertionPointToEnd(entry);
    Value zero = LLVM::ConstantOp::create(builder, loc, i32, 0);
    LLVM::BrOp::create(builder, loc, ValueRange{zero}, header);

    builder.setInsertionPointToEnd(header);
    Value task = header->getArgument(0);
    Value more = LLVM::ICmpOp::create(builder, loc, LLVM::ICmpPredicate::slt,
                                      task, entry->getArgument(1));
    LLVM::CondBrOp::create(builder, loc, more, body, exit);

    builder.setInsertionPointToEnd(body);
    LLVM::CallOp::create(
        builder, loc, taskType(),
        ValueRange{entry->getArgument(3), entry->getArgument(4), task, zero});
    Value one = LLVM::ConstantOp::create(builder, loc, i32, 1);
    Value next = LLVM::AddOp::create(builder, loc, task, one);
    LLVM::BrOp::create(builder, loc, ValueRange{next}, header);

    builder.setInsertionPointToEnd(exit);
    LLVM::ReturnOp::create(builder, loc, ValueRange{});
    return func;
  }

  LogicalResult lowerLaunch(ModuleOp module, LLVM::LLVMFuncOp launch,
                            LLVM::LLVMFuncOp entry, Value hook, Value pool,
                            LLVM::LLVMFuncOp serialFor) {
    MLIRContext *ctx = &getContext();
    Location loc = launch.getLoc();
    auto bodyRef =
        launch->getAttrOfType<FlatSymbolRefAttr>(attrs::kParallelTask);
    auto tasks = launch->getAttrOfType<IntegerAttr>(attrs::kParallelTasks);
    auto workers =
        launch->getAttrOfType<IntegerAttr>(attrs::kParallelMaxWorkers);
    auto body = bodyRef ? module.lookupSymbol<LLVM::LLVMFuncOp>(bodyRef)
                        : LLVM::LLVMFuncOp();
    ArrayRef<Type> fields = launch.getFunctionType().getParams();
    if (!body || !tasks || !workers || !launch.isExternal() ||
        body.getNumArguments() != fields.size() + 2)
      return launch.emitError("malformed parallel launch declaration");

    // The task function: reads the context and calls the body.
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);
    auto contextType = LLVM::LLVMStructType::getLiteral(ctx, fields);
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto task =
        LLVM::LLVMFuncOp::create(builder, loc, (body.getName() + "_task").str(),
                                 taskType(), LLVM::Linkage::Internal);
    SymbolTable(module).insert(task);
    {
      Block *block = task.addEntryBlock(builder);
      builder.setInsertionPointToStart(block);
      SmallVector<Value> args;
      // Task and worker are non-negative: widen them to the index type.
      for (unsigned i : {1u, 2u}) {
        Type indexType = body.getArgument(i - 1).getType();
        Value value = block->getArgument(i);
        if (indexType != i32)
          value = LLVM::ZExtOp::create(builder, loc, indexType, value);
        args.push_back(value);
      }
      for (auto [i, field] : llvm::enumerate(fields)) {
        Value address = LLVM::GEPOp::create(
            builder, loc, ptr, contextType, block->getArgument(0),
            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        args.push_back(LLVM::LoadOp::create(builder, loc, field, address));
      }
      LLVM::CallOp::create(builder, loc, body, args);
      LLVM::ReturnOp::create(builder, loc, ValueRange{});
    }

    // Each launch: fill the context, then call the hook (or the serial loop).
    SmallVector<LLVM::CallOp> calls;
    entry.walk([&](LLVM::CallOp call) {
      if (call.getCallee() == launch.getName())
        calls.push_back(call);
    });
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(launch, module);
    if (!uses || llvm::range_size(*uses) != calls.size())
      return launch.emitError("a parallel launch is used outside the entry "
                              "function");
    for (LLVM::CallOp call : calls) {
      OpBuilder atEntry = OpBuilder::atBlockBegin(&entry.getBody().front());
      Value one = LLVM::ConstantOp::create(atEntry, loc, i32, 1);
      Value context =
          LLVM::AllocaOp::create(atEntry, loc, ptr, contextType, one);
      OpBuilder at(call);
      for (auto [i, operand] : llvm::enumerate(call.getArgOperands())) {
        Value address = LLVM::GEPOp::create(
            at, loc, ptr, contextType, context,
            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        LLVM::StoreOp::create(at, loc, operand, address);
      }
      Value null = LLVM::ZeroOp::create(at, loc, ptr);
      Value noHook =
          LLVM::ICmpOp::create(at, loc, LLVM::ICmpPredicate::eq, hook, null);
      Value serial = LLVM::AddressOfOp::create(at, loc, serialFor);
      Value callee = LLVM::SelectOp::create(at, loc, noHook, serial, hook);
      Value numTasks = LLVM::ConstantOp::create(at, loc, i32, tasks.getInt());
      Value maxWorkers =
          LLVM::ConstantOp::create(at, loc, i32, workers.getInt());
      Value taskAddress = LLVM::AddressOfOp::create(at, loc, task);
      LLVM::CallOp::create(
          at, loc, hookType(),
          ValueRange{callee, pool, numTasks, maxWorkers, taskAddress, context});
      call.erase();
    }
    launch.erase();
    return success();
  }
};

} // namespace
