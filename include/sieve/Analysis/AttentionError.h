//===- AttentionError.h - Error of a sparse pattern vs dense ----*- C++ -*-===//
//
// Part of Sieve. When sieve-attn-logsparse replaces a model's dense causal
// attention by a sparse pattern, the model changes; the report says by how
// much. Q, K and V are activations, unknown at compile time, so the estimate
// runs both forms on seeded random inputs of the attention's real shapes
// (one head; all heads are alike under i.i.d. inputs) with a small
// double-precision reference, on every query row or, for long sequences, on
// a bounded sample of rows spread over the sequence. Free of MLIR so that it
// is unit-tested on its own; the generator is documented (docs/report.md) so
// that tests recompute the figure independently.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ANALYSIS_ATTENTIONERROR_H
#define SIEVE_ANALYSIS_ATTENTIONERROR_H

#include "sieve/Analysis/AttentionPattern.h"

#include <cstdint>

namespace sieve {

/// The estimate's inputs: `tensor` 0, 1, 2 for Q, K, V; `index` the
/// row-major element index in the [L, depth] matrix of one head. Uniform in
/// [-sqrt(3), sqrt(3)) (mean 0, variance 1) from splitmix64 of
/// (seed << 40) ^ (tensor << 56) ^ index.
double attentionErrorInput(uint64_t seed, unsigned tensor, uint64_t index);

struct AttentionErrorEstimate {
  /// Over the sampled query rows, the relative error of the sparse output
  /// row against the dense one, ||o_sparse - o_dense||_2 / ||o_dense||_2:
  /// the largest and the mean.
  double maxRelError = 0, meanRelError = 0;
  /// The root mean square of o_sparse - o_dense over the evaluated rows and
  /// value columns. V has unit variance, so this is in units of V's scale:
  /// it stays meaningful where a dense row averages many random V rows to a
  /// small norm and the relative error exceeds 1.
  double rmsError = 0;
  /// Query rows evaluated: all of them when Lq <= maxRows, else maxRows rows
  /// i_r = floor(r * (Lq - 1) / (maxRows - 1)), r in [0, maxRows) (the
  /// last row when maxRows = 1).
  int64_t rows = 0;
  uint64_t seed = 0;
};

/// Runs dense causal attention and `pattern` on the inputs above, queries
/// aligned with the last of `keys` key positions, logits scaled by `scale`.
AttentionErrorEstimate
estimateErrorAgainstDense(const AttentionPattern &pattern, int64_t queries,
                          int64_t keys, int64_t depth, int64_t valueDepth,
                          double scale, uint64_t seed = 1,
                          int64_t maxRows = 64);

} // namespace sieve

#endif // SIEVE_ANALYSIS_ATTENTIONERROR_H
