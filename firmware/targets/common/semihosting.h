/* ARM semihosting calls used by the emulated boards (QEMU with
 * -semihosting-config enable=on). Our own few calls instead of newlib's
 * rdimon: no printf, no heap, a few hundred bytes of flash. */
#ifndef TML_SEMIHOSTING_H
#define TML_SEMIHOSTING_H

#include <stdint.h>

int sh_open(const char *path, int mode);               /* mode: SH_MODE_READ_BINARY/WRITE_BINARY; -1 on error */
int sh_read(int handle, void *buf, uint32_t n);        /* bytes read */
int sh_write(int handle, const void *buf, uint32_t n); /* 0 when all written */
void sh_close(int handle);
void sh_write0(const char *text);                   /* to the debug console (QEMU's stdout) */
int sh_get_cmdline(char *buf, uint32_t size);       /* 0 = ok, buf NUL-terminated */
void sh_exit(int status) __attribute__((noreturn)); /* QEMU exits with `status` */

#define SH_MODE_READ_BINARY 1
#define SH_MODE_WRITE_BINARY 5

#endif
