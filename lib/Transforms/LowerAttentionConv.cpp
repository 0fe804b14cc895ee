//===- LowerAttentionConv.cpp - Q of convolutional self-attention ---------===//
//
// Part of Sieve. See AttentionConv.h.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/AttentionConv.h"

#include "sieve/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace sieve;

namespace {

bool isF32Tensor(Value x, int64_t rank) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  return type && type.getRank() == rank && type.hasStaticShape() &&
         type.getElementType().isF32();
}

bool sameReassociation(ArrayRef<ReassociationIndices> got,
                       ArrayRef<ReassociationIndices> want) {
  if (got.size() != want.size())
    return false;
  for (auto [g, w] : llvm::zip(got, want))
    if (ArrayRef<int64_t>(g) != ArrayRef<int64_t>(w))
      return false;
  return true;
}

/// The bias of a convolution's init: a generic that broadcasts a [F] tensor
/// along dim `filterDim` of the output, or a fill with a scalar.
bool matchBias(Value init, int64_t filterDim, QueryConv &conv) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
    conv.biasScalar = fill.getInputs()[0];
    return conv.biasScalar.getType().isF32();
  }
  auto generic = init.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || !isF32Tensor(generic.getInputs()[0], 1))
    return false;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  MLIRContext *ctx = generic.getContext();
  unsigned rank = generic.getNumLoops();
  if (maps[0] != AffineMap::get(rank, 0, getAffineDimExpr(filterDim, ctx)) ||
      !maps[1].isIdentity() ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return false;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  if (yield.getValues()[0] != generic.getBody()->getArgument(0))
    return false;
  conv.bias = generic.getInputs()[0];
  return true;
}

/// The convolution that makes `flat` ([B, L, F]) through nothing but a
/// collapse (2-D form) or a transpose (channels-first form): fills in the
/// operands and the dims of `conv`; the padded input and the conv's init in
/// `padded` / `init`, its strides in `strides`. Values in between must have
/// one use.
bool matchConvolution(Value flat, QueryConv &conv, Value &padded, Value &init,
                      DenseIntElementsAttr &strides) {
  auto single = [](Value x) { return x.hasOneUse(); };
  if (auto collapse = flat.getDefiningOp<tensor::CollapseShapeOp>()) {
    // A 2-D convolution with a unit spatial dim, [B, 1, L, F] (or
    // [B, L, 1, F]) collapsed into [B, L, F]: lower-tosa's tosa.conv2d
    // (weights [F, KH, KW, C]) or TensorFlow's conv_2d_nhwc_hwcf (weights
    // [KH, KW, C, F]).
    Operation *op = collapse.getSrc().getDefiningOp();
    auto fhwc = dyn_cast_or_null<linalg::Conv2DNhwcFhwcOp>(op);
    auto hwcf = dyn_cast_or_null<linalg::Conv2DNhwcHwcfOp>(op);
    if ((!fhwc && !hwcf) || !single(collapse.getSrc()) ||
        !isF32Tensor(op->getResult(0), 4))
      return false;
    auto outType = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t lengthDim;
    if (outType.getDimSize(1) == 1 &&
        sameReassociation(collapse.getReassociationIndices(),
                          {{0, 1}, {2}, {3}}))
      lengthDim = 2;
    else if (outType.getDimSize(2) == 1 &&
             sameReassociation(collapse.getReassociationIndices(),
                               {{0}, {1, 2}, {3}}))
      lengthDim = 1;
    else
      return false;
    conv.inputLengthDim = lengthDim;
    conv.inputChannelDim = 3;
    // The weights' unit spatial dim (the one across the length).
    int64_t weightUnitDim;
    if (fhwc) {
      conv.weightFilterDim = 0;
      conv.weightTapDim = lengthDim;
      conv.weightChannelDim = 3;
      weightUnitDim = 3 - lengthDim;
      strides = fhwc.getStrides();
      conv.dilation = fhwc.getDilations().getValues<int64_t>()[lengthDim - 1];
    } else {
      conv.weightTapDim = lengthDim - 1;
      conv.weightChannelDim = 2;
      conv.weightFilterDim = 3;
      weightUnitDim = 2 - lengthDim;
      strides = hwcf.getStrides();
      conv.dilation = hwcf.getDilations().getValues<int64_t>()[lengthDim - 1];
    }
    auto dps = cast<linalg::LinalgOp>(op);
    padded = dps.getDpsInputs()[0];
    conv.weight = dps.getDpsInputs()[1];
    init = dps.getDpsInits()[0];
    return matchBias(init, 3, conv) && isF32Tensor(padded, 4) &&
           isF32Tensor(conv.weight, 4) &&
           cast<RankedTensorType>(conv.weight.getType())
                   .getDimSize(weightUnitDim) == 1;
  }
  if (auto op = flat.getDefiningOp<linalg::Conv1DNwcWcfOp>()) {
    // TensorFlow-style: [B, L + P, C] x [k, C, F] -> [B, L, F].
    conv.inputLengthDim = 1;
    conv.inputChannelDim = 2;
    conv.weightTapDim = 0;
    conv.weightChannelDim = 1;
    conv.weightFilterDim = 2;
    padded = op.getInputs()[0];
    conv.weight = op.getInputs()[1];
    init = op.getOutputs()[0];
    strides = op.getStrides();
    conv.dilation = op.getDilations().getValues<int64_t>()[0];
    return matchBias(init, 2, conv) && isF32Tensor(padded, 3) &&
           isF32Tensor(conv.weight, 3);
  }
  if (auto transpose = flat.getDefiningOp<linalg::TransposeOp>()) {
    // torch-style: [B, C, L + P] x [F, C, k] -> [B, F, L], then the
    // transpose to [B, L, F] that precedes the split into heads.
    auto op = transpose.getInput().getDefiningOp<linalg::Conv1DNcwFcwOp>();
    if (!op || !single(transpose.getInput()) ||
        transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1})
      return false;
    conv.inputLengthDim = 2;
    conv.inputChannelDim = 1;
    conv.weightTapDim = 2;
    conv.weightChannelDim = 1;
    conv.weightFilterDim = 0;
    padded = op.getInputs()[0];
    conv.weight = op.getInputs()[1];
    init = op.getOutputs()[0];
    strides = op.getStrides();
    conv.dilation = op.getDilations().getValues<int64_t>()[0];
    return matchBias(init, 1, conv) && isF32Tensor(padded, 3) &&
           isF32Tensor(conv.weight, 3);
  }
  return false;
}

} // namespace

