/* ADD, int8: both inputs are brought to a common scale with 20 bits of
 * headroom, summed, then requantized to the output (TFLite's integer ADD). */
#include "broadcast.h"
#include "rescale_pair.h"

static int8_t add_one(int32_t a, int32_t b, const void *params) {
  const tml_add_params *p = (const tml_add_params *)params;
  const tml_rescaled_pair r = tml_rescale_pair(a, b, p);
  const int32_t out =
      tml_multiply_by_quantized_multiplier(r.a + r.b, p->output_multiplier, p->output_shift) + p->output_offset;
  return (int8_t)tml_clamp(out, p->act_min, p->act_max);
}

void tml_add(const tml_add_params *p) { tml_broadcast_apply(&p->b, p->input1, p->input2, p->output, add_one, p); }
