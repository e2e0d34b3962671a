/*
 * startup.c - reset handler and vector table of the Raspberry Pi Pico (RP2040, Cortex-M0+).
 * boot2 (boot2.c) points VTOR here (0x10000100), loads the stack pointer and calls
 * Reset_Handler, which copies .data, zeroes .bss, runs main() and ends with board_exit().
 * IRQ numbers: RP2040 datasheet §2.3.2; system exceptions: ARMv6-M ARM B1.5.
 */
#include <assert.h>
#include <stdint.h>

#include "ped/board.h"
#include "pico_irq.h"
#include "rp2040.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);

void Reset_Handler(void);
void Default_Handler(void);

void Reset_Handler(void)
{
    for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    board_exit(main());
}

void Default_Handler(void) { pico_panic(3); }
static void HardFault_Handler(void) { pico_panic(4); }

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) static const vector_t vectors[16 + RP_N_IRQ] = {
    [0] = (vector_t)(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2] = Default_Handler,     /* NMI */
    [3] = HardFault_Handler,
    [11] = Default_Handler,    /* SVCall */
    [14] = Default_Handler,    /* PendSV */
    [15] = SysTick_Handler,
    [16 + RP_IRQ_TIMER_0] = pico_timer0_irq,
    [16 + RP_IRQ_TIMER_1] = pico_timer1_irq,
    [16 + 2] = Default_Handler, [16 + 3] = Default_Handler, [16 + 4] = Default_Handler,
    [16 + 5] = Default_Handler, [16 + 6] = Default_Handler, [16 + 7] = Default_Handler,
    [16 + 8] = Default_Handler, [16 + 9] = Default_Handler, [16 + 10] = Default_Handler,
    [16 + 11] = Default_Handler, [16 + 12] = Default_Handler, [16 + 13] = Default_Handler,
    [16 + 14] = Default_Handler, [16 + 15] = Default_Handler, [16 + 16] = Default_Handler,
    [16 + 17] = Default_Handler, [16 + 18] = Default_Handler, [16 + 19] = Default_Handler,
    [16 + RP_IRQ_UART0] = pico_uart0_irq,
    [16 + 21] = Default_Handler,
    [16 + RP_IRQ_ADC_FIFO] = pico_adc_irq,
    [16 + 23] = Default_Handler, [16 + 24] = Default_Handler, [16 + 25] = Default_Handler,
};

/* A failed assert() (the kernels check their arguments) ends the run with status 5: a
 * watchdog reset on silicon. Defining it here keeps newlib's version, which prints with
 * fiprintf and so pulls in malloc, out of the image: this board has no heap. */
void __assert_func(const char *file, int line, const char *func, const char *expr)
{
    (void)file;
    (void)line;
    (void)func;
    (void)expr;
    pico_panic(5);
}
