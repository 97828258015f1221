/* Board interface stubs for compile-only targets (no emulator).
 *
 * Every function is weak: link a source file of your own with the real
 * board's code (sensor input, a UART or LED for the class) and its strong
 * definitions replace these, e.g.
 *   tinyml firmware build --model m.tflite --target nrf52840 --board-source my_board.c -o out
 * As shipped, the firmware finds no input and sleeps.
 */
#include "board.h"

#define WEAK __attribute__((weak))

WEAK void board_init(void) {}

WEAK int board_read_input(int8_t *input, uint32_t n) {
  (void)input;
  (void)n;
  return 0;
}

WEAK int board_read_audio(int16_t *samples, uint32_t count) {
  (void)samples;
  (void)count;
  return 0;
}

WEAK void board_write_output(const int8_t *output, uint32_t n) {
  (void)output;
  (void)n;
}

WEAK void board_report_class(uint32_t class_index, int8_t score) {
  (void)class_index;
  (void)score;
}

WEAK void board_log(const char *text) { (void)text; }

WEAK void board_halt(int status) {
  (void)status;
  for (;;) {
    __asm volatile("wfi");
  }
}
