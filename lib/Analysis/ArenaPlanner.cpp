//===- ArenaPlanner.cpp - Static placement of buffers in an arena ---------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/ArenaPlanner.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <numeric>
#include <random>

using namespace sieve;

static uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return llvm::alignTo(value, alignment);
}

LiveBytesPeak
sieve::computeLiveBytesPeak(llvm::ArrayRef<BufferLifetime> buffers,
                            uint64_t alignment) {
  // Sweep the op indices: +size at `first`, -size after `last`.
  std::vector<std::pair<unsigned, int64_t>> events;
  events.reserve(2 * buffers.size());
  for (const BufferLifetime &b : buffers) {
    int64_t size = alignTo(b.size, alignment);
    events.push_back({b.first, size});
    events.push_back({b.last + 1, -size});
  }
  // At equal indices, ends (negative) come before starts.
  llvm::sort(events, [](auto &a, auto &b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;
  });
  LiveBytesPeak peak;
  int64_t live = 0;
  for (auto [index, delta] : events) {
    live += delta;
    if (live > static_cast<int64_t>(peak.bytes)) {
      peak.bytes = live;
      peak.index = index;
    }
  }
  return peak;
}

/// The order in which `placeBuffers` visits the buffers.
static std::vector<unsigned>
placementOrder(llvm::ArrayRef<BufferLifetime> buffers, PlacementOrder order) {
  std::vector<unsigned> ids(buffers.size());
  std::iota(ids.begin(), ids.end(), 0);
  auto bySizeThenFirst = [&](unsigned a, unsigned b) {
    if (buffers[a].size != buffers[b].size)
      return buffers[a].size > buffers[b].size;
    return buffers[a].first < buffers[b].first;
  };
  switch (order) {
  case PlacementOrder::BySize:
    llvm::stable_sort(ids, bySizeThenFirst);
    break;
  case PlacementOrder::ByLifetime:
    llvm::stable_sort(ids, [&](unsigned a, unsigned b) {
      unsigned la = buffers[a].last - buffers[a].first;
      unsigned lb = buffers[b].last - buffers[b].first;
      return la != lb ? la > lb : bySizeThenFirst(a, b);
    });
    break;
  case PlacementOrder::ByBreadth: {
    // Breadth of an op: the bytes alive while it runs. Visit ops from the
    // broadest down; at each, take its not yet placed buffers by size.
    unsigned numOps = 0;
    for (const BufferLifetime &b : buffers)
      numOps = std::max(numOps, b.last + 1);
    std::vector<uint64_t> breadth(numOps, 0);
    for (const BufferLifetime &b : buffers)
      for (unsigned t = b.first; t <= b.last; ++t)
        breadth[t] += b.size;
    std::vector<unsigned> ops(numOps);
    std::iota(ops.begin(), ops.end(), 0);
    llvm::stable_sort(
        ops, [&](unsigned a, unsigned b) { return breadth[a] > breadth[b]; });
    std::vector<bool> taken(buffers.size(), false);
    std::vector<unsigned> sorted;
    sorted.reserve(buffers.size());
    llvm::stable_sort(ids, bySizeThenFirst);
    for (unsigned t : ops)
      for (unsigned id : ids)
        if (!taken[id] && buffers[id].first <= t && t <= buffers[id].last) {
          taken[id] = true;
          sorted.push_back(id);
        }
    ids = std::move(sorted);
    break;
  }
  }
  return ids;
}

/// Per buffer, the other buffers alive at the same time.
using Overlaps = std::vector<std::vector<unsigned>>;

static Overlaps findOverlaps(llvm::ArrayRef<BufferLifetime> buffers) {
  Overlaps overlaps(buffers.size());
  for (unsigned a = 0; a < buffers.size(); ++a)
    for (unsigned b = a + 1; b < buffers.size(); ++b)
      if (buffers[a].overlaps(buffers[b])) {
        overlaps[a].push_back(b);
        overlaps[b].push_back(a);
      }
  return overlaps;
}

