/* CONV_2D, optimized (SIMD with the DSP extension, else plain C); same
 * interface and results as kernels/conv_2d.c.
 *
 * Per output pixel, a window of at most TML_COL_MAX values is gathered once
 * into an int16 column on the stack (input offset added, zeros for padding;
 * a fixed bound, so stack use is known at build time). Two pixels' columns
 * then meet two contiguous filter rows at a time: each filter word loaded
 * feeds four accumulators, two multiply-accumulates per SMLAD. With SIMD and
 * windows of at least 32 values, four pixels' columns meet each pair of rows
 * (eight accumulators; four filter rows against two pixels would need a
 * register per row stride, the columns sit at fixed offsets). Larger windows
 * skip the column and take dot products straight over the input: the valid
 * (kx, ic) run of one filter row is contiguous in NHWC input when dil_w is 1.
 * The per-pixel functions are noinline: inlined into the pixel loop, GCC
 * spills their inner-loop registers. Each path has its own entry point
 * (tml_kernels.h), picked per op by tinyml/firmware/prepare/conv.py, so the
 * linker drops the paths a model does not call.
 */
#include "conv_2d_one_channel.h"
#include "mac_requant.h"
#include "tml_kernels.h"

/* Columns gathered at once on the stack: four pixels with SIMD (the cores with
 * it have the stack for them), else two. */
#if defined(__ARM_FEATURE_SIMD32)
#define TML_CONV_COLS 4
#else
#define TML_CONV_COLS 2
#endif

/* Window geometry of one output pixel. */
typedef struct {
  const int8_t *image; /* this batch's input */
  int32_t in_y0, in_x0;
} pixel_at;

/* One pixel's column times every filter row, two rows at a time. */
static __attribute__((noinline)) void conv_pixel_col(const tml_requant *qp, const int8_t *filter, const int16_t *col,
                                                     int32_t n, int32_t out_c, int8_t *out) {
  const tml_requant q = *qp;
  const int8_t *w = filter;
  int32_t oc = 0;
  for (; oc + 2 <= out_c; oc += 2, w += 2 * n) {
    int32_t a0 = 0, a1 = 0;
    tml_dot2_col(col, w, w + n, n, &a0, &a1);
    out[oc] = tml_requantize(&q, a0, oc);
    out[oc + 1] = tml_requantize(&q, a1, oc + 1);
  }
  if (oc < out_c) out[oc] = tml_requantize(&q, tml_dot1_col(col, w, n, 0), oc);
}

/* Two pixels' columns (the second TML_COL_MAX values after the first) at
 * once, outputs at out and out + out_c: each filter word serves four
 * accumulators. */
static inline __attribute__((always_inline)) void pixels2_col(const tml_requant *qp, const int8_t *filter,
                                                              const int16_t *col, int32_t n, int32_t out_c,
                                                              int8_t *out) {
  const tml_requant q = *qp;
  const int8_t *w = filter;
  int8_t *out_b = out + out_c;
  int32_t oc = 0;
  for (; oc + 2 <= out_c; oc += 2, w += 2 * n) {
    int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    tml_dot2x2_col(col, col + TML_COL_MAX, w, w + n, n, &a0, &a1, &b0, &b1);
    tml_requantize2(&q, a0, b0, oc, out + oc, out_b + oc);
    tml_requantize2(&q, a1, b1, oc + 1, out + oc + 1, out_b + oc + 1);
  }
  if (oc < out_c) {
    tml_requantize2(&q, tml_dot1_col(col, w, n, 0), tml_dot1_col(col + TML_COL_MAX, w, n, 0), oc, out + oc, out_b + oc);
  }
}

#if defined(__ARM_FEATURE_SIMD32)
/* Four pixels' columns (TML_COL_MAX values apart), outputs at out + k * out_c:
 * each pair of filter rows meets all four columns (tml_dot4x2_col), so every
 * filter word loaded serves four pixels. */
