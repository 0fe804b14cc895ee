//===- TFLiteImporter.cpp - Read a .tflite model as TOSA ------------------===//
//
// Part of Sieve. Translates the first subgraph of a TFLite flatbuffer into a
// func.func of TOSA 1.0 ops. Int8 operators follow TFLite's reference kernels
// (tensorflow/lite/kernels/internal/reference/integer_ops): the same
// QuantizeMultiplier, and `tosa.rescale` with DOUBLE_ROUND where TFLite calls
// MultiplyByQuantizedMultiplier, which computes the same integers
// (docs/tflite.md has the argument).
//
// Nothing is read from the file before the flatbuffers verifier has accepted
// it, and every index the file holds (tensors, buffers, opcodes) is checked
// before use.
//
//===----------------------------------------------------------------------===//

#include "sieve/Import/TFLite/TFLiteImporter.h"

#include "TFLiteSchema_generated.h"
#include "sieve/Import/TFLite/TFLiteArithmetic.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using llvm::MemoryBufferRef;
namespace tfl = sieve::tfl;

bool sieve::isTFLiteFlatbuffer(StringRef bytes) {
  return bytes.size() >= 8 && bytes.substr(4, 4) == "TFL3";
}

namespace {

//===----------------------------------------------------------------------===//
// TFLite's quantisation arithmetic (the rest is in TFLiteArithmetic.h)
//===----------------------------------------------------------------------===//

namespace tflite = sieve::tflite;
using tflite::quantizeMultiplier;

/// TFLite's quantised activation range (CalculateActivationRangeQuantized):
/// std::round is TfLiteRound, half away from zero.
std::pair<int64_t, int64_t>
activationRange(tfl::ActivationFunctionType activation, float scale,
                int64_t zeroPoint, int64_t qmin, int64_t qmax) {
  auto quantize = [&](float f) {
    return zeroPoint + static_cast<int64_t>(std::round(f / scale));
  };
  switch (activation) {
  case tfl::ActivationFunctionType_RELU:
    return {std::max(qmin, quantize(0.0f)), qmax};
  case tfl::ActivationFunctionType_RELU6:
    return {std::max(qmin, quantize(0.0f)), std::min(qmax, quantize(6.0f))};
  case tfl::ActivationFunctionType_RELU_N1_TO_1:
    return {std::max(qmin, quantize(-1.0f)), std::min(qmax, quantize(1.0f))};
  default:
    return {qmin, qmax};
  }
}

/// Quantisation of one tensor: per tensor (one scale) or per channel along
/// `dimension`.
struct Quant {
  SmallVector<float> scales;
  SmallVector<int64_t> zeroPoints;
  int dimension = 0;

  bool present() const { return !scales.empty(); }
  float scale() const { return scales.front(); }
  int64_t zeroPoint() const { return zeroPoints.empty() ? 0 : zeroPoints[0]; }
};

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

class Importer {
public:
  Importer(MemoryBufferRef buffer, MLIRContext *ctx)
      : buffer(buffer), ctx(ctx), builder(ctx),
        fileName(llvm::sys::path::filename(buffer.getBufferIdentifier())) {}

  OwningOpRef<ModuleOp> run();

private:
  // Diagnostics.
  Location fileLoc() { return NameLoc::get(StringAttr::get(ctx, fileName)); }
  InFlightDiagnostic fileError() { return emitError(fileLoc()); }
  /// At the operator: its location names the operator index, opcode and
  /// output tensor.
  InFlightDiagnostic opError() { return emitError(opLoc); }

  // Reading the model.
  LogicalResult checkBuffer();
  LogicalResult checkTensors();
  FailureOr<ArrayRef<uint8_t>> tensorData(int32_t index);
  std::string tensorName(int32_t index);
  Quant quant(int32_t index);
  RankedTensorType tensorType(int32_t index);
  FailureOr<Value> input(unsigned i);
  FailureOr<SmallVector<int64_t>> intConstant(unsigned i);
  bool hasInput(unsigned i);
  int32_t inputIndex(unsigned i) { return (*op->inputs())[i]; }
  int32_t outputIndex(unsigned i = 0) { return (*op->outputs())[i]; }

  // Building TOSA.
  Value constant(RankedTensorType type, Attribute attr);
  Value scalarConstant(Type elementType, double value,
                       ArrayRef<int64_t> shape = {1});
  Value zeroPoint(Type elementType, int64_t value);
  Value shapeConstant(ArrayRef<int64_t> shape);
  Value reshape(Value value, ArrayRef<int64_t> shape);
  Value rescale(Value value, Type elementType, ArrayRef<double> scales,
                int64_t inputZp, int64_t outputZp, bool doubleRound = true);
  Value rescaleExact(Value value, Type elementType, int32_t multiplier,
                     int shift, int64_t inputZp, int64_t outputZp,
                     bool doubleRound);
  Value clamp(Value value, double lo, double hi);
  FailureOr<std::pair<Value, Value>> broadcastInputs(Value a, Value b,
                                                     RankedTensorType out);
  Value activation(Value value, tfl::ActivationFunctionType activation,
                   int32_t tensor);
  Value toF32(Value value, const Quant &q);
  Value fromF32(Value value, RankedTensorType type, const Quant &q,
                bool halfAwayFromZero = false);
  Value table(Value value, const tflite::Int8Table &entries);
  bool isInt8(Value value) {
    return cast<ShapedType>(value.getType()).getElementType().isInteger(8);
  }
  std::array<int64_t, 4> padding(tfl::Padding padding, int64_t inH, int64_t inW,
                                 int64_t kH, int64_t kW, int64_t strideH,
                                 int64_t strideW, int64_t dilH, int64_t dilW);

  // Operators.
  LogicalResult convertOperator();
  FailureOr<Value> convertConv(bool depthwise);
  FailureOr<Value> convertFullyConnected();
  FailureOr<Value> convertPool(bool average);
  FailureOr<Value> convertSoftmax();
  FailureOr<Value> softmaxInt8(Value x, float beta);
  FailureOr<Value> convertAddSub(bool subtract);
  FailureOr<Value> convertMul();
  FailureOr<Value> convertPad();
  FailureOr<Value> convertMean();
  FailureOr<Value> convertConcatenation();
  FailureOr<Value> convertStridedSlice();
  FailureOr<Value> convertUnary(tfl::BuiltinOperator code);
  FailureOr<Value> convertQuantize();
  FailureOr<Value> convertDequantize();

  MemoryBufferRef buffer;
  MLIRContext *ctx;
  OpBuilder builder;
  std::string fileName;
  const tfl::Model *model = nullptr;
  const tfl::SubGraph *graph = nullptr;
  SmallVector<Value> values;

