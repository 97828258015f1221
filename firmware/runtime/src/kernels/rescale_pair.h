/* The two inputs of ADD, SUB and SQUARED_DIFFERENCE on the common scale their
 * tml_add_params define (TFLite's integer ADD; SQUARED_DIFFERENCE only differs
 * in its smaller left_shift), before the op combines and requantizes them. */
#ifndef TML_RESCALE_PAIR_H_
#define TML_RESCALE_PAIR_H_

#include "tml_fixedpoint.h"
#include "tml_kernels.h"

typedef struct {
  int32_t a, b;
} tml_rescaled_pair;

static inline tml_rescaled_pair tml_rescale_pair(int32_t a, int32_t b, const tml_add_params *p) {
  const tml_rescaled_pair r = {
      tml_rescale_input(a, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift),
      tml_rescale_input(b, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift)};
  return r;
}

#endif /* TML_RESCALE_PAIR_H_ */
