/* Raw audio in, the model's input filled: the audio frontend, the feature
 * quantization and the model in one place (firmware built with --audio).
 *
 * A clip is TML_KWS_CLIP_SAMPLES int16 samples at TML_FE_SAMPLE_RATE (the
 * config's clip_ms, padded or cropped as ingestion does); its TML_KWS_FRAMES
 * frames of TML_FE_NUM_CHANNELS features are quantized one frame at a time
 * straight into the model's input in the arena, frame-major, so no feature
 * buffer beside the frontend's state is needed.
 */
#ifndef TML_KWS_H
#define TML_KWS_H

#include <stddef.h>
#include <stdint.h>

#include "tml_kws_config.h"

/* Start a clip: a fresh frontend state, no frames yet. */
void tml_kws_begin(void);

/* Feed the clip's next `count` samples (any split); returns the frames
 * written to the model input so far. */
uint32_t tml_kws_feed(const int16_t *samples, size_t count);

/* A whole clip in memory: begin, feed TML_KWS_CLIP_SAMPLES samples, run the
 * model; its output is then at tml_model_output(). 0 = ok. */
int tml_kws_run(const int16_t *pcm);

#endif
