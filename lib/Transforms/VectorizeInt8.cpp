//===- VectorizeInt8.cpp - int8 convolutions to SIMD kernels --------------===//
//
// Part of Sieve. The int8 convolutions of TOSA models, after bufferization
// (inside sieve-fuse-into-rows' row loops), become register-blocked vector
// loops with the target's multiply-add instructions, reading weights that
// were repacked at compile time. The loops compute exactly the int32
// accumulators of the generic ones (int32 products and wrapping sums), so
// the requantising consumers that follow see the same values.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/Passes.h"

#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Int8Kernels.h"

#include "Int8KernelsArm.h"
#include "KernelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <map>

namespace sieve {
#define GEN_PASS_DEF_VECTORIZEINT8
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {

enum class Isa { Avx2, Avx512, Neon, Dsp, Mve };

/// Cortex-M (Int8KernelsArm.cpp) rather than this file's kernels.
bool isArm(Isa isa) { return isa == Isa::Dsp || isa == Isa::Mve; }

bool isX86(Isa isa) { return isa == Isa::Avx2 || isa == Isa::Avx512; }

/// What the kernels of one instruction set look like. A convolution step
/// multiplies `group` consecutive input channels, broadcast, by `lanes`
/// output channels whose weights sit next to each other; the register block
/// is `rows` output pixels by `blocks` vectors of output channels.
struct ConvShape {
  int64_t lanes, group, rows, blocks;
};

ConvShape convShape(Isa isa) {
  // AVX2: vpmaddwd adds the products of 2 int16 channels into 8 int32
  // lanes; 4 x 2 accumulators + 2 weights + 1 input of 16 ymm registers.
  // NEON: sdot adds 4 int8 products into 4 int32 lanes; 4 x 4 accumulators
  // + 4 weights + 4 inputs of 32 q registers.
  // AVX-512 VNNI: vpdpbusd adds 4 (unsigned x signed) byte products into
  // 16 int32 lanes; 6 x 2 accumulators of 32 zmm registers, the weights
  // read from memory.
  if (isa == Isa::Avx512)
    return ConvShape{16, 4, 6, 2};
  return isa == Isa::Avx2 ? ConvShape{8, 2, 4, 2} : ConvShape{4, 4, 4, 4};
}

// Depthwise: 8 channels per vector (int32 lanes: two q registers on NEON),
// 4 pixels by 2 vectors.
constexpr int64_t kDwLanes = 8, kDwRows = 4, kDwBlocks = 2;

// Depthwise on AVX-512 VNNI: 16 channels per zmm of int32 lanes, each lane's
// 4 bytes the inputs of up to 3 kernel rows at one column (vpdpbusd), a row
// of 8 output pixels per tile, so that a column's vector serves KW pixels.
constexpr int64_t kDwVnniLanes = 16, kDwVnniRows = 8, kDwVnniDepth = 3;

StringRef convKernelName(Isa isa) {
  if (isa == Isa::Avx512)
    return "avx512-vnni";
  return isa == Isa::Avx2 ? "avx2-pmaddwd" : "neon-sdot";
}
StringRef dwKernelName(Isa isa) {
  if (isa == Isa::Avx512)
    return "avx512-vnni-dw";
  return isa == Isa::Avx2 ? "avx2-dw" : "neon-dw";
}

/// A depthwise hwcm output's [N, OH, OW, C, 1] as [N, OH, OW, C]; other
/// outputs unchanged.
Value collapseMultiplier(OpBuilder &b, Location loc, Value v) {
  if (cast<MemRefType>(v.getType()).getRank() != 5)
    return v;
  return memref::CollapseShapeOp::create(
             b, loc, v,
             SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}})
      .getResult();
}

Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Static facts of one int8 convolution the kernels can take.
struct ConvInfo {
  bool depthwise = false;
  Value input, output;
  memref::GetGlobalOp weights;
  SmallVector<int8_t> w; // the constant weights, in the op's layout
  int64_t n, ih, iw, c, f, kh, kw, oh, ow, sh, sw;
  int64_t inputZp = 0;
};

/// What the kernel absorbs around the convolution: the initialisation of
/// its accumulators (a fill, or the bias broadcast along the channels),
/// folded into the corrections, and the requantising consumer, computed on
/// the accumulators in registers and stored as its result. Both ops go, and
/// with them the int32 buffer between them.
struct Fusion {
  Operation *init = nullptr;
  SmallVector<int64_t> bias; // per output channel, when init is set
  std::string biasKey;       // identifies the bias for sharing packed globals
  linalg::GenericOp requant;
  Value requantOutput; // its output, as [N, OH, OW, C]
};

std::optional<int64_t> constantInt(Value v) {
  APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return std::nullopt;
}

/// Fills `info` from `op`, or returns why the kernels do not apply.
std::string analyse(linalg::LinalgOp op, ConvInfo &info) {
  Operation *raw = op.getOperation();
  bool quantized =
      isa<linalg::Conv2DNhwcFhwcQOp, linalg::DepthwiseConv2DNhwcHwcQOp,
          linalg::DepthwiseConv2DNhwcHwcmQOp>(raw);
  info.depthwise =
      isa<linalg::DepthwiseConv2DNhwcHwcOp, linalg::DepthwiseConv2DNhwcHwcQOp,
          linalg::DepthwiseConv2DNhwcHwcmOp,
          linalg::DepthwiseConv2DNhwcHwcmQOp>(raw);
  if (!op.hasPureBufferSemantics())
    return "not on buffers";
  info.input = op.getDpsInputs()[0];
  Value filter = op.getDpsInputs()[1];
  info.output = op.getDpsInits()[0];
  auto inType = dyn_cast<MemRefType>(info.input.getType());
  auto wType = dyn_cast<MemRefType>(filter.getType());
  auto outType = dyn_cast<MemRefType>(info.output.getType());
  if (!inType || !wType || !outType || !inType.hasStaticShape() ||
      !wType.hasStaticShape() || !outType.hasStaticShape())
    return "dynamic shapes";
  if (!inType.getElementType().isInteger(8) ||
      !wType.getElementType().isInteger(8) ||
      !outType.getElementType().isInteger(32))
    return "not i8 x i8 -> i32";
  // The kernels read channels with vector loads: the innermost dimension
  // must be contiguous.
  for (MemRefType t : {inType, outType}) {
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(t.getStridesAndOffset(strides, offset)) || strides.back() != 1)
      return "channels not contiguous";
  }
  // What holds alike on tensors (sieve-plan-patches asks too) and here.
  if (std::string why = sieve::int8ConvUnsupported(op); !why.empty())
    return why;
  auto strides = cast<DenseIntElementsAttr>(raw->getAttr("strides"));
  info.sh = (*strides.begin()).getSExtValue();
  info.sw = (*std::next(strides.begin())).getSExtValue();
  if (quantized)
    info.inputZp = *constantInt(op.getDpsInputs()[2]);
  auto get = filter.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return "weights not constant";
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  if (!global || !global.getConstant())
    return "weights not constant";
  auto init = dyn_cast_or_null<DenseIntElementsAttr>(
      global.getInitialValue().value_or(Attribute()));
  if (!init)
    return "weights not constant";
  info.weights = get;
  for (APInt v : init.getValues<APInt>())
    info.w.push_back(int8_t(v.getSExtValue()));

  ArrayRef<int64_t> in = inType.getShape(), ws = wType.getShape(),
                    out = outType.getShape();
  info.n = in[0];
  info.ih = in[1];
  info.iw = in[2];
  info.c = in[3];
  info.oh = out[1];
  info.ow = out[2];
  if (info.depthwise) {
    // hwcm with a channel multiplier of one, or hwc.
    if (ws.size() == 4 && ws[3] != 1)
      return "channel multiplier above one";
    info.kh = ws[0];
    info.kw = ws[1];
    info.f = ws[2];
  } else {
    info.f = ws[0];
    info.kh = ws[1];
    info.kw = ws[2];
  }
  return "";
}

/// The accumulators' initialisation right before `op`: a fill with a
/// constant, or the bias (a constant 1-D global) broadcast along channels.
void matchInit(linalg::LinalgOp op, const ConvInfo &info, Fusion &fusion) {
  Operation *prev = op->getPrevNode();
  int64_t channels = info.depthwise ? info.c : info.f;
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(prev)) {
    std::optional<int64_t> v = constantInt(fill.getInputs()[0]);
    if (!fill.hasPureBufferSemantics() ||
        fill.getDpsInits()[0] != info.output || !v)
      return;
    fusion.init = fill;
    fusion.bias.assign(channels, *v);
    fusion.biasKey = "fill" + std::to_string(*v);
    return;
  }
  auto g = dyn_cast_or_null<linalg::GenericOp>(prev);
  if (!g || !g.hasPureBufferSemantics() || g.getNumDpsInputs() != 1 ||
      g.getNumDpsInits() != 1 || g.getDpsInits()[0] != info.output)
    return;
  Block *body = g.getBody();
  if (body->getOperations().size() != 1 ||
      body->getTerminator()->getOperand(0) != body->getArgument(0))
    return;
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  if (!maps[1].isIdentity() || maps[0].getNumResults() != 1 ||
      maps[0].getResult(0) != getAffineDimExpr(3, op.getContext()))
    return;
  auto get = g.getDpsInputs()[0].getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  auto init = global && global.getConstant()
                  ? dyn_cast_or_null<DenseIntElementsAttr>(
                        global.getInitialValue().value_or(Attribute()))
                  : DenseIntElementsAttr();
  if (!init || init.getNumElements() != channels ||
      !init.getElementType().isInteger(32))
    return;
  fusion.init = g;
  for (APInt v : init.getValues<APInt>())
    fusion.bias.push_back(v.getSExtValue());
  fusion.biasKey = global.getSymName().str();
}

