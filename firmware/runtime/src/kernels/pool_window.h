/* The part of a pooling window that lies inside the input (padding is skipped, not counted). */
#ifndef TML_POOL_WINDOW_H_
#define TML_POOL_WINDOW_H_

#include "tml_kernels.h"

typedef struct {
  int32_t y0, y1, x0, x1; /* input rows [y0, y1), columns [x0, x1) */
} tml_pool_window;

static inline tml_pool_window tml_pool_window_at(const tml_window_shape *s, int32_t oy, int32_t ox) {
  tml_pool_window w;
  const int32_t y = oy * s->stride_h - s->pad_h;
  const int32_t x = ox * s->stride_w - s->pad_w;
  w.y0 = y < 0 ? 0 : y;
  w.x0 = x < 0 ? 0 : x;
  w.y1 = y + s->k_h > s->in_h ? s->in_h : y + s->k_h;
  w.x1 = x + s->k_w > s->in_w ? s->in_w : x + s->k_w;
  return w;
}

#endif /* TML_POOL_WINDOW_H_ */
