//===- AttentionPattern.cpp - Which keys a sparse attention keeps ---------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/AttentionPattern.h"

#include <algorithm>
#include <cassert>

using namespace sieve;

static bool isPowerOfTwo(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

AttentionPattern AttentionPattern::slidingWindow(int64_t window) {
  std::vector<int64_t> offsets;
  for (int64_t d = 0; d < window; ++d)
    offsets.push_back(d);
  return diagonals(std::move(offsets));
}

std::string AttentionPattern::verify() const {
  switch (kind) {
  case Kind::LogSparse:
    return "";
  case Kind::LogSparseLocal:
    return size >= 1 ? "" : "the local window must be >= 1";
  case Kind::LogSparseRestart:
    return size >= 1 ? "" : "the restart length must be >= 1";
  case Kind::Diagonals:
    if (offsetSet.empty())
      return "the set of diagonal offsets must not be empty";
    for (size_t i = 0; i < offsetSet.size(); ++i) {
      if (offsetSet[i] < 0)
        return "diagonal offsets must be >= 0, got " +
               std::to_string(offsetSet[i]);
      if (i > 0 && offsetSet[i] <= offsetSet[i - 1])
        return "diagonal offsets must be strictly increasing, got " +
               std::to_string(offsetSet[i - 1]) + " then " +
               std::to_string(offsetSet[i]);
    }
    return "";
  }
  return "unknown pattern";
}

bool AttentionPattern::keeps(int64_t p, int64_t j) const {
  if (j < 0 || j > p)
    return false;
  int64_t d = p - j;
  switch (kind) {
  case Kind::LogSparse:
    return d == 0 || isPowerOfTwo(d);
  case Kind::LogSparseLocal:
    return d < size || isPowerOfTwo(d - (size - 1));
  case Kind::LogSparseRestart:
    return d <= p % size && (d == 0 || isPowerOfTwo(d));
  case Kind::Diagonals:
    return std::binary_search(offsetSet.begin(), offsetSet.end(), d);
  }
  return false;
}

/// Calls `fn(d)` for every offset of the pattern's infinite offset set that is
/// <= `limit`, increasing (for restart: before the sub-sequence condition).
template <typename Fn>
static void forEachOffset(const AttentionPattern &pattern, int64_t limit,
                          Fn fn) {
  using Kind = AttentionPattern::Kind;
  if (limit < 0)
    return;
  switch (pattern.getKind()) {
  case Kind::LogSparse:
  case Kind::LogSparseRestart:
    fn(0);
    for (int64_t step = 1; step <= limit; step *= 2)
      fn(step);
    return;
  case Kind::LogSparseLocal: {
    int64_t w = pattern.getSize();
    for (int64_t d = 0; d < w && d <= limit; ++d)
      fn(d);
    for (int64_t step = 1; w - 1 + step <= limit; step *= 2)
      fn(w - 1 + step);
    return;
  }
  case Kind::Diagonals:
    for (int64_t d : pattern.getOffsets()) {
      if (d > limit)
        return;
      fn(d);
    }
    return;
  }
}

std::vector<int64_t> AttentionPattern::keptKeys(int64_t p) const {
  std::vector<int64_t> keys;
  int64_t limit = kind == Kind::LogSparseRestart ? p % size : p;
  forEachOffset(*this, limit, [&](int64_t d) { keys.push_back(p - d); });
  return keys;
}

std::vector<int64_t> AttentionPattern::offsets(int64_t length) const {
  std::vector<int64_t> result;
  int64_t limit = length - 1;
  if (kind == Kind::LogSparseRestart)
    limit = std::min(limit, size - 1);
  forEachOffset(*this, limit, [&](int64_t d) { result.push_back(d); });
  return result;
}

int64_t AttentionPattern::numPairs(int64_t queries, int64_t keys) const {
  assert(queries <= keys && "queries are aligned with the last keys");
  int64_t first = keys - queries; // the position of query row 0
  int64_t pairs = 0;
  for (int64_t d : offsets(keys)) {
    if (kind != Kind::LogSparseRestart) {
      // Rows p in [max(d, first), keys).
      pairs += keys - std::max(d, first);
      continue;
    }
    // Rows p in [first, keys) with p mod S >= d: count whole periods, then
    // the rest.
    auto below = [&](int64_t n) { // #p in [0, n) with p mod S >= d
      return (n / size) * (size - d) + std::max<int64_t>(0, n % size - d);
    };
    pairs += below(keys) - below(first);
  }
  return pairs;
}

int64_t AttentionPattern::numCausalPairs(int64_t queries, int64_t keys) {
  // Row i sees i + (keys - queries) + 1 keys.
  return queries * (keys - queries) + queries * (queries + 1) / 2;
}

std::string AttentionPattern::describe() const {
  switch (kind) {
  case Kind::LogSparse:
    return "logsparse";
  case Kind::LogSparseLocal:
    return "logsparse-local(" + std::to_string(size) + ")";
  case Kind::LogSparseRestart:
    return "logsparse-restart(" + std::to_string(size) + ")";
  case Kind::Diagonals: {
    bool window = true;
    for (size_t i = 0; i < offsetSet.size(); ++i)
      window &= offsetSet[i] == static_cast<int64_t>(i);
    if (window)
      return "sliding-window(" + std::to_string(offsetSet.size()) + ")";
    std::string text = "diagonals(";
    for (size_t i = 0; i < offsetSet.size(); ++i)
      text += (i ? "," : "") + std::to_string(offsetSet[i]);
    return text + ")";
  }
  }
  return "unknown";
}

/// Whether `pattern` keeps exactly the pairs of `keep`, entry by entry.
static bool matches(const AttentionPattern &pattern,
                    const std::vector<bool> &keep, int64_t queries,
                    int64_t keys) {
  int64_t first = keys - queries;
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = 0; j < keys; ++j)
      if (keep[i * keys + j] != pattern.keeps(first + i, j))
        return false;
  return true;
}