  // The operator being converted.
  const tfl::Operator *op = nullptr;
  unsigned opIndex = 0;
  tfl::BuiltinOperator opCode = tfl::BuiltinOperator_ADD;
  std::string opName;
  Location opLoc = UnknownLoc::get(ctx);
};

LogicalResult Importer::checkBuffer() {
  StringRef bytes = buffer.getBuffer();
  if (bytes.size() < 8)
    return fileError() << "is not a TFLite model: " << bytes.size()
                       << " bytes, shorter than a flatbuffer header",
           failure();
  if (!sieve::isTFLiteFlatbuffer(bytes))
    return fileError() << "is not a TFLite model: bytes 4 to 8 are '"
                       << llvm::toHex(bytes.substr(4, 4))
                       << "' (hex), not the file identifier 'TFL3'",
           failure();
  if (bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return fileError() << "is larger than a flatbuffer can be (" << bytes.size()
                       << " bytes)",
           failure();
  auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
  uint32_t rootOffset = flatbuffers::ReadScalar<uint32_t>(data);
  if (rootOffset >= bytes.size())
    return fileError() << "is truncated or corrupt: the root table offset "
                       << rootOffset << " points past the end of the file ("
                       << bytes.size() << " bytes)",
           failure();
  flatbuffers::Verifier verifier(data, bytes.size(), /*max_depth=*/64,
                                 /*max_tables=*/10000000);
  if (!tfl::VerifyModelBuffer(verifier))
    return fileError() << "is truncated or corrupt: the flatbuffers verifier "
                          "rejects it (a table, vector or string is "
                          "malformed or lies outside the "
                       << bytes.size() << " bytes of the file)",
           failure();
  model = tfl::GetModel(data);
  if (!model->subgraphs() || model->subgraphs()->size() == 0)
    return fileError() << "has no subgraph", failure();
  if (model->subgraphs()->size() > 1)
    return fileError() << "has " << model->subgraphs()->size()
                       << " subgraphs; Sieve imports models with one "
                          "(control flow is not supported)",
           failure();
  graph = model->subgraphs()->Get(0);
  if (!graph->tensors() || !graph->operators() || !graph->inputs() ||
      !graph->outputs())
    return fileError() << "has a subgraph without tensors, operators, "
                          "inputs or outputs",
           failure();
  return success();
}

std::string Importer::tensorName(int32_t index) {
  const tfl::Tensor *t = graph->tensors()->Get(index);
  if (t->name() && t->name()->size())
    return t->name()->str();
  return ("tensor" + Twine(index)).str();
}

/// Every tensor: a static shape and an element type Sieve compiles, a valid
/// buffer index, no sparsity. Checked once, before any op is built.
LogicalResult Importer::checkTensors() {
  unsigned numBuffers = model->buffers() ? model->buffers()->size() : 0;
  for (auto [i, t] : llvm::enumerate(*graph->tensors())) {
    auto error = [&, i = i]() {
      return fileError() << "tensor " << i << " '" << tensorName(i) << "': ";
    };
    if (t->buffer() != 0 && t->buffer() >= numBuffers)
      return error() << "buffer index " << t->buffer()
                     << " is out of range (the model has " << numBuffers
                     << " buffers)",
             failure();
    if (t->sparsity())
      return error() << "is sparse; Sieve reads dense tensors only", failure();
    // Converters mark the batch dimension -1 in the shape signature and 1
    // in the shape, which is what TFLite (Micro) runs: that batch of 1 is
    // compiled. Any other unknown dimension makes the model dynamic.
    if (t->shape_signature())
      for (auto [d, size] : llvm::enumerate(*t->shape_signature()))
        if (size < 0 && !(d == 0 && t->shape() && t->shape()->size() &&
                          t->shape()->Get(0) == 1))
          return error() << "has a dynamic shape (dimension " << d
                         << " is -1 in its shape signature); Sieve compiles "
                            "static shapes only",
                 failure();
    if (t->shape())
      for (int32_t d : *t->shape())
        if (d <= 0)
          return error() << "has a dimension of " << d
                         << "; Sieve compiles static, non-empty shapes only",
                 failure();
    switch (t->type()) {
    case tfl::TensorType_FLOAT32:
    case tfl::TensorType_INT8:
    case tfl::TensorType_INT16:
    case tfl::TensorType_INT32:
    case tfl::TensorType_INT64:
      break;
    default:
      return error() << "has element type "
                     << tfl::EnumNameTensorType(t->type())
                     << "; Sieve imports FLOAT32, INT8, INT16, INT32 and "
                        "INT64 tensors",
             failure();
    }
    if (t->quantization() &&
        t->quantization()->details_type() != tfl::QuantizationDetails_NONE)
      return error() << "uses custom quantisation, which Sieve does not read",
             failure();
    // Data in or beyond the file, of the size the shape needs, whether or
    // not an operator reads it.
    if (failed(tensorData(i)))
      return failure();
  }
  return success();
}

RankedTensorType Importer::tensorType(int32_t index) {
  const tfl::Tensor *t = graph->tensors()->Get(index);
  SmallVector<int64_t> shape;
  if (t->shape())
    for (int32_t d : *t->shape())
      shape.push_back(d);
  Type element;
  switch (t->type()) {
  case tfl::TensorType_FLOAT32:
    element = builder.getF32Type();
    break;
  case tfl::TensorType_INT8:
    element = builder.getIntegerType(8);
    break;
  case tfl::TensorType_INT16:
    element = builder.getIntegerType(16);
    break;
  case tfl::TensorType_INT64:
    element = builder.getIntegerType(64);
    break;
  default:
    element = builder.getIntegerType(32);
    break;
  }
  return RankedTensorType::get(shape, element);
}

Quant Importer::quant(int32_t index) {
  Quant q;
  const tfl::QuantizationParameters *p =
      graph->tensors()->Get(index)->quantization();
  if (!p || !p->scale())
    return q;
  for (float s : *p->scale())
    q.scales.push_back(s);
  if (p->zero_point())
    for (int64_t z : *p->zero_point())
      q.zeroPoints.push_back(z);
  q.dimension = p->quantized_dimension();
  return q;
}

/// The bytes of a constant tensor, checked against its shape and the file.
/// Empty when the tensor has no data (an activation).
FailureOr<ArrayRef<uint8_t>> Importer::tensorData(int32_t index) {
  const tfl::Tensor *t = graph->tensors()->Get(index);
  if (t->buffer() == 0)
    return ArrayRef<uint8_t>();
  const tfl::Buffer *b = model->buffers()->Get(t->buffer());
  ArrayRef<uint8_t> data;
  if (b->offset() > 1) {
    // Data outside the flatbuffer (models over 2 GiB).
    uint64_t size = buffer.getBufferSize();
    if (b->offset() > size || b->size() > size - b->offset())
      return fileError() << "tensor " << index << " '" << tensorName(index)
                         << "': buffer " << t->buffer() << " points at bytes "
                         << b->offset() << " to " << b->offset() + b->size()
                         << ", outside the file (" << size << " bytes)",
             failure();
    data = ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(buffer.getBufferStart()) +
            b->offset(),
        b->size());
  } else if (b->data()) {
    data = ArrayRef<uint8_t>(b->data()->data(), b->data()->size());
  }
  if (data.empty())
    return data;
  RankedTensorType type = tensorType(index);
  uint64_t expected = type.getNumElements() *
                      (type.getElementType().getIntOrFloatBitWidth() / 8);
  if (data.size() != expected)
    return fileError() << "tensor " << index << " '" << tensorName(index)
                       << "': buffer " << t->buffer() << " holds "
                       << data.size() << " bytes, its shape " << type
                       << " needs " << expected,
           failure();
  return data;
}

bool Importer::hasInput(unsigned i) {
  return op->inputs() && i < op->inputs()->size() && inputIndex(i) >= 0;
}

/// The value of the operator's `i`-th input: an earlier result, a model
/// input, or a constant made from its buffer.
FailureOr<Value> Importer::input(unsigned i) {
  if (!hasInput(i))
    return opError() << "input " << i << " is missing", failure();
  int32_t index = inputIndex(i);
  if (Value v = values[index])
    return v;
  FailureOr<ArrayRef<uint8_t>> data = tensorData(index);
  if (failed(data))
    return failure();
  if (data->empty())
    return opError() << "input " << i << " is tensor " << index << " '"
                     << tensorName(index)
                     << "', which no earlier operator writes and which has "
                        "no data",
           failure();
  RankedTensorType type = tensorType(index);
  auto attr = DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(data->data()),
                           data->size()));
  OpBuilder::InsertionGuard guard(builder);
  values[index] = constant(type, attr);
  return values[index];
}

/// A small integer constant input (shapes, paddings, axes, slice bounds).
FailureOr<SmallVector<int64_t>> Importer::intConstant(unsigned i) {
  if (!hasInput(i))
    return opError() << "input " << i << " is missing", failure();
  int32_t index = inputIndex(i);
  FailureOr<ArrayRef<uint8_t>> data = tensorData(index);
  if (failed(data))
    return failure();
  RankedTensorType type = tensorType(index);
  if (data->empty() || !type.getElementType().isInteger() ||
      type.getElementType().getIntOrFloatBitWidth() < 32)
    return opError() << "input " << i << " ('" << tensorName(index)
                     << "') must be an INT32 or INT64 constant",
           failure();
  SmallVector<int64_t> result;
  bool wide = type.getElementType().getIntOrFloatBitWidth() == 64;
  for (int64_t k = 0, e = type.getNumElements(); k < e; ++k) {
    if (wide) {
      int64_t v;
      std::memcpy(&v, data->data() + 8 * k, 8);
      result.push_back(v);
    } else {
      int32_t v;
      std::memcpy(&v, data->data() + 4 * k, 4);
      result.push_back(v);
    }
  }
  return result;
}

Value Importer::constant(RankedTensorType type, Attribute attr) {
  return tosa::ConstOp::create(builder, opLoc, type, cast<ElementsAttr>(attr));
}

Value Importer::scalarConstant(Type elementType, double value,
                               ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, elementType);
  Attribute attr;
  if (isa<FloatType>(elementType))
    attr =
        DenseElementsAttr::get(type, builder.getFloatAttr(elementType, value));
  else
    attr = DenseElementsAttr::get(
        type, builder.getIntegerAttr(elementType, static_cast<int64_t>(value)));
  return constant(type, attr);
}

Value Importer::zeroPoint(Type elementType, int64_t value) {
  return scalarConstant(elementType, static_cast<double>(value));
}

Value Importer::shapeConstant(ArrayRef<int64_t> shape) {
  auto type = tosa::shapeType::get(ctx, shape.size());
  auto attr = DenseIntElementsAttr::get(
      RankedTensorType::get({static_cast<int64_t>(shape.size())},
                            builder.getIndexType()),
      shape);
  return tosa::ConstShapeOp::create(builder, opLoc, type, attr);
}

Value Importer::reshape(Value value, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  // Weights are reshaped here, not at run time: TOSA's filter layouts
  // differ from TFLite's only in shape. The original constant may still be
  // another operand of the operator being converted (a model may feed one
  // tensor to both); it is erased at the end if nothing uses it.
  if (auto constOp = value.getDefiningOp<tosa::ConstOp>()) {
    auto attr = cast<DenseElementsAttr>(constOp.getValues());
    return constant(type.clone(shape), attr.reshape(type.clone(shape)));
  }
  return tosa::ReshapeOp::create(builder, opLoc, type.clone(shape), value,
                                 shapeConstant(shape));
}

/// `tosa.rescale` with the multipliers and shifts TFLite's QuantizeMultiplier
/// gives for `scales` (one, or one per channel along the last dimension).
Value Importer::rescale(Value value, Type elementType, ArrayRef<double> scales,
                        int64_t inputZp, int64_t outputZp, bool doubleRound) {
  SmallVector<int32_t> multipliers;
  SmallVector<int8_t> shifts;
  for (double s : scales) {
    int32_t m;
    int e;
    quantizeMultiplier(s, m, e);
    // TFLite's exponent is a left shift; TOSA's shift is a right shift of
    // the 64-bit product by 31 bits of Q31 plus the exponent's.
    int shift = 31 - e;
    if (m == 0)
      shift = 31;
    multipliers.push_back(m);
    shifts.push_back(static_cast<int8_t>(std::clamp(shift, 2, 62)));
  }
  auto inType = cast<RankedTensorType>(value.getType());
  int64_t n = multipliers.size();
  Value mult = constant(
      RankedTensorType::get({n}, builder.getI32Type()),
      DenseElementsAttr::get(RankedTensorType::get({n}, builder.getI32Type()),
                             ArrayRef<int32_t>(multipliers)));
  Value shift = constant(
      RankedTensorType::get({n}, builder.getI8Type()),
      DenseElementsAttr::get(RankedTensorType::get({n}, builder.getI8Type()),
                             ArrayRef<int8_t>(shifts)));
  return tosa::RescaleOp::create(
      builder, opLoc, inType.clone(elementType), value, mult, shift,
      zeroPoint(inType.getElementType(), inputZp),
      zeroPoint(elementType, outputZp), /*scale32=*/true,
      doubleRound ? tosa::RoundingMode::DOUBLE_ROUND
                  : tosa::RoundingMode::SINGLE_ROUND,
      /*per_channel=*/n > 1, /*input_unsigned=*/false,
      /*output_unsigned=*/false);
}

