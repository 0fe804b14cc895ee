//===- OutlineParallel.cpp - Marked loops become task functions -----------===//
//
// Part of Sieve. An `scf.forall` marked `sieve.parallel` (docs/parallel.md)
// becomes a call of a launch declaration; its body becomes a function of the
// task index and the worker index. Scratch buffers allocated in the body get
// one copy per worker, allocated before the loop, so that the arena planner
// places them like any other buffer. sieve-lower-parallel-launches then turns
// the launch into a call of the application's parallel-for hook on the LLVM
// dialect, where packing the captured values into a context is uniform.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/BufferLiveness.h"
#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace sieve {
#define GEN_PASS_DEF_OUTLINEPARALLEL
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// Each worker's copy of a scratch buffer starts on its own cache line, so
/// that workers never write the same line.
constexpr uint64_t kScratchAlignment = 64;

/// Ops that are cheaper to recompute in the task than to pass to it, and
/// whose results the task could not take as bare pointers anyway (views with
/// offsets): as upstream's gpu-kernel-outlining sinks constants into kernels.
bool isSinkable(Operation *op) {
  if (op->getNumRegions() != 0 || !isPure(op))
    return false;
  return op->hasTrait<OpTrait::ConstantLike>() ||
         isa<memref::GetGlobalOp, ViewLikeOpInterface>(op);
}

/// Whether the task can take `type` as a context field: a scalar, or a
/// buffer that the bare-pointer convention passes as its base pointer.
bool isCapturable(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type))
    return memref.hasStaticShape() && memref.getLayout().isIdentity();
  return type.isIntOrIndexOrFloat();
}

