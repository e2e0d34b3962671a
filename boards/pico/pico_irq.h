/*
 * pico_irq.h - the interrupt handlers and the panic exit that board.c defines and startup.c's
 * vector table references (one declaration for both files).
 */
#ifndef PED_PICO_IRQ_H
#define PED_PICO_IRQ_H

#include "ped/board.h"

void SysTick_Handler(void);
void pico_timer0_irq(void);
void pico_timer1_irq(void);
void pico_uart0_irq(void);
void pico_adc_irq(void);
PED_NORETURN void pico_panic(int code);

#endif /* PED_PICO_IRQ_H */
