/* DEPTHWISE_CONV_2D, optimized (SIMD with the DSP extension, else plain C); same
 * interface and results as kernels/depthwise_conv_2d.c.
 *
 * Each output channel sums over the window taps only, so there is no channel
 * dot product to pair up; instead four adjacent output channels are
 * accumulated side by side, their four weights per tap read as one word and
 * split into int16 lanes. With depth multiplier 1 the four inputs are one word
 * too; with a multiple of 4 one input value feeds four outputs. Padding is
 * skipped by clipping the tap ranges once per pixel. Other multipliers and
 * channel tails run one output channel at a time. The channel-group functions
 * are noinline: inlined, GCC spills their accumulators in the tap loop.
 */
#include "mac_requant.h"
#include "tml_kernels.h"

/* The 3-wide row path below pays off with SIMD (one asm block per row of
 * taps); in plain C (M3) pixel_dm1's loops measured faster, so it keeps them. */
#if defined(__ARM_FEATURE_SIMD32)
#define TML_K3_ROWS 1
#else
#define TML_K3_ROWS 0
#endif

/* One output pixel's valid taps. */
typedef struct {
  const int8_t *in;       /* input at the first valid tap, channel 0 */
  const int8_t *w;        /* filter at the first valid tap, channel 0 */
  int32_t rows, cols;     /* valid taps */
  int32_t in_row, in_col; /* input steps between tap rows / taps (bytes) */
  int32_t w_row, w_col;   /* filter steps between tap rows / taps (w_col = out_c) */
  int32_t input_offset;
} taps;

/* Depth multiplier 1: every group of four channels of one pixel (output
 * channels c .. c + 3 read input channels c .. c + 3) in one call, so the
 * pixel's tap geometry and constants are loaded once, not once per group. */
static __attribute__((noinline)) void pixel_dm1(const taps *t, const tml_requant *qp, int32_t c, int32_t channels,
                                                int8_t *out) {
  const tml_requant q = *qp; /* a local copy: the output stores cannot alias it */
  const int32_t rows = t->rows, cols = t->cols, in_row = t->in_row, in_col = t->in_col, w_row = t->w_row,
                w_col = t->w_col;
  const int16x2_t off = tml_pack_offset(t->input_offset);
  for (; c + 4 <= channels; c += 4) {
    const int8_t *in_r = t->in + c, *w_r = t->w + c;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t r = 0; r < rows; ++r, in_r += in_row, w_r += w_row) {
      const int8_t *in = in_r, *w = w_r;
      for (int32_t k = 0; k < cols; ++k, in += in_col, w += w_col) tml_mac4_s8(in, w, off, &a0, &a1, &a2, &a3);
    }
    tml_requantize4(&q, a0, a1, a2, a3, c, out + c);
  }
  for (; c < channels; ++c) {
    const int8_t *in_r = t->in + c, *w_r = t->w + c;
    int32_t acc = 0;
    for (int32_t r = 0; r < rows; ++r, in_r += in_row, w_r += w_row) {
      const int8_t *in = in_r, *w = w_r;
      for (int32_t k = 0; k < cols; ++k, in += in_col, w += w_col) acc += (*in + t->input_offset) * *w;
    }
    out[c] = tml_requantize(&q, acc, c);
  }
}

/* Depth multiplier 1 and a 3-wide window with dilation 1 (MobileNet's and
 * DS-CNN's 3x3 layers): one output row per call, `row` giving its valid tap
 * rows with `in` and `w` at column 0. Input and filter taps then both lie
 * `ch` bytes apart along a row, so one stride serves both, and each row's two
 * or three valid taps are unrolled; a group of four channels costs its
 * multiply-accumulate steps and the requantization. Pixels with fewer than two
 * valid columns and channel tails take pixel_dm1. */
static __attribute__((noinline)) void row_dm1_k3(const tml_window_shape *s, const tml_requant *qp, const taps *row,
                                                 int8_t *out) {
  const tml_requant q = *qp; /* a local copy: the output stores cannot alias it */
  const int32_t ch = s->out_c, in_row = row->in_row, w_row = row->w_row, rows = row->rows;
  const int16x2_t off = tml_pack_offset(row->input_offset);
  taps t = *row;
  for (int32_t ox = 0; ox < s->out_w; ++ox, out += ch) {
    const int32_t in_x0 = ox * s->stride_w - s->pad_w;
    const int32_t kx0 = in_x0 < 0 ? -in_x0 : 0, kx1 = in_x0 + 3 > s->in_w ? s->in_w - in_x0 : 3;
    const int32_t cols = kx1 - kx0, full = rows == 3 && cols == 3;
    t.cols = cols;
    t.in = row->in + (in_x0 + kx0) * ch;
    t.w = row->w + kx0 * ch;
    int32_t c = 0;
    if (cols >= 2) {
      const int8_t *in = t.in, *w = t.w;
      for (; c + 4 <= ch; c += 4, in += 4, w += 4) {
        int32_t acc[4] = {0, 0, 0, 0};
        if (full) { /* away from the border: straight-line code */
          tml_mac4x3_s8(in, w, ch, off, acc);
          tml_mac4x3_s8(in + in_row, w + w_row, ch, off, acc);
          tml_mac4x3_s8(in + 2 * in_row, w + 2 * w_row, ch, off, acc);
        } else {
          const int8_t *in_r = in, *w_r = w;
          for (int32_t r = 0; r < rows; ++r, in_r += in_row, w_r += w_row) {
            if (cols == 3) {
              tml_mac4x3_s8(in_r, w_r, ch, off, acc);
            } else {
              tml_mac4x2_s8(in_r, w_r, ch, off, acc);
            }
          }
        }
        tml_requantize4(&q, acc[0], acc[1], acc[2], acc[3], c, out + c);
      }
    }
    if (c < ch) pixel_dm1(&t, &q, c, ch, out);
  }
}

