/* Verification harness (emulated targets only, never released).
 *
 * Runs every embedded test vector through tml_model_invoke, compares every
 * output byte with the reference (the tflite-micro interpreter's), times each
 * inference with SysTick, prints one machine-readable line and exits non-zero
 * on any mismatch. tinyml/firmware/verify.py parses the line.
 */
#include <stdint.h>

#include "board.h"
#include "decimal.h"
#include "harness_vectors.h"
#include "model_plan.h"

static int8_t output[TML_OUTPUT_BYTES];

static char *append(char *p, const char *key, uint64_t value) {
  while (*key) {
    *p++ = *key++;
  }
  return tml_decimal(p, value);
}

int main(void) {
  uint32_t bad_vectors = 0, bad_bytes = 0, failed_invokes = 0;
  uint32_t first_bad = TML_VECTOR_COUNT; /* none */
  uint64_t ticks_total = 0, ticks_max = 0;
  uint64_t ticks_min = UINT64_MAX;

  board_init();
  board_timer_start();
  for (uint32_t v = 0; v < TML_VECTOR_COUNT; v++) {
    uint64_t start = board_timer_ticks();
    int rc = tml_model_invoke(tml_vector_inputs[v], output);
    uint64_t ticks = board_timer_ticks() - start;
    ticks_total += ticks;
    ticks_max = ticks > ticks_max ? ticks : ticks_max;
    ticks_min = ticks < ticks_min ? ticks : ticks_min;
    board_write_output(output, TML_OUTPUT_BYTES);

    uint32_t differing = 0;
    for (uint32_t i = 0; i < TML_OUTPUT_BYTES; i++) {
      differing += output[i] != tml_vector_outputs[v][i];
    }
    failed_invokes += rc != 0;
    if (differing || rc != 0) {
      bad_vectors++;
      bad_bytes += differing;
      first_bad = first_bad < v ? first_bad : v;
    }
  }

  static char line[320];
  char *p = line;
  p = append(p, "TML_VERIFY vectors=", TML_VECTOR_COUNT);
  p = append(p, " output_bytes=", TML_OUTPUT_BYTES);
  p = append(p, " mismatched_vectors=", bad_vectors);
  p = append(p, " mismatched_bytes=", bad_bytes);
  p = append(p, " failed_invokes=", failed_invokes);
  p = append(p, " first_mismatch=", first_bad);
  p = append(p, " ticks_total=", ticks_total);
  p = append(p, " ticks_min=", ticks_min);
  p = append(p, " ticks_max=", ticks_max);
  p[0] = '\n';
  p[1] = '\0';
  board_log(line);
  board_halt(bad_vectors ? 1 : 0);
}
