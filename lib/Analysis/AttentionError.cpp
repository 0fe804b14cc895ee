//===- AttentionError.cpp - Error of a sparse pattern vs dense ------------===//
//
// Part of Sieve. See AttentionError.h.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/AttentionError.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace sieve;

double sieve::attentionErrorInput(uint64_t seed, unsigned tensor,
                                  uint64_t index) {
  uint64_t z = (seed << 40) ^ (uint64_t(tensor) << 56) ^ index;
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  // 24 random bits: uniform in [-1, 1), then unit variance.
  double unit = double(z >> 40) / double(1 << 23) - 1.0;
  return unit * std::sqrt(3.0);
}

namespace {

/// One output row: softmax over `keys` of scale * q.k, times V.
std::vector<double> attendRow(const std::vector<double> &q,
                              const std::vector<double> &k,
                              const std::vector<double> &v,
                              const std::vector<int64_t> &keys, int64_t depth,
                              int64_t valueDepth, double scale) {
  std::vector<double> logits(keys.size());
  double maxLogit = -INFINITY;
  for (size_t n = 0; n < keys.size(); ++n) {
    double dot = 0;
    for (int64_t c = 0; c < depth; ++c)
      dot += q[c] * k[keys[n] * depth + c];
    logits[n] = scale * dot;
    maxLogit = std::max(maxLogit, logits[n]);
  }
  std::vector<double> out(valueDepth, 0.0);
  double sum = 0;
  for (size_t n = 0; n < keys.size(); ++n) {
    double weight = std::exp(logits[n] - maxLogit);
    sum += weight;
    for (int64_t c = 0; c < valueDepth; ++c)
      out[c] += weight * v[keys[n] * valueDepth + c];
  }
  for (double &x : out)
    x /= sum;
  return out;
}

} // namespace

AttentionErrorEstimate
sieve::estimateErrorAgainstDense(const AttentionPattern &pattern,
                                 int64_t queries, int64_t keys, int64_t depth,
                                 int64_t valueDepth, double scale,
                                 uint64_t seed, int64_t maxRows) {
  AttentionErrorEstimate estimate;
  estimate.seed = seed;
  if (queries <= 0 || keys <= 0 || queries > keys || maxRows < 1)
    return estimate;
  std::vector<double> k(keys * depth), v(keys * valueDepth);
  for (int64_t i = 0; i < keys * depth; ++i)
    k[i] = attentionErrorInput(seed, 1, i);
  for (int64_t i = 0; i < keys * valueDepth; ++i)
    v[i] = attentionErrorInput(seed, 2, i);

  int64_t rows = std::min(queries, maxRows);
  double total = 0, squares = 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t row = rows == queries ? r
                  : rows == 1     ? queries - 1
                                  : r * (queries - 1) / (rows - 1);
    int64_t position = row + (keys - queries);
    std::vector<double> q(depth);
    for (int64_t c = 0; c < depth; ++c)
      q[c] = attentionErrorInput(seed, 0, row * depth + c);
    std::vector<int64_t> causal(position + 1);
    for (int64_t j = 0; j <= position; ++j)
      causal[j] = j;
    std::vector<double> dense =
        attendRow(q, k, v, causal, depth, valueDepth, scale);
    std::vector<double> sparse = attendRow(q, k, v, pattern.keptKeys(position),
                                           depth, valueDepth, scale);
    double diff = 0, norm = 0;
    for (int64_t c = 0; c < valueDepth; ++c) {
      diff += (sparse[c] - dense[c]) * (sparse[c] - dense[c]);
      norm += dense[c] * dense[c];
    }
    // A zero dense row only happens for a zero V; count it as exact.
    double relative = norm > 0 ? std::sqrt(diff / norm) : 0.0;
    squares += diff;
    estimate.maxRelError = std::max(estimate.maxRelError, relative);
    total += relative;
  }
  estimate.rows = rows;
  estimate.meanRelError = total / rows;
  estimate.rmsError = std::sqrt(squares / double(rows * valueDepth));
  return estimate;
}
