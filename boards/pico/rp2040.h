/*
 * rp2040.h - the RP2040 registers boards/pico uses, written from the "RP2040 Datasheet"
 * (Raspberry Pi Ltd; chapter.section numbers below, register lists at the end of each section) in our own words. Only what
 * board.c, startup.c and boot2.c touch; no vendor SDK.
 */
#ifndef PED_RP2040_H
#define PED_RP2040_H

#include <stdint.h>

#define RP_REG(addr) (*(volatile uint32_t *)(addr))

/* §2.1.2 atomic register access: +0x1000 XOR, +0x2000 set bits, +0x3000 clear bits */
#define RP_SET(addr) RP_REG((addr) + 0x2000u)
#define RP_CLR(addr) RP_REG((addr) + 0x3000u)

/* §2.2 address map */
#define RP_XIP_BASE 0x10000000u
#define RP_SRAM_END 0x20042000u     /* 264 KB: SRAM0-3 striped, SRAM4, SRAM5 */
#define RP_XIP_SSI_BASE 0x18000000u
#define RP_CLOCKS_BASE 0x40008000u
#define RP_RESETS_BASE 0x4000c000u
#define RP_PSM_BASE 0x40010000u
#define RP_IO_BANK0_BASE 0x40014000u
#define RP_PADS_BANK0_BASE 0x4001c000u
#define RP_XOSC_BASE 0x40024000u
#define RP_PLL_SYS_BASE 0x40028000u
#define RP_PLL_USB_BASE 0x4002c000u
#define RP_UART0_BASE 0x40034000u
#define RP_ADC_BASE 0x4004c000u
#define RP_TIMER_BASE 0x40054000u
#define RP_WATCHDOG_BASE 0x40058000u

/* §2.3.2 interrupts: IRQ numbers on the NVIC of each core */
#define RP_IRQ_TIMER_0 0u
#define RP_IRQ_TIMER_1 1u
#define RP_IRQ_UART0 20u
#define RP_IRQ_ADC_FIFO 22u
#define RP_N_IRQ 26u

/* §2.14 RESETS: RESET (1 = held in reset), RESET_DONE; bit per peripheral */
#define RP_RESETS_RESET (RP_RESETS_BASE + 0x0u)
#define RP_RESETS_RESET_DONE (RP_RESETS_BASE + 0x8u)
#define RP_RESET_ADC (1u << 0)
#define RP_RESET_IO_BANK0 (1u << 5)
#define RP_RESET_PADS_BANK0 (1u << 8)
#define RP_RESET_PLL_SYS (1u << 12)
#define RP_RESET_PLL_USB (1u << 13)
#define RP_RESET_TIMER (1u << 21)
#define RP_RESET_UART0 (1u << 22)

/* §2.13 PSM: WDSEL, what a watchdog reset resets (bit 0 ROSC, bit 1 XOSC, ... bit 16 proc1) */
#define RP_PSM_WDSEL (RP_PSM_BASE + 0x8u)
#define RP_PSM_WDSEL_ALL_BUT_OSC 0x0001fffcu

/* §2.16 XOSC: CTRL (FREQ_RANGE 11:0, ENABLE 23:12 magic), STATUS (STABLE bit 31), STARTUP */
#define RP_XOSC_CTRL (RP_XOSC_BASE + 0x00u)
#define RP_XOSC_STATUS (RP_XOSC_BASE + 0x04u)
#define RP_XOSC_STARTUP (RP_XOSC_BASE + 0x0cu)
#define RP_XOSC_FREQ_1_15MHZ 0xaa0u
#define RP_XOSC_ENABLE (0xfabu << 12)
#define RP_XOSC_STABLE (1u << 31)
#define RP_XOSC_HZ 12000000u         /* the Pico's crystal (Pico datasheet §2.1) */

/* §2.18 PLL: CS (REFDIV 5:0, LOCK bit 31), PWR (PD 0, POSTDIVPD 3, VCOPD 5), FBDIV_INT,
 * PRIM (POSTDIV1 18:16, POSTDIV2 14:12). f_out = 12 MHz / REFDIV * FBDIV / (PD1 * PD2). */
