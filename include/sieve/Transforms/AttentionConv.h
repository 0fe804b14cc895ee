//===- AttentionConv.h - Q of convolutional self-attention ------*- C++ -*-===//
//
// Part of Sieve. Convolutional self-attention (Li et al. 2019) computes Q by
// a causal 1-D convolution. sieve-raise-attention marks such an attention
// (`attn.query_conv`); after lower-tosa the query is this chain:
//
//   %p = tensor.pad %x low[0, 0, P, 0] high[0, 0, 0, 0]    (zeros, P = dil
//   (k-1)) %i = linalg.generic (broadcast of the bias [F]) or linalg.fill %c =
//   linalg.conv_2d_nhwc_fhwc ins(%p, %w : [B, 1, L + P, C], [F, 1, k, C])
//                                 outs(%i)                  (or H and W
//                                 swapped)
//   %q = tensor.expand_shape (tensor.collapse_shape %c) -> [B, L, H, D]
//        (F = H D), then linalg.transpose to [B, H, L, D] unless blhd
//
// The flash lowering then builds each query block from %x, %w and the bias
// instead of reading Q, so that Q never occupies the arena.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_ATTENTIONCONV_H
#define SIEVE_TRANSFORMS_ATTENTIONCONV_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace sieve {

struct QueryConv {
  /// [B, 1, L, C] (or [B, L, 1, C] when `lengthDim` is 1), before padding.
  mlir::Value input;
  /// [F, 1, k, C] (or [F, k, 1, C]), F = H * D.
  mlir::Value weight;
  /// The bias [F], or null when the convolution starts from `biasScalar`.
  mlir::Value bias, biasScalar;
  int64_t lengthDim = 2; ///< the dim of L in input (and of k in weight)
  int64_t kernel = 1, dilation = 1, channels = 0;
};

/// The convolution that computes the query of `attention` (an attn.attention
/// or attn.sparse_attention marked `attn.query_conv`, f32, rank 4) when the
/// convolution's output and the reshapes in between have no other use (so
/// that fusing removes them); std::nullopt otherwise.
std::optional<QueryConv> matchQueryConv(mlir::Operation *attention);

} // namespace sieve

#endif // SIEVE_TRANSFORMS_ATTENTIONCONV_H
