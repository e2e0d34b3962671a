/*
 * startup.c - reset handler and vector table of the Nano 33 BLE (nRF52840, Cortex-M4F). The
 * Arduino bootloader (0x0-0xFFFF) jumps to the table at 0x10000 (link.ld). Reset_Handler
 * copies .data, zeroes .bss, turns the FPU on (CPACR, ARMv7-M ARM B3.2.20), runs main().
 * IRQ numbers: nRF52840 PS v1.7 §4.2.4 (nrf52840.h, checked against the SVD).
 */
#include <stdint.h>

#include "cortexm.h"
#include "nrf52840.h"
#include "ped/board.h"

extern uint32_t _estack;
extern int main(void);

void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
void POWER_CLOCK_IRQHandler(void);
void UARTE0_UART0_IRQHandler(void);
void TIMER1_IRQHandler(void);

void Reset_Handler(void)
{
    cm_start_c_runtime();
    board_exit(main());
}

void Fault_Handler(void) { cm_reset(); }

typedef void (*vector_t)(void);
#define N_IRQ 48u  /* the nRF52840's 48 peripheral interrupts */
_Static_assert(NRF_IRQ_POWER_CLOCK == 0 && NRF_IRQ_UART0 == 2 && NRF_IRQ_TIMER1 == 9,
               "the handlers below sit at these IRQ positions");

__attribute__((section(".vectors"), used)) static const vector_t vectors[16 + N_IRQ] = {
    (vector_t)(uintptr_t)&_estack, Reset_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, /* NMI..Usage */
    0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler,  /* SVC, DebugMon, PendSV */
    SysTick_Handler,
    POWER_CLOCK_IRQHandler, Fault_Handler, UARTE0_UART0_IRQHandler,  /* IRQ 0.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 3.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 6.. */
    TIMER1_IRQHandler, Fault_Handler, Fault_Handler,  /* IRQ 9.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 12.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 15.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 18.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 21.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 24.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 27.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 30.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 33.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 36.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 39.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 42.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 45.. */
};

/* assert() without newlib's printf (and its heap): restart, as a real board does */
void __assert_func(const char *file, int line, const char *func, const char *expr)
{
    (void)file;
    (void)line;
    (void)func;
    (void)expr;
    cm_reset();
}