/// A rescale with a given multiplier and TOSA shift: exact integer steps
/// (subtracting a zero point, shifting left) that TFLite writes as plain C.
Value Importer::rescaleExact(Value value, Type elementType, int32_t multiplier,
                             int shift, int64_t inputZp, int64_t outputZp,
                             bool doubleRound) {
  auto inType = cast<RankedTensorType>(value.getType());
  auto i32 = builder.getI32Type();
  auto i8 = builder.getI8Type();
  return tosa::RescaleOp::create(
      builder, opLoc, inType.clone(elementType), value,
      scalarConstant(i32, multiplier), scalarConstant(i8, shift),
      zeroPoint(inType.getElementType(), inputZp),
      zeroPoint(elementType, outputZp), /*scale32=*/true,
      doubleRound ? tosa::RoundingMode::DOUBLE_ROUND
                  : tosa::RoundingMode::SINGLE_ROUND,
      /*per_channel=*/false, /*input_unsigned=*/false,
      /*output_unsigned=*/false);
}

Value Importer::clamp(Value value, double lo, double hi) {
  Type element = cast<ShapedType>(value.getType()).getElementType();
  Attribute min, max;
  if (isa<FloatType>(element)) {
    min = builder.getFloatAttr(element, lo);
    max = builder.getFloatAttr(element, hi);
  } else {
    min = builder.getIntegerAttr(element, static_cast<int64_t>(lo));
    max = builder.getIntegerAttr(element, static_cast<int64_t>(hi));
  }
  return tosa::ClampOp::create(builder, opLoc, value.getType(), value, min,
                               max);
}

/// A fused activation on `value`, whose quantisation is that of `tensor`:
/// a clamp to TFLite's activation range, or nothing when the range is the
/// whole type.
Value Importer::activation(Value value, tfl::ActivationFunctionType act,
                           int32_t tensor) {
  if (act == tfl::ActivationFunctionType_NONE)
    return value;
  if (isInt8(value)) {
    Quant q = quant(tensor);
    auto [lo, hi] = activationRange(act, q.scale(), q.zeroPoint(), -128, 127);
    if (lo == -128 && hi == 127)
      return value;
    return clamp(value, lo, hi);
  }
  float inf = std::numeric_limits<float>::max();
  switch (act) {
  case tfl::ActivationFunctionType_RELU:
    return clamp(value, 0.0, inf);
  case tfl::ActivationFunctionType_RELU6:
    return clamp(value, 0.0, 6.0);
  case tfl::ActivationFunctionType_RELU_N1_TO_1:
    return clamp(value, -1.0, 1.0);
  case tfl::ActivationFunctionType_TANH:
    return tosa::TanhOp::create(builder, opLoc, value.getType(), value);
  default:
    return value;
  }
}

/// TFLite's padding (ComputePaddingHeightWidth): SAME puts the odd pixel at
/// the bottom and right. Returns TOSA's [top, bottom, left, right].
std::array<int64_t, 4> Importer::padding(tfl::Padding padding, int64_t inH,
                                         int64_t inW, int64_t kH, int64_t kW,
                                         int64_t strideH, int64_t strideW,
                                         int64_t dilH, int64_t dilW) {
  if (padding != tfl::Padding_SAME)
    return {0, 0, 0, 0};
  auto total = [](int64_t in, int64_t k, int64_t stride, int64_t dil) {
    int64_t out = (in + stride - 1) / stride;
    int64_t effective = (k - 1) * dil + 1;
    return std::max<int64_t>((out - 1) * stride + effective - in, 0);
  };
  int64_t h = total(inH, kH, strideH, dilH), w = total(inW, kW, strideW, dilW);
  return {h / 2, h - h / 2, w / 2, w - w / 2};
}

/// Int8 to f32, dequantised: (q - zero point) * scale.
Value Importer::toF32(Value value, const Quant &q) {
  auto type = cast<RankedTensorType>(value.getType());
  auto f32 = builder.getF32Type();
  auto ftype = type.clone(f32);
  SmallVector<int64_t> ones(type.getRank(), 1);
  Value f = tosa::CastOp::create(builder, opLoc, ftype, value);
  f = tosa::SubOp::create(builder, opLoc, ftype, f,
                          scalarConstant(f32, q.zeroPoint(), ones));
  return tosa::MulOp::create(builder, opLoc, ftype, f,
                             scalarConstant(f32, q.scale(), ones),
                             scalarConstant(builder.getI8Type(), 0));
}

/// F32 to int8, quantised: round(x / scale) + zero point, saturated. The
/// division is a multiplication by the reciprocal, and the rounding is
/// TOSA's cast (to nearest, ties to even).
/// f32 to int8: multiply by 1/scale, add the zero point, clamp, and
/// `tosa.cast` (rounding half to even); with `halfAwayFromZero`, the product
/// is first rounded half away from zero as TFLite's AffineQuantize does
/// (|v| = floor(|v|) + (|v| - floor(|v|) >= 0.5), the sign restored; the
/// subtraction is exact, so no value near a half is misrounded).
Value Importer::fromF32(Value value, RankedTensorType type, const Quant &q,
                        bool halfAwayFromZero) {
  auto f32 = builder.getF32Type();
  auto ftype = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> ones(ftype.getRank(), 1);
  Value f = tosa::MulOp::create(builder, opLoc, ftype, value,
                                scalarConstant(f32, 1.0 / q.scale(), ones),
                                scalarConstant(builder.getI8Type(), 0));
  if (halfAwayFromZero) {
    auto boolType = ftype.clone(builder.getI1Type());
    Value zero = scalarConstant(f32, 0.0, ones);
    Value a = tosa::AbsOp::create(builder, opLoc, ftype, f);
    Value floor = tosa::FloorOp::create(builder, opLoc, ftype, a);
    Value frac = tosa::SubOp::create(builder, opLoc, ftype, a, floor);
    Value up = tosa::GreaterEqualOp::create(builder, opLoc, boolType, frac,
                                            scalarConstant(f32, 0.5, ones));
    Value rounded = tosa::SelectOp::create(
        builder, opLoc, ftype, up,
        tosa::AddOp::create(builder, opLoc, ftype, floor,
                            scalarConstant(f32, 1.0, ones)),
        floor);
    Value negative = tosa::GreaterOp::create(builder, opLoc, boolType, zero, f);
    f = tosa::SelectOp::create(
        builder, opLoc, ftype, negative,
        tosa::SubOp::create(builder, opLoc, ftype, zero, rounded), rounded);
  }
  f = tosa::AddOp::create(builder, opLoc, ftype, f,
                          scalarConstant(f32, q.zeroPoint(), ones));
  f = clamp(f, -128.0, 127.0);
  return tosa::CastOp::create(builder, opLoc, type, f);
}

