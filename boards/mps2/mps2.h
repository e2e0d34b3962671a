/*
 * mps2.h - registers of the QEMU MPS2 boards (mps2-an385 Cortex-M3, mps2-an386 Cortex-M4F)
 * used by board.c: ARMv7-M system registers, CMSDK APB UART and timer. Written from the ARM
 * ARMv7-M and CMSDK technical reference manuals.
 */
#ifndef PED_MPS2_H
#define PED_MPS2_H

#include <stdint.h>

#define REG32(addr) CM_REG32(addr)

#include "cortexm.h"

/* CMSDK APB UART */
#define UART0_BASE 0x40004000u  /* the serial port (protocol / console) */
#define UART1_BASE 0x40005000u  /* power-control port of the emulated battery */
#define UART_DATA(b) REG32((b) + 0x00u)
#define UART_STATE(b) REG32((b) + 0x04u)
#define UART_CTRL(b) REG32((b) + 0x08u)
#define UART_INT(b) REG32((b) + 0x0Cu)  /* read: status; write 1s: clear */
#define UART_BAUDDIV(b) REG32((b) + 0x10u)
#define UART_STATE_RXFULL (1u << 1)
#define UART_CTRL_TXEN (1u << 0)
#define UART_CTRL_RXEN (1u << 1)
#define UART_CTRL_TXIRQ (1u << 2)
#define UART_CTRL_RXIRQ (1u << 3)
#define UART_INT_TX (1u << 0)
#define UART_INT_RX (1u << 1)

/* CMSDK APB timer: counts VALUE down at the 25 MHz peripheral clock, interrupts at 0 */
#define TIMER0_BASE 0x40000000u  /* deadline */
#define TIMER1_BASE 0x40001000u  /* battery model */
#define TIMER_CTRL(b) REG32((b) + 0x00u)
#define TIMER_VALUE(b) REG32((b) + 0x04u)
#define TIMER_RELOAD(b) REG32((b) + 0x08u)
#define TIMER_INT(b) REG32((b) + 0x0Cu)
#define TIMER_CTRL_EN (1u << 0)
#define TIMER_CTRL_IRQEN (1u << 3)

/* external interrupt numbers (NVIC) */
#define IRQ_UART0_RX 0u
#define IRQ_UART0_TX 1u
#define IRQ_UART1_RX 2u
#define IRQ_TIMER0 8u
#define IRQ_TIMER1 9u

#define MPS2_CLOCK_HZ 25000000u

/* Leave QEMU at once with `code` (semihosting), without draining the UART: for faults. */
void mps2_panic(int code);

#endif /* PED_MPS2_H */
