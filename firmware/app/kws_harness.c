/* Verification harness of audio firmware (emulated targets only, never released).
 *
 * Runs every embedded raw clip through the frontend, the feature quantization
 * and the model (kws.h), compares every output byte with the reference (the
 * tflite-micro interpreter's output on the TensorFlow op's features of the
 * same clip, quantized by the host), times the frontend and the model
 * separately with SysTick, and prints one line per clip (with the class the
 * device chose) and a summary line that tinyml/audio/kws_firmware.py parses;
 * exits non-zero on any difference.
 */
#include <stdint.h>

#include "board.h"
#include "classify.h"
#include "decimal.h"
#include "kws.h"
#include "kws_vectors.h"
#include "model_plan.h"

static void log_fields(const char *tag, const char *const *keys, const uint64_t *values, uint32_t n) {
  static char line[240];
  tml_fields_line(line, tag, keys, values, n);
  board_log(line);
}

int main(void) {
  static const char *const clip_keys[] = {"index",          "class",      "frames", "rc", "mismatched_bytes",
                                          "frontend_ticks", "model_ticks"};
  static const char *const summary_keys[] = {"clips", "mismatched_clips", "mismatched_bytes", "first_mismatch"};
  uint32_t bad_clips = 0, bad_bytes = 0, first_bad = TML_CLIP_COUNT;

  board_init();
  board_timer_start();
  for (uint32_t c = 0; c < TML_CLIP_COUNT; c++) {
    const uint64_t start = board_timer_ticks();
    tml_kws_begin();
    const uint32_t frames = tml_kws_feed(tml_clip_samples[c], TML_KWS_CLIP_SAMPLES);
    const uint64_t features_done = board_timer_ticks();
    const int rc = tml_model_run();
    const uint64_t model_done = board_timer_ticks();

    const int8_t *output = tml_model_output();
    uint32_t differing = 0;
    for (uint32_t i = 0; i < TML_OUTPUT_BYTES; i++) {
      differing += output[i] != tml_clip_outputs[c][i];
    }
    if (differing || rc != 0 || frames != TML_KWS_FRAMES) {
      bad_clips++;
      bad_bytes += differing;
      first_bad = first_bad < c ? first_bad : c;
    }
    int8_t score;
    const uint64_t clip[] = {c,
                             tml_classify(output, &score),
                             frames,
                             (uint64_t)(rc != 0),
                             differing,
                             features_done - start,
                             model_done - features_done};
    log_fields("TML_KWS_CLIP", clip_keys, clip, 7);
  }
  const uint64_t summary[] = {TML_CLIP_COUNT, bad_clips, bad_bytes, first_bad};
  log_fields("TML_KWS", summary_keys, summary, 4);
  board_halt(bad_clips ? 1 : 0);
}
