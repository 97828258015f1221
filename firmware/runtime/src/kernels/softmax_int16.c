/* SOFTMAX, 16x8, as TFLite computes it: per row, exp of each input minus the row's maximum
 * (Q0.15, from a table), the reciprocal of their sum (from a second table, after normalizing
 * the sum to [1, 2)), and each exp times that reciprocal. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Table of 513 values over [-32768, 32767] in 512 steps of 128: interpolate between two. */
static int16_t lookup(const int16_t *table, int32_t x) {
  const int32_t index = 256 + (x >> 7);
  const int32_t slope = (int16_t)(table[index + 1] - table[index]);
  return (int16_t)(table[index] + ((slope * (x & 0x7f) + 64) >> 7));
}

void tml_softmax_int16(const tml_softmax_int16_params *p) {
  for (int32_t r = 0; r < p->rows; ++r) {
    const int16_t *in = p->input + r * p->depth;
    int16_t *out = p->output + r * p->depth;
    int16_t max = INT16_MIN;
    for (int32_t c = 0; c < p->depth; ++c) {
      if (in[c] > max) max = in[c];
    }
    /* The exps wait in the output (input and output never overlap: the plan keeps them apart). */
    int32_t sum = 0;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = tml_multiply_by_quantized_multiplier(in[c] - max, p->input_multiplier, p->input_shift);
      out[c] = lookup(p->exp_table, tml_clamp(diff + 32767, INT16_MIN, INT16_MAX));
      sum += out[c];
    }
    /* The largest exp is near 1.0 (32767), so sum > 0: headroom is its leading zeros. */
    const int headroom = __builtin_clz((uint32_t)sum);
    const int32_t normalized = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
    /* The table holds 1 / (1 + x) for x in [0, 1) spread over the int16 range. */
    const int32_t reciprocal =
        lookup(p->reciprocal_table, tml_clamp(normalized - (1 << 15) - (1 << 16), INT16_MIN, INT16_MAX));
    const int right_shift = 31 - headroom;
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t v = (int32_t)(((int64_t)out[c] * reciprocal + ((int64_t)1 << (right_shift - 1))) >> right_shift);
      out[c] = (int16_t)tml_clamp(v, 0, INT16_MAX);
    }
  }
}
