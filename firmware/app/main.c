/* The released application firmware: read an input tensor from the board,
 * run the model, report the output and the chosen class, repeat. */
#include <stdint.h>

#include "board.h"
#include "model_plan.h"

static int8_t input[TML_INPUT_BYTES];
static int8_t output[TML_OUTPUT_BYTES];

static uint32_t argmax(const int8_t *values, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++) {
        if (values[i] > values[best]) {
            best = i;
        }
    }
    return best;
}

int main(void)
{
    board_init();
    while (board_read_input(input, TML_INPUT_BYTES)) {
        if (tml_model_invoke(input, output) != 0) {
            board_log("error: inference failed\n");
            board_halt(1);
        }
        board_write_output(output, TML_OUTPUT_BYTES);
        uint32_t best = argmax(output, TML_OUTPUT_BYTES);
        board_report_class(best, output[best]);
    }
    board_halt(0);
}
