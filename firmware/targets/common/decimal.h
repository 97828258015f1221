/* Unsigned decimal formatting without printf (which would cost kilobytes). */
#ifndef TML_DECIMAL_H
#define TML_DECIMAL_H

#include <stdint.h>

/* Writes `value` in decimal at `out`, NUL-terminated; returns the NUL's address. */
char *tml_decimal(char *out, uint64_t value);

#endif
