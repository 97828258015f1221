#include "classify.h"

#include <string.h>

#include "model_plan.h"

#if TML_OUTPUT_FLOAT
/* A float32 output (the model ends in DEQUANTIZE): the class of the largest
 * value; its score in hundredths, saturated to int8 (a probability of 0.87
 * reports 87), so the board interface stays int8. */
uint32_t tml_classify(const int8_t *bytes, int8_t *score) {
  const uint32_t n = TML_OUTPUT0_BYTES / sizeof(float);
  float best_value, value;
  uint32_t best = 0;
  memcpy(&best_value, bytes, sizeof best_value);
  for (uint32_t i = 1; i < n; i++) {
    memcpy(&value, bytes + i * sizeof value, sizeof value);
    if (value > best_value) {
      best = i;
      best_value = value;
    }
  }
  const float hundredths = best_value * 100.0f;
  *score = hundredths >= 127.0f ? 127 : (hundredths <= -128.0f ? -128 : (int8_t)hundredths);
  return best;
}
#elif defined(TML_OUTPUT_ELEMENT_BYTES) && TML_OUTPUT_ELEMENT_BYTES > 1
/* An int16 or int32 output: the class of the largest value; its score is the
 * value's top byte, so it spans int8 as an int8 output's score does. */
static int32_t element(const int8_t *bytes, uint32_t i) {
#if TML_OUTPUT_ELEMENT_BYTES == 2
  int16_t v;
#else
  int32_t v;
#endif
  memcpy(&v, bytes + i * sizeof v, sizeof v);
  return v;
}

uint32_t tml_classify(const int8_t *bytes, int8_t *score) {
  const uint32_t n = TML_OUTPUT0_BYTES / TML_OUTPUT_ELEMENT_BYTES;
  uint32_t best = 0;
  for (uint32_t i = 1; i < n; i++) {
    if (element(bytes, i) > element(bytes, best)) {
      best = i;
    }
  }
  *score = (int8_t)(element(bytes, best) >> (8 * TML_OUTPUT_ELEMENT_BYTES - 8));
  return best;
}
#else
uint32_t tml_classify(const int8_t *values, int8_t *score) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < TML_OUTPUT0_BYTES; i++) {
    if (values[i] > values[best]) {
      best = i;
    }
  }
  *score = values[best];
  return best;
}
#endif
