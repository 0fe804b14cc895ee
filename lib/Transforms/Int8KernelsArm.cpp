//===- Int8KernelsArm.cpp - Cortex-M int8 convolution kernels -------------===//
//
// Part of Sieve. The Cortex-M kernels of sieve-vectorize-int8, in the style
// of CMSIS-NN's but generated for each layer with its shapes, zero points and
// requantisation as constants:
//
// - Convolutions (1x1 as GEMM, KxK at any stride, the 3-channel stem) are dot
//   products along the KW x C input bytes that one filter row covers, which
//   NHWC stores contiguously: per output pixel and filter row, a run of
//   KW * C bytes against the filter's row, repacked at compile time and
//   padded with zeros to the instruction's width. Cortex-M4/M7: per 4 bytes,
//   two `sxtb16` of the input word (bytes 0, 2 and 1, 3 as int16 pairs), two
//   of the weight word and two `smlad` (2 MACs each); Cortex-M55: per 16
//   bytes, one `vmladava.s8` (the tail through a predicated load). A register
//   block of output pixels by filters shares the loads.
// - Depthwise convolutions go by blocks of 4 channels: on the M4, one input
//   word, two `sxtb16` and four `smlabb`/`smlatt` against weights repacked
//   as pre-sign-extended int16 pairs; on the M55, int32 lanes from `vldrb.s32`
//   loads, multiplied and added.
// - Accumulators start at the bias plus the input zero point's correction
//   (-zp * sum(w), per output channel, precomputed), and the fused
//   requantising consumer's body runs on them in registers: the int32 values
//   are those of the generic loops, bit for bit.
//   On the M55, TOSA's double-rounding apply_scale inside it becomes
//   vqrdmulh, a sign correction and vrshl (MveScale), bit for bit.
//
//===----------------------------------------------------------------------===//

#include "Int8KernelsArm.h"
#include "KernelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include <map>
#include <set>

using namespace mlir;
using namespace sieve::int8arm;

namespace {

/// Bytes per step of the convolutions' dot products.
int64_t convWidth(ArmIsa isa) { return isa == ArmIsa::Mve ? 16 : 4; }

/// Register blocks: output pixels by filters (convolutions), output pixels
/// of one 4-channel block (depthwise: 2 pixels, as more spill on the M55).
/// M4: 4 int32 accumulators, 2 + 2
/// sign-extended weight halves of 13 general registers. M55: 8 accumulators
/// in general registers, 2 input vectors and 4 weight vectors of the 8 q
/// registers; the 4 filters' sums of a pixel are then requantised as one
/// vector.
struct Blocking {
  int64_t pixels, filters, dwPixels;
};
Blocking blocking(ArmIsa isa) {
  return isa == ArmIsa::Mve ? Blocking{2, 4, 2} : Blocking{2, 2, 2};
}

/// TOSA's apply_scale with double rounding in the fused consumer's body, as
/// tosa-to-arith's 32-bit lowering writes it (some 30 ops around one
/// arith.mulsi_extended): on MVE it is, for a shift s > 31,
///   h = vqrdmulh(v, m) - (v < 0),  result = vrshl(h, 31 - s)
/// (vqrdmulh gives floor((v m + 2^30) / 2^31), the first rounding for v >= 0;
/// for v < 0 TOSA adds -2^30, i.e. one less; the second rounding is
/// vrshl's: floor((h + 2^(r-1)) / 2^r) with r = s - 31). `ops` is the slice
/// the sequence replaces, `result` its last op.
struct MveScale {
  Value value, multiplier;
  BlockArgument shift; // or null, the shift folded:
  int64_t foldedShift = 0;
  Operation *result = nullptr;
  llvm::SmallPtrSet<Operation *, 32> ops;
};

/// The per-channel (or per-tensor) values of a requantisation operand: a
/// constant global read whole, or nothing.
std::optional<SmallVector<int64_t>> constantValues(Value v) {
  auto get = v.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return std::nullopt;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  auto init =
      global
          ? dyn_cast_or_null<DenseIntElementsAttr>(global.getInitialValueAttr())
          : DenseIntElementsAttr();
  if (!init)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &x : init.getValues<APInt>())
    values.push_back(x.getSExtValue());
  return values;
}

/// The slice of `body` that `root` computes from values outside it: stops
/// at `value`, block arguments and values defined outside the body.
llvm::SmallPtrSet<Operation *, 32> sliceOf(Block *body, Operation *root,
                                           Value value) {
  llvm::SmallPtrSet<Operation *, 32> slice;
  SmallVector<Operation *> work{root};
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!slice.insert(op).second)
      continue;
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (operand != value && def && def->getBlock() == body &&
          !def->hasTrait<OpTrait::ConstantLike>())
        work.push_back(def);
    }
  }
  return slice;
}

