//===- ElideCopies.cpp - Remove copies bufferization leaves behind --------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

namespace sieve {
#define GEN_PASS_DEF_ELIDECOPIES
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// Follows `value` back through reshapes to an allocation; collects the
/// reshapes, the last one first.
memref::AllocOp findAllocThroughReshapes(Value value,
                                         SmallVectorImpl<Operation *> &chain) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def))
      return alloc;
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
      return {};
    chain.push_back(def);
    value = def->getOperand(0);
  }
  return {};
}

/// Rebuilds, from `output`, a value of the allocation's type by undoing the
/// reshapes that led from the allocation to the copied value.
Value undoReshapes(OpBuilder &builder, Value output,
                   ArrayRef<Operation *> chain) {
  for (Operation *op : chain) {
    Location loc = op->getLoc();
    if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op)) {
      output = memref::ExpandShapeOp::create(
          builder, loc, collapse.getSrcType(), output,
          collapse.getReassociationIndices());
    } else {
      auto expand = cast<memref::ExpandShapeOp>(op);
      output = memref::CollapseShapeOp::create(
          builder, loc, expand.getSrcType(), output,
          expand.getReassociationIndices());
    }
  }
  return output;
}

/// The elements a view of static layout covers, as a range of linear
/// offsets into its base buffer (from its first element to just past its
/// last); none when the layout is not static.
std::optional<std::pair<int64_t, int64_t>> linearExtent(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() ||
      failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  int64_t last = offset, step;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides))
    if (size == 0 || stride < 0 || llvm::MulOverflow(size - 1, stride, step) ||
        llvm::AddOverflow(last, step, last))
      return std::nullopt;
  if (last == std::numeric_limits<int64_t>::max())
    return std::nullopt;
  return std::make_pair(offset, last + 1);
}

/// The elements of a view of static layout as its runs of consecutive
/// linear offsets into its base buffer ([begin, end), in order), at most
/// `limit` of them; none when the layout is not static or there are more.
std::optional<SmallVector<std::pair<int64_t, int64_t>>>
linearRuns(MemRefType type, size_t limit) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() ||
      failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(type.getShape(), [](int64_t d) { return d <= 0; }))
    return std::nullopt;
  // The innermost dimension is one run when its stride is 1.
  int64_t rank = type.getRank(), inner = rank ? type.getShape()[rank - 1] : 1;
  bool unit = rank && strides[rank - 1] == 1;
  int64_t outer = rank - (unit ? 1 : 0), runs = 1;
  for (int64_t i = 0; i < outer; ++i)
    if (llvm::MulOverflow(runs, type.getShape()[i], runs) ||
        runs > int64_t(limit))
      return std::nullopt;
  SmallVector<std::pair<int64_t, int64_t>> result;
  SmallVector<int64_t> index(outer, 0);
  for (int64_t r = 0; r < runs; ++r) {
    int64_t begin = offset;
    for (int64_t i = 0; i < outer; ++i)
      begin += index[i] * strides[i];
    result.push_back({begin, begin + (unit ? inner : 1)});
    for (int64_t i = outer - 1; i >= 0 && ++index[i] == type.getShape()[i]; --i)
      index[i] = 0;
  }
  llvm::sort(result);
  return result;
}

/// Whether `a` and `b` are views of one buffer (through subviews) that
/// share no element: their ranges of linear offsets do not meet, or, for
/// strided views (columns of an image), none of their runs do.
bool disjointViews(Value a, Value b) {
  auto base = [](Value v) {
    while (auto view = v.getDefiningOp<memref::SubViewOp>())
      v = view.getSource();
    return v;
  };
  if (base(a) != base(b))
    return false;
  auto ea = linearExtent(cast<MemRefType>(a.getType()));
  auto eb = linearExtent(cast<MemRefType>(b.getType()));
  if (!ea || !eb)
    return false;
  if (ea->second <= eb->first || eb->second <= ea->first)
    return true;
  constexpr size_t kMaxRuns = 1 << 16;
  auto ra = linearRuns(cast<MemRefType>(a.getType()), kMaxRuns);
  auto rb = linearRuns(cast<MemRefType>(b.getType()), kMaxRuns);
  if (!ra || !rb)
    return false;
  for (size_t i = 0, j = 0; i < ra->size() && j < rb->size();) {
    auto [aBegin, aEnd] = (*ra)[i];
    auto [bBegin, bEnd] = (*rb)[j];
    if (aBegin < bEnd && bBegin < aEnd)
      return false;
    if (aEnd <= bBegin)
      ++i;
    else
      ++j;
  }
  return true;
}

