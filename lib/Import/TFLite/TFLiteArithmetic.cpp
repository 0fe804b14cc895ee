//===- TFLiteArithmetic.cpp - TFLite's integer arithmetic -----------------===//
//
// Part of Sieve. See TFLiteArithmetic.h; each function names its TFLite or
// gemmlowp original.
//
//===----------------------------------------------------------------------===//

#include "sieve/Import/TFLite/TFLiteArithmetic.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sieve::tflite {

int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  int32_t high = static_cast<int32_t>((ab + nudge) / (1LL << 31));
  return overflow ? std::numeric_limits<int32_t>::max() : high;
}

int32_t roundingDivideByPOT(int32_t x, int exponent) {
  int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// gemmlowp's SaturatingRoundingMultiplyByPOT: a saturating left shift for a
/// positive exponent, a rounding right shift otherwise.
int32_t saturatingRoundingMultiplyByPOT(int32_t x, int exponent) {
  if (exponent <= 0)
    return roundingDivideByPOT(x, -exponent);
  int32_t threshold = static_cast<int32_t>((1LL << (31 - exponent)) - 1);
  if (x > threshold)
    return std::numeric_limits<int32_t>::max();
  if (x < -threshold)
    return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(static_cast<uint32_t>(x) << exponent);
}

/// TFLite's MultiplyByQuantizedMultiplier (the non-double-rounding-free
/// version of common.h that the reference kernels use).
int32_t multiplyByQuantizedMultiplier(int32_t x, int32_t multiplier,
                                      int shift) {
  int leftShift = shift > 0 ? shift : 0;
  int rightShift = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(
      saturatingRoundingDoublingHighMul(
          static_cast<int32_t>(static_cast<int64_t>(x) * (1LL << leftShift)),
          multiplier),
      rightShift);
}

/// TFLite's QuantizeMultiplier (quantization_util.cc).
void quantizeMultiplier(double real, int32_t &multiplier, int &shift) {
  if (real == 0.0) {
    multiplier = 0;
    shift = 0;
    return;
  }
  double q = std::frexp(real, &shift);
  int64_t qFixed = static_cast<int64_t>(std::round(q * (1LL << 31)));
  if (qFixed == (1LL << 31)) {
    qFixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    qFixed = 0;
  }
  if (shift > 30) {
    shift = 30;
    qFixed = (1LL << 31) - 1;
  }
  multiplier = static_cast<int32_t>(qFixed);
}

// gemmlowp FixedPoint<int32_t, I> values are kept as raw int32; products of
// two are saturatingRoundingDoublingHighMul, sums plain int32 additions.

/// gemmlowp's exp_on_interval_between_negative_one_quarter_and_0_excl
/// (0 integer bits in and out).
static int32_t expOnIntervalBetweenNegativeOneQuarterAnd0Excl(int32_t a) {
  const int32_t constantTerm = 1895147668; // exp(-1/8)
  const int32_t constantOneOverThree = 715827883;
  int32_t x = a + (1 << 28); // a + 1/8
  int32_t x2 = saturatingRoundingDoublingHighMul(x, x);
  int32_t x3 = saturatingRoundingDoublingHighMul(x2, x);
  int32_t x4 = saturatingRoundingDoublingHighMul(x2, x2);
  int32_t x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2);
  int32_t poly = saturatingRoundingMultiplyByPOT(
      saturatingRoundingDoublingHighMul(x4Over4 + x3, constantOneOverThree) +
          x2,
      -1);
  return constantTerm +
         saturatingRoundingDoublingHighMul(constantTerm, x + poly);
}

