//===- ReceptiveField.h - Regions of feature maps through a CNN -*- C++ -*-===//
//
// Part of Sieve. A CNN's activations seen as a graph of layers over NHWC
// feature maps, each layer reading its inputs through a window per spatial
// axis (stride, dilation, kernel size, offset), as read from the indexing
// maps of its linalg ops. From that: which rows and columns of every layer a
// region of a later layer needs (the receptive field, whose excess over the
// region's own share is the halo), per-layer activation bytes and MACs. Kept
// free of MLIR so that it can be unit tested on hand-built networks.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ANALYSIS_RECEPTIVEFIELD_H
#define SIEVE_ANALYSIS_RECEPTIVEFIELD_H

#include <cstdint>
#include <string>
#include <vector>

namespace sieve {

/// Inclusive range of indices along one axis; empty when lo > hi.
struct Interval {
  int64_t lo = 0;
  int64_t hi = -1;

  bool empty() const { return lo > hi; }
  int64_t size() const { return empty() ? 0 : hi - lo + 1; }
  Interval hull(Interval other) const;
  Interval intersect(Interval other) const;
  bool operator==(const Interval &other) const {
    return (empty() && other.empty()) || (lo == other.lo && hi == other.hi);
  }
};

/// How output index `o` of a layer reads one input axis: indices
/// `stride * o + offset + dilation * k` for `k` in `[0, kernel)`. Padding
/// folds into a negative offset (positions outside the input are padding);
/// elementwise reads are the identity (all ones, offset 0).
struct AxisAccess {
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t kernel = 1;
  int64_t offset = 0;

  /// The input indices that output indices `out` read, padding included.
  Interval inputOf(Interval out) const;
  /// The indices of an input of `size` that `out` reads: the exact first and
  /// last ones (with dilation, the taps nearest the borders may skip some).
  Interval inputOf(Interval out, int64_t size) const;
  bool isIdentity() const { return stride == 1 && kernel == 1 && offset == 0; }
};

/// An NHWC activation (batch 1): a layer's result or a network input.
struct NetTensor {
  int64_t height = 1;
  int64_t width = 1;
  int64_t channels = 1;
  int64_t elementBytes = 1;
  /// The layer that produces it; -1 for a network input.
  int producer = -1;
  /// A network output: it lives in a caller buffer, outside the arena.
  bool isOutput = false;

  uint64_t bytes() const {
    return uint64_t(height * width * channels) * elementBytes;
  }
  uint64_t bytes(int64_t rows, int64_t cols) const {
    return uint64_t(rows * cols * channels) * elementBytes;
  }
};

/// One input of a layer and how the layer reads it.
struct LayerInput {
  int tensor = -1;
  AxisAccess rows;
  AxisAccess cols;
};

/// A layer: a reduction (convolution, depthwise convolution, pooling, matmul)
/// with the elementwise ops that consume it, or elementwise ops alone
/// (residual adds), or padding.
struct NetLayer {
  std::string name;
  std::vector<LayerInput> inputs;
  int output = -1;
  /// Multiply-accumulates of the whole layer.
  uint64_t macs = 0;
  /// Every output channel reads only its own input channel (depthwise
  /// convolution, pooling, elementwise): it could run in place.
  bool channelwise = false;
  /// Element bytes of the reduction's accumulator (4 for int32), 0 without
  /// a reduction: Sieve computes such layers row by row with one row of
  /// accumulators and, when the input is padded, a few padded input rows.
  int64_t accumulatorBytes = 0;
  /// The reduction becomes an int8 kernel that keeps its accumulators in
  /// registers and stores requantised results (sieve-vectorize-int8 with the
  /// requantisation fused): no accumulator row. Only where its shapes are
  /// static: run plainly, or in a patched stage with a region of one size in
  /// every patch; elsewhere it keeps the generic loops.
  bool fusedKernel = false;
  /// The access of its inputs is known: it can run inside a patch stage.
  bool spatial = true;
  /// Why not, when it is not.
  std::string opaqueReason;
};

/// Layers in execution order; every layer reads tensors produced earlier.
struct Network {
  std::vector<NetTensor> tensors;
  std::vector<NetLayer> layers;

  /// Adds an input tensor; returns its index.
  int addInput(int64_t h, int64_t w, int64_t c, int64_t elementBytes = 1);
  /// Adds a layer with one output tensor; returns the tensor's index.
  int addLayer(NetLayer layer, int64_t h, int64_t w, int64_t c,
               int64_t elementBytes = 1);
  /// The index of the last layer that reads `tensor`, or its producer when
  /// nothing reads it.
  int lastUse(int tensor) const;
  uint64_t totalMacs() const;
};

/// Builders for tests and benchmarks: convolution (depthwise when `groups`
/// equals the channels) with TFLite SAME padding, residual add, and pooling.
int addConv(Network &net, int input, int64_t cout, int64_t kernel,
            int64_t stride, bool depthwise, int64_t dilation = 1,
            std::string name = "");
int addAdd(Network &net, int a, int b, std::string name = "");

/// The receptive field of a region of the last layer of the stage
/// `[first, last]` along one axis (0 rows, 1 columns): for every layer of the
/// stage the indices of its output that the region needs, clamped to the
/// layer's output (positions outside it are padding and are not computed),
/// and for every tensor produced outside the stage the indices read,
/// padding included. Layers the region does not reach get empty intervals.
struct AxisField {
  /// Indexed by layer - first.
  std::vector<Interval> layer;
  /// Indexed by tensor; empty for tensors the stage does not read from
  /// outside.
  std::vector<Interval> external;
};
AxisField receptiveField(const Network &net, int first, int last, int axis,
                         Interval region);

} // namespace sieve

#endif // SIEVE_ANALYSIS_RECEPTIVEFIELD_H
