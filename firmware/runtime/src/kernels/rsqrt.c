/* RSQRT, int8: an int8 input has 256 values, so the host computes each one's
 * output with TFLite's fixed-point inverse square root once
 * (tinyml/firmware/fixed_point.py) and the kernel looks it up. */
#include "tml_kernels.h"

void tml_rsqrt(const tml_lookup_params *p) {
  for (int32_t i = 0; i < p->size; ++i) {
    p->output[i] = p->table[p->input[i] + 128];
  }
}