/// The requantising consumer of the accumulators: the only other reader of
/// the convolution's own buffer, an elementwise generic of arith ops whose
/// other inputs are per channel or scalars, with only pure ops (views)
/// between the two.
void matchRequant(linalg::LinalgOp op, const ConvInfo &info, Fusion &fusion) {
  Value out = info.output;
  if (!out.getDefiningOp<memref::AllocOp>())
    return;
  linalg::GenericOp g;
  for (Operation *user : out.getUsers()) {
    if (user == op.getOperation() || user == fusion.init)
      continue;
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || g)
      return;
    g = generic;
  }
  if (!g || g->getBlock() != op->getBlock() || !op->isBeforeInBlock(g))
    return;
  for (Operation *between = op->getNextNode(); between != g.getOperation();
       between = between->getNextNode())
    if (!isPure(between))
      return;
  if (!g.hasPureBufferSemantics() || g.getNumDpsInits() != 1 ||
      g.getNumParallelLoops() != g.getNumLoops())
    return;
  MLIRContext *ctx = op.getContext();
  OpOperand *init = g.getDpsInitOperand(0);
  auto outType = cast<MemRefType>(out.getType());
  auto resultType = dyn_cast<MemRefType>(init->get().getType());
  if (!resultType || resultType.getShape() != outType.getShape() ||
      !g.getMatchingIndexingMap(init).isIdentity())
    return;
  int64_t channels = info.depthwise ? info.c : info.f;
  int accumulators = 0;
  for (OpOperand *input : g.getDpsInputOperands()) {
    AffineMap m = g.getMatchingIndexingMap(input);
    if (input->get() == out) {
      if (!m.isIdentity())
        return;
      ++accumulators;
      continue;
    }
    auto type = dyn_cast<MemRefType>(input->get().getType());
    if (!type || !type.getLayout().isIdentity())
      return;
    bool scalar = m.getNumResults() == 0 && type.getRank() == 0;
    // Per channel: (d3) over [C], or, for hwcm depthwise convolutions,
    // (d3, d4) over [C, 1].
    bool perChannel =
        (m.getNumResults() == 1 && m.getResult(0) == getAffineDimExpr(3, ctx) &&
         type.getRank() == 1 && type.getDimSize(0) == channels) ||
        (outType.getRank() == 5 && m.getNumResults() == 2 &&
         m.getResult(0) == getAffineDimExpr(3, ctx) &&
         m.getResult(1) == getAffineDimExpr(4, ctx) && type.getRank() == 2 &&
         type.getDimSize(0) == channels && type.getDimSize(1) == 1);
    if (!scalar && !perChannel)
      return;
  }
  if (accumulators != 1)
    return;
  Block *body = g.getBody();
  if (!body->getArgument(body->getNumArguments() - 1).use_empty())
    return;
  for (Operation &bodyOp : body->without_terminator())
    if (bodyOp.getDialect()->getNamespace() != "arith" ||
        bodyOp.getNumRegions() != 0 || bodyOp.getNumResults() == 0 ||
        isa<arith::ConstantOp>(bodyOp))
      return;
  fusion.requant = g;
}

bool isConstant(Value v, int64_t c) {
  std::optional<int64_t> x = constantInt(v);
  return x && *x == c;
}

/// TOSA's apply_scale as tosa-to-arith writes it with 64-bit arithmetic:
///   trunci((P + ((1 << s) >> 1) [+ adj]) >> s), P = extsi(v) * extsi(m),
/// where double rounding adds adj = (v >= 0 ? 2^30 : -2^30) when s > 31.
struct ApplyScale {
  Value value, multiplier; // i32, in the body
  Value shift;             // i8 or i32, in the body
  bool doubleRound = false;
  llvm::SmallPtrSet<Operation *, 16> ops; // the 64-bit ops it stands for
};

std::optional<ApplyScale> matchApplyScale(Operation *op) {
  auto trunc = dyn_cast<arith::TruncIOp>(op);
  if (!trunc || !trunc.getType().isInteger(32) ||
      !trunc.getIn().getType().isInteger(64))
    return std::nullopt;
  auto shr = trunc.getIn().getDefiningOp<arith::ShRSIOp>();
  auto s64 =
      shr ? shr.getRhs().getDefiningOp<arith::ExtUIOp>() : arith::ExtUIOp();
  // The shift: an i8 (or i32) zero-extended, as canonicalisation leaves it.
  if (!s64 || s64.getIn().getType().getIntOrFloatBitWidth() > 32)
    return std::nullopt;
  ApplyScale as;
  as.shift = s64.getIn();
  // P + ((1 << s) >> 1)
  auto matchRounded = [&](Value r) -> Operation * {
    auto sum = r.getDefiningOp<arith::AddIOp>();
    if (!sum)
      return nullptr;
    auto prod = sum.getLhs().getDefiningOp<arith::MulIOp>();
    auto half = sum.getRhs().getDefiningOp<arith::ShRUIOp>();
    if (!prod || !half || !isConstant(half.getRhs(), 1))
      return nullptr;
    auto one = half.getLhs().getDefiningOp<arith::ShLIOp>();
    if (!one || !isConstant(one.getLhs(), 1) || one.getRhs() != s64.getResult())
      return nullptr;
    auto ev = prod.getLhs().getDefiningOp<arith::ExtSIOp>();
    auto em = prod.getRhs().getDefiningOp<arith::ExtSIOp>();
    if (!ev || !em || !ev.getIn().getType().isInteger(32) ||
        !em.getIn().getType().isInteger(32))
      return nullptr;
    as.value = ev.getIn();
    as.multiplier = em.getIn();
    as.ops.insert({sum, prod, half, one, ev, em});
    return sum;
  };
  Value x = shr.getLhs();
  if (auto sel = x.getDefiningOp<arith::SelectOp>()) {
    auto big = sel.getCondition().getDefiningOp<arith::CmpIOp>();
    Operation *rounded = matchRounded(sel.getFalseValue());
    auto adjusted = sel.getTrueValue().getDefiningOp<arith::AddIOp>();
    if (!big || !rounded || !adjusted ||
        big.getPredicate() != arith::CmpIPredicate::sgt ||
        !isConstant(big.getRhs(), 31) ||
        adjusted.getRhs() != rounded->getResult(0))
      return std::nullopt;
    // s > 31 on the shift (or on it zero-extended to i32).
    Value bigShift = big.getLhs();
    if (auto ext = bigShift.getDefiningOp<arith::ExtUIOp>())
      bigShift = ext.getIn();
    if (bigShift != as.shift)
      return std::nullopt;
    auto adj = adjusted.getLhs().getDefiningOp<arith::SelectOp>();
    if (!adj || !isConstant(adj.getTrueValue(), 1 << 30) ||
        !isConstant(adj.getFalseValue(), -(1 << 30)))
      return std::nullopt;
    auto sign = adj.getCondition().getDefiningOp<arith::CmpIOp>();
    if (!sign || sign.getPredicate() != arith::CmpIPredicate::sge ||
        sign.getLhs() != as.value || !isConstant(sign.getRhs(), 0))
      return std::nullopt;
    as.doubleRound = true;
    as.ops.insert({sel, big, adjusted, adj, sign});
  } else if (!matchRounded(x)) {
    return std::nullopt;
  }
  as.ops.insert({trunc, shr, s64});
  // Only the result may be used outside: the rest is not computed.
  for (Operation *o : as.ops)
    if (o != trunc)
      for (Operation *user : o->getUsers())
        if (!as.ops.contains(user))
          return std::nullopt;
  return as;
}

/// The range of a requantisation's shifts, when they are constants.
struct ShiftRange {
  int64_t lo = 0, hi = 63;
};

ShiftRange shiftRange(linalg::GenericOp g, Value shift) {
  // The shifts are unsigned (zero-extended by the 64-bit lowering).
  ShiftRange range;
  auto fromAttr = [&](DenseIntElementsAttr values) {
    range = {63, 0};
    for (APInt x : values) {
      int64_t n = int64_t(x.getZExtValue());
      range.lo = std::min(range.lo, n);
      range.hi = std::max(range.hi, n);
    }
    if (range.lo > range.hi || range.hi > 63)
      range = ShiftRange();
  };
  if (std::optional<int64_t> n = constantInt(shift)) {
    uint64_t u = uint64_t(*n) &
                 ((uint64_t(1) << shift.getType().getIntOrFloatBitWidth()) - 1);
    if (u <= 63)
      range = {int64_t(u), int64_t(u)};
    return range;
  }
  auto arg = dyn_cast<BlockArgument>(shift);
  if (!arg || arg.getOwner() != g.getBody() ||
      arg.getArgNumber() >= g.getNumDpsInputs())
    return range;
  Value source = g.getDpsInputs()[arg.getArgNumber()];
  if (auto collapse = source.getDefiningOp<memref::CollapseShapeOp>())
    source = collapse.getSrc();
  auto get = source.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return range;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  if (!global || !global.getConstant())
    return range;
  if (auto values = dyn_cast_or_null<DenseIntElementsAttr>(
          global.getInitialValue().value_or(Attribute())))
    fromAttr(values);
  return range;
}

/// Whether NEON's apply_scale (KernelBuilder::applyScaleNeon) is exact for
/// `as` in `requant`: constant shifts all above 31, and constant multipliers
/// none of which is INT32_MIN (sq[r]dmulh saturates INT32_MIN^2 only).
bool neonScaleExact(linalg::GenericOp requant, const ApplyScale &as) {
  if (shiftRange(requant, as.shift).lo < 32)
    return false;
  if (std::optional<int64_t> m = constantInt(as.multiplier))
    return *m != INT32_MIN;
  // Per channel: a block argument read from a constant global.
  auto arg = dyn_cast<BlockArgument>(as.multiplier);
  if (!arg || arg.getOwner() != requant.getBody() ||
      arg.getArgNumber() >= requant.getNumDpsInputs())
    return false;
  Value source = requant.getDpsInputs()[arg.getArgNumber()];
  if (auto collapse = source.getDefiningOp<memref::CollapseShapeOp>())
    source = collapse.getSrc();
  auto get = source.getDefiningOp<memref::GetGlobalOp>();
  auto global = get ? SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
                          get, get.getNameAttr())
                    : memref::GlobalOp();
  if (!global || !global.getConstant())
    return false;
  auto values = dyn_cast_or_null<DenseIntElementsAttr>(
      global.getInitialValue().value_or(Attribute()));
  if (!values || !values.getElementType().isInteger(32))
    return false;
  return llvm::none_of(values,
                       [](const APInt &x) { return x.isMinSignedValue(); });
}

