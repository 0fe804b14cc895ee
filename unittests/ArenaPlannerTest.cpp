//===- ArenaPlannerTest.cpp - Static arena placement ----------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/ArenaPlanner.h"

#include <gtest/gtest.h>

#include <random>

using namespace sieve;

static const PlacementStrategy kBySize{PlacementOrder::BySize,
                                       GapChoice::FirstFit};

/// Random chains of ops, the shape of a CNN: each op reads recent buffers
/// and writes one, sometimes with a long-lived residual.
static std::vector<BufferLifetime> randomNetwork(std::mt19937 &rng) {
  std::uniform_int_distribution<int> numOps(2, 40), size(1, 4096), span(0, 6),
      coin(0, 9);
  std::vector<BufferLifetime> buffers;
  int n = numOps(rng);
  for (int t = 0; t < n; ++t) {
    unsigned last = t + 1 + (coin(rng) == 0 ? span(rng) * 3 : span(rng) / 3);
    buffers.push_back(
        {static_cast<uint64_t>(size(rng)), static_cast<unsigned>(t), last});
  }
  return buffers;
}

TEST(ArenaPlanner, Empty) {
  ArenaPlan plan = placeBuffersBest({}, 16);
  EXPECT_EQ(plan.arenaSize, 0u);
  EXPECT_EQ(computeLiveBytesPeak({}).bytes, 0u);
}

TEST(ArenaPlanner, DisjointLifetimesShareMemory) {
  std::vector<BufferLifetime> buffers = {{100, 0, 1}, {200, 2, 3}, {50, 4, 5}};
  ArenaPlan plan = placeBuffers(buffers, 1, kBySize);
  EXPECT_EQ(plan.arenaSize, 200u);
  for (uint64_t offset : plan.offsets)
    EXPECT_EQ(offset, 0u);
  EXPECT_TRUE(isValidPlan(buffers, plan));
}

TEST(ArenaPlanner, OverlappingLifetimesStack) {
  std::vector<BufferLifetime> buffers = {{100, 0, 5}, {200, 1, 3}, {50, 2, 4}};
  ArenaPlan plan = placeBuffers(buffers, 1, kBySize);
  EXPECT_EQ(plan.arenaSize, 350u);
  EXPECT_TRUE(isValidPlan(buffers, plan));
  LiveBytesPeak peak = computeLiveBytesPeak(buffers);
  EXPECT_EQ(peak.bytes, 350u);
  EXPECT_EQ(peak.index, 2u);
}

TEST(ArenaPlanner, TouchingLifetimesOverlap) {
  // A buffer read by op 3 and one written by op 3 are both live at op 3.
  std::vector<BufferLifetime> buffers = {{64, 0, 3}, {64, 3, 5}};
  EXPECT_EQ(placeBuffers(buffers, 1, kBySize).arenaSize, 128u);
  EXPECT_EQ(computeLiveBytesPeak(buffers).bytes, 128u);
}

TEST(ArenaPlanner, AlignmentRoundsOffsetsAndSizes) {
  std::vector<BufferLifetime> buffers = {{10, 0, 2}, {10, 1, 3}, {10, 2, 4}};
  ArenaPlan plan = placeBuffers(buffers, 16, kBySize);
  for (uint64_t offset : plan.offsets)
    EXPECT_EQ(offset % 16, 0u);
  EXPECT_EQ(plan.arenaSize, 48u);
  EXPECT_EQ(computeLiveBytesPeak(buffers, 16).bytes, 48u);
}

TEST(ArenaPlanner, BestBeatsGreedyBySizeWhenOrderMatters) {
  // Greedy by size puts the two 40-byte buffers at 0 and 40; the 20-byte
  // one that overlaps both must then go above them, although a plan of 80
  // bytes exists: 60 at [0,60) then 20 at [60,80), with the 40s in [0,80).
  std::vector<BufferLifetime> buffers = {
      {40, 0, 1}, {40, 0, 3}, {60, 2, 2}, {20, 3, 4}, {40, 4, 5}};
  ArenaPlan greedy = placeBuffers(buffers, 1, kBySize);
  ArenaPlan best = placeBuffersBest(buffers, 1);
  EXPECT_TRUE(isValidPlan(buffers, greedy));
  EXPECT_TRUE(isValidPlan(buffers, best));
  EXPECT_LE(best.arenaSize, greedy.arenaSize);
  EXPECT_GE(best.arenaSize, computeLiveBytesPeak(buffers).bytes);
}