/* Depth multiplier a multiple of 4: output channels oc .. oc + 3 all read input channel ic. */
static __attribute__((noinline)) void channels4_one_input(const taps *t, const tml_requant *qp, int32_t ic, int32_t oc,
                                                          int8_t *out) {
  const tml_requant q = *qp; /* a local copy: the output stores cannot alias it */
  const int32_t rows = t->rows, cols = t->cols, in_row = t->in_row, in_col = t->in_col, w_row = t->w_row,
                w_col = t->w_col, offset = t->input_offset;
  const int8_t *in_r = t->in + ic, *w_r = t->w + oc;
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t r = 0; r < rows; ++r, in_r += in_row, w_r += w_row) {
    const int8_t *in = in_r, *w = w_r;
    for (int32_t k = 0; k < cols; ++k, in += in_col, w += w_col) tml_mac4_1(*in + offset, w, &a0, &a1, &a2, &a3);
  }
  tml_requantize4(&q, a0, a1, a2, a3, oc, out + oc);
}

static __attribute__((noinline)) void channel1(const taps *t, const tml_requant *qp, int32_t ic, int32_t oc,
                                               int8_t *out) {
  const tml_requant q = *qp; /* a local copy: the output stores cannot alias it */
  const int32_t rows = t->rows, cols = t->cols, in_row = t->in_row, in_col = t->in_col, w_row = t->w_row,
                w_col = t->w_col, offset = t->input_offset;
  const int8_t *in_r = t->in + ic, *w_r = t->w + oc;
  int32_t acc = 0;
  for (int32_t r = 0; r < rows; ++r, in_r += in_row, w_r += w_row) {
    const int8_t *in = in_r, *w = w_r;
    for (int32_t k = 0; k < cols; ++k, in += in_col, w += w_col) acc += (*in + offset) * *w;
  }
  out[oc] = tml_requantize(&q, acc, oc);
}

static void pixel(const taps *t, const tml_requant *q, int32_t in_c, int32_t dm, int8_t *out) {
  const int32_t out_c = in_c * dm;
  if (dm == 1) {
    pixel_dm1(t, q, 0, out_c, out);
    return;
  }
  for (int32_t ic = 0; ic < in_c; ++ic) {
    int32_t m = 0;
    if (dm % 4 == 0) {
      for (; m < dm; m += 4) channels4_one_input(t, q, ic, ic * dm + m, out);
    }
    for (; m < dm; ++m) channel1(t, q, ic, ic * dm + m, out);
  }
}

void tml_depthwise_conv_2d(const tml_depthwise_conv_2d_params *p) {
  const tml_window_shape s = p->s;
  const tml_requant q =
      tml_requant_make(p->bias, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max, p->fast_requant);
  const int32_t dm = p->depth_multiplier, k3 = TML_K3_ROWS && dm == 1 && s.k_w == 3 && s.dil_w == 1;
  taps t;
  t.in_row = s.dil_h * s.in_w * s.in_c;
  t.in_col = s.dil_w * s.in_c;
  t.w_row = s.k_w * s.out_c;
  t.w_col = s.out_c;
  t.input_offset = p->input_offset;
  const int8_t *image = p->input;
  int8_t *out = p->output;
  for (int32_t b = 0; b < s.batches; ++b, image += s.in_h * s.in_w * s.in_c) {
    for (int32_t oy = 0; oy < s.out_h; ++oy) {
      const int32_t in_y0 = oy * s.stride_h - s.pad_h;
      int32_t ky0, ky1;
      tml_valid_taps(in_y0, s.dil_h, s.k_h, s.in_h, &ky0, &ky1);
      t.rows = ky1 - ky0;
      if (k3) {
        t.in = image + (in_y0 + ky0 * s.dil_h) * s.in_w * s.in_c;
        t.w = p->filter + ky0 * s.k_w * s.out_c;
        row_dm1_k3(&s, &q, &t, out);
        if (q.narrow) tml_clamp_s8(out, s.out_w * s.out_c, q.act_min, q.act_max);
        out += s.out_w * s.out_c;
        continue;
      }
      for (int32_t ox = 0; ox < s.out_w; ++ox, out += s.out_c) {
        const int32_t in_x0 = ox * s.stride_w - s.pad_w;
        int32_t kx0, kx1;
        tml_valid_taps(in_x0, s.dil_w, s.k_w, s.in_w, &kx0, &kx1);
        t.cols = kx1 - kx0;
        t.in = image + ((in_y0 + ky0 * s.dil_h) * s.in_w + in_x0 + kx0 * s.dil_w) * s.in_c;
        t.w = p->filter + (ky0 * s.k_w + kx0) * s.out_c;
        pixel(&t, &q, s.in_c, dm, out);
        if (q.narrow) tml_clamp_s8(out, s.out_c, q.act_min, q.act_max);
      }
    }
  }
}