static __attribute__((noinline)) void conv_pixels4_col(const tml_requant *qp, const int8_t *filter, const int16_t *col,
                                                       int32_t n, int32_t out_c, int8_t *out) {
  const tml_requant q = *qp;
  const int32_t body = n & ~3;
  const int8_t *w = filter;
  int32_t oc = 0;
  for (; oc + 2 <= out_c; oc += 2, w += 2 * n) {
    int32_t a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (body) tml_dot4x2_col(col, w, n, body, a);
    for (int32_t j = body; j < n; ++j) { /* the tail, in order */
      for (int32_t k = 0; k < 4; ++k) {
        a[2 * k] += col[k * TML_COL_MAX + j] * w[j];
        a[2 * k + 1] += col[k * TML_COL_MAX + j] * w[n + j];
      }
    }
    for (int32_t r = 0; r < 2; ++r) {
      tml_requantize2(&q, a[r], a[2 + r], oc + r, out + oc + r, out + out_c + oc + r);
      tml_requantize2(&q, a[4 + r], a[6 + r], oc + r, out + 2 * out_c + oc + r, out + 3 * out_c + oc + r);
    }
  }
  if (oc < out_c) {
    for (int32_t k = 0; k < 4; ++k)
      out[k * out_c + oc] = tml_requantize(&q, tml_dot1_col(col + k * TML_COL_MAX, w, n, 0), oc);
  }
}
#endif

/* Short windows get their own copies with the column length known: GCC then
 * unrolls the dot products instead of paying a loop set-up per channel pair.
 * 9: a 3x3 window of one channel (a first layer on images); 8 and 16: the
 * narrow 1x1 layers early in MobileNets. A function apart from the general
 * copy, whose register allocation they would otherwise disturb. */
static __attribute__((noinline)) void pixels2_col_short(const tml_requant *qp, const int8_t *filter, const int16_t *col,
                                                        int32_t n, int32_t out_c, int8_t *out) {
  if (n == 9) {
    pixels2_col(qp, filter, col, 9, out_c, out);
  } else if (n == 8) {
    pixels2_col(qp, filter, col, 8, out_c, out);
  } else {
    pixels2_col(qp, filter, col, 16, out_c, out);
  }
}

static __attribute__((noinline)) void conv_pixels2_col(const tml_requant *qp, const int8_t *filter, const int16_t *col,
                                                       int32_t n, int32_t out_c, int8_t *out) {
  if (n == 9 || n == 8 || n == 16) {
    pixels2_col_short(qp, filter, col, n, out_c, out);
  } else {
    pixels2_col(qp, filter, col, n, out_c, out);
  }
}

/* The pixel's window as a column (interleaved for SIMD, see mac_requant.h).
 * With SIMD and in_c % 4 != 0, value j of the window goes straight to column
 * slot slot[j] (a table made once per call by make_slots): no second pass. */
static __attribute__((noinline)) void fill_col(const tml_conv_2d_params *p, pixel_at at, const uint8_t *slot,
                                               int16_t *col) {
  const int32_t in_c = p->s.in_c, in_w = p->s.in_w, k_h = p->s.k_h, k_w = p->s.k_w, dil_h = p->s.dil_h,
                dil_w = p->s.dil_w, offset = p->input_offset;
  int32_t ky0 = 0, ky1 = k_h, kx0 = 0, kx1 = k_w;
  if (at.in_y0 < 0 || at.in_x0 < 0 || at.in_y0 + (k_h - 1) * dil_h >= p->s.in_h ||
      at.in_x0 + (k_w - 1) * dil_w >= in_w) {
    tml_valid_taps(at.in_y0, dil_h, k_h, p->s.in_h, &ky0, &ky1);
    tml_valid_taps(at.in_x0, dil_w, k_w, in_w, &kx0, &kx1);
    memset(col, 0, (size_t)(k_h * k_w * in_c) * sizeof *col); /* padding adds zero */
  }
  /* With dil_w 1 the valid kx of one ky are one contiguous run of input. */
  const int32_t run = dil_w == 1 ? (kx1 - kx0) * in_c : in_c;
  const int32_t runs = dil_w == 1 ? (kx1 > kx0) : kx1 - kx0;
  const int32_t in_row = dil_h * in_w * in_c, col_row = k_w * in_c;
  const int8_t *in_r = at.image + ((at.in_y0 + ky0 * dil_h) * in_w + at.in_x0 + kx0 * dil_w) * in_c;
  int32_t j_r = (ky0 * k_w + kx0) * in_c;
  for (int32_t ky = ky0; ky < ky1; ++ky, in_r += in_row, j_r += col_row) {
    const int8_t *in = in_r;
    int32_t j = j_r;
    for (int32_t r = 0; r < runs; ++r, in += dil_w * in_c, j += in_c) {
      if (in_c % 4 == 0) {
        tml_col_fill4(col + j, in, run, offset); /* whole groups: interleaved as written */
      } else {
#if defined(__ARM_FEATURE_SIMD32)
        const uint8_t *sl = slot + j;
        for (int32_t i = 0; i < run; ++i) col[sl[i]] = (int16_t)(in[i] + offset);
#else
        (void)slot;
        for (int32_t i = 0; i < run; ++i) col[j + i] = (int16_t)(in[i] + offset);
#endif
      }
    }
  }
}