/// An int8 elementwise function as a 256-entry `tosa.table`: entry `q + 128`
/// is the output for input `q`.
Value Importer::table(Value value, const tflite::Int8Table &entries) {
  auto type = RankedTensorType::get({256}, builder.getI8Type());
  Value lut = constant(type, DenseElementsAttr::get(
                                 type, ArrayRef<int8_t>(entries.data(), 256)));
  return tosa::TableOp::create(builder, opLoc, value.getType(), value, lut);
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

FailureOr<Value> Importer::convertConv(bool depthwise) {
  FailureOr<Value> x = input(0), w = input(1);
  if (failed(x) || failed(w))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  RankedTensorType outType = tensorType(outputIndex());
  if (xType.getRank() != 4 || wType.getRank() != 4 || outType.getRank() != 4)
    return opError() << "expects 4-d input, filter and output", failure();

  tfl::Padding pad;
  int64_t strideH, strideW, dilH, dilW;
  tfl::ActivationFunctionType act;
  if (depthwise) {
    const tfl::DepthwiseConv2DOptions *o =
        op->builtin_options_as_DepthwiseConv2DOptions();
    if (!o)
      return opError() << "has no DepthwiseConv2DOptions", failure();
    pad = o->padding();
    strideH = o->stride_h(), strideW = o->stride_w();
    dilH = o->dilation_h_factor(), dilW = o->dilation_w_factor();
    act = o->fused_activation_function();
  } else {
    const tfl::Conv2DOptions *o = op->builtin_options_as_Conv2DOptions();
    if (!o)
      return opError() << "has no Conv2DOptions", failure();
    pad = o->padding();
    strideH = o->stride_h(), strideW = o->stride_w();
    dilH = o->dilation_h_factor(), dilW = o->dilation_w_factor();
    act = o->fused_activation_function();
  }
  if (strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1)
    return opError() << "has a stride or dilation below 1", failure();

  int64_t kH = wType.getDimSize(1), kW = wType.getDimSize(2);
  int64_t outC = outType.getDimSize(3);
  // TFLite's depthwise filter is [1, KH, KW, C * M]; TOSA's [KH, KW, C, M].
  Value weight = *w;
  if (depthwise) {
    int64_t inC = xType.getDimSize(3);
    if (wType.getDimSize(0) != 1 || outC % inC || wType.getDimSize(3) != outC)
      return opError() << "has a depthwise filter " << wType
                       << " that does not match " << xType << " -> " << outType,
             failure();
    weight = reshape(weight, {kH, kW, inC, outC / inC});
  } else if (wType.getDimSize(3) != xType.getDimSize(3) ||
             wType.getDimSize(0) != outC) {
    return opError() << "has a filter " << wType << " that does not match "
                     << xType << " -> " << outType,
           failure();
  }
  auto pads = padding(pad, xType.getDimSize(1), xType.getDimSize(2), kH, kW,
                      strideH, strideW, dilH, dilW);

  bool quantized = xType.getElementType().isInteger(8);
  Type acc =
      quantized ? Type(builder.getI32Type()) : Type(builder.getF32Type());
  Value bias;
  if (hasInput(2)) {
    FailureOr<Value> b = input(2);
    if (failed(b))
      return failure();
    bias = *b;
  } else {
    bias = scalarConstant(acc, 0.0, {outC});
  }
  Quant qx = quant(inputIndex(0)), qw = quant(inputIndex(1)),
        qo = quant(outputIndex());
  if (quantized && (!qx.present() || !qw.present() || !qo.present()))
    return opError() << "is int8 without quantisation parameters", failure();
  Type element = xType.getElementType();
  Value inZp = zeroPoint(element, quantized ? qx.zeroPoint() : 0);
  Value wZp = zeroPoint(element, 0);
  if (quantized && llvm::any_of(qw.zeroPoints, [](int64_t z) { return z; }))
    return opError() << "has a filter with a non-zero zero point; TFLite's "
                        "int8 kernels require symmetric filters",
           failure();

  auto accType = outType.clone(acc);
  Value result;
  if (depthwise)
    result = tosa::DepthwiseConv2DOp::create(
        builder, opLoc, accType, *x, weight, bias, inZp, wZp,
        builder.getDenseI64ArrayAttr(pads),
        builder.getDenseI64ArrayAttr({strideH, strideW}),
        builder.getDenseI64ArrayAttr({dilH, dilW}), TypeAttr::get(acc));
  else
    result = tosa::Conv2DOp::create(
        builder, opLoc, accType, *x, weight, bias, inZp, wZp,
        builder.getDenseI64ArrayAttr(pads),
        builder.getDenseI64ArrayAttr({strideH, strideW}),
        builder.getDenseI64ArrayAttr({dilH, dilW}), TypeAttr::get(acc));
  if (quantized) {
    // PopulateConvolutionQuantizationParams: in double, per output channel.
    SmallVector<double> scales;
    for (int64_t c = 0; c < (qw.scales.size() > 1 ? outC : 1); ++c)
      scales.push_back(static_cast<double>(qx.scale()) *
                       static_cast<double>(qw.scales[c]) /
                       static_cast<double>(qo.scale()));
    if (qw.scales.size() > 1 && qw.scales.size() != size_t(outC))
      return opError() << "has " << qw.scales.size() << " filter scales for "
                       << outC << " channels",
             failure();
    result = rescale(result, element, scales, 0, qo.zeroPoint());
  }
  return activation(result, act, outputIndex());
}

FailureOr<Value> Importer::convertFullyConnected() {
  FailureOr<Value> x = input(0), w = input(1);
  if (failed(x) || failed(w))
    return failure();
  const tfl::FullyConnectedOptions *o =
      op->builtin_options_as_FullyConnectedOptions();
  if (o &&
      o->weights_format() != tfl::FullyConnectedOptionsWeightsFormat_DEFAULT)
    return opError() << "uses shuffled weights, which Sieve does not read",
           failure();
  auto xType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  RankedTensorType outType = tensorType(outputIndex());
  if (wType.getRank() != 2)
    return opError() << "expects a 2-d filter, not " << wType, failure();
  int64_t outC = wType.getDimSize(0), depth = wType.getDimSize(1);
  if (xType.getNumElements() % depth || outType.getNumElements() % outC)
    return opError() << "has input " << xType << " and filter " << wType
                     << " that do not match",
           failure();
  int64_t batch = xType.getNumElements() / depth;
  bool quantized = xType.getElementType().isInteger(8);
  if (!quantized && !xType.getElementType().isF32())
    return opError() << "supports int8 and float32, not " << xType, failure();
  Type acc =
      quantized ? Type(builder.getI32Type()) : Type(builder.getF32Type());
  Type element = xType.getElementType();
  if (cast<RankedTensorType>(w->getType()).getElementType() != element)
    return opError() << "has a " << wType << " filter for " << xType
                     << " input (hybrid models are not supported)",
           failure();

  // As a 1x1 convolution over `batch` pixels, TOSA 1.0 having no
  // fully_connected: the row-by-row machinery applies unchanged.
  Value x4 = reshape(*x, {batch, 1, 1, depth});
  Value w4 = reshape(*w, {outC, 1, 1, depth});
  Value bias;
  if (hasInput(2)) {
    FailureOr<Value> b = input(2);
    if (failed(b))
      return failure();
    bias = reshape(*b, {outC});
  } else {
    bias = scalarConstant(acc, 0.0, {outC});
  }
  Quant qx = quant(inputIndex(0)), qw = quant(inputIndex(1)),
        qo = quant(outputIndex());
  if (quantized && (!qx.present() || !qw.present() || !qo.present()))
    return opError() << "is int8 without quantisation parameters", failure();
  Value result = tosa::Conv2DOp::create(
      builder, opLoc, RankedTensorType::get({batch, 1, 1, outC}, acc), x4, w4,
      bias, zeroPoint(element, quantized ? qx.zeroPoint() : 0),
      zeroPoint(element, 0), builder.getDenseI64ArrayAttr({0, 0, 0, 0}),
      builder.getDenseI64ArrayAttr({1, 1}),
      builder.getDenseI64ArrayAttr({1, 1}), TypeAttr::get(acc));
  if (quantized) {
    SmallVector<double> scales;
    if (qw.scales.size() > 1) {
      for (float s : qw.scales)
        scales.push_back(static_cast<double>(qx.scale()) *
                         static_cast<double>(s) /
                         static_cast<double>(qo.scale()));
    } else {
      // GetQuantizedConvolutionMultipler: the product in float, then double.
      float product = qx.scale() * qw.scale();
      scales.push_back(static_cast<double>(product) /
                       static_cast<double>(qo.scale()));
    }
    result = rescale(result, element, scales, 0, qo.zeroPoint());
  }
  result = reshape(result, outType.getShape());
  return activation(result,
                    o ? o->fused_activation_function()
                      : tfl::ActivationFunctionType_NONE,
                    outputIndex());
}

FailureOr<Value> Importer::convertPool(bool average) {
  FailureOr<Value> x = input(0);
  if (failed(x))
    return failure();
  const tfl::Pool2DOptions *o = op->builtin_options_as_Pool2DOptions();
  if (!o)
    return opError() << "has no Pool2DOptions", failure();
  auto xType = cast<RankedTensorType>(x->getType());
  RankedTensorType outType = tensorType(outputIndex());
  if (xType.getRank() != 4)
    return opError() << "expects a 4-d input", failure();
  int64_t kH = o->filter_height(), kW = o->filter_width();
  int64_t sH = o->stride_h(), sW = o->stride_w();
  if (kH < 1 || kW < 1 || sH < 1 || sW < 1)
    return opError() << "has a filter or stride below 1", failure();
  auto pads = padding(o->padding(), xType.getDimSize(1), xType.getDimSize(2),
                      kH, kW, sH, sW, 1, 1);
  Value result;
  bool quantized = isInt8(*x);
  if (average) {
    // TFLite averages the stored int8 values (input and output share their
    // quantisation), so both zero points are 0 here.
    Type element = xType.getElementType();
    Type acc =
        quantized ? Type(builder.getI32Type()) : Type(builder.getF32Type());
    result = tosa::AvgPool2dOp::create(
        builder, opLoc, outType, *x, zeroPoint(element, 0),
        zeroPoint(element, 0), builder.getDenseI64ArrayAttr({kH, kW}),
        builder.getDenseI64ArrayAttr({sH, sW}),
        builder.getDenseI64ArrayAttr(pads), TypeAttr::get(acc));
  } else {
    result = tosa::MaxPool2dOp::create(builder, opLoc, outType, *x,
                                       builder.getDenseI64ArrayAttr({kH, kW}),
                                       builder.getDenseI64ArrayAttr({sH, sW}),
                                       builder.getDenseI64ArrayAttr(pads));
  }
  return activation(result, o->fused_activation_function(), outputIndex());
}

/// Softmax along the last axis. Int8 is dequantised, computed in f32 and
/// requantised (docs/tflite.md: TFLite's int8 kernel uses a fixed-point exp
/// and may differ by one step).
FailureOr<Value> Importer::convertSoftmax() {
  FailureOr<Value> x = input(0);
  if (failed(x))
    return failure();
  const tfl::SoftmaxOptions *o = op->builtin_options_as_SoftmaxOptions();
  float beta = o ? o->beta() : 1.0f;
  auto xType = cast<RankedTensorType>(x->getType());
  int64_t rank = xType.getRank();
  if (rank < 1)
    return opError() << "expects a ranked input", failure();
  if (isInt8(*x))
    return softmaxInt8(*x, beta);
  SmallVector<int64_t> reduced(xType.getShape());
  reduced.back() = 1;
  SmallVector<int64_t> ones(rank, 1);
  auto f32 = builder.getF32Type();
  Value max = tosa::ReduceMaxOp::create(builder, opLoc, xType.clone(reduced),
                                        *x, static_cast<uint32_t>(rank - 1));
  Value shifted = tosa::SubOp::create(builder, opLoc, xType, *x, max);
  Value shift0 = scalarConstant(builder.getI8Type(), 0);
  Value scaled = tosa::MulOp::create(builder, opLoc, xType, shifted,
                                     scalarConstant(f32, beta, ones), shift0);
  Value e = tosa::ExpOp::create(builder, opLoc, xType, scaled);
  Value sum = tosa::ReduceSumOp::create(builder, opLoc, xType.clone(reduced), e,
                                        static_cast<uint32_t>(rank - 1));
  Value inv = tosa::ReciprocalOp::create(builder, opLoc, sum.getType(), sum);
  return tosa::MulOp::create(builder, opLoc, xType, e, inv, shift0).getResult();
}

/// TFLite's int8 SOFTMAX (reference_ops::Softmax), integer for integer. Per
/// row: the difference of each input to the row's maximum (256 possible
/// values) picks its fixed-point exponential from two tables
/// (TFLiteArithmetic.h), the row sums them in Q12.19, GetReciprocal
/// normalises the sum (count leading zeros, a shift, gemmlowp's Newton-Raphson
/// 1 / (1 + x)), and each exponential times the reciprocal is shifted right,
/// rounding, by the row's exponent. gemmlowp's rounding doubling high multiply
/// is `tosa.mul` with a shift of 31 (the same rounding for either sign); its
/// saturating left shifts are selects.
FailureOr<Value> Importer::softmaxInt8(Value x, float beta) {
  Quant qx = quant(inputIndex(0)), qo = quant(outputIndex());
  if (!qx.present() || !qo.present())
    return opError() << "is int8 without quantisation parameters", failure();
  if (qo.scale() != 1.0f / 256 || qo.zeroPoint() != -128)
    return opError() << "has output quantisation " << qo.scale() << ", "
                     << qo.zeroPoint() << "; TFLite requires 1/256 and -128",
           failure();
  std::optional<tflite::SoftmaxTables> tables =
      tflite::softmaxTables(qx.scale(), beta);
  if (!tables)
    return opError() << "has an input scale too small for TFLite's kernel",
           failure();

  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank();
  auto i32 = builder.getI32Type();
  RankedTensorType full = xType.clone(i32);
  SmallVector<int64_t> reducedShape(xType.getShape());
  reducedShape.back() = 1;
  RankedTensorType row = xType.clone(reducedShape, i32);
  SmallVector<int64_t> ones(rank, 1);
  auto c = [&](int64_t v) { return scalarConstant(i32, v, ones); };
  // The type of an elementwise result: the operands' broadcast shape.
  auto both = [&](Value a, Value b) {
    auto ta = cast<RankedTensorType>(a.getType());
    auto tb = cast<RankedTensorType>(b.getType());
    SmallVector<int64_t> shape;
    for (auto [da, db] : llvm::zip_equal(ta.getShape(), tb.getShape()))
      shape.push_back(std::max(da, db));
    return ta.clone(shape);
  };
  auto add = [&](Value a, Value b) -> Value {
    return tosa::AddOp::create(builder, opLoc, both(a, b), a, b);
  };
  auto sub = [&](Value a, Value b) -> Value {
    return tosa::SubOp::create(builder, opLoc, both(a, b), a, b);
  };
  Value shift31 = scalarConstant(builder.getI8Type(), 31);
  auto srdhm = [&](Value a, Value b, RankedTensorType type) -> Value {
    return tosa::MulOp::create(builder, opLoc, type, a, b, shift31);
  };
  auto shiftRight = [&](Value a, Value amount) -> Value {
    return tosa::ArithmeticRightShiftOp::create(builder, opLoc, both(a, amount),
                                                a, amount, /*round=*/false);
  };
  auto select = [&](Value cond, Value a, Value b) -> Value {
    RankedTensorType type = both(a, b);
    SmallVector<int64_t> shape(type.getShape());
    for (auto [d, size] :
         llvm::enumerate(cast<RankedTensorType>(cond.getType()).getShape()))
      shape[d] = std::max(shape[d], size);
    return tosa::SelectOp::create(builder, opLoc, type.clone(shape), cond, a,
                                  b);
  };
  auto greater = [&](Value a, Value b) -> Value {
    return tosa::GreaterOp::create(builder, opLoc,
                                   both(a, b).clone(builder.getI1Type()), a, b);
  };
  // gemmlowp's SaturatingRoundingMultiplyByPOT<k> for k > 0.
  auto saturatingShiftLeft = [&](Value v, int k) {
    int32_t limit = std::numeric_limits<int32_t>::max() >> k;
    Value shifted =
        tosa::LogicalLeftShiftOp::create(builder, opLoc, v.getType(), v, c(k));
    shifted = select(greater(v, c(limit)), c(INT32_MAX), shifted);
    return select(greater(c(-limit - 1), v), c(INT32_MIN), shifted);
  };
  auto lookup = [&](Value index, ArrayRef<int32_t> entries) -> Value {
    auto tableType = RankedTensorType::get({1, 256, 1}, i32);
    Value table =
        constant(tableType, DenseElementsAttr::get(tableType, entries));
    int64_t n = full.getNumElements();
    Value flat = reshape(index, {1, n});
    Value g = tosa::GatherOp::create(
        builder, opLoc, RankedTensorType::get({1, n, 1}, i32), table, flat);
    return reshape(g, full.getShape());
  };

  // The differences to the row maximum, as table indices.
  Value wide = tosa::CastOp::create(builder, opLoc, full, x);
  Value max = tosa::ReduceMaxOp::create(builder, opLoc, row, wide,
                                        static_cast<uint32_t>(rank - 1));
  Value index = add(sub(wide, max), c(255));
  Value exp = lookup(index, tables->exp);
  Value sum = tosa::ReduceSumOp::create(builder, opLoc, row,
                                        lookup(index, tables->accumulated),
                                        static_cast<uint32_t>(rank - 1));

  // GetReciprocal(sum, 12): the sum (at least 1.0, from the maximum) shifted
  // to [1, 2), less one, into one_over_one_plus_x_for_x_in_0_1. Clearing the
  // top bit subtracts 2^31 without overflow.
  Value headroom = tosa::ClzOp::create(builder, opLoc, row, sum);
  Value numBitsOverUnit = sub(c(12), headroom);
  Value normalised =
      tosa::LogicalLeftShiftOp::create(builder, opLoc, row, sum, headroom);
  Value a =
      tosa::BitwiseXorOp::create(builder, opLoc, row, normalised, c(INT32_MIN));
  // RoundingHalfSum(a, One) for a >= 0, then Newton-Raphson in Q2.29.
  Value halfDenominator = add(shiftRight(a, c(1)), c(1 << 30));
  Value r = add(c(1515870810), srdhm(halfDenominator, c(-1010580540), row));
  for (int i = 0; i < 3; ++i) {
    Value oneMinus = sub(c(1 << 29), srdhm(halfDenominator, r, row));
    r = add(r, saturatingShiftLeft(srdhm(r, oneMinus, row), 2));
  }
  Value shiftedScale = saturatingShiftLeft(r, 1);

  // RoundingDivideByPOT(scale * exp, numBitsOverUnit + 23): the product is
  // not negative, so it rounds half up: the shifted value plus the last bit
  // shifted out. Exponents from 32 on (rows summing to 512 or more) give 0.
  Value product = srdhm(shiftedScale, exp, full);
  Value exponent = add(numBitsOverUnit, c(31 - 8));
  Value clamped = tosa::MinimumOp::create(builder, opLoc, row, exponent, c(31),
                                          tosa::NanPropagationMode::PROPAGATE);
  Value rounded = add(
      shiftRight(product, clamped),
      tosa::BitwiseAndOp::create(
          builder, opLoc, full, shiftRight(product, sub(clamped, c(1))), c(1)));
  rounded = select(greater(exponent, c(31)), c(0), rounded);
  Value out = clamp(add(rounded, c(-128)), -128.0, 127.0);
  return tosa::CastOp::create(builder, opLoc, xType, out).getResult();
}

/// The inputs of a binary elementwise operator, reshaped to the output's
/// rank (leading ones), as TOSA's broadcasting wants. They must broadcast to
/// the output as TFLite's kernels do (trailing dimensions aligned, each 1 or
/// the output's, of a rank no larger), and have the output's element type: a
/// file may say otherwise, and the TOSA built from it would not verify.
FailureOr<std::pair<Value, Value>>
Importer::broadcastInputs(Value a, Value b, RankedTensorType out) {
  // A named array: the one an ArrayRef of a braced list would view dies
  // before the loop runs (ASan: stack-use-after-scope).
  Value inputs[] = {a, b};
  for (auto [i, v] : llvm::enumerate(inputs)) {
    auto t = cast<RankedTensorType>(v.getType());
    bool fits = t.getRank() <= out.getRank() &&
                t.getElementType() == out.getElementType();
    for (int64_t d = 0; fits && d < t.getRank(); ++d) {
      int64_t size = t.getDimSize(t.getRank() - 1 - d);
      fits = size == 1 || size == out.getDimSize(out.getRank() - 1 - d);
    }
    if (!fits)
      return opError() << "input " << i << " of type " << t
                       << " does not broadcast to the output " << out,
             failure();
  }
  auto rankUp = [&](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(out.getRank() - t.getRank(), 1);
    llvm::append_range(shape, t.getShape());
    return reshape(v, shape);
  };
  return std::make_pair(rankUp(a), rankUp(b));
}

/// TFLite's int8 ADD and SUB (reference_integer_ops::Add): both inputs
/// shifted left by 20 bits and scaled to twice the larger input scale, added,
/// and scaled to the output. Each step is a rescale that computes exactly
/// TFLite's integers.
FailureOr<Value> Importer::convertAddSub(bool subtract) {
  FailureOr<Value> a = input(0), b = input(1);
  if (failed(a) || failed(b))
    return failure();
  RankedTensorType outType = tensorType(outputIndex());
  tfl::ActivationFunctionType act = tfl::ActivationFunctionType_NONE;
  if (subtract) {
    if (auto *o = op->builtin_options_as_SubOptions())
      act = o->fused_activation_function();
  } else if (auto *o = op->builtin_options_as_AddOptions()) {
    act = o->fused_activation_function();
  }
  FailureOr<std::pair<Value, Value>> operands =
      broadcastInputs(*a, *b, outType);
  if (failed(operands))
    return failure();
  Value lhs = operands->first, rhs = operands->second;
  if (!isInt8(lhs)) {
    Value r =
        subtract
            ? tosa::SubOp::create(builder, opLoc, outType, lhs, rhs).getResult()
            : tosa::AddOp::create(builder, opLoc, outType, lhs, rhs)
                  .getResult();
    return activation(r, act, outputIndex());
  }
  Quant qa = quant(inputIndex(0)), qb = quant(inputIndex(1)),
        qo = quant(outputIndex());
  if (!qa.present() || !qb.present() || !qo.present())
    return opError() << "is int8 without quantisation parameters", failure();
  const int leftShift = 20;
  double twiceMax = 2 * static_cast<double>(std::max(qa.scale(), qb.scale()));
  auto i32 = builder.getI32Type();
  auto widen = [&](Value v, const Quant &q) {
    // (q - zp) << 20, exact: 2^30 * x >> 10 with the rounding bit below.
    Value shifted = rescaleExact(v, i32, 1 << 30, 30 - leftShift, q.zeroPoint(),
                                 0, /*doubleRound=*/false);
    return rescale(shifted, i32, {static_cast<double>(q.scale()) / twiceMax}, 0,
                   0);
  };
  Value wa = widen(lhs, qa), wb = widen(rhs, qb);
  auto accType = outType.clone(i32);
  Value sum =
      subtract
          ? tosa::SubOp::create(builder, opLoc, accType, wa, wb).getResult()
          : tosa::AddOp::create(builder, opLoc, accType, wa, wb).getResult();
  Value r =
      rescale(sum, outType.getElementType(),
              {twiceMax / ((1 << leftShift) * static_cast<double>(qo.scale()))},
              0, qo.zeroPoint());
  return activation(r, act, outputIndex());
}

/// TFLite's int8 MUL: (a - zpa) * (b - zpb) in int32, then
/// MultiplyByQuantizedMultiplier by sa * sb / so.
FailureOr<Value> Importer::convertMul() {
  FailureOr<Value> a = input(0), b = input(1);
  if (failed(a) || failed(b))
    return failure();
  RankedTensorType outType = tensorType(outputIndex());
  tfl::ActivationFunctionType act = tfl::ActivationFunctionType_NONE;
  if (auto *o = op->builtin_options_as_MulOptions())
    act = o->fused_activation_function();
  FailureOr<std::pair<Value, Value>> operands =
      broadcastInputs(*a, *b, outType);
  if (failed(operands))
    return failure();
  Value lhs = operands->first, rhs = operands->second;
  Value shift0 = scalarConstant(builder.getI8Type(), 0);
  if (!isInt8(lhs))
    return activation(
        tosa::MulOp::create(builder, opLoc, outType, lhs, rhs, shift0), act,
        outputIndex());
  Quant qa = quant(inputIndex(0)), qb = quant(inputIndex(1)),
        qo = quant(outputIndex());
  if (!qa.present() || !qb.present() || !qo.present())
    return opError() << "is int8 without quantisation parameters", failure();
  auto i32 = builder.getI32Type();
  Value wa = rescaleExact(lhs, i32, 1 << 30, 30, qa.zeroPoint(), 0, false);
  Value wb = rescaleExact(rhs, i32, 1 << 30, 30, qb.zeroPoint(), 0, false);
  Value product =
      tosa::MulOp::create(builder, opLoc, outType.clone(i32), wa, wb, shift0);
  Value r = rescale(
      product, outType.getElementType(),
      {static_cast<double>(qa.scale()) * static_cast<double>(qb.scale()) /
       static_cast<double>(qo.scale())},
      0, qo.zeroPoint());
  return activation(r, act, outputIndex());
}

FailureOr<Value> Importer::convertPad() {
  FailureOr<Value> x = input(0);
  FailureOr<SmallVector<int64_t>> pads = intConstant(1);
  if (failed(x) || failed(pads))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  if (int64_t(pads->size()) != 2 * xType.getRank())
    return opError() << "has " << pads->size() << " paddings for a rank "
                     << xType.getRank() << " input",
           failure();
  Value padConst = zeroPoint(xType.getElementType(),
                             isInt8(*x) ? quant(inputIndex(0)).zeroPoint() : 0);
  return tosa::PadOp::create(builder, opLoc, tensorType(outputIndex()), *x,
                             shapeConstant(*pads), padConst)
      .getResult();
}

/// MEAN over constant axes. Float: a sum and a multiplication by 1/n. Int8:
/// the integer path TFLite Micro's EvalMeanHelper takes for the operator
/// (reduce_common.cc), whose rounding differs:
/// - kept dimensions, rank 4, axes {1, 2} (global average pooling):
///   reference_integer_ops::Mean, the sum of q - zp requantised by
///   s_in / s_out, then divided by n rounding half away from zero;
/// - the output quantised as the input: reference_ops::Mean, the sum of the
///   stored values divided by n, truncating;
/// - otherwise reference_ops::QuantizedMeanOrSum: the multiplier of
///   s_in / s_out shifted left by floor(log2 n) (at most 32 and
///   31 + exponent) and divided by n in integers, one rescale of the sum of
///   q - zp (a rescale by s_in / (n s_out) would differ by a step for counts
///   that are not powers of two).
FailureOr<Value> Importer::convertMean() {
  FailureOr<Value> x = input(0);
  FailureOr<SmallVector<int64_t>> axes = intConstant(1);
  if (failed(x) || failed(axes))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  RankedTensorType outType = tensorType(outputIndex());
  int64_t rank = xType.getRank();
  SmallVector<bool> reduce(rank, false);
  for (int64_t a : *axes) {
    if (a < -rank || a >= rank)
      return opError() << "has axis " << a << " for a rank " << rank
                       << " input",
             failure();
    reduce[a < 0 ? a + rank : a] = true;
  }
  bool quantized = isInt8(*x);
  Quant qx = quant(inputIndex(0)), qo = quant(outputIndex());
  if (quantized && (!qx.present() || !qo.present()))
    return opError() << "is int8 without quantisation parameters", failure();
  enum class Path { Float, GlobalPool, Stored, Requantised } path = Path::Float;
  if (quantized) {
    const tfl::ReducerOptions *o = op->builtin_options_as_ReducerOptions();
    // TFLite Micro compares the axes as written, not normalised.
    bool axes12 = axes->size() == 2 && (((*axes)[0] == 1 && (*axes)[1] == 2) ||
                                        ((*axes)[0] == 2 && (*axes)[1] == 1));
    if (o && o->keep_dims() && rank == 4 && axes12)
      path = Path::GlobalPool;
    else if (qx.zeroPoint() == qo.zeroPoint() && qx.scale() == qo.scale())
      path = Path::Stored;
    else
      path = Path::Requantised;
  }

  Type acc =
      quantized ? Type(builder.getI32Type()) : Type(builder.getF32Type());
  Value v = *x;
  if (path == Path::Stored)
    v = tosa::CastOp::create(builder, opLoc, xType.clone(acc), v);
  else if (quantized)
    v = rescaleExact(v, acc, 1 << 30, 30, qx.zeroPoint(), 0, false);
  SmallVector<int64_t> shape(xType.getShape());
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduce[d])
      continue;
    count *= shape[d];
    shape[d] = 1;
    v = tosa::ReduceSumOp::create(builder, opLoc,
                                  RankedTensorType::get(shape, acc), v,
                                  static_cast<uint32_t>(d));
  }
  auto sumType = RankedTensorType::get(shape, acc);
  auto outElement = xType.getElementType();
  SmallVector<int64_t> ones(rank, 1);
  auto divideBy = [&](Value value, int64_t divisor) -> Value {
    return tosa::IntDivOp::create(builder, opLoc, sumType, value,
                                  scalarConstant(acc, divisor, ones));
  };
  switch (path) {
  case Path::Float:
    v = tosa::MulOp::create(builder, opLoc, sumType, v,
                            scalarConstant(acc, 1.0 / count, ones),
                            scalarConstant(builder.getI8Type(), 0));
    break;
  case Path::GlobalPool: {
    v = rescale(
        v, acc,
        {static_cast<double>(qx.scale()) / static_cast<double>(qo.scale())}, 0,
        0);
    Value half = scalarConstant(acc, count / 2, ones);
    Value up =
        divideBy(tosa::AddOp::create(builder, opLoc, sumType, v, half), count);
    Value down =
        divideBy(tosa::SubOp::create(builder, opLoc, sumType, v, half), count);
    Value positive = tosa::GreaterOp::create(builder, opLoc,
                                             sumType.clone(builder.getI1Type()),
                                             v, scalarConstant(acc, 0, ones));
    v = tosa::SelectOp::create(builder, opLoc, sumType, positive, up, down);
    v = tosa::AddOp::create(builder, opLoc, sumType, v,
                            scalarConstant(acc, qo.zeroPoint(), ones));
    v = tosa::CastOp::create(builder, opLoc, sumType.clone(outElement),
                             clamp(v, -128, 127));
    break;
  }
  case Path::Stored:
    v = tosa::CastOp::create(builder, opLoc, sumType.clone(outElement),
                             divideBy(v, count));
    break;
  case Path::Requantised: {
    int32_t m;
    int e;
    quantizeMultiplier(static_cast<double>(qx.scale()) /
                           static_cast<double>(qo.scale()),
                       m, e);
    int s = std::min<int>({static_cast<int>(llvm::Log2_64(count)), 32, 31 + e});
    s = std::max(s, 0);
    int32_t folded =
        static_cast<int32_t>((static_cast<int64_t>(m) << s) / count);
    int shift = folded == 0 ? 31 : std::clamp(31 - (e - s), 2, 62);
    v = rescaleExact(v, outElement, folded, shift, 0, qo.zeroPoint(),
                     /*doubleRound=*/true);
    break;
  }
  }
  return reshape(v, outType.getShape());
}

