/* RESIZE_BILINEAR, int8: TFLM's integer path. Positions are in Q10 input
 * pixels; the four neighbours' weights multiply to Q20, and the sum is rounded
 * half away from zero. |sum| <= 128 * 2^20, so int32 holds it. */
#include "tml_kernels.h"

typedef struct {
  int32_t lo, hi, frac; /* neighbouring input indices, weight of hi in Q10 */
} tml_lerp;

static tml_lerp lerp_at(int32_t i, int32_t scale, int32_t half_pixel_centers, int32_t size) {
  /* With half-pixel centres the position can be negative: lo is clamped, the weight is not. */
  const int32_t pos = half_pixel_centers ? i * scale + scale / 2 - (1 << 9) : i * scale;
  tml_lerp l;
  l.lo = pos / 1024 > 0 ? pos / 1024 : 0;
  l.hi = (pos + 1023) / 1024 < size - 1 ? (pos + 1023) / 1024 : size - 1;
  l.frac = pos - 1024 * l.lo;
  return l;
}

void tml_resize_bilinear(const tml_resize_bilinear_params *p) {
  const int32_t c_n = p->channels, row_len = p->in_w * c_n;
  int8_t *out = p->output;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = p->input + b * p->in_h * row_len;
    for (int32_t y = 0; y < p->out_h; ++y) {
      const tml_lerp ly = lerp_at(y, p->scale_h, p->half_pixel_centers, p->in_h);
      const int8_t *top = image + ly.lo * row_len, *bottom = image + ly.hi * row_len;
      for (int32_t x = 0; x < p->out_w; ++x) {
        const tml_lerp lx = lerp_at(x, p->scale_w, p->half_pixel_centers, p->in_w);
        const int32_t w_tl = (1024 - ly.frac) * (1024 - lx.frac), w_tr = (1024 - ly.frac) * lx.frac;
        const int32_t w_bl = ly.frac * (1024 - lx.frac), w_br = ly.frac * lx.frac;
        for (int32_t c = 0; c < c_n; ++c) {
          const int32_t sum = top[lx.lo * c_n + c] * w_tl + top[lx.hi * c_n + c] * w_tr +
                              bottom[lx.lo * c_n + c] * w_bl + bottom[lx.hi * c_n + c] * w_br;
          *out++ = (int8_t)((sum + (sum > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
        }
      }
    }
  }
}
