/* SUB, int8: TFLite's integer ADD with the second input subtracted: both inputs
 * on a common scale with 20 bits of headroom, the difference requantized. */
#include "broadcast.h"
#include "rescale_pair.h"

static int8_t sub_one(int32_t a, int32_t b, const void *params) {
  const tml_add_params *p = (const tml_add_params *)params;
  const tml_rescaled_pair r = tml_rescale_pair(a, b, p);
  const int32_t difference = r.a - r.b;
  const int32_t out =
      tml_multiply_by_quantized_multiplier(difference, p->output_multiplier, p->output_shift) + p->output_offset;
  return (int8_t)tml_clamp(out, p->act_min, p->act_max);
}

void tml_sub(const tml_add_params *p) { tml_broadcast_apply(&p->b, p->input1, p->input2, p->output, sub_one, p); }
