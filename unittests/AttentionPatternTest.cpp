//===- AttentionPatternTest.cpp - Sparse attention patterns ---------------===//
//
// Part of Sieve. The patterns against their definitions in the op docs
// (docs/generated/Dialects/AttnDialect.md) and ANCHORS.md section 1.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/AttentionPattern.h"

#include <gtest/gtest.h>

using namespace sieve;
using Keys = std::vector<int64_t>;

namespace {

/// The keep-matrix of `pattern` for `queries` rows aligned with the last of
/// `keys` keys.
std::vector<bool> keepMatrix(const AttentionPattern &pattern, int64_t queries,
                             int64_t keys) {
  std::vector<bool> keep(queries * keys);
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = 0; j < keys; ++j)
      keep[i * keys + j] = pattern.keeps(keys - queries + i, j);
  return keep;
}

int64_t countPairs(const AttentionPattern &pattern, int64_t queries,
                   int64_t keys) {
  int64_t n = 0;
  for (bool k : keepMatrix(pattern, queries, keys))
    n += k;
  return n;
}

TEST(AttentionPatternTest, LogSparseRows) {
  auto p = AttentionPattern::logSparse();
  EXPECT_EQ(p.keptKeys(0), (Keys{0}));
  EXPECT_EQ(p.keptKeys(1), (Keys{1, 0}));
  EXPECT_EQ(p.keptKeys(2), (Keys{2, 1, 0}));
  EXPECT_EQ(p.keptKeys(3), (Keys{3, 2, 1}));
  EXPECT_EQ(p.keptKeys(4), (Keys{4, 3, 2, 0}));
  EXPECT_EQ(p.keptKeys(9), (Keys{9, 8, 7, 5, 1}));
  EXPECT_EQ(p.offsets(9), (Keys{0, 1, 2, 4, 8}));
  EXPECT_EQ(p.offsets(8), (Keys{0, 1, 2, 4}));
  EXPECT_TRUE(p.keeps(9, 1));
  EXPECT_FALSE(p.keeps(9, 2));
  EXPECT_FALSE(p.keeps(2, 3));
}

TEST(AttentionPatternTest, LogSparsePairsMatchTheAnchors) {
  // nnz = sum_i (2 + floor(log2 i)), row 0 keeps itself only.
  for (int64_t l : {1, 2, 3, 7, 8, 100, 768, 4096}) {
    int64_t expected = 1;
    for (int64_t i = 1; i < l; ++i) {
      int64_t log = 0;
      while ((int64_t{2} << log) <= i)
        ++log;
      expected += 2 + log;
    }
    EXPECT_EQ(AttentionPattern::logSparse().numPairs(l), expected) << l;
  }
  // ANCHORS: 40x fewer pairs than causal at 768, 171x at 4096.
  auto ratio = [](int64_t l) {
    return double(AttentionPattern::numCausalPairs(l, l)) /
           AttentionPattern::logSparse().numPairs(l);
  };
  EXPECT_NEAR(ratio(768), 40, 1);
  EXPECT_NEAR(ratio(4096), 171, 1);
}

TEST(AttentionPatternTest, LocalWindow) {
  auto p = AttentionPattern::logSparseLocal(3);
  // Window {p, p-1, p-2}, then p-2-1, p-2-2, p-2-4, ...
  EXPECT_EQ(p.keptKeys(10), (Keys{10, 9, 8, 7, 6, 4, 0}));
  EXPECT_EQ(p.keptKeys(1), (Keys{1, 0}));
  EXPECT_EQ(p.offsets(11), (Keys{0, 1, 2, 3, 4, 6, 10}));
  // W = 1 is plain LogSparse.
  for (int64_t i = 0; i < 70; ++i)
    EXPECT_EQ(AttentionPattern::logSparseLocal(1).keptKeys(i),
              AttentionPattern::logSparse().keptKeys(i));
}

TEST(AttentionPatternTest, Restart) {
  auto p = AttentionPattern::logSparseRestart(4);
  EXPECT_EQ(p.keptKeys(3), (Keys{3, 2, 1}));
  EXPECT_EQ(p.keptKeys(4), (Keys{4}));
  EXPECT_EQ(p.keptKeys(6), (Keys{6, 5, 4}));
  EXPECT_EQ(p.keptKeys(7), (Keys{7, 6, 5}));
  EXPECT_EQ(p.offsets(100), (Keys{0, 1, 2}));
  EXPECT_TRUE(p.keepsOffset(7, 2));
  EXPECT_FALSE(p.keepsOffset(8, 1));
  // S >= L is plain LogSparse.
  for (int64_t i = 0; i < 16; ++i)
    EXPECT_EQ(AttentionPattern::logSparseRestart(16).keptKeys(i),
              AttentionPattern::logSparse().keptKeys(i));
}

