/* RELU and RELU6 (standalone, not fused into a conv), int8 as TFLM computes them.
 * RELU requantizes to the output's scale, then clamps at the output's zero;
 * TFLM's RELU6 only clamps the input between its own zero and six, so its
 * emitter passes an identity requantization (tinyml/firmware/prepare/activations.py). */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_relu(const tml_relu_params *p) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t v = tml_multiply_by_quantized_multiplier(p->input[i] - p->input_zero_point, p->multiplier, p->shift);
    p->output[i] = (int8_t)tml_clamp(v + p->output_zero_point, p->act_min, p->act_max);
  }
}
