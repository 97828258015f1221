/* FULLY_CONNECTED, 16x8: int16 inputs times int8 weights summed in int64, as TFLite's 16x8
 * kernel does (its bias is int64, so an int32 sum could overflow). */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_fully_connected_int16(const tml_fully_connected_int16_params *p) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const int16_t *in = p->input + b * p->depth;
    for (int32_t oc = 0; oc < p->out_c; ++oc) {
      const int8_t *w = p->filter + oc * p->depth;
      int64_t acc = 0;
      for (int32_t d = 0; d < p->depth; ++d) {
        acc += ((int32_t)w[d] + p->filter_offset) * (int32_t)in[d];
      }
      if (p->bias) acc += tml_bias64(p->bias, oc);
      const int32_t out = tml_multiply_by_quantized_multiplier_64(acc, p->multiplier[oc], p->shift[oc]);
      p->output[b * p->out_c + oc] = (int16_t)tml_clamp(out, p->act_min, p->act_max);
    }
  }
}
