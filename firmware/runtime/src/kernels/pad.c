/* PAD, int8: copies the input into the output window, fills the rest with the
 * value that represents zero (the output zero point). */
#include "tml_kernels.h"

static int inside(int32_t i, int32_t before, int32_t size) { return i >= before && i < before + size; }

void tml_pad(const tml_pad_params *p) {
  const int32_t *o = p->out_shape, *n = p->in_shape, *b = p->before;
  int8_t *out = p->output;
  for (int32_t i0 = 0; i0 < o[0]; ++i0) {
    for (int32_t i1 = 0; i1 < o[1]; ++i1) {
      for (int32_t i2 = 0; i2 < o[2]; ++i2) {
        const int row_inside = inside(i0, b[0], n[0]) && inside(i1, b[1], n[1]) && inside(i2, b[2], n[2]);
        const int32_t row = (((i0 - b[0]) * n[1] + (i1 - b[1])) * n[2] + (i2 - b[2])) * n[3];
        for (int32_t i3 = 0; i3 < o[3]; ++i3) {
          *out++ = row_inside && inside(i3, b[3], n[3]) ? p->input[row + i3 - b[3]] : (int8_t)p->pad_value;
        }
      }
    }
  }
}