/// Evaluates `ops` (in body order) on scalars, the values outside them
/// given in `env`; false for an op it does not know.
bool evaluate(Block *body, const llvm::SmallPtrSetImpl<Operation *> &ops,
              llvm::DenseMap<Value, APInt> &env) {
  auto get = [&](Value v) -> std::optional<APInt> {
    auto it = env.find(v);
    if (it != env.end())
      return it->second;
    APInt c;
    if (matchPattern(v, m_ConstantInt(&c)))
      return c;
    return std::nullopt;
  };
  for (Operation &op : *body) {
    if (!ops.contains(&op))
      continue;
    SmallVector<APInt> in;
    for (Value operand : op.getOperands()) {
      std::optional<APInt> x = get(operand);
      if (!x)
        return false;
      in.push_back(*x);
    }
    unsigned w = in.empty() ? 0 : in[0].getBitWidth();
    auto shiftAmount = [&](const APInt &a) {
      return a.uge(w) ? w : unsigned(a.getZExtValue());
    };
    APInt r;
    if (isa<arith::AddIOp>(op))
      r = in[0] + in[1];
    else if (isa<arith::SubIOp>(op))
      r = in[0] - in[1];
    else if (isa<arith::MulIOp>(op))
      r = in[0] * in[1];
    else if (isa<arith::AndIOp>(op))
      r = in[0] & in[1];
    else if (isa<arith::OrIOp>(op))
      r = in[0] | in[1];
    else if (isa<arith::ShLIOp>(op))
      r = in[0].shl(shiftAmount(in[1]));
    else if (isa<arith::ShRUIOp>(op))
      r = in[0].lshr(shiftAmount(in[1]));
    else if (isa<arith::ShRSIOp>(op))
      r = in[0].ashr(shiftAmount(in[1]));
    else if (isa<arith::MaxSIOp>(op))
      r = llvm::APIntOps::smax(in[0], in[1]);
    else if (isa<arith::MinSIOp>(op))
      r = llvm::APIntOps::smin(in[0], in[1]);
    else if (auto e = dyn_cast<arith::ExtUIOp>(op))
      r = in[0].zext(e.getType().getIntOrFloatBitWidth());
    else if (auto e = dyn_cast<arith::ExtSIOp>(op))
      r = in[0].sext(e.getType().getIntOrFloatBitWidth());
    else if (auto t = dyn_cast<arith::TruncIOp>(op))
      r = in[0].trunc(t.getType().getIntOrFloatBitWidth());
    else if (isa<arith::SelectOp>(op))
      r = in[0].isOne() ? in[1] : in[2];
    else if (auto c = dyn_cast<arith::CmpIOp>(op))
      r = APInt(1, arith::applyCmpPredicate(c.getPredicate(), in[0], in[1]));
    else if (isa<arith::MulSIExtendedOp>(op)) {
      APInt p = in[0].sext(2 * w) * in[1].sext(2 * w);
      env[op.getResult(0)] = p.trunc(w);
      env[op.getResult(1)] = p.lshr(w).trunc(w);
      continue;
    } else
      return false;
    env[op.getResult(0)] = r;
  }
  return true;
}

/// The MVE sequence of MveScale on scalars.
int32_t mveScale(int32_t v, int32_t m, int64_t s) {
  int64_t h = (2 * int64_t(v) * m + (int64_t(1) << 31)) >> 32;
  if (v == INT32_MIN && m == INT32_MIN)
    h = INT32_MAX; // vqrdmulh saturates
  int32_t adjusted = int32_t(uint32_t(h) + (v < 0 ? ~0u : 0u));
  int64_t r = s - 31;
  return int32_t((int64_t(adjusted) + (int64_t(1) << (r - 1))) >> r);
}

