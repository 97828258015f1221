/* SOFTMAX, int8 in, int8 out (scale 1/256, zero point -128) or int16 out (zero
 * point -32768), with
 * TFLite's integer algorithm: differences to the row maximum are scaled to
 * Q5.26, exponentiated in fixed point, summed in Q12.19 and divided through a
 * fixed-point reciprocal. Differences below diff_min contribute nothing. */
#include "int_elements.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

enum { kScaledDiffIntegerBits = 5, kAccumulationIntegerBits = 12 };

static int32_t count_leading_zeros(uint32_t x) {
  int32_t n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

static int32_t scaled_exp(const tml_softmax_params *p, int32_t diff) {
  const int32_t rescaled =
      tml_sat_rounding_doubling_high_mul((int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
  return tml_exp_on_negative_values(rescaled, kScaledDiffIntegerBits);
}

void tml_softmax(const tml_softmax_params *p) {
  const int32_t out_bits = 8 * (int32_t)p->output_type;
  const int32_t out_min = tml_int_min(p->output_type), out_max = tml_int_max(p->output_type);
  for (int32_t r = 0; r < p->rows; ++r) {
    const int8_t *in = p->input + r * p->depth;
    int32_t max = INT8_MIN;
    for (int32_t c = 0; c < p->depth; ++c) {
      if (in[c] > max) max = in[c];
    }
    int32_t sum_of_exps = 0; /* Q12.19 */
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = in[c] - max;
      if (diff >= p->diff_min) {
        sum_of_exps += tml_rounding_divide_by_pot(scaled_exp(p, diff), kAccumulationIntegerBits);
      }
    }
    /* 1 / sum: normalise the sum to [1, 2) and take 1 / (1 + x). */
    const int32_t headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
    const int32_t num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
    const int32_t shifted_scale = tml_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = in[c] - max;
      int32_t value = out_min;
      if (diff >= p->diff_min) {
        const int32_t prob = tml_sat_rounding_doubling_high_mul(shifted_scale, scaled_exp(p, diff));
        const int32_t unsat = tml_rounding_divide_by_pot(prob, num_bits_over_unit + 31 - out_bits);
        value = tml_clamp(unsat + out_min, out_min, out_max);
      }
      tml_store_int(p->output, p->output_type, r * p->depth + c, value);
    }
  }
}
