/* TRANSPOSE, int8: output axis k walks input axis perm[k], so each output axis
 * reads at the input stride of the axis it came from (set by the host). */
#include "strided_copy.h"

void tml_transpose(const tml_strided_copy_params *p) { tml_strided_copy(p); }
