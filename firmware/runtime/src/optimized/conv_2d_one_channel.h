/* CONV_2D, 3x3, one input channel (the first layer on small images), stride_w
 * 1, no dilation: a part of the optimized kernel in conv_2d.c (with SIMD as
 * below; a plain-C twin for the other cores at the end).
 *
 * The general kernel gathers each pixel's nine values into a column, which
 * costs as much as the nine multiply-accumulates. Here the whole input is
 * copied once into a band on the stack, padded with the zero point (SXTAB16
 * adds the offset, so padding contributes zero), and the weights are packed
 * once per call. One word (x0, x1, x2, x3) of a band row splits into the
 * lanes (x0, x2) and (x1, x3): pixel x takes x0..x2 and pixel x + 1 takes
 * x1..x3, against the weights packed (w0, w2) and w1 alone. So the three
 * words of a pixel pair, loaded and split once, serve every output channel,
 * each channel's row costing one LDRD and four multiply-accumulates. Reading
 * the whole input first keeps the in-place contract. Integer sums are exact
 * in any order, so the accumulators are the reference kernel's bit for bit.
 */
#ifndef TML_CONV_2D_ONE_CHANNEL_H_
#define TML_CONV_2D_ONE_CHANNEL_H_

#include "mac_requant.h"
#include "tml_kernels.h"

/* Bounds of the band (bytes) and of the output channels (packed weights): a fixed stack use. */
#define TML_BAND_MAX 192
#define TML_BAND_CHANNELS 32

/* Band columns: the pair at x reads the word x .. x + 3 of each row. */
static inline int32_t tml_band_width(const tml_window_shape *s) { return s->out_w + 3; }

static inline int32_t tml_band_rows(const tml_window_shape *s) { return (s->out_h - 1) * s->stride_h + 3; }

/* Image b's input into the band, padded with the zero point; input past the band is never
 * read. Band row i, column j is input row i - pad_h, column j - pad_w. */
static inline __attribute__((always_inline)) void tml_band_fill(const tml_conv_2d_params *p, int32_t b, int32_t band_w,
                                                                int32_t band_h, int8_t *band) {
  const tml_window_shape *s = &p->s;
  const int8_t *image = p->input + b * s->in_h * s->in_w;
  const int32_t rows = s->in_h < band_h - s->pad_h ? s->in_h : band_h - s->pad_h;
  const int32_t cols = s->in_w < band_w - s->pad_w ? s->in_w : band_w - s->pad_w;
  memset(band, -p->input_offset, (size_t)(band_h * band_w));
  for (int32_t iy = 0; iy < rows; ++iy) memcpy(band + (iy + s->pad_h) * band_w + s->pad_w, image + iy * s->in_w, cols);
}

/* A pixel pair's accumulators to int8, o_b before o. The fast path takes the
 * constants' pointers as locals: read through q, they would be reloaded
 * after every int8 store. */
static __attribute__((noinline)) void tml_band_requantize(const tml_requant *q, const int32_t (*acc)[2], int32_t out_c,
                                                          int8_t *o, int8_t *o_b) {
  if (!q->fast) {
    for (int32_t oc = 0; oc < out_c; ++oc) tml_requantize2(q, acc[oc][1], acc[oc][0], oc, o_b + oc, o + oc);
    return;
  }
  const int32_t *bias = q->bias, *multiplier = q->multiplier, off2 = 2 * q->output_offset + 1;
  const int8_t *shift = q->shift;
  for (int32_t oc = 0; oc < out_c; ++oc) {
    const int32_t add = bias ? bias[oc] : 0, m = multiplier[oc], e1 = ~(int32_t)shift[oc];
    const int8_t b = (int8_t)tml_requantize_fast(acc[oc][1] + add, m, e1, off2);
    o_b[oc] = b;
    o[oc] = (int8_t)tml_requantize_fast(acc[oc][0] + add, m, e1, off2);
  }
}

#if defined(__ARM_FEATURE_SIMD32)
/* One window row of one channel: *a += pixel x's, *b += pixel x + 1's. */
static inline __attribute__((always_inline)) void tml_band_mac(int16x2_t xe, int16x2_t xo, const int32_t w[2],
                                                               int32_t *a, int32_t *b) {
  *a = __smlabb(xo, w[1], __smlad(xe, w[0], *a));
  *b = __smlatb(xe, w[1], __smlad(xo, w[0], *b));
}

