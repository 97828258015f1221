/* MINIMUM, int8: the smaller raw value; inputs and output share one quantization. */
#include "broadcast.h"

static int8_t minimum_one(int32_t a, int32_t b, const void *params) {
  (void)params;
  return (int8_t)(a < b ? a : b);
}

void tml_minimum(const tml_max_min_params *p) {
  tml_broadcast_apply(&p->b, p->input1, p->input2, p->output, minimum_one, p);
}
