/* A stand-in model for testing the targets, the harness and the build
 * machinery without the generator: same API as a generated model_plan.h. */
#include <stdint.h>

#define TML_INPUT_BYTES 16
#define TML_OUTPUT_BYTES 4
#define TML_INPUT0_BYTES 16
#define TML_OUTPUT0_BYTES 4
#define TML_INPUT_COUNT 1
#define TML_OUTPUT_COUNT 1
#define TML_ARENA_BYTES 64

int8_t *tml_model_input(void);
const int8_t *tml_model_output(void);
int tml_model_run(void);
int tml_model_invoke(const int8_t *input, int8_t *output);
