//===- ExpandStridedCopies.cpp - Copies without a runtime library ---------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace sieve {
#define GEN_PASS_DEF_EXPANDSTRIDEDCOPIES
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

/// Runs shorter than this stay element loops: a memcpy call per few bytes
/// (a 3-channel pixel) costs more than it saves.
constexpr int64_t kMinRunBytes = 16;

bool isContiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity();
}

/// How many trailing dims of `type` are one contiguous run of static size.
int64_t contiguousTrailingDims(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return 0;
  int64_t run = 1, dims = 0;
  for (int64_t i = type.getRank() - 1; i >= 0; --i) {
    if (type.isDynamicDim(i) || strides[i] != run)
      break;
    run *= type.getDimSize(i);
    ++dims;
  }
  return dims;
}

/// A copy between strided buffers whose trailing `dims` are contiguous in
/// both: loops over the leading dims, each step one contiguous `memref.copy`
/// (which `finalize-memref-to-llvm` makes an `llvm.memcpy`) instead of one
/// load and store per element.
void copyRuns(memref::CopyOp copy, int64_t dims) {
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  Value src = copy.getSource(), dst = copy.getTarget();
  auto srcType = cast<MemRefType>(src.getType());
  int64_t rank = srcType.getRank(), outer = rank - dims;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
      sizes(rank, b.getIndexAttr(1)), strides(rank, b.getIndexAttr(1));
  for (int64_t i = 0; i < outer; ++i) {
    Value bound = memref::DimOp::create(b, loc, src, i);
    auto loop = scf::ForOp::create(b, loc, zero, bound, one);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    offsets[i] = loop.getInductionVar();
  }
  ArrayRef<int64_t> run = srcType.getShape().drop_front(outer);
  for (int64_t i = outer; i < rank; ++i)
    sizes[i] = b.getIndexAttr(srcType.getDimSize(i));
  auto slice = [&](Value buffer) -> Value {
    auto type = memref::SubViewOp::inferRankReducedResultType(
        run, cast<MemRefType>(buffer.getType()), offsets, sizes, strides);
    return memref::SubViewOp::create(b, loc, type, buffer, offsets, sizes,
                                     strides);
  };
  memref::CopyOp::create(b, loc, slice(src), slice(dst));
  copy.erase();
}

struct ExpandStridedCopiesPass final
    : sieve::impl::ExpandStridedCopiesBase<ExpandStridedCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (!isContiguous(copy.getSource().getType()) ||
          !isContiguous(copy.getTarget().getType()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      auto srcType = cast<MemRefType>(copy.getSource().getType());
      auto dstType = cast<MemRefType>(copy.getTarget().getType());
      if (srcType.getElementType().isIntOrFloat()) {
        int64_t dims = std::min(contiguousTrailingDims(srcType),
                                contiguousTrailingDims(dstType));
        int64_t runBytes = srcType.getElementTypeBitWidth() / 8;
        for (int64_t size : srcType.getShape().take_back(dims))
          runBytes *= size;
        // One static run: finalize-memref-to-llvm makes it a memcpy as is.
        if (dims == srcType.getRank())
          continue;
        if (dims > 0 && runBytes >= kMinRunBytes) {
          copyRuns(copy, dims);
          continue;
        }
      }
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