TEST(ArenaPlanner, BestReachesTheBoundWhereGreedyBySizeLeavesAHole) {
  // The pattern of mcunet-in4's peak: W and P alternate in one place, Q must
  // meet both P and X, and largest-first puts P where Q cannot go.
  std::vector<BufferLifetime> buffers = {
      {200, 0, 1}, {200, 1, 3}, {100, 3, 4}, {300, 4, 5}};
  EXPECT_EQ(placeBuffers(buffers, 1, kBySize).arenaSize, 500u);
  EXPECT_EQ(computeLiveBytesPeak(buffers).bytes, 400u);
  ArenaPlan best = placeBuffersBest(buffers, 1);
  EXPECT_TRUE(isValidPlan(buffers, best));
  EXPECT_EQ(best.arenaSize, 400u);
}

TEST(ArenaPlanner, LocalSearchIsDeterministic) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<BufferLifetime> buffers = randomNetwork(rng);
    ArenaPlan a = placeBuffersBest(buffers, 16),
              b = placeBuffersBest(buffers, 16);
    EXPECT_EQ(a.offsets, b.offsets);
    EXPECT_EQ(describePlacement(a), describePlacement(b));
  }
}

TEST(ArenaPlanner, StrategyNamesRoundTrip) {
  std::optional<PlacementStrategy> strategy;
  EXPECT_TRUE(parsePlacementStrategy("best", strategy));
  EXPECT_FALSE(strategy);
  for (PlacementOrder order :
       {PlacementOrder::BySize, PlacementOrder::ByBreadth,
        PlacementOrder::ByLifetime})
    for (GapChoice gap : {GapChoice::FirstFit, GapChoice::BestFit}) {
      llvm::StringRef name = stringifyPlacementStrategy({order, gap});
      ASSERT_TRUE(parsePlacementStrategy(name, strategy)) << name.str();
      ASSERT_TRUE(strategy);
      EXPECT_EQ(strategy->order, order);
      EXPECT_EQ(strategy->gap, gap);
    }
  EXPECT_FALSE(parsePlacementStrategy("tetris", strategy));
}

TEST(ArenaPlanner, RandomNetworksGiveValidPlansAboveTheBound) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<BufferLifetime> buffers = randomNetwork(rng);
    uint64_t alignment = trial % 2 ? 16 : 1;
    uint64_t bound = computeLiveBytesPeak(buffers, alignment).bytes;
    ArenaPlan best = placeBuffersBest(buffers, alignment);
    ASSERT_TRUE(isValidPlan(buffers, best)) << "trial " << trial;
    EXPECT_GE(best.arenaSize, bound);
    for (PlacementOrder order :
         {PlacementOrder::BySize, PlacementOrder::ByBreadth,
          PlacementOrder::ByLifetime})
      for (GapChoice gap : {GapChoice::FirstFit, GapChoice::BestFit}) {
        ArenaPlan plan = placeBuffers(buffers, alignment, {order, gap});
        ASSERT_TRUE(isValidPlan(buffers, plan)) << "trial " << trial;
        EXPECT_GE(plan.arenaSize, bound);
        EXPECT_LE(best.arenaSize, plan.arenaSize);
        for (uint64_t offset : plan.offsets)
          EXPECT_EQ(offset % alignment, 0u);
      }
  }
}

TEST(ArenaPlanner, InvalidPlansAreCaught) {
  std::vector<BufferLifetime> buffers = {{64, 0, 2}, {64, 1, 3}};
  ArenaPlan plan;
  plan.offsets = {0, 32};
  plan.arenaSize = 96;
  EXPECT_FALSE(isValidPlan(buffers, plan));
  plan.offsets = {0, 64};
  plan.arenaSize = 100;
  EXPECT_FALSE(isValidPlan(buffers, plan)); // second buffer ends at 128
  plan.arenaSize = 128;
  EXPECT_TRUE(isValidPlan(buffers, plan));
}
