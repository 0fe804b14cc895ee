//===- LowerTernary.cpp - tern ops to linalg, vector and intrinsics -------===//
//
// Part of Sieve. Everything stays on tensors, so bufferization turns the
// packed weights into read-only globals (flash on an MCU) and the loops'
// results into arena buffers. docs/ternary.md explains the kernels.
//
// The multiply-add kernels share one loop nest, over tiles of output
// channels (outside) and tokens (inside); per output element:
//   acc = sum over full 128-weight blocks of code * x   (the kernel's part)
//       - sum over the same k of x                     (code = w + 1)
//       + sum over the tail k >= 128 * (K / 128) of w * x   (scalar, exact)
// so that no kernel needs a padded input. Accumulators never overflow for
// any int8 input: see the bound at each kernel.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Tern/Transforms/Passes.h"

#include "sieve/Dialect/Tern/IR/TernOps.h"
#include "sieve/Dialect/Tern/Transforms/TernaryKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <cmath>
#include <functional>

namespace sieve::tern {
#define GEN_PASS_DEF_LOWERTERNARY
#include "sieve/Dialect/Tern/Transforms/Passes.h.inc"
} // namespace sieve::tern

using namespace mlir;
using namespace sieve;
using namespace sieve::tern;

bool sieve::isTernaryKernelImplemented(TernaryKernel kernel) {
  switch (kernel) {
  case TernaryKernel::Portable:
  case TernaryKernel::Maddubs:
  case TernaryKernel::Vpdpbusd:
  case TernaryKernel::Sdot:
  case TernaryKernel::Smlad:
  case TernaryKernel::Vmladav:
  case TernaryKernel::Lut:
    return true;
  }
  return false;
}

namespace {

constexpr int64_t kBlock = 128; // weights per i2 block
// Channels per task of the parallel-for hook on CPUs (a multiple of every
// kernel's channel tile): 4096 channels make 32 tasks.
constexpr int64_t kTaskRows = 128;
// The marker of docs/parallel.md (sieve::attrs::kParallelLoop).
constexpr llvm::StringLiteral kParallelLoop = "sieve.parallel";
constexpr int64_t kBlockBytes = 32; // bytes per i2 block
constexpr int64_t kMveRows = 4;     // channels per byte of the MVE kernel
constexpr int64_t kMveLanes = 16;   // int8 lanes of an MVE vector
constexpr int64_t kSdotRows = 4;    // channels per pass of the sdot kernel
constexpr int64_t kSdotTokens = 4;  // tokens per pass of its GEMM tile

} // namespace

int64_t sieve::ternaryKernelPackedBytes(const TargetInfo &target,
                                        TernaryKernel kernel, int64_t n,
                                        int64_t k, int64_t rowBytes) {
  // mveChannelFields: tiles of 4 channels by columns padded to 16.
  if (kernel == TernaryKernel::Vmladav)
    return llvm::divideCeil(n, kMveRows) * llvm::alignTo(k, kMveLanes);
  // lowerLutShuffle: tiles of one channel per lane, a byte per 4 weights.
  if (kernel == TernaryKernel::Lut && !target.isMicrocontroller) {
    int64_t lanes = target.tableLookup == TableLookup::X86Pshufb ? 32 : 16;
    return llvm::divideCeil(n, lanes) * lanes * llvm::divideCeil(k, 4);
  }
  return n * rowBytes;
}

namespace {

Value cIdx(ImplicitLocOpBuilder &b, int64_t v) {
  return arith::ConstantIndexOp::create(b, v);
}
Value cI32(ImplicitLocOpBuilder &b, int64_t v) {
  return arith::ConstantIntOp::create(b, b.getI32Type(), v);
}

/// The weight (w = code - 1, as i32) at column `k` (index) of a packed row
/// whose byte holding it is `byte` (i8): the decode of docs/ternary.md.
Value decodeWeight(ImplicitLocOpBuilder &b, Layout layout, Value byte,
                   Value k) {
  Value wide = arith::ExtUIOp::create(b, b.getI32Type(), byte);
  Value code;
  if (layout == Layout::I2) {
    // shift = 2 * ((k mod 128) / 32)
    Value r = arith::RemUIOp::create(b, k, cIdx(b, kBlock));
    Value p = arith::DivUIOp::create(b, r, cIdx(b, 32));
    Value shift = arith::IndexCastUIOp::create(
        b, b.getI32Type(), arith::MulIOp::create(b, p, cIdx(b, 2)));
    code = arith::AndIOp::create(b, arith::ShRUIOp::create(b, wide, shift),
                                 cI32(b, 3));
  } else {
    // digit i = k mod 5: (byte / 3^i) mod 3
    Value i = arith::IndexCastUIOp::create(
        b, b.getI32Type(), arith::RemUIOp::create(b, k, cIdx(b, 5)));
    Value pow = cI32(b, 81);
    for (int64_t d = 3; d >= 0; --d) {
      Value is =
          arith::CmpIOp::create(b, arith::CmpIPredicate::eq, i, cI32(b, d));
      pow =
          arith::SelectOp::create(b, is, cI32(b, int64_t(std::pow(3, d))), pow);
    }
    code = arith::RemUIOp::create(b, arith::DivUIOp::create(b, wide, pow),
                                  cI32(b, 3));
  }
  return arith::SubIOp::create(b, code, cI32(b, 1));
}

/// The byte of a packed row that holds weight `k`: an affine expression.
AffineExpr byteExpr(Layout layout, AffineExpr k) {
  if (layout == Layout::I2)
    return k.floorDiv(kBlock) * kBlockBytes + k % 32;
  return k.floorDiv(5);
}

Value zeroFilled(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape,
                 Type element) {
  Value empty = tensor::EmptyOp::create(b, shape, element);
  Value zero = arith::ConstantOp::create(b, b.getZeroAttr(element));
  return linalg::FillOp::create(b, zero, empty).getResult(0);
}

/// sum(x) per token of the int8 activations `input` [M, K], in int32: what
/// the kernels subtract from their sums of weight codes.
Value tokenSums(ImplicitLocOpBuilder &b, Value input) {
  MLIRContext *ctx = b.getContext();
  int64_t numM = cast<RankedTensorType>(input.getType()).getDimSize(0);
  AffineExpr dm = getAffineDimExpr(0, ctx), dk = getAffineDimExpr(1, ctx);
  Value zeros = zeroFilled(b, {numM}, b.getI32Type());
  return linalg::GenericOp::create(
             b, TypeRange{zeros.getType()}, ValueRange{input},
             ValueRange{zeros},
             ArrayRef<AffineMap>{AffineMap::get(2, 0, {dm, dk}, ctx),
                                 AffineMap::get(2, 0, {dm}, ctx)},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::reduction},
             [&](OpBuilder &nested, Location loc, ValueRange args) {
               ImplicitLocOpBuilder ib(loc, nested);
               Value x = arith::ExtSIOp::create(ib, ib.getI32Type(), args[0]);
               linalg::YieldOp::create(
                   ib, ValueRange{arith::AddIOp::create(ib, args[1], x)});
             })
      .getResult(0);
}

/// The accumulator (i32 for int8 input, f32 for f32 input) as one
/// linalg.generic over (m, n, k): any target, both layouts.
Value lowerPortable(ImplicitLocOpBuilder &b, MatmulOp op, PackedAttr packed,
                    Value weights) {
  auto inType = op.getInputType();
  bool floatInput = isa<FloatType>(inType.getElementType());
  Type accType = floatInput ? Type(b.getF32Type()) : Type(b.getI32Type());
  int64_t m = inType.getDimSize(0), n = packed.getN();
  Value init = zeroFilled(b, {m, n}, accType);
  MLIRContext *ctx = b.getContext();
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dk = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0, {dm, dk}, ctx),
      AffineMap::get(3, 0, {dn, byteExpr(packed.getLayout(), dk)}, ctx),
      AffineMap::get(3, 0, {dm, dn}, ctx)};
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  Layout layout = packed.getLayout();
  auto generic = linalg::GenericOp::create(
      b, TypeRange{init.getType()}, ValueRange{op.getInput(), weights},
      ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder ib(loc, nested);
        Value k = linalg::IndexOp::create(ib, 2);
        Value w = decodeWeight(ib, layout, args[1], k);
        Value sum;
        if (floatInput) {
          // +x, -x or 0: no multiply, and -0 * x is never formed.
          Value x = args[0];
          Value neg = arith::NegFOp::create(ib, x);
          Value zero = arith::ConstantOp::create(ib, ib.getF32FloatAttr(0));
          Value isPos = arith::CmpIOp::create(ib, arith::CmpIPredicate::sgt, w,
                                              cI32(ib, 0));
          Value isNeg = arith::CmpIOp::create(ib, arith::CmpIPredicate::slt, w,
                                              cI32(ib, 0));
          Value term = arith::SelectOp::create(
              ib, isPos, x, arith::SelectOp::create(ib, isNeg, neg, zero));
          sum = arith::AddFOp::create(ib, args[2], term);
        } else {
          Value x = arith::ExtSIOp::create(ib, ib.getI32Type(), args[0]);
          sum = arith::AddIOp::create(ib, args[2],
                                      arith::MulIOp::create(ib, x, w));
        }
        linalg::YieldOp::create(ib, sum);
      });
  return generic.getResult(0);
}

Value readVector(ImplicitLocOpBuilder &b, Value tensor, int64_t lanes,
                 ValueRange indices) {
  auto type = VectorType::get({lanes}, b.getI8Type());
  Value pad = arith::ConstantIntOp::create(b, b.getI8Type(), 0);
  return vector::TransferReadOp::create(b, type, tensor, indices, pad,
                                        ArrayRef<bool>{true});
}

Value splatI8(ImplicitLocOpBuilder &b, int64_t lanes, int64_t v) {
  auto type = VectorType::get({lanes}, b.getI8Type());
  return arith::ConstantOp::create(
      b, DenseElementsAttr::get(type, b.getI8IntegerAttr(v)));
}

/// Codes of 32 (or 16) consecutive weights: (bytes >> 2p) & 3.
Value codesOf(ImplicitLocOpBuilder &b, Value bytes, int64_t lanes, int64_t p) {
  Value shifted =
      p == 0 ? bytes
             : arith::ShRUIOp::create(b, bytes, splatI8(b, lanes, 2 * p))
                   .getResult();
  return arith::AndIOp::create(b, shifted, splatI8(b, lanes, 3));
}

Value callIntrinsic(ImplicitLocOpBuilder &b, Type result, StringRef name,
                    ValueRange args) {
  return LLVM::CallIntrinsicOp::create(b, result, b.getStringAttr(name), args)
      .getResult(0);
}

