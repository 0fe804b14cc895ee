//===- PlanMemory.cpp - Place all buffers in one static arena -------------===//
//
// Part of Sieve. After this pass the entry function allocates nothing: every
// intermediate buffer is a view into an arena that the caller provides, which
// is what an MCU without a heap needs and what makes the peak memory a number
// known at compile time.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/ArenaPlanner.h"
#include "sieve/Analysis/BufferLiveness.h"
#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/MemoryPlan.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

#include <functional>

namespace sieve {
#define GEN_PASS_DEF_PLANMEMORY
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// Loops over patches allocate buffers whose shape depends on the patch (the
/// tiles at image borders are smaller), but each such dimension has a
/// constant upper bound, the largest tile's. The buffer gets static storage
/// of that many bytes, allocated at the start of the function, and a
/// contiguous view of the patch's shape, so that its users do not change.
LogicalResult boundDynamicAllocs(func::FuncOp func) {
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp alloc) {
    if (!alloc.getType().hasStaticShape() &&
        alloc.getType().getLayout().isIdentity())
      allocs.push_back(alloc);
  });
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    SmallVector<int64_t> largest(type.getShape());
    for (auto [i, size] : llvm::enumerate(largest)) {
      if (!ShapedType::isDynamic(size))
        continue;
      // Exact when the size depends only on loops over patches (the
      // planner's figure is the exact largest patch); an upper bound else.
      Value dynamicSize = alloc.getDynamicSizes()[type.getDynamicDimIndex(i)];
      FailureOr<int64_t> bound = failure();
      if (std::optional<IndexRange> exact = getExactIndexRange(dynamicSize))
        bound = exact->second;
      if (failed(bound))
        bound = ValueBoundsConstraintSet::computeConstantBound(
            presburger::BoundType::UB, {alloc.getResult(), int64_t(i)},
            /*stopCondition=*/nullptr, /*closedUB=*/true);
      if (failed(bound))
        if (std::optional<IndexRange> range = getIndexRange(dynamicSize))
          bound = range->second;
      if (failed(bound) || *bound < 0)
        return alloc.emitError("cannot place a buffer of type ")
               << type << " in the static arena: dimension " << i
               << " has no constant upper bound";
      size = *bound;
    }
    std::optional<uint64_t> bytes =
        getByteSize(MemRefType::get(largest, type.getElementType()));
    if (!bytes)
      return alloc.emitError("cannot place a buffer of type ")
             << type << " in the static arena: its size cannot be counted";
    OpBuilder builder(alloc);
    Location loc = alloc.getLoc();
    OpBuilder top = OpBuilder::atBlockBegin(&func.getBody().front());
    Value storage = memref::AllocOp::create(
        top, loc,
        MemRefType::get({static_cast<int64_t>(*bytes)}, builder.getI8Type()),
        ValueRange{}, alloc.getAlignmentAttr());
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value view = memref::ViewOp::create(builder, loc, type, storage, zero,
                                        alloc.getDynamicSizes());
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    alloc.getResult().replaceAllUsesWith(view);
    alloc.erase();
  }
  return success();
}

struct PlanMemoryPass final : sieve::impl::PlanMemoryBase<PlanMemoryPass> {
  using Base::Base;

