/* GATHER, int8: copies the inner block of each indexed position along the axis,
 * batch by batch (batch_dims) and outer step by outer step, as TFLM does. */
#include <string.h>

#include "tml_kernels.h"

void tml_gather(const tml_gather_params *p) {
  int8_t *out = p->output;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int32_t *indices = p->indices + b * p->num_indices;
    for (int32_t o = 0; o < p->outer; ++o) {
      const int8_t *rows = p->input + (b * p->outer + o) * p->axis_size * p->inner;
      for (int32_t k = 0; k < p->num_indices; ++k) {
        memcpy(out, rows + indices[k] * p->inner, (size_t)p->inner);
        out += p->inner;
      }
    }
  }
}
