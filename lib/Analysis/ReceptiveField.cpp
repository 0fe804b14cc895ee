//===- ReceptiveField.cpp - Regions of feature maps through a CNN ---------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/ReceptiveField.h"

#include <algorithm>
#include <cassert>

using namespace sieve;

Interval Interval::hull(Interval other) const {
  if (empty())
    return other;
  if (other.empty())
    return *this;
  return {std::min(lo, other.lo), std::max(hi, other.hi)};
}

Interval Interval::intersect(Interval other) const {
  return {std::max(lo, other.lo), std::min(hi, other.hi)};
}

Interval AxisAccess::inputOf(Interval out) const {
  if (out.empty())
    return {};
  return {stride * out.lo + offset,
          stride * out.hi + offset + dilation * (kernel - 1)};
}

/// Floor and ceiling of a / b for b > 0.
static int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
static int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

Interval AxisAccess::inputOf(Interval out, int64_t size) const {
  if (out.empty())
    return {};
  Interval read{size, -1};
  for (int64_t k = 0; k < kernel; ++k) {
    int64_t base = offset + dilation * k;
    // The first output of `out` whose tap k lands at or after 0, and the
    // last whose tap lands before `size`.
    int64_t first = std::max(out.lo, ceilDiv(-base, stride));
    int64_t last = std::min(out.hi, floorDiv(size - 1 - base, stride));
    if (first > last)
      continue;
    read.lo = std::min(read.lo, stride * first + base);
    read.hi = std::max(read.hi, stride * last + base);
  }
  return read.lo > read.hi ? Interval{} : read;
}

int Network::addInput(int64_t h, int64_t w, int64_t c, int64_t elementBytes) {
  tensors.push_back({h, w, c, elementBytes, -1, false});
  return tensors.size() - 1;
}

int Network::addLayer(NetLayer layer, int64_t h, int64_t w, int64_t c,
                      int64_t elementBytes) {
  int index = tensors.size();
  tensors.push_back({h, w, c, elementBytes, int(layers.size()), false});
  layer.output = index;
  if (layer.name.empty())
    layer.name = "layer" + std::to_string(layers.size());
  layers.push_back(std::move(layer));
  return index;
}

int Network::lastUse(int tensor) const {
  int last = tensors[tensor].producer;
  for (int l = 0, e = layers.size(); l < e; ++l)
    for (const LayerInput &input : layers[l].inputs)
      if (input.tensor == tensor)
        last = std::max(last, l);
  return last;
}

uint64_t Network::totalMacs() const {
  uint64_t macs = 0;
  for (const NetLayer &layer : layers)
    macs += layer.macs;
  return macs;
}

/// TFLite's SAME padding of one axis: the output size and the access.
static AxisAccess sameAccess(int64_t size, int64_t kernel, int64_t stride,
                             int64_t dilation, int64_t &outSize) {
  outSize = (size + stride - 1) / stride;
  int64_t total = std::max<int64_t>(
      (outSize - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return {stride, dilation, kernel, -(total / 2)};
}

int sieve::addConv(Network &net, int input, int64_t cout, int64_t kernel,
                   int64_t stride, bool depthwise, int64_t dilation,
                   std::string name) {
  const NetTensor in = net.tensors[input];
  int64_t oh, ow;
  NetLayer layer;
  layer.name = std::move(name);
  LayerInput read{input, sameAccess(in.height, kernel, stride, dilation, oh),
                  sameAccess(in.width, kernel, stride, dilation, ow)};
  layer.inputs.push_back(read);
  if (depthwise)
    cout = in.channels;
  layer.macs = uint64_t(oh * ow * cout * kernel * kernel) *
               (depthwise ? 1 : in.channels);
  layer.channelwise = depthwise;
  layer.accumulatorBytes = 4;
  return net.addLayer(std::move(layer), oh, ow, cout);
}

int sieve::addAdd(Network &net, int a, int b, std::string name) {
  const NetTensor in = net.tensors[a];
  NetLayer layer;
  layer.name = std::move(name);
  layer.inputs.push_back({a, {}, {}});
  layer.inputs.push_back({b, {}, {}});
  layer.channelwise = true;
  return net.addLayer(std::move(layer), in.height, in.width, in.channels);
}

AxisField sieve::receptiveField(const Network &net, int first, int last,
                                int axis, Interval region) {
  AxisField field;
  field.layer.assign(last - first + 1, Interval{});
  field.external.assign(net.tensors.size(), Interval{});
  field.layer[last - first] = region;
  for (int l = last; l >= first; --l) {
    Interval out = field.layer[l - first];
    if (out.empty())
      continue;
    for (const LayerInput &input : net.layers[l].inputs) {
      const NetTensor &tensor = net.tensors[input.tensor];
      const AxisAccess &access = axis == 0 ? input.rows : input.cols;
      int producer = tensor.producer;
      if (producer >= first && producer <= last) {
        int64_t size = axis == 0 ? tensor.height : tensor.width;
        Interval &need = field.layer[producer - first];
        need = need.hull(access.inputOf(out, size));
      } else {
        Interval &read = field.external[input.tensor];
        read = read.hull(access.inputOf(out));
      }
    }
  }
  return field;
}