std::optional<QueryConv> sieve::matchQueryConv(Operation *attention) {
  if (!attention->hasAttr("attn.query_conv"))
    return std::nullopt;
  Value query = attention->getOperand(0);
  bool blhd;
  if (auto dense = dyn_cast<attn::AttentionOp>(attention))
    blhd = dense.getLayout() == attn::Layout::blhd;
  else if (auto sparse = dyn_cast<attn::SparseAttentionOp>(attention))
    blhd = sparse.getLayout() == attn::Layout::blhd;
  else
    return std::nullopt;
  if (!isF32Tensor(query, 4) ||
      !cast<ShapedType>(attention->getResult(0).getType())
           .getElementType()
           .isF32())
    return std::nullopt;
  // Every value between the convolution and the attention dies with the
  // fusion; with another user the convolution would run anyway.
  auto single = [](Value x) { return x.hasOneUse(); };

  Value heads = query; // [B, L, H, D]
  if (!blhd) {
    auto transpose = query.getDefiningOp<linalg::TransposeOp>();
    if (!transpose || !single(query) ||
        transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
      return std::nullopt;
    heads = transpose.getInput();
  }
  auto expand = heads.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || !single(heads) ||
      !sameReassociation(expand.getReassociationIndices(), {{0}, {1}, {2, 3}}))
    return std::nullopt;
  Value flat = expand.getSrc(); // [B, L, F]
  if (!single(flat))
    return std::nullopt;

  QueryConv result;
  Value padded, init;
  DenseIntElementsAttr strides;
  if (!matchConvolution(flat, result, padded, init, strides) ||
      !llvm::all_of(strides.getValues<int64_t>(),
                    [](int64_t s) { return s == 1; }))
    return std::nullopt;
  auto weightType = cast<RankedTensorType>(result.weight.getType());
  result.kernel = weightType.getDimSize(result.weightTapDim);
  result.channels = weightType.getDimSize(result.weightChannelDim);

  // Causal: exactly dil (k - 1) zeros on the left of the length, nothing
  // else (the raise pass checked the same on the exporter's form).
  int64_t rank = cast<RankedTensorType>(padded.getType()).getRank();
  auto pad = padded.getDefiningOp<tensor::PadOp>();
  if (!pad || !pad.hasZeroHighPad() ||
      int64_t(pad.getStaticLow().size()) != rank)
    return std::nullopt;
  for (int64_t dim = 0; dim < rank; ++dim) {
    int64_t want = dim == result.inputLengthDim
                       ? result.dilation * (result.kernel - 1)
                       : 0;
    if (pad.getStaticLow()[dim] != want)
      return std::nullopt;
  }
  Value padValue = pad.getConstantPaddingValue();
  if (!padValue || !matchPattern(padValue, m_AnyZeroFloat()))
    return std::nullopt;
  result.input = pad.getSource();
  return result;
}