/// The x86 kernels' block loop: blocks [0, blocks) in chunks of `chunk`.
/// Each chunk starts `numAcc` narrow accumulators at `accInit`, which
/// `body` updates per block (the kernel's work on one i2 block); after the
/// chunk, `flush` adds them to the `numSums` wide sums (from `sumInit`). The
/// chunk is what keeps the narrow lanes exact (the bound at each kernel).
/// Returns the wide sums, each reduced to one i32.
SmallVector<Value> chunkedBlocks(
    ImplicitLocOpBuilder &b, int64_t blocks, int64_t chunk, Value accInit,
    size_t numAcc, Value sumInit, size_t numSums,
    function_ref<void(ImplicitLocOpBuilder &, Value, SmallVectorImpl<Value> &)>
        body,
    function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, ValueRange,
                                    ValueRange)>
        flush) {
  auto outer = scf::ForOp::create(
      b, cIdx(b, 0), cIdx(b, llvm::divideCeil(blocks, chunk)), cIdx(b, 1),
      SmallVector<Value>(numSums, sumInit),
      [&](OpBuilder &ob, Location loc, Value index, ValueRange sums) {
        ImplicitLocOpBuilder cb(loc, ob);
        Value first = arith::MulIOp::create(cb, index, cIdx(cb, chunk));
        Value last = arith::MinUIOp::create(
            cb, arith::AddIOp::create(cb, first, cIdx(cb, chunk)),
            cIdx(cb, blocks));
        auto inner = scf::ForOp::create(
            cb, first, last, cIdx(cb, 1), SmallVector<Value>(numAcc, accInit),
            [&](OpBuilder &ib2, Location loc2, Value block, ValueRange accs) {
              ImplicitLocOpBuilder ib(loc2, ib2);
              SmallVector<Value> acc(accs.begin(), accs.end());
              body(ib, block, acc);
              scf::YieldOp::create(ib, acc);
            });
        scf::YieldOp::create(cb, flush(cb, inner.getResults(), sums));
      });
  SmallVector<Value> result;
  for (Value sum : outer.getResults())
    result.push_back(
        vector::ReductionOp::create(b, vector::CombiningKind::ADD, sum));
  return result;
}

/// Software prefetch for the x86 kernels, whose weights stream from DRAM
/// once they exceed the caches: a kernel that reads a row's bytes at
/// `byteOff` asks for the same column `ahead` rows further (clamped to the
/// last row), i.e. the bytes it will read `ahead` rows of work later. The
/// loop's own loads cannot run that far ahead: the vpdpbusd/vpmaddubsw and
/// masks that wait on them fill the scheduler after about 1.5 KiB of
/// misses, where a plain read loop keeps about 6 KiB in flight (measured:
/// 55-60% of the streaming read without, 85-100% with; docs/ternary.md).
/// `buffer` is the weights' future buffer (bufferization.to_buffer).
void prefetchRow(ImplicitLocOpBuilder &b, Value buffer, Value row,
                 Value byteOff, int64_t ahead) {
  int64_t lastRow = cast<MemRefType>(buffer.getType()).getDimSize(0) - 1;
  Value next = arith::MinUIOp::create(
      b, arith::AddIOp::create(b, row, cIdx(b, ahead)), cIdx(b, lastRow));
  memref::PrefetchOp::create(b, buffer, ValueRange{next, byteOff},
                             /*isWrite=*/false, /*localityHint=*/3,
                             /*isDataCache=*/true);
}

/// Rows of packed weights (of `rowBytes` each) between a row's read and its
/// prefetch: at least kPrefetchBytes of the stream, in whole tiles of
/// `tileRows` (so the rows prefetched are those of a later tile). 8 KiB
/// measured better than 4 KiB from DRAM (bench/ternary_bench.py's DRAM
/// table, 3 runs each under load 5-10: 86% against 83% of the prefetching
/// read for vpdpbusd, 81% against 71% for maddubs, medians); 2 and 16 KiB
/// were no better.
constexpr int64_t kPrefetchBytes = 8192;
/// How much of its stream a tile of one row and one token (a vpdpbusd or
/// maddubs GEMV) reads per prefetched line (prefetchStream).
constexpr int64_t kPrefetchEveryBytes = 4096;
int64_t prefetchRows(int64_t rowBytes, int64_t tileRows) {
  return tileRows * llvm::divideCeil(kPrefetchBytes, tileRows * rowBytes);
}

/// For a tile of one row, whose weights are one sequential stream: one line
/// per kPrefetchEveryBytes of the stream, the start of the row
/// kPrefetchBytes further, in the rows at multiples of kPrefetchEveryBytes /
/// rowBytes (every row from there up), before the row's blocks.
void prefetchStream(ImplicitLocOpBuilder &b, Value weights, Value buffer,
                    Value row) {
  int64_t rowBytes = cast<RankedTensorType>(weights.getType()).getDimSize(1);
  int64_t every = std::max<int64_t>(1, kPrefetchEveryBytes / rowBytes);
  Value first = arith::CmpIOp::create(
      b, arith::CmpIPredicate::eq,
      arith::RemUIOp::create(b, row, cIdx(b, every)), cIdx(b, 0));
  scf::IfOp::create(b, first, [&](OpBuilder &tb, Location loc) {
    ImplicitLocOpBuilder ib(loc, tb);
    prefetchRow(ib, buffer, row, cIdx(ib, 0), prefetchRows(rowBytes, 1));
    scf::YieldOp::create(ib);
  });
}

/// x86 (AVX2; the AVX-512 target can force it): per block, 4 x vpmaddubsw
/// of 32 codes (unsigned) by 32 activations into 16 int16 lanes. The codes
/// are masked with one shift: `bytes & 3` and `(bytes >> 4) & 3` are the
/// codes of weights 128b + j and 128b + 64 + j, `bytes & 12` and
/// `(bytes >> 4) & 12` four times those of 128b + 32 + j and 128b + 96 + j,
/// so products go to two accumulators per token, in the scales 1 and 4. A
/// lane of the scale-4 one adds 2 pairs of products in [-1024, 1016] per
/// block, 8 blocks (a chunk): [-32768, 32512], exact in int16 and never
/// saturating (scale 1: a quarter of that). Every chunk, vpmaddwd by ones
/// widens both to 8 int32 lanes and the scale-4 ones are shifted back
/// (arithmetic, exact: sums of multiples of 4). A tile is one row; with one
/// token (a GEMV) its weights are one sequential stream, read once and
/// prefetched one line per 4 KiB (prefetchStream): a C copy of the GEMV
/// loop read from DRAM at 73-80% of the prefetching read against 69-75%
/// with a prefetch per block, and 3% faster from L3. Tiles of several
/// tokens (a GEMM, whose row is read again from L1 by each tile) keep the
/// prefetch per block, 3-8% faster from L3 at M = 32 (docs/ternary.md).
SmallVector<Value> maddubsTokens(ImplicitLocOpBuilder &b, Value input,
                                 Value weights, Value buffer,
                                 ArrayRef<Value> tokens, Value n,
                                 int64_t blocks) {
  auto v16i16 = VectorType::get({16}, b.getI16Type());
  auto v8i32 = VectorType::get({8}, b.getI32Type());
  size_t numTokens = tokens.size();
  Value zero32 = arith::ConstantOp::create(b, b.getZeroAttr(v8i32));
  Value zero16 = arith::ConstantOp::create(b, b.getZeroAttr(v16i16));
  Value ones16 = arith::ConstantOp::create(
      b, DenseElementsAttr::get(v16i16, b.getI16IntegerAttr(1)));
  Value twos32 = arith::ConstantOp::create(
      b, DenseElementsAttr::get(v8i32, b.getI32IntegerAttr(2)));
  bool stream = numTokens == 1;
  if (stream)
    prefetchStream(b, weights, buffer, n);
  int64_t ahead =
      prefetchRows(cast<RankedTensorType>(weights.getType()).getDimSize(1), 1);
  auto body = [&](ImplicitLocOpBuilder &ib, Value block,
                  SmallVectorImpl<Value> &acc) {
    Value byteOff = arith::MulIOp::create(ib, block, cIdx(ib, kBlockBytes));
    Value bytes = readVector(ib, weights, 32, {n, byteOff});
    if (!stream)
      prefetchRow(ib, buffer, n, byteOff, ahead);
    Value kOff = arith::MulIOp::create(ib, block, cIdx(ib, kBlock));
    // The codes are masked once for all tokens of the tile.
    Value high = arith::ShRUIOp::create(ib, bytes, splatI8(ib, 32, 4));
    for (int64_t p = 0; p < 4; ++p) {
      Value codes = arith::AndIOp::create(ib, p < 2 ? bytes : high,
                                          splatI8(ib, 32, p % 2 ? 12 : 3));
      Value k = arith::AddIOp::create(ib, kOff, cIdx(ib, 32 * p));
      for (size_t t = 0; t < numTokens; ++t) {
        Value x = readVector(ib, input, 32, {tokens[t], k});
        Value prod =
            callIntrinsic(ib, v16i16, "llvm.x86.avx2.pmadd.ub.sw", {codes, x});
        Value &a = acc[2 * t + p % 2];
        a = arith::AddIOp::create(ib, a, prod);
      }
    }
  };
  auto flush = [&](ImplicitLocOpBuilder &cb, ValueRange acc16,
                   ValueRange acc32) {
    SmallVector<Value> wide;
    for (size_t t = 0; t < numTokens; ++t) {
      Value sum = acc32[t];
      for (int64_t s = 0; s < 2; ++s) {
        Value part = callIntrinsic(cb, v8i32, "llvm.x86.avx2.pmadd.wd",
                                   {acc16[2 * t + s], ones16});
        if (s)
          part = arith::ShRSIOp::create(cb, part, twos32);
        sum = arith::AddIOp::create(cb, sum, part);
      }
      wide.push_back(sum);
    }
    return wide;
  };
  return chunkedBlocks(b, blocks, /*chunk=*/8, zero16, 2 * numTokens, zero32,
                       numTokens, body, flush);
}

