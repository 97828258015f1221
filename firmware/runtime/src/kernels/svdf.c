/* SVDF with TFLite's integer semantics (int8 input and output; state and time
 * weights int8 or int16). The state holds, per batch and filter, the last
 * `memory` feature activations, oldest first, in the state's quantization.
 * Each unit's output needs only its own `rank` filters' time sums, so they are
 * accumulated directly into the unit's sum: int32 additions in another order
 * give the same result, and no scratch buffer is needed. */
#include <string.h>

#include "int_elements.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

/* Shift every filter's history one step into the past. The whole buffer moves
 * by one element, as in TFLM: each filter's newest slot then holds its
 * neighbour's oldest value until the feature matmul overwrites it. */
static void shift_state(const tml_svdf_params *p) {
  const int32_t count = p->batches * p->filters * p->memory;
  const size_t item = (size_t)p->state_type;
  memmove(p->state, (const int8_t *)p->state + item, (size_t)(count - 1) * item);
}

/* The newest step of every filter: the input times its feature weights,
 * requantized into the state's quantization. */
static void feature_matmul(const tml_svdf_params *p) {
  const int32_t lo = tml_int_min(p->state_type), hi = tml_int_max(p->state_type);
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *in = p->input + b * p->input_size;
    for (int32_t f = 0; f < p->filters; ++f) {
      const int8_t *w = p->weights_feature + f * p->input_size;
      int32_t acc = 0;
      for (int32_t c = 0; c < p->input_size; ++c) {
        acc += w[c] * (in[c] - p->input_zero_point);
      }
      acc = tml_clamp(tml_multiply_by_quantized_multiplier(acc, p->multiplier_1, p->shift_1), lo, hi);
      /* TFLM clamps before adding the zero point and truncates the sum to the state's type. */
      const int32_t newest = (b * p->filters + f) * p->memory + p->memory - 1;
      tml_store_int(p->state, p->state_type, newest, acc + p->state_zero_point);
    }
  }
}

/* One filter's history weighed by its time weights. */
static int32_t time_sum(const tml_svdf_params *p, int32_t b, int32_t f) {
  const int32_t history = (b * p->filters + f) * p->memory;
  int32_t acc = 0;
  for (int32_t m = 0; m < p->memory; ++m) {
    const int32_t s = tml_load_int(p->state, p->state_type, history + m) - p->state_zero_point;
    acc += tml_load_int(p->weights_time, p->state_type, f * p->memory + m) * s;
  }
  return acc;
}

void tml_svdf(const tml_svdf_params *p) {
  shift_state(p);
  feature_matmul(p);
  const int32_t units = p->filters / p->rank;
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t u = 0; u < units; ++u) {
      int32_t acc = p->bias[u];
      for (int32_t r = 0; r < p->rank; ++r) {
        acc += time_sum(p, b, u * p->rank + r);
      }
      /* The output's range is the activation's: TFLM applies no other clamp. */
      const int32_t v = tml_multiply_by_quantized_multiplier(acc, p->multiplier_2, p->shift_2);
      p->output[b * units + u] = (int8_t)tml_clamp(v + p->output_zero_point, INT8_MIN, INT8_MAX);
    }
  }
}
