/*
 * startup.c - reset handler and vector table of the Nucleo-L476RG (STM32L476, Cortex-M4F). The
 * table sits at 0x08000000 (link.ld), where the chip boots from flash. Reset_Handler copies
 * .data, zeroes .bss, turns the FPU on (CPACR, ARMv7-M ARM B3.2.20), runs main().
 * IRQ numbers: RM0351 §13.3 Table 58 (stm32l476.h, checked against the SVD).
 */
#include <stdint.h>

#include "cortexm.h"
#include "stm32l476.h"
#include "ped/board.h"

extern uint32_t _estack;
extern int main(void);

void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
void PVD_PVM_IRQHandler(void);
void TIM2_IRQHandler(void);
void USART2_IRQHandler(void);

void Reset_Handler(void)
{
    cm_start_c_runtime();
    board_exit(main());
}

void Fault_Handler(void) { cm_reset(); }

typedef void (*vector_t)(void);
#define N_IRQ 82u  /* the STM32L476's 82 maskable interrupts */
_Static_assert(STM_IRQ_PVD == 1 && STM_IRQ_TIM2 == 28 && STM_IRQ_USART2 == 38,
               "the handlers below sit at these IRQ positions");

__attribute__((section(".vectors"), used)) static const vector_t vectors[16 + N_IRQ] = {
    (vector_t)(uintptr_t)&_estack, Reset_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, /* NMI..Usage */
    0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler,  /* SVC, DebugMon, PendSV */
    SysTick_Handler,
    Fault_Handler, PVD_PVM_IRQHandler, Fault_Handler,  /* IRQ 0.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 3.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 6.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 9.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 12.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 15.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 18.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 21.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 24.. */
    Fault_Handler, TIM2_IRQHandler, Fault_Handler,  /* IRQ 27.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 30.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 33.. */
    Fault_Handler, Fault_Handler, USART2_IRQHandler,  /* IRQ 36.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 39.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 42.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 45.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 48.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 51.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 54.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 57.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 60.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 63.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 66.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 69.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 72.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 75.. */
    Fault_Handler, Fault_Handler, Fault_Handler,  /* IRQ 78.. */
    Fault_Handler,  /* IRQ 81.. */
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