/// Finds apply_scale in the fused consumer `g` and checks, for every
/// channel's multiplier and shift, that the MVE sequence computes what the
/// body does on values at the rounding boundaries, the extremes and seeded
/// ones. A multiplier or shift the same for all channels may have been
/// folded into the body as a constant: the shift is then the one in 32..62
/// that passes the check. Shifts of 31 or less keep the body.
std::optional<MveScale> matchMveScale(linalg::GenericOp g) {
  Block *body = g.getBody();
  arith::MulSIExtendedOp wide;
  for (Operation &op : *body)
    if (auto w = dyn_cast<arith::MulSIExtendedOp>(op)) {
      if (wide)
        return std::nullopt;
      wide = w;
    }
  if (!wide || !wide.getLhs().getType().isInteger(32))
    return std::nullopt;
  MveScale scale;
  // The multiplier: a block argument or a constant; the other operand is
  // the value.
  for (bool swap : {false, true}) {
    Value m = swap ? wide.getLhs() : wide.getRhs();
    if (isa<BlockArgument>(m) || matchPattern(m, m_Constant())) {
      scale.multiplier = m;
      scale.value = swap ? wide.getRhs() : wide.getLhs();
      break;
    }
  }
  if (!scale.multiplier)
    return std::nullopt;
  // The ops after which nothing but their result is live: the candidates
  // for the end of apply_scale, the first that checks out is taken.
  std::vector<std::pair<Operation *, llvm::SmallPtrSet<Operation *, 32>>> cuts;
  for (Operation *op = wide->getNextNode(); op; op = op->getNextNode()) {
    if (op->getNumResults() != 1 || !op->getResult(0).getType().isInteger(32))
      continue;
    auto slice = sliceOf(body, op, scale.value);
    if (!slice.contains(wide))
      continue;
    bool closed = llvm::all_of(slice, [&](Operation *p) {
      return p == op || llvm::all_of(p->getUsers(), [&](Operation *u) {
               return slice.contains(u);
             });
    });
    // Its inputs: the value, the multiplier, at most one shift argument.
    BlockArgument shift;
    for (Operation *p : slice)
      for (Value operand : p->getOperands()) {
        auto arg = dyn_cast<BlockArgument>(operand);
        if (!arg || operand == scale.value || operand == scale.multiplier)
          continue;
        if (arg.getOwner() != body || (shift && shift != arg) ||
            !arg.getType().isIntOrIndex() ||
            arg.getType().getIntOrFloatBitWidth() > 32)
          closed = false;
        shift = arg;
      }
    if (closed)
      cuts.push_back({op, std::move(slice)});
  }
  auto valuesOf = [&](Value v) -> std::optional<SmallVector<int64_t>> {
    APInt c;
    if (matchPattern(v, m_ConstantInt(&c)))
      return SmallVector<int64_t>{c.getSExtValue()};
    return constantValues(
        g.getDpsInputs()[cast<BlockArgument>(v).getArgNumber()]);
  };
  std::optional<SmallVector<int64_t>> ms = valuesOf(scale.multiplier);
  if (!ms || ms->empty())
    return std::nullopt;
  auto matches = [&](ArrayRef<int64_t> ss) {
    size_t channels = std::max(ms->size(), ss.size());
    uint32_t seed = 12345;
    // The multiplier only scales the product, so per shift the smallest and
    // the largest multiplier are checked.
    std::map<int64_t, std::pair<int64_t, int64_t>> range;
    for (size_t c = 0; c < channels; ++c) {
      int64_t m = (*ms)[ms->size() == 1 ? 0 : c];
      int64_t s = ss[ss.size() == 1 ? 0 : c];
      if (s <= 31 || s > 62 || m < 0 || m > INT32_MAX)
        return false;
      auto [it, fresh] = range.try_emplace(s, m, m);
      it->second = {std::min(it->second.first, m),
                    std::max(it->second.second, m)};
    }
    std::set<std::pair<int64_t, int64_t>> pairs;
    for (auto [s, mm] : range) {
      pairs.insert({mm.first, s});
      pairs.insert({mm.second, s});
    }
    for (auto [m, s] : pairs) {
      SmallVector<int64_t> vs = {0,       1,         -1,        2,
                                 -2,      INT32_MAX, INT32_MIN, INT32_MIN + 1,
                                 1 << 30, -(1 << 30)};
      // Products next to the two roundings' ties.
      for (int64_t j = -2; j <= 2; ++j)
        for (int64_t unit : {int64_t(1) << 31, int64_t(1) << s})
          if (m > 0) {
            // In 128 bits: (2j + 1) 2^61 overflows int64_t.
            __int128 v = __int128(2 * j + 1) * (unit / 2) / m;
            for (int64_t d = -1; d <= 1; ++d)
              if (v + d >= INT32_MIN && v + d <= INT32_MAX)
                vs.push_back(int64_t(v + d));
          }
      for (int i = 0; i < 12; ++i) {
        seed = seed * 1664525u + 1013904223u;
        vs.push_back(int32_t(seed) >> (2 * i));
      }
      for (int64_t v : vs) {
        llvm::DenseMap<Value, APInt> env;
        env[scale.value] = APInt(32, uint64_t(v), /*isSigned=*/true);
        if (isa<BlockArgument>(scale.multiplier))
          env[scale.multiplier] = APInt(32, uint64_t(m), true);
        if (scale.shift)
          env[scale.shift] = APInt(
              scale.shift.getType().getIntOrFloatBitWidth(), uint64_t(s), true);
        if (!evaluate(g.getBody(), scale.ops, env) ||
            env[scale.result->getResult(0)].getSExtValue() !=
                mveScale(int32_t(v), int32_t(m), s))
          return false;
      }
    }
    return true;
  };
  for (auto &[op, slice] : cuts) {
    scale.result = op;
    scale.ops = slice;
    scale.shift = BlockArgument();
    for (Operation *p : slice)
      for (Value operand : p->getOperands())
        if (auto arg = dyn_cast<BlockArgument>(operand))
          if (operand != scale.value && operand != scale.multiplier)
            scale.shift = arg;
    // Without a shift argument, the candidates for the folded shift.
    SmallVector<SmallVector<int64_t>> candidates;
    if (scale.shift) {
      std::optional<SmallVector<int64_t>> ss = valuesOf(scale.shift);
      if (!ss || ss->empty())
        continue;
      candidates.push_back(*ss);
    } else {
      for (int64_t s = 32; s <= 62; ++s)
        candidates.push_back({s});
    }
    for (ArrayRef<int64_t> ss : candidates)
      if (matches(ss)) {
        scale.foldedShift = scale.shift ? 0 : ss[0];
        return scale;
      }
  }
  return std::nullopt;
}

class ArmKernel {
public:
  ArmKernel(OpBuilder &b, Location loc, ArmIsa isa, const ArmLayer &l)
      : b(b), loc(loc), isa(isa), l(l) {}