FailureOr<Value> Importer::convertConcatenation() {
  const tfl::ConcatenationOptions *o =
      op->builtin_options_as_ConcatenationOptions();
  RankedTensorType outType = tensorType(outputIndex());
  int64_t axis = o ? o->axis() : 0;
  if (axis < 0)
    axis += outType.getRank();
  if (axis < 0 || axis >= outType.getRank())
    return opError() << "has axis " << (o ? o->axis() : 0) << " out of range",
           failure();
  SmallVector<Value> inputs;
  Quant qo = quant(outputIndex());
  for (unsigned i = 0, e = op->inputs()->size(); i < e; ++i) {
    FailureOr<Value> v = input(i);
    if (failed(v))
      return failure();
    Value value = *v;
    if (isInt8(value)) {
      Quant qi = quant(inputIndex(i));
      if (qi.scale() != qo.scale() || qi.zeroPoint() != qo.zeroPoint())
        value = rescale(
            value, outType.getElementType(),
            {static_cast<double>(qi.scale()) / static_cast<double>(qo.scale())},
            qi.zeroPoint(), qo.zeroPoint());
    }
    inputs.push_back(value);
  }
  Value r = tosa::ConcatOp::create(builder, opLoc, outType, inputs,
                                   builder.getI32IntegerAttr(axis));
  return activation(
      r, o ? o->fused_activation_function() : tfl::ActivationFunctionType_NONE,
      outputIndex());
}

