//===- AttentionErrorTest.cpp - Error of a sparse pattern vs dense --------===//
//
// Part of Sieve. The properties of estimateErrorAgainstDense that do not
// need a second implementation (scripts/check_attention_error.py recomputes
// the figures themselves).
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/AttentionError.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace sieve;

namespace {

TEST(AttentionError, InputsHaveUnitVariance) {
  double sum = 0, squares = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    double x = attentionErrorInput(1, 1, i);
    EXPECT_LT(std::abs(x), std::sqrt(3.0) + 1e-12);
    sum += x, squares += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.02);
  EXPECT_NEAR(squares / n, 1.0, 0.02);
  EXPECT_NE(attentionErrorInput(1, 0, 7), attentionErrorInput(1, 1, 7));
  EXPECT_NE(attentionErrorInput(1, 0, 7), attentionErrorInput(2, 0, 7));
}

TEST(AttentionError, PatternThatKeepsEveryCausalKeyIsExact) {
  // A sliding window as long as the keys is dense causal attention.
  AttentionErrorEstimate e = estimateErrorAgainstDense(
      AttentionPattern::slidingWindow(50), 50, 50, 16, 16, 0.25);
  EXPECT_EQ(e.rows, 50);
  EXPECT_LT(e.maxRelError, 1e-12);
}

TEST(AttentionError, LogSparseDropsMassAndRowsAreSampled) {
  AttentionErrorEstimate e = estimateErrorAgainstDense(
      AttentionPattern::logSparse(), 1000, 1000, 16, 16, 0.25);
  EXPECT_EQ(e.rows, 64);
  EXPECT_GT(e.meanRelError, 0.1);
  EXPECT_GE(e.maxRelError, e.meanRelError);
  // A wider local window keeps more of the mass.
  AttentionErrorEstimate local = estimateErrorAgainstDense(
      AttentionPattern::logSparseLocal(64), 1000, 1000, 16, 16, 0.25);
  EXPECT_LT(local.meanRelError, e.meanRelError);
}

} // namespace