  void conv(Value packed, Value corr);
  void depthwise(Value packed, Value corr);

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t c) {
    return c == 1 ? x : arith::MulIOp::create(b, loc, x, idx(c)).getResult();
  }
  Value intr(StringRef name, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(b, loc, b.getI32Type(),
                                         b.getStringAttr(name), args)
        .getResult(0);
  }
  /// A loop from 0 to `count` carrying `init`; no loop for one iteration.
  SmallVector<Value>
  loop(int64_t count, ValueRange init,
       function_ref<SmallVector<Value>(Value, ValueRange)> body);
  /// Calls `tile(start, size)` over [0, total) in tiles of `size`, the last
  /// one smaller (a static remainder).
  void tiles(int64_t total, int64_t size,
             function_ref<void(Value, int64_t)> tile);
  /// The int32 of the 4 bytes of `mem` at `indices`; only the first `valid`
  /// are read (the others are 0).
  Value word(Value mem, ArrayRef<Value> indices, int64_t valid = 4);
  /// The first `valid` of `lanes` lanes; `maskedRead` reads them (the
  /// others 0), `maskedWrite` writes them.
  Value mask(int64_t lanes, int64_t valid);
  Value maskedRead(VectorType type, Value mem, ValueRange at, int64_t valid);
  void maskedWrite(Value v, Value mem, ValueRange at, int64_t valid);
  /// sxtb16 of `w` (bytes 0, 2) and of `w >> 8` (bytes 1, 3).
  std::pair<Value, Value> signExtendPairs(Value w);
  /// The fused consumer's body on `acc` (a scalar or a vector of channels
  /// from `f`), stored at (n, oh, ow, f); or `acc` stored as it is.
  void finish(Value acc, Value n, Value oh, Value ow, Value f,
              int64_t validLanes);
  /// The starting accumulator(s) of channel(s) `f`: the correction, plus
  /// the output's value when the initialisation was not folded.
  Value initAcc(Value corr, Value n, Value oh, Value ow, Value f, int64_t lanes,
                int64_t validLanes);

  void convTile(Value flat, Value packed, Value corr, Value n, Value oh,
                Value ow0, int64_t pixels, Value f0, int64_t filters);
  void dwTile(Value packed, Value corr, Value n, Value oh, Value ow0,
              int64_t pixels, Value c0, int64_t valid);

  OpBuilder &b;
  Location loc;
  ArmIsa isa;
  const ArmLayer &l;
  /// matchMveScale of the consumer, once per layer.
  std::optional<std::optional<MveScale>> mveScale;
};

SmallVector<Value>
ArmKernel::loop(int64_t count, ValueRange init,
                function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  return sieve::buildCountedLoop(b, loc, count, init, body);
}

void ArmKernel::tiles(int64_t total, int64_t size,
                      function_ref<void(Value, int64_t)> tile) {
  loop(total / size, {}, [&](Value t, ValueRange) {
    tile(mul(t, size), size);
    return SmallVector<Value>();
  });
  if (total % size)
    tile(idx(total / size * size), total % size);
}

Value ArmKernel::word(Value mem, ArrayRef<Value> indices, int64_t valid) {
  auto v4i8 = VectorType::get({4}, b.getI8Type());
  Value bytes;
  if (valid == 4) {
    bytes = vector::LoadOp::create(b, loc, v4i8, mem, indices);
  } else {
    // Past the end of the row: byte by byte, zeros after.
    SmallVector<Value> elements;
    SmallVector<Value> at(indices.begin(), indices.end());
    Value last = at.back();
    for (int64_t e = 0; e < 4; ++e) {
      if (e < valid) {
        at.back() = add(last, idx(e));
        elements.push_back(memref::LoadOp::create(b, loc, mem, at));
      } else {
        elements.push_back(
            arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0));
      }
    }
    bytes = vector::FromElementsOp::create(b, loc, v4i8, elements);
  }
  Value w = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), bytes);
  return vector::ExtractOp::create(b, loc, w, ArrayRef<int64_t>{0});
}

Value ArmKernel::mask(int64_t lanes, int64_t valid) {
  SmallVector<bool> bits(lanes, false);
  std::fill_n(bits.begin(), valid, true);
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(VectorType::get({lanes}, b.getI1Type()),
                             ArrayRef<bool>(bits)));
}

Value ArmKernel::maskedRead(VectorType type, Value mem, ValueRange at,
                            int64_t valid) {
  Value pass = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
  return vector::MaskedLoadOp::create(b, loc, type, mem, at,
                                      mask(type.getNumElements(), valid), pass);
}

void ArmKernel::maskedWrite(Value v, Value mem, ValueRange at, int64_t valid) {
  auto type = cast<VectorType>(v.getType());
  vector::MaskedStoreOp::create(b, loc, mem, at,
                                mask(type.getNumElements(), valid), v);
}

std::pair<Value, Value> ArmKernel::signExtendPairs(Value w) {
  Value even = intr("llvm.arm.sxtb16", {w});
  Value odd =
      intr("llvm.arm.sxtb16", {arith::ShRUIOp::create(b, loc, w, i32(8))});
  return {even, odd};
}

Value ArmKernel::initAcc(Value corr, Value n, Value oh, Value ow, Value f,
                         int64_t lanes, int64_t validLanes) {
  if (lanes == 1) {
    Value c = memref::LoadOp::create(b, loc, corr, f);
    if (l.initFolded)
      return c;
    return add(
        memref::LoadOp::create(b, loc, l.output, ValueRange{n, oh, ow, f}), c);
  }
  auto type = VectorType::get({lanes}, b.getI32Type());
  Value c = vector::LoadOp::create(b, loc, type, corr, f);
  if (l.initFolded)
    return c;
  Value out;
  if (validLanes == lanes)
    out = vector::LoadOp::create(b, loc, type, l.output,
                                 ValueRange{n, oh, ow, f});
  else
    out = maskedRead(type, l.output, ValueRange{n, oh, ow, f}, validLanes);
  return add(out, c);
}

