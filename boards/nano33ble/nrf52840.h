/*
 * nrf52840.h - the nRF52840 registers boards/nano33ble uses, in our own words from the
 * "nRF52840 Product Specification" v1.7 (Nordic Semiconductor): §5.3 POWER (POFCON, POFWARN),
 * §5.4 CLOCK, §6.33 UART, §6.30 TIMER, §4.2.4 (instantiation table: base addresses and
 * IRQ numbers). Every number carries the CMSIS-SVD path that states it; tests/firmware/
 * test_svd.py checks each one against nrf52840.svd (and the UART0/TIMER1 maps against
 * nrf51.svd for the QEMU microbit stand-in build).
 */
#ifndef PED_NRF52840_H
#define PED_NRF52840_H

#include <stdint.h>

#define NRF_REG(base, off) (*(volatile uint32_t *)((base) + (off)))

/* POWER and CLOCK share one block */
#define NRF_POWER_BASE 0x40000000u               /* SVD: POWER */
#define NRF_CLOCK_BASE 0x40000000u               /* SVD: CLOCK */
#define NRF_UART0_BASE 0x40002000u               /* SVD: UART0 */
#define NRF_TIMER1_BASE 0x40009000u              /* SVD: TIMER1 */

#define NRF_IRQ_POWER_CLOCK 0u                   /* SVD: irq POWER_CLOCK */
#define NRF_IRQ_UART0 2u                         /* SVD: irq UARTE0_UART0 */
#define NRF_IRQ_TIMER1 9u                        /* SVD: irq TIMER1 */

/* POWER: the power-fail comparator raises EVENTS_POFWARN when VDD falls below POFCON's
 * threshold. There is no status register to read the comparator's level. */
#define NRF_POWER_EVENTS_POFWARN 0x108u          /* SVD: POWER.EVENTS_POFWARN */
#define NRF_POWER_INTENSET 0x304u                /* SVD: POWER.INTENSET */
#define NRF_POWER_INTENSET_POFWARN_POS 2u        /* SVD: POWER.INTENSET.POFWARN */
#define NRF_POWER_POFCON 0x510u                  /* SVD: POWER.POFCON */
#define NRF_POWER_POFCON_POF_POS 0u              /* SVD: POWER.POFCON.POF */
#define NRF_POWER_POFCON_THRESHOLD_POS 1u        /* SVD: POWER.POFCON.THRESHOLD */
#define NRF_POWER_POFCON_THRESHOLD_V28 15u       /* SVD: POWER.POFCON.THRESHOLD=V28 */

/* CLOCK: start the 64 MHz crystal (HFXO) for an accurate UART baud rate */
#define NRF_CLOCK_TASKS_HFCLKSTART 0x000u        /* SVD: CLOCK.TASKS_HFCLKSTART */
#define NRF_CLOCK_EVENTS_HFCLKSTARTED 0x100u     /* SVD: CLOCK.EVENTS_HFCLKSTARTED */

/* UART (legacy, one byte at a time with RXDRDY/TXDRDY events) */
#define NRF_UART_TASKS_STARTRX 0x000u            /* SVD: UART0.TASKS_STARTRX */
#define NRF_UART_TASKS_STARTTX 0x008u            /* SVD: UART0.TASKS_STARTTX */
#define NRF_UART_EVENTS_RXDRDY 0x108u            /* SVD: UART0.EVENTS_RXDRDY */
#define NRF_UART_EVENTS_TXDRDY 0x11Cu            /* SVD: UART0.EVENTS_TXDRDY */
#define NRF_UART_EVENTS_ERROR 0x124u             /* SVD: UART0.EVENTS_ERROR */
#define NRF_UART_INTENSET 0x304u                 /* SVD: UART0.INTENSET */
#define NRF_UART_INTENSET_RXDRDY_POS 2u          /* SVD: UART0.INTENSET.RXDRDY */
#define NRF_UART_INTENSET_TXDRDY_POS 7u          /* SVD: UART0.INTENSET.TXDRDY */
#define NRF_UART_ERRORSRC 0x480u                 /* SVD: UART0.ERRORSRC */
#define NRF_UART_ENABLE 0x500u                   /* SVD: UART0.ENABLE */
#define NRF_UART_ENABLE_ENABLED 4u               /* SVD: UART0.ENABLE.ENABLE=Enabled */
#define NRF_UART_PSEL_TXD 0x50Cu                 /* SVD: UART0.PSEL.TXD */
#define NRF_UART_PSEL_RXD 0x514u                 /* SVD: UART0.PSEL.RXD */
#define NRF_UART_PSEL_PORT_POS 5u                /* SVD: UART0.PSEL.TXD.PORT */
#define NRF_UART_RXD 0x518u                      /* SVD: UART0.RXD */
#define NRF_UART_TXD 0x51Cu                      /* SVD: UART0.TXD */
#define NRF_UART_BAUDRATE 0x524u                 /* SVD: UART0.BAUDRATE */
#define NRF_UART_BAUD_115200 0x01D7E000u         /* SVD: UART0.BAUDRATE.BAUDRATE=Baud115200 */

/* TIMER: 16 MHz / 2^PRESCALER, compare CC[0] */
#define NRF_TIMER_TASKS_START 0x000u             /* SVD: TIMER1.TASKS_START */
#define NRF_TIMER_TASKS_STOP 0x004u              /* SVD: TIMER1.TASKS_STOP */
#define NRF_TIMER_TASKS_CLEAR 0x00Cu             /* SVD: TIMER1.TASKS_CLEAR */
#define NRF_TIMER_EVENTS_COMPARE0 0x140u         /* SVD: TIMER1.EVENTS_COMPARE[0] */
#define NRF_TIMER_SHORTS 0x200u                  /* SVD: TIMER1.SHORTS */
#define NRF_TIMER_SHORTS_COMPARE0_CLEAR_POS 0u   /* SVD: TIMER1.SHORTS.COMPARE0_CLEAR */
#define NRF_TIMER_SHORTS_COMPARE0_STOP_POS 8u    /* SVD: TIMER1.SHORTS.COMPARE0_STOP */
#define NRF_TIMER_INTENSET 0x304u                /* SVD: TIMER1.INTENSET */
#define NRF_TIMER_INTENSET_COMPARE0_POS 16u      /* SVD: TIMER1.INTENSET.COMPARE0 */
#define NRF_TIMER_INTENCLR 0x308u                /* SVD: TIMER1.INTENCLR */
#define NRF_TIMER_MODE 0x504u                    /* SVD: TIMER1.MODE */
#define NRF_TIMER_MODE_TIMER 0u                  /* SVD: TIMER1.MODE.MODE=Timer */
#define NRF_TIMER_BITMODE 0x508u                 /* SVD: TIMER1.BITMODE */
#define NRF_TIMER_BITMODE_32 3u                  /* SVD: TIMER1.BITMODE.BITMODE=32Bit */
#define NRF_TIMER_PRESCALER 0x510u               /* SVD: TIMER1.PRESCALER */
#define NRF_TIMER_CC0 0x540u                     /* SVD: TIMER1.CC[0] */
#define NRF_TIMER_PRESCALER_1MHZ 4u              /* not in SVD: 16 MHz / 2^4 (PS §6.30) */

#endif /* PED_NRF52840_H */
