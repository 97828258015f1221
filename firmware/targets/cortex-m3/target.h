/* Target profile 'cortex-m3': emulated on QEMU mps2-an385 (CMSDK peripherals); I/O over semihosting.
 * Memory map, stack and core flags come from firmware/profiles.yaml; this
 * header holds what the start-up code needs beyond them. */
#ifndef TML_TARGET_H
#define TML_TARGET_H

/* External interrupt lines of the part (vector table entries after the 16 system ones). */
#define TML_TARGET_IRQS 32

#endif
