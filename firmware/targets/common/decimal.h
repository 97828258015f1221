/* Unsigned decimal formatting without printf (which would cost kilobytes). */
#ifndef TML_DECIMAL_H
#define TML_DECIMAL_H

#include <stdint.h>

/* Writes `value` in decimal at `out`, NUL-terminated; returns the NUL's address. */
char *tml_decimal(char *out, uint64_t value);

/* Writes "TAG key=value ...\n" (n pairs), NUL-terminated, for a harness's
 * machine-read result lines; returns the NUL's address. */
char *tml_fields_line(char *out, const char *tag, const char *const *keys, const uint64_t *values, uint32_t n);

#endif
