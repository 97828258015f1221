/* Generic Cortex-M start-up shared by every target profile.
 *
 * The vector table, the reset handler (copy .data, zero .bss, enable the FPU,
 * call main) and a default handler. Everything a part differs in comes from
 * the profile's target.h (number of external interrupts) and from the linker
 * script generated from firmware/profiles.yaml (memory map, stack size).
 */
#include <stdint.h>

#include "irq_handlers.h"
#include "target.h"

extern int main(void);

/* Symbols placed by common/sections.ld. */
extern uint32_t __data_load__, __data_start__, __data_end__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __stack_top__;

void Reset_Handler(void);
void Default_Handler(void);

/* A fault or an unexpected interrupt stops here; a debugger (or QEMU's
 * timeout) sees a core spinning in one known place instead of running wild. */
void Default_Handler(void) {
  for (;;) {
  }
}

#define WEAK_DEFAULT __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void MemManage_Handler(void) WEAK_DEFAULT;
void BusFault_Handler(void) WEAK_DEFAULT;
void UsageFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void) WEAK_DEFAULT;
void DebugMon_Handler(void) WEAK_DEFAULT;
void PendSV_Handler(void) WEAK_DEFAULT;
void SysTick_Handler(void) WEAK_DEFAULT;

/* External interrupt n runs IRQ<n>_Handler, weak: a board file overrides one
 * by defining it, e.g. a DMA or I2S handler (the part's reference manual gives
 * its number); the others stay on Default_Handler. */
#define TML_DECLARE_IRQ(n) void IRQ##n##_Handler(void) WEAK_DEFAULT;
TML_IRQ_LIST(TML_DECLARE_IRQ)
#define TML_IRQ_VECTOR(n) IRQ##n##_Handler,

typedef void (*vector_t)(void);

/* 16 system exceptions followed by the part's external interrupts. */
__attribute__((section(".vectors"), used)) const vector_t tml_vector_table[16 + TML_TARGET_IRQS] = {
    (vector_t)&__stack_top__, Reset_Handler, NMI_Handler, HardFault_Handler, MemManage_Handler, BusFault_Handler,
    UsageFault_Handler, 0, 0, 0, 0, SVC_Handler, DebugMon_Handler, 0, PendSV_Handler, SysTick_Handler,
    /* IRQ0_Handler, IRQ1_Handler, ... */
    TML_IRQ_LIST(TML_IRQ_VECTOR)};

/* Coprocessor Access Control Register: CP10/CP11 full access enables the FPU. */
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void) {
#if defined(__ARM_FP)
  /* Before any float instruction, including compiler-generated ones in
   * library code: otherwise the first one raises a UsageFault. */
  SCB_CPACR |= (0xFu << 20);
  __asm volatile("dsb\n\tisb" ::: "memory");
#endif
  uint32_t *src = &__data_load__;
  for (uint32_t *dst = &__data_start__; dst < &__data_end__;) {
    *dst++ = *src++;
  }
  for (uint32_t *dst = &__bss_start__; dst < &__bss_end__;) {
    *dst++ = 0;
  }
  main();
  /* main of a firmware image never returns; if it does, stay put. */
  Default_Handler();
}
