/* Q-format exp and reciprocal, following gemmlowp's fixed-point definitions
 * that TFLite's integer SOFTMAX / LOGISTIC / TANH are specified by.
 * Raw additions wrap like gemmlowp's int32 FixedPoint operator+. */
#include "tml_fixedpoint.h"

#define TML_MUL tml_sat_rounding_doubling_high_mul

static int32_t wrap_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t wrap_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

static int32_t rounding_half_sum(int32_t a, int32_t b) {
  int64_t sum = (int64_t)a + (int64_t)b;
  int64_t sign = sum >= 0 ? 1 : -1;
  return (int32_t)((sum + sign) / 2);
}

int32_t tml_exp_on_interval_neg_quarter_to_0(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668;
  const int32_t one_third = 715827883;
  int32_t x = wrap_add(a, 1 << 28); /* Taylor expansion around -1/8 */
  int32_t x2 = TML_MUL(x, x);
  int32_t x3 = TML_MUL(x2, x);
  int32_t x4 = TML_MUL(x2, x2);
  int32_t x4_over_4 = tml_rounding_divide_by_pot(x4, 2);
  int32_t poly = tml_rounding_divide_by_pot(wrap_add(TML_MUL(wrap_add(x4_over_4, x3), one_third), x2), 1);
  return wrap_add(exp_minus_one_eighth, TML_MUL(exp_minus_one_eighth, wrap_add(x, poly)));
}

int32_t tml_exp_on_negative_values(int32_t a, int integer_bits) {
  /* exp(-2^k) in Q0.31 for k = -2 .. 4: the barrel shifter's factors. */
  static const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  int32_t a_mod_quarter_minus_quarter = wrap_sub(a & (one_quarter - 1), one_quarter);
  int32_t result =
      tml_exp_on_interval_neg_quarter_to_0(tml_saturating_shift_left(a_mod_quarter_minus_quarter, integer_bits));
  int32_t remainder = wrap_sub(a_mod_quarter_minus_quarter, a);
  for (int exponent = -2; exponent <= 4; ++exponent) {
    if (integer_bits > exponent && (remainder & ((int32_t)1 << (fractional_bits + exponent)))) {
      result = TML_MUL(result, factors[exponent + 2]);
    }
  }
  if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits))) result = 0;
  return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson for 1 / half_denominator in Q2.29, shared by both quotients. */
static int32_t reciprocal_newton_q2(int32_t half_denominator) {
  const int32_t c_48_over_17 = 1515870810;
  const int32_t c_neg_32_over_17 = -1010580540;
  const int32_t one_q2 = (int32_t)1 << 29;
  int32_t x = wrap_add(c_48_over_17, TML_MUL(half_denominator, c_neg_32_over_17));
  for (int i = 0; i < 3; ++i) {
    int32_t one_minus_hd_x = wrap_sub(one_q2, TML_MUL(half_denominator, x));
    x = wrap_add(x, tml_saturating_shift_left(TML_MUL(x, one_minus_hd_x), 2));
  }
  return x;
}

int32_t tml_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  int32_t x = reciprocal_newton_q2(rounding_half_sum(a, INT32_MAX));
  /* x / 2 in Q2.29 is the result in Q1.30; rescale to Q0.31. */
  return tml_saturating_shift_left(x, 1);
}

int32_t tml_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a) {
  int32_t x = reciprocal_newton_q2(rounding_half_sum(a, INT32_MAX));
  return tml_saturating_shift_left(wrap_sub(x, (int32_t)1 << 29), 2);
}
