//===- BufferLiveness.cpp - Lifetimes of a function's buffers -------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/BufferLiveness.h"

#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace sieve;

uint64_t sieve::getStaticByteSize(MemRefType type) {
  // LLVM stores i1 in a byte and i48 in eight: round to a power of two.
  uint64_t elementBytes =
      llvm::PowerOf2Ceil(llvm::divideCeil(type.getElementTypeBitWidth(), 8));
  return type.getNumElements() * elementBytes;
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

FailureOr<BufferLiveness> sieve::analyzeBufferLiveness(func::FuncOp func,
                                                       bool allowInPlace) {
  BufferLiveness liveness;
  Block &body = func.getBody().front();
  DenseMap<Operation *, unsigned> indexOf;
  for (Operation &op : body) {
    indexOf[&op] = liveness.schedule.size();
    liveness.schedule.push_back(&op);
  }

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
    for (Value alias : views) {
      rootOf[alias] = root;
      for (OpOperand &use : alias.getUses()) {
        Operation *user = body.findAncestorOpInBlock(*use.getOwner());
        if (!user)
          continue;
        if (user->hasTrait<OpTrait::IsTerminator>()) {
          use.getOwner()->emitError(
              "a buffer escapes through the terminator; outputs must be "
              "written into the caller's output arguments "
              "(buffer-results-to-out-params)");
          return failure();
        }
        // Views and reshapes do not touch the data: their users do.
        if (isa<ViewLikeOpInterface>(user) && user->getNumRegions() == 0 &&
            llvm::all_of(user->getResults(),
                         [&](Value result) { return views.contains(result); }))
          continue;
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
    }
  }

  // In-place reuse: buffer B joins the storage group of buffer A when the op
  // that first writes B is the last one to read A, elementwise.
  liveness.groupOf.resize(liveness.buffers.size());
  DenseMap<Value, unsigned> bufferIndexOf;
  for (auto [i, buffer] : llvm::enumerate(liveness.buffers))
    bufferIndexOf[buffer.alloc->getResult(0)] = i;
  for (auto [i, buffer] : llvm::enumerate(liveness.buffers)) {
    liveness.groupOf[i] = liveness.lifetimes.size();
    auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(buffer.producer);
    if (allowInPlace && linalgOp && linalgOp.hasPureBufferSemantics()) {
      Value outRoot = buffer.alloc->getResult(0);
      for (OpOperand &out : linalgOp.getDpsInitsMutable()) {
        if (rootOf.lookup(out.get()) != outRoot)
          continue;
        for (OpOperand *in : linalgOp.getDpsInputOperands()) {
          Value inRoot = rootOf.lookup(in->get());
          if (!inRoot || inRoot == outRoot)
            continue;
          unsigned a = bufferIndexOf[inRoot];
          if (a >= i)
            continue;
          const AllocatedBuffer &source = liveness.buffers[a];
          BufferLifetime &group = liveness.lifetimes[liveness.groupOf[a]];
          if (source.last != buffer.first || group.last != buffer.first ||
              source.size != buffer.size ||
              !canWriteInPlace(linalgOp, in, &out, inRoot, rootOf))
            continue;
          liveness.buffers[i].sharesWith = a;
          liveness.groupOf[i] = liveness.groupOf[a];
          group.last = std::max(group.last, buffer.last);
          break;
        }
        if (liveness.buffers[i].sharesWith >= 0)
          break;
      }
    }
    if (liveness.buffers[i].sharesWith < 0)
      liveness.lifetimes.push_back({buffer.size, buffer.first, buffer.last});
  }
  return liveness;
}