#define RP_PLL_CS(b) ((b) + 0x0u)
#define RP_PLL_PWR(b) ((b) + 0x4u)
#define RP_PLL_FBDIV_INT(b) ((b) + 0x8u)
#define RP_PLL_PRIM(b) ((b) + 0xcu)
#define RP_PLL_CS_LOCK (1u << 31)
#define RP_PLL_PWR_PD (1u << 0)
#define RP_PLL_PWR_POSTDIVPD (1u << 3)
#define RP_PLL_PWR_VCOPD (1u << 5)

/* §2.15 CLOCKS: each clock has CTRL, DIV, SELECTED, 12 bytes apart */
#define RP_CLK_REF_CTRL (RP_CLOCKS_BASE + 0x30u)     /* SRC 1:0, 2 = xosc_clksrc */
#define RP_CLK_REF_DIV (RP_CLOCKS_BASE + 0x34u)
#define RP_CLK_REF_SELECTED (RP_CLOCKS_BASE + 0x38u)
#define RP_CLK_SYS_CTRL (RP_CLOCKS_BASE + 0x3cu)     /* SRC bit 0 (1 = aux), AUXSRC 7:5 */
#define RP_CLK_SYS_DIV (RP_CLOCKS_BASE + 0x40u)
#define RP_CLK_SYS_SELECTED (RP_CLOCKS_BASE + 0x44u)
#define RP_CLK_PERI_CTRL (RP_CLOCKS_BASE + 0x48u)    /* ENABLE bit 11, AUXSRC 7:5 */
#define RP_CLK_ADC_CTRL (RP_CLOCKS_BASE + 0x60u)     /* ENABLE bit 11, AUXSRC 7:5 */
#define RP_CLK_ADC_DIV (RP_CLOCKS_BASE + 0x64u)
#define RP_CLK_SYS_RESUS_CTRL (RP_CLOCKS_BASE + 0x78u)
#define RP_CLK_ENABLE (1u << 11)
#define RP_CLK_DIV_1 (1u << 8)                       /* DIV INT field starts at bit 8 */
#define RP_CLK_REF_SRC_XOSC 2u
#define RP_CLK_SYS_SRC_AUX 1u
#define RP_CLK_SYS_AUXSRC_PLL_SYS (0u << 5)
#define RP_CLK_PERI_AUXSRC_CLK_SYS (0u << 5)
#define RP_CLK_ADC_AUXSRC_PLL_USB (0u << 5)

/* §2.19 IO_BANK0: GPIOn_CTRL at 0x04 + 8n, FUNCSEL 4:0 (2 = UART); §2.19 PADS_BANK0:
 * GPIOn at 0x04 + 4n, IE bit 6 (input enable), OD bit 7 (output disable) */
#define RP_GPIO_CTRL(n) (RP_IO_BANK0_BASE + 0x04u + 8u * (n))
#define RP_PAD(n) (RP_PADS_BANK0_BASE + 0x04u + 4u * (n))
#define RP_GPIO_FUNC_UART 2u
#define RP_PAD_IE (1u << 6)
#define RP_PAD_OD (1u << 7)
#define RP_PAD_PUE (1u << 3)
#define RP_PAD_PDE (1u << 2)

/* §4.2 UART (ARM PL011) */
#define RP_UART_DR(b) ((b) + 0x000u)
#define RP_UART_FR(b) ((b) + 0x018u)      /* RXFE bit 4, TXFF bit 5, BUSY bit 3 */
#define RP_UART_IBRD(b) ((b) + 0x024u)
#define RP_UART_FBRD(b) ((b) + 0x028u)
#define RP_UART_LCR_H(b) ((b) + 0x02cu)   /* WLEN 6:5 (3 = 8 bits), FEN bit 4 */
#define RP_UART_CR(b) ((b) + 0x030u)      /* UARTEN bit 0, TXE bit 8, RXE bit 9 */
#define RP_UART_IFLS(b) ((b) + 0x034u)    /* TXIFLSEL 2:0, RXIFLSEL 5:3 (0 = 1/8 full) */
#define RP_UART_IMSC(b) ((b) + 0x038u)    /* RXIM bit 4, TXIM bit 5, RTIM bit 6 */
#define RP_UART_MIS(b) ((b) + 0x040u)
#define RP_UART_ICR(b) ((b) + 0x044u)
#define RP_UART_FR_BUSY (1u << 3)
#define RP_UART_FR_RXFE (1u << 4)
#define RP_UART_FR_TXFF (1u << 5)
#define RP_UART_LCR_H_8N1_FIFO ((3u << 5) | (1u << 4))
#define RP_UART_CR_ON ((1u << 0) | (1u << 8) | (1u << 9))
#define RP_UART_RXIM (1u << 4)
#define RP_UART_TXIM (1u << 5)
#define RP_UART_RTIM (1u << 6)

