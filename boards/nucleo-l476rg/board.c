/*
 * boards/nucleo-l476rg/board.c - board.h for the ST Nucleo-L476RG (STM32L476RG, Cortex-M4F),
 * bare metal: registers from stm32l476.h (RM0351, checked against STM32L4x5.svd by
 * tests/firmware/test_svd.py), startup.c the vector table, link.ld the memory map. Built
 * offline with arm-none-eabi-gcc (`ped build -t nucleo-l476rg`); not run on silicon here.
 *
 * Clock: MSI 4 MHz -> PLL (x40 /1 /2) -> 80 MHz, flash at 4 wait states. Serial: USART2 on
 * PA2/PA3 (the ST-LINK virtual COM port), 115200 8N1, RX and TX interrupts with ring buffers.
 * Cycles: DWT CYCCNT at 80 MHz (real CPU cycles), extended to 64 bits with SysTick as the wrap
 * watchdog. Deadline: TIM2 (32-bit) one-pulse at 1 MHz. Battery: the PVD at 2.9 V through
 * EXTI line 16 (PVDO rises when VDD falls below it); the level is 1000 above, 0 below.
 */
#include "cortexm.h"
#include "board_serial.h"
#include "ped/board.h"
#include "stm32l476.h"

#ifndef PED_CPU_HZ
#define PED_CPU_HZ 80000000u
#endif
#ifndef PED_BOARD_NAME
#define PED_BOARD_NAME "nucleo-l476rg"
#endif
#define BAUD 115200u
#define R(base, off) STM_REG(base, off)
#define BIT(pos) (1u << (pos))
#define USART2 STM_USART2_BASE
#define TIM2 STM_TIM2_BASE

_Static_assert(PED_CPU_HZ == 80000000u, "clock_80mhz() programs the PLL for 80 MHz");

void SysTick_Handler(void);
void USART2_IRQHandler(void);
void TIM2_IRQHandler(void);
void PVD_PVM_IRQHandler(void);

static struct {
    volatile cm_dwt_t cycles;
    volatile uint32_t events;
    uint32_t seen;
    board_irq_fn deadline_fn, battery_fn;
    void *deadline_ctx, *battery_ctx;
} g;

const char *board_name(void) { return PED_BOARD_NAME; }
uint32_t board_cycles_hz(void) { return PED_CPU_HZ; }
uint32_t board_cpu_hz(void) { return PED_CPU_HZ; }
uint64_t board_cycles(void) { return cm_dwt_cycles(&g.cycles); }

/* from the core-clock cycle counter */
uint64_t board_micros(void) { return board_cycles() / (PED_CPU_HZ / 1000000u); }

void SysTick_Handler(void)
{
    (void)cm_dwt_cycles(&g.cycles);  /* at least one observation per 2^32-cycle wrap */
    g.events++;
}

static void clock_80mhz(void)
{
    R(STM_FLASH_BASE, STM_FLASH_ACR) = (4u << STM_FLASH_ACR_LATENCY_POS) |
                                       BIT(STM_FLASH_ACR_PRFTEN_POS) |
                                       BIT(STM_FLASH_ACR_ICEN_POS) | BIT(STM_FLASH_ACR_DCEN_POS);
    /* VCO = 4 MHz x 40 / M=1 = 160 MHz; SYSCLK = VCO / R=2 = 80 MHz (PLLM, PLLR fields 0) */
    R(STM_RCC_BASE, STM_RCC_PLLCFGR) = (STM_RCC_PLLCFGR_PLLSRC_MSI << STM_RCC_PLLCFGR_PLLSRC_POS) |
                                       (40u << STM_RCC_PLLCFGR_PLLN_POS) |
                                       BIT(STM_RCC_PLLCFGR_PLLREN_POS);
    R(STM_RCC_BASE, STM_RCC_CR) |= BIT(STM_RCC_CR_PLLON_POS);
    while (!(R(STM_RCC_BASE, STM_RCC_CR) & BIT(STM_RCC_CR_PLLRDY_POS))) {
        /* boot only: the PLL locks in about 0.1 ms, no interrupt is set up yet */
    }
    R(STM_RCC_BASE, STM_RCC_CFGR) = (R(STM_RCC_BASE, STM_RCC_CFGR) & ~(3u << STM_RCC_CFGR_SW_POS)) |
                                    (STM_RCC_CFGR_SW_PLL << STM_RCC_CFGR_SW_POS);
    while (((R(STM_RCC_BASE, STM_RCC_CFGR) >> STM_RCC_CFGR_SWS_POS) & 3u) != STM_RCC_CFGR_SW_PLL) {
    }
}

