/* The audio frontend: raw int16 PCM in, one frame of filterbank features out.
 *
 * It computes exactly what TensorFlow's audio microfrontend op computes (the
 * op TFLM's micro_speech was trained with), value for value: a Hann window,
 * KissFFT's 16-bit fixed-point real FFT with its rounding, a mel filterbank,
 * noise reduction, PCAN gain control and a fixed-point log. The settings and
 * every table are generated ahead of time by tinyml/audio/frontend_tables.py
 * into tml_frontend_tables.h/.c (const, in flash), so there is no set-up on the
 * device, no malloc and no floating point at run time; the state below is all
 * the RAM it needs.
 *
 * Streaming: tml_frontend_init once, then tml_frontend_feed with audio as it
 * arrives; a frame is ready every TML_FE_WINDOW_STEP samples once the first
 * TML_FE_WINDOW_SIZE have arrived. tml_frontend_run does a whole clip,
 * tml_frontend_one_second a second of it.
 */
#ifndef TML_FRONTEND_H
#define TML_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "tml_frontend_tables.h"

typedef struct {
  int16_t input[TML_FE_WINDOW_SIZE]; /* the samples of the window being filled */
  uint32_t input_used;
  /* FFT work: the real FFT's complex bins 0..N/2 in place (N/2 + 1 pairs). */
  int16_t fft[TML_FE_FFT_SIZE + 2];
  uint32_t noise_estimate[TML_FE_NUM_CHANNELS];
} tml_frontend_state;

void tml_frontend_init(tml_frontend_state *state);

/* Consume up to `count` samples; returns how many were taken. When that
 * completed a window, writes its TML_FE_NUM_CHANNELS features to `features`
 * and sets *ready to 1 (else 0): call again with the rest of the samples. */
size_t tml_frontend_feed(tml_frontend_state *state, const int16_t *samples, size_t count, uint16_t *features,
                         int *ready);

/* Every frame of a clip from a freshly initialised state: writes up to
 * `max_frames` frames of TML_FE_NUM_CHANNELS features and returns how many it
 * wrote: (count - window) / step + 1 for a long enough buffer, 0 when the clip
 * is shorter than a window. */
size_t tml_frontend_run(tml_frontend_state *state, const int16_t *samples, size_t count, uint16_t *features,
                        size_t max_frames);

/* One second of audio (TML_FE_SAMPLE_RATE samples) to its
 * TML_FE_FRAMES_PER_SECOND frames: a keyword-spotting model's input. */
static inline size_t tml_frontend_one_second(tml_frontend_state *state, const int16_t *samples, uint16_t *features) {
  return tml_frontend_run(state, samples, TML_FE_SAMPLE_RATE, features, TML_FE_FRAMES_PER_SECOND);
}

/* The fixed-point real FFT of TML_FE_FFT_SIZE samples, already placed in
 * KissFFT's input order in state->fft (tml_frontend.c does that while
 * windowing); leaves bins 0..N/2 as (re, im) pairs in state->fft. */
void tml_frontend_fft(int16_t *data);

/* A filterbank sum's square root, rounded as the op rounds it. */
uint32_t tml_frontend_sqrt(uint64_t num);

#endif