/* §4.6 TIMER: 64-bit µs counter (TIMERAWH/L: no latching), four alarms on the low word */
#define RP_TIMER_ALARM(n) (RP_TIMER_BASE + 0x10u + 4u * (n))
#define RP_TIMER_ARMED (RP_TIMER_BASE + 0x20u)   /* write 1 to disarm */
#define RP_TIMER_TIMERAWH (RP_TIMER_BASE + 0x24u)
#define RP_TIMER_TIMERAWL (RP_TIMER_BASE + 0x28u)
#define RP_TIMER_INTR (RP_TIMER_BASE + 0x34u)    /* raw, write 1 to clear */
#define RP_TIMER_INTE (RP_TIMER_BASE + 0x38u)

/* §4.7 WATCHDOG: CTRL (TRIGGER bit 31), SCRATCH0-7 (survive a watchdog reset; the bootrom
 * reads SCRATCH4-7), TICK (CYCLES 8:0 = clk_ref MHz, ENABLE bit 9: the 1 µs tick of TIMER) */
#define RP_WATCHDOG_CTRL (RP_WATCHDOG_BASE + 0x00u)
#define RP_WATCHDOG_SCRATCH(n) (RP_WATCHDOG_BASE + 0x0cu + 4u * (n))
#define RP_WATCHDOG_TICK (RP_WATCHDOG_BASE + 0x2cu)
#define RP_WATCHDOG_TRIGGER (1u << 31)
#define RP_WATCHDOG_TICK_ENABLE (1u << 9)

/* §4.9 ADC: CS (EN 0, START_ONCE 2, READY 8, AINSEL 14:12), FCS (EN 0, THRESH 27:24),
 * FIFO, INTE (FIFO bit 0: level >= THRESH). Channels 0-3 = GPIO 26-29. */
#define RP_ADC_CS (RP_ADC_BASE + 0x00u)
#define RP_ADC_FCS (RP_ADC_BASE + 0x08u)
#define RP_ADC_FIFO (RP_ADC_BASE + 0x0cu)
#define RP_ADC_INTE (RP_ADC_BASE + 0x18u)
#define RP_ADC_CS_EN (1u << 0)
#define RP_ADC_CS_START_ONCE (1u << 2)
#define RP_ADC_CS_READY (1u << 8)
#define RP_ADC_CS_AINSEL(ch) ((uint32_t)(ch) << 12)
#define RP_ADC_FCS_EN (1u << 0)
#define RP_ADC_FCS_THRESH(n) ((uint32_t)(n) << 24)
#define RP_ADC_FCS_UNDER (1u << 10)  /* sticky, write 1 to clear */
#define RP_ADC_FCS_OVER (1u << 11)
#define RP_ADC_FIFO_LEVEL(fcs) (((fcs) >> 16) & 0xfu)

/* §4.10 XIP SSI (Synopsys DW_apb_ssi) */
#define RP_SSI_CTRLR0 (RP_XIP_SSI_BASE + 0x00u)  /* DFS_32 20:16, TMOD 9:8, SPI_FRF 22:21 */
#define RP_SSI_CTRLR1 (RP_XIP_SSI_BASE + 0x04u)  /* NDF: data frames per transfer - 1 */
#define RP_SSI_SSIENR (RP_XIP_SSI_BASE + 0x08u)
#define RP_SSI_BAUDR (RP_XIP_SSI_BASE + 0x14u)
#define RP_SSI_SPI_CTRLR0 (RP_XIP_SSI_BASE + 0xf4u) /* XIP_CMD 31:24, INST_L 9:8, ADDR_L 5:2 */

/* ARMv6-M (Cortex-M0+, §2.4 of the datasheet, and the ARMv6-M ARM B3) */
#define RP_SCB_VTOR 0xe000ed08u

#endif /* PED_RP2040_H */
