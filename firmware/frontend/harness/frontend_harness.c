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

static char *append(char *p, const char *key, uint64_t value)
{
    while (*key) {
        *p++ = *key++;
    }
    return tml_decimal(p, value);
}

int main(void)
{
    uint32_t bad_clips = 0, bad_values = 0, frames_total = 0;
    uint64_t ticks_total = 0;
    const int16_t *samples = tml_fe_clip_samples;
    const uint16_t *expected = tml_fe_clip_features;
    static char line[200];

    board_init();
    board_timer_start();
    for (uint32_t c = 0; c < TML_FE_CLIP_COUNT; c++) {
        uint64_t start = board_timer_ticks();
        uint32_t frames = (uint32_t)tml_frontend_run(&state, samples, tml_fe_clip_lengths[c], features,
                                                     TML_FE_MAX_FRAMES);
        uint64_t ticks = board_timer_ticks() - start;
        uint32_t differing = frames != tml_fe_clip_frames[c];
        for (uint32_t i = 0; i < tml_fe_clip_frames[c] * TML_FE_NUM_CHANNELS && frames == tml_fe_clip_frames[c]; i++) {
            differing += features[i] != expected[i];
        }
        bad_clips += differing != 0;
        bad_values += differing;
        frames_total += frames;
        ticks_total += ticks;
        char *p = append(line, "TML_FRONTEND_CLIP index=", c);
        p = append(p, " frames=", frames);
        p = append(p, " mismatched_values=", differing);
        p = append(p, " ticks=", ticks);
        p[0] = '\n';
        p[1] = '\0';
        board_log(line);
        samples += tml_fe_clip_lengths[c];
        expected += tml_fe_clip_frames[c] * TML_FE_NUM_CHANNELS;
    }
    char *p = append(line, "TML_FRONTEND clips=", TML_FE_CLIP_COUNT);
    p = append(p, " frames=", frames_total);
    p = append(p, " mismatched_clips=", bad_clips);
    p = append(p, " mismatched_values=", bad_values);
    p = append(p, " ticks_total=", ticks_total);
    p[0] = '\n';
    p[1] = '\0';
    board_log(line);
    board_halt(bad_clips ? 1 : 0);
}
