/* Output j = low byte of sum_i input[i] * (i + j + 1), after input[1] * 256
 * rounds of busy work (so tests can check that instruction counts scale);
 * input[0] == 127 spins forever (the hang test). build_test.py computes the
 * same in Python. */
#include <string.h>

#include "model_plan.h"

static int32_t arena[TML_ARENA_BYTES / 4];
static int8_t input_tensor[TML_INPUT_BYTES];
static int8_t output_tensor[TML_OUTPUT_BYTES];

int8_t *tml_model_input(void) { return input_tensor; }

const int8_t *tml_model_output(void) { return output_tensor; }

int tml_model_run(void)
{
    volatile int32_t *work = arena;
    if (input_tensor[0] == 127) {
        for (;;) {
            work[0]++;
        }
    }
    for (int32_t round = 0; round < (int32_t)(uint8_t)input_tensor[1] * 256; round++) {
        work[round & 15] += round;
    }
    for (int j = 0; j < TML_OUTPUT_BYTES; j++) {
        int32_t sum = 0;
        for (int i = 0; i < TML_INPUT_BYTES; i++) {
            sum += input_tensor[i] * (i + j + 1);
        }
        output_tensor[j] = (int8_t)(uint8_t)(sum & 0xFF);
    }
    return 0;
}

int tml_model_invoke(const int8_t *input, int8_t *output)
{
    memcpy(input_tensor, input, TML_INPUT_BYTES);
    const int rc = tml_model_run();
    memcpy(output, output_tensor, TML_OUTPUT_BYTES);
    return rc;
}