void ArmKernel::finish(Value acc, Value n, Value oh, Value ow, Value f,
                       int64_t validLanes) {
  auto vecType = dyn_cast<VectorType>(acc.getType());
  int64_t lanes = vecType ? vecType.getNumElements() : 1;
  auto typeOf = [&](Type t) -> Type {
    return vecType ? Type(VectorType::get({lanes}, t)) : t;
  };
  auto store = [&](Value v, Value mem) {
    SmallVector<Value> at{n, oh, ow, f};
    if (!vecType)
      memref::StoreOp::create(b, loc, v, mem, at);
    else if (validLanes == lanes)
      vector::StoreOp::create(b, loc, v, mem, at);
    else
      maskedWrite(v, mem, at, validLanes);
  };
  if (!l.requant) {
    store(acc, l.output);
    return;
  }
  linalg::GenericOp g = l.requant;
  Block *body = g.getBody();
  IRMapping map;
  for (OpOperand *input : g.getDpsInputOperands()) {
    BlockArgument arg = body->getArgument(input->getOperandNumber());
    Value v = input->get();
    if (v == l.convOutput || v == l.output) {
      map.map(arg, acc);
      continue;
    }
    auto type = cast<MemRefType>(v.getType());
    if (type.getRank() == 0) {
      Value s = memref::LoadOp::create(b, loc, v, ValueRange{});
      map.map(arg, vecType ? vector::BroadcastOp::create(b, loc,
                                                         typeOf(s.getType()), s)
                                 .getResult()
                           : s);
      continue;
    }
    // Per channel: [C] or [C, 1].
    if (type.getRank() == 2)
      v = memref::CollapseShapeOp::create(
          b, loc, v, SmallVector<ReassociationIndices>{{0, 1}});
    Type t = arg.getType();
    if (!vecType)
      map.map(arg, memref::LoadOp::create(b, loc, v, f));
    else if (validLanes == lanes)
      map.map(arg, vector::LoadOp::create(b, loc, cast<VectorType>(typeOf(t)),
                                          v, f));
    else
      map.map(arg, maskedRead(cast<VectorType>(typeOf(t)), v, ValueRange{f},
                              validLanes));
  }
  auto lookup = [&](Value v) {
    if (Value mapped = map.lookupOrNull(v))
      return mapped;
    // Values from outside the body (constants).
    Value mapped =
        vecType ? vector::BroadcastOp::create(b, loc, typeOf(v.getType()), v)
                      .getResult()
                : v;
    map.map(v, mapped);
    return mapped;
  };
  // MVE: apply_scale as vqrdmulh, a sign correction and vrshl (MveScale).
  bool mve = vecType && isa == ArmIsa::Mve;
  if (mve && !mveScale)
    mveScale = matchMveScale(g);
  const std::optional<MveScale> &scale =
      mve ? *mveScale : std::optional<MveScale>();
  for (Operation &op : body->without_terminator()) {
    if (scale && scale->ops.contains(&op)) {
      if (&op != scale->result)
        continue;
      Value v = lookup(scale->value), m = lookup(scale->multiplier);
      auto v4i32 = cast<VectorType>(v.getType());
      auto splat = [&](int64_t c) -> Value {
        return arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(v4i32, b.getI32IntegerAttr(c)));
      };
      Value left;
      if (scale->shift) {
        Value s = lookup(scale->shift);
        if (cast<VectorType>(s.getType()).getElementType() != b.getI32Type())
          s = arith::ExtUIOp::create(b, loc, v4i32, s);
        left = arith::SubIOp::create(b, loc, splat(31), s);
      } else {
        left = splat(31 - scale->foldedShift);
      }
      Value h =
          LLVM::CallIntrinsicOp::create(
              b, loc, v4i32, b.getStringAttr("llvm.arm.mve.vqrdmulh.v4i32"),
              ValueRange{v, m})
              .getResult(0);
      h = add(h, arith::ShRSIOp::create(b, loc, v, splat(31)));
      // vrshl by a negative amount: a rounding shift right by s - 31.
      map.map(op.getResult(0),
              LLVM::CallIntrinsicOp::create(
                  b, loc, v4i32,
                  b.getStringAttr("llvm.arm.mve.vshl.vector.v4i32.v4i32"),
                  ValueRange{h, left, i32(0), i32(1), i32(0)})
                  .getResult(0));
      continue;
    }
    for (Value operand : op.getOperands())
      lookup(operand);
    auto wide = dyn_cast<arith::MulSIExtendedOp>(op);
    if (wide && vecType && isa == ArmIsa::Mve) {
      // The high half by vmulh.s32: LLVM would widen to int64 lanes and
      // scalarise.
      Value x = map.lookup(wide.getLhs()), y = map.lookup(wide.getRhs());
      map.map(wide.getLow(), arith::MulIOp::create(b, loc, x, y));
      map.map(wide.getHigh(), LLVM::CallIntrinsicOp::create(
                                  b, loc, x.getType(),
                                  b.getStringAttr("llvm.arm.mve.vmulh.v4i32"),
                                  ValueRange{x, y, i32(0)})
                                  .getResult(0));
      continue;
    }
    Operation *clone = b.clone(op, map);
    for (OpResult r : clone->getResults())
      r.setType(typeOf(r.getType()));
  }
  store(lookup(body->getTerminator()->getOperand(0)), l.requantOutput);
}

