/* DEPTHWISE_CONV_2D, 16x8: each output channel filters one input channel; int64 accumulator. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_depthwise_conv_2d_int16(const tml_depthwise_conv_2d_int16_params *p) {
  const tml_window_shape *s = &p->s;
  for (int32_t b = 0; b < s->batches; ++b) {
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t in_y0 = oy * s->stride_h - s->pad_h;
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t in_x0 = ox * s->stride_w - s->pad_w;
        int16_t *out = p->output + ((b * s->out_h + oy) * s->out_w + ox) * s->out_c;
        for (int32_t oc = 0; oc < s->out_c; ++oc) {
          const int32_t ic = oc / p->depth_multiplier;
          int64_t acc = 0;
          for (int32_t ky = 0; ky < s->k_h; ++ky) {
            const int32_t iy = in_y0 + ky * s->dil_h;
            if (iy < 0 || iy >= s->in_h) continue; /* padding contributes zero */
            for (int32_t kx = 0; kx < s->k_w; ++kx) {
              const int32_t ix = in_x0 + kx * s->dil_w;
              if (ix < 0 || ix >= s->in_w) continue;
              const int32_t x = p->input[((b * s->in_h + iy) * s->in_w + ix) * s->in_c + ic];
              acc += x * (int32_t)p->filter[(ky * s->k_w + kx) * s->out_c + oc];
            }
          }
          if (p->bias) acc += tml_bias64(p->bias, oc);
          const int32_t v = tml_multiply_by_quantized_multiplier_64(acc, p->multiplier[oc], p->shift[oc]);
          out[oc] = (int16_t)tml_clamp(v, p->act_min, p->act_max);
        }
      }
    }
  }
}