/// STRIDED_SLICE with constant bounds and any non-zero strides (no ellipsis
/// or new axes), with the start and stop indices of TFLite's
/// strided_slice_logic.h. Per axis in TOSA: a `tosa.slice` of the span the
/// elements cover, `tosa.reverse` for a negative stride, and for a stride s
/// above one a pad to a multiple of s, a reshape that splits the axis into
/// (count, s) and a slice of the first column; a reshape for shrunk axes.
FailureOr<Value> Importer::convertStridedSlice() {
  FailureOr<Value> x = input(0);
  FailureOr<SmallVector<int64_t>> begin = intConstant(1), end = intConstant(2),
                                  strides = intConstant(3);
  if (failed(x) || failed(begin) || failed(end) || failed(strides))
    return failure();
  const tfl::StridedSliceOptions *o =
      op->builtin_options_as_StridedSliceOptions();
  auto xType = cast<RankedTensorType>(x->getType());
  int64_t rank = xType.getRank();
  if (o && (o->ellipsis_mask() || o->new_axis_mask()))
    return opError() << "uses an ellipsis or new-axis mask, which Sieve does "
                        "not support",
           failure();
  if (int64_t(begin->size()) != rank || int64_t(end->size()) != rank ||
      int64_t(strides->size()) != rank)
    return opError() << "has bounds of the wrong length", failure();
  auto bit = [&](uint32_t mask, int64_t d) { return o && (mask >> d) & 1; };
  Value r = *x;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = xType.getDimSize(d), s = (*strides)[d];
    if (s == 0)
      return opError() << "has stride 0 on axis " << d, failure();
    // Positive strides clamp to [0, dim], negative ones to [-1, dim - 1].
    auto clampIndex = [&](int64_t i) {
      if (i < 0)
        i += dim;
      return s > 0 ? std::clamp<int64_t>(i, 0, dim)
                   : std::clamp<int64_t>(i, -1, dim - 1);
    };
    bool shrink = o && bit(o->shrink_axis_mask(), d);
    int64_t b = (!shrink && o && bit(o->begin_mask(), d))
                    ? (s > 0 ? 0 : dim - 1)
                    : clampIndex((*begin)[d]);
    int64_t e;
    if (shrink)
      e = b + 1;
    else if (o && bit(o->end_mask(), d))
      e = s > 0 ? dim : -1;
    else
      e = clampIndex((*end)[d] + (o && o->offset() ? (*begin)[d] : 0));
    int64_t count = s > 0 ? (e - b + s - 1) / s : (b - e - s - 1) / -s;
    if (count <= 0)
      return opError() << "gives an empty slice on axis " << d, failure();
    int64_t step = std::abs(s);
    int64_t span = (count - 1) * step + 1;
    int64_t low = s > 0 ? b : b - span + 1;
    auto type = cast<RankedTensorType>(r.getType());
    SmallVector<int64_t> start(rank, 0), size(type.getShape());
    start[d] = low;
    size[d] = span;
    if (span != dim)
      r = tosa::SliceOp::create(builder, opLoc, type.clone(size), r,
                                shapeConstant(start), shapeConstant(size));
    if (s < 0)
      r = tosa::ReverseOp::create(builder, opLoc, r.getType(), r,
                                  builder.getI32IntegerAttr(d));
    if (step == 1)
      continue;
    // Pad the span to count * step (what is padded is never read), split
    // the axis and keep the first element of each group of `step`.
    SmallVector<int64_t> pads(2 * rank, 0), padded(size);
    pads[2 * d + 1] = count * step - span;
    padded[d] = count * step;
    Value padConst = zeroPoint(type.getElementType(), 0);
    r = tosa::PadOp::create(builder, opLoc, type.clone(padded), r,
                            shapeConstant(pads), padConst);
    SmallVector<int64_t> split(padded);
    split[d] = count;
    split.insert(split.begin() + d + 1, step);
    r = reshape(r, split);
    SmallVector<int64_t> firstStart(rank + 1, 0), firstSize(split);
    firstSize[d + 1] = 1;
    r = tosa::SliceOp::create(builder, opLoc, type.clone(firstSize), r,
                              shapeConstant(firstStart),
                              shapeConstant(firstSize));
    size[d] = count;
    r = reshape(r, size);
  }
  return reshape(r, tensorType(outputIndex()).getShape());
}

