//===- BufferLiveness.cpp - Lifetimes of a function's buffers -------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/BufferLiveness.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/DenseMap.h"

#include <functional>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace sieve;

std::optional<uint64_t> sieve::getByteSize(ShapedType type,
                                           unsigned indexBits) {
  if (!type.hasStaticShape())
    return std::nullopt;
  Type element = type.getElementType();
  uint64_t bits = 0;
  if (isa<IndexType>(element))
    bits = indexBits;
  else if (element.isIntOrFloat())
    bits = element.getIntOrFloatBitWidth();
  else
    return std::nullopt;
  // LLVM stores i1 in a byte and i48 in eight: round to a power of two.
  uint64_t bytes = llvm::PowerOf2Ceil(llvm::divideCeil(bits, 8));
  bool overflowed = false;
  for (int64_t dim : type.getShape())
    bytes = llvm::SaturatingMultiply(bytes, static_cast<uint64_t>(dim),
                                     &overflowed);
  if (overflowed)
    return std::nullopt;
  return bytes;
}

uint64_t sieve::getStaticByteSize(MemRefType type) {
  // Larger than any budget, so that a size that cannot be counted fails the
  // plan instead of wrapping around.
  return getByteSize(type).value_or(std::numeric_limits<uint64_t>::max());
}

/// Whether the elementwise op `op` may write its init operand `out` into the
/// storage of its input operand `in`: every iteration reads exactly the bytes
/// of `in` that it writes in `out`, and nothing else reads them, so any
/// iteration order is correct.
static bool canWriteInPlace(linalg::LinalgOp op, OpOperand *in, OpOperand *out,
                            Value inRoot,
                            const DenseMap<Value, Value> &rootOf) {
  if (op.getNumLoops() != op.getNumParallelLoops())
    return false;
  auto inType = dyn_cast<MemRefType>(in->get().getType());
  auto outType = dyn_cast<MemRefType>(out->get().getType());
  if (!inType || !outType || inType.getShape() != outType.getShape() ||
      !inType.getLayout().isIdentity() || !outType.getLayout().isIdentity() ||
      inType.getElementTypeBitWidth() != outType.getElementTypeBitWidth())
    return false;
  AffineMap inMap = op.getMatchingIndexingMap(in);
  if (inMap != op.getMatchingIndexingMap(out) || !inMap.isPermutation())
    return false;
  if (op.payloadUsesValueFromOperand(out))
    return false;
  // No other operand may touch the shared bytes in another pattern.
  for (OpOperand &other : op->getOpOperands()) {
    if (&other == in || &other == out)
      continue;
    auto it = rootOf.find(other.get());
    if (it != rootOf.end() && it->second == inRoot)
      return false;
  }
  return true;
}

/// A buffer that is only written and read inside one branch of an scf.if,
/// and leaves it only through that if's result or an `arith.select` on its
/// condition (what canonicalization makes of such results): the buffer of
/// the other branch is never alive at the same time.
struct BranchUse {
  Operation *ifOp;
  unsigned region;
};

