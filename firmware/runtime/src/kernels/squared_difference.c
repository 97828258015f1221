/* SQUARED_DIFFERENCE, int8: both inputs on a common scale with only 7 bits of
 * headroom, so that the squared difference (at most (255 * 2^7)^2) fits in 31
 * bits; the square is requantized to the output. */
#include "broadcast.h"
#include "rescale_pair.h"

static int8_t squared_difference_one(int32_t a, int32_t b, const void *params) {
  const tml_add_params *p = (const tml_add_params *)params;
  const tml_rescaled_pair r = tml_rescale_pair(a, b, p);
  const int32_t difference = r.a - r.b;
  const int32_t out =
      tml_multiply_by_quantized_multiplier(difference * difference, p->output_multiplier, p->output_shift) +
      p->output_offset;
  return (int8_t)tml_clamp(out, p->act_min, p->act_max);
}

void tml_squared_difference(const tml_add_params *p) {
  tml_broadcast_apply(&p->b, p->input1, p->input2, p->output, squared_difference_one, p);
}
