/* Host check of tml_feature_quantize: uint16 features on stdin, their int8 values on stdout. */
#include <stdio.h>

#include "tml_feature_quant.h"

int main(void) {
  uint16_t feature;
  while (fread(&feature, sizeof feature, 1, stdin) == 1) {
    const int8_t value = tml_feature_quantize(feature);
    fwrite(&value, 1, 1, stdout);
  }
  return 0;
}