static std::optional<BranchUse>
findBranchUse(Value root, const BufferViewFlowAnalysis &aliases) {
  BufferViewFlowAnalysis::ValueSetT views = aliases.resolve(root);
  // Where the buffer merges with another one after the branch.
  SmallVector<Value> merges;
  llvm::SmallPtrSet<Value, 8> merged;
  for (Value view : views) {
    Operation *def = view.getDefiningOp();
    if (isa_and_nonnull<scf::IfOp, arith::SelectOp>(def)) {
      merges.push_back(view);
      for (Value derived : aliases.resolve(view))
        merged.insert(derived);
    }
  }
  if (merges.empty())
    return std::nullopt;

  // The innermost scf.if around every other use, and the branch.
  std::optional<BranchUse> branch;
  for (Value view : views) {
    if (merged.contains(view))
      continue;
    for (Operation *user : view.getUsers()) {
      if (llvm::any_of(user->getResults(),
                       [&](Value result) { return merged.contains(result); }))
        continue; // The merge itself.
      // A view does not touch the data, wherever it is made (a buffer of
      // dynamic shape gets its view where it was allocated, which may be
      // before the scf.if): its users do.
      if (isa<ViewLikeOpInterface>(user) && user->getNumRegions() == 0 &&
          llvm::all_of(user->getResults(),
                       [&](Value result) { return views.contains(result); }))
        continue;
      Region *region = user->getParentRegion();
      while (region && !isa<scf::IfOp>(region->getParentOp()))
        region = region->getParentRegion();
      if (!region)
        return std::nullopt;
      BranchUse use{region->getParentOp(), region->getRegionNumber()};
      if (branch && (branch->ifOp != use.ifOp || branch->region != use.region))
        return std::nullopt;
      branch = use;
    }
  }
  if (!branch)
    return std::nullopt;
  auto ifOp = cast<scf::IfOp>(branch->ifOp);
  for (Value merge : merges) {
    Operation *def = merge.getDefiningOp();
    if (auto select = dyn_cast<arith::SelectOp>(def)) {
      if (select.getCondition() != ifOp.getCondition())
        return std::nullopt;
    } else if (def != ifOp) {
      return std::nullopt;
    }
  }
  return branch;
}

/// The buffer whose storage `buffer` can reuse in place, if any: one that an
/// elementwise op reads for the last time while it writes `buffer` first.
static std::optional<unsigned>
findInPlaceSource(const BufferLiveness &liveness, const AllocatedBuffer &buffer,
                  const DenseMap<Value, Value> &rootOf,
                  const DenseMap<Value, unsigned> &bufferIndexOf,
                  const std::vector<bool> &visited) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(buffer.producer);
  if (!linalgOp || !linalgOp.hasPureBufferSemantics())
    return std::nullopt;
  Value outRoot = buffer.alloc->getResult(0);
  for (OpOperand &out : linalgOp.getDpsInitsMutable()) {
    if (rootOf.lookup(out.get()) != outRoot)
      continue;
    for (OpOperand *in : linalgOp.getDpsInputOperands()) {
      Value inRoot = rootOf.lookup(in->get());
      if (!inRoot || inRoot == outRoot)
        continue;
      unsigned a = bufferIndexOf.lookup(inRoot);
      if (!visited[a])
        continue;
      const AllocatedBuffer &source = liveness.buffers[a];
      const BufferLifetime &group = liveness.lifetimes[liveness.groupOf[a]];
      if (source.last == buffer.first && group.last == buffer.first &&
          source.size == buffer.size &&
          canWriteInPlace(linalgOp, in, &out, inRoot, rootOf))
        return a;
    }
  }
  return std::nullopt;
}