/// gemmlowp's exp_on_negative_values for an input with `integerBits`
/// integer bits; the result has 0 integer bits.
int32_t expOnNegativeValues(int32_t a, int integerBits) {
  const int fractionalBits = 31 - integerBits;
  const int32_t oneQuarter = 1 << (fractionalBits - 2);
  const int32_t mask = oneQuarter - 1;
  int32_t aModQuarterMinusOneQuarter = (a & mask) - oneQuarter;
  int32_t result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(
      saturatingRoundingMultiplyByPOT(aModQuarterMinusOneQuarter, integerBits));
  int32_t remainder = aModQuarterMinusOneQuarter - a;
  // The barrel shifter: exp(-2^k) for the bits of the remainder.
  static const struct {
    int exponent;
    int32_t multiplier;
  } barrel[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084},
                {1, 290630308},   {2, 39332535},    {3, 720401},
                {4, 242}};
  for (const auto &step : barrel)
    if (integerBits > step.exponent &&
        (remainder & (1 << (fractionalBits + step.exponent))))
      result = saturatingRoundingDoublingHighMul(result, step.multiplier);
  if (integerBits > 5) {
    int32_t clamp = -(1 << (36 - integerBits)); // -32.0
    if (a < clamp)
      result = 0;
  }
  if (a == 0)
    result = std::numeric_limits<int32_t>::max(); // One() with 0 integer bits
  return result;
}

/// gemmlowp's one_over_one_plus_x_for_x_in_0_1 (Newton-Raphson).
int32_t oneOverOnePlusXForXIn01(int32_t a) {
  int64_t sum = static_cast<int64_t>(a) + std::numeric_limits<int32_t>::max();
  int32_t halfDenominator =
      static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t c48Over17 = 1515870810;     // 2 integer bits
  const int32_t cNeg32Over17 = -1010580540; // 2 integer bits
  int32_t x = c48Over17 +
              saturatingRoundingDoublingHighMul(halfDenominator, cNeg32Over17);
  const int32_t oneF2 = 1 << 29;
  for (int i = 0; i < 3; ++i) {
    int32_t halfDenominatorTimesX =
        saturatingRoundingDoublingHighMul(halfDenominator, x);
    int32_t oneMinus = oneF2 - halfDenominatorTimesX;
    // F2 * F2 is F4; Rescale<2> shifts left by 2, saturating.
    x = x + saturatingRoundingMultiplyByPOT(
                saturatingRoundingDoublingHighMul(x, oneMinus), 2);
  }
  // ExactMulByPot<-1> makes it F1 (same raw); Rescale<0> shifts left by 1.
  return saturatingRoundingMultiplyByPOT(x, 1);
}

/// TFLite's GetReciprocal (common.h).
int32_t getReciprocal(int32_t x, int xIntegerDigits, int &numBitsOverUnit) {
  uint32_t ux = static_cast<uint32_t>(x);
  int headroomPlusOne = ux ? __builtin_clz(ux) : 32;
  numBitsOverUnit = xIntegerDigits - headroomPlusOne;
  int32_t shiftedSumMinusOne = static_cast<int32_t>(
      (headroomPlusOne < 32 ? ux << headroomPlusOne : 0u) - (1u << 31));
  return oneOverOnePlusXForXIn01(shiftedSumMinusOne);
}

//===----------------------------------------------------------------------===//
// The int8 lookup-table kernels
//===----------------------------------------------------------------------===//

