/* Board interface of the emulated targets, over ARM semihosting.
 *
 * The firmware's command line (QEMU -semihosting-config arg=...) names the
 * input file and the output file: `firmware <input> <output>`. The input
 * holds one or more input tensors back to back (or, for audio firmware, raw
 * int16 little-endian PCM); each inference appends its output tensor to the
 * output file.
 */
#include <string.h>

#include "board.h"
#include "decimal.h"
#include "semihosting.h"

static int input_handle = -1;
static int output_handle = -1;

/* Splits the command line in place: argv[0] is the program name. */
static int split_args(char *line, char **args, int max_args) {
  int count = 0;
  for (char *p = line; *p && count < max_args;) {
    while (*p == ' ') {
      *p++ = '\0';
    }
    if (*p) {
      args[count++] = p;
      while (*p && *p != ' ') {
        p++;
      }
    }
  }
  return count;
}

void board_init(void) {
  char line[256]; /* on the stack: needed once, at start-up */
  char *args[3];
  if (sh_get_cmdline(line, sizeof line) != 0 || split_args(line, args, 3) < 3) {
    return; /* no files named: the harness, which embeds its inputs */
  }
  input_handle = sh_open(args[1], SH_MODE_READ_BINARY);
  output_handle = sh_open(args[2], SH_MODE_WRITE_BINARY);
  if (input_handle < 0 || output_handle < 0) {
    board_log("error: cannot open the input or output file\n");
    board_halt(3);
  }
}

/* 1: `n` bytes read; 0: the input file had ended; a partial read halts. */
static int read_exactly(void *buffer, uint32_t n, const char *partial) {
  if (input_handle < 0) {
    return 0;
  }
  int got = sh_read(input_handle, buffer, n);
  if (got != 0 && (uint32_t)got != n) {
    board_log(partial);
    board_halt(4);
  }
  return got == (int)n;
}

int board_read_input(int8_t *input, uint32_t n) {
  return read_exactly(input, n, "error: the input file ends inside an input tensor\n");
}

int board_read_audio(int16_t *samples, uint32_t count) {
  return read_exactly(samples, count * sizeof(*samples), "error: the audio file ends inside a sample block\n");
}

void board_write_output(const int8_t *output, uint32_t n) {
  if (output_handle >= 0 && sh_write(output_handle, output, n) != 0) {
    board_log("error: cannot write the output file\n");
    board_halt(5);
  }
}

void board_report_class(uint32_t class_index, int8_t score) {
  char text[48] = "class ";
  char *p = tml_decimal(text + 6, class_index);
  *p++ = ' ';
  if (score < 0) {
    *p++ = '-';
  }
  p = tml_decimal(p, (uint32_t)(score < 0 ? -score : score));
  p[0] = '\n';
  p[1] = '\0';
  board_log(text);
}

void board_log(const char *text) { sh_write0(text); }

void board_halt(int status) {
  if (output_handle >= 0) {
    sh_close(output_handle);
  }
  if (input_handle >= 0) {
    sh_close(input_handle);
  }
  sh_exit(status);
}