std::optional<IndexRange> sieve::getIndexRange(Value value, unsigned depth) {
  if (depth > 32)
    return std::nullopt;
  if (std::optional<int64_t> c = getConstantIntValue(value))
    return IndexRange{*c, *c};
  if (auto iv = dyn_cast<BlockArgument>(value)) {
    auto loop = dyn_cast<scf::ForOp>(iv.getOwner()->getParentOp());
    if (!loop || iv != loop.getInductionVar())
      return std::nullopt;
    std::optional<IndexRange> lb =
        getIndexRange(loop.getLowerBound(), depth + 1);
    std::optional<IndexRange> ub =
        getIndexRange(loop.getUpperBound(), depth + 1);
    if (!lb || !ub || ub->second <= lb->first)
      return std::nullopt;
    return IndexRange{lb->first, ub->second - 1};
  }
  Operation *def = value.getDefiningOp();
  AffineMap map;
  ValueRange operands;
  if (auto min = dyn_cast_or_null<affine::AffineMinOp>(def))
    map = min.getMap(), operands = min.getOperands();
  else if (auto max = dyn_cast_or_null<affine::AffineMaxOp>(def))
    map = max.getMap(), operands = max.getOperands();
  else if (auto apply = dyn_cast_or_null<affine::AffineApplyOp>(def))
    map = apply.getMap(), operands = apply.getOperands();
  else
    return std::nullopt;
  SmallVector<IndexRange> ranges;
  for (Value operand : operands) {
    std::optional<IndexRange> r = getIndexRange(operand, depth + 1);
    if (!r)
      return std::nullopt;
    ranges.push_back(*r);
  }
  std::function<std::optional<IndexRange>(AffineExpr)> eval =
      [&](AffineExpr expr) -> std::optional<IndexRange> {
    if (auto c = dyn_cast<AffineConstantExpr>(expr))
      return IndexRange{c.getValue(), c.getValue()};
    if (auto d = dyn_cast<AffineDimExpr>(expr))
      return ranges[d.getPosition()];
    if (auto sym = dyn_cast<AffineSymbolExpr>(expr))
      return ranges[map.getNumDims() + sym.getPosition()];
    auto bin = cast<AffineBinaryOpExpr>(expr);
    std::optional<IndexRange> l = eval(bin.getLHS()), r = eval(bin.getRHS());
    if (!l || !r)
      return std::nullopt;
    switch (expr.getKind()) {
    case AffineExprKind::Add:
      return IndexRange{l->first + r->first, l->second + r->second};
    case AffineExprKind::Mul: {
      int64_t a = l->first * r->first, b = l->first * r->second,
              c = l->second * r->first, d = l->second * r->second;
      return IndexRange{std::min({a, b, c, d}), std::max({a, b, c, d})};
    }
    case AffineExprKind::FloorDiv:
    case AffineExprKind::CeilDiv:
      if (r->first != r->second || r->first <= 0)
        return std::nullopt;
      if (expr.getKind() == AffineExprKind::FloorDiv)
        return IndexRange{llvm::divideFloorSigned(l->first, r->first),
                          llvm::divideFloorSigned(l->second, r->first)};
      return IndexRange{llvm::divideCeilSigned(l->first, r->first),
                        llvm::divideCeilSigned(l->second, r->first)};
    case AffineExprKind::Mod:
      if (r->first != r->second || r->first <= 0)
        return std::nullopt;
      return IndexRange{0, r->first - 1};
    default:
      return std::nullopt;
    }
  };
  std::optional<IndexRange> result;
  for (AffineExpr expr : map.getResults()) {
    std::optional<IndexRange> r = eval(expr);
    if (!r)
      return std::nullopt;
    if (!result)
      result = r;
    else if (isa<affine::AffineMinOp>(def))
      result = IndexRange{std::min(result->first, r->first),
                          std::min(result->second, r->second)};
    else
      result = IndexRange{std::max(result->first, r->first),
                          std::max(result->second, r->second)};
  }
  return result;
}

/// The value of affine expression `expr` at the given dimension and symbol
/// values.
static std::optional<int64_t> evaluateAffine(AffineExpr expr,
                                             ArrayRef<int64_t> dims,
                                             ArrayRef<int64_t> symbols) {
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return c.getValue();
  if (auto d = dyn_cast<AffineDimExpr>(expr))
    return dims[d.getPosition()];
  if (auto s = dyn_cast<AffineSymbolExpr>(expr))
    return symbols[s.getPosition()];
  auto bin = cast<AffineBinaryOpExpr>(expr);
  std::optional<int64_t> l = evaluateAffine(bin.getLHS(), dims, symbols);
  std::optional<int64_t> r = evaluateAffine(bin.getRHS(), dims, symbols);
  if (!l || !r)
    return std::nullopt;
  switch (expr.getKind()) {
  case AffineExprKind::Add:
    return *l + *r;
  case AffineExprKind::Mul:
    return *l * *r;
  case AffineExprKind::FloorDiv:
    return *r > 0 ? std::optional<int64_t>(llvm::divideFloorSigned(*l, *r))
                  : std::nullopt;
  case AffineExprKind::CeilDiv:
    return *r > 0 ? std::optional<int64_t>(llvm::divideCeilSigned(*l, *r))
                  : std::nullopt;
  case AffineExprKind::Mod:
    return *r > 0 ? std::optional<int64_t>(((*l % *r) + *r) % *r)
                  : std::nullopt;
  default:
    return std::nullopt;
  }
}