/// Places the buffers one by one in `order`, each in the lowest (first-fit)
/// or tightest (best-fit) gap among the already placed buffers that are alive
/// at the same time.
static ArenaPlan placeInOrder(llvm::ArrayRef<BufferLifetime> buffers,
                              const Overlaps &overlaps, uint64_t alignment,
                              llvm::ArrayRef<unsigned> order,
                              GapChoice gapChoice) {
  ArenaPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<bool> placed(buffers.size(), false);
  std::vector<unsigned> conflicts;

  for (unsigned id : order) {
    const BufferLifetime &buffer = buffers[id];
    uint64_t size = alignTo(buffer.size, alignment);
    // The placed buffers alive at the same time, by offset.
    conflicts.clear();
    for (unsigned other : overlaps[id])
      if (placed[other])
        conflicts.push_back(other);
    llvm::sort(conflicts, [&](unsigned a, unsigned b) {
      return plan.offsets[a] < plan.offsets[b];
    });

    std::optional<uint64_t> best;
    uint64_t bestSlack = UINT64_MAX;
    uint64_t cursor = 0;
    for (unsigned other : conflicts) {
      uint64_t begin = plan.offsets[other];
      if (begin >= cursor && begin - cursor >= size) {
        uint64_t slack = begin - cursor - size;
        if (gapChoice == GapChoice::FirstFit) {
          best = cursor;
          break;
        }
        if (slack < bestSlack) {
          best = cursor;
          bestSlack = slack;
        }
      }
      cursor =
          std::max(cursor, alignTo(begin + buffers[other].size, alignment));
    }
    plan.offsets[id] = best ? *best : cursor;
    plan.arenaSize = std::max(plan.arenaSize, plan.offsets[id] + size);
    placed[id] = true;
  }
  return plan;
}

ArenaPlan sieve::placeBuffers(llvm::ArrayRef<BufferLifetime> buffers,
                              uint64_t alignment, PlacementStrategy strategy) {
  ArenaPlan plan =
      placeInOrder(buffers, findOverlaps(buffers), alignment,
                   placementOrder(buffers, strategy.order), strategy.gap);
  plan.strategy = strategy;
  return plan;
}

