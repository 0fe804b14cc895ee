//===- AttentionConv.h - Q of convolutional self-attention ------*- C++ -*-===//
//
// Part of Sieve. Convolutional self-attention (Li et al. 2019) computes Q by
// a causal 1-D convolution. sieve-raise-attention marks such an attention
// (`attn.query_conv`); on tensors the query is one of these chains:
//
//   %p = tensor.pad %x low[..., P, ...] (zeros on the left of the length
//        only, P = dil (k-1))
//   %i = linalg.generic (broadcast of the bias [F]) or linalg.fill
//   %c = one of (F = H D; what lower-tosa leaves of tosa.conv2d, and the
//        forms of linalg exporters):
//        linalg.conv_2d_nhwc_fhwc [B, 1, L + P, C] x [F, 1, k, C] (or H and
//          W swapped), then tensor.collapse_shape to [B, L, F];
//        linalg.conv_1d_nwc_wcf [B, L + P, C] x [k, C, F] -> [B, L, F];
//        linalg.conv_1d_ncw_fcw [B, C, L + P] x [F, C, k] -> [B, F, L], then
//          linalg.transpose to [B, L, F];
//   %q = tensor.expand_shape %c -> [B, L, H, D], then linalg.transpose to
//        [B, H, L, D] unless the attention is blhd.
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
  /// The convolution's input before padding: rank 4 ([B, 1, L, C] or
  /// [B, L, 1, C]) or rank 3 ([B, L, C] or [B, C, L]).
  mlir::Value input;
  /// The weights: [F, 1, k, C], [F, k, 1, C], [k, C, F] or [F, C, k].
  mlir::Value weight;
  /// The bias [F], or null when the convolution starts from `biasScalar`.
  mlir::Value bias, biasScalar;
  /// The dims of the length and of the channels in `input` (the batch is
  /// dim 0, any other dim has size 1).
  int64_t inputLengthDim = 2, inputChannelDim = 3;
  /// The dims of the output feature, the tap and the channel in `weight`.
  int64_t weightFilterDim = 0, weightTapDim = 2, weightChannelDim = 3;
  int64_t kernel = 1, dilation = 1, channels = 0;
};

/// The convolution that computes the query of `attention` (an attn.attention
/// or attn.sparse_attention marked `attn.query_conv`, f32, rank 4) when the
/// convolution's output and the reshapes in between have no other use (so
/// that fusing removes them); std::nullopt otherwise.
std::optional<QueryConv> matchQueryConv(mlir::Operation *attention);

} // namespace sieve

#endif // SIEVE_TRANSFORMS_ATTENTIONCONV_H
