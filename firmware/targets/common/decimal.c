#include "decimal.h"

char *tml_decimal(char *out, uint64_t value) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(value % 10u));
    value /= 10u;
  } while (value);
  while (n) {
    *out++ = digits[--n];
  }
  *out = '\0';
  return out;
}

char *tml_fields_line(char *out, const char *tag, const char *const *keys, const uint64_t *values, uint32_t n) {
  while (*tag) {
    *out++ = *tag++;
  }
  for (uint32_t f = 0; f < n; f++) {
    *out++ = ' ';
    for (const char *k = keys[f]; *k;) {
      *out++ = *k++;
    }
    *out++ = '=';
    out = tml_decimal(out, values[f]);
  }
  out[0] = '\n';
  out[1] = '\0';
  return out + 1;
}