FailureOr<Value> Importer::convertUnary(tfl::BuiltinOperator code) {
  FailureOr<Value> x = input(0);
  if (failed(x))
    return failure();
  RankedTensorType outType = tensorType(outputIndex());
  if (isInt8(*x)) {
    Quant qx = quant(inputIndex(0)), qo = quant(outputIndex());
    if (!qx.present() || !qo.present())
      return opError() << "is int8 without quantisation parameters", failure();
    // TFLite's kernels are functions of the int8 input: tables of what
    // they compute, bit for bit. LOGISTIC and TANH write a fixed output
    // quantisation (1/256 and -128, 1/128 and 0), which the converter puts
    // on the tensor; TFLite Micro checks only LOGISTIC's zero point.
    switch (code) {
    case tfl::BuiltinOperator_LOGISTIC:
      if (qo.zeroPoint() != -128)
        return opError() << "has output zero point " << qo.zeroPoint()
                         << "; TFLite requires -128",
               failure();
      return table(*x, tflite::logisticTable(qx.scale(), qx.zeroPoint()));
    case tfl::BuiltinOperator_TANH:
      return table(*x, tflite::tanhTable(qx.scale(), qx.zeroPoint()));
    case tfl::BuiltinOperator_HARD_SWISH: {
      std::optional<tflite::Int8Table> entries = tflite::hardSwishTable(
          qx.scale(), qx.zeroPoint(), qo.scale(), qo.zeroPoint());
      if (!entries)
        return opError() << "has an output scale below the input's / 128, "
                            "which TFLite refuses",
               failure();
      return table(*x, *entries);
    }
    default: {
      // RELU, RELU6, RELU_N1_TO_1 (reference ReluX): requantise, then clamp.
      Value r = rescale(
          *x, outType.getElementType(),
          {static_cast<double>(qx.scale()) / static_cast<double>(qo.scale())},
          qx.zeroPoint(), qo.zeroPoint());
      auto act = code == tfl::BuiltinOperator_RELU
                     ? tfl::ActivationFunctionType_RELU
                 : code == tfl::BuiltinOperator_RELU6
                     ? tfl::ActivationFunctionType_RELU6
                     : tfl::ActivationFunctionType_RELU_N1_TO_1;
      return activation(r, act, outputIndex());
    }
    }
  }
  auto type = x->getType();
  switch (code) {
  case tfl::BuiltinOperator_LOGISTIC:
    return tosa::SigmoidOp::create(builder, opLoc, type, *x).getResult();
  case tfl::BuiltinOperator_TANH:
    return tosa::TanhOp::create(builder, opLoc, type, *x).getResult();
  case tfl::BuiltinOperator_HARD_SWISH: {
    auto ftype = cast<RankedTensorType>(type);
    SmallVector<int64_t> ones(ftype.getRank(), 1);
    auto f32 = ftype.getElementType();
    Value t = tosa::AddOp::create(builder, opLoc, type, *x,
                                  scalarConstant(f32, 3.0, ones));
    t = clamp(t, 0.0, 6.0);
    t = tosa::MulOp::create(builder, opLoc, type, t,
                            scalarConstant(f32, 1.0 / 6.0, ones),
                            scalarConstant(builder.getI8Type(), 0));
    return tosa::MulOp::create(builder, opLoc, type, *x, t,
                               scalarConstant(builder.getI8Type(), 0))
        .getResult();
  }
  case tfl::BuiltinOperator_RELU:
    return activation(*x, tfl::ActivationFunctionType_RELU, outputIndex());
  case tfl::BuiltinOperator_RELU6:
    return activation(*x, tfl::ActivationFunctionType_RELU6, outputIndex());
  default:
    return activation(*x, tfl::ActivationFunctionType_RELU_N1_TO_1,
                      outputIndex());
  }
}

/// QUANTIZE: float to int8 (round(x / scale) + zero point), or int8 to int8
/// with other parameters (a rescale, as TFLite's Requantize).
FailureOr<Value> Importer::convertQuantize() {
  FailureOr<Value> x = input(0);
  if (failed(x))
    return failure();
  RankedTensorType outType = tensorType(outputIndex());
  Quant qo = quant(outputIndex());
  if (!outType.getElementType().isInteger(8) || !qo.present())
    return opError() << "must produce a quantised int8 tensor", failure();
  if (isInt8(*x)) {
    Quant qx = quant(inputIndex(0));
    return rescale(
        *x, outType.getElementType(),
        {static_cast<double>(qx.scale()) / static_cast<double>(qo.scale())},
        qx.zeroPoint(), qo.zeroPoint());
  }
  return fromF32(*x, outType, qo, /*halfAwayFromZero=*/true);
}

FailureOr<Value> Importer::convertDequantize() {
  FailureOr<Value> x = input(0);
  if (failed(x))
    return failure();
  if (!isInt8(*x) || !quant(inputIndex(0)).present())
    return opError() << "must read a quantised int8 tensor", failure();
  return toF32(*x, quant(inputIndex(0)));
}

