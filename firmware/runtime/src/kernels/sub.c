/* SUB, int8: TFLite's integer ADD with the second input subtracted: both inputs
 * on a common scale with 20 bits of headroom, the difference requantized. */
#include "broadcast.h"
#include "tml_fixedpoint.h"

static int8_t sub_one(int32_t a, int32_t b, const void *params) {
  const tml_add_params *p = (const tml_add_params *)params;
  const int32_t difference =
      tml_rescale_input(a, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift) -
      tml_rescale_input(b, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
  const int32_t out =
      tml_multiply_by_quantized_multiplier(difference, p->output_multiplier, p->output_shift) + p->output_offset;
  return (int8_t)tml_clamp(out, p->act_min, p->act_max);
}

void tml_sub(const tml_add_params *p) { tml_broadcast_apply(&p->b, p->input1, p->input2, p->output, sub_one, p); }
