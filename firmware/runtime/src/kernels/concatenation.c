/* CONCATENATION, int8: interleaves the inputs' blocks along the axis. Bytes are
 * copied unchanged, as TFLM does (the converter gives all inputs the output's scale). */
#include <string.h>

#include "tml_kernels.h"

void tml_concatenation(const tml_concatenation_params *p) {
  int8_t *out = p->output;
  for (int32_t o = 0; o < p->outer; ++o) {
    for (int32_t i = 0; i < p->num_inputs; ++i) {
      memcpy(out, p->inputs[i] + o * p->copy_bytes[i], (size_t)p->copy_bytes[i]);
      out += p->copy_bytes[i];
    }
  }
}
