#include "kws.h"

#include "model_plan.h"
#include "tml_feature_quant.h"
#include "tml_frontend.h"

#if TML_INPUT_BYTES != TML_KWS_FRAMES * TML_FE_NUM_CHANNELS
#error "the model's input is not one clip's frames x channels of int8 features"
#endif

static tml_frontend_state state;
static uint16_t frame[TML_FE_NUM_CHANNELS];
static uint32_t frames_done;

void tml_kws_begin(void) {
  tml_frontend_init(&state);
  frames_done = 0;
}

uint32_t tml_kws_feed(const int16_t *samples, size_t count) {
  while (count > 0) {
    int ready;
    const size_t taken = tml_frontend_feed(&state, samples, count, frame, &ready);
    samples += taken;
    count -= taken;
    if (ready && frames_done < TML_KWS_FRAMES) {
      int8_t *input = tml_model_input() + frames_done * TML_FE_NUM_CHANNELS;
      for (uint32_t c = 0; c < TML_FE_NUM_CHANNELS; c++) {
        input[c] = tml_feature_quantize(frame[c]);
      }
      frames_done++;
    }
  }
  return frames_done;
}

int tml_kws_run(const int16_t *pcm) {
  tml_kws_begin();
  if (tml_kws_feed(pcm, TML_KWS_CLIP_SAMPLES) != TML_KWS_FRAMES) {
    return -1;
  }
  return tml_model_run();
}
