/* The app's inputs are the model's input tensors, read straight into the arena
 * one after the other, in the model's order. */
#include "app_input.h"
#include "board.h"
#include "model_plan.h"

int app_read_input(void) {
  int more = board_read_input(tml_model_input(), TML_INPUT0_BYTES);
#if TML_INPUT_COUNT > 1
  static const uint32_t bytes[TML_INPUT_COUNT] = TML_INPUT_SIZES;
  for (uint32_t i = 1; more && i < TML_INPUT_COUNT; i++) {
    more = board_read_input(tml_model_input_at(i), bytes[i]);
  }
#endif
  return more;
}
