//===- sieve-tflite-reference.cpp - TFLite's int8 reference kernels -------===//
//
// Part of Sieve's tests. Runs a .tflite model with a straightforward C++
// transcription of TFLite's int8 reference kernels
// (tensorflow/lite/kernels/internal/reference/integer_ops/{conv,
// depthwise_conv,fully_connected,pooling}.h, reference/softmax.h with
// gemmlowp's fixed-point exp and reciprocal, common.h's
// MultiplyByQuantizedMultiplier; integer_ops/{add,mul}.h, sub.h, pad.h,
// concatenation.h, strided_slice.h, quantize.h, requantize.h, dequantize.h,
// reduce.h's QuantizedMeanOrSum; the float conv, depthwise, fully connected,
// add, sub and mul) and the parameter computations of TFLite Micro's Prepare
// functions (quantization_util.cc, kernel_util.cc, add_common.cc,
// mul_common.cc, reduce_common.cc). It is the
// bit-exact reference of the TFLite tests: Arm NN (sieve-tflite-oracle)
// stays the independent oracle, but it rounds in float and refuses
// person_detect.
//
//   sieve-tflite-reference model.tflite --input=in0.bin --output-dir=DIR
//   sieve-tflite-reference model.tflite --describe
//
// The command line and the printed lines are sieve-tflite-oracle's, so that
// scripts/tflite_oracle.py drives either. The file is read with the reader
// flatc generates from lib/Import/TFLite/TFLiteSchema.fbs, after the
// flatbuffers verifier. It shares with Sieve's importer only that reader and
// the transcription of TFLite's fixed-point arithmetic
// (TFLiteArithmetic.h: QuantizeMultiplier, gemmlowp's functions, the int8
// LOGISTIC, TANH and HARD_SWISH tables); the kernels are its own.
// Test-only: nothing in the compiler uses it.
//
//===----------------------------------------------------------------------===//

#include "TFLiteSchema_generated.h"
#include "sieve/Import/TFLite/TFLiteArithmetic.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace tfl = sieve::tfl;
using namespace sieve::tflite;