/// x86 AVX-512 VNNI: the 32 bytes of a block are broadcast to both halves
/// of a 64-byte vector and masked in place, without shifts: half h (0, 1)
/// of the block's weights, k = 128b + 64h + j, has its code in bits 4h..4h+1
/// of byte j (j < 32) and 4h+2..4h+3 of byte j - 32, so `bytes & mask_h`
/// holds code * 4^q (q = 2h for the low 32 bytes, 2h + 1 for the high ones,
/// at most 2 * 64 = 128: an unsigned byte) next to the 64 contiguous
/// activations of that half. One vpdpbusd per half and channel adds 4
/// products per int32 lane into an accumulator whose low 8 lanes are scaled
/// by 4^2h and high 8 by 4^(2h+1). Every 32 blocks (a chunk) the
/// accumulators are shifted back (arithmetic, exact: each lane is a sum of
/// multiples of 4^q, at most 4 * 2^14 * 32 = 2^21 in magnitude) and added to
/// int32 sums in the weights' scale, exact for any K below 2^23. Tiles of
/// channels share the activation loads and give the 5-cycle vpdpbusd chains
/// work to overlap. A GEMV takes one channel at a time instead, so that its
/// weights are one sequential stream, which the hardware prefetchers follow
/// at 90-100% of the read rate (4 interleaved row streams reached 63-72% of
/// it on the AMD EPYC VM even with the software prefetch; docs/ternary.md);
/// its chains come from `unroll` consecutive blocks per iteration, each into
/// its own accumulators (each still adds one vpdpbusd per iteration, 32 per
/// chunk: the same bound), added per half before its one shift (flush
/// below). Tiles of several rows prefetch every block; a
/// single row prefetches one line per 4 KiB of its stream (in the rows at
/// multiples of 4096 / rowBytes), the start of the row 8 KiB further,
/// before its blocks: from DRAM on the AMD EPYC VM that took a C copy of
/// the loop from 90-100% to 114-119% of the streaming read (one line every
/// row: 87-110%), where a line per block (1-16 KiB ahead) or 2-4 lines per
/// row were slower than none, and it costs nothing from L3 where one per
/// row cost 3-4% (docs/ternary.md, "One prefetch per row"). Sums of codes
/// times x, [token][row].
SmallVector<Value> vpdpbusdTile(ImplicitLocOpBuilder &b, Value input,
                                Value weights, Value buffer,
                                ArrayRef<Value> tokens, ArrayRef<Value> rows,
                                int64_t blocks) {
  auto v16i32 = VectorType::get({16}, b.getI32Type());
  auto v64i8 = VectorType::get({64}, b.getI8Type());
  size_t numTokens = tokens.size(), numRows = rows.size();
  int64_t unroll = 1;
  if (numTokens == 1 && numRows == 1)
    unroll = blocks % 4 == 0 ? 4 : blocks % 2 == 0 ? 2 : 1;
  size_t numAcc = numTokens * numRows * unroll * 2; // [token][row][u][half]
  Value zero = arith::ConstantOp::create(b, b.getZeroAttr(v16i32));
  SmallVector<Value> masks, shifts;
  for (int64_t h = 0; h < 2; ++h) {
    SmallVector<int8_t> mask(64);
    SmallVector<int32_t> shift(16);
    for (int64_t j = 0; j < 64; ++j)
      mask[j] = static_cast<int8_t>(3u << (4 * h + 2 * (j / 32)));
    for (int64_t l = 0; l < 16; ++l)
      shift[l] = static_cast<int32_t>(4 * h + 2 * (l / 8));
    masks.push_back(arith::ConstantOp::create(
        b, DenseElementsAttr::get(v64i8, ArrayRef<int8_t>(mask))));
    shifts.push_back(arith::ConstantOp::create(
        b, DenseElementsAttr::get(v16i32, ArrayRef<int32_t>(shift))));
  }
  SmallVector<int64_t> twice;
  for (int64_t i = 0; i < 64; ++i)
    twice.push_back(i % 32);
  int64_t ahead = prefetchRows(
      cast<RankedTensorType>(weights.getType()).getDimSize(1), numRows);
  if (numRows == 1)
    prefetchStream(b, weights, buffer, rows[0]);
  auto body = [&](ImplicitLocOpBuilder &ib, Value group,
                  SmallVectorImpl<Value> &acc) {
    for (int64_t u = 0; u < unroll; ++u) {
      Value block = arith::AddIOp::create(
          ib, arith::MulIOp::create(ib, group, cIdx(ib, unroll)), cIdx(ib, u));
      Value byteOff = arith::MulIOp::create(ib, block, cIdx(ib, kBlockBytes));
      Value kOff = arith::MulIOp::create(ib, block, cIdx(ib, kBlock));
      SmallVector<Value> bytes;
      for (Value row : rows) {
        Value half = readVector(ib, weights, 32, {row, byteOff});
        bytes.push_back(vector::ShuffleOp::create(ib, half, half, twice));
        if (numRows > 1)
          prefetchRow(ib, buffer, row, byteOff, ahead);
      }
      for (int64_t h = 0; h < 2; ++h) {
        Value k = arith::AddIOp::create(ib, kOff, cIdx(ib, 64 * h));
        SmallVector<Value> codes;
        for (size_t r = 0; r < numRows; ++r)
          codes.push_back(arith::AndIOp::create(ib, bytes[r], masks[h]));
        for (size_t t = 0; t < numTokens; ++t) {
          Value x = readVector(ib, input, 64, {tokens[t], k});
          for (size_t r = 0; r < numRows; ++r) {
            Value &a = acc[((t * numRows + r) * unroll + u) * 2 + h];
            a = callIntrinsic(ib, v16i32, "llvm.x86.avx512.vpdpbusd.512",
                              {a, codes[r], x});
          }
        }
      }
    }
  };
  // The `unroll` accumulators of a half share their lanes' scales, so they
  // are added before the one shift per half (at most unroll * 2^21 <= 2^23
  // in magnitude, still a multiple of 4^q in every lane: exact).
  auto flush = [&](ImplicitLocOpBuilder &cb, ValueRange acc, ValueRange sums) {
    SmallVector<Value> next;
    for (size_t i = 0; i < numTokens * numRows; ++i) {
      Value sum = sums[i];
      for (int64_t h = 0; h < 2; ++h) {
        Value half = acc[i * unroll * 2 + h];
        for (int64_t u = 1; u < unroll; ++u)
          half = arith::AddIOp::create(cb, half, acc[(i * unroll + u) * 2 + h]);
        sum = arith::AddIOp::create(
            cb, sum, arith::ShRSIOp::create(cb, half, shifts[h]));
      }
      next.push_back(sum);
    }
    return next;
  };
  return chunkedBlocks(b, blocks / unroll, /*chunk=*/32, zero, numAcc, zero,
                       numTokens * numRows, body, flush);
}

/// AArch64 (dot product): sums of codes times x, [token][row], with the
/// codes never decoded to weights (the caller subtracts the token's sum of
/// x, computed once per token and shared by every channel). A block's 32
/// bytes are two vectors (h = 0, 1) of 16; field p of byte j of half h is
/// the code of weight 128b + 32p + 16h + j, next to 16 contiguous
/// activations. Each row's vectors are loaded and turned into fields once
/// per block and dotted with the activations of every token of the tile.
///
/// One token (GEMV, 4 channels): fields 0-2 are masked in place, `bytes &
/// (3 << 2p)` = code * 4^p (at most 32: a positive int8), field 3 is `bytes
/// >> 6`; one sdot per field and half adds 4 products per int32 lane into
/// an accumulator per scale 4^p (fields 0 and 3 share the unscaled one),
/// 3 per channel, which keeps the 3-cycle sdot chains short. A product is
/// at most 32 * 128 = 2^12 in magnitude, an sdot lane adds 4, a block 2 per
/// scaled accumulator: 2^15 per block, 2^21 over a chunk of kChunk blocks,
/// after which the accumulators are shifted back (exact: each lane is a
/// sum of multiples of 4^p) and added to int32 sums in the codes' scale.
///
/// Several tokens (GEMM, 4 channels x kSdotTokens, or x 2 for the 2 or 3
/// tokens after the last such tile): one accumulator per (token, channel),
/// 16 of the 32 NEON registers, fed the codes themselves
/// (`(bytes >> 2p) & 3`, field 3 `bytes >> 6`): 6 instructions per 16
/// bytes rather than 4, but the tile has 4 tokens' sdots for each and
/// enough independent chains, where 3 scaled accumulators per (token,
/// channel) would need 48 registers. No shift back, so no bound but int32.
///
/// The int32 sums may wrap: the caller's result (sum of codes * x minus sum
/// of x) is exact modulo 2^32, so exact for any K whose sums fit int32 (any
/// K below 2^24). Channels of a tile share the activation loads (one per 16
/// weights and token, the Cortex-A76 model's single load pipe bound the
/// one-channel loop).
SmallVector<Value> sdotTile(ImplicitLocOpBuilder &b, Value input, Value weights,
                            ArrayRef<Value> tokens, ArrayRef<Value> rows,
                            int64_t blocks) {
  auto v4i32 = VectorType::get({4}, b.getI32Type());
  size_t numTokens = tokens.size(), numRows = rows.size();
  size_t numSums = numTokens * numRows;
  // Accumulators per (token, row): scales 4^0..4^2 (GEMV) or 1 (GEMM).
  int64_t numScales = numTokens == 1 ? 3 : 1;
  Value zero = arith::ConstantOp::create(b, b.getZeroAttr(v4i32));
  SmallVector<Value> masks, shifts;
  for (int64_t p = 0; p < numScales; ++p) {
    masks.push_back(splatI8(b, 16, 3 << (2 * p)));
    shifts.push_back(arith::ConstantOp::create(
        b, DenseElementsAttr::get(v4i32, b.getI32IntegerAttr(2 * p))));
  }
  Value six = splatI8(b, 16, 6);
  // Field p of a row's 16 bytes, and the scale it is accumulated in.
  auto field = [&](ImplicitLocOpBuilder &ib, Value bytes,
                   int64_t p) -> std::pair<Value, int64_t> {
    if (p == 3)
      return {arith::ShRUIOp::create(ib, bytes, six), 0};
    if (numScales == 1)
      return {codesOf(ib, bytes, 16, p), 0};
    return {arith::AndIOp::create(ib, bytes, masks[p]), p};
  };
  constexpr int64_t kChunk = 64;
  int64_t chunks = llvm::divideCeil(blocks, kChunk);
  // The sums are scalars (general registers) between chunks: as vectors
  // they would hold NEON registers through the loop.
  auto outer = scf::ForOp::create(
      b, cIdx(b, 0), cIdx(b, chunks), cIdx(b, 1),
      SmallVector<Value>(numSums, cI32(b, 0)),
      [&](OpBuilder &ob, Location loc, Value chunk, ValueRange sums) {
        ImplicitLocOpBuilder cb(loc, ob);
        Value first = arith::MulIOp::create(cb, chunk, cIdx(cb, kChunk));
        Value last = arith::MinUIOp::create(
            cb, arith::AddIOp::create(cb, first, cIdx(cb, kChunk)),
            cIdx(cb, blocks));
        auto inner = scf::ForOp::create(
            cb, first, last, cIdx(cb, 1),
            SmallVector<Value>(numSums * numScales, zero),
            [&](OpBuilder &ib2, Location loc2, Value block, ValueRange accs) {
              ImplicitLocOpBuilder ib(loc2, ib2);
              SmallVector<Value> acc(accs.begin(), accs.end());
              Value byteOff =
                  arith::MulIOp::create(ib, block, cIdx(ib, kBlockBytes));
              Value kOff = arith::MulIOp::create(ib, block, cIdx(ib, kBlock));
              // bytes[row][half]
              SmallVector<SmallVector<Value, 2>> bytes;
              for (Value row : rows) {
                bytes.emplace_back();
                for (int64_t h = 0; h < 2; ++h)
                  bytes.back().push_back(readVector(
                      ib, weights, 16,
                      {row,
                       arith::AddIOp::create(ib, byteOff, cIdx(ib, 16 * h))}));
              }
              for (int64_t p = 0; p < 4; ++p) {
                for (int64_t h = 0; h < 2; ++h) {
                  Value k = arith::AddIOp::create(ib, kOff,
                                                  cIdx(ib, 32 * p + 16 * h));
                  SmallVector<std::pair<Value, int64_t>> fields;
                  for (size_t r = 0; r < numRows; ++r)
                    fields.push_back(field(ib, bytes[r][h], p));
                  for (size_t t = 0; t < numTokens; ++t) {
                    Value x = readVector(ib, input, 16, {tokens[t], k});
                    for (size_t r = 0; r < numRows; ++r) {
                      auto [codes, scale] = fields[r];
                      Value &a = acc[(t * numRows + r) * numScales + scale];
                      a = callIntrinsic(ib, v4i32,
                                        "llvm.aarch64.neon.sdot.v4i32.v16i8",
                                        {a, codes, x});
                    }
                  }
                }
              }
              scf::YieldOp::create(ib, acc);
            });
        SmallVector<Value> next;
        for (size_t i = 0; i < numSums; ++i) {
          Value lanes = inner.getResult(i * numScales);
          for (int64_t p = 1; p < numScales; ++p)
            lanes = arith::AddIOp::create(
                cb, lanes,
                arith::ShRSIOp::create(cb, inner.getResult(i * numScales + p),
                                       shifts[p]));
          next.push_back(arith::AddIOp::create(
              cb, sums[i],
              vector::ReductionOp::create(cb, vector::CombiningKind::ADD,
                                          lanes)));
        }
        scf::YieldOp::create(cb, next);
      });
  return SmallVector<Value>(outer.getResults());
}

