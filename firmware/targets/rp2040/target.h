/* Target profile 'rp2040': compile-only; board I/O is the weak stub in common/board_stub.c.
 * To boot from a Pico's QSPI flash the image also needs the SDK's 256-byte
 * second-stage boot loader in front of the vector table (not provided).
 * Memory map, stack and core flags come from firmware/profiles.yaml; this
 * header holds what the start-up code needs beyond them. */
#ifndef TML_TARGET_H
#define TML_TARGET_H

/* External interrupt lines of the part (vector table entries after the 16 system ones). */
#define TML_TARGET_IRQS 26

#endif
