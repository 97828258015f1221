/* FULLY_CONNECTED, optimized (SIMD with the DSP extension, else plain C); same
 * interface and results as kernels/fully_connected.c.
 *
 * Two output channels at a time share each loaded, sign-extended group of four
 * inputs. A non-zero filter offset is taken out of the loop:
 * sum (x + io) * (w + fo) = sum (x + io) * w + fo * sum (x + io).
 */
#include "mac_requant.h"
#include "tml_kernels.h"

void tml_fully_connected(const tml_fully_connected_params *p) {
  const int32_t depth = p->depth, out_c = p->out_c, batches = p->batches;
  const int32_t input_offset = p->input_offset, filter_offset = p->filter_offset;
  const tml_requant q =
      tml_requant_make(p->bias, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max, p->fast_requant);
  const int8_t *in = p->input, *filter = p->filter;
  int8_t *out = p->output;
  for (int32_t b = 0; b < batches; ++b, in += depth, out += out_c) {
    int32_t filter_term = 0;
    if (filter_offset != 0) {
      for (int32_t d = 0; d < depth; ++d) filter_term += in[d] + input_offset;
      filter_term *= filter_offset;
    }
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
      const int8_t *w = filter + oc * depth;
      int32_t a0 = filter_term, a1 = filter_term;
      tml_dot2_s8(in, w, w + depth, depth, input_offset, &a0, &a1);
      out[oc] = tml_requantize(&q, a0, oc);
      out[oc + 1] = tml_requantize(&q, a1, oc + 1);
    }
    if (oc < out_c) {
      out[oc] = tml_requantize(&q, tml_dot1_s8(in, filter + oc * depth, depth, input_offset, filter_term), oc);
    }
    if (q.narrow) tml_clamp_s8(out, out_c, q.act_min, q.act_max);
  }
}
