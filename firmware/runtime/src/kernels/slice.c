/* SLICE, int8: a box of the input (begin and size resolved on the host), stride 1. */
#include "strided_copy.h"

void tml_slice(const tml_strided_copy_params *p) { tml_strided_copy(p); }
