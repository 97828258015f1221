/* Host harness: runs the generated model on the host for differential tests.
 * Reads raw input vectors (TML_INPUT_BYTES each) from stdin until EOF and
 * writes one raw output vector (TML_OUTPUT_BYTES) per input to stdout. */
#include <stdio.h>

#include "model_plan.h"

static int8_t input[TML_INPUT_BYTES];
static int8_t output[TML_OUTPUT_BYTES];

int main(void) {
  size_t got;
  while ((got = fread(input, 1, sizeof input, stdin)) == sizeof input) {
    if (tml_model_invoke(input, output) != 0) return 3;
    if (fwrite(output, 1, sizeof output, stdout) != sizeof output) return 4;
  }
  if (got != 0) {
    fprintf(stderr, "host harness: trailing %u bytes, expected multiples of %u\n", (unsigned)got,
            (unsigned)TML_INPUT_BYTES);
    return 2;
  }
  return 0;
}