/* The column of the pixel at (at, *x), then (at, *x) moved on to the next pixel in raster order. */
static void fill_col_next(const tml_conv_2d_params *p, pixel_at *at, int32_t *x, const uint8_t *slot, int16_t *col) {
  fill_col(p, *at, slot, col);
  if (++*x < p->s.out_w) {
    at->in_x0 += p->s.stride_w;
  } else {
    *x = 0;
    at->in_x0 = -p->s.pad_w;
    at->in_y0 += p->s.stride_h;
  }
}

/* slot[j]: where value j of a window in order lands in the interleaved column. */
static void make_slots(uint8_t *slot, int32_t n) {
  for (int32_t j = 0; j < n; ++j) slot[j] = (uint8_t)j;
  tml_col_interleave_u8(slot, n);
}

/* One pixel's window straight from the input, or with `two` also the pixel
 * whose window starts `step` bytes further on with the same valid taps (the
 * next one along the row, away from its edges), its outputs at out + out_c:
 * each filter row then serves both pixels. */
static __attribute__((noinline)) void conv_pixels_direct(const tml_conv_2d_params *p, const tml_requant *qp,
                                                         pixel_at at, int32_t two, int32_t step, int8_t *out) {
  const tml_requant q = *qp;
  const int32_t in_c = p->s.in_c, in_w = p->s.in_w, dil_h = p->s.dil_h, dil_w = p->s.dil_w, out_c = p->s.out_c,
                offset = p->input_offset;
  const int32_t row = p->s.k_w * in_c, filter_stride = p->s.k_h * row;
  int32_t ky0, ky1, kx0, kx1;
  tml_valid_taps(at.in_y0, dil_h, p->s.k_h, p->s.in_h, &ky0, &ky1);
  tml_valid_taps(at.in_x0, dil_w, p->s.k_w, in_w, &kx0, &kx1);
  /* With dil_w 1 the valid kx of one ky are one contiguous run of input and filter. */
  const int32_t run = dil_w == 1 ? (kx1 - kx0) * in_c : in_c;
  const int32_t runs = dil_w == 1 ? (kx1 > kx0) : kx1 - kx0;
  const int8_t *first_in = at.image + ((at.in_y0 + ky0 * dil_h) * in_w + at.in_x0 + kx0 * dil_w) * in_c;
  const int8_t *w0 = p->filter + ky0 * row + kx0 * in_c;
  int8_t *out_b = out + out_c;
  for (int32_t oc = 0; oc < out_c; oc += 2, w0 += 2 * filter_stride) {
    const int pair = oc + 1 < out_c;
    const int8_t *in_r = first_in, *w_r = w0;
    int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    for (int32_t ky = ky0; ky < ky1; ++ky, in_r += dil_h * in_w * in_c, w_r += row) {
      const int8_t *in = in_r, *w = w_r;
      for (int32_t r = 0; r < runs; ++r, in += dil_w * in_c, w += in_c) {
        if (two && pair) {
          tml_dot2x2_s8(in, in + step, w, w + filter_stride, run, offset, &a0, &a1, &b0, &b1);
        } else if (pair) {
          tml_dot2_s8(in, w, w + filter_stride, run, offset, &a0, &a1);
        } else {
          a0 = tml_dot1_s8(in, w, run, offset, a0);
          if (two) b0 = tml_dot1_s8(in + step, w, run, offset, b0);
        }
      }
    }
    out[oc] = tml_requantize(&q, a0, oc);
    if (pair) out[oc + 1] = tml_requantize(&q, a1, oc + 1);
    if (two) {
      out_b[oc] = tml_requantize(&q, b0, oc);
      if (pair) out_b[oc + 1] = tml_requantize(&q, b1, oc + 1);
    }
  }
}

