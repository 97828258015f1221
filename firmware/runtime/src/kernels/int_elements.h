/* Reading and writing one element of a tensor whose integer type is known only
 * at run time (tml_int_type), for the kernels that take several widths. */
#ifndef TML_INT_ELEMENTS_H_
#define TML_INT_ELEMENTS_H_

#include "tml_kernels.h"

static inline int32_t tml_load_int(const void *data, tml_int_type type, int32_t i) {
  switch (type) {
    case TML_INT8:
      return ((const int8_t *)data)[i];
    case TML_INT16:
      return ((const int16_t *)data)[i];
    default:
      return ((const int32_t *)data)[i];
  }
}

/* Stores the low bits of v: callers clamp first where TFLM clamps (it also
 * truncates in places, e.g. SVDF's state, and GCC truncates modulo 2^bits). */
static inline void tml_store_int(void *data, tml_int_type type, int32_t i, int32_t v) {
  switch (type) {
    case TML_INT8:
      ((int8_t *)data)[i] = (int8_t)v;
      break;
    case TML_INT16:
      ((int16_t *)data)[i] = (int16_t)v;
      break;
    default:
      ((int32_t *)data)[i] = v;
  }
}

/* The range of a type, for clamping. */
static inline int32_t tml_int_min(tml_int_type type) {
  return type == TML_INT8 ? INT8_MIN : (type == TML_INT16 ? INT16_MIN : INT32_MIN);
}

static inline int32_t tml_int_max(tml_int_type type) {
  return type == TML_INT8 ? INT8_MAX : (type == TML_INT16 ? INT16_MAX : INT32_MAX);
}

#endif /* TML_INT_ELEMENTS_H_ */
