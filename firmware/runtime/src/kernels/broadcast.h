/* Walks a 4-D broadcast: calls fn for every output element with its two inputs. */
#ifndef TML_BROADCAST_H_
#define TML_BROADCAST_H_

#include "tml_kernels.h"

typedef int8_t (*tml_binary_fn)(int32_t a, int32_t b, const void *params);

static inline void tml_broadcast_apply(const tml_broadcast_shape *b, const int8_t *in1, const int8_t *in2, int8_t *out,
                                       tml_binary_fn fn, const void *params) {
  for (int32_t i0 = 0; i0 < b->shape[0]; ++i0) {
    for (int32_t i1 = 0; i1 < b->shape[1]; ++i1) {
      for (int32_t i2 = 0; i2 < b->shape[2]; ++i2) {
        const int8_t *a = in1 + i0 * b->stride1[0] + i1 * b->stride1[1] + i2 * b->stride1[2];
        const int8_t *c = in2 + i0 * b->stride2[0] + i1 * b->stride2[1] + i2 * b->stride2[2];
        for (int32_t i3 = 0; i3 < b->shape[3]; ++i3) {
          *out++ = fn(a[i3 * b->stride1[3]], c[i3 * b->stride2[3]], params);
        }
      }
    }
  }
}

#endif /* TML_BROADCAST_H_ */