ArenaPlan sieve::placeBuffersBest(llvm::ArrayRef<BufferLifetime> buffers,
                                  uint64_t alignment) {
  std::optional<ArenaPlan> best;
  std::vector<unsigned> bestOrder;
  Overlaps overlaps = findOverlaps(buffers);
  for (PlacementOrder order :
       {PlacementOrder::BySize, PlacementOrder::ByBreadth,
        PlacementOrder::ByLifetime})
    for (GapChoice gap : {GapChoice::FirstFit, GapChoice::BestFit}) {
      std::vector<unsigned> ids = placementOrder(buffers, order);
      ArenaPlan plan = placeInOrder(buffers, overlaps, alignment, ids, gap);
      plan.strategy = {order, gap};
      if (!best || plan.arenaSize < best->arenaSize) {
        best = std::move(plan);
        bestOrder = std::move(ids);
      }
    }

  // Greedy orders leave holes when a long-lived buffer lands where two
  // shorter ones needed to meet. A local search over the order, seeded for
  // reproducible plans, swaps a few buffers at a time and keeps any order
  // that is no worse, until the arena reaches the lower bound or the work
  // budget (about 2e8 conflict checks, twice with the moves below) runs out.
  // A placement checks each buffer against the ones alive with it, so
  // networks of many short-lived buffers (patches) get more iterations.
  uint64_t bound = computeLiveBytesPeak(buffers, alignment).bytes;
  size_t n = buffers.size();
  if (n < 2 || best->arenaSize <= bound)
    return std::move(*best);
  std::mt19937 rng(20211015);
  size_t checks = n;
  for (const std::vector<unsigned> &others : overlaps)
    checks += others.size();
  size_t iterations = std::min<size_t>(10000, 200000000 / checks + 1);
  std::uniform_int_distribution<size_t> pick(0, n - 1), swaps(1, 4);
  GapChoice gap = best->strategy.gap;
  for (size_t i = 0; i < iterations && best->arenaSize > bound; ++i) {
    std::vector<unsigned> order = bestOrder;
    for (size_t k = swaps(rng); k > 0; --k)
      std::swap(order[pick(rng)], order[pick(rng)]);
    ArenaPlan plan = placeInOrder(buffers, overlaps, alignment, order, gap);
    if (plan.arenaSize > best->arenaSize)
      continue;
    plan.strategy = best->strategy;
    plan.searched = true;
    best = std::move(plan);
    bestOrder = std::move(order);
  }

  // Swaps rarely touch the few buffers that leave the holes (msf-mbv2's
  // cached 2-D grids at 15,199 B: 464 B over the bound after the swaps). A
  // second search as long moves one buffer earlier in the order: half of
  // the time one that ends above the lower bound (there is always one), so
  // that it is placed before the buffers it collides with, otherwise any
  // buffer, so that the ones below it can close up; again it keeps any
  // order that is no worse.
  std::uniform_int_distribution<size_t> coin(0, 1);
  for (size_t i = 0; i < iterations && best->arenaSize > bound; ++i) {
    std::vector<size_t> high;
    for (size_t k = 0; k < n; ++k)
      if (best->offsets[bestOrder[k]] +
              alignTo(buffers[bestOrder[k]].size, alignment) >
          bound)
        high.push_back(k);
    size_t from = coin(rng) ? high[pick(rng) % high.size()] : pick(rng);
    if (from == 0)
      continue;
    size_t to = pick(rng) % from;
    std::vector<unsigned> order = bestOrder;
    std::rotate(order.begin() + to, order.begin() + from,
                order.begin() + from + 1);
    ArenaPlan plan = placeInOrder(buffers, overlaps, alignment, order, gap);
    if (plan.arenaSize > best->arenaSize)
      continue;
    plan.strategy = best->strategy;
    plan.searched = true;
    best = std::move(plan);
    bestOrder = std::move(order);
  }
  return std::move(*best);
}

bool sieve::isValidPlan(llvm::ArrayRef<BufferLifetime> buffers,
                        const ArenaPlan &plan) {
  if (plan.offsets.size() != buffers.size())
    return false;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (plan.offsets[i] + buffers[i].size > plan.arenaSize)
      return false;
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      if (!buffers[i].overlaps(buffers[j]) || !buffers[i].size ||
          !buffers[j].size)
        continue;
      uint64_t ai = plan.offsets[i], bi = ai + buffers[i].size;
      uint64_t aj = plan.offsets[j], bj = aj + buffers[j].size;
      if (ai < bj && aj < bi)
        return false;
    }
  }
  return true;
}

std::string sieve::describePlacement(const ArenaPlan &plan) {
  std::string text = stringifyPlacementStrategy(plan.strategy).str();
  return plan.searched ? text + " + local search" : text;
}

llvm::StringRef sieve::stringifyPlacementStrategy(PlacementStrategy strategy) {
  bool first = strategy.gap == GapChoice::FirstFit;
  switch (strategy.order) {
  case PlacementOrder::BySize:
    return first ? "greedy-by-size" : "greedy-by-size/best-fit";
  case PlacementOrder::ByBreadth:
    return first ? "greedy-by-breadth" : "greedy-by-breadth/best-fit";
  case PlacementOrder::ByLifetime:
    return first ? "by-lifetime" : "by-lifetime/best-fit";
  }
  llvm_unreachable("unknown placement order");
}

bool sieve::parsePlacementStrategy(llvm::StringRef name,
                                   std::optional<PlacementStrategy> &strategy) {
  if (name == "best") {
    strategy = std::nullopt;
    return true;
  }
  for (PlacementOrder order :
       {PlacementOrder::BySize, PlacementOrder::ByBreadth,
        PlacementOrder::ByLifetime})
    for (GapChoice gap : {GapChoice::FirstFit, GapChoice::BestFit})
      if (stringifyPlacementStrategy({order, gap}) == name) {
        strategy = PlacementStrategy{order, gap};
        return true;
      }
  return false;
}
