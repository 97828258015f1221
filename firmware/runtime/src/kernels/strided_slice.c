/* STRIDED_SLICE, int8: begin, end, strides and the begin/end/shrink masks are
 * resolved on the host as TFLM resolves them (clamped per axis, negative
 * indices from the end), leaving a start element and a stride per axis. */
#include "strided_copy.h"

void tml_strided_slice(const tml_strided_copy_params *p) { tml_strided_copy(p); }
