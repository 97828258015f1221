/* LOGISTIC, int8 (output scale 1/256, zero point -128): input in Q4.27,
 * sigmoid in fixed point via exp and a Newton-Raphson reciprocal. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

enum { kInputIntegerBits = 4 };

static int32_t logistic_q0(int32_t a) {
  if (a == 0) return 1 << 30; /* one half */
  const int32_t abs_a = a > 0 ? a : -a;
  const int32_t positive = tml_one_over_one_plus_x_for_x_in_0_1(tml_exp_on_negative_values(-abs_a, kInputIntegerBits));
  return a > 0 ? positive : INT32_MAX - positive; /* 1 - s(|a|) */
}

void tml_logistic(const tml_sigmoid_params *p) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t x = p->input[i] - p->input_zero_point;
    int32_t out;
    if (x <= -p->input_range_radius) {
      out = INT8_MIN;
    } else if (x >= p->input_range_radius) {
      out = INT8_MAX;
    } else {
      const int32_t q4 = tml_multiply_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
      out = tml_clamp(tml_rounding_divide_by_pot(logistic_q0(q4), 31 - 8) - 128, INT8_MIN, INT8_MAX);
    }
    p->output[i] = (int8_t)out;
  }
}
