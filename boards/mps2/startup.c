/*
 * startup.c - reset handler and vector table for the QEMU MPS2 Cortex-M boards.
 * Copies .data, zeroes .bss, enables the FPU when built for one, runs main(), and exits
 * through board_exit() with main's status.
 */
#include <stdint.h>

#include "mps2.h"
#include "ped/board.h"

extern uint32_t _estack;
extern int main(void);

void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void SysTick_Handler(void);
void UART0_RX_Handler(void);
void UART0_TX_Handler(void);
void UART1_RX_Handler(void);
void TIMER0_Handler(void);
void TIMER1_Handler(void);

void Reset_Handler(void)
{
    cm_start_c_runtime();
    board_exit(main());
}

void Default_Handler(void) { mps2_panic(3); }
void HardFault_Handler(void) { mps2_panic(4); }

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) static const vector_t vectors[16 + 10] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    Default_Handler,   /* NMI */
    HardFault_Handler,
    Default_Handler,   /* MemManage */
    Default_Handler,   /* BusFault */
    Default_Handler,   /* UsageFault */
    0, 0, 0, 0,
    Default_Handler,   /* SVCall */
    Default_Handler,   /* DebugMon */
    0,
    Default_Handler,   /* PendSV */
    SysTick_Handler,
    UART0_RX_Handler,  /* IRQ 0 */
    UART0_TX_Handler,  /* IRQ 1 */
    UART1_RX_Handler,  /* IRQ 2 */
    Default_Handler,   /* IRQ 3: UART1 TX (not enabled) */
    Default_Handler,   /* IRQ 4 */
    Default_Handler,   /* IRQ 5 */
    Default_Handler,   /* IRQ 6 */
    Default_Handler,   /* IRQ 7 */
    TIMER0_Handler,    /* IRQ 8 */
    TIMER1_Handler,    /* IRQ 9 */
};