/// Whether an x86 convolution with few input channels (the 3-channel stem)
/// takes the window form: the KW taps of a row are KW x C consecutive bytes
/// of the input (the input's pixels are C bytes apart), so the kernel reduces
/// over them as over the channels of a 1-tap convolution: one 8-byte load and
/// in-lane shuffles for 4 channel pairs, and only the last pair of the KW x C
/// partial, instead of a partial pair (byte by byte) in every tap.
bool windowForm(const ConvInfo &info, Isa isa) {
  if (!isX86(isa) || info.depthwise || info.kw < 2 || info.c >= 8)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(cast<MemRefType>(info.input.getType())
                       .getStridesAndOffset(strides, offset)) &&
         strides[2] == info.c && strides[3] == 1;
}

/// `info` as the window form's 1-tap convolution: KW x C channels, and
/// weights [F][KH][KW][C], read as [F][KH][1][KW x C] (the same order).
ConvInfo windowInfo(const ConvInfo &info) {
  ConvInfo w = info;
  w.c = info.kw * info.c;
  w.kw = 1;
  return w;
}

/// The builder of the kernels of one op.
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc, Isa arch, const ConvInfo &info,
                const Fusion &fusion)
      : b(b), loc(loc), arch(arch), info(info), fusion(fusion) {}

  void buildConv(memref::GetGlobalOp packed, memref::GetGlobalOp corr);
  /// The window form (see windowForm): `info` describes the convolution as
  /// one tap wide with KW x C channels, read from `rows`, the input as
  /// [N, IH, IW x C], at column x C + channel.
  void setWindow(Value rows, int64_t channels) {
    windowRows = rows;
    windowChannels = channels;
  }
  void buildDepthwise(memref::GetGlobalOp packed, memref::GetGlobalOp corr,
                      Value output);

private:
  Value idx(int64_t v) { return cIdx(b, loc, v); }
  Value inputMem() { return windowRows ? windowRows : info.input; }
  SmallVector<Value> inputAt(Value n, Value row, Value col, Value c) {
    if (windowRows)
      return {n, row, add(mul(col, windowChannels), c)};
    return {n, row, col, c};
  }
  Value add(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value mul(Value a, int64_t c) {
    return c == 1 ? a : arith::MulIOp::create(b, loc, a, idx(c)).getResult();
  }
  Value callIntrinsic(Type result, StringRef name, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(b, loc, result, b.getStringAttr(name),
                                         args)
        .getResult(0);
  }
  /// A loop from 0 to `count` (step 1) carrying `init`; `body` returns the
  /// values to yield.
  SmallVector<Value>
  loop(int64_t count, ValueRange init,
       function_ref<SmallVector<Value>(Value, ValueRange)> body);
  /// The `group` input channels at (n, row, col, c), broadcast to the shape
  /// the multiply-add takes; `partial` reads the channels past the end as 0.
  Value inputGroup(Value n, Value row, Value col, Value c, int64_t group,
                   bool partial);
  Value madd(Value acc, Value x, Value w);
  /// Reads or writes `lanes` int32 of `mem` at `indices`; `partial` masks
  /// the lanes past the end of the last dimension.
  Value readAcc(Value mem, ValueRange indices, int64_t lanes, bool partial);
  void writeAcc(Value v, Value mem, ValueRange indices, bool partial);
  /// The accumulators' initial values: the output's plus the corrections,
  /// or the corrections alone when the initialisation was folded into them.
  Value initAcc(Value mem, ValueRange indices, Value corr, Value c,
                int64_t lanes, bool partial);
  /// Stores the finished accumulators: requantised by the fused consumer's
  /// body on vectors, or as they are.
  void finish(Value acc, Value mem, ArrayRef<Value> indices, bool partial);
  /// apply_scale on vectors of an even number of int32 lanes, in 64-bit
  /// lanes that each hold a pair (vpmuldq on the even and the odd ones),
  /// without widening or narrowing the vectors.
  Value applyScale(Value v, Value m, Value s, bool doubleRound,
                   ShiftRange range);
  /// apply_scale on NEON for shifts above 31 (neonScaleExact), in int32
  /// lanes: sq(r)dmulh, then a rounding shift (srshl).
  Value applyScaleNeon(Value v, Value m, Value s, bool doubleRound);

  void convTile(Value packed, Value corr, Value n, Value oh, Value ow0,
                int64_t rows, Value fb0, int64_t blocks, bool lastPartial);
  void dwTile(Value packed, Value corr, Value output, Value n, Value oh,
              Value ow0, int64_t rows, Value cb0, int64_t blocks,
              bool lastPartial);
  /// The AVX-512 VNNI depthwise tile: 16 channels per block.
  void dwTileVnni(Value packed, Value corr, Value output, Value n, Value oh,
                  Value ow0, int64_t rows, Value cb0, int64_t blocks,
                  bool lastPartial);
  /// Tiles the output (rows of `rowsPerTile` pixels by `blocksPerTile`
  /// channel blocks of `lanes`), with static remainder tiles.
  void tileOutput(
      int64_t lanes, int64_t rowsPerTile, int64_t blocksPerTile,
      int64_t channels,
      function_ref<void(Value, Value, Value, int64_t, Value, int64_t, bool)>
          tile);

  OpBuilder &b;
  Location loc;
  Isa arch;
  const ConvInfo &info;
  const Fusion &fusion;
  Value windowRows;
  int64_t windowChannels = 0;
};

SmallVector<Value>
KernelBuilder::loop(int64_t count, ValueRange init,
                    function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  return sieve::buildCountedLoop(b, loc, count, init, body);
}

Value KernelBuilder::inputGroup(Value n, Value row, Value col, Value c,
                                int64_t group, bool partial) {
  auto i8Vec = VectorType::get({group}, b.getI8Type());
  Value x;
  if (partial) {
    // The last channels (C % group of them, statically), one by one: a
    // masked byte load would be scalarised anyway (AVX2 masks 32-bit lanes).
    SmallVector<Value> elements;
    for (int64_t e = 0; e < group; ++e)
      elements.push_back(
          e < info.c % group
              ? memref::LoadOp::create(b, loc, inputMem(),
                                       inputAt(n, row, col, add(c, idx(e))))
                    .getResult()
              : arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0)
                    .getResult());
    x = vector::FromElementsOp::create(b, loc, i8Vec, elements);
  } else {
    x = vector::LoadOp::create(b, loc, i8Vec, inputMem(),
                               inputAt(n, row, col, c));
  }
  auto i32 = b.getI32Type();
  if (arch == Isa::Avx2) {
    // (x0, x1) as int16, one int32 broadcast to the 8 lanes of vpmaddwd.
    auto pair =
        arith::ExtSIOp::create(b, loc, VectorType::get({2}, b.getI16Type()), x);
    Value word =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), pair);
    Value scalar =
        vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    Value splat =
        vector::BroadcastOp::create(b, loc, VectorType::get({8}, i32), scalar);
    return vector::BitCastOp::create(
        b, loc, VectorType::get({16}, b.getI16Type()), splat);
  }
  if (arch == Isa::Avx512) {
    // (x0..x3) as one int32 broadcast to the 16 lanes of vpdpbusd, made
    // unsigned (x + 128, the sign bit flipped): the corrections subtract
    // 128 times the weights' sum.
    Value word =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), x);
    Value scalar =
        vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    auto type = VectorType::get({16}, i32);
    Value splat = vector::BroadcastOp::create(b, loc, type, scalar);
    Value flip = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type, ArrayRef<APInt>(APInt(32, 0x80808080))));
    return arith::XOrIOp::create(b, loc, splat, flip);
  }
  // (x0..x3) as one int32 broadcast to the 4 lanes of sdot.
  Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), x);
  Value scalar = vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
  Value splat =
      vector::BroadcastOp::create(b, loc, VectorType::get({4}, i32), scalar);
  return vector::BitCastOp::create(b, loc, VectorType::get({16}, b.getI8Type()),
                                   splat);
}

Value KernelBuilder::madd(Value acc, Value x, Value w) {
  // int16 pairs (AVX2, and the depthwise kernel on AVX-512): vpmaddwd.
  if (arch == Isa::Avx2 ||
      cast<VectorType>(x.getType()).getElementType().isInteger(16)) {
    Value prod = callIntrinsic(VectorType::get({8}, b.getI32Type()),
                               "llvm.x86.avx2.pmadd.wd", {x, w});
    return add(acc, prod);
  }
  if (arch == Isa::Avx512)
    return callIntrinsic(acc.getType(), "llvm.x86.avx512.vpdpbusd.512",
                         {acc,
                          vector::BitCastOp::create(
                              b, loc, VectorType::get({64}, b.getI8Type()), x),
                          w});
  return callIntrinsic(acc.getType(), "llvm.aarch64.neon.sdot.v4i32.v16i8",
                       {acc, w, x});
}

Value KernelBuilder::readAcc(Value mem, ValueRange indices, int64_t lanes,
                             bool partial) {
  auto type = VectorType::get({lanes}, b.getI32Type());
  if (!partial)
    return vector::LoadOp::create(b, loc, type, mem, indices);
  Value pad = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
  return vector::TransferReadOp::create(b, loc, type, mem, indices, pad,
                                        ArrayRef<bool>{false});
}