namespace {

/// TFLite's CalculateInputRadius (quantization_util.cc).
int32_t calculateInputRadius(int integerBits, int leftShift) {
  double maxInputRescaled = 1.0 * ((1 << integerBits) - 1) *
                            static_cast<double>(1LL << (31 - integerBits)) /
                            std::ldexp(1.0, leftShift);
  return static_cast<int32_t>(std::floor(maxInputRescaled));
}

/// LOGISTIC and TANH in int8 (reference_integer_ops): the input in Q4.27
/// through the multiplier frexp(s_in * 2^27) that the Prepare functions
/// compute, saturated beyond the input radius, gemmlowp's function, and a
/// rounding shift to the fixed output scale.
template <typename Function>
Int8Table q4Table(float inputScale, int32_t inputZeroPoint, Function fn,
                  int outputFractionBits, int32_t outputZeroPoint) {
  constexpr int kInputIntegerBits = 4;
  int leftShift;
  double q = std::frexp(static_cast<double>(inputScale) *
                            static_cast<double>(1 << (31 - kInputIntegerBits)),
                        &leftShift);
  auto multiplier = static_cast<int32_t>(std::round(q * (1LL << 31)));
  int32_t radius = calculateInputRadius(kInputIntegerBits, leftShift);
  Int8Table table;
  for (int x = -128; x < 128; ++x) {
    int32_t input = x - inputZeroPoint, y;
    if (input <= -radius)
      y = -128;
    else if (input >= radius)
      y = 127;
    else
      y = roundingDivideByPOT(
              fn(multiplyByQuantizedMultiplier(input, multiplier, leftShift)),
              31 - outputFractionBits) +
          outputZeroPoint;
    table[x + 128] = static_cast<int8_t>(std::clamp(y, -128, 127));
  }
  return table;
}

/// gemmlowp's one_minus_x_over_one_plus_x_for_x_in_0_1: the Newton-Raphson
/// division of oneOverOnePlusXForXIn01, then Rescale<0>(x - F2::One()).
int32_t oneMinusXOverOnePlusXForXIn01(int32_t a) {
  int64_t sum = static_cast<int64_t>(a) + std::numeric_limits<int32_t>::max();
  auto halfDenominator = static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
  int32_t x = 1515870810 + // 48/17 with 2 integer bits
              saturatingRoundingDoublingHighMul(halfDenominator,
                                                -1010580540); // -32/17
  for (int i = 0; i < 3; ++i) {
    int32_t oneMinus =
        (1 << 29) - saturatingRoundingDoublingHighMul(halfDenominator, x);
    x += saturatingRoundingMultiplyByPOT(
        saturatingRoundingDoublingHighMul(x, oneMinus), 2);
  }
  return saturatingRoundingMultiplyByPOT(x - (1 << 29), 2);
}

// The int16 arithmetic of reference/hard_swish.h (gemmlowp's int16
// overloads).
int16_t saturatingRoundingDoublingHighMul16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min())
    return std::numeric_limits<int16_t>::max();
  int32_t ab = static_cast<int32_t>(a) * b;
  int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}

/// SaturatingDoublingHighMul: rounds toward zero (ARM's SQDMULH).
int16_t saturatingDoublingHighMul16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min())
    return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>(static_cast<int32_t>(a) * b / (1 << 15));
}

int16_t saturatingLeftShift16(int16_t value, int amount) {
  int64_t r = static_cast<int64_t>(value) * (1 << amount);
  return static_cast<int16_t>(
      std::clamp<int64_t>(r, std::numeric_limits<int16_t>::min(),
                          std::numeric_limits<int16_t>::max()));
}

int16_t roundingDivideByPOT16(int16_t x, int exponent) {
  return static_cast<int16_t>(roundingDivideByPOT(x, exponent));
}

/// DownScaleInt32ToInt16Multiplier.
int16_t downScaleMultiplier(int32_t multiplier) {
  if (multiplier >= std::numeric_limits<int32_t>::max() - (1 << 15))
    return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((multiplier + (1 << 15)) >> 16);
}

} // namespace

Int8Table logisticTable(float inputScale, int32_t inputZeroPoint) {
  // gemmlowp's logistic: 1 / (1 + exp(-|a|)), mirrored below zero.
  auto logistic = [](int32_t a) -> int32_t {
    if (a == 0)
      return 1 << 30;
    int32_t positive =
        oneOverOnePlusXForXIn01(expOnNegativeValues(a > 0 ? -a : a, 4));
    return a > 0 ? positive : std::numeric_limits<int32_t>::max() - positive;
  };
  return q4Table(inputScale, inputZeroPoint, logistic, 8, -128);
}

