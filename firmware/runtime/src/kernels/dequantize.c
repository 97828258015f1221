/* DEQUANTIZE int8 -> float32: (q - zero_point) * scale.
 * TFLM multiplies in double, but the product of a float scale and an integer
 * of at most 9 bits is exact in either precision, so one float multiply
 * rounds it the same way, without double-precision arithmetic on the part. */
#include "tml_kernels.h"

void tml_dequantize(const tml_dequantize_params *p) {
  const int32_t zero_point = p->zero_point;
  const float scale = p->scale;
  for (int32_t i = 0; i < p->size; ++i) p->output[i] = (float)(p->input[i] - zero_point) * scale;
}
