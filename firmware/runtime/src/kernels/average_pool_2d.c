/* AVERAGE_POOL_2D, int8: the mean over the in-bounds part of each window,
 * rounded half away from zero as TFLite does. */
#include "pool_window.h"
#include "tml_fixedpoint.h"

void tml_average_pool_2d(const tml_pool_params *p) {
  const tml_window_shape *s = &p->s;
  for (int32_t b = 0; b < s->batches; ++b) {
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const tml_pool_window w = tml_pool_window_at(s, oy, ox);
        const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
        int8_t *out = p->output + ((b * s->out_h + oy) * s->out_w + ox) * s->out_c;
        for (int32_t c = 0; c < s->in_c; ++c) {
          int32_t sum = 0;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            for (int32_t x = w.x0; x < w.x1; ++x) {
              sum += p->input[((b * s->in_h + y) * s->in_w + x) * s->in_c + c];
            }
          }
          int32_t avg = 0;
          if (count > 0) avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
          out[c] = (int8_t)tml_clamp(avg, p->act_min, p->act_max);
        }
      }
    }
  }
}
