/* Fixed-point arithmetic with TFLite's integer semantics.
 *
 * Every int8 kernel requantizes through these helpers, so bit-exactness with
 * TFLM rests on this one file: rounding-doubling high multiply, rounding
 * divide by a power of two (ties away from zero), and the gemmlowp-style
 * Q-format exp / reciprocal used by SOFTMAX, LOGISTIC and TANH.
 * Multipliers and shifts are computed on the host (tinyml/firmware/quantize.py);
 * nothing here uses floating point.
 */
#ifndef TML_FIXEDPOINT_H_
#define TML_FIXEDPOINT_H_

#include <stdint.h>

static inline int32_t tml_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  /* TFLite adds a sign-dependent nudge (2^30 or 1 - 2^30) and divides by 2^31
   * truncating toward zero. For a negative product that is ceil((ab + 1 - 2^30) / 2^31)
   * = floor((ab + 2^30) / 2^31), the same as for a positive one: so one
   * multiply-accumulate and an arithmetic shift (GCC shifts signed values
   * arithmetically) give identical results without a 64-bit division. */
  return (int32_t)(((int64_t)a * b + (1 << 30)) >> 31);
}

static inline int32_t tml_rounding_divide_by_pot(int32_t x, int exponent) {
  int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* Saturating x * 2^exponent for exponent >= 0 (gemmlowp's SaturatingRoundingMultiplyByPOT). */
static inline int32_t tml_saturating_shift_left(int32_t x, int exponent) {
  if (exponent == 0) return x;
  int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* x * multiplier * 2^shift, TFLite's MultiplyByQuantizedMultiplier (shift > 0: left). */
static inline int32_t tml_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  return tml_rounding_divide_by_pot(tml_sat_rounding_doubling_high_mul((int32_t)((uint32_t)x << left), multiplier),
                                    right);
}

/* The same for the int64 accumulators of the 16x8 kernels, as TFLite does it: the host rounds
 * the multiplier to Q15 and gives right_shift = 15 - shift (8..46); the product is rounded
 * half up and truncated to int32. */
static inline int32_t tml_multiply_by_quantized_multiplier_64(int64_t x, int32_t multiplier_q15, int right_shift) {
  return (int32_t)((x * multiplier_q15 + ((int64_t)1 << (right_shift - 1))) >> right_shift);
}

static inline int32_t tml_clamp(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* (x + offset) * 2^left_shift * multiplier * 2^shift: how TFLite's ADD, SUB and
 * SQUARED_DIFFERENCE bring an int8 input to the scale both inputs share. */
static inline int32_t tml_rescale_input(int32_t x, int32_t offset, int left_shift, int32_t multiplier, int shift) {
  const int32_t shifted = (int32_t)((uint32_t)(x + offset) << left_shift);
  return tml_multiply_by_quantized_multiplier(shifted, multiplier, shift);
}

/* ---- Q-format transcendental helpers (raw int32 values; Qm.n named by integer bits) ---- */

/* exp(x) for x in [-1/4, 0); input and result have 0 integer bits. */
int32_t tml_exp_on_interval_neg_quarter_to_0(int32_t a);
/* exp(a) for a <= 0, a with `integer_bits` integer bits; result has 0 integer bits. */
int32_t tml_exp_on_negative_values(int32_t a, int integer_bits);
/* 1 / (1 + x) for x in [0, 1), 0 integer bits in and out. */
int32_t tml_one_over_one_plus_x_for_x_in_0_1(int32_t a);
/* (1 - x) / (1 + x) for x in [0, 1), 0 integer bits in and out. */
int32_t tml_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a);

#endif /* TML_FIXEDPOINT_H_ */