  /// The placement the `strategy` option names; none means "best".
  std::optional<PlacementStrategy> fixedStrategy;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!parsePlacementStrategy(strategy, fixedStrategy)) {
      module.emitError("unknown placement strategy '")
          << strategy
          << "'; use best, greedy-by-size, greedy-by-breadth or by-lifetime "
             "(optionally with /best-fit)";
      return signalPassFailure();
    }
    if (alignment == 0 || !llvm::isPowerOf2_64(alignment)) {
      module.emitError("arena alignment must be a power of two, got ")
          << static_cast<uint64_t>(alignment);
      return signalPassFailure();
    }

    for (func::FuncOp func : getCompiledFunctions(module))
      if (failed(plan(func)))
        return signalPassFailure();
    if (failed(checkFlashBudget(module)))
      return signalPassFailure();
  }

  /// Constant globals are the image's read-only data: flash on an MCU.
  LogicalResult checkFlashBudget(ModuleOp module) {
    uint64_t total = 0;
    memref::GlobalOp largest;
    uint64_t largestBytes = 0;
    for (auto global : module.getOps<memref::GlobalOp>()) {
      if (!global.getConstant() || !global.getInitialValue())
        continue;
      uint64_t bytes = getStaticByteSize(global.getType());
      total = llvm::SaturatingAdd(total, bytes);
      if (!largest || bytes > largestBytes) {
        largest = global;
        largestBytes = bytes;
      }
    }
    uint64_t budget = flashBudget;
    if (!budget || total <= budget)
      return success();
    return largest.emitError()
           << "the weights take " << total << " bytes, " << total - budget
           << " bytes over the flash budget of " << budget
           << " bytes; this constant is the largest, with " << largestBytes
           << " bytes";
  }

  LogicalResult plan(func::FuncOp func) {
    if (!func.getBody().hasOneBlock())
      return func.emitError("cannot plan memory for a function with several "
                            "blocks; plan before lowering to cf");
    if (failed(boundDynamicAllocs(func)))
      return failure();
    FailureOr<BufferLiveness> liveness = analyzeBufferLiveness(func);
    if (failed(liveness))
      return failure();

    ArrayRef<BufferLifetime> lifetimes = liveness->lifetimes;
    ArenaPlan arena = fixedStrategy
                          ? placeBuffers(lifetimes, alignment, *fixedStrategy)
                          : placeBuffersBest(lifetimes, alignment);
    ArenaPlan bySize = placeBuffers(
        lifetimes, alignment, {PlacementOrder::BySize, GapChoice::FirstFit});
    LiveBytesPeak peak = computeLiveBytesPeak(lifetimes, alignment);
    if (!isValidPlan(lifetimes, arena))
      return func.emitError("internal error: the arena placement overlaps "
                            "live buffers; please report this model");

    Operation *peakOp = liveness->schedule.empty()
                            ? func.getOperation()
                            : liveness->schedule[std::min<size_t>(
                                  peak.index, liveness->schedule.size() - 1)];
    uint64_t budget = memoryBudget;
    if (arena.arenaSize > maxArenaBytes)
      return peakOp->emitError()
             << "the memory plan needs a " << arena.arenaSize
             << "-byte arena, more than the "
             << static_cast<uint64_t>(maxArenaBytes)
             << " bytes the target can address; at this '" << peakOp->getName()
             << "' " << peak.bytes << " bytes of buffers are live";
    if (budget && arena.arenaSize > budget) {
      // For sieve-compile, which plans the patches again for a budget
      // lowered by as much (PlanRetry).
      func->setAttr("sieve.arena_over_budget",
                    IntegerAttr::get(IntegerType::get(func.getContext(), 64),
                                     arena.arenaSize - budget));
      InFlightDiagnostic diag =
          peakOp->emitError()
          << "the memory plan needs a " << arena.arenaSize << "-byte arena, "
          << arena.arenaSize - budget << " bytes over the budget of " << budget
          << " bytes; at this '" << peakOp->getName() << "' " << peak.bytes
          << " bytes of buffers are live";
      if (peak.bytes > budget)
        diag.attachNote(func.getLoc())
            << "no placement can fit: the live buffers alone exceed the "
               "budget by "
            << peak.bytes - budget << " bytes";
      return diag;
    }

    rewriteAllocations(func, *liveness, arena);
    recordPlan(func, *liveness, arena, bySize, peak, peakOp);
    return success();
  }

  /// Adds the arena argument and turns every allocation into a view of it.
  void rewriteAllocations(func::FuncOp func, const BufferLiveness &liveness,
                          const ArenaPlan &arena) {
    MLIRContext *ctx = func.getContext();
    auto arenaType = MemRefType::get({static_cast<int64_t>(arena.arenaSize)},
                                     IntegerType::get(ctx, 8));
    unsigned index = func.getNumArguments();
    (void)func.insertArgument(
        index, arenaType,
        DictionaryAttr::get(ctx,
                            {NamedAttribute(StringAttr::get(ctx, "sieve.arena"),
                                            UnitAttr::get(ctx))}),
        func.getLoc());
    Value arenaArg = func.getArgument(index);

    for (auto [i, buffer] : llvm::enumerate(liveness.buffers)) {
      Operation *alloc = buffer.alloc;
      OpBuilder builder(alloc);
      uint64_t offset = arena.offsets[liveness.groupOf[i]];
      Value offsetValue =
          arith::ConstantIndexOp::create(builder, alloc->getLoc(), offset);
      Value view = memref::ViewOp::create(builder, alloc->getLoc(),
                                          alloc->getResult(0).getType(),
                                          arenaArg, offsetValue, ValueRange{});
      for (Operation *user :
           llvm::make_early_inc_range(alloc->getResult(0).getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc->getResult(0).replaceAllUsesWith(view);
      alloc->erase();
    }
  }

  void recordPlan(func::FuncOp func, const BufferLiveness &liveness,
                  const ArenaPlan &arena, const ArenaPlan &bySize,
                  LiveBytesPeak peak, Operation *peakOp) {
    MemoryPlan plan;
    plan.arenaSize = arena.arenaSize;
    plan.lowerBound = peak.bytes;
    plan.greedyBySize = bySize.arenaSize;
    plan.alignment = alignment;
    plan.budget = memoryBudget;
    plan.strategy = describePlacement(arena);
    plan.peakIndex = peak.index;
    plan.peakOp = describeOp(peakOp);
    for (auto [i, buffer] : llvm::enumerate(liveness.buffers)) {
      PlannedBuffer &planned = plan.buffers.emplace_back();
      planned.size = buffer.size;
      planned.offset = arena.offsets[liveness.groupOf[i]];
      planned.first = buffer.first;
      planned.last = buffer.last;
      planned.op = buffer.producer->getName().getStringRef().str();
      planned.loc = describeLocation(buffer.producer->getLoc());
      if (buffer.sharesWith >= 0) {
        planned.sharesWith = buffer.sharesWith;
        planned.sharing = buffer.sharing == AllocatedBuffer::Sharing::InPlace
                              ? "in-place"
                              : "other-branch";
      }
    }
    func->setAttr(attrs::kMemoryPlan, plan.toAttr(func.getContext()));
  }
};

} // namespace