void KernelBuilder::writeAcc(Value v, Value mem, ValueRange indices,
                             bool partial) {
  if (!partial) {
    vector::StoreOp::create(b, loc, v, mem, indices);
    return;
  }
  // One channel left (partial is the last block, whose lanes past the end
  // are masked): its scalar. LLVM 22's X86 backend with AVX-512 turns a
  // masked store with a single constant lane of a truncated vector (the
  // requantised int8) into a store of the untruncated lane, 4 bytes where
  // 1 was asked (trunc <8 x i32> to <8 x i8> + llvm.masked.store with mask
  // <1, 0, ...> gives vmovd), clobbering the next 3 channels.
  auto type = cast<VectorType>(v.getType());
  int64_t channels = cast<MemRefType>(mem.getType()).getShape().back();
  if (!ShapedType::isDynamic(channels) &&
      channels % type.getNumElements() == 1) {
    Value lane = vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
    memref::StoreOp::create(b, loc, lane, mem, indices);
    return;
  }
  vector::TransferWriteOp::create(b, loc, v, mem, indices,
                                  ArrayRef<bool>{false});
}

Value KernelBuilder::initAcc(Value mem, ValueRange indices, Value corr, Value c,
                             int64_t lanes, bool partial) {
  auto type = VectorType::get({lanes}, b.getI32Type());
  Value correction = vector::LoadOp::create(b, loc, type, corr, c);
  if (fusion.init)
    return correction;
  return add(readAcc(mem, indices, lanes, partial), correction);
}

void KernelBuilder::finish(Value acc, Value mem, ArrayRef<Value> indices,
                           bool partial) {
  if (!fusion.requant) {
    writeAcc(acc, mem, indices, partial);
    return;
  }
  // The consumer's body, op by op on vectors of the accumulator's lanes.
  int64_t lanes = cast<VectorType>(acc.getType()).getNumElements();
  auto vectorOf = [&](Type t) { return VectorType::get({lanes}, t); };
  linalg::GenericOp g = fusion.requant;
  Block *body = g.getBody();
  IRMapping map;
  Value channel = indices[3];
  for (OpOperand *input : g.getDpsInputOperands()) {
    BlockArgument arg = body->getArgument(input->getOperandNumber());
    Value v = input->get();
    if (v == info.output || v == mem) {
      map.map(arg, acc);
      continue;
    }
    AffineMap m = g.getMatchingIndexingMap(input);
    Type t = arg.getType();
    if (m.getNumResults() == 0) {
      Value scalar = memref::LoadOp::create(b, loc, v, ValueRange{});
      map.map(arg, vector::BroadcastOp::create(b, loc, vectorOf(t), scalar));
      continue;
    }
    // Per channel: (d3) over [C], or (d3, d4) over [C, 1] (checked by
    // matchRequant).
    if (cast<MemRefType>(v.getType()).getRank() == 2)
      v = memref::CollapseShapeOp::create(
          b, loc, v, SmallVector<ReassociationIndices>{{0, 1}});
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(t));
    map.map(arg, partial ? vector::TransferReadOp::create(
                               b, loc, vectorOf(t), v, ValueRange{channel}, pad,
                               ArrayRef<bool>{false})
                               .getResult()
                         : vector::LoadOp::create(b, loc, vectorOf(t), v,
                                                  ValueRange{channel})
                               .getResult());
  }
  auto lookup = [&](Value v) {
    Value mapped = map.lookupOrNull(v);
    if (mapped)
      return mapped;
    // Values from outside the body (constants) are broadcast.
    mapped = vector::BroadcastOp::create(b, loc, vectorOf(v.getType()), v);
    map.map(v, mapped);
    return mapped;
  };
  // x86: each apply_scale in 32-bit lanes paired in 64-bit ones, not in
  // vectors of int64 (twice the registers, plus the widening and narrowing
  // shuffles).
  llvm::SmallPtrSet<Operation *, 32> replaced;
  std::map<Operation *, ApplyScale> scales;
  // NEON: in int32 lanes too, where sq(r)dmulh is exact.
  bool neon = arch == Isa::Neon && lanes % 4 == 0;
  if ((isX86(arch) && lanes % 2 == 0) || neon)
    for (Operation &op : body->without_terminator())
      if (std::optional<ApplyScale> as = matchApplyScale(&op)) {
        if (neon && !neonScaleExact(g, *as))
          continue;
        replaced.insert(as->ops.begin(), as->ops.end());
        scales[&op] = *as;
      }
  for (Operation &op : body->without_terminator()) {
    if (replaced.contains(&op)) {
      auto it = scales.find(&op);
      if (it != scales.end())
        map.map(
            op.getResult(0),
            neon ? applyScaleNeon(
                       lookup(it->second.value), lookup(it->second.multiplier),
                       lookup(it->second.shift), it->second.doubleRound)
                 : applyScale(lookup(it->second.value),
                              lookup(it->second.multiplier),
                              lookup(it->second.shift), it->second.doubleRound,
                              shiftRange(g, it->second.shift)));
      continue;
    }
    for (Value operand : op.getOperands())
      lookup(operand);
    // Elementwise arith ops: the same op (attributes, properties) on vectors.
    Operation *clone = b.clone(op, map);
    for (OpResult r : clone->getResults())
      r.setType(vectorOf(r.getType()));
  }
  Value result = lookup(body->getTerminator()->getOperand(0));
  writeAcc(result, fusion.requantOutput, indices, partial);
}

Value KernelBuilder::applyScale(Value v, Value m, Value s, bool doubleRound,
                                ShiftRange range) {
  // Per lane t = v * m + r, r = (1 << s) >> 1 (+ 2^30, or - 2^30 when
  // v < 0, if double rounding and s > 31), exactly as the 64-bit lowering,
  // then the low 32 bits of t >> s (arithmetic) without 64-bit arithmetic
  // shifts (AVX2 has none): for s <= 32 they are bits s..s+31 of t, the
  // high word of t << (32 - s); for s >= 32, t's high word is
  // floor(t / 2^32), and a 32-bit arithmetic shift by s - 32 (vpsravd)
  // finishes floor(t / 2^s), which fits in 32 bits. The even lanes' values
  // sit in the low words of the 64-bit pairs, the odd ones' are moved there
  // by a logical shift, so that each product is one vpmuldq.
  int64_t lanes = cast<VectorType>(v.getType()).getNumElements();
  auto pairs = VectorType::get({lanes / 2}, b.getI64Type());
  auto words = cast<VectorType>(v.getType());
  if (!cast<VectorType>(s.getType()).getElementType().isInteger(32))
    s = arith::ExtUIOp::create(b, loc, v.getType(), s);
  auto c = [&](int64_t value) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(pairs, ArrayRef<APInt>(APInt(64, value, true))));
  };
  auto splat32 = [&](int64_t value) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(words, ArrayRef<APInt>(APInt(32, value, true))));
  };
  auto asPairs = [&](Value x) -> Value {
    return vector::BitCastOp::create(b, loc, pairs, x);
  };
  auto asWords = [&](Value x) -> Value {
    return vector::BitCastOp::create(b, loc, words, x);
  };
  auto shl = [&](Value x, Value n) -> Value {
    return arith::ShLIOp::create(b, loc, x, n);
  };
  auto sra = [&](Value x, Value n) -> Value {
    return arith::ShRSIOp::create(b, loc, x, n);
  };
  auto srl = [&](Value x, Value n) -> Value {
    return arith::ShRUIOp::create(b, loc, x, n);
  };
  auto andi = [&](Value x, Value y) -> Value {
    return arith::AndIOp::create(b, loc, x, y);
  };
  auto sub = [&](Value x, Value y) -> Value {
    return arith::SubIOp::create(b, loc, x, y);
  };
  Value c32 = c(32);
  // The 32-bit values of the even (odd) lanes in the low words of the pairs.
  Value V = asPairs(v), M = asPairs(m), S = asPairs(s);
  SmallVector<int64_t> oddDown;
  for (int64_t l = 0; l < lanes; ++l)
    oddDown.push_back(l | 1);
  auto down = [&](Value x) -> Value {
    return asPairs(vector::ShuffleOp::create(b, loc, x, x, oddDown));
  };
  Value Vodd = down(v), Modd = down(m), Sodd = srl(S, c32);
  Value Seven = andi(S, c(0xffffffff));
  // The low words' product: vpmuldq, LLVM's lowering of a product of
  // sign-extended low words. (The odd lanes come down by a shuffle, not a
  // 64-bit shift, which LLVM would fold with the sign extension into an
  // arithmetic 64-bit shift that AVX2 lacks, and then multiply in three
  // vpmuludq.)
  auto mulLow = [&](Value x, Value y) -> Value {
    auto sext = [&](Value z) { return sra(shl(z, c32), c32); };
    return arith::MulIOp::create(b, loc, sext(x), sext(y));
  };
  bool allBig = range.lo > 31, noneBig = range.hi <= 31;
  auto sum = [&](Value x, Value y, Value n) {
    Value t = add(mulLow(x, y), srl(shl(c(1), n), c(1)));
    if (!doubleRound || noneBig)
      return t;
    // + 2^30 - 2^31 [v < 0] when s > 31; v's sign bit is bit 31 of x.
    if (allBig)
      return sub(add(t, c(1 << 30)), andi(x, c(int64_t(1) << 31)));
    Value big =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, n, c(31));
    Value up = arith::SelectOp::create(b, loc, big, c(1 << 30), c(0));
    Value sign =
        arith::SelectOp::create(b, loc, big, c(int64_t(1) << 31), c(0));
    return sub(add(t, up), andi(x, sign));
  };
  Value even = sum(V, M, Seven), odd = sum(Vodd, Modd, Sodd);
  // The result's low words at the even (odd) positions: blended (vpblendd).
  SmallVector<int64_t> blend;
  for (int64_t l = 0; l < lanes; ++l)
    blend.push_back(l % 2 ? lanes + l : l);
  auto join = [&](Value e, Value o) -> Value {
    return vector::ShuffleOp::create(b, loc, asWords(e), asWords(o), blend);
  };
  if (allBig) {
    // floor(t / 2^32): the high words; then the rest of the shift.
    Value low = join(srl(even, c32), odd);
    if (range.lo == 32 && range.hi == 32)
      return low;
    Value rest =
        range.lo == range.hi ? splat32(range.lo - 32) : sub(s, splat32(32));
    return sra(low, rest);
  }
  if (range.hi <= 32) {
    // Bits s..s+31: the even lanes' shifted down to the low word, the odd
    // ones' up to the high word (t << (32 - s)).
    return join(srl(even, Seven), shl(odd, sub(c32, Sodd)));
  }
  // Shifts on both sides of 32.
  Value low =
      join(srl(even, arith::MinUIOp::create(b, loc, Seven, c32)),
           shl(srl(odd, arith::MinUIOp::create(b, loc, Sodd, c32)), c32));
  Value rest = arith::MaxSIOp::create(b, loc, sub(s, splat32(32)), splat32(0));
  return sra(low, rest);
}