namespace {

struct ReferenceError {
  std::string message;
};

[[noreturn]] void fail(const std::string &message) {
  throw ReferenceError{message};
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

struct Tensor {
  std::string name;
  tfl::TensorType type = tfl::TensorType_FLOAT32;
  std::vector<int> shape;
  std::vector<float> scales;
  std::vector<int64_t> zeroPoints;
  const uint8_t *constant = nullptr; // data in the file, or null
  std::vector<uint8_t> data;         // computed values
  size_t elements() const {
    size_t n = 1;
    for (int d : shape)
      n *= d;
    return n;
  }
  float scale() const { return scales.empty() ? 0.0f : scales[0]; }
  int32_t zeroPoint() const {
    return zeroPoints.empty() ? 0 : static_cast<int32_t>(zeroPoints[0]);
  }
  const uint8_t *bytes() const { return constant ? constant : data.data(); }
  const int8_t *i8() const { return reinterpret_cast<const int8_t *>(bytes()); }
  const int32_t *i32() const {
    return reinterpret_cast<const int32_t *>(bytes());
  }
};

size_t elementSize(tfl::TensorType type) {
  switch (type) {
  case tfl::TensorType_INT8:
    return 1;
  case tfl::TensorType_INT16:
    return 2;
  case tfl::TensorType_FLOAT32:
  case tfl::TensorType_INT32:
    return 4;
  case tfl::TensorType_INT64:
    return 8;
  default:
    return 0;
  }
}

const char *elementName(tfl::TensorType type) {
  switch (type) {
  case tfl::TensorType_INT8:
    return "i8";
  case tfl::TensorType_INT16:
    return "i16";
  case tfl::TensorType_FLOAT32:
    return "f32";
  case tfl::TensorType_INT32:
    return "i32";
  case tfl::TensorType_INT64:
    return "i64";
  default:
    return "unknown";
  }
}

class Model {
public:
  explicit Model(const std::string &path);
  void run();

  std::vector<Tensor> tensors;
  std::vector<int> inputs, outputs;

private:
  std::string bytes;
  const tfl::Model *model = nullptr;
  const tfl::SubGraph *graph = nullptr;

  Tensor &in(const tfl::Operator *op, unsigned i);
  Tensor &out(const tfl::Operator *op);
  void activationRange(tfl::ActivationFunctionType act, const Tensor &out,
                       int32_t &lo, int32_t &hi);
  void conv(const tfl::Operator *op, bool depthwise);
  void fullyConnected(const tfl::Operator *op);
  void pool(const tfl::Operator *op, bool average);
  void softmax(const tfl::Operator *op);
  void addSubMul(const tfl::Operator *op, tfl::BuiltinOperator kind);
  void pad(const tfl::Operator *op);
  void concatenation(const tfl::Operator *op);
  void stridedSlice(const tfl::Operator *op);
  void lookupTable(const tfl::Operator *op, tfl::BuiltinOperator code);
  void quantize(const tfl::Operator *op);
  void dequantize(const tfl::Operator *op);
  void mean(const tfl::Operator *op);
  std::vector<int32_t> intValues(const tfl::Operator *op, unsigned i);
};

Model::Model(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    fail("cannot read " + path);
  bytes.assign(std::istreambuf_iterator<char>(file),
               std::istreambuf_iterator<char>());
  auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
  if (bytes.size() < 8 || bytes.compare(4, 4, "TFL3") != 0)
    fail(path + " is not a TFLite model (no TFL3 identifier)");
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!tfl::VerifyModelBuffer(verifier))
    fail(path + " is corrupt: the flatbuffers verifier rejects it");
  model = tfl::GetModel(data);
  if (!model->subgraphs() || model->subgraphs()->size() != 1)
    fail("the model must have exactly one subgraph");
  graph = model->subgraphs()->Get(0);
  if (!graph->tensors() || !graph->operators() || !graph->inputs() ||
      !graph->outputs())
    fail("the subgraph lacks tensors, operators, inputs or outputs");
  unsigned numBuffers = model->buffers() ? model->buffers()->size() : 0;
  for (const tfl::Tensor *t : *graph->tensors()) {
    Tensor tensor;
    tensor.name = t->name() ? t->name()->str() : "";
    tensor.type = t->type();
    if (t->shape())
      tensor.shape.assign(t->shape()->begin(), t->shape()->end());
    for (int d : tensor.shape)
      if (d <= 0)
        fail("tensor '" + tensor.name + "' has a dimension of " +
             std::to_string(d));
    if (const tfl::QuantizationParameters *q = t->quantization()) {
      if (q->scale())
        tensor.scales.assign(q->scale()->begin(), q->scale()->end());
      if (q->zero_point())
        tensor.zeroPoints.assign(q->zero_point()->begin(),
                                 q->zero_point()->end());
    }
    if (t->buffer() >= numBuffers && t->buffer() != 0)
      fail("tensor '" + tensor.name + "' has a buffer index out of range");
    if (t->buffer() != 0) {
      const tfl::Buffer *b = model->buffers()->Get(t->buffer());
      if (b->data() && b->data()->size()) {
        if (b->data()->size() != tensor.elements() * elementSize(tensor.type))
          fail("tensor '" + tensor.name + "' has " +
               std::to_string(b->data()->size()) + " bytes of data, its " +
               "shape needs " +
               std::to_string(tensor.elements() * elementSize(tensor.type)));
        tensor.constant = b->data()->data();
      }
    }
    tensors.push_back(std::move(tensor));
  }
  auto index = [&](int i) {
    if (i < 0 || static_cast<size_t>(i) >= tensors.size())
      fail("tensor index " + std::to_string(i) + " out of range");
    return i;
  };
  for (int i : *graph->inputs())
    inputs.push_back(index(i));
  for (int i : *graph->outputs())
    outputs.push_back(index(i));
}

Tensor &Model::in(const tfl::Operator *op, unsigned i) {
  if (!op->inputs() || i >= op->inputs()->size() || op->inputs()->Get(i) < 0 ||
      static_cast<size_t>(op->inputs()->Get(i)) >= tensors.size())
    fail("operator input " + std::to_string(i) + " is missing");
  Tensor &t = tensors[op->inputs()->Get(i)];
  if (!t.constant && t.data.empty())
    fail("operator input '" + t.name + "' has no value");
  return t;
}

Tensor &Model::out(const tfl::Operator *op) {
  if (!op->outputs() || op->outputs()->size() != 1 ||
      op->outputs()->Get(0) < 0 ||
      static_cast<size_t>(op->outputs()->Get(0)) >= tensors.size())
    fail("operators must have one output");
  Tensor &t = tensors[op->outputs()->Get(0)];
  t.data.assign(t.elements() * elementSize(t.type), 0);
  return t;
}

/// CalculateActivationRangeQuantized (kernel_util.cc) for int8.
void Model::activationRange(tfl::ActivationFunctionType act, const Tensor &o,
                            int32_t &lo, int32_t &hi) {
  auto quantize = [&](float f) {
    return o.zeroPoint() + static_cast<int32_t>(std::round(f / o.scale()));
  };
  lo = -128;
  hi = 127;
  switch (act) {
  case tfl::ActivationFunctionType_NONE:
    break;
  case tfl::ActivationFunctionType_RELU:
    lo = std::max(lo, quantize(0.0f));
    break;
  case tfl::ActivationFunctionType_RELU6:
    lo = std::max(lo, quantize(0.0f));
    hi = std::min(hi, quantize(6.0f));
    break;
  case tfl::ActivationFunctionType_RELU_N1_TO_1:
    lo = std::max(lo, quantize(-1.0f));
    hi = std::min(hi, quantize(1.0f));
    break;
  default:
    fail("unsupported fused activation");
  }
}

/// The clamp of a fused activation in float (CalculateActivationRange).
void floatActivationRange(tfl::ActivationFunctionType act, float &lo,
                          float &hi) {
  lo = -std::numeric_limits<float>::infinity();
  hi = std::numeric_limits<float>::infinity();
  switch (act) {
  case tfl::ActivationFunctionType_NONE:
    break;
  case tfl::ActivationFunctionType_RELU:
    lo = 0;
    break;
  case tfl::ActivationFunctionType_RELU6:
    lo = 0;
    hi = 6;
    break;
  case tfl::ActivationFunctionType_RELU_N1_TO_1:
    lo = -1;
    hi = 1;
    break;
  default:
    fail("unsupported fused activation");
  }
}

void requireInt8(const Tensor &t) {
  if (t.type != tfl::TensorType_INT8 || t.scales.empty())
    fail("tensor '" + t.name +
         "' is not quantised int8; the reference runs "
         "int8 models only");
}

/// ComputePaddingWithOffset (padding.h): the padding before; the odd pixel
/// goes after.
int padding(tfl::Padding padding, int stride, int dilation, int in, int filter,
            int out) {
  if (padding == tfl::Padding_VALID)
    return 0;
  int effective = (filter - 1) * dilation + 1;
  int total = std::max(0, (out - 1) * stride + effective - in);
  return total / 2;
}

/// reference_integer_ops::ConvPerChannel and DepthwiseConvPerChannel, with
/// the multipliers of PopulateConvolutionQuantizationParams.
void Model::conv(const tfl::Operator *op, bool depthwise) {
  const Tensor &x = in(op, 0), &w = in(op, 1);
  const Tensor *bias = op->inputs()->size() > 2 && op->inputs()->Get(2) >= 0
                           ? &in(op, 2)
                           : nullptr;
  Tensor &y = out(op);
  const bool isFloat = x.type == tfl::TensorType_FLOAT32;
  if (isFloat &&
      (w.type != x.type || y.type != x.type || (bias && bias->type != x.type)))
    fail("a float convolution with operands of other types");
  if (!isFloat) {
    requireInt8(x);
    requireInt8(w);
    requireInt8(y);
  }
  if (x.shape.size() != 4 || w.shape.size() != 4 || y.shape.size() != 4)
    fail("convolution tensors must be 4-D");
  tfl::Padding pad;
  int strideH, strideW, dilH, dilW, multiplier = 1;
  tfl::ActivationFunctionType act;
  if (depthwise) {
    auto *o = op->builtin_options_as_DepthwiseConv2DOptions();
    if (!o)
      fail("DEPTHWISE_CONV_2D without options");
    pad = o->padding();
    strideH = o->stride_h();
    strideW = o->stride_w();
    dilH = o->dilation_h_factor();
    dilW = o->dilation_w_factor();
    act = o->fused_activation_function();
  } else {
    auto *o = op->builtin_options_as_Conv2DOptions();
    if (!o)
      fail("CONV_2D without options");
    pad = o->padding();
    strideH = o->stride_h();
    strideW = o->stride_w();
    dilH = o->dilation_h_factor();
    dilW = o->dilation_w_factor();
    act = o->fused_activation_function();
  }
  int batches = x.shape[0], inH = x.shape[1], inW = x.shape[2],
      inC = x.shape[3];
  int outH = y.shape[1], outW = y.shape[2], outC = y.shape[3];
  int kH = w.shape[1], kW = w.shape[2];
  if (depthwise) {
    if (w.shape[0] != 1 || w.shape[3] != outC || outC % inC)
      fail("depthwise filter shape does not fit");
    multiplier = outC / inC;
  } else if (w.shape[0] != outC || w.shape[3] != inC) {
    fail("convolution filter shape does not fit");
  }
  if (y.shape[0] != batches)
    fail("convolution batch mismatch");
  if (bias && (bias->type != (isFloat ? tfl::TensorType_FLOAT32
                                      : tfl::TensorType_INT32) ||
               bias->elements() != static_cast<size_t>(outC)))
    fail("convolution bias must be int32 (float32) with one value per channel");
  int padH = padding(pad, strideH, dilH, inH, kH, outH);
  int padW = padding(pad, strideW, dilW, inW, kW, outW);
  if (isFloat) {
    // reference_ops::Conv and DepthwiseConv (float): the same loops, the
    // bias added after the sum, the fused activation as a clamp.
    float lo, hi;
    floatActivationRange(act, lo, hi);
    auto *xd = reinterpret_cast<const float *>(x.bytes());
    auto *wd = reinterpret_cast<const float *>(w.bytes());
    auto *bd = bias ? reinterpret_cast<const float *>(bias->bytes()) : nullptr;
    auto *yd = reinterpret_cast<float *>(y.data.data());
    for (int b = 0; b < batches; ++b)
      for (int oy = 0; oy < outH; ++oy)
        for (int ox = 0; ox < outW; ++ox)
          for (int oc = 0; oc < outC; ++oc) {
            float acc = 0;
            int ic0 = depthwise ? oc / multiplier : 0;
            int icN = depthwise ? ic0 + 1 : inC;
            for (int fy = 0; fy < kH; ++fy)
              for (int fx = 0; fx < kW; ++fx) {
                int iy = oy * strideH - padH + dilH * fy;
                int ix = ox * strideW - padW + dilW * fx;
                if (iy < 0 || iy >= inH || ix < 0 || ix >= inW)
                  continue;
                for (int ic = ic0; ic < icN; ++ic)
                  acc +=
                      xd[((b * inH + iy) * inW + ix) * inC + ic] *
                      (depthwise ? wd[(fy * kW + fx) * outC + oc]
                                 : wd[((oc * kH + fy) * kW + fx) * inC + ic]);
              }
            if (bd)
              acc += bd[oc];
            yd[((b * outH + oy) * outW + ox) * outC + oc] =
                std::min(std::max(acc, lo), hi);
          }
    return;
  }
  std::vector<int32_t> mult(outC);
  std::vector<int> shift(outC);
  for (int c = 0; c < outC; ++c) {
    double filterScale = w.scales.size() > 1 ? w.scales.at(c) : w.scales[0];
    quantizeMultiplier(static_cast<double>(x.scale()) * filterScale /
                           static_cast<double>(y.scale()),
                       mult[c], shift[c]);
  }
  int32_t lo, hi;
  activationRange(act, y, lo, hi);
  const int32_t inputOffset = -x.zeroPoint(), outputOffset = y.zeroPoint();
  const int8_t *xd = x.i8(), *wd = w.i8();
  int8_t *yd = reinterpret_cast<int8_t *>(y.data.data());
  for (int b = 0; b < batches; ++b)
    for (int oy = 0; oy < outH; ++oy)
      for (int ox = 0; ox < outW; ++ox)
        for (int oc = 0; oc < outC; ++oc) {
          int32_t acc = 0;
          int ic0 = depthwise ? oc / multiplier : 0;
          int icN = depthwise ? ic0 + 1 : inC;
          for (int fy = 0; fy < kH; ++fy)
            for (int fx = 0; fx < kW; ++fx) {
              int iy = oy * strideH - padH + dilH * fy;
              int ix = ox * strideW - padW + dilW * fx;
              // Zero padding: outside the image contributes nothing.
              if (iy < 0 || iy >= inH || ix < 0 || ix >= inW)
                continue;
              for (int ic = ic0; ic < icN; ++ic) {
                int32_t xv = xd[((b * inH + iy) * inW + ix) * inC + ic];
                int32_t wv = depthwise
                                 ? wd[(fy * kW + fx) * outC + oc]
                                 : wd[((oc * kH + fy) * kW + fx) * inC + ic];
                acc += wv * (xv + inputOffset);
              }
            }
          if (bias)
            acc += bias->i32()[oc];
          acc = multiplyByQuantizedMultiplier(acc, mult[oc], shift[oc]);
          acc += outputOffset;
          acc = std::min(std::max(acc, lo), hi);
          yd[((b * outH + oy) * outW + ox) * outC + oc] =
              static_cast<int8_t>(acc);
        }
}

/// reference_integer_ops::FullyConnected, with the multiplier of
/// GetQuantizedConvolutionMultipler (the product of the scales in float).
void Model::fullyConnected(const tfl::Operator *op) {
  const Tensor &x = in(op, 0), &w = in(op, 1);
  const Tensor *bias = op->inputs()->size() > 2 && op->inputs()->Get(2) >= 0
                           ? &in(op, 2)
                           : nullptr;
  Tensor &y = out(op);
  const bool isFloat = x.type == tfl::TensorType_FLOAT32;
  if (isFloat &&
      (w.type != x.type || y.type != x.type || (bias && bias->type != x.type)))
    fail("a float FULLY_CONNECTED with operands of other types");
  if (!isFloat) {
    requireInt8(x);
    requireInt8(w);
    requireInt8(y);
  }
  auto *o = op->builtin_options_as_FullyConnectedOptions();
  if (w.shape.size() != 2)
    fail("FULLY_CONNECTED weights must be 2-D");
  if (o &&
      o->weights_format() != tfl::FullyConnectedOptionsWeightsFormat_DEFAULT)
    fail("FULLY_CONNECTED with shuffled weights is not supported");
  int units = w.shape[0], depth = w.shape[1];
  if (x.elements() % depth || y.elements() != x.elements() / depth * units)
    fail("FULLY_CONNECTED shapes do not fit");
  if (bias && (bias->type != (isFloat ? tfl::TensorType_FLOAT32
                                      : tfl::TensorType_INT32) ||
               bias->elements() != static_cast<size_t>(units)))
    fail(
        "FULLY_CONNECTED bias must be int32 (float32) with one value per unit");
  int batches = x.elements() / depth;
  if (isFloat) {
    // reference_ops::FullyConnected (float).
    float lo, hi;
    floatActivationRange(o ? o->fused_activation_function()
                           : tfl::ActivationFunctionType_NONE,
                         lo, hi);
    auto *xd = reinterpret_cast<const float *>(x.bytes());
    auto *wd = reinterpret_cast<const float *>(w.bytes());
    auto *bd = bias ? reinterpret_cast<const float *>(bias->bytes()) : nullptr;
    auto *yd = reinterpret_cast<float *>(y.data.data());
    for (int b = 0; b < batches; ++b)
      for (int u = 0; u < units; ++u) {
        float acc = 0;
        for (int d = 0; d < depth; ++d)
          acc += xd[b * depth + d] * wd[u * depth + d];
        if (bd)
          acc += bd[u];
        yd[b * units + u] = std::min(std::max(acc, lo), hi);
      }
    return;
  }
  std::vector<int32_t> mult(units);
  std::vector<int> shift(units);
  for (int u = 0; u < units; ++u) {
    float filterScale = w.scales.size() > 1 ? w.scales.at(u) : w.scales[0];
    double real = w.scales.size() > 1
                      ? static_cast<double>(x.scale()) * filterScale /
                            static_cast<double>(y.scale())
                      : static_cast<double>(x.scale() * filterScale) /
                            static_cast<double>(y.scale());
    quantizeMultiplier(real, mult[u], shift[u]);
  }
  int32_t lo, hi;
  activationRange(o ? o->fused_activation_function()
                    : tfl::ActivationFunctionType_NONE,
                  y, lo, hi);
  const int32_t inputOffset = -x.zeroPoint(), filterOffset = -w.zeroPoint(),
                outputOffset = y.zeroPoint();
  const int8_t *xd = x.i8(), *wd = w.i8();
  int8_t *yd = reinterpret_cast<int8_t *>(y.data.data());
  for (int b = 0; b < batches; ++b)
    for (int u = 0; u < units; ++u) {
      int32_t acc = 0;
      for (int d = 0; d < depth; ++d)
        acc += (wd[u * depth + d] + filterOffset) *
               (xd[b * depth + d] + inputOffset);
      if (bias)
        acc += bias->i32()[u];
      acc = multiplyByQuantizedMultiplier(acc, mult[u], shift[u]);
      acc += outputOffset;
      yd[b * units + u] = static_cast<int8_t>(std::min(std::max(acc, lo), hi));
    }
}

/// reference_integer_ops::AveragePool and MaxPool: windows clipped to the
/// image, the average rounded half away from zero.
void Model::pool(const tfl::Operator *op, bool average) {
  const Tensor &x = in(op, 0);
  Tensor &y = out(op);
  requireInt8(x);
  requireInt8(y);
  auto *o = op->builtin_options_as_Pool2DOptions();
  if (!o || x.shape.size() != 4 || y.shape.size() != 4 ||
      x.shape[0] != y.shape[0] || x.shape[3] != y.shape[3])
    fail("pooling shapes or options do not fit");
  int batches = x.shape[0], inH = x.shape[1], inW = x.shape[2],
      depth = x.shape[3], outH = y.shape[1], outW = y.shape[2];
  int kH = o->filter_height(), kW = o->filter_width();
  int padH = padding(o->padding(), o->stride_h(), 1, inH, kH, outH);
  int padW = padding(o->padding(), o->stride_w(), 1, inW, kW, outW);
  int32_t lo, hi;
  activationRange(o->fused_activation_function(), y, lo, hi);
  const int8_t *xd = x.i8();
  int8_t *yd = reinterpret_cast<int8_t *>(y.data.data());
  for (int b = 0; b < batches; ++b)
    for (int oy = 0; oy < outH; ++oy)
      for (int ox = 0; ox < outW; ++ox)
        for (int c = 0; c < depth; ++c) {
          int y0 = oy * o->stride_h() - padH, x0 = ox * o->stride_w() - padW;
          int fy0 = std::max(0, -y0), fy1 = std::min(kH, inH - y0);
          int fx0 = std::max(0, -x0), fx1 = std::min(kW, inW - x0);
          int32_t acc = average ? 0 : -128;
          int count = 0;
          for (int fy = fy0; fy < fy1; ++fy)
            for (int fx = fx0; fx < fx1; ++fx) {
              int32_t v = xd[((b * inH + y0 + fy) * inW + x0 + fx) * depth + c];
              acc = average ? acc + v : std::max(acc, v);
              ++count;
            }
          if (average) {
            if (count == 0)
              fail("an average-pooling window lies outside the image");
            acc =
                acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          acc = std::min(std::max(acc, lo), hi);
          yd[((b * outH + oy) * outW + ox) * depth + c] =
              static_cast<int8_t>(acc);
        }
}

/// reference_ops::Softmax for int8 in and out, with the parameters of TFLite
/// Micro's CalculateSoftmaxParams (PreprocessSoftmaxScaling,
/// CalculateInputRadius). The output is in steps of 1/256 from -128, as
/// TFLite requires of an int8 softmax.
void Model::softmax(const tfl::Operator *op) {
  const Tensor &x = in(op, 0);
  Tensor &y = out(op);
  requireInt8(x);
  requireInt8(y);
  if (y.zeroPoint() != -128 || y.scale() != 1.0f / 256)
    fail("an int8 SOFTMAX output must have zero point -128 and scale 1/256");
  auto *o = op->builtin_options_as_SoftmaxOptions();
  std::optional<SoftmaxTables> tables =
      softmaxTables(x.scale(), o ? o->beta() : 1.0f);
  if (!tables)
    fail("SOFTMAX input scale too small for TFLite's kernel");
  if (x.shape.empty() || x.elements() != y.elements())
    fail("SOFTMAX shapes do not fit");
  int depth = x.shape.back();
  int outer = x.elements() / depth;
  const int8_t *xd = x.i8();
  int8_t *yd = reinterpret_cast<int8_t *>(y.data.data());
  for (int i = 0; i < outer; ++i) {
    int32_t maxInRow = -128;
    for (int c = 0; c < depth; ++c)
      maxInRow = std::max<int32_t>(maxInRow, xd[i * depth + c]);
    // The exponentials of the differences below diff_min are 0 in the
    // tables: they add nothing and give -128.
    int32_t sumOfExps = 0;
    for (int c = 0; c < depth; ++c)
      sumOfExps += tables->accumulated[xd[i * depth + c] - maxInRow + 255];
    int numBitsOverUnit;
    int32_t shiftedScale = getReciprocal(sumOfExps, 12, numBitsOverUnit);
    for (int c = 0; c < depth; ++c) {
      int32_t e = tables->exp[xd[i * depth + c] - maxInRow + 255];
      int32_t unsat = roundingDivideByPOT(
          saturatingRoundingDoublingHighMul(shiftedScale, e),
          numBitsOverUnit + 31 - 8);
      yd[i * depth + c] =
          static_cast<int8_t>(std::min(std::max(unsat - 128, -128), 127));
    }
  }
}

/// The offset in `t` (right-aligned, NumPy broadcasting) of the element at
/// output coordinates `coord` (of rank `rank`).
size_t broadcastOffset(const Tensor &t, const std::vector<int> &coord) {
  size_t offset = 0;
  size_t lead = coord.size() - t.shape.size();
  for (size_t d = 0; d < t.shape.size(); ++d) {
    int dim = t.shape[d];
    offset = offset * dim + (dim == 1 ? 0 : coord[lead + d]);
  }
  return offset;
}

/// Steps `coord` through `shape` in row-major order.
void nextCoord(std::vector<int> &coord, const std::vector<int> &shape) {
  for (size_t d = shape.size(); d-- > 0;) {
    if (++coord[d] < shape[d])
      return;
    coord[d] = 0;
  }
}

/// reference_integer_ops::Add / reference_ops::Sub (BroadcastQuantSubSlow)
/// and reference_integer_ops::Mul for int8, with the parameters of TFLite
/// Micro's Prepare functions (add_common.cc: left shift 20, multipliers of
/// QuantizeMultiplierSmallerThanOneExp; mul_common.cc: s_a s_b / s_out in
/// double); broadcasting as the *Broadcast*Slow kernels. Float32 computes in
/// float and clamps to the fused activation.
void Model::addSubMul(const tfl::Operator *op, tfl::BuiltinOperator kind) {
  const Tensor &a = in(op, 0), &b = in(op, 1);
  Tensor &y = out(op);
  tfl::ActivationFunctionType act = tfl::ActivationFunctionType_NONE;
  if (auto *o = op->builtin_options_as_AddOptions())
    act = o->fused_activation_function();
  if (auto *o = op->builtin_options_as_SubOptions())
    act = o->fused_activation_function();
  if (auto *o = op->builtin_options_as_MulOptions())
    act = o->fused_activation_function();
  if (a.shape.size() > y.shape.size() || b.shape.size() > y.shape.size())
    fail("an input of ADD, SUB or MUL has more dimensions than its output");
  for (const Tensor *t : {&a, &b})
    for (size_t d = 0; d < t->shape.size(); ++d) {
      int dim = t->shape[d];
      if (dim != 1 && dim != y.shape[y.shape.size() - t->shape.size() + d])
        fail("ADD, SUB or MUL inputs do not broadcast to the output");
    }
  std::vector<int> coord(y.shape.size(), 0);
  size_t n = y.elements();
  if (y.type == tfl::TensorType_FLOAT32) {
    if (a.type != y.type || b.type != y.type)
      fail("float ADD, SUB or MUL with inputs of other types");
    float lo, hi;
    floatActivationRange(act, lo, hi);
    auto *ad = reinterpret_cast<const float *>(a.bytes());
    auto *bd = reinterpret_cast<const float *>(b.bytes());
    auto *yd = reinterpret_cast<float *>(y.data.data());
    for (size_t i = 0; i < n; ++i, nextCoord(coord, y.shape)) {
      float x1 = ad[broadcastOffset(a, coord)],
            x2 = bd[broadcastOffset(b, coord)];
      float r = kind == tfl::BuiltinOperator_ADD   ? x1 + x2
                : kind == tfl::BuiltinOperator_SUB ? x1 - x2
                                                   : x1 * x2;
      yd[i] = std::min(std::max(r, lo), hi);
    }
    return;
  }
  requireInt8(a);
  requireInt8(b);
  requireInt8(y);
  int32_t lo, hi;
  activationRange(act, y, lo, hi);
  const int8_t *ad = a.i8(), *bd = b.i8();
  int8_t *yd = reinterpret_cast<int8_t *>(y.data.data());
  if (kind == tfl::BuiltinOperator_MUL) {
    int32_t mult;
    int shift;
    quantizeMultiplier(static_cast<double>(a.scale()) *
                           static_cast<double>(b.scale()) /
                           static_cast<double>(y.scale()),
                       mult, shift);
    for (size_t i = 0; i < n; ++i, nextCoord(coord, y.shape)) {
      int32_t x1 = ad[broadcastOffset(a, coord)] - a.zeroPoint();
      int32_t x2 = bd[broadcastOffset(b, coord)] - b.zeroPoint();
      int32_t r =
          y.zeroPoint() + multiplyByQuantizedMultiplier(x1 * x2, mult, shift);
      yd[i] = static_cast<int8_t>(std::min(std::max(r, lo), hi));
    }
    return;
  }
  const int leftShift = 20;
  const double twiceMax =
      2 * static_cast<double>(std::max(a.scale(), b.scale()));
  int32_t m1, m2, mo;
  int s1, s2, so;
  quantizeMultiplier(static_cast<double>(a.scale()) / twiceMax, m1, s1);
  quantizeMultiplier(static_cast<double>(b.scale()) / twiceMax, m2, s2);
  quantizeMultiplier(
      twiceMax / ((1 << leftShift) * static_cast<double>(y.scale())), mo, so);
  if (s1 > 0 || s2 > 0 || so > 0)
    fail("ADD or SUB with a multiplier above one (TFLite requires below)");
  for (size_t i = 0; i < n; ++i, nextCoord(coord, y.shape)) {
    int32_t x1 =
        (ad[broadcastOffset(a, coord)] - a.zeroPoint()) * (1 << leftShift);
    int32_t x2 =
        (bd[broadcastOffset(b, coord)] - b.zeroPoint()) * (1 << leftShift);
    int32_t v1 = multiplyByQuantizedMultiplier(x1, m1, s1);
    int32_t v2 = multiplyByQuantizedMultiplier(x2, m2, s2);
    int32_t sum = kind == tfl::BuiltinOperator_SUB ? v1 - v2 : v1 + v2;
    int32_t r = multiplyByQuantizedMultiplier(sum, mo, so) + y.zeroPoint();
    yd[i] = static_cast<int8_t>(std::min(std::max(r, lo), hi));
  }
}

/// The values of a constant int32 (or int64) operand.
std::vector<int32_t> Model::intValues(const tfl::Operator *op, unsigned i) {
  const Tensor &t = in(op, i);
  std::vector<int32_t> v(t.elements());
  for (size_t k = 0; k < v.size(); ++k) {
    if (t.type == tfl::TensorType_INT32)
      v[k] = t.i32()[k];
    else if (t.type == tfl::TensorType_INT64)
      v[k] =
          static_cast<int32_t>(reinterpret_cast<const int64_t *>(t.bytes())[k]);
    else
      fail("operand '" + t.name + "' must be int32 or int64");
  }
  return v;
}

/// reference_ops::Pad: int8 pads with the output zero point (TFLite Micro's
/// pad.cc), float with 0 (or the constant value of PADV2's third input).
void Model::pad(const tfl::Operator *op) {
  const Tensor &x = in(op, 0);
  std::vector<int32_t> pads = intValues(op, 1);
  Tensor &y = out(op);
  size_t rank = x.shape.size();
  if (pads.size() != 2 * rank || y.shape.size() != rank || x.type != y.type)
    fail("PAD shapes do not fit");
  for (size_t d = 0; d < rank; ++d)
    if (pads[2 * d] < 0 || pads[2 * d + 1] < 0 ||
        y.shape[d] != x.shape[d] + pads[2 * d] + pads[2 * d + 1])
      fail("PAD shapes do not fit");
  size_t es = elementSize(x.type);
  if (x.type == tfl::TensorType_INT8) {
    requireInt8(y);
    std::memset(y.data.data(), static_cast<uint8_t>(y.zeroPoint()),
                y.data.size());
  }
  std::vector<int> coord(rank, 0);
  for (size_t i = 0, n = x.elements(); i < n; ++i, nextCoord(coord, x.shape)) {
    size_t o = 0;
    for (size_t d = 0; d < rank; ++d)
      o = o * y.shape[d] + coord[d] + pads[2 * d];
    std::memcpy(y.data.data() + o * es, x.bytes() + i * es, es);
  }
}

/// reference_ops::Concatenation, or ConcatenationWithScaling (lite/kernels)
/// when an int8 input's quantisation differs from the output's: each value
/// round(q * s_i / s_out - zp_i * s_i / s_out) in float, plus the output
/// zero point, clamped.
void Model::concatenation(const tfl::Operator *op) {
  Tensor &y = out(op);
  auto *o = op->builtin_options_as_ConcatenationOptions();
  int rank = y.shape.size();
  int axis = o ? o->axis() : 0;
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    fail("CONCATENATION axis out of range");
  if (o && o->fused_activation_function() != tfl::ActivationFunctionType_NONE)
    fail("CONCATENATION with a fused activation is not supported");
  size_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d)
    outer *= y.shape[d];
  for (int d = axis + 1; d < rank; ++d)
    inner *= y.shape[d];
  size_t es = elementSize(y.type);
  size_t offset = 0; // along the axis, times inner
  int axisTotal = 0;
  for (unsigned i = 0; i < op->inputs()->size(); ++i) {
    const Tensor &x = in(op, i);
    if (x.type != y.type || static_cast<int>(x.shape.size()) != rank)
      fail("CONCATENATION inputs do not fit the output");
    for (int d = 0; d < rank; ++d)
      if (d != axis && x.shape[d] != y.shape[d])
        fail("CONCATENATION inputs do not fit the output");
    size_t chunk = x.shape[axis] * inner;
    bool requantize =
        y.type == tfl::TensorType_INT8 &&
        (x.scale() != y.scale() || x.zeroPoint() != y.zeroPoint());
    float scale = x.scale() * (1.0f / y.scale());
    float bias = -x.zeroPoint() * scale;
    for (size_t k = 0; k < outer; ++k) {
      uint8_t *dst = y.data.data() + (k * y.shape[axis] * inner + offset) * es;
      const uint8_t *src = x.bytes() + k * chunk * es;
      if (!requantize) {
        std::memcpy(dst, src, chunk * es);
        continue;
      }
      for (size_t j = 0; j < chunk; ++j) {
        int32_t v = static_cast<int32_t>(std::round(
                        static_cast<int8_t>(src[j]) * scale + bias)) +
                    y.zeroPoint();
        dst[j] = static_cast<uint8_t>(std::min(127, std::max(-128, v)));
      }
    }
    offset += chunk;
    axisTotal += x.shape[axis];
  }
  if (axisTotal != y.shape[axis])
    fail("CONCATENATION inputs do not fit the output");
}

/// LOGISTIC, TANH and HARD_SWISH in int8: TFLite's kernels are functions of
/// the int8 input alone, so they run as the 256-entry tables of
/// sieve/Import/TFLite/TFLiteArithmetic.h (the importer's tables too), each
/// entry computed by the fixed-point kernel with its Prepare parameters.
/// LOGISTIC and TANH ignore the output tensor's quantisation, as TFLite
/// Micro's kernels do (it must be 1/256 and -128, or 1/128 and 0).
void Model::lookupTable(const tfl::Operator *op, tfl::BuiltinOperator code) {
  const Tensor &x = in(op, 0);
  Tensor &y = out(op);
  requireInt8(x);
  requireInt8(y);
  if (x.elements() != y.elements())
    fail("an elementwise operator changes the number of elements");
  std::optional<sieve::tflite::Int8Table> table;
  if (code == tfl::BuiltinOperator_LOGISTIC)
    table = sieve::tflite::logisticTable(x.scale(), x.zeroPoint());
  else if (code == tfl::BuiltinOperator_TANH)
    table = sieve::tflite::tanhTable(x.scale(), x.zeroPoint());
  else
    table = sieve::tflite::hardSwishTable(x.scale(), x.zeroPoint(), y.scale(),
                                          y.zeroPoint());
  if (!table)
    fail("HARD_SWISH output scale below the input's / 128 (TFLite refuses)");
  auto *yd = reinterpret_cast<int8_t *>(y.data.data());
  for (size_t i = 0, n = y.elements(); i < n; ++i)
    yd[i] = (*table)[x.i8()[i] + 128];
}

/// reference_ops::StridedSlice with strided_slice_logic.h's start and stop
/// indices (masks, negative indices, clamping; no ellipsis or new axes).
void Model::stridedSlice(const tfl::Operator *op) {
  const Tensor &x = in(op, 0);
  std::vector<int32_t> begin = intValues(op, 1), end = intValues(op, 2),
                       strides = intValues(op, 3);
  Tensor &y = out(op);
  auto *o = op->builtin_options_as_StridedSliceOptions();
  int rank = x.shape.size();
  if (o && (o->ellipsis_mask() || o->new_axis_mask()))
    fail("STRIDED_SLICE with an ellipsis or new-axis mask is not supported");
  if (static_cast<int>(begin.size()) != rank ||
      static_cast<int>(end.size()) != rank ||
      static_cast<int>(strides.size()) != rank || x.type != y.type)
    fail("STRIDED_SLICE shapes do not fit");
  std::vector<int> start(rank), stop(rank), count(rank);
  size_t total = 1;
  for (int d = 0; d < rank; ++d) {
    int dim = x.shape[d], s = strides[d];
    if (s == 0)
      fail("STRIDED_SLICE stride 0");
    bool shrink = o && (o->shrink_axis_mask() >> d) & 1;
    int b = begin[d];
    if (o && (o->begin_mask() >> d) & 1 && !shrink)
      b = s > 0 ? 0 : dim - 1;
    else {
      if (b < 0)
        b += dim;
      b = s > 0 ? std::min(std::max(b, 0), dim)
                : std::min(std::max(b, -1), dim - 1);
    }
    int e = end[d];
    if (shrink)
      e = b + 1;
    else if (o && (o->end_mask() >> d) & 1)
      e = s > 0 ? dim : -1;
    else {
      if (o && o->offset())
        e += begin[d];
      if (e < 0)
        e += dim;
      e = s > 0 ? std::min(std::max(e, 0), dim)
                : std::min(std::max(e, -1), dim - 1);
    }
    start[d] = b;
    stop[d] = e;
    count[d] = s > 0 ? std::max(0, (e - b + s - 1) / s)
                     : std::max(0, (b - e - s - 1) / -s);
    total *= count[d];
  }
  if (total != y.elements())
    fail("STRIDED_SLICE output has " + std::to_string(y.elements()) +
         " elements, the slice " + std::to_string(total));
  size_t es = elementSize(x.type);
  std::vector<int> coord(rank, 0);
  for (size_t i = 0; i < total; ++i, nextCoord(coord, count)) {
    size_t off = 0;
    for (int d = 0; d < rank; ++d)
      off = off * x.shape[d] + start[d] + coord[d] * strides[d];
    std::memcpy(y.data.data() + i * es, x.bytes() + off * es, es);
  }
}

/// QUANTIZE: f32 to int8 as reference_ops::AffineQuantize (divide by the
/// scale, round half away from zero, add the zero point, clamp); int8 to int8
/// as reference_ops::Requantize with TFLite Micro's multiplier of
/// QuantizeMultiplier(s_in / s_out).
void Model::quantize(const tfl::Operator *op) {
  const Tensor &x = in(op, 0);
  Tensor &y = out(op);
  requireInt8(y);
  if (x.elements() != y.elements())
    fail("QUANTIZE shapes do not fit");
  int8_t *yd = reinterpret_cast<int8_t *>(y.data.data());
  size_t n = y.elements();
  if (x.type == tfl::TensorType_FLOAT32) {
    const double scale = y.scale();
    auto *xd = reinterpret_cast<const float *>(x.bytes());
    for (size_t i = 0; i < n; ++i) {
      int32_t v =
          static_cast<int32_t>(std::round(xd[i] / scale)) + y.zeroPoint();
      yd[i] = static_cast<int8_t>(std::min(127, std::max(-128, v)));
    }
    return;
  }
  requireInt8(x);
  int32_t mult;
  int shift;
  quantizeMultiplier(static_cast<double>(x.scale()) /
                         static_cast<double>(y.scale()),
                     mult, shift);
  for (size_t i = 0; i < n; ++i) {
    int32_t v =
        multiplyByQuantizedMultiplier(x.i8()[i] - x.zeroPoint(), mult, shift) +
        y.zeroPoint();
    yd[i] = static_cast<int8_t>(std::min(127, std::max(-128, v)));
  }
}

/// reference_ops::Dequantize: float(double(scale) * (q - zero point)).
void Model::dequantize(const tfl::Operator *op) {
  const Tensor &x = in(op, 0);
  Tensor &y = out(op);
  requireInt8(x);
  if (y.type != tfl::TensorType_FLOAT32 || x.elements() != y.elements())
    fail("DEQUANTIZE must give float32 of the input's shape");
  const double scale = x.scale();
  auto *yd = reinterpret_cast<float *>(y.data.data());
  for (size_t i = 0, n = y.elements(); i < n; ++i)
    yd[i] = static_cast<float>(scale * (x.i8()[i] - x.zeroPoint()));
}

/// MEAN over constant axes. Int8 takes TFLite Micro's three paths
/// (reduce_common.cc, EvalMeanHelper), with the multiplier of
/// QuantizeMultiplier(s_in / s_out) (PrepareMeanOrSumHelper):
/// - keep_dims, rank 4 and axes written {1, 2}: reference_integer_ops::Mean,
///   the sum of q - zp through MultiplyByQuantizedMultiplier, then divided
///   by n rounding half away from zero;
/// - the input's quantisation on the output: reference_ops::Mean, the sum of
///   the stored values divided by n in int32 (truncating);
/// - otherwise reference_ops::QuantizedMeanOrSum, the multiplier folded with
///   the element count: shifted left by floor(log2 n) (at most 32, at most
///   31 + shift), divided by n, the shift lowered to match; then the sum of
///   q - zp requantised.
/// Float sums in float and divides by the count.
void Model::mean(const tfl::Operator *op) {
  const Tensor &x = in(op, 0);
  std::vector<int32_t> axes = intValues(op, 1);
  Tensor &y = out(op);
  int rank = x.shape.size();
  std::vector<bool> reduce(rank, false);
  for (int a : axes) {
    if (a < -rank || a >= rank)
      fail("MEAN axis out of range");
    reduce[a < 0 ? a + rank : a] = true;
  }
  std::vector<int> outShape(rank);
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    outShape[d] = reduce[d] ? 1 : x.shape[d];
    if (reduce[d])
      count *= x.shape[d];
  }
  size_t n = y.elements();
  if (x.elements() != n * count)
    fail("MEAN shapes do not fit");
  std::vector<int64_t> sums(n, 0);
  std::vector<double> fsums(n, 0);
  std::vector<int> coord(rank, 0);
  for (size_t i = 0, e = x.elements(); i < e; ++i, nextCoord(coord, x.shape)) {
    size_t o = 0;
    for (int d = 0; d < rank; ++d)
      o = o * outShape[d] + (reduce[d] ? 0 : coord[d]);
    if (x.type == tfl::TensorType_FLOAT32)
      fsums[o] += reinterpret_cast<const float *>(x.bytes())[i];
    else
      sums[o] += x.i8()[i];
  }
  if (x.type == tfl::TensorType_FLOAT32) {
    if (y.type != x.type)
      fail("MEAN of float32 must give float32");
    auto *yd = reinterpret_cast<float *>(y.data.data());
    for (size_t i = 0; i < n; ++i)
      yd[i] = static_cast<float>(fsums[i]) / count;
    return;
  }
  requireInt8(x);
  requireInt8(y);
  int32_t mult;
  int shift;
  quantizeMultiplier(static_cast<double>(x.scale()) /
                         static_cast<double>(y.scale()),
                     mult, shift);
  int8_t *yd = reinterpret_cast<int8_t *>(y.data.data());
  auto *o = op->builtin_options_as_ReducerOptions();
  bool axes12 = axes.size() == 2 && ((axes[0] == 1 && axes[1] == 2) ||
                                     (axes[0] == 2 && axes[1] == 1));
  if (o && o->keep_dims() && rank == 4 && axes12) {
    for (size_t i = 0; i < n; ++i) {
      int32_t acc = multiplyByQuantizedMultiplier(
          static_cast<int32_t>(sums[i] - x.zeroPoint() * count), mult, shift);
      int32_t c = static_cast<int32_t>(count);
      acc = acc > 0 ? (acc + c / 2) / c : (acc - c / 2) / c;
      acc += y.zeroPoint();
      yd[i] = static_cast<int8_t>(std::min(127, std::max(-128, acc)));
    }
    return;
  }
  if (x.scale() == y.scale() && x.zeroPoint() == y.zeroPoint()) {
    for (size_t i = 0; i < n; ++i)
      yd[i] = static_cast<int8_t>(static_cast<int32_t>(sums[i]) /
                                  static_cast<int32_t>(count));
    return;
  }
  int s = 63 - __builtin_clzll(static_cast<uint64_t>(count));
  s = std::min(s, 32);
  s = std::min(s, 31 + shift);
  mult = static_cast<int32_t>((static_cast<int64_t>(mult) << s) / count);
  shift -= s;
  for (size_t i = 0; i < n; ++i) {
    int32_t shifted = static_cast<int32_t>(sums[i] - x.zeroPoint() * count);
    int32_t v =
        multiplyByQuantizedMultiplier(shifted, mult, shift) + y.zeroPoint();
    yd[i] = static_cast<int8_t>(std::min(127, std::max(-128, v)));
  }
}

