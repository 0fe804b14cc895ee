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
/// along the last dim, or a fill with a scalar.
bool matchBias(Value init, QueryConv &conv) {
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
  if (maps[0] != AffineMap::get(4, 0, getAffineDimExpr(3, ctx)) ||
      !maps[1].isIdentity() ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return false;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  if (yield.getValues()[0] != generic.getBody()->getArgument(0))
    return false;
  conv.bias = generic.getInputs()[0];
  return true;
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
  auto collapse = expand.getSrc().getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || !single(expand.getSrc()))
    return std::nullopt;
  auto conv = collapse.getSrc().getDefiningOp<linalg::Conv2DNhwcFhwcOp>();
  if (!conv || !single(collapse.getSrc()))
    return std::nullopt;

  QueryConv result;
  auto outType = cast<RankedTensorType>(conv.getResult(0).getType());
  // The unit spatial dim is the one the collapse merges with the batch
  // ([B, 1, L, F]) or with the length ([B, L, 1, F]).
  if (outType.getDimSize(1) == 1 &&
      sameReassociation(collapse.getReassociationIndices(), {{0, 1}, {2}, {3}}))
    result.lengthDim = 2;
  else if (outType.getDimSize(2) == 1 &&
           sameReassociation(collapse.getReassociationIndices(),
                             {{0}, {1, 2}, {3}}))
    result.lengthDim = 1;
  else
    return std::nullopt;
  int64_t unitDim = 3 - result.lengthDim;

  Value padded = conv.getInputs()[0];
  result.weight = conv.getInputs()[1];
  if (!isF32Tensor(padded, 4) || !isF32Tensor(result.weight, 4) ||
      !isF32Tensor(conv.getResult(0), 4))
    return std::nullopt;
  auto weightType = cast<RankedTensorType>(result.weight.getType());
  if (weightType.getDimSize(unitDim) != 1 ||
      !llvm::all_of(conv.getStrides().getValues<int64_t>(),
                    [](int64_t s) { return s == 1; }))
    return std::nullopt;
  result.kernel = weightType.getDimSize(result.lengthDim);
  result.dilation =
      conv.getDilations().getValues<int64_t>()[result.lengthDim - 1];
  result.channels = weightType.getDimSize(3);

  // Causal: exactly dil (k - 1) zeros on the left of the length, nothing
  // else (the raise pass checked the same on the TOSA form).
  auto pad = padded.getDefiningOp<tensor::PadOp>();
  if (!pad || !pad.hasZeroHighPad() || pad.getStaticLow().size() != 4)
    return std::nullopt;
  for (int64_t dim = 0; dim < 4; ++dim) {
    int64_t want =
        dim == result.lengthDim ? result.dilation * (result.kernel - 1) : 0;
    if (pad.getStaticLow()[dim] != want)
      return std::nullopt;
  }
  Value padValue = pad.getConstantPaddingValue();
  if (!padValue || !matchPattern(padValue, m_AnyZeroFloat()))
    return std::nullopt;
  result.input = pad.getSource();
  if (!matchBias(conv.getOutputs()[0], result))
    return std::nullopt;
  return result;
}
