/* The released application firmware: read an input (an input tensor from the
 * board, or a clip of raw audio through the frontend: app_input.h), run the
 * model, report the output and the chosen class, repeat. The input is written
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
    board_write_output(output, TML_OUTPUT_BYTES);
    int8_t score;
    uint32_t best = tml_classify(output, &score);
    board_report_class(best, score);
  }
  board_halt(0);
}
