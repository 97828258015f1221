/* Target profile 'stm32f405': emulated on QEMU netduinoplus2; I/O over semihosting.
 * Memory map, stack and core flags come from firmware/profiles.yaml; this
 * header holds what the start-up code needs beyond them. */
#ifndef TML_TARGET_H
#define TML_TARGET_H

/* External interrupt lines of the part (vector table entries after the 16 system ones). */
#define TML_TARGET_IRQS 82

#endif
