/* FULLY_CONNECTED, int8: each output is a dot product of one input row with one weight row. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_fully_connected(const tml_fully_connected_params *p) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *in = p->input + b * p->depth;
    for (int32_t oc = 0; oc < p->out_c; ++oc) {
      const int8_t *w = p->filter + oc * p->depth;
      int32_t acc = 0;
      for (int32_t d = 0; d < p->depth; ++d) {
        acc += ((int32_t)in[d] + p->input_offset) * ((int32_t)w[d] + p->filter_offset);
      }
      if (p->bias) acc += p->bias[oc];
      acc = tml_multiply_by_quantized_multiplier(acc, p->multiplier[oc], p->shift[oc]);
      p->output[b * p->out_c + oc] = (int8_t)tml_clamp(acc + p->output_offset, p->act_min, p->act_max);
    }
  }
}
