/*
 * stm32l476.h - the STM32L476 registers boards/nucleo-l476rg uses, in our own words from the
 * reference manual RM0351 (STM32L47x/48x/49x/4Ax, ST): §6.4 RCC, §3.7 FLASH (ACR), §8.5 GPIO,
 * §40.8 USART, §31.4 TIM2, §5.4 PWR (PVD), §14.5 EXTI, §13.3 (vector table, Table 58). Every
 * number carries the CMSIS-SVD path that states it; tests/firmware/test_svd.py checks each
 * one against STM32L4x5.svd (same register map as the L476: RM0351 covers both).
 */
#ifndef PED_STM32L476_H
#define PED_STM32L476_H

#include <stdint.h>

#define STM_REG(base, off) (*(volatile uint32_t *)((base) + (off)))

#define STM_TIM2_BASE 0x40000000u           /* SVD: TIM2 */
#define STM_USART2_BASE 0x40004400u         /* SVD: USART2 */
#define STM_PWR_BASE 0x40007000u            /* SVD: PWR */
#define STM_EXTI_BASE 0x40010400u           /* SVD: EXTI */
#define STM_RCC_BASE 0x40021000u            /* SVD: RCC */
#define STM_FLASH_BASE 0x40022000u          /* SVD: FLASH */
#define STM_GPIOA_BASE 0x48000000u          /* SVD: GPIOA */

#define STM_IRQ_PVD 1u                      /* SVD: irq PVD */
#define STM_IRQ_TIM2 28u                    /* SVD: irq TIM2 */
#define STM_IRQ_USART2 38u                  /* SVD: irq USART2 */

/* RCC: MSI (4 MHz after reset) -> PLL (x N / M, / R) -> SYSCLK */
#define STM_RCC_CR 0x00u                    /* SVD: RCC.CR */
#define STM_RCC_CR_PLLON_POS 24u            /* SVD: RCC.CR.PLLON */
#define STM_RCC_CR_PLLRDY_POS 25u           /* SVD: RCC.CR.PLLRDY */
#define STM_RCC_CFGR 0x08u                  /* SVD: RCC.CFGR */
#define STM_RCC_CFGR_SW_POS 0u              /* SVD: RCC.CFGR.SW */
#define STM_RCC_CFGR_SWS_POS 2u             /* SVD: RCC.CFGR.SWS */
#define STM_RCC_CFGR_SW_PLL 3u              /* not in SVD: RM0351 §6.4.3, SW = 11: PLL */
#define STM_RCC_PLLCFGR 0x0Cu               /* SVD: RCC.PLLCFGR */
#define STM_RCC_PLLCFGR_PLLSRC_POS 0u       /* SVD: RCC.PLLCFGR.PLLSRC */
#define STM_RCC_PLLCFGR_PLLSRC_MSI 1u       /* not in SVD: RM0351 §6.4.4, PLLSRC = 01: MSI */
#define STM_RCC_PLLCFGR_PLLM_POS 4u         /* SVD: RCC.PLLCFGR.PLLM */
#define STM_RCC_PLLCFGR_PLLN_POS 8u         /* SVD: RCC.PLLCFGR.PLLN */
#define STM_RCC_PLLCFGR_PLLREN_POS 24u      /* SVD: RCC.PLLCFGR.PLLREN */
#define STM_RCC_PLLCFGR_PLLR_POS 25u        /* SVD: RCC.PLLCFGR.PLLR */
#define STM_RCC_AHB2ENR 0x4Cu               /* SVD: RCC.AHB2ENR */
#define STM_RCC_AHB2ENR_GPIOAEN_POS 0u      /* SVD: RCC.AHB2ENR.GPIOAEN */
#define STM_RCC_APB1ENR1 0x58u              /* SVD: RCC.APB1ENR1 */
#define STM_RCC_APB1ENR1_TIM2EN_POS 0u      /* SVD: RCC.APB1ENR1.TIM2EN */
#define STM_RCC_APB1ENR1_USART2EN_POS 17u   /* SVD: RCC.APB1ENR1.USART2EN */
#define STM_RCC_APB1ENR1_PWREN_POS 28u      /* SVD: RCC.APB1ENR1.PWREN */

/* FLASH: 4 wait states at 80 MHz in range 1 (RM0351 §3.3.3, Table 12) */
#define STM_FLASH_ACR 0x00u                 /* SVD: FLASH.ACR */
#define STM_FLASH_ACR_LATENCY_POS 0u        /* SVD: FLASH.ACR.LATENCY */
#define STM_FLASH_ACR_PRFTEN_POS 8u         /* SVD: FLASH.ACR.PRFTEN */
#define STM_FLASH_ACR_ICEN_POS 9u           /* SVD: FLASH.ACR.ICEN */
#define STM_FLASH_ACR_DCEN_POS 10u          /* SVD: FLASH.ACR.DCEN */

