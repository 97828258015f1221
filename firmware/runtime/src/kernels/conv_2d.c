/* CONV_2D, int8 with per-channel weights: the plain reference loop. */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_conv_2d(const tml_conv_2d_params *p) {
  const tml_window_shape *s = &p->s;
  for (int32_t b = 0; b < s->batches; ++b) {
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t in_y0 = oy * s->stride_h - s->pad_h;
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t in_x0 = ox * s->stride_w - s->pad_w;
        int8_t *out = p->output + ((b * s->out_h + oy) * s->out_w + ox) * s->out_c;
        for (int32_t oc = 0; oc < s->out_c; ++oc) {
          int32_t acc = 0;
          for (int32_t ky = 0; ky < s->k_h; ++ky) {
            const int32_t iy = in_y0 + ky * s->dil_h;
            if (iy < 0 || iy >= s->in_h) continue; /* padding contributes zero */
            for (int32_t kx = 0; kx < s->k_w; ++kx) {
              const int32_t ix = in_x0 + kx * s->dil_w;
              if (ix < 0 || ix >= s->in_w) continue;
              const int8_t *in = p->input + ((b * s->in_h + iy) * s->in_w + ix) * s->in_c;
              const int8_t *w = p->filter + ((oc * s->k_h + ky) * s->k_w + kx) * s->in_c;
              for (int32_t ic = 0; ic < s->in_c; ++ic) {
                acc += ((int32_t)in[ic] + p->input_offset) * (int32_t)w[ic];
              }
            }
          }
          if (p->bias) acc += p->bias[oc];
          acc = tml_multiply_by_quantized_multiplier(acc, p->multiplier[oc], p->shift[oc]);
          out[oc] = (int8_t)tml_clamp(acc + p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}

/* The optimized kernel's variants (tml_kernels.h): one loop serves every shape here. */
void tml_conv_2d_direct(const tml_conv_2d_params *p) { tml_conv_2d(p); }

void tml_conv_2d_cols4(const tml_conv_2d_params *p) { tml_conv_2d(p); }

void tml_conv_2d_one_channel(const tml_conv_2d_params *p) { tml_conv_2d(p); }