/// A copy through a temporary between two disjoint parts of one buffer
/// (`copy %a, %t` then `copy %t, %b`, the temporary used by nothing else):
/// what bufferization makes of a tensor's rows moved within it (the window
/// slides of cached row strips and column windows,
/// sieve-lower-patch-stages). One copy, and no
/// temporary in the arena. Returns the second copy when it elided them.
Operation *elideCopyThroughTemporary(memref::CopyOp first) {
  auto temporary = first.getTarget().getDefiningOp<memref::AllocOp>();
  if (!temporary)
    return nullptr;
  Operation *next = first->getNextNode();
  while (next && isa<memref::SubViewOp>(next))
    next = next->getNextNode();
  auto second = dyn_cast_or_null<memref::CopyOp>(next);
  if (!second || second.getSource() != temporary.getResult() ||
      !disjointViews(first.getSource(), second.getTarget()))
    return nullptr;
  for (Operation *user : temporary->getUsers())
    if (user != first && user != second && !isa<memref::DeallocOp>(user))
      return nullptr;
  OpBuilder builder(second);
  memref::CopyOp::create(builder, second.getLoc(), first.getSource(),
                         second.getTarget());
  // `next` (the second copy) is returned as erased: only its address.
  second.erase();
  first.erase();
  for (Operation *user : llvm::make_early_inc_range(temporary->getUsers()))
    user->erase();
  temporary.erase();
  return next;
}

struct ElideCopiesPass final : sieve::impl::ElideCopiesBase<ElideCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    func.walk([](memref::CopyOp copy) {
      if (copy.getSource() == copy.getTarget())
        copy.erase();
    });
    SmallVector<memref::CopyOp> all;
    func.walk([&](memref::CopyOp copy) { all.push_back(copy); });
    llvm::SmallPtrSet<Operation *, 8> erased;
    for (memref::CopyOp copy : all)
      if (!erased.contains(copy))
        if (Operation *second = elideCopyThroughTemporary(copy))
          erased.insert(second);
    Block &body = func.getBody().front();
    SmallVector<memref::CopyOp> copies;
    for (auto copy : body.getOps<memref::CopyOp>())
      copies.push_back(copy);
    for (memref::CopyOp copy : copies)
      elideOutputCopy(copy);
  }

  /// Makes the buffer copied into an output argument a view of that argument.
  void elideOutputCopy(memref::CopyOp copy) {
    auto output = dyn_cast<BlockArgument>(copy.getTarget());
    if (!output || output.getOwner()->getParentOp() != getOperation() ||
        !output.hasOneUse())
      return;
    auto outputType = cast<MemRefType>(output.getType());
    if (!outputType.getLayout().isIdentity())
      return;
    SmallVector<Operation *> chain;
    memref::AllocOp alloc = findAllocThroughReshapes(copy.getSource(), chain);
    if (!alloc || alloc->getBlock() != copy->getBlock())
      return;
    // The allocation and its reshapes must be dead after the copy.
    SmallVector<Value> views = {alloc.getResult()};
    for (Operation *op : chain)
      views.push_back(op->getResult(0));
    for (Value view : views)
      for (Operation *user : view.getUsers()) {
        Operation *top = copy->getBlock()->findAncestorOpInBlock(*user);
        if (top != copy && copy->isBeforeInBlock(top))
          return;
      }

    if (chain.empty() && output.getType() != alloc.getType())
      return;
    OpBuilder builder(alloc);
    Value replacement = undoReshapes(builder, output, chain);
    copy.erase();
    alloc.getResult().replaceAllUsesWith(replacement);
    alloc.erase();
  }
};

} // namespace
