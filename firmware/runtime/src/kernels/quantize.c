/* QUANTIZE between integer types: requantization to a new scale and zero
 * point, clamped to the output type (TFLite's Requantize). */
#include "int_elements.h"
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_quantize(const tml_quantize_params *p) {
  const int32_t lo = tml_int_min(p->output_type), hi = tml_int_max(p->output_type);
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t x = tml_load_int(p->input, p->input_type, i) - p->input_zero_point;
    const int32_t v = tml_multiply_by_quantized_multiplier(x, p->multiplier, p->shift);
    /* TFLM adds the zero point in int32 arithmetic, which wraps. */
    const int32_t shifted = (int32_t)((uint32_t)v + (uint32_t)p->output_zero_point);
    tml_store_int(p->output, p->output_type, i, tml_clamp(shifted, lo, hi));
  }
}
