/* The released application firmware: read an input (an input tensor from the
 * board, or a clip of raw audio through the frontend: app_input.h), run the
 * model, report its outputs (in the model's order) and the class output 0
 * chooses, repeat. The input is written
 * straight into the arena and the output read from it: no tensor buffers
 * beside the arena. */
#include <stdint.h>

#include "app_input.h"
#include "board.h"
#include "classify.h"
#include "model_plan.h"

int main(void) {
  board_init();
  while (app_read_input()) {
    if (tml_model_run() != 0) {
      board_log("error: inference failed\n");
      board_halt(1);
    }
    const int8_t *output = tml_model_output();
    board_write_output(output, TML_OUTPUT0_BYTES);
#if TML_OUTPUT_COUNT > 1
    static const uint32_t bytes[TML_OUTPUT_COUNT] = TML_OUTPUT_SIZES;
    for (uint32_t i = 1; i < TML_OUTPUT_COUNT; i++) {
      board_write_output(tml_model_output_at(i), bytes[i]);
    }
#endif
    int8_t score;
    uint32_t best = tml_classify(output, &score);
    board_report_class(best, score);
  }
  board_halt(0);
}