ped_status_t board_init(void)
{
    clock_80mhz();
    board_serial_init();
    cm_dwt_start(&g.cycles);
    cm_systick_start();
    R(STM_RCC_BASE, STM_RCC_AHB2ENR) |= BIT(STM_RCC_AHB2ENR_GPIOAEN_POS);
    R(STM_RCC_BASE, STM_RCC_APB1ENR1) |= BIT(STM_RCC_APB1ENR1_USART2EN_POS) |
                                         BIT(STM_RCC_APB1ENR1_TIM2EN_POS) |
                                         BIT(STM_RCC_APB1ENR1_PWREN_POS);
    const uint32_t moder = R(STM_GPIOA_BASE, STM_GPIO_MODER) &
                           ~((3u << STM_GPIO_MODER2_POS) | (3u << STM_GPIO_MODER3_POS));
    R(STM_GPIOA_BASE, STM_GPIO_MODER) = moder | (2u << STM_GPIO_MODER2_POS) |
                                        (2u << STM_GPIO_MODER3_POS);  /* alternate function */
    const uint32_t afrl = R(STM_GPIOA_BASE, STM_GPIO_AFRL) &
                          ~((0xFu << STM_GPIO_AFRL2_POS) | (0xFu << STM_GPIO_AFRL3_POS));
    R(STM_GPIOA_BASE, STM_GPIO_AFRL) = afrl | (STM_GPIO_AF7_USART2 << STM_GPIO_AFRL2_POS) |
                                       (STM_GPIO_AF7_USART2 << STM_GPIO_AFRL3_POS);
    R(USART2, STM_USART_BRR) = (PED_CPU_HZ + BAUD / 2u) / BAUD;  /* oversampling by 16 */
    R(USART2, STM_USART_CR1) = BIT(STM_USART_CR1_UE_POS) | BIT(STM_USART_CR1_TE_POS) |
                               BIT(STM_USART_CR1_RE_POS) | BIT(STM_USART_CR1_RXNEIE_POS);
    cm_nvic_enable(STM_IRQ_USART2);  /* IRQ 38: the second NVIC word */

    R(TIM2, STM_TIM_PSC) = PED_CPU_HZ / 1000000u - 1u;  /* 1 MHz */
    R(TIM2, STM_TIM_CR1) = BIT(STM_TIM_CR1_OPM_POS) | BIT(STM_TIM_CR1_URS_POS);
    cm_nvic_enable(STM_IRQ_TIM2);

    R(STM_PWR_BASE, STM_PWR_CR2) = (R(STM_PWR_BASE, STM_PWR_CR2) & ~(7u << STM_PWR_CR2_PLS_POS)) |
                                   (STM_PWR_CR2_PLS_2V9 << STM_PWR_CR2_PLS_POS) |
                                   BIT(STM_PWR_CR2_PVDE_POS);
    R(STM_EXTI_BASE, STM_EXTI_IMR1) |= BIT(STM_EXTI_LINE_PVD);
    R(STM_EXTI_BASE, STM_EXTI_RTSR1) |= BIT(STM_EXTI_LINE_PVD);  /* PVDO rises: VDD falls */
    cm_nvic_enable(STM_IRQ_PVD);
    return PED_OK;
}

/* ---- serial ---- */

