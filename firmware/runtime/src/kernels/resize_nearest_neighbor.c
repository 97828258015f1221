/* RESIZE_NEAREST_NEIGHBOR, int8: each output pixel copies the channels of one
 * input pixel. The host picked the source rows and columns with TFLM's float
 * arithmetic (align_corners, half_pixel_centers), so no float runs here. */
#include "tml_kernels.h"

void tml_resize_nearest_neighbor(const tml_resize_nearest_neighbor_params *p) {
  int8_t *out = p->output;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = p->input + b * p->in_h * p->in_w * p->channels;
    for (int32_t y = 0; y < p->out_h; ++y) {
      const int8_t *row = image + p->rows[y] * p->in_w * p->channels;
      for (int32_t x = 0; x < p->out_w; ++x) {
        const int8_t *pixel = row + p->cols[x] * p->channels;
        for (int32_t c = 0; c < p->channels; ++c) *out++ = pixel[c];
      }
    }
  }
}