Value KernelBuilder::applyScaleNeon(Value v, Value m, Value s,
                                    bool doubleRound) {
  // With P = v * m and k = s - 31 >= 1, TOSA's floor((P + r) / 2^s) is
  // floor((y + 2^(k-1)) / 2^k) with y = floor((P + a) / 2^31), a the part
  // of r below 2^31 (the rest of r, 2^(s-1), is 2^(k-1) times 2^31): that
  // is srshl(y, -k). Single rounding: a = 0, y = sqdmulh(v, m). Double
  // rounding: a = +-2^30 by v's sign, y = sqrdmulh(v, m) (which adds
  // +2^30), minus 1 when v < 0 (v >> 31).
  int64_t lanes = cast<VectorType>(v.getType()).getNumElements();
  auto i32 = b.getI32Type();
  auto quad = VectorType::get({4}, i32);
  if (!cast<VectorType>(s.getType()).getElementType().isInteger(32))
    s = arith::ExtUIOp::create(b, loc, v.getType(), s);
  auto splat = [&](VectorType type, int64_t value) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type, ArrayRef<APInt>(APInt(32, value, true))));
  };
  Value negK = arith::SubIOp::create(
      b, loc, splat(cast<VectorType>(v.getType()), 31), s);
  // The intrinsics take one q register: 4 lanes at a time.
  Value result = splat(cast<VectorType>(v.getType()), 0);
  for (int64_t q = 0; q < lanes; q += 4) {
    auto part = [&](Value x) -> Value {
      if (lanes == 4)
        return x;
      return vector::ExtractStridedSliceOp::create(
          b, loc, x, ArrayRef<int64_t>{q}, ArrayRef<int64_t>{4},
          ArrayRef<int64_t>{1});
    };
    Value vq = part(v);
    Value y = callIntrinsic(quad,
                            doubleRound ? "llvm.aarch64.neon.sqrdmulh.v4i32"
                                        : "llvm.aarch64.neon.sqdmulh.v4i32",
                            {vq, part(m)});
    if (doubleRound)
      y = add(y, arith::ShRSIOp::create(b, loc, vq, splat(quad, 31)));
    Value r =
        callIntrinsic(quad, "llvm.aarch64.neon.srshl.v4i32", {y, part(negK)});
    if (lanes == 4)
      return r;
    result = vector::InsertStridedSliceOp::create(
        b, loc, r, result, ArrayRef<int64_t>{q}, ArrayRef<int64_t>{1});
  }
  return result;
}

void KernelBuilder::tileOutput(
    int64_t lanes, int64_t rowsPerTile, int64_t blocksPerTile, int64_t channels,
    function_ref<void(Value, Value, Value, int64_t, Value, int64_t, bool)>
        tile) {
  int64_t fullBlocks = channels / lanes;
  int64_t blockTiles = fullBlocks / blocksPerTile;
  // The blocks after the full tiles, the last one partial when the channels
  // are not a multiple of the lanes: at most blocksPerTile of them.
  int64_t restBlocks = fullBlocks % blocksPerTile + (channels % lanes ? 1 : 0);
  bool restPartial = channels % lanes != 0;
  int64_t pixelTiles = info.ow / rowsPerTile,
          restPixels = info.ow % rowsPerTile;
  auto overPixels = [&](Value n, Value oh, Value fb0, int64_t blocks,
                        bool partial) {
    loop(pixelTiles, {}, [&](Value t, ValueRange) {
      tile(n, oh, mul(t, rowsPerTile), rowsPerTile, fb0, blocks, partial);
      return SmallVector<Value>();
    });
    if (restPixels)
      tile(n, oh, idx(pixelTiles * rowsPerTile), restPixels, fb0, blocks,
           partial);
  };
  loop(info.n, {}, [&](Value n, ValueRange) {
    loop(info.oh, {}, [&](Value oh, ValueRange) {
      if (blockTiles)
        loop(blockTiles, {}, [&](Value bt, ValueRange) {
          overPixels(n, oh, mul(bt, blocksPerTile), blocksPerTile, false);
          return SmallVector<Value>();
        });
      if (restBlocks)
        overPixels(n, oh, idx(blockTiles * blocksPerTile), restBlocks,
                   restPartial);
      return SmallVector<Value>();
    });
    return SmallVector<Value>();
  });
}

void KernelBuilder::convTile(Value packed, Value corr, Value n, Value oh,
                             Value ow0, int64_t rows, Value fb0, int64_t blocks,
                             bool lastPartial) {
  ConvShape shape = convShape(arch);
  int64_t lanes = shape.lanes, group = shape.group;
  int64_t fullGroups = info.c / group;
  bool restGroup = info.c % group != 0;
  // Accumulators: the output (bias already there) plus the zero-point
  // correction.
  SmallVector<Value> fbs, ows;
  for (int64_t j = 0; j < blocks; ++j)
    fbs.push_back(add(fb0, idx(j)));
  for (int64_t i = 0; i < rows; ++i)
    ows.push_back(add(ow0, idx(i)));
  SmallVector<Value> acc;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < blocks; ++j) {
      Value f = mul(fbs[j], lanes);
      bool partial = lastPartial && j == blocks - 1;
      acc.push_back(
          initAcc(info.output, {n, oh, ows[i], f}, corr, f, lanes, partial));
    }
  auto wVecType = VectorType::get({lanes * group}, b.getI8Type());
  auto step = [&](Value kh, Value kw, Value g, ValueRange in, bool partial) {
    SmallVector<Value> ws;
    for (int64_t j = 0; j < blocks; ++j) {
      Value w = vector::LoadOp::create(b, loc, wVecType, packed,
                                       ValueRange{fbs[j], kh, kw, g, idx(0)});
      if (arch == Isa::Avx2)
        w = arith::ExtSIOp::create(
            b, loc, VectorType::get({lanes * group}, b.getI16Type()), w);
      ws.push_back(w);
    }
    SmallVector<Value> next(in.begin(), in.end());
    Value row = add(mul(oh, info.sh), kh);
    Value c = mul(g, group);
    for (int64_t i = 0; i < rows; ++i) {
      Value col = add(mul(ows[i], info.sw), kw);
      Value x = inputGroup(n, row, col, c, group, partial);
      for (int64_t j = 0; j < blocks; ++j)
        next[i * blocks + j] = madd(next[i * blocks + j], x, ws[j]);
    }
    return next;
  };
  // x86: 8 input channels per load (into both 128-bit halves: vpbroadcastq)
  // and sign extension, their 4 pairs then broadcast by in-lane shuffles
  // (vpshufd with an immediate), instead of a load, an extension and a
  // broadcast per pair; a cross-lane vpermd would take an index vector per
  // pair out of the 16 registers.
  int64_t chunks = arch == Isa::Avx2 ? info.c / 8 : 0;
  auto stepChunk = [&](Value kh, Value kw, Value chunk, ValueRange in) {
    SmallVector<Value> next(in.begin(), in.end());
    Value row = add(mul(oh, info.sh), kh);
    Value c = mul(chunk, 8);
    SmallVector<int64_t> twice;
    for (int64_t e = 0; e < 16; ++e)
      twice.push_back(e % 8);
    SmallVector<Value> xs;
    for (int64_t i = 0; i < rows; ++i) {
      Value col = add(mul(ows[i], info.sw), kw);
      Value x =
          vector::LoadOp::create(b, loc, VectorType::get({8}, b.getI8Type()),
                                 inputMem(), inputAt(n, row, col, c));
      x = vector::ShuffleOp::create(b, loc, x, x, twice);
      x = arith::ExtSIOp::create(b, loc, VectorType::get({16}, b.getI16Type()),
                                 x);
      xs.push_back(vector::BitCastOp::create(
          b, loc, VectorType::get({8}, b.getI32Type()), x));
    }
    for (int64_t q = 0; q < 4; ++q) {
      Value g = add(mul(chunk, 4), idx(q));
      SmallVector<Value> ws;
      for (int64_t j = 0; j < blocks; ++j)
        ws.push_back(arith::ExtSIOp::create(
            b, loc, VectorType::get({lanes * group}, b.getI16Type()),
            vector::LoadOp::create(b, loc, wVecType, packed,
                                   ValueRange{fbs[j], kh, kw, g, idx(0)})));
      SmallVector<int64_t> inLane = {q, q, q, q, q + 4, q + 4, q + 4, q + 4};
      for (int64_t i = 0; i < rows; ++i) {
        Value pair = vector::ShuffleOp::create(b, loc, xs[i], xs[i], inLane);
        Value x = vector::BitCastOp::create(
            b, loc, VectorType::get({16}, b.getI16Type()), pair);
        for (int64_t j = 0; j < blocks; ++j)
          next[i * blocks + j] = madd(next[i * blocks + j], x, ws[j]);
      }
    }
    return next;
  };
  SmallVector<Value> result = loop(info.kh, acc, [&](Value kh, ValueRange a0) {
    return loop(info.kw, a0, [&](Value kw, ValueRange a1) {
      SmallVector<Value> a2(a1.begin(), a1.end());
      if (chunks)
        a2 = loop(chunks, a2, [&](Value chunk, ValueRange a) {
          return stepChunk(kh, kw, chunk, a);
        });
      if (fullGroups > chunks * 4)
        a2 = loop(fullGroups - chunks * 4, a2, [&](Value t, ValueRange a) {
          return step(kh, kw, add(t, idx(chunks * 4)), a, false);
        });
      if (restGroup)
        a2 = step(kh, kw, idx(fullGroups), a2, true);
      return a2;
    });
  });
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < blocks; ++j)
      finish(result[i * blocks + j], info.output,
             {n, oh, ows[i], mul(fbs[j], lanes)},
             lastPartial && j == blocks - 1);
}