/// A 32-bit word of 4 bytes at `indices` of an i8 tensor.
Value readWord(ImplicitLocOpBuilder &b, Value tensor, ValueRange indices) {
  Value bytes = readVector(b, tensor, 4, indices);
  Value word =
      vector::BitCastOp::create(b, VectorType::get({1}, b.getI32Type()), bytes);
  return vector::ExtractOp::create(b, word, ArrayRef<int64_t>{0});
}

/// Cortex-M4/M7 (DSP): per 4 weights, codes c0..c3 sit in bytes of a word
/// (shift by 2p and mask 0x00030003 for c0, c2 as int16 halves; by 2p + 8
/// for c1, c3), activations x0..x3 in another (sxtb16 gives x0, x2 and,
/// rotated by 8, x1, x3), and two smlad add c0*x0 + c2*x2 and c1*x1 +
/// c3*x3 to the int32 sum: |each product| <= 256, so any K below 2^23. Two
/// output channels per pass share the activations and their sign extension.
SmallVector<Value> smladRows(ImplicitLocOpBuilder &b, Value input,
                             Value weights, Value m, ArrayRef<Value> rows,
                             int64_t blocks) {
  Type i32 = b.getI32Type();
  size_t numRows = rows.size();
  SmallVector<Value> inits(numRows, cI32(b, 0));
  auto loop = scf::ForOp::create(
      b, cIdx(b, 0), cIdx(b, blocks), cIdx(b, 1), inits,
      [&](OpBuilder &ob, Location loc, Value block, ValueRange accs) {
        ImplicitLocOpBuilder ib(loc, ob);
        SmallVector<Value> acc(accs.begin(), accs.end());
        Value kOff = arith::MulIOp::create(ib, block, cIdx(ib, kBlock));
        Value bOff = arith::MulIOp::create(ib, block, cIdx(ib, kBlockBytes));
        Value mask = cI32(ib, 0x00030003);
        for (int64_t j = 0; j < kBlockBytes; j += 4) {
          SmallVector<Value> words;
          for (size_t r = 0; r < numRows; ++r)
            words.push_back(readWord(
                ib, weights,
                {rows[r], arith::AddIOp::create(ib, bOff, cIdx(ib, j))}));
          for (int64_t p = 0; p < 4; ++p) {
            // The activations, sign-extended once for all rows.
            Value x = readWord(
                ib, input,
                {m, arith::AddIOp::create(ib, kOff, cIdx(ib, 32 * p + j))});
            Value xEven = callIntrinsic(ib, i32, "llvm.arm.sxtb16", {x});
            Value xOdd =
                callIntrinsic(ib, i32, "llvm.arm.sxtb16",
                              {arith::ShRUIOp::create(ib, x, cI32(ib, 8))});
            for (size_t r = 0; r < numRows; ++r) {
              Value cEven = arith::AndIOp::create(
                  ib, arith::ShRUIOp::create(ib, words[r], cI32(ib, 2 * p)),
                  mask);
              Value cOdd = arith::AndIOp::create(
                  ib, arith::ShRUIOp::create(ib, words[r], cI32(ib, 2 * p + 8)),
                  mask);
              acc[r] = callIntrinsic(ib, i32, "llvm.arm.smlad",
                                     {cEven, xEven, acc[r]});
              acc[r] = callIntrinsic(ib, i32, "llvm.arm.smlad",
                                     {cOdd, xOdd, acc[r]});
            }
          }
        }
        scf::YieldOp::create(ib, acc);
      });
  return SmallVector<Value>(loop.getResults());
}

/// The vmladav kernel's weights: tiles of kMveRows (4) output channels,
/// one byte per column k holding the tile's 4 weights there, bits 2r..2r+1
/// for row r: the code w + 1 for rows 0..2 and w itself as a signed 2-bit
/// field for row 3, so the byte read as int8 is c0 + 4 c1 + 16 c2 + 64 w3.
/// Columns are padded to a multiple of 16 and rows to a multiple of 4 with
/// weight 0 (byte 0x15), which the report counts (ternaryKernelPackedBytes).
DenseElementsAttr mveChannelFields(PackedAttr packed) {
  int64_t n = packed.getN(), k = packed.getK();
  int64_t tiles = llvm::divideCeil(n, kMveRows);
  int64_t cols = llvm::alignTo(k, kMveLanes);
  SmallVector<int8_t> w = packed.unpack();
  std::vector<char> out(tiles * cols, char(0x15));
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col) {
      int64_t r = row % kMveRows;
      int weight = w[row * k + col];
      unsigned field = r < 3 ? unsigned(weight + 1) : unsigned(weight & 3);
      char &byte = out[row / kMveRows * cols + col];
      byte = char((uint8_t(byte) & ~(3u << (2 * r))) | field << (2 * r));
    }
  auto type = RankedTensorType::get({tiles, cols},
                                    IntegerType::get(packed.getContext(), 8));
  return DenseElementsAttr::getFromRawBuffer(type, out);
}

/// Cortex-M55 (MVE): the 4 channels of a tile share each byte
/// (mveChannelFields), so 16 bytes hold 64 weights and one activation
/// vector serves 4 channels. Per 16 columns, with b the bytes as int8 (c0 +
/// 4 c1 + 16 c2 + 64 w3), four vmladava.s8 add sum(b x), sum((b & 3) x) =
/// S0, sum((b & 12) x) = 4 S1 and sum((b >>s 6) x) = T3 to int32
/// accumulators (S = sum of codes times x, T = sum of weights times x);
/// after the loop S2 = (sum(b x) - S0 - 4 S1 - 64 T3) / 16, so row 2 is
/// never decoded: per 64 weights 2 loads, 2 ANDs, 1 shift and 4 vmladava,
/// unrolled 4 times. T = S - sum(x) for rows 0..2. The last columns (K mod
/// 16) take zeros for the activations past K. Sums are modulo 2^32 and
/// |16 S2| <= 4096 K, so any K below 2^19 is exact.
Value lowerVmladav(ImplicitLocOpBuilder &b, MatmulOp op, PackedAttr packed) {
  constexpr int64_t kUnroll = 4;
  Value input = op.getInput();
  int64_t numM = op.getInputType().getDimSize(0);
  int64_t numN = packed.getN(), numK = packed.getK();
  int64_t fullTiles = numN / kMveRows;
  int64_t fullVectors = numK / kMveLanes;
  Type i32 = b.getI32Type();
  Value weights =
      arith::ConstantOp::create(b, cast<TypedAttr>(mveChannelFields(packed)));

  Value sums = tokenSums(b, input);

  // The 4 sums of 16 columns from `col` (index) into acc: [b, b & 3, b &
  // 12, b >>s 6]; of the activations only the first `valid`.
  auto columns = [&](ImplicitLocOpBuilder &ib, SmallVector<Value> &acc,
                     Value tile, Value m, Value col, int64_t valid) {
    Value bytes = readVector(ib, weights, kMveLanes, {tile, col});
    Value x;
    if (valid == kMveLanes) {
      x = readVector(ib, input, kMveLanes, {m, col});
    } else {
      // Past K: zeros (once per tile and token, so element by element).
      SmallVector<Value> elements(
          kMveLanes, arith::ConstantIntOp::create(ib, ib.getI8Type(), 0));
      for (int64_t e = 0; e < valid; ++e)
        elements[e] = tensor::ExtractOp::create(
            ib, input,
            ValueRange{m, arith::AddIOp::create(ib, col, cIdx(ib, e))});
      x = vector::FromElementsOp::create(
          ib, VectorType::get({kMveLanes}, ib.getI8Type()), elements);
    }
    Value fields[4] = {
        bytes, arith::AndIOp::create(ib, bytes, splatI8(ib, kMveLanes, 3)),
        arith::AndIOp::create(ib, bytes, splatI8(ib, kMveLanes, 12)),
        arith::ShRSIOp::create(ib, bytes, splatI8(ib, kMveLanes, 6))};
    Value zero = cI32(ib, 0); // vmladava flags: signed, add, no exchange
    for (int64_t i = 0; i < 4; ++i)
      acc[i] = callIntrinsic(ib, i32, "llvm.arm.mve.vmldava.v16i8",
                             {zero, zero, zero, acc[i], fields[i], x});
  };

  // One tile of `rows` channels (4, or the remainder) and token m.
  auto tileToken = [&](ImplicitLocOpBuilder &ib, Value out, Value tile, Value m,
                       int64_t rows) -> Value {
    SmallVector<Value> acc(4, cI32(ib, 0));
    int64_t loops = fullVectors / kUnroll;
    if (loops > 0) {
      auto loop = scf::ForOp::create(
          ib, cIdx(ib, 0), cIdx(ib, loops * kUnroll * kMveLanes),
          cIdx(ib, kUnroll * kMveLanes), acc,
          [&](OpBuilder &lb2, Location loc, Value col, ValueRange accs) {
            ImplicitLocOpBuilder lb(loc, lb2);
            SmallVector<Value> a(accs.begin(), accs.end());
            for (int64_t u = 0; u < kUnroll; ++u)
              columns(lb, a, tile, m,
                      arith::AddIOp::create(lb, col, cIdx(lb, u * kMveLanes)),
                      kMveLanes);
            scf::YieldOp::create(lb, a);
          });
      acc.assign(loop.getResults().begin(), loop.getResults().end());
    }
    for (int64_t v = loops * kUnroll; v < fullVectors; ++v)
      columns(ib, acc, tile, m, cIdx(ib, v * kMveLanes), kMveLanes);
    if (numK % kMveLanes)
      columns(ib, acc, tile, m, cIdx(ib, fullVectors * kMveLanes),
              numK % kMveLanes);
    Value sumX = tensor::ExtractOp::create(ib, sums, m);
    Value s0 = acc[1];
    Value s1 = arith::ShRSIOp::create(ib, acc[2], cI32(ib, 2));
    Value t3 = acc[3];
    Value rest = arith::SubIOp::create(
        ib,
        arith::SubIOp::create(ib, arith::SubIOp::create(ib, acc[0], acc[1]),
                              acc[2]),
        arith::ShLIOp::create(ib, t3, cI32(ib, 6)));
    Value s2 = arith::ShRSIOp::create(ib, rest, cI32(ib, 4));
    Value results[4] = {arith::SubIOp::create(ib, s0, sumX),
                        arith::SubIOp::create(ib, s1, sumX),
                        arith::SubIOp::create(ib, s2, sumX), t3};
    Value first = arith::MulIOp::create(ib, tile, cIdx(ib, kMveRows));
    for (int64_t r = 0; r < rows; ++r)
      out = tensor::InsertOp::create(
          ib, results[r], out,
          ValueRange{m, arith::AddIOp::create(ib, first, cIdx(ib, r))});
    return out;
  };
  // Tokens inside: a tile's weights are read from memory once and from
  // the cache for the other tokens of a GEMM.
  auto tokens = [&](ImplicitLocOpBuilder &ib, Value out, Value tile,
                    int64_t rows) -> Value {
    return scf::ForOp::create(
               ib, cIdx(ib, 0), cIdx(ib, numM), cIdx(ib, 1), ValueRange{out},
               [&](OpBuilder &mb2, Location loc, Value m, ValueRange o) {
                 ImplicitLocOpBuilder mb(loc, mb2);
                 scf::YieldOp::create(mb, tileToken(mb, o[0], tile, m, rows));
               })
        .getResult(0);
  };
  Value out = tensor::EmptyOp::create(b, ArrayRef<int64_t>{numM, numN}, i32);
  if (fullTiles > 0)
    out = scf::ForOp::create(
              b, cIdx(b, 0), cIdx(b, fullTiles), cIdx(b, 1), ValueRange{out},
              [&](OpBuilder &tb2, Location loc, Value tile, ValueRange o) {
                ImplicitLocOpBuilder tb(loc, tb2);
                scf::YieldOp::create(tb, tokens(tb, o[0], tile, kMveRows));
              })
              .getResult(0);
  if (numN % kMveRows)
    out = tokens(b, out, cIdx(b, fullTiles), numN % kMveRows);
  return out;
}

