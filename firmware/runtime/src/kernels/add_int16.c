/* ADD, 16x8: both int16 inputs (zero point 0) are brought to a common scale with 15 bits of
 * headroom, summed and requantized to the output, as TFLite's int16 ADD does. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_add_int16(const tml_add_int16_params *p) {
  const tml_broadcast_shape *b = &p->b;
  int16_t *out = p->output;
  for (int32_t i0 = 0; i0 < b->shape[0]; ++i0) {
    for (int32_t i1 = 0; i1 < b->shape[1]; ++i1) {
      for (int32_t i2 = 0; i2 < b->shape[2]; ++i2) {
        const int16_t *x = p->input1 + i0 * b->stride1[0] + i1 * b->stride1[1] + i2 * b->stride1[2];
        const int16_t *y = p->input2 + i0 * b->stride2[0] + i1 * b->stride2[1] + i2 * b->stride2[2];
        for (int32_t i3 = 0; i3 < b->shape[3]; ++i3) {
          const int32_t sum =
              tml_rescale_input(x[i3 * b->stride1[3]], 0, p->left_shift, p->input1_multiplier, p->input1_shift) +
              tml_rescale_input(y[i3 * b->stride2[3]], 0, p->left_shift, p->input2_multiplier, p->input2_shift);
          const int32_t v = tml_multiply_by_quantized_multiplier(sum, p->output_multiplier, p->output_shift);
          *out++ = (int16_t)tml_clamp(v, p->act_min, p->act_max);
        }
      }
    }
  }
}
