/* The app's input is the model's input tensor, read straight into the arena. */
#include "app_input.h"
#include "board.h"
#include "model_plan.h"

int app_read_input(void) { return board_read_input(tml_model_input(), TML_INPUT_BYTES); }
