/* TANH, int8 (output scale 1/128, zero point 0): input in Q4.27,
 * tanh(|a|) = (1 - e^(-2|a|)) / (1 + e^(-2|a|)) in fixed point. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

static int32_t tanh_q0(int32_t a) {
  if (a == 0) return 0;
  const int32_t neg_abs = a < 0 ? a : -a;
  /* e^(2 * neg_abs): the same raw bits read with one more integer bit. */
  const int32_t t = tml_one_minus_x_over_one_plus_x_for_x_in_0_1(tml_exp_on_negative_values(neg_abs, 5));
  return a < 0 ? -t : t;
}

void tml_tanh(const tml_sigmoid_params *p) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t x = p->input[i] - p->input_zero_point;
    int32_t out;
    if (x <= -p->input_range_radius) {
      out = INT8_MIN;
    } else if (x >= p->input_range_radius) {
      out = INT8_MAX;
    } else {
      const int32_t q4 = tml_multiply_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
      out = tml_clamp(tml_rounding_divide_by_pot(tanh_q0(q4), 31 - 7), INT8_MIN, INT8_MAX);
    }
    p->output[i] = (int8_t)out;
  }
}
