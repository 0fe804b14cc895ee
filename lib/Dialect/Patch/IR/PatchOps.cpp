//===- PatchOps.cpp - Ops of the patch dialect ----------------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Patch/IR/PatchOps.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace sieve::patch;

LogicalResult WindowOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.getRank() != 4 || out.getRank() != 4)
    return emitOpError("input and result must be NHWC (rank 4), got ")
           << in << " and " << out;
  if (in.getElementType() != out.getElementType())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from the input's "
           << in.getElementType();
  if (!out.hasStaticShape())
    return emitOpError("window shape must be static, got ") << out;
  for (int64_t d : {0, 3})
    if (!in.isDynamicDim(d) && in.getDimSize(d) != out.getDimSize(d))
      return emitOpError("window keeps batch and channels: dimension ")
             << d << " is " << in.getDimSize(d) << " in the input but "
             << out.getDimSize(d) << " in the result";
  if (getStep().size() != 2 || getOffset().size() != 2)
    return emitOpError("step and offset need 2 values (rows, columns), got ")
           << getStep().size() << " and " << getOffset().size();
  for (int64_t s : getStep())
    if (s <= 0)
      return emitOpError("step must be positive, got ") << s;
  if (getPadding().getType() != in.getElementType())
    return emitOpError("padding ")
           << getPadding() << " must have the element type "
           << in.getElementType();

  // With constant patch indices the window is known: it must touch the input,
  // or the patch would read nothing but padding.
  APInt row, col;
  if (matchPattern(getRow(), m_ConstantInt(&row)) &&
      matchPattern(getCol(), m_ConstantInt(&col))) {
    ArrayRef<int64_t> step = getStep(), offset = getOffset();
    int64_t index[2] = {row.getSExtValue(), col.getSExtValue()};
    for (int d = 0; d < 2; ++d) {
      int64_t size = in.getDimSize(d + 1);
      if (ShapedType::isDynamic(size))
        continue;
      int64_t begin = index[d] * step[d] + offset[d];
      int64_t end = begin + out.getDimSize(d + 1);
      if (end <= 0 || begin >= size)
        return emitOpError("window of patch (")
               << index[0] << ", " << index[1] << ") covers "
               << (d == 0 ? "rows " : "columns ") << begin << " to " << end - 1
               << ", outside the input's 0 to " << size - 1;
    }
  }
  return success();
}

OpFoldResult WindowOp::fold(FoldAdaptor adaptor) {
  // The window of the only patch of an unpadded single-patch stage is the
  // input itself.
  auto row = dyn_cast_or_null<IntegerAttr>(adaptor.getRow());
  auto col = dyn_cast_or_null<IntegerAttr>(adaptor.getCol());
  if (!row || !col || row.getInt() != 0 || col.getInt() != 0)
    return {};
  if (getInput().getType() != getResult().getType() ||
      !llvm::all_of(getOffset(), [](int64_t o) { return o == 0; }))
    return {};
  return getInput();
}

#define GET_OP_CLASSES
#include "sieve/Dialect/Patch/IR/PatchOps.cpp.inc"
