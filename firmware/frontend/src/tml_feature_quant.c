#include "tml_feature_quant.h"

#include "tml_feature_quant_table.h"

int8_t tml_feature_quantize(uint16_t feature) {
  /* How many thresholds the feature has reached: the first one above it. */
  uint32_t lo = 0, hi = TML_FQ_STEPS;
  while (lo < hi) {
    const uint32_t mid = (lo + hi) >> 1;
    if (tml_fq_thresholds[mid] <= feature) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return (int8_t)(TML_FQ_BASE + (int32_t)lo);
}
