/* SVDF, optimized (SIMD with the DSP extension, else plain C); same interface
 * and results as kernels/svdf.c, which explains the op.
 *
 * The feature matmul takes two filters per pass over the input, with the
 * fully connected kernel's dot products; an int8 history is weighed with the
 * same dot product (the state's zero point as the offset), an int16 one in
 * plain C. The element type is tested once per row, not per element.
 */
#include <string.h>

#include "mac_requant.h"
#include "tml_kernels.h"

typedef struct {
  int32_t filters, memory, zero_point, lo, hi, wide;
  void *state;
} svdf_state;

/* Writes filter f's newest step (batch b): the clamped feature result plus the zero
 * point, truncated to the state's type as TFLM does. */
static void store_newest(const svdf_state *s, int32_t b, int32_t f, int32_t acc, int32_t multiplier, int32_t shift) {
  const int32_t v = tml_clamp(tml_multiply_by_quantized_multiplier(acc, multiplier, shift), s->lo, s->hi);
  const int32_t at = (b * s->filters + f) * s->memory + s->memory - 1;
  if (s->wide) {
    ((int16_t *)s->state)[at] = (int16_t)(v + s->zero_point);
  } else {
    ((int8_t *)s->state)[at] = (int8_t)(v + s->zero_point);
  }
}

static int32_t time_sum(const svdf_state *s, const void *weights_time, int32_t b, int32_t f, int32_t acc) {
  const int32_t history = (b * s->filters + f) * s->memory, n = s->memory;
  if (!s->wide) {
    const int8_t *w = (const int8_t *)weights_time + f * n;
    return tml_dot1_s8((const int8_t *)s->state + history, w, n, -s->zero_point, acc);
  }
  const int16_t *w = (const int16_t *)weights_time + f * n, *h = (const int16_t *)s->state + history;
  for (int32_t m = 0; m < n; ++m) {
    acc += w[m] * (h[m] - s->zero_point);
  }
  return acc;
}

void tml_svdf(const tml_svdf_params *p) {
  const int32_t batches = p->batches, depth = p->input_size, rank = p->rank, units = p->filters / p->rank;
  const int32_t input_offset = -p->input_zero_point, output_offset = p->output_zero_point;
  const int32_t m1 = p->multiplier_1, s1 = p->shift_1, m2 = p->multiplier_2, s2 = p->shift_2;
  const int wide = p->state_type == TML_INT16;
  const svdf_state s = {
      p->filters, p->memory, p->state_zero_point, wide ? INT16_MIN : INT8_MIN, wide ? INT16_MAX : INT8_MAX,
      wide,       p->state};
  const int8_t *weights_feature = p->weights_feature;
  const void *weights_time = p->weights_time;
  const int32_t *bias = p->bias;
  int8_t *out = p->output;

  const size_t item = wide ? sizeof(int16_t) : sizeof(int8_t);
  memmove(s.state, (const int8_t *)s.state + item, (size_t)(batches * s.filters * s.memory - 1) * item);
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *in = p->input + b * depth;
    int32_t f = 0;
    for (; f + 2 <= s.filters; f += 2) {
      const int8_t *w = weights_feature + f * depth;
      int32_t a0 = 0, a1 = 0;
      tml_dot2_s8(in, w, w + depth, depth, input_offset, &a0, &a1);
      store_newest(&s, b, f, a0, m1, s1);
      store_newest(&s, b, f + 1, a1, m1, s1);
    }
    if (f < s.filters) {
      store_newest(&s, b, f, tml_dot1_s8(in, weights_feature + f * depth, depth, input_offset, 0), m1, s1);
    }
  }
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t u = 0; u < units; ++u) {
      int32_t acc = bias[u];
      for (int32_t r = 0; r < rank; ++r) {
        acc = time_sum(&s, weights_time, b, u * rank + r, acc);
      }
      const int32_t v = tml_multiply_by_quantized_multiplier(acc, m2, s2) + output_offset;
      out[b * units + u] = (int8_t)tml_clamp(v, INT8_MIN, INT8_MAX);
    }
  }
}