void KernelBuilder::buildConv(memref::GetGlobalOp packed,
                              memref::GetGlobalOp corr) {
  ConvShape shape = convShape(arch);
  // Rows narrower than the register block (the classifier's single pixel, a
  // GEMV) trade pixels for output channel blocks: the same number of
  // independent accumulators, so that the multiply-adds do not wait on one
  // another.
  int64_t rows = std::min(shape.rows, info.ow);
  int64_t blocks = shape.rows * shape.blocks / rows;
  tileOutput(shape.lanes, rows, blocks, info.f,
             [&](Value n, Value oh, Value ow0, int64_t rows, Value fb0,
                 int64_t blocks, bool partial) {
               convTile(packed, corr, n, oh, ow0, rows, fb0, blocks, partial);
             });
}

void KernelBuilder::dwTile(Value packed, Value corr, Value output, Value n,
                           Value oh, Value ow0, int64_t rows, Value cb0,
                           int64_t blocks, bool lastPartial) {
  auto i32Vec = VectorType::get({kDwLanes}, b.getI32Type());
  auto i8Vec = VectorType::get({kDwLanes}, b.getI8Type());
  SmallVector<Value> cs, ows;
  for (int64_t j = 0; j < blocks; ++j)
    cs.push_back(mul(add(cb0, idx(j)), kDwLanes));
  for (int64_t i = 0; i < rows; ++i)
    ows.push_back(add(ow0, idx(i)));
  SmallVector<Value> acc;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < blocks; ++j) {
      bool partial = lastPartial && j == blocks - 1;
      acc.push_back(initAcc(output, {n, oh, ows[i], cs[j]}, corr, cs[j],
                            kDwLanes, partial));
    }
  Value pad = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
  auto readInput = [&](Value row, Value col, int64_t j) -> Value {
    if (lastPartial && j == blocks - 1)
      return vector::TransferReadOp::create(b, loc, i8Vec, info.input,
                                            ValueRange{n, row, col, cs[j]}, pad,
                                            ArrayRef<bool>{false});
    return vector::LoadOp::create(b, loc, i8Vec, info.input,
                                  ValueRange{n, row, col, cs[j]});
  };
  if (isX86(arch)) {
    // Taps two at a time: the 8 channels of tap a and of tap b interleaved
    // byte by byte (vpunpcklbw), widened to int16 (vpmovsxbw), multiplied by
    // the weights packed the same way and the pairs added by vpmaddwd: 16
    // MACs per multiply, where vpmulld does 8 in two uops. The taps are
    // unrolled; an odd last tap pairs with itself under a zero weight.
    int64_t taps = info.kh * info.kw, pairs = (taps + 1) / 2;
    auto i16Vec = VectorType::get({2 * kDwLanes}, b.getI16Type());
    auto wType = VectorType::get({2 * kDwLanes}, b.getI8Type());
    SmallVector<int64_t> interleave;
    for (int64_t l = 0; l < kDwLanes; ++l)
      interleave.append({l, l + kDwLanes});
    SmallVector<Value> next = acc;
    for (int64_t p = 0; p < pairs; ++p) {
      int64_t ta = 2 * p, tb = std::min(2 * p + 1, taps - 1);
      SmallVector<Value> ws;
      for (int64_t j = 0; j < blocks; ++j)
        ws.push_back(arith::ExtSIOp::create(
            b, loc, i16Vec,
            vector::LoadOp::create(
                b, loc, wType, packed,
                ValueRange{add(cb0, idx(j)), idx(p), idx(0)})));
      for (int64_t i = 0; i < rows; ++i) {
        auto at = [&](int64_t t) {
          return std::make_pair(add(mul(oh, info.sh), idx(t / info.kw)),
                                add(mul(ows[i], info.sw), idx(t % info.kw)));
        };
        auto [rowA, colA] = at(ta);
        auto [rowB, colB] = at(tb);
        for (int64_t j = 0; j < blocks; ++j) {
          Value xa = readInput(rowA, colA, j);
          Value xb = tb == ta ? xa : readInput(rowB, colB, j);
          Value x = vector::ShuffleOp::create(b, loc, xa, xb, interleave);
          x = arith::ExtSIOp::create(b, loc, i16Vec, x);
          next[i * blocks + j] = madd(next[i * blocks + j], x, ws[j]);
        }
      }
    }
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < blocks; ++j)
        finish(next[i * blocks + j], output, {n, oh, ows[i], cs[j]},
               lastPartial && j == blocks - 1);
    return;
  }
  SmallVector<Value> result = loop(info.kh, acc, [&](Value kh, ValueRange a0) {
    return loop(info.kw, a0, [&](Value kw, ValueRange a1) {
      SmallVector<Value> next(a1.begin(), a1.end());
      Value row = add(mul(oh, info.sh), kh);
      SmallVector<Value> ws;
      for (int64_t j = 0; j < blocks; ++j) {
        Value w = vector::LoadOp::create(
            b, loc, i8Vec, packed,
            ValueRange{add(cb0, idx(j)), kh, kw, idx(0)});
        ws.push_back(arith::ExtSIOp::create(b, loc, i32Vec, w));
      }
      for (int64_t i = 0; i < rows; ++i) {
        Value col = add(mul(ows[i], info.sw), kw);
        for (int64_t j = 0; j < blocks; ++j) {
          Value x =
              arith::ExtSIOp::create(b, loc, i32Vec, readInput(row, col, j));
          Value prod = arith::MulIOp::create(b, loc, x, ws[j]);
          next[i * blocks + j] = add(next[i * blocks + j], prod);
        }
      }
      return next;
    });
  });
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < blocks; ++j)
      finish(result[i * blocks + j], output, {n, oh, ows[i], cs[j]},
             lastPartial && j == blocks - 1);
}

void KernelBuilder::dwTileVnni(Value packed, Value corr, Value output, Value n,
                               Value oh, Value ow0, int64_t rows, Value cb0,
                               int64_t blocks, bool lastPartial) {
  // Each int32 lane of a column vector holds one channel's inputs of kernel
  // rows 3g, 3g + 1, 3g + 2 (bytes 0-2, made unsigned by flipping the sign
  // bits; byte 3 meets a zero weight) at one input column, and vpdpbusd
  // multiplies it by that channel's weights of those rows at one kernel
  // column: 3 taps per lane, 48 MACs per instruction. A column vector is
  // built once per tile (the 16 bytes of each row broadcast to the four
  // 128-bit lanes, vpshufb placing byte d at byte r of lane d, or-ed) and
  // serves every pixel of the tile that reads that column: KW of them at
  // stride 1.
  int64_t lanes = kDwVnniLanes;
  auto i8Type = b.getI8Type();
  auto i8x16 = VectorType::get({lanes}, i8Type);
  auto i8x64 = VectorType::get({4 * lanes}, i8Type);
  auto i32x16 = VectorType::get({lanes}, b.getI32Type());
  SmallVector<Value> cs, ows;
  for (int64_t j = 0; j < blocks; ++j)
    cs.push_back(mul(add(cb0, idx(j)), lanes));
  for (int64_t i = 0; i < rows; ++i)
    ows.push_back(add(ow0, idx(i)));
  SmallVector<Value> acc;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < blocks; ++j)
      acc.push_back(initAcc(output, {n, oh, ows[i], cs[j]}, corr, cs[j], lanes,
                            lastPartial && j == blocks - 1));
  SmallVector<Value> place;
  for (int64_t r = 0; r < kDwVnniDepth; ++r) {
    SmallVector<int8_t> control;
    for (int64_t d = 0; d < lanes; ++d)
      for (int64_t p = 0; p < 4; ++p)
        control.push_back(p == r ? int8_t(d % 16) : int8_t(-128));
    place.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i8x64, ArrayRef<int8_t>(control))));
  }
  Value flip = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(i32x16, ArrayRef<APInt>(APInt(32, 0x80808080))));
  SmallVector<int64_t> quarters;
  for (int64_t k = 0; k < 4 * lanes; ++k)
    quarters.push_back(k % lanes);
  Value pad = arith::ConstantIntOp::create(b, loc, i8Type, 0);
  int64_t groups = llvm::divideCeil(info.kh, kDwVnniDepth);
  int64_t cols = (rows - 1) * info.sw + info.kw;
  Value col0 = mul(ow0, info.sw);
  SmallVector<Value> next = acc;
  for (int64_t g = 0; g < groups; ++g) {
    int64_t depth = std::min(kDwVnniDepth, info.kh - g * kDwVnniDepth);
    for (int64_t j = 0; j < blocks; ++j) {
      bool partial = lastPartial && j == blocks - 1;
      SmallVector<Value> ws;
      for (int64_t x = 0; x < info.kw; ++x)
        ws.push_back(vector::LoadOp::create(
            b, loc, i8x64, packed,
            ValueRange{add(cb0, idx(j)), idx(g), idx(x), idx(0)}));
      for (int64_t col = 0; col < cols; ++col) {
        Value column;
        for (int64_t r = 0; r < depth; ++r) {
          SmallVector<Value, 4> at{
              n, add(mul(oh, info.sh), idx(g * kDwVnniDepth + r)),
              add(col0, idx(col)), cs[j]};
          Value x = partial
                        ? vector::TransferReadOp::create(b, loc, i8x16,
                                                         info.input, at, pad,
                                                         ArrayRef<bool>{false})
                              .getResult()
                        : vector::LoadOp::create(b, loc, i8x16, info.input, at)
                              .getResult();
          Value wide = vector::ShuffleOp::create(b, loc, x, x, quarters);
          Value placed = callIntrinsic(i8x64, "llvm.x86.avx512.pshuf.b.512",
                                       {wide, place[r]});
          column =
              column ? arith::OrIOp::create(b, loc, column, placed) : placed;
        }
        column = arith::XOrIOp::create(
            b, loc, vector::BitCastOp::create(b, loc, i32x16, column), flip);
        for (int64_t i = 0; i < rows; ++i) {
          int64_t x = col - i * info.sw;
          if (x >= 0 && x < info.kw)
            next[i * blocks + j] = madd(next[i * blocks + j], column, ws[x]);
        }
      }
    }
  }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < blocks; ++j)
      finish(next[i * blocks + j], output, {n, oh, ows[i], cs[j]},
             lastPartial && j == blocks - 1);
}

