/* MAX_POOL_2D, optimized (SIMD with the DSP extension, else plain C); same
 * interface and results as kernels/max_pool_2d.c.
 *
 * Four channels per word: SSUB8 sets one GE flag per byte lane where the new
 * value is >= the running maximum, SEL then keeps the larger byte of each
 * lane. The activation range is applied the same way, once per group.
 * A whole 2x2 window takes its four words straight (without SIMD, its four
 * values per channel).
 */
#include "../kernels/pool_window.h"
#include "mac_requant.h"

#if defined(__ARM_FEATURE_SIMD32)
/* Per byte lane, the larger (max4) or smaller (min4) of a and b, signed. */
static inline uint32_t max4(uint32_t a, uint32_t b) {
  (void)__ssub8((int8x4_t)a, (int8x4_t)b); /* GE set in the lanes where a >= b */
  return __sel(a, b);
}

static inline uint32_t min4(uint32_t a, uint32_t b) {
  (void)__ssub8((int8x4_t)a, (int8x4_t)b);
  return __sel(b, a);
}
#endif

void tml_max_pool_2d(const tml_pool_params *p) {
  const tml_window_shape s = p->s;
  const int32_t channels = s.in_c, act_min = p->act_min, act_max = p->act_max;
#if defined(__ARM_FEATURE_SIMD32)
  const int narrow = act_min > INT8_MIN || act_max < INT8_MAX; /* else the clamp changes nothing */
#endif
  int8_t *out = p->output;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t *image = p->input + b * s.in_h * s.in_w * channels;
    for (int32_t oy = 0; oy < s.out_h; ++oy) {
      for (int32_t ox = 0; ox < s.out_w; ++ox, out += channels) {
        const tml_pool_window w = tml_pool_window_at(&s, oy, ox);
        int32_t c = 0;
#if defined(__ARM_FEATURE_SIMD32)
        const uint32_t lo = ((uint32_t)act_min & 0xFFu) * 0x01010101u, hi = ((uint32_t)act_max & 0xFFu) * 0x01010101u;
        if (w.y1 - w.y0 == 2 && w.x1 - w.x0 == 2) {
          /* A whole 2x2 window (the common pool): its four words without the loops. */
          const int8_t *in = image + (w.y0 * s.in_w + w.x0) * channels;
          const int32_t row = s.in_w * channels;
          for (; c + 4 <= channels; c += 4, in += 4) {
            uint32_t m = max4(max4(tml_load4(in), tml_load4(in + channels)),
                              max4(tml_load4(in + row), tml_load4(in + row + channels)));
            if (narrow) m = min4(max4(m, lo), hi);
            memcpy(out + c, &m, 4);
          }
        }
        for (; c + 4 <= channels; c += 4) {
          uint32_t m = 0x80808080u; /* INT8_MIN in every lane */
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const int8_t *in = image + (y * s.in_w + w.x0) * channels + c;
            for (int32_t x = w.x0; x < w.x1; ++x, in += channels) m = max4(tml_load4(in), m);
          }
          m = min4(max4(m, lo), hi);
          memcpy(out + c, &m, 4);
        }
#else
        if (w.y1 - w.y0 == 2 && w.x1 - w.x0 == 2) {
          /* A whole 2x2 window: its four values without the loops. */
          const int8_t *in = image + (w.y0 * s.in_w + w.x0) * channels;
          const int32_t row = s.in_w * channels;
          for (; c < channels; ++c, ++in) {
            const int32_t m0 = in[0] > in[channels] ? in[0] : in[channels];
            const int32_t m1 = in[row] > in[row + channels] ? in[row] : in[row + channels];
            out[c] = (int8_t)tml_clamp(m0 > m1 ? m0 : m1, act_min, act_max);
          }
        }
#endif
        for (; c < channels; ++c) {
          int32_t m = INT8_MIN;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const int8_t *in = image + (y * s.in_w + w.x0) * channels + c;
            for (int32_t x = w.x0; x < w.x1; ++x, in += channels) m = *in > m ? *in : m;
          }
          out[c] = (int8_t)tml_clamp(m, act_min, act_max);
        }
      }
    }
  }
}