bool sieve::isCausal(const std::vector<bool> &keep, int64_t queries,
                     int64_t keys) {
  if (queries > keys || static_cast<int64_t>(keep.size()) != queries * keys)
    return false;
  return matches(AttentionPattern::slidingWindow(keys), keep, queries, keys);
}

std::optional<AttentionPattern>
sieve::classifyKeepMatrix(const std::vector<bool> &keep, int64_t queries,
                          int64_t keys) {
  if (queries < 1 || queries > keys ||
      static_cast<int64_t>(keep.size()) != queries * keys)
    return std::nullopt;
  int64_t first = keys - queries;
  auto candidate = [&](const AttentionPattern &pattern) {
    return matches(pattern, keep, queries, keys);
  };

  // Diagonal patterns are determined by their last row, the one that sees
  // every offset; the candidates are then checked against every entry.
  int64_t last = keys - 1;
  std::vector<int64_t> lastOffsets;
  for (int64_t d = 0; d <= last; ++d)
    if (keep[(queries - 1) * keys + (last - d)])
      lastOffsets.push_back(d);
  if (!lastOffsets.empty() &&
      candidate(AttentionPattern::diagonals(lastOffsets))) {
    // The most specific name for the same set of pairs.
    auto sameOffsets = [&](const AttentionPattern &pattern) {
      return pattern.offsets(keys) == lastOffsets;
    };
    if (sameOffsets(AttentionPattern::logSparse()))
      return AttentionPattern::logSparse();
    // A local window W keeps the offsets 0..W-1 and then W, W+1, W+3, ...:
    // W is at most the first gap of the offsets.
    int64_t gap = 0;
    while (gap < static_cast<int64_t>(lastOffsets.size()) &&
           lastOffsets[gap] == gap)
      ++gap;
    if (gap < static_cast<int64_t>(lastOffsets.size()))
      for (int64_t window = 2; window <= gap; ++window)
        if (sameOffsets(AttentionPattern::logSparseLocal(window)))
          return AttentionPattern::logSparseLocal(window);
    return AttentionPattern::diagonals(lastOffsets);
  }

  // Restart: the first visible row p >= 1 that does not see p - 1 starts a
  // sub-sequence, so S divides it.
  for (int64_t p = std::max<int64_t>(first, 1); p < keys; ++p) {
    if (keep[(p - first) * keys + p - 1])
      continue;
    for (int64_t s = 1; s <= p; ++s)
      if (p % s == 0 && candidate(AttentionPattern::logSparseRestart(s)))
        return AttentionPattern::logSparseRestart(s);
    break;
  }
  return std::nullopt;
}
