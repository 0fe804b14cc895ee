//===- BufferLiveness.h - Lifetimes of a function's buffers -----*- C++ -*-===//
//
// Part of Sieve. Collects the buffers a bufferized function allocates, the
// range of top-level ops during which each one (or any view of it) is used,
// and which buffers can share storage because an elementwise op reads one
// while writing the other in place.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ANALYSIS_BUFFERLIVENESS_H
#define SIEVE_ANALYSIS_BUFFERLIVENESS_H

#include "sieve/Analysis/ArenaPlanner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <vector>

namespace sieve {

/// Marks the `scf.for` loops over patches (sieve-lower-patch-stages): the
/// buffer liveness sees inside them, so that a patch's buffers live only
/// within its iteration.
inline constexpr llvm::StringLiteral kPatchLoopAttrName = "sieve.patch_loop";

/// One allocation of the function.
struct AllocatedBuffer {
  /// The `memref.alloc` or `memref.alloca`.
  mlir::Operation *alloc = nullptr;
  uint64_t size = 0;
  /// Schedule indices of the first and last use of the buffer or a view.
  unsigned first = 0, last = 0;
  /// The first top-level op that uses the buffer: the one that produces its
  /// contents, and the name the report gives the buffer.
  mlir::Operation *producer = nullptr;
  /// Why this buffer can live in the storage of buffer `sharesWith`:
  /// an elementwise op writes it in place of its dying input, or it is used
  /// in the other branch of an `scf.if` than that buffer.
  enum class Sharing { None, InPlace, OtherBranch };
  Sharing sharing = Sharing::None;
  int sharesWith = -1;
};

struct BufferLiveness {
  /// The function's top-level ops, by index; a loop over patches is followed
  /// by the ops of its body.
  std::vector<mlir::Operation *> schedule;
  std::vector<AllocatedBuffer> buffers;

  /// One lifetime per storage group: buffers that share storage are folded
  /// into the group of the buffer they share with (the group's size is the
  /// largest member's). `groupOf[i]` is the
  /// index into `lifetimes` of buffer i.
  std::vector<BufferLifetime> lifetimes;
  std::vector<unsigned> groupOf;
};

/// Analyses `func`. Fails, with a diagnostic at the op, for allocations that
/// cannot be placed statically (dynamic sizes, allocations inside regions,
/// buffers escaping through the terminator).
mlir::FailureOr<BufferLiveness> analyzeBufferLiveness(mlir::func::FuncOp func);

/// Byte size of a statically shaped tensor or memref as LLVM lays it out:
/// elements take a power-of-two number of bytes (i1 one byte, i48 eight),
/// `index` takes `indexBits`. std::nullopt for dynamic shapes, element types
/// without a fixed size, and sizes that do not fit 64 bits.
std::optional<uint64_t> getByteSize(mlir::ShapedType type,
                                    unsigned indexBits = 64);

/// The smallest and largest value of an index.
using IndexRange = std::pair<int64_t, int64_t>;

/// The range of index `value` by interval arithmetic through constants,
/// induction variables of loops with constant bounds and affine
/// min/max/apply: what tiling computes the sizes of border patches with.
/// (Upstream value bounds cannot bound an affine.max from above.)
std::optional<IndexRange> getIndexRange(mlir::Value value, unsigned depth = 0);

/// The exact range of index `value` over every iteration of the `scf.for`
/// loops (constant bounds and steps) it depends on, through constants,
/// affine min/max/apply and integer arithmetic, by evaluating it at each of
/// at most `maxPoints` iterations. Interval arithmetic (getIndexRange)
/// over-approximates the sizes of border patches, whose clamps depend on
/// each other; this does not. std::nullopt when it does not apply.
std::optional<IndexRange> getExactIndexRange(mlir::Value value,
                                             uint64_t maxPoints = 1 << 16);

/// getByteSize of a memref, or UINT64_MAX when it has none.
uint64_t getStaticByteSize(mlir::MemRefType type);

} // namespace sieve

#endif // SIEVE_ANALYSIS_BUFFERLIVENESS_H