/// The value of index `value` when the induction variables take the values
/// of `at`; std::nullopt for anything else.
static std::optional<int64_t> evaluateIndex(Value value,
                                            const DenseMap<Value, int64_t> &at,
                                            unsigned depth = 0) {
  if (depth > 64)
    return std::nullopt;
  if (std::optional<int64_t> c = getConstantIntValue(value))
    return c;
  if (auto it = at.find(value); it != at.end())
    return it->second;
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  SmallVector<int64_t> operands;
  for (Value operand : def->getOperands()) {
    std::optional<int64_t> v = evaluateIndex(operand, at, depth + 1);
    if (!v)
      return std::nullopt;
    operands.push_back(*v);
  }
  AffineMap map;
  if (auto op = dyn_cast<affine::AffineMinOp>(def))
    map = op.getMap();
  else if (auto op = dyn_cast<affine::AffineMaxOp>(def))
    map = op.getMap();
  else if (auto op = dyn_cast<affine::AffineApplyOp>(def))
    map = op.getMap();
  if (map) {
    ArrayRef<int64_t> all(operands);
    std::optional<int64_t> result;
    for (AffineExpr expr : map.getResults()) {
      std::optional<int64_t> v =
          evaluateAffine(expr, all.take_front(map.getNumDims()),
                         all.drop_front(map.getNumDims()));
      if (!v)
        return std::nullopt;
      if (!result)
        result = v;
      else if (isa<affine::AffineMinOp>(def))
        result = std::min(*result, *v);
      else
        result = std::max(*result, *v);
    }
    return result;
  }
  if (operands.size() != 2)
    return std::nullopt;
  int64_t a = operands[0], b = operands[1];
  if (isa<arith::AddIOp>(def))
    return a + b;
  if (isa<arith::SubIOp>(def))
    return a - b;
  if (isa<arith::MulIOp>(def))
    return a * b;
  if (isa<arith::MinSIOp>(def))
    return std::min(a, b);
  if (isa<arith::MaxSIOp>(def))
    return std::max(a, b);
  return std::nullopt;
}

std::optional<IndexRange> sieve::getExactIndexRange(Value value,
                                                    uint64_t maxPoints) {
  // The loops whose induction variables `value` depends on.
  SmallVector<scf::ForOp> loops;
  SmallVector<Value> worklist{value};
  DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second || getConstantIntValue(v))
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
      if (!loop || arg != loop.getInductionVar())
        return std::nullopt;
      loops.push_back(loop);
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (!isa<affine::AffineMinOp, affine::AffineMaxOp, affine::AffineApplyOp,
             arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::MinSIOp,
             arith::MaxSIOp>(def))
      return std::nullopt;
    for (Value operand : def->getOperands())
      worklist.push_back(operand);
  }
  // Each loop's iterations, when its bounds and step are constant.
  SmallVector<SmallVector<int64_t>> values;
  uint64_t points = 1;
  for (scf::ForOp loop : loops) {
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    if (!lb || !ub || !step || *step <= 0 || *ub <= *lb)
      return std::nullopt;
    SmallVector<int64_t> iterations;
    for (int64_t i = *lb; i < *ub; i += *step)
      iterations.push_back(i);
    points *= iterations.size();
    if (points > maxPoints)
      return std::nullopt;
    values.push_back(std::move(iterations));
  }
  std::optional<IndexRange> range;
  SmallVector<size_t> index(loops.size(), 0);
  DenseMap<Value, int64_t> at;
  for (uint64_t p = 0; p < points; ++p) {
    for (size_t l = 0; l < loops.size(); ++l)
      at[loops[l].getInductionVar()] = values[l][index[l]];
    std::optional<int64_t> v = evaluateIndex(value, at);
    if (!v)
      return std::nullopt;
    range = range ? IndexRange{std::min(range->first, *v),
                               std::max(range->second, *v)}
                  : IndexRange{*v, *v};
    // The next combination of iterations.
    for (size_t l = 0; l < loops.size(); ++l) {
      if (++index[l] < values[l].size())
        break;
      index[l] = 0;
    }
  }
  return range;
}

