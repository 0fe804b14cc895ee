//===- AttentionPattern.h - Which keys a sparse attention keeps -*- C++ -*-===//
//
// Part of Sieve. The one definition of the sparse attention patterns of
// `attn.sparse_attention`: the op's verifier and docs, the mask classifier of
// sieve-raise-attention, the LogSparse transformation, the report and the
// lowering all ask this class, so they cannot disagree. Free of MLIR so that it
// is unit-tested on its own.
//
// Positions are 0-indexed key positions p in [0, L), L the key length. A query
// row i of an attention with Lq queries and Lk keys sits at position
// p = i + (Lk - Lq) (queries are aligned with the last keys, as `causal`).
// Every pattern is causal and made of diagonals: position p keeps key p - d
// for some offsets d >= 0 with p - d >= 0.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ANALYSIS_ATTENTIONPATTERN_H
#define SIEVE_ANALYSIS_ATTENTIONPATTERN_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sieve {

class AttentionPattern {
public:
  enum class Kind {
    /// LogSparse (Li et al. 2019): p keeps p and p - 2^k for every k >= 0
    /// with 2^k <= p. Row 0 keeps only itself.
    LogSparse,
    /// LogSparse with a local window of W: p keeps p - d for d in [0, W)
    /// (itself and the W - 1 positions to its left) and, beyond the window,
    /// p - (W - 1) - 2^k for k >= 0. W = 1 is plain LogSparse.
    LogSparseLocal,
    /// LogSparse restarted every S positions: p, in the sub-sequence that
    /// starts at s = S * floor(p / S), keeps p and p - 2^k for 2^k <= p - s.
    /// S >= L is plain LogSparse.
    LogSparseRestart,
    /// A set of diagonal offsets D: p keeps p - d for every d in D with
    /// d <= p. D = {0, ..., W-1} is a sliding window of W.
    Diagonals,
  };

  static AttentionPattern logSparse() { return {Kind::LogSparse, 0, {}}; }
  static AttentionPattern logSparseLocal(int64_t window) {
    return {Kind::LogSparseLocal, window, {}};
  }
  static AttentionPattern logSparseRestart(int64_t length) {
    return {Kind::LogSparseRestart, length, {}};
  }
  /// `offsets` must be sorted, unique and non-negative (see verify()).
  static AttentionPattern diagonals(std::vector<int64_t> offsets) {
    return {Kind::Diagonals, 0, std::move(offsets)};
  }
  static AttentionPattern slidingWindow(int64_t window);

  Kind getKind() const { return kind; }
  /// The window W (LogSparseLocal) or the sub-sequence length S
  /// (LogSparseRestart); 0 otherwise.
  int64_t getSize() const { return size; }
  /// The offsets of a Diagonals pattern.
  const std::vector<int64_t> &getOffsets() const { return offsetSet; }

  /// Why the parameters are invalid, or "" when they are valid: W and S
  /// must be >= 1; offsets sorted, unique, >= 0 and not empty.
  std::string verify() const;

  /// Whether position p keeps key position j (both in [0, L) for any L: the
  /// pattern does not depend on L).
  bool keeps(int64_t p, int64_t j) const;

  /// The key positions p keeps, in decreasing order (p first).
  std::vector<int64_t> keptKeys(int64_t p) const;

  /// Every offset d kept by at least one position of [0, L), increasing. The
  /// diagonal d holds the pairs (p, p - d) for p in [d, L) that keep it: all
  /// of them except for LogSparseRestart, where p keeps d only when
  /// p mod S >= d (see rowsOfOffset).
  std::vector<int64_t> offsets(int64_t length) const;

  /// Whether p keeps the offset d (p - d >= 0 and d is in p's set).
  bool keepsOffset(int64_t p, int64_t d) const { return keeps(p, p - d); }

  /// The number of kept (query, key) pairs of an attention with `queries`
  /// query rows aligned with the last of `keys` key positions.
  int64_t numPairs(int64_t queries, int64_t keys) const;
  int64_t numPairs(int64_t length) const { return numPairs(length, length); }

  /// The pairs of dense causal attention of the same shape, for comparison.
  static int64_t numCausalPairs(int64_t queries, int64_t keys);

  /// "logsparse", "logsparse-local(W)", "logsparse-restart(S)",
  /// "sliding-window(W)" or "diagonals(d0,d1,...)".
  std::string describe() const;

  bool operator==(const AttentionPattern &other) const {
    return kind == other.kind && size == other.size &&
           offsetSet == other.offsetSet;
  }

private:
  AttentionPattern(Kind kind, int64_t size, std::vector<int64_t> offsets)
      : kind(kind), size(size), offsetSet(std::move(offsets)) {}

  Kind kind;
  int64_t size;
  std::vector<int64_t> offsetSet;
};

/// Classifies a boolean keep-matrix of `queries` x `keys` (row-major; keep[i *
/// keys + j] is true when query i may see key j, queries aligned with the last
/// keys). Returns the pattern that keeps exactly these pairs, checked entry by
/// entry: LogSparse (plain, then local windows, then restart lengths), then a
/// sliding window or any other set of diagonals. std::nullopt when no pattern
/// matches (the mask is general). A dense causal mask is the sliding window
/// of `keys` (see isCausal).
std::optional<AttentionPattern>
classifyKeepMatrix(const std::vector<bool> &keep, int64_t queries,
                   int64_t keys);

/// Whether `keep` is exactly the causal mask (j <= i + keys - queries).
bool isCausal(const std::vector<bool> &keep, int64_t queries, int64_t keys);

} // namespace sieve

#endif // SIEVE_ANALYSIS_ATTENTIONPATTERN_H