/// The multiply-add kernels' loop nest (file comment) on i2 weights: the
/// int32 accumulator [M, N].
Value lowerMultiplyAdd(ImplicitLocOpBuilder &b, MatmulOp op, PackedAttr packed,
                       Value weights, TernaryKernel kernel, bool parallel) {
  Value input = op.getInput();
  int64_t numM = op.getInputType().getDimSize(0);
  int64_t numN = packed.getN(), numK = packed.getK();
  int64_t blocks = numK / kBlock;
  Value init =
      tensor::EmptyOp::create(b, ArrayRef<int64_t>{numM, numN}, b.getI32Type());
  // The sum of x over the full blocks of each token, subtracted from sums
  // of codes.
  Value sums;
  if (blocks > 0) {
    Value full = tensor::ExtractSliceOp::create(
        b, input, ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(numM),
                               b.getIndexAttr(blocks * kBlock)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    sums = tokenSums(b, full);
  }
  // The exact scalar tail k >= 128 * blocks of one (token, channel).
  auto addTail = [&](ImplicitLocOpBuilder &cb, Value acc, Value m, Value n) {
    if (numK % kBlock == 0)
      return acc;
    auto tail = scf::ForOp::create(
        cb, cIdx(cb, blocks * kBlock), cIdx(cb, numK), cIdx(cb, 1),
        ValueRange{acc},
        [&](OpBuilder &tb, Location tloc, Value k, ValueRange t) {
          ImplicitLocOpBuilder ib(tloc, tb);
          Value x = arith::ExtSIOp::create(
              ib, ib.getI32Type(),
              tensor::ExtractOp::create(ib, input, ValueRange{m, k}));
          // (k / 128) * 32 + k mod 32, as byteExpr.
          Value byteIndex = arith::AddIOp::create(
              ib,
              arith::MulIOp::create(
                  ib, arith::DivUIOp::create(ib, k, cIdx(ib, kBlock)),
                  cIdx(ib, kBlockBytes)),
              arith::RemUIOp::create(ib, k, cIdx(ib, 32)));
          Value byte =
              tensor::ExtractOp::create(ib, weights, ValueRange{n, byteIndex});
          Value w = decodeWeight(ib, Layout::I2, byte, k);
          scf::YieldOp::create(ib,
                               ValueRange{arith::AddIOp::create(
                                   ib, t[0], arith::MulIOp::create(ib, x, w))});
        });
    return tail.getResult(0);
  };

  // The x86 kernels prefetch their weights (prefetchRow), through the
  // buffer that bufferization will give the constant (tiles of one row one
  // line per 4 KiB of their stream, prefetchStream).
  Value buffer;
  if (kernel == TernaryKernel::Maddubs || kernel == TernaryKernel::Vpdpbusd) {
    auto type = cast<RankedTensorType>(weights.getType());
    buffer = bufferization::ToBufferOp::create(
        b, MemRefType::get(type.getShape(), type.getElementType()), weights,
        /*readOnly=*/true);
  }

  // The sums of codes times x over the full blocks for a tile of tokens
  // and channels, [token][row]: the DSP kernel takes 4 channels of one
  // token, the x86 kernels tokens of one channel (maddubs) or a tile of
  // tokens and channels (vpdpbusd), sdot 4 channels of one token (GEMV)
  // or of 2 or kSdotTokens (GEMM).
  auto blockSums = [&](ImplicitLocOpBuilder &cb, ArrayRef<Value> tokens,
                       ArrayRef<Value> rows) -> SmallVector<Value> {
    switch (kernel) {
    case TernaryKernel::Smlad:
      return smladRows(cb, input, weights, tokens[0], rows, blocks);
    case TernaryKernel::Maddubs:
      return maddubsTokens(cb, input, weights, buffer, tokens, rows[0], blocks);
    case TernaryKernel::Vpdpbusd:
      return vpdpbusdTile(cb, input, weights, buffer, tokens, rows, blocks);
    default:
      return sdotTile(cb, input, weights, tokens, rows, blocks);
    }
  };
  auto offsets = [](ImplicitLocOpBuilder &cb, Value first, int64_t count) {
    SmallVector<Value> values;
    for (int64_t i = 0; i < count; ++i)
      values.push_back(
          i == 0 ? first
                 : arith::AddIOp::create(cb, first, cIdx(cb, i)).getResult());
    return values;
  };

  // Tokens [first, last) in tiles of numTokens, for channels n..+numRows,
  // stored at column n - colBase of the result (colBase: a parallel
  // task's first channel, or none).
  Value colBase;
  auto tokenLoop = [&](ImplicitLocOpBuilder &rb, Value out, Value n,
                       int64_t numRows, int64_t first, int64_t last,
                       int64_t numTokens) -> Value {
    if (first >= last)
      return out;
    return scf::ForOp::create(
               rb, cIdx(rb, first), cIdx(rb, last), cIdx(rb, numTokens),
               ValueRange{out},
               [&](OpBuilder &cb2, Location cloc, Value m, ValueRange colAcc) {
                 ImplicitLocOpBuilder cb(cloc, cb2);
                 Value result = colAcc[0];
                 SmallVector<Value> tokens = offsets(cb, m, numTokens);
                 SmallVector<Value> rows = offsets(cb, n, numRows);
                 SmallVector<Value> accs(numTokens * numRows, cI32(cb, 0));
                 if (blocks > 0)
                   accs = blockSums(cb, tokens, rows);
                 for (int64_t t = 0; t < numTokens; ++t) {
                   Value sumX;
                   if (blocks > 0)
                     sumX = tensor::ExtractOp::create(cb, sums, tokens[t]);
                   for (int64_t r = 0; r < numRows; ++r) {
                     Value acc = accs[t * numRows + r];
                     if (sumX)
                       acc = arith::SubIOp::create(cb, acc, sumX);
                     acc = addTail(cb, acc, tokens[t], rows[r]);
                     Value col = rows[r];
                     if (colBase)
                       col = arith::SubIOp::create(cb, col, colBase);
                     result = tensor::InsertOp::create(
                         cb, acc, result, ValueRange{tokens[t], col});
                   }
                 }
                 scf::YieldOp::create(cb, result);
               })
        .getResult(0);
  };

  // Output channels outside, tokens inside: a row of packed weights is read
  // from memory once and from L1 for the other tokens of a GEMM.
  // vpdpbusd: 4 channels of 2 tokens (16 vpdpbusd chains, within the 32
  // zmm registers; the odd token left takes 4 channels of one); a GEMV one
  // channel, a sequential stream of weights (vpdpbusdTile).
  int64_t tileRows = kernel == TernaryKernel::Smlad ? 4 : 1;
  if (kernel == TernaryKernel::Vpdpbusd && numM > 1)
    tileRows = 4;
  if (kernel == TernaryKernel::Sdot)
    tileRows = kSdotRows;
  // sdot: 4 channels of 4 tokens (GEMM), then of 2, then of one.
  int64_t tileTokens = kernel == TernaryKernel::Maddubs    ? 4
                       : kernel == TernaryKernel::Vpdpbusd ? 2
                       : kernel == TernaryKernel::Sdot     ? kSdotTokens
                                                           : 1;
  auto channelLoop = [&](ImplicitLocOpBuilder &lb, Value out, Value first,
                         Value last, int64_t numRows) -> Value {
    return scf::ForOp::create(
               lb, first, last, cIdx(lb, numRows), ValueRange{out},
               [&](OpBuilder &ob, Location loc, Value n, ValueRange rowAcc) {
                 ImplicitLocOpBuilder rb(loc, ob);
                 int64_t tiled = numM / tileTokens * tileTokens;
                 Value result =
                     tokenLoop(rb, rowAcc[0], n, numRows, 0, tiled, tileTokens);
                 // sdot: 2 or 3 tokens left (or in all) take a tile of 2.
                 if (kernel == TernaryKernel::Sdot && numM - tiled >= 2) {
                   result =
                       tokenLoop(rb, result, n, numRows, tiled, tiled + 2, 2);
                   tiled += 2;
                 }
                 result = tokenLoop(rb, result, n, numRows, tiled, numM, 1);
                 scf::YieldOp::create(rb, result);
               })
        .getResult(0);
  };
  // Channels [first, last): tiles of tileRows, then the remainder.
  auto channels = [&](ImplicitLocOpBuilder &lb, Value out, Value firstValue,
                      int64_t count) -> Value {
    int64_t tiledCount = count / tileRows * tileRows;
    Value mid = arith::AddIOp::create(lb, firstValue, cIdx(lb, tiledCount));
    if (tiledCount > 0)
      out = channelLoop(lb, out, firstValue, mid, tileRows);
    if (tiledCount < count)
      out = channelLoop(lb, out, mid,
                        arith::AddIOp::create(lb, firstValue, cIdx(lb, count)),
                        1);
    return out;
  };

  // On CPUs, blocks of kTaskRows channels are independent tasks of the
  // parallel-for hook (docs/parallel.md): an scf.forall marked
  // sieve.parallel, each task writing its own columns; the rest of the
  // channels run after it.
  int64_t tasks = parallel && numN >= 2 * kTaskRows ? numN / kTaskRows : 0;
  Value out = init;
  if (tasks > 0) {
    auto forall =
        scf::ForallOp::create(b, ArrayRef<OpFoldResult>{b.getIndexAttr(tasks)},
                              ValueRange{init}, std::nullopt);
    forall->setAttr(kParallelLoop, b.getUnitAttr());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value first =
        arith::MulIOp::create(b, forall.getInductionVar(0), cIdx(b, kTaskRows));
    Value block = tensor::EmptyOp::create(b, ArrayRef<int64_t>{numM, kTaskRows},
                                          b.getI32Type());
    colBase = first;
    block = channels(b, block, first, kTaskRows);
    colBase = Value();
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        b, block, forall.getRegionIterArgs()[0],
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), first},
        ArrayRef<OpFoldResult>{b.getIndexAttr(numM), b.getIndexAttr(kTaskRows)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    out = forall.getResult(0);
  }
  int64_t done = tasks * kTaskRows;
  if (done < numN)
    out = channels(b, out, cIdx(b, done), numN - done);
  return out;
}