/// Loops over patches, marked by sieve-lower-patch-stages: the arena sees
/// inside them.
static bool isPatchLoop(Operation *op) {
  return isa<scf::ForOp>(op) && op->hasAttr(kPatchLoopAttrName);
}

FailureOr<BufferLiveness> sieve::analyzeBufferLiveness(func::FuncOp func) {
  BufferLiveness liveness;
  Block &body = func.getBody().front();
  // The schedule: the top-level ops, with the bodies of loops over patches
  // in place of the loops (each loop first, then its body), so that a buffer
  // a patch allocates lives only within one iteration.
  DenseMap<Operation *, unsigned> indexOf;
  DenseMap<Operation *, std::pair<unsigned, unsigned>> loopRange;
  std::function<void(Block &)> schedule = [&](Block &block) {
    for (Operation &op : block) {
      indexOf[&op] = liveness.schedule.size();
      liveness.schedule.push_back(&op);
      if (isPatchLoop(&op)) {
        unsigned start = indexOf[&op];
        schedule(op.getRegion(0).front());
        loopRange[&op] = {start, unsigned(liveness.schedule.size() - 1)};
      }
    }
  };
  schedule(body);
  // The scheduled op that `op` belongs to.
  auto scheduledAncestor = [&](Operation *op) -> Operation * {
    while (op && !indexOf.count(op))
      op = op->getParentOp();
    return op;
  };

  // Every alloc must sit at the top level with a static shape.
  WalkResult walk = func.walk([&](Operation *op) {
    if (!isa<memref::AllocOp, memref::AllocaOp>(op))
      return WalkResult::advance();
    auto type = cast<MemRefType>(op->getResult(0).getType());
    if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
      op->emitError("cannot place a buffer of type ")
          << type
          << " in the static arena: it needs a static shape and the identity "
             "layout";
      return WalkResult::interrupt();
    }
    if (op->getBlock() != &body) {
      op->emitError("cannot place a buffer allocated inside a region ('")
          << op->getParentOp()->getName()
          << "') in the static arena; hoist it to the function body";
      return WalkResult::interrupt();
    }
    AllocatedBuffer buffer;
    buffer.alloc = op;
    buffer.size = getStaticByteSize(type);
    liveness.buffers.push_back(buffer);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  // Lifetimes: the top-level ancestors of every use of every alias.
  BufferViewFlowAnalysis aliases(func);
  DenseMap<Value, Value> rootOf;
  for (AllocatedBuffer &buffer : liveness.buffers) {
    Value root = buffer.alloc->getResult(0);
    unsigned allocIndex = indexOf[buffer.alloc];
    buffer.first = UINT_MAX;
    buffer.last = allocIndex;
    BufferViewFlowAnalysis::ValueSetT views = aliases.resolve(root);
    // The scheduled ops that use it.
    SmallVector<Operation *> users;
    for (Value alias : views) {
      rootOf[alias] = root;
      for (OpOperand &use : alias.getUses()) {
        Operation *user = scheduledAncestor(use.getOwner());
        if (!user)
          continue;
        if (user->hasTrait<OpTrait::IsTerminator>() &&
            user->getBlock() == &body) {
          use.getOwner()->emitError(
              "a buffer escapes through the terminator; outputs must be "
              "written into the caller's output arguments "
              "(buffer-results-to-out-params)");
          return failure();
        }
        // Views, reshapes and selects do not touch the data: their users do.
        if (isa<ViewLikeOpInterface, arith::SelectOp>(user) &&
            user->getNumRegions() == 0 &&
            llvm::all_of(user->getResults(),
                         [&](Value result) { return views.contains(result); }))
          continue;
        users.push_back(user);
        unsigned index = indexOf[user];
        if (index < buffer.first) {
          buffer.first = index;
          buffer.producer = user;
        }
        buffer.last = std::max(buffer.last, index);
      }
    }
    if (buffer.first == UINT_MAX) {
      // Allocated but never used: give it the alloc's own instant.
      buffer.first = allocIndex;
      buffer.producer = buffer.alloc;
      continue;
    }
    // Inside loops over patches: a buffer that only one iteration's ops use
    // (and no yield carries to the next) lives within that iteration. After
    // bufferization nothing else can pass data between iterations: a tensor
    // defined before the loop is written before it, a tensor of the body
    // is undefined at the start of each iteration.
    for (auto &[loop, range] : loopRange) {
      bool inside = llvm::all_of(
          users, [&](Operation *user) { return loop->isProperAncestor(user); });
      bool some = llvm::any_of(
          users, [&](Operation *user) { return loop->isAncestor(user); });
      if (!some)
        continue;
      bool carried = llvm::any_of(users, [&](Operation *user) {
        return user->hasTrait<OpTrait::IsTerminator>() &&
               user->getParentOp() == loop;
      });
      if (inside && !carried)
        continue;
      buffer.first = std::min(buffer.first, range.first);
      buffer.last = std::max(buffer.last, range.second);
    }
    buffer.producer = liveness.schedule[buffer.first];
  }

  // In-place reuse: buffer B joins the storage group of buffer A when the op
  // that first writes B is the last one to read A, elementwise. Buffers are
  // visited by first use, so that A's group is complete when B is considered.
  size_t numBuffers = liveness.buffers.size();
  liveness.groupOf.assign(numBuffers, 0);
  std::vector<bool> visited(numBuffers, false);
  std::vector<unsigned> byFirstUse(numBuffers);
  std::iota(byFirstUse.begin(), byFirstUse.end(), 0);
  llvm::stable_sort(byFirstUse, [&](unsigned a, unsigned b) {
    return liveness.buffers[a].first < liveness.buffers[b].first;
  });
  DenseMap<Value, unsigned> bufferIndexOf;
  for (auto [i, buffer] : llvm::enumerate(liveness.buffers))
    bufferIndexOf[buffer.alloc->getResult(0)] = i;
  std::vector<std::optional<BranchUse>> branches;
  std::vector<bool> branchPaired(numBuffers, false);
  for (AllocatedBuffer &buffer : liveness.buffers)
    branches.push_back(findBranchUse(buffer.alloc->getResult(0), aliases));
  for (unsigned i : byFirstUse) {
    AllocatedBuffer &buffer = liveness.buffers[i];
    visited[i] = true;
    std::optional<unsigned> partner =
        findInPlaceSource(liveness, buffer, rootOf, bufferIndexOf, visited);
    if (partner)
      buffer.sharing = AllocatedBuffer::Sharing::InPlace;
    if (!partner && branches[i]) {
      // A buffer of another branch of the same scf.if, not yet paired.
      for (unsigned j = 0; j < numBuffers && !partner; ++j)
        if (visited[j] && !branchPaired[j] && branches[j] &&
            liveness.buffers[j].sharing == AllocatedBuffer::Sharing::None &&
            branches[j]->ifOp == branches[i]->ifOp &&
            branches[j]->region != branches[i]->region)
          partner = j;
      if (partner) {
        buffer.sharing = AllocatedBuffer::Sharing::OtherBranch;
        branchPaired[i] = branchPaired[*partner] = true;
      }
    }
    if (partner) {
      buffer.sharesWith = *partner;
      liveness.groupOf[i] = liveness.groupOf[*partner];
      BufferLifetime &group = liveness.lifetimes[liveness.groupOf[i]];
      group.first = std::min(group.first, buffer.first);
      group.last = std::max(group.last, buffer.last);
      group.size = std::max(group.size, buffer.size);
      continue;
    }
    liveness.groupOf[i] = liveness.lifetimes.size();
    liveness.lifetimes.push_back({buffer.size, buffer.first, buffer.last});
  }
  return liveness;
}