/* tinyml/firmware/prepare/conv.py calls it only for shapes within the bounds above. */
void tml_conv_2d_one_channel(const tml_conv_2d_params *p) {
  const tml_window_shape s = p->s;
  const tml_requant q =
      tml_requant_make(p->bias, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max, p->fast_requant);
  const int32_t band_w = tml_band_width(&s), band_h = tml_band_rows(&s), pixels = s.out_h * s.out_w;
  const int16x2_t off = tml_pack_offset(p->input_offset);
  int8_t band[TML_BAND_MAX] __attribute__((aligned(4)));
  int32_t w[TML_BAND_CHANNELS][3][2]; /* per channel and row: (w0, w2) and w1 */
  int32_t acc[TML_BAND_CHANNELS][2];  /* per channel: pixels x and x + 1 */
  for (int32_t oc = 0; oc < s.out_c; ++oc) {
    for (int32_t ky = 0; ky < 3; ++ky) {
      const int8_t *f = p->filter + oc * 9 + ky * 3;
      w[oc][ky][0] = (int32_t)(((uint32_t)f[0] & 0xFFFFu) | ((uint32_t)f[2] << 16));
      w[oc][ky][1] = f[1];
    }
  }
  for (int32_t b = 0; b < s.batches; ++b) {
    int8_t *out = p->output + b * pixels * s.out_c;
    tml_band_fill(p, b, band_w, band_h, band);
    for (int32_t y = 0; y < s.out_h; ++y) {
      const int8_t *row = band + y * s.stride_h * band_w;
      for (int32_t x = 0; x < s.out_w; x += 2) {
        const uint32_t v0 = tml_load4(row + x), v1 = tml_load4(row + band_w + x), v2 = tml_load4(row + 2 * band_w + x);
        const int16x2_t e0 = __sxtab16(off, (int8x4_t)v0), o0 = tml_sxtab16_ror8(off, v0);
        const int16x2_t e1 = __sxtab16(off, (int8x4_t)v1), o1 = tml_sxtab16_ror8(off, v1);
        const int16x2_t e2 = __sxtab16(off, (int8x4_t)v2), o2 = tml_sxtab16_ror8(off, v2);
        int8_t *o = out + (y * s.out_w + x) * s.out_c;
        /* Pixel x + 1 first: without one (an odd width) pixel x overwrites it. */
        int8_t *o_b = x + 1 < s.out_w ? o + s.out_c : o;
        /* The accumulators first, then their requantization: in one loop they would not fit the registers. */
        for (int32_t oc = 0; oc < s.out_c; ++oc) {
          int32_t a = 0, b1 = 0;
          tml_band_mac(e0, o0, w[oc][0], &a, &b1);
          tml_band_mac(e1, o1, w[oc][1], &a, &b1);
          tml_band_mac(e2, o2, w[oc][2], &a, &b1);
          acc[oc][0] = a;
          acc[oc][1] = b1;
        }
        tml_band_requantize(&q, acc, s.out_c, o, o_b);
      }
    }
    /* Once for the whole output: no pixel is read back. */
    if (q.narrow) tml_clamp_s8(out, pixels * s.out_c, q.act_min, q.act_max);
  }
}
#else
/* Without SIMD (MLA only), the same band, one pixel at a time: its nine
 * values, offset added, stay in registers while every output channel's
 * filter passes by, nine loads and nine multiply-accumulates per channel
 * instead of a column gathered per pixel. Two pixels' accumulators share one
 * pass of the requantization constants. */

/* The pixel whose window starts at r (band rows band_w apart): acc[oc][lane] for every channel. */
static __attribute__((noinline)) void tml_band_acc(const int8_t *r, int32_t band_w, int32_t off, const int8_t *f,
                                                   int32_t out_c, int32_t (*acc)[2], int32_t lane) {
  const int32_t v0 = r[0] + off, v1 = r[1] + off, v2 = r[2] + off;
  r += band_w;
  const int32_t v3 = r[0] + off, v4 = r[1] + off, v5 = r[2] + off;
  r += band_w;
  const int32_t v6 = r[0] + off, v7 = r[1] + off, v8 = r[2] + off;
  for (int32_t oc = 0; oc < out_c; ++oc, f += 9) {
    acc[oc][lane] =
        v0 * f[0] + v1 * f[1] + v2 * f[2] + v3 * f[3] + v4 * f[4] + v5 * f[5] + v6 * f[6] + v7 * f[7] + v8 * f[8];
  }
}

/* tinyml/firmware/prepare/conv.py calls it only for shapes within the bounds above. */
void tml_conv_2d_one_channel(const tml_conv_2d_params *p) {
  const tml_window_shape s = p->s;
  const tml_requant q =
      tml_requant_make(p->bias, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max, p->fast_requant);
  const int32_t band_w = tml_band_width(&s), band_h = tml_band_rows(&s), pixels = s.out_h * s.out_w;
  int8_t band[TML_BAND_MAX];
  int32_t acc[TML_BAND_CHANNELS][2]; /* per channel: pixels x and x + 1 */
  for (int32_t b = 0; b < s.batches; ++b) {
    int8_t *out = p->output + b * pixels * s.out_c;
    tml_band_fill(p, b, band_w, band_h, band);
    for (int32_t y = 0; y < s.out_h; ++y) {
      const int8_t *row = band + y * s.stride_h * band_w;
      for (int32_t x = 0; x < s.out_w; x += 2) {
        /* Pixel x + 1 lies in the band even past the row's end (see tml_band_width). */
        tml_band_acc(row + x, band_w, p->input_offset, p->filter, s.out_c, acc, 0);
        tml_band_acc(row + x + 1, band_w, p->input_offset, p->filter, s.out_c, acc, 1);
        int8_t *o = out + (y * s.out_w + x) * s.out_c;
        /* Pixel x + 1 first: without one (an odd width) pixel x overwrites it. */
        tml_band_requantize(&q, (const int32_t(*)[2])acc, s.out_c, o, x + 1 < s.out_w ? o + s.out_c : o);
      }
    }
    /* Once for the whole output: no pixel is read back. */
    if (q.narrow) tml_clamp_s8(out, pixels * s.out_c, q.act_min, q.act_max);
  }
}
#endif

#endif /* TML_CONV_2D_ONE_CHANNEL_H_ */