void KernelBuilder::buildDepthwise(memref::GetGlobalOp packed,
                                   memref::GetGlobalOp corr, Value output) {
  if (arch == Isa::Avx512) {
    tileOutput(kDwVnniLanes, kDwVnniRows, 1, info.c,
               [&](Value n, Value oh, Value ow0, int64_t rows, Value cb0,
                   int64_t blocks, bool partial) {
                 dwTileVnni(packed, corr, output, n, oh, ow0, rows, cb0, blocks,
                            partial);
               });
    return;
  }
  tileOutput(kDwLanes, kDwRows, kDwBlocks, info.c,
             [&](Value n, Value oh, Value ow0, int64_t rows, Value cb0,
                 int64_t blocks, bool partial) {
               dwTile(packed, corr, output, n, oh, ow0, rows, cb0, blocks,
                      partial);
             });
}

/// Repacked weights and corrections, shared by the ops that read the same
/// global with the same kernel and input zero point.
struct Packed {
  memref::GlobalOp weights, corrections;
  int64_t bytes = 0;
};

struct VectorizeInt8Pass final
    : sieve::impl::VectorizeInt8Base<VectorizeInt8Pass> {
  using Base::Base;

  void runOnOperation() override;

  FailureOr<Isa> chooseIsa(Operation *op);
  bool buildArm(ModuleOp module, linalg::LinalgOp op, const ConvInfo &info,
                Isa isa, std::string &kernel, int64_t &packedBytes,
                std::string &fused);
  Packed pack(ModuleOp module, const ConvInfo &info, const Fusion &fusion,
              Isa isa, StringRef baseName);

  std::map<std::tuple<std::string, int, int64_t, std::string>, Packed> cache;
};

FailureOr<Isa> VectorizeInt8Pass::chooseIsa(Operation *op) {
  if ((kernels == "dsp" || kernels == "mve") && isaName != kernels) {
    op->emitError() << "--int8-kernels=" << kernels << ": target '" << target
                    << "' has no "
                    << (kernels == "dsp" ? "Arm DSP (smlad)" : "MVE (Helium)")
                    << " instructions";
    return failure();
  }
  if (kernels == "avx2" || kernels == "neon" || kernels == "avx512") {
    // An AVX-512 target runs the AVX2 kernels too.
    bool has = isaName == kernels || (kernels == "avx2" && isaName == "avx512");
    if (!has) {
      op->emitError() << "--int8-kernels=" << kernels << ": target '" << target
                      << "' has no "
                      << (kernels == "avx2"     ? "AVX2"
                          : kernels == "avx512" ? "AVX-512 VNNI"
                                                : "AArch64 sdot")
                      << " instructions";
      return failure();
    }
    if (kernels == "avx2")
      return Isa::Avx2;
  }
  if (isaName == "avx2")
    return Isa::Avx2;
  if (isaName == "avx512")
    return Isa::Avx512;
  if (isaName == "neon")
    return Isa::Neon;
  if (isaName == "dsp")
    return Isa::Dsp;
  if (isaName == "mve")
    return Isa::Mve;
  return failure(); // no vector kernels for this target (yet): generic
}

Packed VectorizeInt8Pass::pack(ModuleOp module, const ConvInfo &info,
                               const Fusion &fusion, Isa isa,
                               StringRef baseName) {
  auto key =
      std::make_tuple(baseName.str(), int(isa), info.inputZp, fusion.biasKey);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;

  SmallVector<int64_t> shape;
  SmallVector<int8_t> data;
  SmallVector<int32_t> corr;
  if (!info.depthwise) {
    // [F blocks][KH][KW][C groups][lanes x group]: one vector load per step.
    ConvShape s = convShape(isa);
    int64_t fb = llvm::divideCeil(info.f, s.lanes);
    int64_t cg = llvm::divideCeil(info.c, s.group);
    shape = {fb, info.kh, info.kw, cg, s.lanes * s.group};
    data.assign(fb * info.kh * info.kw * cg * s.lanes * s.group, 0);
    corr.assign(fb * s.lanes, 0);
    int64_t pos = 0;
    for (int64_t b = 0; b < fb; ++b)
      for (int64_t y = 0; y < info.kh; ++y)
        for (int64_t x = 0; x < info.kw; ++x)
          for (int64_t g = 0; g < cg; ++g)
            for (int64_t l = 0; l < s.lanes; ++l)
              for (int64_t e = 0; e < s.group; ++e, ++pos) {
                int64_t f = b * s.lanes + l, c = g * s.group + e;
                if (f < info.f && c < info.c)
                  data[pos] =
                      info.w[((f * info.kh + y) * info.kw + x) * info.c + c];
              }
    for (int64_t f = 0; f < info.f; ++f) {
      int64_t sum = 0;
      for (int64_t k = 0; k < info.kh * info.kw * info.c; ++k)
        sum += info.w[f * info.kh * info.kw * info.c + k];
      // vpdpbusd reads the inputs plus 128 (unsigned).
      int64_t zp = info.inputZp + (isa == Isa::Avx512 ? 128 : 0);
      corr[f] = int32_t(uint32_t(-zp * sum));
    }
  } else if (isa == Isa::Avx512) {
    // [C blocks of 16][row groups of 3][KW][16 x 4]: channel by channel the
    // weights of kernel rows 3g, 3g + 1, 3g + 2 at one kernel column, and a
    // zero, as dwTileVnni's column vectors hold the inputs; vpdpbusd reads
    // the inputs plus 128.
    int64_t lanes = kDwVnniLanes, depth = kDwVnniDepth;
    int64_t cb = llvm::divideCeil(info.c, lanes);
    int64_t groups = llvm::divideCeil(info.kh, depth);
    shape = {cb, groups, info.kw, 4 * lanes};
    data.assign(cb * groups * info.kw * 4 * lanes, 0);
    corr.assign(cb * lanes, 0);
    for (int64_t y = 0; y < info.kh; ++y)
      for (int64_t x = 0; x < info.kw; ++x)
        for (int64_t c = 0; c < info.c; ++c) {
          int8_t w = info.w[(y * info.kw + x) * info.c + c];
          data[(((c / lanes) * groups + y / depth) * info.kw + x) * 4 * lanes +
               (c % lanes) * 4 + y % depth] = w;
          corr[c] =
              int32_t(uint32_t(corr[c]) - uint32_t((info.inputZp + 128) * w));
        }
  } else if (isX86(isa)) {
    // [C blocks][tap pairs][8 x 2]: channel by channel the weights of taps
    // 2p and 2p + 1 (zero past the last tap), as vpmaddwd pairs them.
    int64_t cb = llvm::divideCeil(info.c, kDwLanes);
    int64_t taps = info.kh * info.kw, pairs = (taps + 1) / 2;
    shape = {cb, pairs, 2 * kDwLanes};
    data.assign(cb * pairs * 2 * kDwLanes, 0);
    corr.assign(cb * kDwLanes, 0);
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t c = 0; c < info.c; ++c) {
        int8_t w = info.w[t * info.c + c];
        data[((c / kDwLanes) * pairs + t / 2) * 2 * kDwLanes +
             (c % kDwLanes) * 2 + t % 2] = w;
        corr[c] = int32_t(uint32_t(corr[c]) - uint32_t(info.inputZp * w));
      }
  } else {
    // [C blocks][KH][KW][8]: the 8 channels' weights of one tap together.
    int64_t cb = llvm::divideCeil(info.c, kDwLanes);
    shape = {cb, info.kh, info.kw, kDwLanes};
    data.assign(cb * info.kh * info.kw * kDwLanes, 0);
    corr.assign(cb * kDwLanes, 0);
    for (int64_t y = 0; y < info.kh; ++y)
      for (int64_t x = 0; x < info.kw; ++x)
        for (int64_t c = 0; c < info.c; ++c) {
          int8_t w = info.w[(y * info.kw + x) * info.c + c];
          data[((c / kDwLanes * info.kh + y) * info.kw + x) * kDwLanes +
               c % kDwLanes] = w;
          corr[c] = int32_t(uint32_t(corr[c]) - uint32_t(info.inputZp * w));
        }
  }

  // A folded initialisation (the bias) starts the accumulators too.
  for (size_t i = 0; i < fusion.bias.size(); ++i)
    corr[i] = int32_t(uint32_t(corr[i]) + uint32_t(fusion.bias[i]));

  OpBuilder b(module.getContext());
  b.setInsertionPointToStart(module.getBody());
  SymbolTable symbols(module);
  auto makeGlobal = [&](StringRef suffix, MemRefType type,
                        DenseElementsAttr value) {
    auto global =
        memref::GlobalOp::create(b, module.getLoc(), (baseName + suffix).str(),
                                 b.getStringAttr("private"), type, value,
                                 /*constant=*/true, b.getI64IntegerAttr(64));
    symbols.insert(global); // renames on a clash
    return global;
  };
  auto i8 = b.getI8Type(), i32 = b.getI32Type();
  auto wType = MemRefType::get(shape, i8);
  auto cType = MemRefType::get({int64_t(corr.size())}, i32);
  Packed packed;
  packed.weights =
      makeGlobal(isa == Isa::Avx2     ? "_avx2"
                 : isa == Isa::Avx512 ? "_avx512"
                                      : "_neon",
                 wType,
                 DenseElementsAttr::get(RankedTensorType::get(shape, i8),
                                        ArrayRef<int8_t>(data)));
  packed.corrections = makeGlobal(
      "_zp_correction", cType,
      DenseElementsAttr::get(RankedTensorType::get(cType.getShape(), i32),
                             ArrayRef<int32_t>(corr)));
  packed.bytes = int64_t(data.size() + 4 * corr.size());
  cache[key] = packed;
  return packed;
}