/// The lut kernel on a microcontroller: no table instruction, so tables in
/// SRAM. A t5 byte is the base-3 code of 5 weights, so it indexes a table
/// of the 243 partial sums of its 5 activations (int16: |sum| <= 640);
/// per byte and output channel one load of the byte, one of the table
/// entry and one add (about 0.6-0.7 instructions per weight). The tables
/// of a chunk of kLutGroups groups (3.9 KiB of scratch) are built once per
/// token and chunk and read by every channel; the int32 sums in the
/// result add at most 640 per byte, so any K below 2^24 is exact.
Value lowerLutMemory(ImplicitLocOpBuilder &b, MatmulOp op, PackedAttr packed,
                     Value weights) {
  constexpr int64_t kLutGroups = 8, kEntries = 243;
  Value input = op.getInput();
  int64_t numM = op.getInputType().getDimSize(0);
  int64_t numN = packed.getN(), numK = packed.getK();
  int64_t rowBytes = PackedAttr::getRowBytes(Layout::T5, numK);
  Type i16 = b.getI16Type(), i32 = b.getI32Type();
  Value out = zeroFilled(b, {numM, numN}, i32);

  // The activation at k as i32; 0 past K (t5 padding weights are 0 too,
  // so the value only has to be finite).
  auto activation = [&](ImplicitLocOpBuilder &ib, Value m, Value k) -> Value {
    if (numK % 5 == 0)
      return arith::ExtSIOp::create(
          ib, i32, tensor::ExtractOp::create(ib, input, ValueRange{m, k}));
    Value inside =
        arith::CmpIOp::create(ib, arith::CmpIPredicate::ult, k, cIdx(ib, numK));
    Value safe = arith::MinUIOp::create(ib, k, cIdx(ib, numK - 1));
    Value x = arith::ExtSIOp::create(
        ib, i32, tensor::ExtractOp::create(ib, input, ValueRange{m, safe}));
    return arith::SelectOp::create(ib, inside, x, cI32(ib, 0));
  };

  // One chunk of `groups` bytes per row starting at byte `first`.
  auto chunk = [&](ImplicitLocOpBuilder &cb, Value acc, Value m, Value first,
                   int64_t groups) -> Value {
    Value table = tensor::EmptyOp::create(
        cb, ArrayRef<int64_t>{kLutGroups * kEntries}, i16);
    table =
        scf::ForOp::create(
            cb, cIdx(cb, 0), cIdx(cb, groups), cIdx(cb, 1), ValueRange{table},
            [&](OpBuilder &ob, Location loc, Value g, ValueRange t) {
              ImplicitLocOpBuilder ib(loc, ob);
              Value k0 = arith::MulIOp::create(
                  ib, arith::AddIOp::create(ib, first, g), cIdx(ib, 5));
              // sums[e], e = d0 + 3 d1 + ... + 81 d4: digit i adds
              // (d_i - 1) * x_i. Depth first (d4 outermost), each partial
              // sum stored as soon as it is complete: few live values, so
              // nothing spills on a 13-register core.
              SmallVector<Value> xs;
              for (int64_t i = 0; i < 5; ++i)
                xs.push_back(activation(
                    ib, m, arith::AddIOp::create(ib, k0, cIdx(ib, i))));
              Value base = arith::MulIOp::create(ib, g, cIdx(ib, kEntries));
              Value result = t[0];
              std::function<void(int64_t, int64_t, Value)> fill =
                  [&](int64_t digit, int64_t e, Value partial) {
                    for (int64_t d = 0; d < 3; ++d) {
                      Value sum = partial;
                      if (d != 1) {
                        Value term = xs[digit];
                        if (!partial)
                          sum = d == 0 ? arith::SubIOp::create(ib, cI32(ib, 0),
                                                               term)
                                             .getResult()
                                       : term;
                        else if (d == 0)
                          sum = arith::SubIOp::create(ib, partial, term);
                        else
                          sum = arith::AddIOp::create(ib, partial, term);
                      }
                      int64_t index = e + d * int64_t(std::pow(3, digit));
                      if (digit > 0) {
                        fill(digit - 1, index, sum);
                        continue;
                      }
                      Value entry =
                          sum ? Value(arith::TruncIOp::create(ib, i16, sum))
                              : arith::ConstantIntOp::create(ib, i16, 0)
                                    .getResult();
                      result = tensor::InsertOp::create(
                          ib, entry, result,
                          ValueRange{arith::AddIOp::create(ib, base,
                                                           cIdx(ib, index))});
                    }
                  };
              fill(4, 0, Value());
              scf::YieldOp::create(ib, result);
            })
            .getResult(0);
    // Channels in tiles of 4 (they share each group's table address),
    // then one by one.
    auto rows = [&](Value acc, int64_t from, int64_t to,
                    int64_t tile) -> Value {
      if (from >= to)
        return acc;
      return scf::ForOp::create(
                 cb, cIdx(cb, from), cIdx(cb, to), cIdx(cb, tile),
                 ValueRange{acc},
                 [&](OpBuilder &ob, Location loc, Value n, ValueRange a) {
                   ImplicitLocOpBuilder ib(loc, ob);
                   SmallVector<Value> ns, sums;
                   for (int64_t r = 0; r < tile; ++r) {
                     ns.push_back(
                         r == 0 ? n
                                : arith::AddIOp::create(ib, n, cIdx(ib, r))
                                      .getResult());
                     sums.push_back(tensor::ExtractOp::create(
                         ib, a[0], ValueRange{m, ns[r]}));
                   }
                   // A loop over the groups (not unrolled): the group's
                   // table address is one induction pointer, and each
                   // lookup a load with a register offset.
                   auto groupLoop = scf::ForOp::create(
                       ib, cIdx(ib, 0), cIdx(ib, groups), cIdx(ib, 1), sums,
                       [&](OpBuilder &gb2, Location gloc, Value g,
                           ValueRange gs) {
                         ImplicitLocOpBuilder gb(gloc, gb2);
                         Value byteIndex = arith::AddIOp::create(gb, first, g);
                         Value tableBase =
                             arith::MulIOp::create(gb, g, cIdx(gb, kEntries));
                         SmallVector<Value> next;
                         for (int64_t r = 0; r < tile; ++r) {
                           Value byte = tensor::ExtractOp::create(
                               gb, weights, ValueRange{ns[r], byteIndex});
                           Value code = arith::IndexCastUIOp::create(
                               gb, gb.getIndexType(),
                               arith::ExtUIOp::create(gb, i32, byte));
                           Value entry = tensor::ExtractOp::create(
                               gb, table,
                               ValueRange{
                                   arith::AddIOp::create(gb, tableBase, code)});
                           next.push_back(arith::AddIOp::create(
                               gb, gs[r],
                               arith::ExtSIOp::create(gb, i32, entry)));
                         }
                         scf::YieldOp::create(gb, next);
                       });
                   sums.assign(groupLoop.getResults().begin(),
                               groupLoop.getResults().end());
                   Value result = a[0];
                   for (int64_t r = 0; r < tile; ++r)
                     result = tensor::InsertOp::create(ib, sums[r], result,
                                                       ValueRange{m, ns[r]});
                   scf::YieldOp::create(ib, result);
                 })
          .getResult(0);
    };
    int64_t tiled = numN / 4 * 4;
    return rows(rows(acc, 0, tiled, 4), tiled, numN, 1);
  };

  int64_t fullChunks = rowBytes / kLutGroups;
  int64_t tailGroups = rowBytes % kLutGroups;
  return scf::ForOp::create(
             b, cIdx(b, 0), cIdx(b, numM), cIdx(b, 1), ValueRange{out},
             [&](OpBuilder &ob, Location loc, Value m, ValueRange a) {
               ImplicitLocOpBuilder mb(loc, ob);
               Value acc = a[0];
               if (fullChunks > 0)
                 acc = scf::ForOp::create(
                           mb, cIdx(mb, 0), cIdx(mb, fullChunks * kLutGroups),
                           cIdx(mb, kLutGroups), ValueRange{acc},
                           [&](OpBuilder &cb2, Location cloc, Value first,
                               ValueRange ca) {
                             ImplicitLocOpBuilder cb(cloc, cb2);
                             scf::YieldOp::create(
                                 cb, chunk(cb, ca[0], m, first, kLutGroups));
                           })
                           .getResult(0);
               if (tailGroups > 0)
                 acc = chunk(mb, acc, m, cIdx(mb, fullChunks * kLutGroups),
                             tailGroups);
               scf::YieldOp::create(mb, acc);
             })
      .getResult(0);
}

