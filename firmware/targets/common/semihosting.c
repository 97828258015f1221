#include "semihosting.h"

#include <string.h>

enum {
  SYS_OPEN = 0x01,
  SYS_CLOSE = 0x02,
  SYS_WRITE0 = 0x04,
  SYS_WRITE = 0x05,
  SYS_READ = 0x06,
  SYS_GET_CMDLINE = 0x15,
  SYS_EXIT = 0x18,
  SYS_EXIT_EXTENDED = 0x20,
};

#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static int sh_call(uint32_t op, const void *arg) {
  register uint32_t r0 __asm("r0") = op;
  register const void *r1 __asm("r1") = arg;
  /* The debugger (QEMU) traps this breakpoint; memory is its argument. */
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return (int)r0;
}

int sh_open(const char *path, int mode) {
  uint32_t args[3] = {(uint32_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
  return sh_call(SYS_OPEN, args);
}

int sh_read(int handle, void *buf, uint32_t n) {
  uint32_t args[3] = {(uint32_t)handle, (uint32_t)buf, n};
  return (int)n - sh_call(SYS_READ, args); /* the call returns the bytes NOT read */
}

int sh_write(int handle, const void *buf, uint32_t n) {
  uint32_t args[3] = {(uint32_t)handle, (uint32_t)buf, n};
  return sh_call(SYS_WRITE, args);
}

void sh_close(int handle) {
  uint32_t args[1] = {(uint32_t)handle};
  sh_call(SYS_CLOSE, args);
}

void sh_write0(const char *text) { sh_call(SYS_WRITE0, text); }

int sh_get_cmdline(char *buf, uint32_t size) {
  uint32_t args[2] = {(uint32_t)buf, size};
  return sh_call(SYS_GET_CMDLINE, args);
}

void sh_exit(int status) {
  /* SYS_EXIT_EXTENDED carries the status to QEMU's exit code. */
  uint32_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  sh_call(SYS_EXIT_EXTENDED, args);
  for (;;) {
  }
}
