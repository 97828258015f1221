/* Emulated check of the audio frontend (never released).
 *
 * Runs every embedded clip through tml_frontend_run, compares every feature
 * with the TensorFlow op's (computed on the host), times each clip with
 * SysTick and prints one line per clip and a summary line that
 * tinyml/audio/emulated.py parses; exits non-zero on any difference.
 */
#include <stdint.h>

#include "board.h"
#include "decimal.h"
#include "frontend_vectors.h"
#include "tml_frontend.h"

static tml_frontend_state state;
static uint16_t features[TML_FE_MAX_FRAMES * TML_FE_NUM_CHANNELS];

/* One "TAG key=value ..." line to the log. */
static void log_fields(const char *tag, const char *const *keys, const uint64_t *values, uint32_t n) {
  static char line[200];
  tml_fields_line(line, tag, keys, values, n);
  board_log(line);
}

int main(void) {
  uint32_t bad_clips = 0, bad_values = 0, frames_total = 0;
  uint64_t ticks_total = 0;
  const int16_t *samples = tml_fe_clip_samples;
  const uint16_t *expected = tml_fe_clip_features;
  static const char *const clip_keys[] = {"index", "frames", "mismatched_values", "ticks"};
  static const char *const summary_keys[] = {"clips", "frames", "mismatched_clips", "mismatched_values", "ticks_total"};

  board_init();
  board_timer_start();
  for (uint32_t c = 0; c < TML_FE_CLIP_COUNT; c++) {
    uint64_t start = board_timer_ticks();
    const uint32_t length = tml_fe_clip_lengths[c];
    /* Clips of exactly one second exercise the one-second helper. */
    uint32_t frames = (uint32_t)(length == TML_FE_SAMPLE_RATE && TML_FE_MAX_FRAMES >= TML_FE_FRAMES_PER_SECOND
                                     ? tml_frontend_one_second(&state, samples, features)
                                     : tml_frontend_run(&state, samples, length, features, TML_FE_MAX_FRAMES));
    uint64_t ticks = board_timer_ticks() - start;
    uint32_t differing = frames != tml_fe_clip_frames[c];
    const uint32_t values = differing ? 0 : frames * TML_FE_NUM_CHANNELS;
    for (uint32_t i = 0; i < values; i++) {
      differing += features[i] != expected[i];
    }
    bad_clips += differing != 0;
    bad_values += differing;
    frames_total += frames;
    ticks_total += ticks;
    const uint64_t clip[] = {c, frames, differing, ticks};
    log_fields("TML_FRONTEND_CLIP", clip_keys, clip, 4);
    samples += length;
    expected += tml_fe_clip_frames[c] * TML_FE_NUM_CHANNELS;
  }
  const uint64_t summary[] = {TML_FE_CLIP_COUNT, frames_total, bad_clips, bad_values, ticks_total};
  log_fields("TML_FRONTEND", summary_keys, summary, 5);
  board_halt(bad_clips ? 1 : 0);
}