/// The lut kernel on x86 (vpshufb, 32 lanes) and AArch64 (tbl, 16 lanes),
/// bitnet.cpp TL1-style: a pair of weights (codes d0, d1 in 0..2) is the
/// 4-bit index d0 + 3 d1 into the 9 partial sums of its two activations,
/// -256..256, an int16 kept as two byte planes (low, high) of a 16-byte
/// table. The lanes are L output channels: at compile time the i2 weights
/// are reordered into tiles of L channels, one byte per channel and 4
/// weights (low nibble: pair 2q, high: pair 2q + 1), the same 2 bits per
/// weight. Per byte vector: 4 lookups, 2 byte interleaves into int16 lanes,
/// 2 int16 adds for 4 L weights. An int16 lane adds at most 64 entries
/// (|sum| <= 16384) before it is widened into int32, so any int8 input and
/// any K is exact.
Value lowerLutShuffle(ImplicitLocOpBuilder &b, MatmulOp op, PackedAttr packed,
                      bool x86) {
  const int64_t lanes = x86 ? 32 : 16;
  constexpr int64_t kQuadsPerFlush = 32; // 64 table entries per int16 lane
  Value input = op.getInput();
  int64_t numM = op.getInputType().getDimSize(0);
  int64_t numN = packed.getN(), numK = packed.getK();
  int64_t quads = (numK + 3) / 4, pairs = 2 * quads;
  int64_t tiles = (numN + lanes - 1) / lanes;
  Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();

  // The reordered indices [tile][quad][lane]; channels past N and weights
  // past K are 0 (code 1).
  SmallVector<int8_t> w = packed.unpack();
  SmallVector<int8_t> index(tiles * quads * lanes);
  auto code = [&](int64_t n, int64_t k) -> int {
    return (n < numN && k < numK) ? w[n * numK + k] + 1 : 1;
  };
  for (int64_t t = 0; t < tiles; ++t)
    for (int64_t q = 0; q < quads; ++q)
      for (int64_t l = 0; l < lanes; ++l) {
        int64_t n = t * lanes + l, k = 4 * q;
        int lo = code(n, k) + 3 * code(n, k + 1);
        int hi = code(n, k + 2) + 3 * code(n, k + 3);
        index[(t * quads + q) * lanes + l] = int8_t(lo | hi << 4);
      }
  auto indexType = RankedTensorType::get({tiles, quads, lanes}, i8);
  Value indices = arith::ConstantOp::create(
      b, DenseElementsAttr::get(indexType, ArrayRef<int8_t>(index)));

  // Interleaving the low and high planes gives int16 lanes; on x86 as
  // vpunpcklbw / vpunpckhbw do it, per 128-bit half.
  auto v16 = VectorType::get({lanes}, i8);
  auto vHalf16 = VectorType::get({lanes / 2}, i16);
  auto vHalf32 = VectorType::get({lanes / 2}, i32);
  SmallVector<SmallVector<int64_t>> masks(2), channelOf(2);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t j = 0; j < lanes / 2; ++j) {
      int64_t lane = x86 ? (j / 8) * 16 + h * 8 + j % 8 : h * lanes / 2 + j;
      masks[h].push_back(lane);
      masks[h].push_back(lanes + lane);
      channelOf[h].push_back(lane);
    }

  Value out =
      tensor::EmptyOp::create(b, ArrayRef<int64_t>{numM, tiles * lanes}, i32);
  Value result =
      scf::ForOp::create(
          b, cIdx(b, 0), cIdx(b, numM), cIdx(b, 1), ValueRange{out},
          [&](OpBuilder &ob, Location loc, Value m, ValueRange a) {
            ImplicitLocOpBuilder mb(loc, ob);
            // Tables [pair][plane][lane] of this token (each 16-byte table
            // twice on x86, once per 128-bit half).
            Value tables = tensor::EmptyOp::create(
                mb, ArrayRef<int64_t>{pairs, 2, lanes}, i8);
            tables =
                scf::ForOp::create(
                    mb, cIdx(mb, 0), cIdx(mb, pairs), cIdx(mb, 1),
                    ValueRange{tables},
                    [&](OpBuilder &tb2, Location tloc, Value p, ValueRange t) {
                      ImplicitLocOpBuilder ib(tloc, tb2);
                      Value k0 = arith::MulIOp::create(ib, p, cIdx(ib, 2));
                      Value xs[2];
                      for (int64_t i = 0; i < 2; ++i) {
                        Value k = arith::AddIOp::create(ib, k0, cIdx(ib, i));
                        Value inside = arith::CmpIOp::create(
                            ib, arith::CmpIPredicate::ult, k, cIdx(ib, numK));
                        Value safe =
                            arith::MinUIOp::create(ib, k, cIdx(ib, numK - 1));
                        Value x = arith::ExtSIOp::create(
                            ib, i16,
                            tensor::ExtractOp::create(ib, input,
                                                      ValueRange{m, safe}));
                        xs[i] = arith::SelectOp::create(
                            ib, inside, x,
                            arith::ConstantIntOp::create(ib, i16, 0));
                      }
                      SmallVector<Value> low, high;
                      Value zero8 = arith::ConstantIntOp::create(ib, i8, 0);
                      for (int64_t e = 0; e < 16; ++e) {
                        if (e >= 9) {
                          low.push_back(zero8);
                          high.push_back(zero8);
                          continue;
                        }
                        Value v = arith::ConstantIntOp::create(ib, i16, 0);
                        for (int64_t i = 0; i < 2; ++i) {
                          int64_t d = i == 0 ? e % 3 : e / 3;
                          if (d == 0)
                            v = arith::SubIOp::create(ib, v, xs[i]);
                          else if (d == 2)
                            v = arith::AddIOp::create(ib, v, xs[i]);
                        }
                        low.push_back(arith::TruncIOp::create(ib, i8, v));
                        high.push_back(arith::TruncIOp::create(
                            ib, i8,
                            arith::ShRSIOp::create(
                                ib, v,
                                arith::ConstantIntOp::create(ib, i16, 8))));
                      }
                      Value result = t[0];
                      for (int64_t plane = 0; plane < 2; ++plane) {
                        SmallVector<Value> bytes = plane == 0 ? low : high;
                        if (x86)
                          bytes.append(SmallVector<Value>(bytes));
                        Value vec =
                            vector::FromElementsOp::create(ib, v16, bytes);
                        result =
                            vector::TransferWriteOp::create(
                                ib, vec, result,
                                ValueRange{p, cIdx(ib, plane), cIdx(ib, 0)},
                                ArrayRef<bool>{true})
                                .getResult();
                      }
                      scf::YieldOp::create(ib, result);
                    })
                    .getResult(0);

            Value outM =
                scf::ForOp::create(
                    mb, cIdx(mb, 0), cIdx(mb, tiles), cIdx(mb, 1),
                    ValueRange{a[0]},
                    [&](OpBuilder &tb2, Location tloc, Value tile,
                        ValueRange ta) {
                      ImplicitLocOpBuilder tb(tloc, tb2);
                      Value zero32 = arith::ConstantOp::create(
                          tb, tb.getZeroAttr(vHalf32));
                      Value zero16 = arith::ConstantOp::create(
                          tb, tb.getZeroAttr(vHalf16));
                      int64_t chunks =
                          (quads + kQuadsPerFlush - 1) / kQuadsPerFlush;
                      auto outer = scf::ForOp::create(
                          tb, cIdx(tb, 0), cIdx(tb, chunks), cIdx(tb, 1),
                          ValueRange{zero32, zero32},
                          [&](OpBuilder &cb2, Location cloc, Value c,
                              ValueRange acc32) {
                            ImplicitLocOpBuilder cb(cloc, cb2);
                            Value from = arith::MulIOp::create(
                                cb, c, cIdx(cb, kQuadsPerFlush));
                            Value to = arith::MinUIOp::create(
                                cb,
                                arith::AddIOp::create(cb, from,
                                                      cIdx(cb, kQuadsPerFlush)),
                                cIdx(cb, quads));
                            auto inner = scf::ForOp::create(
                                cb, from, to, cIdx(cb, 1),
                                ValueRange{zero16, zero16},
                                [&](OpBuilder &qb2, Location qloc, Value q,
                                    ValueRange acc16) {
                                  ImplicitLocOpBuilder qb(qloc, qb2);
                                  Value bytes =
                                      readVector(qb, indices, lanes,
                                                 {tile, q, cIdx(qb, 0)});
                                  Value nibbles[2] = {
                                      arith::AndIOp::create(
                                          qb, bytes, splatI8(qb, lanes, 15)),
                                      arith::ShRUIOp::create(
                                          qb, bytes, splatI8(qb, lanes, 4))};
                                  SmallVector<Value> acc(acc16.begin(),
                                                         acc16.end());
                                  for (int64_t s = 0; s < 2; ++s) {
                                    Value p = arith::AddIOp::create(
                                        qb,
                                        arith::MulIOp::create(qb, q,
                                                              cIdx(qb, 2)),
                                        cIdx(qb, s));
                                    Value looked[2];
                                    for (int64_t plane = 0; plane < 2;
                                         ++plane) {
                                      Value table = readVector(
                                          qb, tables, lanes,
                                          {p, cIdx(qb, plane), cIdx(qb, 0)});
                                      looked[plane] =
                                          x86 ? callIntrinsic(
                                                    qb, v16,
                                                    "llvm.x86.avx2.pshuf.b",
                                                    {table, nibbles[s]})
                                              : callIntrinsic(
                                                    qb, v16,
                                                    "llvm.aarch64.neon.tbl1."
                                                    "v16i8",
                                                    {table, nibbles[s]});
                                    }
                                    for (int64_t h = 0; h < 2; ++h) {
                                      Value mixed = vector::ShuffleOp::create(
                                          qb, looked[0], looked[1], masks[h]);
                                      Value wide = vector::BitCastOp::create(
                                          qb, vHalf16, mixed);
                                      acc[h] = arith::AddIOp::create(qb, acc[h],
                                                                     wide);
                                    }
                                  }
                                  scf::YieldOp::create(qb, acc);
                                });
                            SmallVector<Value> wide;
                            for (int64_t h = 0; h < 2; ++h)
                              wide.push_back(arith::AddIOp::create(
                                  cb, acc32[h],
                                  arith::ExtSIOp::create(cb, vHalf32,
                                                         inner.getResult(h))));
                            scf::YieldOp::create(cb, wide);
                          });
                      Value res = ta[0];
                      Value base =
                          arith::MulIOp::create(tb, tile, cIdx(tb, lanes));
                      for (int64_t h = 0; h < 2; ++h)
                        for (int64_t j = 0; j < lanes / 2; ++j)
                          res = tensor::InsertOp::create(
                              tb,
                              vector::ExtractOp::create(tb, outer.getResult(h),
                                                        ArrayRef<int64_t>{j}),
                              res,
                              ValueRange{
                                  m, arith::AddIOp::create(
                                         tb, base, cIdx(tb, channelOf[h][j]))});
                      scf::YieldOp::create(tb, res);
                    })
                    .getResult(0);
            scf::YieldOp::create(mb, outM);
          })
          .getResult(0);
  if (tiles * lanes == numN)
    return result;
  return tensor::ExtractSliceOp::create(
      b, result, ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(numM), b.getIndexAttr(numN)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

/// result = acc * scale[n] (/ input_scale[m]) as f32, or acc itself.
Value applyScales(ImplicitLocOpBuilder &b, MatmulOp op, Value acc) {
  if (!op.getScale())
    return acc;
  auto accType = cast<RankedTensorType>(acc.getType());
  int64_t m = accType.getDimSize(0), n = accType.getDimSize(1);
  ArrayRef<float> scales = *op.getScale();
  MLIRContext *ctx = b.getContext();
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx);
  SmallVector<Value> inputs = {acc};
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {dm, dn}, ctx)};
  if (scales.size() > 1) {
    inputs.push_back(arith::ConstantOp::create(
        b, DenseElementsAttr::get(RankedTensorType::get({n}, b.getF32Type()),
                                  scales)));
    maps.push_back(AffineMap::get(2, 0, {dn}, ctx));
  }
  if (Value inputScale = op.getInputScale()) {
    inputs.push_back(inputScale);
    maps.push_back(AffineMap::get(2, 0, {dm}, ctx));
  }
  maps.push_back(AffineMap::get(2, 0, {dm, dn}, ctx));
  Value init =
      tensor::EmptyOp::create(b, ArrayRef<int64_t>{m, n}, b.getF32Type());
  bool perChannel = scales.size() > 1;
  bool hasInputScale = bool(op.getInputScale());
  float single = scales[0];
  auto generic = linalg::GenericOp::create(
      b, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder ib(loc, nested);
        Value v = args[0];
        if (!isa<FloatType>(v.getType()))
          v = arith::SIToFPOp::create(ib, ib.getF32Type(), v);
        Value scale =
            perChannel
                ? args[1]
                : arith::ConstantOp::create(ib, ib.getF32FloatAttr(single))
                      .getResult();
        v = arith::MulFOp::create(ib, v, scale);
        if (hasInputScale)
          v = arith::DivFOp::create(ib, v, args[perChannel ? 2 : 1]);
        linalg::YieldOp::create(ib, v);
      });
  return generic.getResult(0);
}