struct OutlineParallelPass final
    : sieve::impl::OutlineParallelBase<OutlineParallelPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (maxWorkers < 1 || maxWorkers > kMaxParallelWorkers) {
      module.emitError("max-workers must be between 1 and ")
          << kMaxParallelWorkers << ", got "
          << static_cast<int64_t>(maxWorkers);
      return signalPassFailure();
    }
    if (!outline && maxWorkers != 1) {
      module.emitError("without outlining, marked loops run serially: "
                       "max-workers must be 1, got ")
          << static_cast<int64_t>(maxWorkers);
      return signalPassFailure();
    }
    for (func::FuncOp func : getCompiledFunctions(module))
      if (failed(runOnFunction(module, func)))
        return signalPassFailure();
  }

  LogicalResult runOnFunction(ModuleOp module, func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    // Only the outermost marked loop of a nest is parallel: an inner one runs
    // serially inside its task.
    SmallVector<scf::ForallOp> loops;
    func.walk<WalkOrder::PreOrder>([&](scf::ForallOp loop) {
      if (!loop->hasAttr(attrs::kParallelLoop))
        return WalkResult::advance();
      loops.push_back(loop);
      return WalkResult::skip();
    });

    SmallVector<Attribute> records;
    for (auto [index, loop] : llvm::enumerate(loops)) {
      FailureOr<DictionaryAttr> record =
          outline ? outlineLoop(module, func, loop, index)
                  : hoistScratch(func, loop);
      if (failed(record))
        return failure();
      records.push_back(*record);
    }
    Builder b(ctx);
    func->setAttr(
        attrs::kParallelPlan,
        b.getDictionaryAttr(
            {b.getNamedAttr("max_workers", b.getI64IntegerAttr(maxWorkers)),
             b.getNamedAttr("outlined", b.getBoolAttr(outline)),
             b.getNamedAttr("loops", b.getArrayAttr(records))}));
    return success();
  }

  /// The number of tasks of `loop` (the product of its trip counts).
  FailureOr<int64_t> countTasks(scf::ForallOp loop,
                                SmallVectorImpl<int64_t> &lbs,
                                SmallVectorImpl<int64_t> &steps,
                                SmallVectorImpl<int64_t> &counts) {
    int64_t tasks = 1;
    for (auto [lb, ub, step] :
         llvm::zip(loop.getMixedLowerBound(), loop.getMixedUpperBound(),
                   loop.getMixedStep())) {
      std::optional<int64_t> l = getConstantIntValue(lb),
                             u = getConstantIntValue(ub),
                             s = getConstantIntValue(step);
      if (!l || !u || !s || *s <= 0)
        return loop.emitError("a 'sieve.parallel' loop needs constant bounds "
                              "and positive constant steps");
      int64_t count = *u > *l ? llvm::divideCeil(*u - *l, *s) : 0;
      lbs.push_back(*l);
      steps.push_back(*s);
      counts.push_back(count);
      // Checked before multiplying, so that the product cannot wrap.
      constexpr int64_t kMaxTasks = std::numeric_limits<int32_t>::max();
      if (count > 0 && tasks > kMaxTasks / count)
        return loop.emitError("this 'sieve.parallel' loop has more than 2^31-1 "
                              "iterations; the hook counts tasks in int32_t");
      tasks *= count;
    }
    return tasks;
  }

  /// The buffers allocated in `loop`'s body, checked to be static and to
  /// stay within one iteration.
  FailureOr<SmallVector<Operation *>> collectScratch(scf::ForallOp loop) {
    SmallVector<Operation *> allocs;
    WalkResult walk = loop.getBody()->walk([&](Operation *op) {
      if (!isa<memref::AllocOp, memref::AllocaOp>(op))
        return WalkResult::advance();
      auto type = cast<MemRefType>(op->getResult(0).getType());
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
          op->getNumOperands() != 0) {
        op->emitError("cannot give each worker a copy of a buffer of type ")
            << type << ": it needs a static shape and the identity layout";
        return WalkResult::interrupt();
      }
      for (Operation *user : op->getResult(0).getUsers())
        if (user->hasTrait<OpTrait::IsTerminator>()) {
          op->emitError("this buffer of a 'sieve.parallel' loop flows into ")
              << user->getName() << "; scratch must stay within one iteration";
          return WalkResult::interrupt();
        }
      allocs.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    return allocs;
  }

  /// The record of one loop for the report.
  DictionaryAttr describeLoop(scf::ForallOp loop, int64_t tasks,
                              uint64_t scratchBytes, size_t numBuffers) {
    Builder b(loop.getContext());
    return b.getDictionaryAttr(
        {b.getNamedAttr("loc",
                        b.getStringAttr(describeLocation(loop.getLoc()))),
         b.getNamedAttr("tasks", b.getI64IntegerAttr(tasks)),
         b.getNamedAttr("scratch_bytes", b.getI64IntegerAttr(scratchBytes)),
         b.getNamedAttr("scratch_buffers", b.getI64IntegerAttr(numBuffers))});
  }

  /// Without threads (MCUs): the loop stays and runs serially; its scratch
  /// moves out of it as one copy, where the arena planner sees it.
  FailureOr<DictionaryAttr> hoistScratch(func::FuncOp func,
                                         scf::ForallOp loop) {
    SmallVector<int64_t> lbs, steps, counts;
    FailureOr<int64_t> tasks = countTasks(loop, lbs, steps, counts);
    FailureOr<SmallVector<Operation *>> allocs = collectScratch(loop);
    if (failed(tasks) || failed(allocs))
      return failure();
    Operation *top = func.getBody().front().findAncestorOpInBlock(*loop);
    uint64_t bytes = 0;
    for (Operation *alloc : *allocs) {
      alloc->moveBefore(top);
      bytes +=
          getStaticByteSize(cast<MemRefType>(alloc->getResult(0).getType()));
    }
    return describeLoop(loop, *tasks, bytes, allocs->size());
  }

  FailureOr<DictionaryAttr> outlineLoop(ModuleOp module, func::FuncOp func,
                                        scf::ForallOp loop, unsigned index) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    if (loop.getNumResults() != 0)
      return loop.emitError("a 'sieve.parallel' loop still has tensor results; "
                            "sieve-outline-parallel runs after bufferization");
    if (!loop.getTerminator().getYieldingOps().empty())
      return loop.emitError("a 'sieve.parallel' loop still inserts into "
                            "tensors; sieve-outline-parallel runs after "
                            "bufferization");
    SmallVector<int64_t> lbs, steps, counts;
    FailureOr<int64_t> tasks = countTasks(loop, lbs, steps, counts);
    if (failed(tasks))
      return failure();

    // Sink constants and views, then check what is left to capture.
    Region &region = loop.getRegion();
    sinkDefinitions(region);
    llvm::SetVector<Value> captures;
    getUsedValuesDefinedAbove(region, captures);
    for (Value value : captures)
      if (!isCapturable(value.getType()))
        return loop.emitError("the body of this 'sieve.parallel' loop uses a "
                              "value of type ")
               << value.getType()
               << " defined outside it; a task takes only scalars and "
                  "statically shaped buffers with the identity layout";
    FailureOr<SmallVector<Operation *>> allocs = collectScratch(loop);
    if (failed(allocs))
      return failure();

    // One buffer per scratch allocation, with a slot for each worker.
    Operation *top = func.getBody().front().findAncestorOpInBlock(*loop);
    OpBuilder outside(top);
    auto i8 = IntegerType::get(ctx, 8);
    SmallVector<Value> scratchBuffers;
    SmallVector<uint64_t> slots;
    uint64_t scratchBytes = 0;
    for (Operation *alloc : *allocs) {
      uint64_t slot = llvm::alignTo(
          getStaticByteSize(cast<MemRefType>(alloc->getResult(0).getType())),
          kScratchAlignment);
      slots.push_back(slot);
      scratchBytes += slot;
      auto type =
          MemRefType::get({static_cast<int64_t>(slot * maxWorkers)}, i8);
      scratchBuffers.push_back(memref::AllocOp::create(
          outside, alloc->getLoc(), type,
          outside.getI64IntegerAttr(kScratchAlignment)));
    }

    // The task function: (task, worker, captures..., scratch...).
    SmallVector<Type> argTypes = {outside.getIndexType(),
                                  outside.getIndexType()};
    for (Value value : captures)
      argTypes.push_back(value.getType());
    for (Value buffer : scratchBuffers)
      argTypes.push_back(buffer.getType());
    OpBuilder atModule = OpBuilder::atBlockEnd(module.getBody());
    auto task = func::FuncOp::create(
        atModule, loc, (func.getName() + "_parallel" + Twine(index)).str(),
        FunctionType::get(ctx, argTypes, {}));
    task.setPrivate();
    // convert-func-to-llvm reads the linkage from this attribute.
    task->setAttr("llvm.linkage",
                  LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    SymbolTable(module).insert(task);
    Block *entry = task.addEntryBlock();
    OpBuilder builder = OpBuilder::atBlockBegin(entry);
    IRMapping mapping;
    // The task index, linearised row-major over the iteration space.
    Value rest = entry->getArgument(0);
    SmallVector<Value> ivs = loop.getInductionVars();
    for (int64_t d = ivs.size() - 1; d >= 0; --d) {
      // The first dimension takes what is left: the task is in range.
      Value position = rest;
      if (d != 0) {
        Value count = arith::ConstantIndexOp::create(builder, loc, counts[d]);
        position = arith::RemUIOp::create(builder, loc, rest, count);
        rest = arith::DivUIOp::create(builder, loc, rest, count);
      }
      Value iv = position;
      if (steps[d] != 1)
        iv = arith::MulIOp::create(
            builder, loc, iv,
            arith::ConstantIndexOp::create(builder, loc, steps[d]));
      if (lbs[d] != 0)
        iv = arith::AddIOp::create(
            builder, loc, iv,
            arith::ConstantIndexOp::create(builder, loc, lbs[d]));
      mapping.map(ivs[d], iv);
    }
    for (auto [i, value] : llvm::enumerate(captures))
      mapping.map(value, entry->getArgument(2 + i));
    for (Operation &op : loop.getBody()->without_terminator())
      builder.clone(op, mapping);
    func::ReturnOp::create(builder, loc);

    // Each worker's scratch is its slot of the shared buffer.
    Value worker = entry->getArgument(1);
    for (auto [i, alloc] : llvm::enumerate(*allocs)) {
      Operation *clone = mapping.lookup(alloc->getResult(0)).getDefiningOp();
      OpBuilder at(clone);
      Value offset = arith::MulIOp::create(
          at, clone->getLoc(), worker,
          arith::ConstantIndexOp::create(at, clone->getLoc(), slots[i]));
      Value view = memref::ViewOp::create(
          at, clone->getLoc(), clone->getResult(0).getType(),
          entry->getArgument(2 + captures.size() + i), offset, ValueRange{});
      for (Operation *user :
           llvm::make_early_inc_range(clone->getResult(0).getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      clone->getResult(0).replaceAllUsesWith(view);
      clone->erase();
    }

    // The launch: a declaration that sieve-lower-parallel-launches replaces
    // by the call of the hook.
    SmallVector<Value> operands(captures.begin(), captures.end());
    llvm::append_range(operands, scratchBuffers);
    auto launch = func::FuncOp::create(
        atModule, loc, (task.getName() + "_launch").str(),
        FunctionType::get(ctx, ValueRange(operands).getTypes(), {}));
    launch.setPrivate();
    launch->setAttr(attrs::kParallelTask, FlatSymbolRefAttr::get(task));
    launch->setAttr(attrs::kParallelTasks, outside.getI64IntegerAttr(*tasks));
    launch->setAttr(attrs::kParallelMaxWorkers,
                    outside.getI64IntegerAttr(maxWorkers));
    SymbolTable(module).insert(launch);
    OpBuilder at(loop);
    func::CallOp::create(at, loc, launch, operands);
    DictionaryAttr record =
        describeLoop(loop, *tasks, scratchBytes, allocs->size());
    loop.erase();
    return record;
  }

  /// Clones into `region` the sinkable ops that define values it uses from
  /// outside, with their sinkable operands, in dependence order.
  void sinkDefinitions(Region &region) {
    llvm::SetVector<Value> used;
    getUsedValuesDefinedAbove(region, used);
    IRMapping mapping;
    OpBuilder builder = OpBuilder::atBlockBegin(&region.front());
    std::function<bool(Value)> sink = [&](Value value) -> bool {
      if (mapping.contains(value))
        return true;
      Operation *def = value.getDefiningOp();
      if (!def || !isSinkable(def))
        return false;
      for (Value operand : def->getOperands())
        (void)sink(operand);
      builder.clone(*def, mapping);
      return true;
    };
    for (Value value : used)
      if (sink(value))
        replaceAllUsesInRegionWith(value, mapping.lookup(value), region);
  }
};

} // namespace