void Model::run() {
  const auto *codes = model->operator_codes();
  for (const tfl::Operator *op : *graph->operators()) {
    if (!codes || op->opcode_index() >= codes->size())
      fail("operator code index out of range");
    const tfl::OperatorCode *code = codes->Get(op->opcode_index());
    // Old converters write the code only in the deprecated byte field.
    int32_t builtin = std::max<int32_t>(code->builtin_code(),
                                        code->deprecated_builtin_code());
    switch (builtin) {
    case tfl::BuiltinOperator_CONV_2D:
      conv(op, /*depthwise=*/false);
      break;
    case tfl::BuiltinOperator_DEPTHWISE_CONV_2D:
      conv(op, /*depthwise=*/true);
      break;
    case tfl::BuiltinOperator_FULLY_CONNECTED:
      fullyConnected(op);
      break;
    case tfl::BuiltinOperator_AVERAGE_POOL_2D:
      pool(op, /*average=*/true);
      break;
    case tfl::BuiltinOperator_MAX_POOL_2D:
      pool(op, /*average=*/false);
      break;
    case tfl::BuiltinOperator_SOFTMAX:
      softmax(op);
      break;
    case tfl::BuiltinOperator_ADD:
    case tfl::BuiltinOperator_SUB:
    case tfl::BuiltinOperator_MUL:
      addSubMul(op, static_cast<tfl::BuiltinOperator>(builtin));
      break;
    case tfl::BuiltinOperator_PAD:
      pad(op);
      break;
    case tfl::BuiltinOperator_CONCATENATION:
      concatenation(op);
      break;
    case tfl::BuiltinOperator_STRIDED_SLICE:
      stridedSlice(op);
      break;
    case tfl::BuiltinOperator_QUANTIZE:
      quantize(op);
      break;
    case tfl::BuiltinOperator_LOGISTIC:
    case tfl::BuiltinOperator_TANH:
    case tfl::BuiltinOperator_HARD_SWISH:
      lookupTable(op, static_cast<tfl::BuiltinOperator>(builtin));
      break;
    case tfl::BuiltinOperator_DEQUANTIZE:
      dequantize(op);
      break;
    case tfl::BuiltinOperator_MEAN:
      mean(op);
      break;
    case tfl::BuiltinOperator_RESHAPE:
    case tfl::BuiltinOperator_SQUEEZE: {
      const Tensor &x = in(op, 0);
      Tensor &y = out(op);
      if (x.elements() != y.elements() || x.type != y.type)
        fail("RESHAPE changes the number of elements or the type");
      std::memcpy(y.data.data(), x.bytes(), y.data.size());
      break;
    }
    default:
      fail(std::string("operator ") +
           (builtin >= 0 && builtin <= tfl::BuiltinOperator_MAX
                ? tfl::EnumNameBuiltinOperator(
                      static_cast<tfl::BuiltinOperator>(builtin))
                : "?") +
           " (" + std::to_string(builtin) +
           ") is not among the reference kernels (CONV_2D, "
           "DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, "
           "MAX_POOL_2D, SOFTMAX, RESHAPE, SQUEEZE, ADD, SUB, MUL, PAD, "
           "CONCATENATION, STRIDED_SLICE, QUANTIZE, DEQUANTIZE, MEAN, "
           "LOGISTIC, TANH, HARD_SWISH)");
    }
  }
}