/* The valid kx range of the window starting at in_x0, as one comparable number. */
static int32_t tap_span(const tml_window_shape *s, int32_t in_x0) {
  int32_t kx0, kx1;
  tml_valid_taps(in_x0, s->dil_w, s->k_w, s->in_w, &kx0, &kx1);
  return kx0 * 256 + kx1;
}

/* Windows of more than TML_COL_MAX values: dot products straight over the input. */
void tml_conv_2d_direct(const tml_conv_2d_params *p) {
  const tml_window_shape s = p->s;
  const tml_requant q =
      tml_requant_make(p->bias, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max, p->fast_requant);
  int8_t *out = p->output;
  /* (y, x) walk the output in raster order: no division per pixel. */
  pixel_at at = {p->input, 0, 0};
  for (int32_t b = 0; b < s.batches; ++b, at.image += s.in_h * s.in_w * s.in_c) {
    for (int32_t y = 0; y < s.out_h; ++y) {
      at.in_y0 = y * s.stride_h - s.pad_h;
      for (int32_t x = 0; x < s.out_w;) {
        at.in_x0 = x * s.stride_w - s.pad_w;
        /* Pixels x and x + 1 together when their windows keep the same taps (p + 1 may be written
         * while p's inputs are still needed: the in-place contract in tml_kernels.h allows it). */
        const int32_t two = x + 1 < s.out_w && tap_span(&s, at.in_x0) == tap_span(&s, at.in_x0 + s.stride_w);
        conv_pixels_direct(p, &q, at, two, s.stride_w * s.in_c, out);
        const int32_t done = two ? 2 : 1;
        if (q.narrow) tml_clamp_s8(out, done * s.out_c, q.act_min, q.act_max);
        x += done;
        out += done * s.out_c;
      }
    }
  }
}

/* Windows of at most TML_COL_MAX values, gathered into columns; with four_pixels
 * (a constant in each caller), four pixels at a time first. */
static inline __attribute__((always_inline)) void conv_cols(const tml_conv_2d_params *p, int four_pixels) {
  const tml_window_shape s = p->s;
  const int32_t n = s.k_h * s.k_w * s.in_c;
  const tml_requant q =
      tml_requant_make(p->bias, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max, p->fast_requant);
  int8_t *out = p->output;
  int16_t col[TML_CONV_COLS][TML_COL_MAX] __attribute__((aligned(4)));
  uint8_t slot[TML_COL_MAX];
  if (s.in_c % 4 != 0) make_slots(slot, n);
  const int32_t pixels = s.out_h * s.out_w;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t *image = p->input + b * s.in_h * s.in_w * s.in_c;
    pixel_at at = {image, -s.pad_h, -s.pad_w};
    int32_t x = 0;
    int32_t i = 0;
#if defined(__ARM_FEATURE_SIMD32)
    /* The four columns hold copies of all the input their pixels read before any of them is
     * written, which keeps the in-place contract in tml_kernels.h. */
    for (; four_pixels && i + 4 <= pixels; i += 4, out += 4 * s.out_c) {
      for (int j = 0; j < 4; ++j) fill_col_next(p, &at, &x, slot, col[j]);
      conv_pixels4_col(&q, p->filter, col[0], n, s.out_c, out);
      if (q.narrow) tml_clamp_s8(out, 4 * s.out_c, q.act_min, q.act_max);
    }
#else
    (void)four_pixels;
#endif
    for (; i + 2 <= pixels; i += 2, out += 2 * s.out_c) {
      for (int j = 0; j < 2; ++j) fill_col_next(p, &at, &x, slot, col[j]);
      conv_pixels2_col(&q, p->filter, col[0], n, s.out_c, out);
      if (q.narrow) tml_clamp_s8(out, 2 * s.out_c, q.act_min, q.act_max);
    }
    if (i < pixels) {
      fill_col(p, at, slot, col[0]);
      conv_pixel_col(&q, p->filter, col[0], n, s.out_c, out);
      if (q.narrow) tml_clamp_s8(out, s.out_c, q.act_min, q.act_max);
      out += s.out_c;
    }
  }
}

void tml_conv_2d(const tml_conv_2d_params *p) { conv_cols(p, 0); }

#if defined(__ARM_FEATURE_SIMD32)
void tml_conv_2d_cols4(const tml_conv_2d_params *p) { conv_cols(p, 1); }
#else
/* Without SIMD, two pixels at a time is the fastest: the general path. */
void tml_conv_2d_cols4(const tml_conv_2d_params *p) { tml_conv_2d(p); }
#endif
