/* HARD_SWISH, int8: x * relu6(x + 3) / 6 in 16-bit fixed point, step by step as
 * TFLite's reference kernel rounds: the input on a 2^7 finer scale, once
 * rescaled to the output (before its final right shift) and once to the
 * "relu-ish" factor relu6(x + 3) / 6 in Q15, then the two multiplied. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static int16_t saturate16(int64_t x) { return (int16_t)(x < INT16_MIN ? INT16_MIN : (x > INT16_MAX ? INT16_MAX : x)); }

static int16_t saturating_left_shift16(int16_t x, int shift) { return saturate16((int64_t)x * ((int64_t)1 << shift)); }

/* a * b / 2^15, rounded to nearest (ties away from zero). */
static int16_t rounding_doubling_high_mul16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  const int32_t ab = (int32_t)a * b;
  return (int16_t)((ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15));
}

/* a * b / 2^15, truncated toward zero: TFLite uses it for the last product so its
 * bias offsets the rounding ones before. */
static int16_t doubling_high_mul16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  return (int16_t)(((int32_t)a * b) / (1 << 15));
}

void tml_hard_swish(const tml_hard_swish_params *p) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int16_t x = (int16_t)((p->input[i] - p->input_zero_point) * (1 << 7));
    const int16_t on_output_scale = rounding_doubling_high_mul16(x, (int16_t)p->output_multiplier);
    /* x on the scale where 3 is 2^15, saturating: a left shift is split around
     * the multiply so that only the last bit's saturation reaches the result. */
    int16_t reluish = x;
    if (p->reluish_shift > 0) reluish = saturating_left_shift16(reluish, p->reluish_shift - 1);
    reluish = rounding_doubling_high_mul16(reluish, (int16_t)p->reluish_multiplier);
    if (p->reluish_shift > 0) reluish = saturating_left_shift16(reluish, 1);
    if (p->reluish_shift < 0) reluish = (int16_t)tml_rounding_divide_by_pot(reluish, -p->reluish_shift);
    reluish = (int16_t)((reluish + (1 << 15)) >> 1); /* [-1, 1] -> [0, 1] */
    const int16_t product = doubling_high_mul16(reluish, on_output_scale);
    const int32_t out = tml_rounding_divide_by_pot(product, -p->output_shift) + p->output_zero_point;
    p->output[i] = (int8_t)tml_clamp(out, INT8_MIN, INT8_MAX);
  }
}
