//===- TernOps.cpp - Ops and attributes of the tern dialect ---------------===//
//
// Part of Sieve. The bit layouts are documented on `#tern.packed` (TernOps.td)
// and in docs/ternary.md.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Tern/IR/TernOps.h"
#include "sieve/Dialect/Tern/Transforms/TernaryKernels.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace sieve::tern;

//===----------------------------------------------------------------------===//
// #tern.packed
//===----------------------------------------------------------------------===//

static constexpr int64_t kI2Block = 128; // weights per 32-byte i2 block
static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};

int64_t PackedAttr::getRowBytes(Layout layout, int64_t k) {
  if (layout == Layout::I2)
    return (k + kI2Block - 1) / kI2Block * 32;
  return (k + 4) / 5;
}

/// Where weight `col` of a row lives: the byte within the row and, for i2,
/// the shift of its 2-bit code; for t5, the base-3 digit.
static std::pair<int64_t, unsigned> locate(Layout layout, int64_t col) {
  if (layout == Layout::I2) {
    int64_t block = col / kI2Block, r = col % kI2Block;
    return {block * 32 + r % 32, unsigned(2 * (r / 32))};
  }
  return {col / 5, unsigned(col % 5)};
}

/// The code (weight + 1, or 3 for an invalid code) at `col` of a row.
static unsigned codeOf(Layout layout, uint8_t byte, unsigned where) {
  if (layout == Layout::I2)
    return (byte >> where) & 3;
  if (byte >= 243)
    return 3;
  return byte / kPow3[where] % 3;
}

PackedAttr PackedAttr::get(MLIRContext *context, Layout layout, int64_t n,
                           int64_t k, ArrayRef<int8_t> weights) {
  int64_t rowBytes = getRowBytes(layout, k);
  // Padding weights are 0 (code 1).
  std::vector<uint8_t> bytes(n * rowBytes, 0);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < rowBytes * (layout == Layout::I2 ? 4 : 5);
         ++col) {
      unsigned code = col < k ? unsigned(weights[row * k + col] + 1) : 1;
      auto [byte, where] = locate(layout, col);
      uint8_t &b = bytes[row * rowBytes + byte];
      b += layout == Layout::I2 ? uint8_t(code << where)
                                : uint8_t(code * kPow3[where]);
    }
  auto type =
      RankedTensorType::get({n, rowBytes}, IntegerType::get(context, 8));
  ArrayRef<char> raw(reinterpret_cast<const char *>(bytes.data()),
                     bytes.size());
  auto data = cast<DenseIntElementsAttr>(
      DenseElementsAttr::getFromRawBuffer(type, raw));
  return get(context, layout, n, k, data);
}

/// Byte `index` of the packed data (a splat has one).
static uint8_t byteAt(DenseIntElementsAttr data, int64_t index) {
  ArrayRef<char> raw = data.getRawData();
  return uint8_t(raw[data.isSplat() ? 0 : index]);
}

int8_t PackedAttr::getWeight(int64_t row, int64_t col) const {
  auto [byte, where] = locate(getLayout(), col);
  int64_t rowBytes = getRowBytes(getLayout(), getK());
  unsigned code =
      codeOf(getLayout(), byteAt(getData(), row * rowBytes + byte), where);
  return code == 3 ? 2 : int8_t(code) - 1;
}

SmallVector<int8_t> PackedAttr::unpack() const {
  SmallVector<int8_t> weights;
  weights.reserve(getN() * getK());
  for (int64_t row = 0; row < getN(); ++row)
    for (int64_t col = 0; col < getK(); ++col)
      weights.push_back(getWeight(row, col));
  return weights;
}

