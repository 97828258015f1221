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
static __attribute__((noinline)) void pixel_dm1(const taps *t, const tml_requant *qp, int32_t channels, int8_t *out) {
  const tml_requant q = *qp; /* a local copy: the output stores cannot alias it */
  const int32_t rows = t->rows, cols = t->cols, in_row = t->in_row, in_col = t->in_col, w_row = t->w_row,
                w_col = t->w_col;
  const int16x2_t off = tml_pack_offset(t->input_offset);
  int32_t c = 0;
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
    pixel_dm1(t, q, out_c, out);
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
  const int32_t dm = p->depth_multiplier;
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
      for (int32_t ox = 0; ox < s.out_w; ++ox, out += s.out_c) {
        const int32_t in_x0 = ox * s.stride_w - s.pad_w;
        int32_t kx0, kx1;
        tml_valid_taps(in_x0, s.dil_w, s.k_w, s.in_w, &kx0, &kx1);
        t.rows = ky1 - ky0;
        t.cols = kx1 - kx0;
        t.in = image + ((in_y0 + ky0 * s.dil_h) * s.in_w + in_x0 + kx0 * s.dil_w) * s.in_c;
        t.w = p->filter + (ky0 * s.k_w + kx0) * s.out_c;
        pixel(&t, &q, s.in_c, dm, out);
        if (q.narrow) tml_clamp_s8(out, s.out_c, q.act_min, q.act_max);
      }
    }
  }
}
