/* The app's input is one clip of raw PCM from the board, read a frontend step
 * at a time and fed through the frontend into the model's input. */
#include "app_input.h"
#include "board.h"
#include "kws.h"
#include "tml_frontend.h"

int app_read_input(void) {
  static int16_t block[TML_FE_WINDOW_STEP];
  tml_kws_begin();
  for (uint32_t left = TML_KWS_CLIP_SAMPLES; left > 0;) {
    const uint32_t n = left < TML_FE_WINDOW_STEP ? left : TML_FE_WINDOW_STEP;
    if (!board_read_audio(block, n)) {
      if (left == TML_KWS_CLIP_SAMPLES) {
        return 0;
      }
      board_log("error: the audio ends inside a clip\n");
      board_halt(4);
    }
    tml_kws_feed(block, n);
    left -= n;
  }
  return 1;
}
