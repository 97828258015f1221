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
