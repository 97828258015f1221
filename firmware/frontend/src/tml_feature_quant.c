#include "tml_feature_quant.h"

#include "tml_feature_quant_table.h"

/* A variable, not the macro: with no steps (a staircase saturated at once)
 * the compares below would be against a literal 0. */
static const uint32_t steps_max = TML_FQ_STEPS;

int8_t tml_feature_quantize(uint16_t feature) {
  /* The int8 value is the base plus how many thresholds the feature has
   * reached. A linear guess (the feature over the scale, in Q16) lands on or
   * next to that count; the compares against the table make it exact, so the
   * guess only decides how many compares it takes. */
  int64_t guess = ((int64_t)feature * TML_FQ_GUESS_MULT + TML_FQ_GUESS_OFFSET) >> 16;
  uint32_t steps = guess < 0 ? 0u : (guess > (int64_t)steps_max ? steps_max : (uint32_t)guess);
  while (steps < steps_max && tml_fq_thresholds[steps] <= feature) {
    steps++;
  }
  while (steps > 0 && tml_fq_thresholds[steps - 1] > feature) {
    steps--;
  }
  return (int8_t)(TML_FQ_BASE + (int32_t)steps);
}