void ArmKernel::convTile(Value flat, Value packed, Value corr, Value n,
                         Value oh, Value ow0, int64_t pixels, Value f0,
                         int64_t filters) {
  int64_t width = convWidth(isa);
  int64_t run = l.kw * l.c, steps = run / width, rest = run % width;
  SmallVector<Value> ows, fs;
  for (int64_t i = 0; i < pixels; ++i)
    ows.push_back(add(ow0, idx(i)));
  for (int64_t j = 0; j < filters; ++j)
    fs.push_back(add(f0, idx(j)));
  SmallVector<Value> acc;
  for (int64_t i = 0; i < pixels; ++i)
    for (int64_t j = 0; j < filters; ++j)
      acc.push_back(initAcc(corr, n, oh, ows[i], fs[j], 1, 1));
  // The offset of pixel i's run in its input row.
  SmallVector<Value> starts;
  for (int64_t i = 0; i < pixels; ++i)
    starts.push_back(mul(ows[i], l.sw * l.c));
  Value zero = i32(0);
  auto v16i8 = VectorType::get({16}, b.getI8Type());
  // One step of `valid` bytes at `off` of the run.
  auto step = [&](Value row, Value kh, Value off, ValueRange in,
                  int64_t valid) {
    SmallVector<Value> next(in.begin(), in.end());
    if (isa == ArmIsa::Mve) {
      SmallVector<Value> ws, xs;
      for (int64_t j = 0; j < filters; ++j)
        ws.push_back(vector::LoadOp::create(b, loc, v16i8, packed,
                                            ValueRange{fs[j], kh, off}));
      for (int64_t i = 0; i < pixels; ++i) {
        SmallVector<Value> at{n, row, add(starts[i], off)};
        if (valid == width) {
          xs.push_back(vector::LoadOp::create(b, loc, v16i8, flat, at));
        } else {
          // A tail-predicated load (vctp, vldrb): the bytes past the run
          // are not read; they meet zero weights anyway.
          xs.push_back(maskedRead(v16i8, flat, at, valid));
        }
      }
      for (int64_t i = 0; i < pixels; ++i)
        for (int64_t j = 0; j < filters; ++j)
          next[i * filters + j] =
              intr("llvm.arm.mve.vmldava.v16i8",
                   {zero, zero, zero, next[i * filters + j], xs[i], ws[j]});
      return next;
    }
    // DSP: weights are words of [F][KH][run / 4].
    Value wordIdx = arith::DivUIOp::create(b, loc, off, idx(4));
    SmallVector<std::pair<Value, Value>> ws;
    for (int64_t j = 0; j < filters; ++j)
      ws.push_back(signExtendPairs(memref::LoadOp::create(
          b, loc, packed, ValueRange{fs[j], kh, wordIdx})));
    for (int64_t i = 0; i < pixels; ++i) {
      auto [xe, xo] =
          signExtendPairs(word(flat, {n, row, add(starts[i], off)}, valid));
      for (int64_t j = 0; j < filters; ++j) {
        Value &a = next[i * filters + j];
        a = intr("llvm.arm.smlad", {xe, ws[j].first, a});
        a = intr("llvm.arm.smlad", {xo, ws[j].second, a});
      }
    }
    return next;
  };
  SmallVector<Value> result = loop(l.kh, acc, [&](Value kh, ValueRange a0) {
    Value row = add(mul(oh, l.sh), kh);
    SmallVector<Value> a1 = loop(steps, a0, [&](Value s, ValueRange a) {
      return step(row, kh, mul(s, width), a, width);
    });
    if (rest)
      a1 = step(row, kh, idx(steps * width), a1, rest);
    return a1;
  });
  if (isa == ArmIsa::Mve) {
    // The filters' sums of each pixel as the lanes of one vector.
    auto v4i32 = VectorType::get({4}, b.getI32Type());
    for (int64_t i = 0; i < pixels; ++i) {
      SmallVector<Value> lanes(result.begin() + i * filters,
                               result.begin() + (i + 1) * filters);
      lanes.resize(4, zero);
      finish(vector::FromElementsOp::create(b, loc, v4i32, lanes), n, oh,
             ows[i], f0, filters);
    }
    return;
  }
  for (int64_t i = 0; i < pixels; ++i)
    for (int64_t j = 0; j < filters; ++j)
      finish(result[i * filters + j], n, oh, ows[i], fs[j], 1);
}

