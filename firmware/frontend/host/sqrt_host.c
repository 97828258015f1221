/* Host check of tml_frontend_sqrt (never shipped): uint64 values on stdin,
 * their rounded roots as uint32 on stdout. */
#include <stdio.h>

#include "tml_frontend.h"

int main(void) {
  uint64_t num;
  while (fread(&num, sizeof(num), 1, stdin) == 1) {
    uint32_t root = tml_frontend_sqrt(num);
    fwrite(&root, sizeof(root), 1, stdout);
  }
  return 0;
}
