//===- ArenaPlanner.h - Static placement of buffers in an arena -*- C++ -*-===//
//
// Part of Sieve. Given buffers with sizes and lifetimes (inclusive ranges of
// op indices), choose an offset for each in one arena so that no two buffers
// alive at the same time overlap. Kept free of MLIR so that it can be unit
// tested and benchmarked on synthetic and recorded lifetimes.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ANALYSIS_ARENAPLANNER_H
#define SIEVE_ANALYSIS_ARENAPLANNER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sieve {

/// One buffer to place: `size` bytes alive from op `first` to op `last`.
struct BufferLifetime {
  uint64_t size = 0;
  unsigned first = 0;
  unsigned last = 0;

  bool overlaps(const BufferLifetime &other) const {
    return first <= other.last && other.first <= last;
  }
};

/// The order in which buffers are placed; each buffer goes to the lowest
/// (first-fit) or tightest (best-fit) gap left by the buffers placed before it
/// that are alive at the same time.
enum class PlacementOrder {
  /// Largest first: TFLite Micro's GreedyMemoryPlanner and TinyEngine.
  BySize,
  /// Buffers of the op with the largest sum of live bytes first (TFLite's
  /// "greedy by breadth", Pisarchyk and Lee 2020).
  ByBreadth,
  /// Longest-lived first, then by size.
  ByLifetime,
};

enum class GapChoice { FirstFit, BestFit };

struct PlacementStrategy {
  PlacementOrder order;
  GapChoice gap;
};

/// A placed plan: one offset per buffer, in the order of the request.
struct ArenaPlan {
  std::vector<uint64_t> offsets;
  uint64_t arenaSize = 0;
  PlacementStrategy strategy{PlacementOrder::BySize, GapChoice::FirstFit};
  /// Whether a local search over the order improved on the greedy strategy.
  bool searched = false;
};

/// The largest sum of sizes of simultaneously live buffers (no plan can use
/// less arena), and the op index where it occurs.
struct LiveBytesPeak {
  uint64_t bytes = 0;
  unsigned index = 0;
};
LiveBytesPeak computeLiveBytesPeak(llvm::ArrayRef<BufferLifetime> buffers,
                                   uint64_t alignment = 1);

/// Places the buffers with one strategy. Offsets and the arena size are
/// multiples of `alignment` (a power of two).
ArenaPlan placeBuffers(llvm::ArrayRef<BufferLifetime> buffers,
                       uint64_t alignment, PlacementStrategy strategy);

/// Tries every order with both gap choices and keeps the smallest arena
/// (ties go to the earlier strategy, so TFLite Micro's rule wins a tie); if
/// that is above the lower bound, improves the best order by a seeded local
/// search. Deterministic.
ArenaPlan placeBuffersBest(llvm::ArrayRef<BufferLifetime> buffers,
                           uint64_t alignment);

/// Checks that no two simultaneously live buffers overlap in `plan`, and
/// that every buffer lies inside the arena.
bool isValidPlan(llvm::ArrayRef<BufferLifetime> buffers, const ArenaPlan &plan);

llvm::StringRef stringifyPlacementStrategy(PlacementStrategy strategy);

/// The strategy of `plan`, with " + local search" when the search improved it.
std::string describePlacement(const ArenaPlan &plan);

/// Parses the names used by `sieve-plan-memory{strategy=...}`: "best" gives
/// std::nullopt in `*strategy`; unknown names return false.
bool parsePlacementStrategy(llvm::StringRef name,
                            std::optional<PlacementStrategy> &strategy);

} // namespace sieve

#endif // SIEVE_ANALYSIS_ARENAPLANNER_H
