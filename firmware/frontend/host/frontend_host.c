/* Host harness of the audio frontend for differential tests (never shipped).
 *
 * stdin: clips, each a uint32 sample count then that many int16 samples.
 * stdout: for each clip, a uint32 frame count then frames x channels uint16
 * features, every clip from a fresh state as the TensorFlow op computes it.
 * With an argument N, clips are fed to tml_frontend_feed in pieces of 1, 2,
 * ... N samples (streaming); without, in one tml_frontend_run call.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tml_frontend.h"

static size_t run_streaming(tml_frontend_state *state, const int16_t *samples, size_t count, uint16_t *features,
                            size_t max_piece) {
  size_t frames = 0, piece = 1;
  tml_frontend_init(state);
  while (count > 0) {
    size_t n = piece < count ? piece : count;
    while (n > 0) {
      int ready;
      size_t taken = tml_frontend_feed(state, samples, n, features + frames * TML_FE_NUM_CHANNELS, &ready);
      samples += taken;
      count -= taken;
      n -= taken;
      frames += (size_t)ready;
    }
    piece = piece % max_piece + 1;
  }
  return frames;
}

int main(int argc, char **argv) {
  static tml_frontend_state state;
  const size_t max_piece = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 0;
  uint32_t count;
  while (fread(&count, sizeof(count), 1, stdin) == 1) {
    int16_t *samples = malloc((count ? count : 1) * sizeof(*samples));
    size_t max_frames = count / TML_FE_WINDOW_STEP + 1;
    uint16_t *features = malloc(max_frames * TML_FE_NUM_CHANNELS * sizeof(*features));
    if (!samples || !features || fread(samples, sizeof(*samples), count, stdin) != count) {
      fprintf(stderr, "frontend_host: short or unreadable clip of %u samples\n", (unsigned)count);
      return 2;
    }
    uint32_t frames = (uint32_t)(max_piece ? run_streaming(&state, samples, count, features, max_piece)
                                           : tml_frontend_run(&state, samples, count, features, max_frames));
    fwrite(&frames, sizeof(frames), 1, stdout);
    fwrite(features, sizeof(*features) * TML_FE_NUM_CHANNELS, frames, stdout);
    free(samples);
    free(features);
  }
  return 0;
}
