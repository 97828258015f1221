/* LEAKY_RELU, int8: inputs at or above the zero point are requantized to the
 * output, those below it are also scaled by alpha (folded into their multiplier). */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_leaky_relu(const tml_leaky_relu_params *p) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t x = p->input[i] - p->input_zero_point;
    const int32_t v = x >= 0 ? tml_multiply_by_quantized_multiplier(x, p->identity_multiplier, p->identity_shift)
                             : tml_multiply_by_quantized_multiplier(x, p->alpha_multiplier, p->alpha_shift);
    p->output[i] = (int8_t)tml_clamp(v + p->output_zero_point, INT8_MIN, INT8_MAX);
  }
}
