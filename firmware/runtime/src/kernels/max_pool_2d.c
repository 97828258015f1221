/* MAX_POOL_2D, int8: the largest in-bounds value of each window. */
#include "pool_window.h"
#include "tml_fixedpoint.h"

void tml_max_pool_2d(const tml_pool_params *p) {
  const tml_window_shape *s = &p->s;
  for (int32_t b = 0; b < s->batches; ++b) {
    for (int32_t oy = 0; oy < s->out_h; ++oy) {
      for (int32_t ox = 0; ox < s->out_w; ++ox) {
        const tml_pool_window w = tml_pool_window_at(s, oy, ox);
        int8_t *out = p->output + ((b * s->out_h + oy) * s->out_w + ox) * s->out_c;
        for (int32_t c = 0; c < s->in_c; ++c) {
          int32_t max = INT8_MIN;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            for (int32_t x = w.x0; x < w.x1; ++x) {
              const int32_t v = p->input[((b * s->in_h + y) * s->in_w + x) * s->in_c + c];
              if (v > max) max = v;
            }
          }
          out[c] = (int8_t)tml_clamp(max, p->act_min, p->act_max);
        }
      }
    }
  }
}