Int8Table tanhTable(float inputScale, int32_t inputZeroPoint) {
  // gemmlowp's tanh: (1 - exp(-2|a|)) / (1 + exp(-2|a|)) with a's sign;
  // ExactMulByPot<1> doubles by adding an integer bit to the same raw value.
  auto tanh = [](int32_t a) -> int32_t {
    if (a == 0)
      return 0;
    int32_t t =
        oneMinusXOverOnePlusXForXIn01(expOnNegativeValues(a < 0 ? a : -a, 5));
    return a < 0 ? -t : t;
  };
  return q4Table(inputScale, inputZeroPoint, tanh, 7, 0);
}

std::optional<Int8Table> hardSwishTable(float inputScale,
                                        int32_t inputZeroPoint,
                                        float outputScale,
                                        int32_t outputZeroPoint) {
  // HardSwishPrepare computes the scales in float.
  const float hiresInputScale = (1.0f / 128.0f) * inputScale;
  const float reluishScale = 3.0f / 32768.0f;
  int32_t outputMultiplier32, reluishMultiplier32;
  int outputExponent, reluishExponent;
  quantizeMultiplier(static_cast<double>(hiresInputScale / outputScale),
                     outputMultiplier32, outputExponent);
  quantizeMultiplier(static_cast<double>(hiresInputScale / reluishScale),
                     reluishMultiplier32, reluishExponent);
  if (outputExponent > 0)
    return std::nullopt;
  int16_t outputMultiplier = downScaleMultiplier(outputMultiplier32);
  int16_t reluishMultiplier = downScaleMultiplier(reluishMultiplier32);
  Int8Table table;
  for (int x = -128; x < 128; ++x) {
    auto hires = static_cast<int16_t>((x - inputZeroPoint) * (1 << 7));
    int16_t preshiftOutput =
        saturatingRoundingDoublingHighMul16(hires, outputMultiplier);
    // The relu-ish multiplier: x rescaled from [-3, 3] to [-1, 1],
    // saturating, then to [0, 1].
    int16_t reluish = hires;
    if (reluishExponent > 0)
      reluish = saturatingLeftShift16(reluish, reluishExponent - 1);
    reluish = saturatingRoundingDoublingHighMul16(reluish, reluishMultiplier);
    if (reluishExponent > 0)
      reluish = saturatingLeftShift16(reluish, 1);
    if (reluishExponent < 0)
      reluish = roundingDivideByPOT16(reluish, -reluishExponent);
    reluish = static_cast<int16_t>((reluish + (1 << 15)) >> 1);
    int16_t out = roundingDivideByPOT16(
        saturatingDoublingHighMul16(reluish, preshiftOutput), -outputExponent);
    int32_t y = out + outputZeroPoint;
    table[x + 128] = static_cast<int8_t>(std::clamp(y, -128, 127));
  }
  return table;
}

std::optional<SoftmaxTables> softmaxTables(float inputScale, float beta) {
  const int scaledDiffIntegerBits = 5, accumulationIntegerBits = 12;
  double realMultiplier = std::min<double>(
      static_cast<double>(beta) * static_cast<double>(inputScale) *
          (1 << (31 - scaledDiffIntegerBits)),
      (1LL << 31) - 1.0);
  int32_t multiplier;
  int leftShift;
  quantizeMultiplier(realMultiplier, multiplier, leftShift);
  if (leftShift < 0)
    return std::nullopt;
  int diffMin = -calculateInputRadius(scaledDiffIntegerBits, leftShift);
  SoftmaxTables tables;
  for (int d = -255; d <= 0; ++d) {
    int32_t e = 0;
    if (d >= diffMin) {
      // MultiplyByQuantizedMultiplierGreaterThanOne.
      int32_t rescaled = saturatingRoundingDoublingHighMul(
          static_cast<int32_t>(static_cast<int64_t>(d) * (1LL << leftShift)),
          multiplier);
      e = expOnNegativeValues(rescaled, scaledDiffIntegerBits);
    }
    tables.exp[d + 255] = e;
    tables.accumulated[d + 255] =
        saturatingRoundingMultiplyByPOT(e, -accumulationIntegerBits);
  }
  return tables;
}

} // namespace sieve::tflite
