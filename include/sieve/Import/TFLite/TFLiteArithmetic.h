//===- TFLiteArithmetic.h - TFLite's integer arithmetic ---------*- C++ -*-===//
//
// Part of Sieve. A transcription of TFLite's quantisation arithmetic
// (kernels/internal/common.h, quantization_util.cc) and of gemmlowp's
// fixed-point functions (fixedpoint/fixedpoint.h), free of MLIR: the
// importer computes its multipliers and lookup tables with it, so that
// Sieve's integers are TFLite's, and the test reference kernels
// (utils/tflite-reference) use the same primitives.
//
// gemmlowp's FixedPoint<int32_t, I> values are raw int32 here; products are
// saturatingRoundingDoublingHighMul, sums plain int32 additions.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_IMPORT_TFLITE_TFLITEARITHMETIC_H
#define SIEVE_IMPORT_TFLITE_TFLITEARITHMETIC_H

#include <array>
#include <cstdint>
#include <optional>

namespace sieve::tflite {

/// TFLite's QuantizeMultiplier: a real multiplier as a Q31 value in
/// [2^30, 2^31) and a power-of-two exponent (positive: a left shift).
void quantizeMultiplier(double real, int32_t &multiplier, int &exponent);

int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b);
/// Division by 2^exponent rounding half away from zero.
int32_t roundingDivideByPOT(int32_t x, int exponent);
/// A saturating left shift for a positive exponent, a rounding right shift
/// otherwise.
int32_t saturatingRoundingMultiplyByPOT(int32_t x, int exponent);
/// MultiplyByQuantizedMultiplier (the version the reference kernels use).
int32_t multiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift);

/// gemmlowp's exp_on_negative_values: `a` with `integerBits` integer bits,
/// the result with none.
int32_t expOnNegativeValues(int32_t a, int integerBits);
/// gemmlowp's one_over_one_plus_x_for_x_in_0_1 (0 integer bits in, 1 out).
int32_t oneOverOnePlusXForXIn01(int32_t a);
/// TFLite's GetReciprocal.
int32_t getReciprocal(int32_t x, int xIntegerDigits, int &numBitsOverUnit);

/// An int8 elementwise function as TFLite Micro computes it, for every input
/// value: entry `q + 128` is the output for input `q`.
using Int8Table = std::array<int8_t, 256>;

/// LOGISTIC: reference_integer_ops::Logistic with LogisticPrepare's
/// parameters; the output quantisation is fixed (1/256, -128).
Int8Table logisticTable(float inputScale, int32_t inputZeroPoint);
/// TANH: reference_integer_ops::Tanh with TanhPrepare's parameters; the
/// output quantisation is fixed (1/128, 0).
Int8Table tanhTable(float inputScale, int32_t inputZeroPoint);
/// HARD_SWISH: reference_ops::HardSwish (int16 fixed point) with
/// HardSwishPrepare's parameters; none when TFLite refuses the scales (an
/// output scale below the input's / 128).
std::optional<Int8Table> hardSwishTable(float inputScale,
                                        int32_t inputZeroPoint,
                                        float outputScale,
                                        int32_t outputZeroPoint);

/// int8 SOFTMAX (reference_ops::Softmax with CalculateSoftmaxParams): the
/// difference of an input to its row's maximum, `d` in [-255, 0], is scaled
/// by beta and the input scale to Q5.26 and exponentiated in fixed point.
/// Entry `d + 255` of `exp` is that exponential with 0 integer bits (0 below
/// the kernel's `diff_min`); `accumulated` is the same in the row sum's
/// format, Rescale<12>.
struct SoftmaxTables {
  std::array<int32_t, 256> exp, accumulated;
};
/// None when the input scale is too small for TFLite's kernel (a negative
/// input shift).
std::optional<SoftmaxTables> softmaxTables(float inputScale, float beta);

} // namespace sieve::tflite

#endif // SIEVE_IMPORT_TFLITE_TFLITEARITHMETIC_H