/// As sieve-tflite-oracle prints it.
std::string describe(const Tensor &t) {
  std::ostringstream os;
  os << elementName(t.type) << " [";
  for (size_t i = 0; i < t.shape.size(); ++i)
    os << (i ? "x" : "") << t.shape[i];
  char scale[32];
  std::snprintf(scale, sizeof(scale), "%.9g", static_cast<double>(t.scale()));
  os << "] scale=" << scale << " zero_point=" << t.zeroPoint()
     << " name=" << t.name;
  return os.str();
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep))
    parts.push_back(part);
  return parts;
}

const char *usage =
    "usage: sieve-tflite-reference MODEL.tflite --input=IN0.bin[,IN1.bin...] "
    "--output-dir=DIR\n"
    "       sieve-tflite-reference MODEL.tflite --describe\n"
    "Runs an int8 or float32 .tflite model with TFLite's reference kernels,\n"
    "transcribed;\n"
    "writes DIR/out<i>.bin and prints one line per output.\n";

int run(int argc, char **argv) {
  std::string modelPath, inputArg, outputDir;
  bool describeOnly = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--describe")
      describeOnly = true;
    else if (arg.rfind("--input=", 0) == 0)
      inputArg = arg.substr(8);
    else if (arg.rfind("--output-dir=", 0) == 0)
      outputDir = arg.substr(13);
    else if (!arg.empty() && arg[0] != '-' && modelPath.empty())
      modelPath = arg;
    else
      fail("unknown argument '" + arg + "'\n" + usage);
  }
  if (modelPath.empty())
    fail(std::string("no model given\n") + usage);
  Model model(modelPath);
  if (describeOnly) {
    for (size_t i = 0; i < model.inputs.size(); ++i)
      std::cout << "input " << i << " "
                << describe(model.tensors[model.inputs[i]]) << "\n";
    for (size_t i = 0; i < model.outputs.size(); ++i)
      std::cout << "output " << i << " "
                << describe(model.tensors[model.outputs[i]]) << "\n";
    return 0;
  }
  if (inputArg.empty() || outputDir.empty())
    fail(std::string("--input and --output-dir are required\n") + usage);
  std::vector<std::string> files = split(inputArg, ',');
  if (files.size() != model.inputs.size())
    fail(std::to_string(files.size()) + " input file(s) given, the model has " +
         std::to_string(model.inputs.size()) + " input(s)");
  for (size_t i = 0; i < files.size(); ++i) {
    Tensor &t = model.tensors[model.inputs[i]];
    std::ifstream f(files[i], std::ios::binary);
    if (!f)
      fail("cannot read " + files[i]);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
    size_t want = t.elements() * elementSize(t.type);
    if (data.size() != want)
      fail(files[i] + " has " + std::to_string(data.size()) + " bytes, input " +
           std::to_string(i) + " needs " + std::to_string(want));
    t.data = std::move(data);
  }
  model.run();
  for (size_t i = 0; i < model.outputs.size(); ++i) {
    const Tensor &t = model.tensors[model.outputs[i]];
    std::string path = outputDir + "/out" + std::to_string(i) + ".bin";
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char *>(t.bytes()),
            t.elements() * elementSize(t.type));
    if (!f)
      fail("cannot write " + path);
    std::cout << "output " << i << " " << describe(t) << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const ReferenceError &e) {
    std::cerr << "sieve-tflite-reference: error: " << e.message << "\n";
    return 1;
  }
}
