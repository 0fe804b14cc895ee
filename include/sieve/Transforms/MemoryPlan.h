//===- MemoryPlan.h - The recorded static memory plan -----------*- C++ -*-===//
//
// Part of Sieve. `sieve-plan-memory` records its plan on the entry function
// as the `sieve.memory_plan` dictionary; the report and the header read it
// back. This is the one place that knows the dictionary's keys.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_MEMORYPLAN_H
#define SIEVE_TRANSFORMS_MEMORYPLAN_H

#include "mlir/IR/BuiltinAttributes.h"

#include <optional>
#include <string>
#include <vector>

namespace sieve {

/// One buffer of the plan: `size` bytes at `offset`, alive from top-level op
/// `first` to `last`, first written by op `op` at `loc`.
struct PlannedBuffer {
  uint64_t size = 0, offset = 0;
  unsigned first = 0, last = 0;
  std::string op, loc;
  /// The buffer whose storage this one shares, and why ("in-place",
  /// "other-branch").
  std::optional<unsigned> sharesWith;
  std::string sharing;
};

struct MemoryPlan {
  uint64_t arenaSize = 0;
  /// The largest sum of simultaneously live buffers.
  uint64_t lowerBound = 0;
  /// The arena TFLite Micro's largest-first placement would need.
  uint64_t greedyBySize = 0;
  uint64_t alignment = 0;
  /// 0: none.
  uint64_t budget = 0;
  /// The placement that won.
  std::string strategy;
  /// The op where `lowerBound` bytes are live.
  unsigned peakIndex = 0;
  std::string peakOp;
  std::vector<PlannedBuffer> buffers;

  mlir::DictionaryAttr toAttr(mlir::MLIRContext *context) const;
  /// std::nullopt if `attr` is not a recorded plan.
  static std::optional<MemoryPlan> fromAttr(mlir::DictionaryAttr attr);
};

} // namespace sieve

#endif // SIEVE_TRANSFORMS_MEMORYPLAN_H
