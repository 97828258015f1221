/* AVERAGE_POOL_2D, optimized (SIMD with the DSP extension, else plain C); same
 * interface and results as kernels/average_pool_2d.c.
 *
 * Four channels per word: SXTAB16 adds bytes 0 and 2 of a window value (or,
 * rotated, bytes 1 and 3) to two int16 lane sums, exact for windows of at most
 * 256 values (|sum| <= 256 * 128). The rounding division stays per channel.
 */
#include "../kernels/pool_window.h"
#include "mac_requant.h"

/* The mean rounded half away from zero, as TFLite; count > 0. */
static inline int8_t average(int32_t sum, int32_t count, int32_t lo, int32_t hi) {
  const int32_t half = count / 2;
  return (int8_t)tml_clamp((sum > 0 ? sum + half : sum - half) / count, lo, hi);
}

void tml_average_pool_2d(const tml_pool_params *p) {
  const tml_window_shape s = p->s;
  const int32_t channels = s.in_c, lo = p->act_min, hi = p->act_max;
  int8_t *out = p->output;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t *image = p->input + b * s.in_h * s.in_w * channels;
    for (int32_t oy = 0; oy < s.out_h; ++oy) {
      for (int32_t ox = 0; ox < s.out_w; ++ox, out += channels) {
        const tml_pool_window w = tml_pool_window_at(&s, oy, ox);
        const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
        if (count <= 0) { /* an empty window averages to 0, as in the reference */
          for (int32_t c = 0; c < channels; ++c) out[c] = (int8_t)tml_clamp(0, lo, hi);
          continue;
        }
        int32_t c = 0;
#if defined(__ARM_FEATURE_SIMD32)
        if (count <= 256) {
          for (; c + 4 <= channels; c += 4) {
            int16x2_t even = 0, odd = 0;
            for (int32_t y = w.y0; y < w.y1; ++y) {
              const int8_t *in = image + (y * s.in_w + w.x0) * channels + c;
              for (int32_t x = w.x0; x < w.x1; ++x, in += channels) {
                const uint32_t v = tml_load4(in);
                even = __sxtab16(even, (int8x4_t)v);
                odd = tml_sxtab16_ror8(odd, v);
              }
            }
            out[c] = average((int16_t)even, count, lo, hi);
            out[c + 1] = average((int16_t)odd, count, lo, hi);
            out[c + 2] = average((int32_t)even >> 16, count, lo, hi);
            out[c + 3] = average((int32_t)odd >> 16, count, lo, hi);
          }
        }
#endif
        for (; c < channels; ++c) {
          int32_t sum = 0;
          for (int32_t y = w.y0; y < w.y1; ++y) {
            const int8_t *in = image + (y * s.in_w + w.x0) * channels + c;
            for (int32_t x = w.x0; x < w.x1; ++x, in += channels) sum += *in;
          }
          out[c] = average(sum, count, lo, hi);
        }
      }
    }
  }
}