/// BitNet's absmax quantisation as three linalg.generics (docs on the op).
void lowerQuantize(QuantizeAbsmaxOp op) {
  ImplicitLocOpBuilder b(op.getLoc(), op);
  auto inType = op.getInput().getType();
  int64_t m = inType.getDimSize(0), k = inType.getDimSize(1);
  MLIRContext *ctx = b.getContext();
  AffineExpr dm = getAffineDimExpr(0, ctx), dk = getAffineDimExpr(1, ctx);
  AffineMap full = AffineMap::get(2, 0, {dm, dk}, ctx);
  AffineMap row = AffineMap::get(2, 0, {dm}, ctx);
  Type f32 = b.getF32Type();
  auto cF = [&](ImplicitLocOpBuilder &ib, float v) -> Value {
    return arith::ConstantOp::create(ib, ib.getF32FloatAttr(v));
  };
  Value maxInit = zeroFilled(b, {m}, f32);
  Value absMax =
      linalg::GenericOp::create(
          b, TypeRange{maxInit.getType()}, ValueRange{op.getInput()},
          ValueRange{maxInit}, ArrayRef<AffineMap>{full, row},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::reduction},
          [&](OpBuilder &nested, Location loc, ValueRange args) {
            ImplicitLocOpBuilder ib(loc, nested);
            Value a = math::AbsFOp::create(ib, args[0]);
            linalg::YieldOp::create(
                ib, ValueRange{arith::MaximumFOp::create(ib, args[1], a)});
          })
          .getResult(0);
  AffineMap one = AffineMap::get(1, 0, {getAffineDimExpr(0, ctx)}, ctx);
  Value scaleInit = tensor::EmptyOp::create(b, ArrayRef<int64_t>{m}, f32);
  Value scale =
      linalg::GenericOp::create(
          b, TypeRange{scaleInit.getType()}, ValueRange{absMax},
          ValueRange{scaleInit}, ArrayRef<AffineMap>{one, one},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
          [&](OpBuilder &nested, Location loc, ValueRange args) {
            ImplicitLocOpBuilder ib(loc, nested);
            Value clamped =
                arith::MaximumFOp::create(ib, args[0], cF(ib, 1e-5f));
            linalg::YieldOp::create(ib, ValueRange{arith::DivFOp::create(
                                            ib, cF(ib, 127.0f), clamped)});
          })
          .getResult(0);
  // With `divide`, x / (max / 127) as the model writes it: the step is its
  // own per-token tensor, so q rounds exactly as in the model.
  Value factor = scale;
  if (op.getDivide())
    factor =
        linalg::GenericOp::create(
            b, TypeRange{scaleInit.getType()}, ValueRange{absMax},
            ValueRange{scaleInit}, ArrayRef<AffineMap>{one, one},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
            [&](OpBuilder &nested, Location loc, ValueRange args) {
              ImplicitLocOpBuilder ib(loc, nested);
              Value clamped =
                  arith::MaximumFOp::create(ib, args[0], cF(ib, 1e-5f));
              linalg::YieldOp::create(ib, ValueRange{arith::DivFOp::create(
                                              ib, clamped, cF(ib, 127.0f))});
            })
            .getResult(0);
  Value qInit =
      tensor::EmptyOp::create(b, ArrayRef<int64_t>{m, k}, b.getI8Type());
  Value q =
      linalg::GenericOp::create(
          b, TypeRange{qInit.getType()}, ValueRange{op.getInput(), factor},
          ValueRange{qInit}, ArrayRef<AffineMap>{full, row, full},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::parallel},
          [&](OpBuilder &nested, Location loc, ValueRange args) {
            ImplicitLocOpBuilder ib(loc, nested);
            Value v = op.getDivide()
                          ? Value(arith::DivFOp::create(ib, args[0], args[1]))
                          : Value(arith::MulFOp::create(ib, args[0], args[1]));
            // |v| <= 127 (up to rounding of the scale) and the clamp below
            // catches the rest; round half to even by adding and subtracting
            // 1.5 * 2^23, exact for |v| < 2^22, with no libm call on MCUs.
            v = arith::MinimumFOp::create(
                ib, arith::MaximumFOp::create(ib, v, cF(ib, -128.0f)),
                cF(ib, 127.0f));
            Value magic = cF(ib, 12582912.0f);
            v = arith::SubFOp::create(ib, arith::AddFOp::create(ib, v, magic),
                                      magic);
            linalg::YieldOp::create(
                ib, ValueRange{arith::FPToSIOp::create(ib, ib.getI8Type(), v)});
          })
          .getResult(0);
  op.getQuantized().replaceAllUsesWith(q);
  op.getScale().replaceAllUsesWith(scale);
  op.erase();
}

struct LowerTernaryPass final
    : sieve::tern::impl::LowerTernaryBase<LowerTernaryPass> {
  using Base::Base;

  void runOnOperation() override {
    const TargetInfo *info = lookupTarget(target);
    if (!info) {
      getOperation().emitError() << "unknown target '" << target << "'";
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls;
    getOperation().walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls)
      if (failed(lower(op, *info)))
        return signalPassFailure();
    SmallVector<QuantizeAbsmaxOp> quantizes;
    getOperation().walk([&](QuantizeAbsmaxOp op) { quantizes.push_back(op); });
    for (QuantizeAbsmaxOp op : quantizes)
      lowerQuantize(op);
  }

  LogicalResult lower(MatmulOp op, const TargetInfo &info) {
    auto packed = dyn_cast<PackedAttr>(op.getWeights());
    if (!packed || !op.getKernel())
      return op.emitOpError("has no packed weights and kernel: run "
                            "sieve-select-ternary-kernel first");
    std::optional<TernaryKernel> kernel = parseTernaryKernel(*op.getKernel());
    if (!kernel || !targetHasTernaryKernel(info, *kernel))
      return op.emitOpError("kernel '")
             << *op.getKernel() << "' needs "
             << (kernel ? getTernaryKernelNeed(*kernel) : "a known kernel")
             << ", which target '" << info.name << "' lacks";
    bool floatInput = isa<FloatType>(op.getInputType().getElementType());
    Layout reads =
        ternaryKernelReadsT5(info, *kernel) ? Layout::T5 : Layout::I2;
    if (*kernel != TernaryKernel::Portable &&
        (floatInput || packed.getLayout() != reads))
      return op.emitOpError("kernel '")
             << *op.getKernel() << "' reads int8 activations and "
             << stringifyLayout(reads) << " weights";

    ImplicitLocOpBuilder b(op.getLoc(), op);
    // The packed bytes, a constant: a read-only global after bufferization.
    bool shuffleLut = *kernel == TernaryKernel::Lut && !info.isMicrocontroller;
    Value weights;
    if (!shuffleLut && *kernel != TernaryKernel::Vmladav)
      weights = arith::ConstantOp::create(b, packed.getData());
    Value acc;
    if (*kernel == TernaryKernel::Portable)
      acc = lowerPortable(b, op, packed, weights);
    else if (*kernel == TernaryKernel::Lut && info.isMicrocontroller)
      acc = lowerLutMemory(b, op, packed, weights);
    else if (*kernel == TernaryKernel::Vmladav)
      acc = lowerVmladav(b, op, packed);
    else if (shuffleLut)
      acc = lowerLutShuffle(b, op, packed,
                            info.tableLookup == TableLookup::X86Pshufb);
    else
      acc = lowerMultiplyAdd(b, op, packed, weights, *kernel,
                             !info.isMicrocontroller);
    op.getResult().replaceAllUsesWith(applyScales(b, op, acc));
    op.erase();
    return success();
  }
};

} // namespace
