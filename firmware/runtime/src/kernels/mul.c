/* MUL, int8: the product of the zero-point-corrected inputs, requantized once. */
#include "broadcast.h"
#include "tml_fixedpoint.h"

static int8_t mul_one(int32_t a, int32_t b, const void *params) {
  const tml_mul_params *p = (const tml_mul_params *)params;
  const int32_t product = (a + p->input1_offset) * (b + p->input2_offset);
  const int32_t out =
      tml_multiply_by_quantized_multiplier(product, p->output_multiplier, p->output_shift) + p->output_offset;
  return (int8_t)tml_clamp(out, p->act_min, p->act_max);
}

void tml_mul(const tml_mul_params *p) { tml_broadcast_apply(&p->b, p->input1, p->input2, p->output, mul_one, p); }
