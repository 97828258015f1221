/* MEAN, int8: sum over the reduced dims, remove the input zero point, and
 * requantize with 1/count folded into the multiplier (TFLite's quantized mean). */
#include "tml_fixedpoint.h"
#include "tml_kernels.h"

void tml_mean(const tml_mean_params *p) {
  const int32_t *d = p->in_shape;
  int32_t out_n[4], red_n[4], stride[4];
  stride[3] = 1;
  for (int k = 2; k >= 0; --k) stride[k] = stride[k + 1] * d[k + 1];
  for (int k = 0; k < 4; ++k) {
    out_n[k] = p->reduce[k] ? 1 : d[k];
    red_n[k] = p->reduce[k] ? d[k] : 1;
  }
  int8_t *out = p->output;
  for (int32_t o0 = 0; o0 < out_n[0]; ++o0)
    for (int32_t o1 = 0; o1 < out_n[1]; ++o1)
      for (int32_t o2 = 0; o2 < out_n[2]; ++o2)
        for (int32_t o3 = 0; o3 < out_n[3]; ++o3) {
          const int8_t *base = p->input + o0 * stride[0] + o1 * stride[1] + o2 * stride[2] + o3 * stride[3];
          int32_t sum = 0;
          for (int32_t r0 = 0; r0 < red_n[0]; ++r0)
            for (int32_t r1 = 0; r1 < red_n[1]; ++r1)
              for (int32_t r2 = 0; r2 < red_n[2]; ++r2)
                for (int32_t r3 = 0; r3 < red_n[3]; ++r3)
                  sum += base[r0 * stride[0] + r1 * stride[1] + r2 * stride[2] + r3 * stride[3]];
          const int32_t centered = sum - p->input_zero_point * p->num_reduced;
          const int32_t v = tml_multiply_by_quantized_multiplier(centered, p->multiplier, p->shift);
          *out++ = (int8_t)tml_clamp(v + p->output_zero_point, INT8_MIN, INT8_MAX);
        }
}
