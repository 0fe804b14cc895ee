//===- OutlineLayers.cpp - Each layer of the entry in its own function ----===//
//
// Part of Sieve. After planning, the entry function holds the whole model:
// hundreds of loop nests in one function. LLVM's optimisation and code
// generation scale worse than linearly with the size of a function (loop
// strength reduction, the Arm low-overhead-loop pass and the register
// allocator walk the whole function per loop), so a large model took minutes
// to compile. This pass moves each layer (a top-level loop nest, linalg op or
// copy; consecutive small ones together) into a private `noinline` function,
// as TFLite Micro's kernels and IREE's dispatches are, and calls it: LLVM then
// optimises many small functions, in time linear in the number of layers.
//
// The callee receives the entry's buffers (the arena, the inputs and outputs)
// and recomputes the constants, globals and views it uses, so that it sees
// the same constant arena offsets as the entry did and LLVM's alias analysis
// keeps telling the buffers apart.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace sieve {
#define GEN_PASS_DEF_OUTLINELAYERS
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// Ops that a callee recomputes rather than takes as an argument: constants,
/// globals, views and index arithmetic. They cost nothing at run time and
/// keep the arena offsets constant in the callee.
bool isSinkable(Operation *op) {
  return op->getNumRegions() == 0 && op->getNumResults() != 0 && isPure(op);
}

/// Whether a callee can take `type` as an argument: a scalar, or a buffer
/// that the bare-pointer calling convention passes as its pointer.
bool isPassable(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type))
    return memref.hasStaticShape() && memref.getLayout().isIdentity();
  return type.isIntOrIndexOrFloat();
}

/// Program order of two values of one function: block arguments before
/// the ops of their block (the function's arguments before everything),
/// ops in their order, an op's results after what it contains.
bool isBefore(Value a, Value b) {
  // Where each value is: an op and whether it is an argument of a block of
  // the op's regions (or, for the function's, of the function).
  auto place = [](Value v) -> std::pair<Operation *, bool> {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return {arg.getOwner()->getParentOp(), true};
    return {v.getDefiningOp(), false};
  };
  auto index = [](Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getArgNumber();
    return cast<OpResult>(v).getResultNumber();
  };
  auto [opA, argA] = place(a);
  auto [opB, argB] = place(b);
  if (opA == opB)
    return argA != argB ? argA : index(a) < index(b);
  if (opA->isProperAncestor(opB))
    return argA;
  if (opB->isProperAncestor(opA))
    return !argB;
  for (Operation *x = opA; x; x = x->getParentOp())
    if (Operation *y = x->getBlock()->findAncestorOpInBlock(*opB))
      return x->isBeforeInBlock(y);
  return false;
}

/// The ops of `op` and of its regions: the size that LLVM will see.
int64_t countOps(Operation *op) {
  int64_t count = 0;
  op->walk([&](Operation *) { ++count; });
  return count;
}

} // namespace

void sieve::markColdCode(Operation *op) {
  MLIRContext *ctx = op->getContext();
  auto mark = StringAttr::get(ctx, kColdCode);
  op->walk([&](Operation *nested) {
    if (!isColdCode(nested))
      nested->setLoc(FusedLoc::get(ctx, {nested->getLoc()}, mark));
  });
}

bool sieve::isColdCode(Operation *op) {
  return op->getLoc()
      ->walk([](Location loc) {
        auto fused = dyn_cast<FusedLoc>(loc);
        auto mark = fused ? dyn_cast_or_null<StringAttr>(fused.getMetadata())
                          : StringAttr();
        return mark && mark.getValue() == kColdCode ? WalkResult::interrupt()
                                                    : WalkResult::advance();
      })
      .wasInterrupted();
}