TEST(AttentionPatternTest, Diagonals) {
  auto p = AttentionPattern::diagonals({0, 3, 5});
  EXPECT_EQ(p.keptKeys(2), (Keys{2}));
  EXPECT_EQ(p.keptKeys(5), (Keys{5, 2, 0}));
  EXPECT_EQ(p.offsets(5), (Keys{0, 3}));
  EXPECT_EQ(p.describe(), "diagonals(0,3,5)");
  auto window = AttentionPattern::slidingWindow(3);
  EXPECT_EQ(window.keptKeys(7), (Keys{7, 6, 5}));
  EXPECT_EQ(window.describe(), "sliding-window(3)");
  // Without offset 0, the first rows keep nothing.
  EXPECT_TRUE(AttentionPattern::diagonals({2}).keptKeys(1).empty());
}

TEST(AttentionPatternTest, NumPairsCountsTheMatrix) {
  std::vector<AttentionPattern> patterns = {
      AttentionPattern::logSparse(),
      AttentionPattern::logSparseLocal(4),
      AttentionPattern::logSparseRestart(5),
      AttentionPattern::logSparseRestart(1),
      AttentionPattern::diagonals({1, 2, 9}),
      AttentionPattern::slidingWindow(6)};
  for (const auto &p : patterns)
    for (auto [q, k] : {std::pair<int64_t, int64_t>{1, 1},
                        {7, 7},
                        {33, 33},
                        {1, 40},
                        {10, 40},
                        {64, 64}})
      EXPECT_EQ(p.numPairs(q, k), countPairs(p, q, k))
          << p.describe() << " " << q << "x" << k;
  EXPECT_EQ(AttentionPattern::numCausalPairs(4, 4), 10);
  EXPECT_EQ(AttentionPattern::numCausalPairs(1, 8), 8);
}

TEST(AttentionPatternTest, Verify) {
  EXPECT_EQ(AttentionPattern::logSparse().verify(), "");
  EXPECT_NE(AttentionPattern::logSparseLocal(0).verify(), "");
  EXPECT_NE(AttentionPattern::logSparseRestart(-1).verify(), "");
  EXPECT_NE(AttentionPattern::diagonals({}).verify(), "");
  EXPECT_NE(AttentionPattern::diagonals({0, 0}).verify(), "");
  EXPECT_NE(AttentionPattern::diagonals({-1, 2}).verify(), "");
  EXPECT_EQ(AttentionPattern::diagonals({0, 2}).verify(), "");
}

TEST(AttentionPatternTest, ClassifiesEveryVariant) {
  std::vector<AttentionPattern> patterns = {
      AttentionPattern::logSparse(),
      AttentionPattern::logSparseLocal(3),
      AttentionPattern::logSparseLocal(2),
      AttentionPattern::logSparseRestart(8),
      AttentionPattern::diagonals({0, 5}),
      AttentionPattern::slidingWindow(4)};
  for (const auto &p : patterns)
    for (auto [q, k] :
         {std::pair<int64_t, int64_t>{40, 40}, {33, 33}, {16, 48}}) {
      auto found = classifyKeepMatrix(keepMatrix(p, q, k), q, k);
      ASSERT_TRUE(found) << p.describe();
      EXPECT_EQ(found->describe(), p.describe()) << q << "x" << k;
    }
  // Causal is the sliding window of every key.
  auto causal = keepMatrix(AttentionPattern::slidingWindow(40), 40, 40);
  EXPECT_TRUE(isCausal(causal, 40, 40));
  EXPECT_FALSE(
      isCausal(keepMatrix(AttentionPattern::logSparse(), 40, 40), 40, 40));
}

TEST(AttentionPatternTest, LookalikesStayGeneral) {
  // LogSparse with one extra pair is not LogSparse, nor any diagonal set.
  auto keep = keepMatrix(AttentionPattern::logSparse(), 40, 40);
  keep[30 * 40 + 3] = true;
  EXPECT_FALSE(classifyKeepMatrix(keep, 40, 40));
  // LogSparse with one pair missing.
  keep = keepMatrix(AttentionPattern::logSparse(), 40, 40);
  keep[17 * 40 + 16] = false;
  EXPECT_FALSE(classifyKeepMatrix(keep, 40, 40));
  // The flow-forecast log_mask with sub_len=1: everything kept, the future
  // included (ANCHORS section 1).
  std::vector<bool> all(40 * 40, true);
  EXPECT_FALSE(classifyKeepMatrix(all, 40, 40));
  // Restart with one extra pair.
  keep = keepMatrix(AttentionPattern::logSparseRestart(8), 40, 40);
  keep[9 * 40 + 7] = true;
  EXPECT_FALSE(classifyKeepMatrix(keep, 40, 40));
  std::vector<bool> none(40 * 40, false);
  EXPECT_FALSE(classifyKeepMatrix(none, 40, 40));
}

} // namespace
