/* Target profile 'stm32l4r5': compile-only; board I/O is the weak stub in common/board_stub.c.
 * Memory map, stack and core flags come from firmware/profiles.yaml; this
 * header holds what the start-up code needs beyond them. */
#ifndef TML_TARGET_H
#define TML_TARGET_H

/* External interrupt lines of the part (vector table entries after the 16 system ones). */
#define TML_TARGET_IRQS 95

#endif