/* GPIO: MODER 2 bits per pin (10 = alternate function), AFRL 4 bits per pin 0..7 */
#define STM_GPIO_MODER 0x00u                /* SVD: GPIOA.MODER */
#define STM_GPIO_MODER2_POS 4u              /* SVD: GPIOA.MODER.MODER2 */
#define STM_GPIO_MODER3_POS 6u              /* SVD: GPIOA.MODER.MODER3 */
#define STM_GPIO_AFRL 0x20u                 /* SVD: GPIOA.AFRL */
#define STM_GPIO_AFRL2_POS 8u               /* SVD: GPIOA.AFRL.AFRL2 */
#define STM_GPIO_AFRL3_POS 12u              /* SVD: GPIOA.AFRL.AFRL3 */
#define STM_GPIO_AF7_USART2 7u              /* not in SVD: datasheet DS10198 Table 17, PA2/PA3 AF7 */

/* USART2 on PA2 (TX) / PA3 (RX): the ST-LINK virtual COM port of the Nucleo */
#define STM_USART_CR1 0x00u                 /* SVD: USART2.CR1 */
#define STM_USART_CR1_UE_POS 0u             /* SVD: USART2.CR1.UE */
#define STM_USART_CR1_RE_POS 2u             /* SVD: USART2.CR1.RE */
#define STM_USART_CR1_TE_POS 3u             /* SVD: USART2.CR1.TE */
#define STM_USART_CR1_RXNEIE_POS 5u         /* SVD: USART2.CR1.RXNEIE */
#define STM_USART_CR1_TXEIE_POS 7u          /* SVD: USART2.CR1.TXEIE */
#define STM_USART_BRR 0x0Cu                 /* SVD: USART2.BRR */
#define STM_USART_ISR 0x1Cu                 /* SVD: USART2.ISR */
#define STM_USART_ISR_ORE_POS 3u            /* SVD: USART2.ISR.ORE */
#define STM_USART_ISR_RXNE_POS 5u           /* SVD: USART2.ISR.RXNE */
#define STM_USART_ISR_TXE_POS 7u            /* SVD: USART2.ISR.TXE */
#define STM_USART_ICR 0x20u                 /* SVD: USART2.ICR */
#define STM_USART_ICR_ORECF_POS 3u          /* SVD: USART2.ICR.ORECF */
#define STM_USART_RDR 0x24u                 /* SVD: USART2.RDR */
#define STM_USART_TDR 0x28u                 /* SVD: USART2.TDR */

/* TIM2 (32-bit): one-pulse at 1 MHz for the deadline */
#define STM_TIM_CR1 0x00u                   /* SVD: TIM2.CR1 */
#define STM_TIM_CR1_CEN_POS 0u              /* SVD: TIM2.CR1.CEN */
#define STM_TIM_CR1_URS_POS 2u              /* SVD: TIM2.CR1.URS */
#define STM_TIM_CR1_OPM_POS 3u              /* SVD: TIM2.CR1.OPM */
#define STM_TIM_DIER 0x0Cu                  /* SVD: TIM2.DIER */
#define STM_TIM_DIER_UIE_POS 0u             /* SVD: TIM2.DIER.UIE */
#define STM_TIM_SR 0x10u                    /* SVD: TIM2.SR */
#define STM_TIM_SR_UIF_POS 0u               /* SVD: TIM2.SR.UIF */
#define STM_TIM_EGR 0x14u                   /* SVD: TIM2.EGR */
#define STM_TIM_EGR_UG_POS 0u               /* SVD: TIM2.EGR.UG */
#define STM_TIM_CNT 0x24u                   /* SVD: TIM2.CNT */
#define STM_TIM_PSC 0x28u                   /* SVD: TIM2.PSC */
#define STM_TIM_ARR 0x2Cu                   /* SVD: TIM2.ARR */

/* PWR: the programmable voltage detector; PVDO = 1 while VDD is below the PLS level */
#define STM_PWR_CR2 0x04u                   /* SVD: PWR.CR2 */
#define STM_PWR_CR2_PVDE_POS 0u             /* SVD: PWR.CR2.PVDE */
#define STM_PWR_CR2_PLS_POS 1u              /* SVD: PWR.CR2.PLS */
#define STM_PWR_CR2_PLS_2V9 6u              /* not in SVD: RM0351 §5.4.2, PLS = 110: VPVD6 ~2.9 V */
#define STM_PWR_SR2 0x14u                   /* SVD: PWR.SR2 */
#define STM_PWR_SR2_PVDO_POS 11u            /* SVD: PWR.SR2.PVDO */

/* EXTI line 16 = the PVD output (RM0351 §14.3.5, Table 60) */
#define STM_EXTI_IMR1 0x00u                 /* SVD: EXTI.IMR1 */
#define STM_EXTI_RTSR1 0x08u                /* SVD: EXTI.RTSR1 */
#define STM_EXTI_FTSR1 0x0Cu                /* SVD: EXTI.FTSR1 */
#define STM_EXTI_PR1 0x14u                  /* SVD: EXTI.PR1 */
#define STM_EXTI_LINE_PVD 16u               /* SVD: EXTI.IMR1.MR16 */

#endif /* PED_STM32L476_H */