std::optional<std::string> PackedAttr::findInvalidCode() const {
  Layout layout = getLayout();
  int64_t rowBytes = getRowBytes(layout, getK());
  int64_t slots = rowBytes * (layout == Layout::I2 ? 4 : 5);
  for (int64_t row = 0; row < getN(); ++row)
    for (int64_t col = 0; col < slots; ++col) {
      auto [byte, where] = locate(layout, col);
      uint8_t b = byteAt(getData(), row * rowBytes + byte);
      unsigned code = codeOf(layout, b, where);
      if (col < getK() && code == 3)
        return ("packed weight at [" + Twine(row) + ", " + Twine(col) +
                "] has code " +
                Twine(layout == Layout::I2 ? (b >> where) & 3 : b) +
                (layout == Layout::I2
                     ? ", which is not a ternary code (0, 1 or 2)"
                     : ", a byte over 242 (five base-3 digits)"))
            .str();
      if (col >= getK() && code != 1)
        return ("padding weight at [" + Twine(row) + ", " + Twine(col) +
                "] is not 0 (code 1)")
            .str();
    }
  return std::nullopt;
}

LogicalResult PackedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 Layout layout, int64_t n, int64_t k,
                                 DenseIntElementsAttr data) {
  if (n <= 0 || k <= 0)
    return emitError() << "packed weights must have N > 0 and K > 0, got [" << n
                       << ", " << k << "]";
  auto type = cast<ShapedType>(data.getType());
  int64_t rowBytes = getRowBytes(layout, k);
  if (!type.getElementType().isInteger(8) || type.getRank() != 2 ||
      type.getDimSize(0) != n || type.getDimSize(1) != rowBytes)
    return emitError() << "packed data of [" << n << ", " << k << "] in "
                       << stringifyLayout(layout) << " must be tensor<" << n
                       << "x" << rowBytes << "xi8>, got " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// tern.matmul
//===----------------------------------------------------------------------===//

std::pair<int64_t, int64_t> MatmulOp::getWeightShape() {
  if (auto packed = dyn_cast<PackedAttr>(getWeights()))
    return {packed.getN(), packed.getK()};
  auto type =
      dyn_cast<RankedTensorType>(cast<TypedAttr>(getWeights()).getType());
  return {type.getDimSize(0), type.getDimSize(1)};
}

SmallVector<int8_t> MatmulOp::getTernaryWeights() {
  if (auto packed = dyn_cast<PackedAttr>(getWeights()))
    return packed.unpack();
  auto elements = cast<DenseIntElementsAttr>(getWeights());
  SmallVector<int8_t> weights;
  weights.reserve(elements.getNumElements());
  for (const APInt &w : elements.getValues<APInt>())
    weights.push_back(int8_t(w.getSExtValue()));
  return weights;
}

/// The kernels `sieve-lower-ternary` knows (docs/ternary.md): the table
/// of TernaryKernels.h.
static bool isKnownKernel(StringRef name) {
  return llvm::any_of(sieve::kTernaryKernels,
                      [&](const sieve::TernaryKernelEntry &entry) {
                        return name == entry.name;
                      });
}

static std::string knownKernels() {
  std::string names;
  for (const sieve::TernaryKernelEntry &entry : sieve::kTernaryKernels)
    names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

/// Checks the unpacked form: every weight -1, 0 or +1.
static LogicalResult verifyUnpacked(MatmulOp op, ElementsAttr weights,
                                    int64_t k) {
  // A splat is one value, however many weights it stands for.
  if (weights.isSplat()) {
    int64_t value = weights.getSplatValue<APInt>().getSExtValue();
    if (value < -1 || value > 1)
      return op.emitOpError("weights are all ")
             << value << ", which is not ternary (-1, 0 or +1)";
    return success();
  }
  auto values = weights.tryGetValues<APInt>();
  if (!values)
    return op.emitOpError("weights must be integer elements");
  int64_t index = 0;
  for (const APInt &w : *values) {
    int64_t value = w.getSExtValue();
    if (value < -1 || value > 1)
      return op.emitOpError("weight ")
             << value << " at [" << index / k << ", " << index % k
             << "] is not ternary (-1, 0 or +1)";
    ++index;
  }
  return success();
}

LogicalResult MatmulOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  auto packed = dyn_cast<PackedAttr>(getWeights());
  auto elements = dyn_cast<ElementsAttr>(getWeights());
  if (!packed) {
    auto weightType =
        elements ? dyn_cast<RankedTensorType>(elements.getType()) : nullptr;
    if (!weightType || weightType.getRank() != 2 ||
        !weightType.getElementType().isInteger(8))
      return emitOpError("weights must be #tern.packed or a rank-2 tensor of "
                         "i8 [N, K], got ")
             << getWeights();
  }
  if (in.getRank() != 2 || out.getRank() != 2)
    return emitOpError("input [M, K] and result [M, N] must have rank 2, got ")
           << in << " and " << out;
  auto [n, k] = getWeightShape();
  if (n <= 0 || k <= 0)
    return emitOpError("weights must have N > 0 and K > 0, got [")
           << n << ", " << k << "]";
  auto conflicts = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && a != b;
  };
  if (conflicts(in.getDimSize(1), k))
    return emitOpError("input depth ")
           << in.getDimSize(1) << " differs from the weights' K = " << k;
  if (conflicts(out.getDimSize(1), n) ||
      (!ShapedType::isDynamic(in.getDimSize(0)) &&
       conflicts(out.getDimSize(0), in.getDimSize(0))))
    return emitOpError("result must be [M, N] = [")
           << in.getDimSize(0) << ", " << n << "], got " << out;

  // Element types, scales.
  bool floatIn = isa<FloatType>(in.getElementType());
  bool floatOut = isa<FloatType>(out.getElementType());
  if (floatIn && !floatOut)
    return emitOpError("f32 input needs an f32 result, got ") << out;
  if (!floatOut && getScale())
    return emitOpError("an i32 result is exact: it takes no scale");
  if (floatOut && !getScale())
    return emitOpError("an f32 result needs a scale (one, or one per output "
                       "channel)");
  if (getScale() && getScale()->size() != 1 && int64_t(getScale()->size()) != n)
    return emitOpError("scale must have 1 or N = ")
           << n << " values, got " << getScale()->size();
  if (Value scale = getInputScale()) {
    auto type = cast<RankedTensorType>(scale.getType());
    if (floatIn || !floatOut)
      return emitOpError("input_scale needs int8 input and an f32 result");
    if (type.getRank() != 1 || conflicts(type.getDimSize(0), in.getDimSize(0)))
      return emitOpError("input_scale must be [M] = [")
             << in.getDimSize(0) << "], got " << type;
  }
  if (getKernel() && !isKnownKernel(*getKernel()))
    return emitOpError("unknown kernel '")
           << *getKernel() << "' (known: " << knownKernels() << ")";

  // The whole point of the op: every weight is -1, 0 or +1.
  if (packed) {
    if (std::optional<std::string> invalid = packed.findInvalidCode())
      return emitOpError(*invalid);
    return success();
  }
  return verifyUnpacked(*this, elements, k);
}

//===----------------------------------------------------------------------===//
// tern.quantize_absmax
//===----------------------------------------------------------------------===//

LogicalResult QuantizeAbsmaxOp::verify() {
  auto in = getInput().getType();
  auto q = getQuantized().getType();
  auto s = getScale().getType();
  if (in.getRank() != 2)
    return emitOpError("input must be [M, K], got ") << in;
  if (q.getShape() != in.getShape())
    return emitOpError("quantized result must have the input's shape ")
           << in << ", got " << q;
  if (s.getRank() != 1 || s.getDimSize(0) != in.getDimSize(0))
    return emitOpError("scale must be [M] = [")
           << in.getDimSize(0) << "], got " << s;
  return success();
}

#define GET_OP_CLASSES
#include "sieve/Dialect/Tern/IR/TernOps.cpp.inc"
