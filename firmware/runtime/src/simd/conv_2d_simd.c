/* CONV_2D for cores with the DSP extension; same interface and results as
 * kernels/conv_2d.c.
 *
 * Per output pixel, a window of at most TML_COL_MAX values is gathered once
 * into an int16 column (input offset added, zeros for padding), then every
 * pair of output channels is a dot product of that column with two
 * contiguous filter rows, two multiply-accumulates per SMLAD. Larger windows
 * skip the column and take dot products straight over the input: the valid
 * (kx, ic) run of one filter row is contiguous in NHWC input when dil_w is 1.
 */
#include "simd_ops.h"
#include "tml_kernels.h"

/* Window geometry of one output pixel. */
typedef struct {
  const int8_t *image; /* this batch's input */
  int32_t in_y0, in_x0;
} pixel_at;

static __attribute__((noinline)) void conv_pixel_col(const tml_conv_2d_params *p, const int16_t *col, int32_t n,
                                                     int8_t *out) {
  const tml_requant q = {p->bias, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
  const int32_t out_c = p->s.out_c;
  const int8_t *w = p->filter;
  int32_t oc = 0;
  for (; oc + 2 <= out_c; oc += 2, w += 2 * n) {
    int32_t a0 = 0, a1 = 0;
    tml_dot2_col(col, w, w + n, n, &a0, &a1);
    out[oc] = tml_requantize(&q, a0, oc);
    out[oc + 1] = tml_requantize(&q, a1, oc + 1);
  }
  if (oc < out_c) out[oc] = tml_requantize(&q, tml_dot1_col(col, w, n, 0), oc);
}

/* The pixel's window as an interleaved column; returns its length. */
static __attribute__((noinline)) int32_t fill_col(const tml_conv_2d_params *p, pixel_at at, int16_t *col) {
  const int32_t in_c = p->s.in_c, in_h = p->s.in_h, in_w = p->s.in_w, k_h = p->s.k_h, k_w = p->s.k_w,
                dil_h = p->s.dil_h, dil_w = p->s.dil_w, offset = p->input_offset;
  int16_t *c = col;
  for (int32_t ky = 0; ky < k_h; ++ky) {
    const int32_t iy = at.in_y0 + ky * dil_h;
    for (int32_t kx = 0; kx < k_w; ++kx, c += in_c) {
      const int32_t ix = at.in_x0 + kx * dil_w;
      if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
        memset(c, 0, (size_t)in_c * sizeof *c); /* padding contributes zero */
        continue;
      }
      const int8_t *in = at.image + (iy * in_w + ix) * in_c;
      if (in_c % 4 == 0) {
        tml_col_fill4(c, in, in_c, offset); /* whole groups: interleaved as written */
      } else {
        for (int32_t ic = 0; ic < in_c; ++ic) c[ic] = (int16_t)(in[ic] + offset);
      }
    }
  }
  const int32_t n = (int32_t)(c - col);
  if (in_c % 4 != 0) tml_col_interleave(col, n);
  return n;
}

static __attribute__((noinline)) void conv_pixel_direct(const tml_conv_2d_params *p, pixel_at at, int8_t *out) {
  const tml_requant q = {p->bias, p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
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
  for (int32_t oc = 0; oc < out_c; oc += 2, w0 += 2 * filter_stride) {
    const int pair = oc + 1 < out_c;
    const int8_t *in_r = first_in, *w_r = w0;
    int32_t a0 = 0, a1 = 0;
    for (int32_t ky = ky0; ky < ky1; ++ky, in_r += dil_h * in_w * in_c, w_r += row) {
      const int8_t *in = in_r, *w = w_r;
      for (int32_t r = 0; r < runs; ++r, in += dil_w * in_c, w += in_c) {
        if (pair) {
          tml_dot2_s8(in, w, w + filter_stride, run, offset, &a0, &a1);
        } else {
          a0 = tml_dot1_s8(in, w, run, offset, a0);
        }
      }
    }
    out[oc] = tml_requantize(&q, a0, oc);
    if (pair) out[oc + 1] = tml_requantize(&q, a1, oc + 1);
  }
}

void tml_conv_2d(const tml_conv_2d_params *p) {
  const tml_window_shape s = p->s;
  const int use_col = s.k_h * s.k_w * s.in_c <= TML_COL_MAX;
  int16_t col[TML_COL_MAX] __attribute__((aligned(4)));
  pixel_at at = {p->input, 0, 0};
  int8_t *out = p->output;
  for (int32_t b = 0; b < s.batches; ++b, at.image += s.in_h * s.in_w * s.in_c) {
    for (int32_t oy = 0; oy < s.out_h; ++oy) {
      at.in_y0 = oy * s.stride_h - s.pad_h;
      for (int32_t ox = 0; ox < s.out_w; ++ox, out += s.out_c) {
        at.in_x0 = ox * s.stride_w - s.pad_w;
        if (use_col) {
          conv_pixel_col(p, col, fill_col(p, at, col), out);
        } else {
          conv_pixel_direct(p, at, out);
        }
      }
    }
  }
}
