/* QUANTIZE int8 -> int8: requantization to a new scale and zero point. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_quantize(const tml_quantize_params *p) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t v = tml_multiply_by_quantized_multiplier(p->input[i] - p->input_zero_point, p->multiplier, p->shift);
    p->output[i] = (int8_t)tml_clamp(v + p->output_zero_point, INT8_MIN, INT8_MAX);
  }
}
