/* The board interface: everything the application and the verification
 * harness need from a board, and nothing more.
 *
 * Emulated targets implement it with ARM semihosting
 * (targets/common/board_semihosting.c). Compile-only targets link the weak
 * stubs in targets/common/board_stub.c: replace them by linking your own
 * board source with strong definitions (`tinyml firmware build
 * --board-source my_board.c`), e.g. reading a microphone or an IMU.
 */
#ifndef TML_BOARD_H
#define TML_BOARD_H

#include <stdint.h>

/* Once, before anything else. */
void board_init(void);

/* Fill `input` with the `n` bytes of input tensor 0 (row-major int8).
 * Returns 1 when a full input was read, 0 when there is no more input. */
int board_read_input(int8_t *input, uint32_t n);

/* Audio firmware (built with --audio) reads raw PCM instead: fill `samples`
 * with the next `count` mono int16 samples at the model's sample rate (a
 * microphone's DMA buffer, say). Returns 1 when they were read, 0 when there
 * is no more audio. */
int board_read_audio(int16_t *samples, uint32_t count);

/* The raw output tensor of one inference. */
void board_write_output(const int8_t *output, uint32_t n);

/* The class the model chose (index of the highest output) and its score: the
 * raw int8 output, or for a float32 output (a model ending in DEQUANTIZE) the
 * value in hundredths saturated to int8. */
void board_report_class(uint32_t class_index, int8_t score);

/* A line of text for a human or a test log. */
void board_log(const char *text);

/* SysTick ticks since board_timer_start(); the 24-bit counter's wraps are
 * counted in its interrupt so long runs do not overflow. */
void board_timer_start(void);
uint64_t board_timer_ticks(void);

/* Stop: the emulator exits with `status`; a real part sleeps. */
void board_halt(int status) __attribute__((noreturn));

#endif
