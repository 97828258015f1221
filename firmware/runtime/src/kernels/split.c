/* SPLIT, SPLIT_V and UNPACK, int8: each row of the input holds one block per
 * output, in output order; UNPACK's blocks are one slice of the axis each. */
#include <string.h>

#include "tml_kernels.h"

void tml_split(const tml_split_params *p) {
  const int8_t *in = p->input;
  for (int32_t o = 0; o < p->outer; ++o) {
    for (int32_t i = 0; i < p->num_outputs; ++i) {
      memcpy(p->outputs[i] + o * p->copy_bytes[i], in, (size_t)p->copy_bytes[i]);
      in += p->copy_bytes[i];
    }
  }
}