void ArmKernel::conv(Value packed, Value corr) {
  // The input rows as runs of IW * C bytes (channels and columns are
  // contiguous: armUnsupported checked).
  Value flat = memref::CollapseShapeOp::create(
      b, loc, l.input, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  Blocking blk = blocking(isa);
  loop(l.n, {}, [&](Value n, ValueRange) {
    loop(l.oh, {}, [&](Value oh, ValueRange) {
      tiles(l.f, blk.filters, [&](Value f0, int64_t filters) {
        tiles(l.ow, blk.pixels, [&](Value ow0, int64_t pixels) {
          convTile(flat, packed, corr, n, oh, ow0, pixels, f0, filters);
        });
      });
      return SmallVector<Value>();
    });
    return SmallVector<Value>();
  });
}

void ArmKernel::dwTile(Value packed, Value corr, Value n, Value oh, Value ow0,
                       int64_t pixels, Value c0, int64_t valid) {
  SmallVector<Value> ows;
  for (int64_t i = 0; i < pixels; ++i)
    ows.push_back(add(ow0, idx(i)));
  SmallVector<Value> acc;
  if (isa == ArmIsa::Mve) {
    auto v4i8 = VectorType::get({4}, b.getI8Type());
    auto v4i32 = VectorType::get({4}, b.getI32Type());
    for (int64_t i = 0; i < pixels; ++i)
      acc.push_back(initAcc(corr, n, oh, ows[i], c0, 4, valid));
    SmallVector<Value> result = loop(l.kh, acc, [&](Value kh, ValueRange a0) {
      return loop(l.kw, a0, [&](Value kw, ValueRange a1) {
        SmallVector<Value> next(a1.begin(), a1.end());
        Value row = add(mul(oh, l.sh), kh);
        Value w = arith::ExtSIOp::create(
            b, loc, v4i32,
            vector::LoadOp::create(b, loc, v4i8, packed,
                                   ValueRange{kh, kw, c0}));
        for (int64_t i = 0; i < pixels; ++i) {
          SmallVector<Value> at{n, row, add(mul(ows[i], l.sw), kw), c0};
          Value x = valid == 4
                        ? vector::LoadOp::create(b, loc, v4i8, l.input, at)
                              .getResult()
                        : maskedRead(v4i8, l.input, at, valid);
          x = arith::ExtSIOp::create(b, loc, v4i32, x);
          next[i] = add(next[i], arith::MulIOp::create(b, loc, x, w));
        }
        return next;
      });
    });
    for (int64_t i = 0; i < pixels; ++i)
      finish(result[i], n, oh, ows[i], c0, valid);
    return;
  }
  // DSP: 4 scalar accumulators per pixel, channels c0 .. c0 + 3.
  SmallVector<Value> cs;
  for (int64_t e = 0; e < 4; ++e)
    cs.push_back(add(c0, idx(e)));
  for (int64_t i = 0; i < pixels; ++i)
    for (int64_t e = 0; e < 4; ++e)
      acc.push_back(e < valid ? initAcc(corr, n, oh, ows[i], cs[e], 1, 1)
                              : i32(0));
  Value cb = arith::DivUIOp::create(b, loc, c0, idx(4));
  SmallVector<Value> result = loop(l.kh, acc, [&](Value kh, ValueRange a0) {
    return loop(l.kw, a0, [&](Value kw, ValueRange a1) {
      SmallVector<Value> next(a1.begin(), a1.end());
      Value row = add(mul(oh, l.sh), kh);
      // Weights (w0, w2) and (w1, w3) as int16 pairs.
      Value we = memref::LoadOp::create(b, loc, packed,
                                        ValueRange{kh, kw, cb, idx(0)});
      Value wo = memref::LoadOp::create(b, loc, packed,
                                        ValueRange{kh, kw, cb, idx(1)});
      for (int64_t i = 0; i < pixels; ++i) {
        auto [xe, xo] = signExtendPairs(
            word(l.input, {n, row, add(mul(ows[i], l.sw), kw), c0}, valid));
        Value *a = &next[i * 4];
        a[0] = intr("llvm.arm.smlabb", {xe, we, a[0]});
        a[2] = intr("llvm.arm.smlatt", {xe, we, a[2]});
        a[1] = intr("llvm.arm.smlabb", {xo, wo, a[1]});
        a[3] = intr("llvm.arm.smlatt", {xo, wo, a[3]});
      }
      return next;
    });
  });
  for (int64_t i = 0; i < pixels; ++i)
    for (int64_t e = 0; e < valid; ++e)
      finish(result[i * 4 + e], n, oh, ows[i], cs[e], 1);
}

void ArmKernel::depthwise(Value packed, Value corr) {
  Blocking blk = blocking(isa);
  int64_t full = l.c / 4, rest = l.c % 4;
  loop(l.n, {}, [&](Value n, ValueRange) {
    loop(l.oh, {}, [&](Value oh, ValueRange) {
      loop(full, {}, [&](Value cb, ValueRange) {
        tiles(l.ow, blk.dwPixels, [&](Value ow0, int64_t pixels) {
          dwTile(packed, corr, n, oh, ow0, pixels, mul(cb, 4), 4);
        });
        return SmallVector<Value>();
      });
      if (rest)
        tiles(l.ow, blk.dwPixels, [&](Value ow0, int64_t pixels) {
          dwTile(packed, corr, n, oh, ow0, pixels, idx(full * 4), rest);
        });
      return SmallVector<Value>();
    });
    return SmallVector<Value>();
  });
}

} // namespace

std::string sieve::int8arm::armUnsupported(const ArmLayer &layer) {
  if (layer.depthwise)
    return "";
  // The convolutions read runs of KW x C bytes across columns.
  auto type = cast<MemRefType>(layer.input.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) || strides[3] != 1 ||
      strides[2] != layer.c)
    return "input columns not contiguous";
  return "";
}

