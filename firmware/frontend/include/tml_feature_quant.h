/* A frontend feature (uint16) to the model's int8 input value, exactly as the
 * host quantizes it (round(x / scale) + zero point, clamped): the step
 * thresholds are computed ahead of time by tinyml/audio/feature_quant.py into
 * tml_feature_quant_table.h/.c for the model's input scale and zero point. */
#ifndef TML_FEATURE_QUANT_H
#define TML_FEATURE_QUANT_H

#include <stdint.h>

int8_t tml_feature_quantize(uint16_t feature);

#endif