LogicalResult Importer::convertOperator() {
  if (!op->outputs() || op->outputs()->size() != 1)
    return opError() << "has " << (op->outputs() ? op->outputs()->size() : 0)
                     << " outputs; Sieve imports operators with one",
           failure();
  FailureOr<Value> result;
  switch (opCode) {
  case tfl::BuiltinOperator_CONV_2D:
    result = convertConv(/*depthwise=*/false);
    break;
  case tfl::BuiltinOperator_DEPTHWISE_CONV_2D:
    result = convertConv(/*depthwise=*/true);
    break;
  case tfl::BuiltinOperator_FULLY_CONNECTED:
    result = convertFullyConnected();
    break;
  case tfl::BuiltinOperator_AVERAGE_POOL_2D:
    result = convertPool(/*average=*/true);
    break;
  case tfl::BuiltinOperator_MAX_POOL_2D:
    result = convertPool(/*average=*/false);
    break;
  case tfl::BuiltinOperator_RESHAPE:
  case tfl::BuiltinOperator_SQUEEZE: {
    FailureOr<Value> x = input(0);
    if (failed(x))
      return failure();
    RankedTensorType outType = tensorType(outputIndex());
    if (cast<RankedTensorType>(x->getType()).getNumElements() !=
        outType.getNumElements())
      return opError() << "reshapes " << x->getType() << " to " << outType
                       << ", a different number of elements",
             failure();
    result = reshape(*x, outType.getShape());
    break;
  }
  case tfl::BuiltinOperator_SOFTMAX:
    result = convertSoftmax();
    break;
  case tfl::BuiltinOperator_ADD:
    result = convertAddSub(/*subtract=*/false);
    break;
  case tfl::BuiltinOperator_SUB:
    result = convertAddSub(/*subtract=*/true);
    break;
  case tfl::BuiltinOperator_MUL:
    result = convertMul();
    break;
  case tfl::BuiltinOperator_PAD:
    result = convertPad();
    break;
  case tfl::BuiltinOperator_MEAN:
    result = convertMean();
    break;
  case tfl::BuiltinOperator_CONCATENATION:
    result = convertConcatenation();
    break;
  case tfl::BuiltinOperator_STRIDED_SLICE:
    result = convertStridedSlice();
    break;
  case tfl::BuiltinOperator_LOGISTIC:
  case tfl::BuiltinOperator_TANH:
  case tfl::BuiltinOperator_HARD_SWISH:
  case tfl::BuiltinOperator_RELU:
  case tfl::BuiltinOperator_RELU6:
  case tfl::BuiltinOperator_RELU_N1_TO_1:
    result = convertUnary(opCode);
    break;
  case tfl::BuiltinOperator_QUANTIZE:
    result = convertQuantize();
    break;
  case tfl::BuiltinOperator_DEQUANTIZE:
    result = convertDequantize();
    break;
  default:
    return opError() << "operator " << opName
                     << " is not supported by Sieve's TFLite importer "
                        "(docs/tflite.md lists the supported operators)",
           failure();
  }
  if (failed(result))
    return failure();
  RankedTensorType expected = tensorType(outputIndex());
  if (result->getType() != expected)
    return opError() << "gives " << result->getType()
                     << " where the model declares " << expected,
           failure();
  values[outputIndex()] = *result;
  return success();
}

/// Argument and result attributes: the tensor's name and quantisation,
/// which RecordInterface copies into the header and report.
DictionaryAttr interfaceAttrs(OpBuilder &b, StringRef name, const Quant &q) {
  SmallVector<NamedAttribute> attrs;
  attrs.push_back(b.getNamedAttr("sieve.name", b.getStringAttr(name)));
  if (q.present()) {
    attrs.push_back(
        b.getNamedAttr("sieve.scale", b.getF64FloatAttr(q.scale())));
    attrs.push_back(
        b.getNamedAttr("sieve.zero_point", b.getI64IntegerAttr(q.zeroPoint())));
  }
  return b.getDictionaryAttr(attrs);
}

OwningOpRef<ModuleOp> Importer::run() {
  if (failed(checkBuffer()) || failed(checkTensors()))
    return nullptr;
  unsigned numTensors = graph->tensors()->size();
  unsigned numOpcodes =
      model->operator_codes() ? model->operator_codes()->size() : 0;
  auto checkIndices = [&](const flatbuffers::Vector<int32_t> *indices,
                          StringRef what, bool optional) -> LogicalResult {
    if (!indices)
      return success();
    for (int32_t i : *indices)
      if ((i < 0 && !(optional && i == -1)) || i >= int32_t(numTensors))
        return fileError() << what << " refers to tensor " << i
                           << ", out of range (the subgraph has " << numTensors
                           << " tensors)",
               failure();
    return success();
  };
  if (failed(
          checkIndices(graph->inputs(), "the subgraph's input list", false)) ||
      failed(
          checkIndices(graph->outputs(), "the subgraph's output list", false)))
    return nullptr;

  Location moduleLoc = fileLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(moduleLoc);
  builder.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> argTypes, resultTypes;
  for (int32_t i : *graph->inputs())
    argTypes.push_back(tensorType(i));
  for (int32_t i : *graph->outputs())
    resultTypes.push_back(tensorType(i));
  auto func =
      func::FuncOp::create(builder, moduleLoc, "main",
                           builder.getFunctionType(argTypes, resultTypes));
  Block *body = func.addEntryBlock();
  values.assign(numTensors, Value());
  for (auto [k, i] : llvm::enumerate(*graph->inputs())) {
    values[i] = body->getArgument(k);
    func.setArgAttrs(k, interfaceAttrs(builder, tensorName(i), quant(i)));
  }
  for (auto [k, i] : llvm::enumerate(*graph->outputs()))
    func.setResultAttrs(k, interfaceAttrs(builder, tensorName(i), quant(i)));

  builder.setInsertionPointToEnd(body);
  for (auto [k, o] : llvm::enumerate(*graph->operators())) {
    op = o;
    opIndex = k;
    opName = "operator";
    opLoc = NameLoc::get(
        builder.getStringAttr(llvm::formatv("{0} op {1}", fileName, k).str()));
    if (op->opcode_index() >= numOpcodes)
      return opError() << "has opcode index " << op->opcode_index()
                       << ", out of range (the model has " << numOpcodes
                       << " operator codes)",
             nullptr;
    const tfl::OperatorCode *code =
        model->operator_codes()->Get(op->opcode_index());
    // Files before schema 3a hold the code in the deprecated byte field
    // only; later ones in both, or in the new field alone for codes above
    // 127 (TFLite's GetBuiltinCode).
    int32_t builtin = std::max<int32_t>(code->builtin_code(),
                                        code->deprecated_builtin_code());
    opCode = static_cast<tfl::BuiltinOperator>(builtin);
    opName = builtin == 32 && code->custom_code()
                 ? "CUSTOM '" + code->custom_code()->str() + "'"
             : tfl::EnumNameBuiltinOperator(
                   static_cast<tfl::BuiltinOperator>(builtin))[0]
                 ? tfl::EnumNameBuiltinOperator(
                       static_cast<tfl::BuiltinOperator>(builtin))
                 : ("BuiltinOperator " + Twine(builtin)).str();
    if (failed(checkIndices(op->inputs(),
                            "operator " + Twine(k).str() + " (" + opName +
                                ")'s inputs",
                            true)) ||
        failed(checkIndices(op->outputs(),
                            "operator " + Twine(k).str() + " (" + opName +
                                ")'s outputs",
                            false)))
      return nullptr;
    std::string output = op->outputs() && op->outputs()->size()
                             ? tensorName(outputIndex())
                             : std::string("?");
    opLoc = NameLoc::get(builder.getStringAttr(
        llvm::formatv("{0} op {1} {2} -> {3}", fileName, k, opName, output)
            .str()));
    if (failed(convertOperator()))
      return nullptr;
  }

  SmallVector<Value> results;
  for (int32_t i : *graph->outputs()) {
    if (!values[i]) {
      op = nullptr;
      emitError(fileLoc()) << "output tensor " << i << " '" << tensorName(i)
                           << "' is written by no operator";
      return nullptr;
    }
    results.push_back(values[i]);
  }
  func::ReturnOp::create(builder, moduleLoc, results);
  // Weights replaced by a reshaped copy leave their original unused.
  for (Operation &o : llvm::make_early_inc_range(llvm::reverse(*body)))
    if (isa<tosa::ConstOp, tosa::ConstShapeOp>(o) && o.use_empty())
      o.erase();
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> sieve::importTFLite(MemoryBufferRef buffer,
                                          MLIRContext *context) {
  context->loadDialect<func::FuncDialect, tosa::TosaDialect>();
  return Importer(buffer, context).run();
}

/// The name of the first name location in `loc`: where in the TFLite model.
static std::optional<std::string> modelPosition(Location loc) {
  std::optional<std::string> found;
  loc->walk([&](Location inner) {
    if (auto name = dyn_cast<NameLoc>(inner)) {
      found = name.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

static StringRef severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  llvm_unreachable("unknown severity");
}

sieve::TFLiteDiagnosticHandler::TFLiteDiagnosticHandler(MLIRContext *context,
                                                        llvm::raw_ostream &os)
    : ScopedDiagnosticHandler(context) {
  setHandler([&os](Diagnostic &diag) -> LogicalResult {
    std::optional<std::string> where = modelPosition(diag.getLocation());
    if (!where)
      return failure();
    os << *where << ": " << severityName(diag.getSeverity()) << ": " << diag
       << "\n";
    for (Diagnostic &note : diag.getNotes()) {
      std::optional<std::string> at = modelPosition(note.getLocation());
      os << at.value_or(*where) << ": note: " << note << "\n";
    }
    os.flush();
    return success();
  });
}