namespace {

struct OutlineLayersPass final
    : sieve::impl::OutlineLayersBase<OutlineLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    unsigned index = 0;
    for (func::FuncOp func : getCompiledFunctions(module)) {
      if (func.isExternal())
        continue;
      if (!func.getBody().hasOneBlock()) {
        // Control flow at the top level (not produced by the pipeline):
        // the layers are not a straight sequence; leave the function whole.
        func.emitRemark("sieve-outline-layers: the entry has several blocks; "
                        "its layers stay in it");
        continue;
      }
      outlineBlock(module, symbols, func, func.getBody().front(),
                   /*coldOnly=*/false, index);
    }
    // Cold code inside loops (the border patches unrolled in each band of
    // a cached grid: a patch's work, a few times per inference) gets
    // functions of its own too, called from the loop, so that it is
    // compiled for size while the loop around it keeps -O3.
    for (func::FuncOp func :
         llvm::to_vector(module.getBody()->getOps<func::FuncOp>())) {
      if (func.isExternal() || isOptSize(func))
        continue;
      // Loops of hot code only: a cold loop moves whole, with its body.
      SmallVector<Block *> blocks;
      func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (isColdCode(op))
          return WalkResult::skip();
        if (isa<LoopLikeOpInterface>(op))
          for (Region &region : op->getRegions())
            for (Block &block : region)
              blocks.push_back(&block);
        return WalkResult::advance();
      });
      for (Block *block : blocks)
        outlineBlock(module, symbols, func, *block, /*coldOnly=*/true, index);
    }
    // The constants and views that only the moved ops used.
    module.walk<WalkOrder::PostOrder, ReverseIterator>([](Operation *op) {
      if (isSinkable(op) && op->use_empty())
        op->erase();
    });
  }

  static bool isOptSize(func::FuncOp func) {
    auto passthrough = func->getAttrOfType<ArrayAttr>("passthrough");
    return passthrough &&
           llvm::is_contained(passthrough.getValue(),
                              StringAttr::get(func.getContext(), "optsize"));
  }

  /// Whether `op` can move into a callee: it defines no value (every op on
  /// buffers: linalg ops, loops, copies) and is not a launch of the
  /// parallel-for hook, whose arguments only the entry point receives.
  bool isMovable(Operation *op, SymbolTable &symbols) {
    if (op->getNumResults() != 0 || op->hasTrait<OpTrait::IsTerminator>())
      return false;
    if (auto call = dyn_cast<func::CallOp>(op)) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee || callee->hasAttr(attrs::kParallelTask))
        return false;
    }
    return true;
  }

  /// Outlines the runs of movable ops of `block` (with `coldOnly`, those
  /// of cold code only).
  void outlineBlock(ModuleOp module, SymbolTable &symbols, func::FuncOp func,
                    Block &block, bool coldOnly, unsigned &index) {
    // Runs of movable ops, cut when they reach `min-ops` ops or meet an op
    // that stays. Sinkable ops in between stay (the callee clones what it
    // needs) and do not cut a run.
    SmallVector<SmallVector<Operation *>> groups;
    SmallVector<Operation *> current;
    int64_t size = 0;
    bool cold = false;
    auto close = [&] {
      if (!current.empty())
        groups.push_back(std::move(current));
      current.clear();
      size = 0;
    };
    for (Operation &op : block.without_terminator()) {
      if (isSinkable(&op))
        continue;
      if (!isMovable(&op, symbols) || (coldOnly && !isColdCode(&op))) {
        close();
        continue;
      }
      // Cold code (kColdCode) gets functions of its own, compiled for size.
      if (!current.empty() && isColdCode(&op) != cold)
        close();
      cold = isColdCode(&op);
      current.push_back(&op);
      size += countOps(&op);
      if (size >= static_cast<int64_t>(minOps))
        close();
    }
    close();

    for (ArrayRef<Operation *> group : groups)
      if (outlineGroup(module, symbols, func, group, index))
        ++index;
  }

  /// Moves `group` into a new function called where the group was. Returns
  /// false (and changes nothing) when a value it uses cannot be passed.
  bool outlineGroup(ModuleOp module, SymbolTable &symbols, func::FuncOp func,
                    ArrayRef<Operation *> group, unsigned index) {
    MLIRContext *ctx = &getContext();
    Block &body = func.getBody().front();
    llvm::SmallPtrSet<Operation *, 16> members(group.begin(), group.end());
    auto isMember = [&](Operation *op) {
      for (; op; op = op->getParentOp())
        if (members.contains(op))
          return true;
      return false;
    };

    // The values the group uses from the entry: sinkable definitions are
    // cloned (with their own operands), the rest become arguments.
    llvm::SetVector<Value> used;
    for (Operation *op : group) {
      used.insert(op->getOperands().begin(), op->getOperands().end());
      for (Region &region : op->getRegions())
        getUsedValuesDefinedAbove(region, used);
    }
    llvm::SetVector<Operation *> sunk;
    llvm::SetVector<Value> arguments;
    SmallVector<Value> worklist(used.begin(), used.end());
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      Operation *def = value.getDefiningOp();
      if (def && isMember(def))
        continue;
      // A value the group uses dominates it: defined in the function's
      // body or, for a group inside a loop, in the blocks around it.
      if (def && isSinkable(def)) {
        if (sunk.insert(def))
          worklist.append(def->getOperands().begin(), def->getOperands().end());
        continue;
      }
      if (!isPassable(value.getType()))
        return false;
      arguments.insert(value);
    }
    // Arguments in a stable order: the entry's own arguments first, in
    // their order, then other values in program order (a loop's induction
    // variable before what its body defines).
    SmallVector<Value> passed(arguments.begin(), arguments.end());
    llvm::sort(passed, isBefore);
    // Cloned in program order, so that operands come before their users.
    SmallVector<Operation *> sunkInOrder(sunk.begin(), sunk.end());
    llvm::sort(sunkInOrder, [](Operation *a, Operation *b) {
      return isBefore(a->getResult(0), b->getResult(0));
    });

    // The callee: private, internal to the object, never inlined back.
    Location loc = group.front()->getLoc();
    OpBuilder atModule = OpBuilder::atBlockEnd(module.getBody());
    SmallVector<Type> types;
    for (Value value : passed)
      types.push_back(value.getType());
    // Local symbols of the object: the name needs no model prefix (and
    // must not look like one of the model's C symbols).
    auto callee = func::FuncOp::create(atModule, loc,
                                       ("sieve_layer" + Twine(index)).str(),
                                       FunctionType::get(ctx, types, {}));
    callee.setPrivate();
    // convert-func-to-llvm reads the linkage from this attribute and passes
    // `passthrough` to LLVM as function attributes.
    callee->setAttr("llvm.linkage",
                    LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    // Cold code (run once, little work: kColdCode) is compiled for size:
    // -O3 would unroll its loops of constant trip counts.
    SmallVector<Attribute> passthrough{StringAttr::get(ctx, "noinline")};
    if (llvm::all_of(group, isColdCode))
      passthrough.push_back(StringAttr::get(ctx, "optsize"));
    callee->setAttr("passthrough", ArrayAttr::get(ctx, passthrough));
    symbols.insert(callee);
    Block *entry = callee.addEntryBlock();
    // An argument of the entry keeps its attributes (alignment, ...).
    for (auto [i, value] : llvm::enumerate(passed))
      if (auto arg = dyn_cast<BlockArgument>(value))
        if (arg.getOwner() == &body)
          if (DictionaryAttr attrs = func.getArgAttrDict(arg.getArgNumber()))
            callee.setArgAttrs(i, attrs);

    IRMapping mapping;
    for (auto [i, value] : llvm::enumerate(passed))
      mapping.map(value, entry->getArgument(i));
    OpBuilder builder = OpBuilder::atBlockBegin(entry);
    for (Operation *op : sunkInOrder)
      builder.clone(*op, mapping);
    for (Operation *op : group)
      builder.clone(*op, mapping);
    func::ReturnOp::create(builder, loc);

    OpBuilder atGroup(group.front());
    func::CallOp::create(atGroup, loc, callee, passed);
    for (Operation *op : group)
      op->erase();
    return true;
  }
};

} // namespace
