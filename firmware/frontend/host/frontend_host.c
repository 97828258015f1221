/* Host harness of the audio frontend for differential tests (never shipped).
 *
 * stdin: clips, each a uint32 sample count then that many int16 samples.
 * stdout: for each clip, a uint32 frame count then frames x channels uint16
 * features, every clip from a fresh state as the TensorFlow op computes it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tml_frontend.h"

int main(void)
{
    static tml_frontend_state state;
    uint32_t count;
    while (fread(&count, sizeof(count), 1, stdin) == 1) {
        int16_t *samples = malloc((count ? count : 1) * sizeof(*samples));
        size_t max_frames = count / TML_FE_WINDOW_STEP + 1;
        uint16_t *features = malloc(max_frames * TML_FE_NUM_CHANNELS * sizeof(*features));
        if (!samples || !features || fread(samples, sizeof(*samples), count, stdin) != count) {
            fprintf(stderr, "frontend_host: short or unreadable clip of %u samples\n", (unsigned)count);
            return 2;
        }
        uint32_t frames = (uint32_t)tml_frontend_run(&state, samples, count, features, max_frames);
        fwrite(&frames, sizeof(frames), 1, stdout);
        fwrite(features, sizeof(*features) * TML_FE_NUM_CHANNELS, frames, stdout);
        free(samples);
        free(features);
    }
    return 0;
}
