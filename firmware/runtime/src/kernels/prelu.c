/* PRELU, int8: LEAKY_RELU with a learned alpha per element, broadcast against
 * the input: a negative input times its alpha, requantized with the product of
 * both scales; a non-negative input requantized alone. */
#include "broadcast.h"
#include "tml_fixedpoint.h"

static int8_t prelu_one(int32_t x, int32_t alpha, const void *params) {
  const tml_prelu_params *p = (const tml_prelu_params *)params;
  const int32_t input = x + p->input_offset;
  const int32_t v = input >= 0 ? tml_multiply_by_quantized_multiplier(input, p->identity_multiplier, p->identity_shift)
                               : tml_multiply_by_quantized_multiplier(input * (alpha + p->alpha_offset),
                                                                      p->alpha_multiplier, p->alpha_shift);
  return (int8_t)tml_clamp(v + p->output_offset, INT8_MIN, INT8_MAX);
}

void tml_prelu(const tml_prelu_params *p) { tml_broadcast_apply(&p->b, p->input, p->alpha, p->output, prelu_one, p); }
