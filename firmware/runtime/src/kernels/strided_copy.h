/* The N-D walk STRIDED_SLICE, SLICE and TRANSPOSE share: the output in raster
 * order, each element read at its own stride from the input. */
#ifndef TML_STRIDED_COPY_H_
#define TML_STRIDED_COPY_H_

#include "tml_kernels.h"

static inline void tml_strided_copy(const tml_strided_copy_params *p) {
  const int32_t *n = p->shape, *s = p->in_stride;
  int8_t *out = p->output;
  for (int32_t i0 = 0; i0 < n[0]; ++i0) {
    for (int32_t i1 = 0; i1 < n[1]; ++i1) {
      for (int32_t i2 = 0; i2 < n[2]; ++i2) {
        for (int32_t i3 = 0; i3 < n[3]; ++i3) {
          const int8_t *row = p->input + i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3];
          for (int32_t i4 = 0; i4 < n[4]; ++i4) *out++ = row[i4 * s[4]];
        }
      }
    }
  }
}

#endif /* TML_STRIDED_COPY_H_ */