/// The Cortex-M kernels (Int8KernelsArm.cpp) in place of `op` and what it
/// fuses; false, with a remark, when they do not take it.
bool VectorizeInt8Pass::buildArm(ModuleOp module, linalg::LinalgOp op,
                                 const ConvInfo &info, Isa isa,
                                 std::string &kernel, int64_t &packedBytes,
                                 std::string &fused) {
  Fusion fusion;
  matchInit(op, info, fusion);
  matchRequant(op, info, fusion);
  OpBuilder b(fusion.requant ? fusion.requant.getOperation()
                             : op.getOperation());
  Location loc = op.getLoc();
  auto asChannels = [&](Value v) { return collapseMultiplier(b, loc, v); };
  sieve::int8arm::ArmLayer layer;
  layer.depthwise = info.depthwise;
  layer.input = info.input;
  layer.convOutput = info.output;
  layer.weights = info.w;
  memref::GetGlobalOp weights = info.weights;
  layer.weightsName = weights.getName();
  layer.n = info.n, layer.ih = info.ih, layer.iw = info.iw, layer.c = info.c;
  layer.f = info.depthwise ? info.c : info.f;
  layer.kh = info.kh, layer.kw = info.kw, layer.oh = info.oh;
  layer.ow = info.ow, layer.sh = info.sh, layer.sw = info.sw;
  layer.inputZp = info.inputZp;
  layer.initFolded = fusion.init != nullptr;
  layer.bias = fusion.bias;
  layer.biasKey = fusion.init ? fusion.biasKey : "acc";
  layer.requant = fusion.requant;
  std::string why = sieve::int8arm::armUnsupported(layer);
  if (!why.empty()) {
    op->emitRemark() << "int8 convolution keeps the generic loops: " << why;
    return false;
  }
  layer.output = asChannels(info.output);
  if (fusion.requant)
    layer.requantOutput = asChannels(fusion.requant.getDpsInits()[0]);
  kernel = sieve::int8arm::buildArmKernel(module, b, loc,
                                          isa == Isa::Mve
                                              ? sieve::int8arm::ArmIsa::Mve
                                              : sieve::int8arm::ArmIsa::Dsp,
                                          layer, packedBytes);
  op->erase();
  if (fusion.requant)
    fusion.requant->erase();
  if (fusion.init)
    fusion.init->erase();
  fused = fusion.requant ? "requant" : "";
  return true;
}

void VectorizeInt8Pass::runOnOperation() {
  ModuleOp module = getOperation();
  if (isaName != "avx2" && isaName != "avx512" && isaName != "neon" &&
      isaName != "dsp" && isaName != "mve" && isaName != "none") {
    module.emitError() << "sieve-vectorize-int8: unknown isa '" << isaName
                       << "'; expected avx2, avx512, neon, dsp, mve or none";
    return signalPassFailure();
  }
  if (kernels != "generic" && kernels != "vector" && kernels != "avx2" &&
      kernels != "avx512" && kernels != "neon" && kernels != "dsp" &&
      kernels != "mve") {
    module.emitError()
        << "sieve-vectorize-int8: unknown kernels '" << kernels
        << "'; expected generic, vector, avx2, avx512, neon, dsp or mve";
    return signalPassFailure();
  }
  MLIRContext *ctx = module.getContext();
  SmallVector<Attribute> layers;
  SmallVector<linalg::LinalgOp> ops;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    func.walk([&](linalg::LinalgOp op) {
      if (isa<linalg::Conv2DNhwcFhwcOp, linalg::Conv2DNhwcFhwcQOp,
              linalg::DepthwiseConv2DNhwcHwcOp,
              linalg::DepthwiseConv2DNhwcHwcQOp,
              linalg::DepthwiseConv2DNhwcHwcmOp,
              linalg::DepthwiseConv2DNhwcHwcmQOp>(op.getOperation()))
        ops.push_back(op);
    });
  bool failed = false;
  int64_t numDynamic = 0;
  Operation *firstDynamic = nullptr;
  cache.clear();
  llvm::SetVector<Operation *> oldWeights;
  for (linalg::LinalgOp op : ops) {
    Location opLoc = op.getLoc();
    ConvInfo info;
    std::string why = analyse(op, info);
    // Only int8 convolutions are this pass's business.
    if (why == "not i8 x i8 -> i32" || why == "not on buffers")
      continue;
    std::string kernel = "generic";
    std::string fused;
    int64_t packedBytes = 0;
    if (kernels != "generic") {
      FailureOr<Isa> arch = chooseIsa(op);
      if (succeeded(arch) && why == "dynamic shapes") {
        // The convolutions of patch stages (patches of several sizes): one
        // remark for all of them, after the loop.
        if (!numDynamic++)
          firstDynamic = op;
      } else if (succeeded(arch) && !why.empty()) {
        op->emitRemark() << "int8 convolution keeps the generic loops: " << why;
      } else if (succeeded(arch) && isArm(*arch)) {
        if (buildArm(module, op, info, *arch, kernel, packedBytes, fused))
          oldWeights.insert(info.weights);
      } else if (succeeded(arch)) {
        std::string base = info.weights.getName().str();
        bool window = windowForm(info, *arch);
        ConvInfo kinfo = window ? windowInfo(info) : info;
        if (window)
          base += "_window";
        Fusion fusion;
        matchInit(op, info, fusion);
        matchRequant(op, info, fusion);
        Packed packed = pack(module, kinfo, fusion, *arch, base);
        packedBytes = packed.bytes;
        // With a fused consumer the kernel takes its place (only pure views
        // lie between them), so that it sees the consumer's operands.
        OpBuilder b(fusion.requant ? fusion.requant.getOperation()
                                   : op.getOperation());
        Location loc = op.getLoc();
        auto packedGet = memref::GetGlobalOp::create(
            b, loc, packed.weights.getType(), packed.weights.getSymName());
        auto corrGet =
            memref::GetGlobalOp::create(b, loc, packed.corrections.getType(),
                                        packed.corrections.getSymName());
        auto asChannels = [&](Value v) {
          return collapseMultiplier(b, loc, v);
        };
        if (fusion.requant)
          fusion.requantOutput = asChannels(fusion.requant.getDpsInits()[0]);
        KernelBuilder kb(b, loc, *arch, kinfo, fusion);
        if (info.depthwise) {
          kb.buildDepthwise(packedGet, corrGet, asChannels(info.output));
          kernel = dwKernelName(*arch).str();
        } else {
          if (window)
            kb.setWindow(
                memref::CollapseShapeOp::create(
                    b, loc, info.input,
                    SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}}),
                info.c);
          kb.buildConv(packedGet, corrGet);
          kernel = convKernelName(*arch).str() + (window ? "-window" : "");
        }
        oldWeights.insert(info.weights);
        op->erase();
        if (fusion.requant)
          fusion.requant->erase();
        if (fusion.init)
          fusion.init->erase();
        fused = fusion.requant ? "requant" : "";
      } else if (kernels != "vector") {
        failed = true; // forced kernels the target lacks: diagnosed
      }
    }
    NamedAttrList layer;
    layer.append("location",
                 StringAttr::get(ctx, sieve::describeLocation(opLoc)));
    layer.append(
        "op", StringAttr::get(ctx, info.depthwise ? "depthwise_conv" : "conv"));
    layer.append("kernel", StringAttr::get(ctx, kernel));
    if (!fused.empty())
      layer.append("fused", StringAttr::get(ctx, fused));
    layer.append("packed_bytes",
                 IntegerAttr::get(IntegerType::get(ctx, 64), packedBytes));
    layers.push_back(layer.getDictionary(ctx));
  }
  if (numDynamic)
    firstDynamic->emitRemark()
        << numDynamic << " int8 convolution" << (numDynamic > 1 ? "s" : "")
        << " of dynamic shapes (inside patch stages) keep"
        << (numDynamic > 1 ? "" : "s") << " the generic loops";
  if (failed)
    return signalPassFailure();
  // The original weights go when nothing reads them any more.
  for (Operation *op : oldWeights) {
    auto get = cast<memref::GetGlobalOp>(op);
    if (!get->use_empty())
      continue;
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        get, get.getNameAttr());
    get.erase();
    if (global && SymbolTable::symbolKnownUseEmpty(global, module))
      global.erase();
  }
  if (func::FuncOp entry = sieve::getEntryFunction(module))
    if (!layers.empty())
      entry->setAttr("sieve.int8_kernels", ArrayAttr::get(ctx, layers));
}

} // namespace
