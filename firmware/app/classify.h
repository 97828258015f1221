/* The class the model chose: the index of its highest output, and that
 * output as the score (int8; a float32 output in hundredths, saturated; an
 * int16 or int32 output's top byte). */
#ifndef TML_CLASSIFY_H
#define TML_CLASSIFY_H

#include <stdint.h>

uint32_t tml_classify(const int8_t *output, int8_t *score);

#endif