void USART2_IRQHandler(void)
{
    g.events++;
    if (R(USART2, STM_USART_ISR) & BIT(STM_USART_ISR_RXNE_POS)) {
        board_serial_rx_byte((uint8_t)R(USART2, STM_USART_RDR));
    }
    if (R(USART2, STM_USART_ISR) & BIT(STM_USART_ISR_ORE_POS)) {
        R(USART2, STM_USART_ICR) = BIT(STM_USART_ICR_ORECF_POS);
    }
    if ((R(USART2, STM_USART_CR1) & BIT(STM_USART_CR1_TXEIE_POS)) &&
        (R(USART2, STM_USART_ISR) & BIT(STM_USART_ISR_TXE_POS))) {
        uint8_t byte;
        if (board_serial_tx_byte(&byte) == 0) {
            R(USART2, STM_USART_TDR) = byte;
        } else {
            R(USART2, STM_USART_CR1) &= ~BIT(STM_USART_CR1_TXEIE_POS);
        }
    }
}

void board_serial_kick(void)  /* the TXE interrupt drains the ring */
{
    uint32_t key = cm_irq_save();
    R(USART2, STM_USART_CR1) |= BIT(STM_USART_CR1_TXEIE_POS);
    cm_irq_restore(key);
}

/* ---- deadline ---- */

ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    if (us == 0 || !fn) {
        return PED_ERR_ARG;
    }
    uint32_t key = cm_irq_save();
    R(TIM2, STM_TIM_CR1) &= ~BIT(STM_TIM_CR1_CEN_POS);
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    R(TIM2, STM_TIM_ARR) = us;
    R(TIM2, STM_TIM_CNT) = 0;
    R(TIM2, STM_TIM_EGR) = BIT(STM_TIM_EGR_UG_POS);  /* load PSC/ARR (URS: no UIF) */
    R(TIM2, STM_TIM_SR) = 0;
    R(TIM2, STM_TIM_DIER) = BIT(STM_TIM_DIER_UIE_POS);
    R(TIM2, STM_TIM_CR1) |= BIT(STM_TIM_CR1_CEN_POS);
    cm_irq_restore(key);
    return PED_OK;
}

void board_deadline_cancel(void)
{
    uint32_t key = cm_irq_save();
    R(TIM2, STM_TIM_CR1) &= ~BIT(STM_TIM_CR1_CEN_POS);
    R(TIM2, STM_TIM_DIER) = 0;
    R(TIM2, STM_TIM_SR) = 0;
    cm_nvic_clear_pending(STM_IRQ_TIM2);
    g.deadline_fn = 0;
    cm_irq_restore(key);
}

void TIM2_IRQHandler(void)
{
    g.events++;
    R(TIM2, STM_TIM_SR) = 0;
    R(TIM2, STM_TIM_DIER) = 0;
    board_irq_fn fn = g.deadline_fn;
    g.deadline_fn = 0;
    if (fn) {
        fn(g.deadline_ctx);
    }
}

/* ---- battery: PVD ---- */

bool board_battery_low(void) { return (R(STM_PWR_BASE, STM_PWR_SR2) & BIT(STM_PWR_SR2_PVDO_POS)) != 0; }
uint16_t board_battery_permille(void) { return board_battery_low() ? 0 : 1000; }
uint16_t board_battery_threshold(void) { return 1; }  /* the PVD level: low or not */

ped_status_t board_battery_simulate(uint16_t permille, uint32_t drain)
{
    (void)permille;
    (void)drain;
    return PED_ERR_NOT_SUPPORTED;
}

void board_battery_on_low(board_irq_fn fn, void *ctx)
{
    uint32_t key = cm_irq_save();
    g.battery_fn = fn;
    g.battery_ctx = ctx;
    cm_irq_restore(key);
}

void PVD_PVM_IRQHandler(void)
{
    g.events++;
    R(STM_EXTI_BASE, STM_EXTI_PR1) = BIT(STM_EXTI_LINE_PVD);  /* write 1 to clear */
    if (board_battery_low() && g.battery_fn) {
        g.battery_fn(g.battery_ctx);
    }
}

/* ---- power ---- */

void board_sleep(void) { cm_sleep(&g.events, &g.seen); }
void board_reset(void) { cm_reset(); }
void board_exit(int code)
{
    (void)code;
    while (board_serial_tx_pending()) {
        board_sleep();
    }
    cm_reset();
}

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
