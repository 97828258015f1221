/* Inference timing with SysTick, the one timer every Cortex-M has.
 *
 * Under QEMU's `-icount shift=0` SysTick advances deterministically with the
 * emulated instruction count (instructions_per_tick in the profile), which
 * makes ticks an instruction counter; the DWT cycle counter reads 0 in QEMU.
 */
#include <stdint.h>

#include "board.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)
#define SYST_RELOAD 0xFFFFFFu

static volatile uint32_t wraps;

void SysTick_Handler(void) { wraps++; }

void board_timer_start(void) {
  SYST_CSR = 0;
  SYST_RVR = SYST_RELOAD;
  SYST_CVR = 0; /* any write clears the counter: it reloads on the next tick */
  wraps = 0;
  SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
}

uint64_t board_timer_ticks(void) {
  uint32_t before, value;
  /* Re-read when a wrap lands between the two reads. */
  do {
    before = wraps;
    value = SYST_CVR;
  } while (before != wraps);
  /* The counter counts down from the reload value; reaching 0 raises the
   * wrap interrupt, so 0 is the first tick of the next wrap. */
  uint32_t into_wrap = value ? (SYST_RELOAD + 1u) - value : 0u;
  return (uint64_t)before * (SYST_RELOAD + 1u) + into_wrap;
}