std::string sieve::int8arm::buildArmKernel(ModuleOp module, OpBuilder &b,
                                           Location loc, ArmIsa isa,
                                           const ArmLayer &l,
                                           int64_t &packedBytes) {
  StringRef isaName = isa == ArmIsa::Mve ? "mve" : "dsp";
  std::string suffix =
      ("_" + isaName + "_zp" + Twine(l.inputZp) + "_" + l.biasKey).str();
  auto i8 = b.getI8Type(), i32 = b.getI32Type();
  // Repacked weights and corrections, with their shapes.
  SmallVector<int64_t> wShape;
  SmallVector<int8_t> bytes;  // MVE weights
  SmallVector<int32_t> words; // DSP weights
  SmallVector<int32_t> corr;
  if (!l.depthwise) {
    // [F][KH][run padded to the step], the padding zero.
    int64_t width = convWidth(isa), run = l.kw * l.c;
    int64_t padded = llvm::divideCeil(run, width) * width;
    bytes.assign(l.f * l.kh * padded, 0);
    corr.assign(l.f, 0);
    for (int64_t f = 0; f < l.f; ++f) {
      int64_t sum = 0;
      for (int64_t y = 0; y < l.kh; ++y)
        for (int64_t k = 0; k < run; ++k) {
          int8_t w = l.weights[(f * l.kh + y) * run + k];
          bytes[(f * l.kh + y) * padded + k] = w;
          sum += w;
        }
      corr[f] = int32_t(uint32_t(-l.inputZp * sum));
    }
    wShape = {l.f, l.kh, padded};
    if (isa == ArmIsa::Dsp) {
      wShape.back() = padded / 4;
      for (size_t k = 0; k < bytes.size(); k += 4)
        words.push_back(int32_t(uint32_t(uint8_t(bytes[k])) |
                                uint32_t(uint8_t(bytes[k + 1])) << 8 |
                                uint32_t(uint8_t(bytes[k + 2])) << 16 |
                                uint32_t(uint8_t(bytes[k + 3])) << 24));
      bytes.clear();
    }
  } else {
    int64_t padded = llvm::divideCeil(l.c, 4) * 4;
    corr.assign(padded, 0);
    SmallVector<int8_t> hwc(l.kh * l.kw * padded, 0);
    for (int64_t t = 0; t < l.kh * l.kw; ++t)
      for (int64_t c = 0; c < l.c; ++c) {
        int8_t w = l.weights[t * l.c + c];
        hwc[t * padded + c] = w;
        corr[c] = int32_t(uint32_t(corr[c]) - uint32_t(l.inputZp * w));
      }
    if (isa == ArmIsa::Mve) {
      // [KH][KW][C padded to 4]: one vldrb.s32 per tap.
      wShape = {l.kh, l.kw, padded};
      bytes = std::move(hwc);
    } else {
      // [KH][KW][C / 4][2]: (w0, w2) and (w1, w3) as int16 pairs.
      wShape = {l.kh, l.kw, padded / 4, 2};
      for (size_t k = 0; k < hwc.size(); k += 4) {
        auto pair = [&](int8_t lo, int8_t hi) {
          return int32_t(uint32_t(uint16_t(int16_t(lo))) |
                         uint32_t(uint16_t(int16_t(hi))) << 16);
        };
        words.push_back(pair(hwc[k], hwc[k + 2]));
        words.push_back(pair(hwc[k + 1], hwc[k + 3]));
      }
    }
  }
  for (size_t i = 0; i < l.bias.size(); ++i)
    corr[i] = int32_t(uint32_t(corr[i]) + uint32_t(l.bias[i]));

  // Layers that read the same weights the same way share the globals.
  SymbolTable symbols(module);
  auto global = [&](StringRef name, MemRefType type, DenseElementsAttr value) {
    std::string full = (l.weightsName + name).str();
    if (auto existing = symbols.lookup<memref::GlobalOp>(full))
      if (existing.getType() == type && existing.getInitialValue() == value)
        return existing;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto op = memref::GlobalOp::create(
        b, module.getLoc(), full, b.getStringAttr("private"), type, value,
        /*constant=*/true, b.getI64IntegerAttr(16));
    symbols.insert(op);
    return op;
  };
  memref::GlobalOp wGlobal;
  if (isa == ArmIsa::Dsp) {
    auto t = RankedTensorType::get(wShape, i32);
    wGlobal = global(suffix, MemRefType::get(wShape, i32),
                     DenseElementsAttr::get(t, ArrayRef<int32_t>(words)));
  } else {
    auto t = RankedTensorType::get(wShape, i8);
    wGlobal = global(suffix, MemRefType::get(wShape, i8),
                     DenseElementsAttr::get(t, ArrayRef<int8_t>(bytes)));
  }
  auto cType = RankedTensorType::get({int64_t(corr.size())}, i32);
  memref::GlobalOp cGlobal =
      global(suffix + "_correction", MemRefType::get(cType.getShape(), i32),
             DenseElementsAttr::get(cType, ArrayRef<int32_t>(corr)));
  packedBytes = int64_t(bytes.size() + 4 * words.size() + 4 * corr.size());

  Value packed = memref::GetGlobalOp::create(b, loc, wGlobal.getType(),
                                             wGlobal.getSymName());
  Value corrections = memref::GetGlobalOp::create(b, loc, cGlobal.getType(),
                                                  cGlobal.getSymName());
  ArmKernel kernel(b, loc, isa, l);
  if (l.depthwise) {
    kernel.depthwise(packed, corrections);
    return isa == ArmIsa::Mve ? "mve-dw" : "dsp-dw";
  }
  kernel.conv(packed, corrections);
  return isa == ArmIsa::Mve ? "mve-vmladava" : "dsp-smlad";
}
