//===- AttentionBuilder.h - Builders shared by attention lowerings -*- C++
//-*-===//
//
// Part of Sieve. The small builders that the attention lowerings share:
// LowerAttention.cpp (flash and diagonal kernels) and LowerTokenSparse.cpp
// (token-sparse ops and the KV cache). Index arithmetic is on `index`.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_ATTENTIONBUILDER_H
#define SIEVE_TRANSFORMS_ATTENTIONBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace sieve {

/// Base of the attention kernel builders: constants, index arithmetic,
/// loops with a body lambda, and the exponential of the online softmax.
class AttentionBuilder {
protected:
  explicit AttentionBuilder(mlir::ImplicitLocOpBuilder &b) : b(b) {}

  mlir::Value idx(int64_t x) {
    return mlir::arith::ConstantIndexOp::create(b, x);
  }
  mlir::Value f32Const(float x) {
    return mlir::arith::ConstantOp::create(b, b.getF32FloatAttr(x));
  }
  /// A vector (of `type`) with every lane `x`.
  mlir::Value splat(mlir::VectorType type, float x) {
    return mlir::arith::ConstantOp::create(
        b, mlir::DenseElementsAttr::get(type, x));
  }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return mlir::arith::AddIOp::create(b, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) {
    return mlir::arith::SubIOp::create(b, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    return mlir::arith::MulIOp::create(b, x, y);
  }
  mlir::Value minIdx(mlir::Value x, mlir::Value y) {
    return mlir::arith::MinSIOp::create(b, x, y);
  }
  mlir::Value maxIdx(mlir::Value x, mlir::Value y) {
    return mlir::arith::MaxSIOp::create(b, x, y);
  }

  /// scf.for lb to ub step `step` iter_args(init); `body(iv, args)` returns
  /// the values to yield.
  template <typename Fn>
  mlir::ValueRange forLoop(mlir::Value lb, mlir::Value ub, mlir::Value step,
                           mlir::ValueRange init, Fn body) {
    auto loop =
        mlir::scf::ForOp::create(b, lb, ub, step, init,
                                 [&](mlir::OpBuilder &, mlir::Location,
                                     mlir::Value iv, mlir::ValueRange args) {
                                   llvm::SmallVector<mlir::Value> yielded =
                                       body(iv, args);
                                   mlir::scf::YieldOp::create(b, yielded);
                                 });
    return loop.getResults();
  }
  /// scf.for lb to ub step 1 without results; `body(iv)`.
  template <typename Fn> void forLoop(mlir::Value lb, mlir::Value ub, Fn body) {
    forLoop(lb, ub, idx(1), {}, [&](mlir::Value iv, mlir::ValueRange) {
      body(iv);
      return llvm::SmallVector<mlir::Value>{};
    });
  }

  /// exp(x) on a vector of f32 x <= 0 (every exponent of an online softmax
  /// is a score minus the running max, or an old max minus the new one;
  /// masked lanes may be larger and are discarded by the caller). Cheaper
  /// than the general math.exp approximation, which handles the whole float
  /// range: x clamped to [-87, 0], n = round(x log2 e) by adding 1.5 * 2^23
  /// (the sum's low bits are n: no conversion instructions), r = x - n ln 2
  /// in two FMA steps (Cody-Waite), e^r by Cephes' degree-5 polynomial
  /// (relative error about 1e-7 on |r| <= ln2 / 2), times 2^n built in the
  /// exponent bits. -inf gives e^-87, not 0: callers mask such lanes.
  mlir::Value expNonPositive(mlir::Value x) {
    using namespace mlir;
    auto vec = cast<VectorType>(x.getType());
    VectorType ivec = VectorType::get(vec.getShape(), b.getI32Type());
    auto ivecConst = [&](int32_t v) {
      return arith::ConstantOp::create(b, DenseElementsAttr::get(ivec, v));
    };
    auto fma = [&](Value a, Value m, Value c) {
      return vector::FMAOp::create(b, a, m, c).getResult();
    };
    // Clamps by compare and select (x86 makes them vmaxps/vminps; a max op
    // would also handle NaNs, which cannot occur here).
    auto clamp = [&](arith::CmpFPredicate pred, float bound) {
      Value c = splat(vec, bound);
      x = arith::SelectOp::create(b, arith::CmpFOp::create(b, pred, x, c), c,
                                  x);
    };
    clamp(arith::CmpFPredicate::OLT, -87.0f);
    clamp(arith::CmpFPredicate::OGT, 0.0f);
    const float magic = 12582912.0f; // 1.5 * 2^23
    Value shifted = fma(x, splat(vec, 1.44269504088896341f), splat(vec, magic));
    Value n = arith::SubFOp::create(b, shifted, splat(vec, magic));
    Value r = fma(n, splat(vec, -0.693359375f), x);
    r = fma(n, splat(vec, 2.12194440e-4f), r);
    Value p = splat(vec, 1.9875691500e-4f);
    for (float c : {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
                    1.6666665459e-1f, 5.0000001201e-1f})
      p = fma(p, r, splat(vec, c));
    Value r2 = arith::MulFOp::create(b, r, r);
    Value y = arith::AddFOp::create(b, fma(p, r2, r), splat(vec, 1.0f));
    // 2^n: (n + 127) << 23, with n the low bits of `shifted` (its bits
    // minus those of the magic number, 0x4B400000).
    Value ni = arith::SubIOp::create(
        b, arith::BitcastOp::create(b, ivec, shifted), ivecConst(0x4B400000));
    Value pow = arith::BitcastOp::create(
        b, vec,
        arith::ShLIOp::create(b, arith::AddIOp::create(b, ni, ivecConst(127)),
                              ivecConst(23)));
    return arith::MulFOp::create(b, y, pow);
  }

  mlir::ImplicitLocOpBuilder &b;
};

} // namespace sieve

#endif
