/* TRANSPOSE_CONV, int8 with per-channel weights. TFLM scatters each input pixel
 * times the filter into an int32 buffer the size of the output, then requantizes
 * it; here each output pixel gathers the same products instead. The integer sum
 * is the same whatever the order, so the result is too, and no scratch buffer is
 * needed. Output pixel (y, x) is pixel (y + pad_h, x + pad_w) of the uncropped
 * transposed convolution, to which input pixel (iy, ix) adds through filter tap
 * (y + pad_h - iy * stride_h, x + pad_w - ix * stride_w). */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* The first input index whose filter taps reach uncropped output index t. */
static int32_t first_input(int32_t t, int32_t k, int32_t stride) { return t < k ? 0 : (t - k) / stride + 1; }

static int32_t last_input(int32_t t, int32_t stride, int32_t size) {
  const int32_t last = t / stride;
  return last < size - 1 ? last : size - 1;
}

void tml_transpose_conv(const tml_conv_2d_params *p) {
  const tml_window_shape *s = &p->s;
  for (int32_t b = 0; b < s->batches; ++b) {
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      const int32_t ty = oy + s->pad_h;
      const int32_t iy0 = first_input(ty, s->k_h, s->stride_h);
      const int32_t iy1 = last_input(ty, s->stride_h, s->in_h);
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const int32_t tx = ox + s->pad_w;
        const int32_t ix0 = first_input(tx, s->k_w, s->stride_w);
        const int32_t ix1 = last_input(tx, s->stride_w, s->in_w);
        int8_t *out = p->output + ((b * s->out_h + oy) * s->out_w + ox) * s->out_c;
        for (int32_t oc = 0; oc < s->out_c; ++oc) {
          int32_t acc = 0;
          for (int32_t iy = iy0; iy <= iy1; ++iy) {
            const int32_t ky = ty - iy * s->stride_h;
            for (int32_t ix = ix0; ix <= ix1; ++ix) {
              const int32_t kx = tx - ix * s->stride_w;
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
