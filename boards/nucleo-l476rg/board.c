/*
 * boards/nucleo-l476rg/board.c - board.h for the ST Nucleo-L476RG (STM32L476RG), on
 * PlatformIO's stock `ststm32` platform with `framework = cmsis` (startup, linker script and
 * device header come from there). NOT BUILT OR RUN HERE: this machine has no internet to
 * download the platform; treat it as a reviewed starting point, not tested code.
 *
 * Clock: MSI 4 MHz -> PLL -> 80 MHz. Serial: USART2 on PA2/PA3 (the ST-LINK virtual COM port),
 * 115200 8N1, RX and TX interrupts with ring buffers. Cycles: SysTick at 80 MHz (real CPU
 * cycles). Deadline: TIM2 (32-bit) one-pulse at 1 MHz. Battery: the PVD at 2.9 V through
 * EXTI line 16; the level is 1000 above the threshold and 0 below (no fuel gauge).
 */
#include "cortexm.h"
#include "ped/board.h"
#include "ped/ring.h"
#include "stm32l4xx.h"

#define CPU_HZ 80000000u
#define BAUD 115200u

static struct {
    volatile uint32_t systick_wraps;
    volatile uint32_t events;
    uint32_t seen;
    ped_ring_t rx, tx;
    uint8_t rx_buf[256], tx_buf[256];
    board_irq_fn deadline_fn, battery_fn;
    void *deadline_ctx, *battery_ctx;
} g;

const char *board_name(void) { return "nucleo-l476rg"; }
uint32_t board_cycles_hz(void) { return CPU_HZ; }
uint32_t board_cpu_hz(void) { return CPU_HZ; }
uint64_t board_cycles(void) { return cm_systick_cycles(&g.systick_wraps); }

/* from the core-clock cycle counter */
uint64_t board_micros(void) { return board_cycles() / (CPU_HZ / 1000000u); }

void SysTick_Handler(void)
{
    g.systick_wraps++;
    g.events++;
}

static void clock_80mhz(void)
{
    FLASH->ACR = (FLASH->ACR & ~FLASH_ACR_LATENCY) | FLASH_ACR_LATENCY_4WS | FLASH_ACR_ICEN |
                 FLASH_ACR_DCEN | FLASH_ACR_PRFTEN;
    RCC->PLLCFGR = RCC_PLLCFGR_PLLSRC_MSI | (40u << RCC_PLLCFGR_PLLN_Pos) | RCC_PLLCFGR_PLLREN;
    RCC->CR |= RCC_CR_PLLON;
    while (!(RCC->CR & RCC_CR_PLLRDY)) {
        /* boot only: the PLL locks in about 0.1 ms, no interrupt is set up yet */
    }
    RCC->CFGR = (RCC->CFGR & ~RCC_CFGR_SW) | RCC_CFGR_SW_PLL;
    while ((RCC->CFGR & RCC_CFGR_SWS) != RCC_CFGR_SWS_PLL) {
    }
}

ped_status_t board_init(void)
{
    clock_80mhz();
    ped_ring_init(&g.rx, g.rx_buf, sizeof g.rx_buf);
    ped_ring_init(&g.tx, g.tx_buf, sizeof g.tx_buf);
    cm_systick_start();

    RCC->AHB2ENR |= RCC_AHB2ENR_GPIOAEN;
    RCC->APB1ENR1 |= RCC_APB1ENR1_USART2EN | RCC_APB1ENR1_TIM2EN | RCC_APB1ENR1_PWREN;
    GPIOA->MODER = (GPIOA->MODER & ~(0xFu << 4)) | (0xAu << 4);  /* PA2, PA3: alternate */
    GPIOA->AFR[0] = (GPIOA->AFR[0] & ~(0xFFu << 8)) | (0x77u << 8);  /* AF7 = USART2 */
    USART2->BRR = CPU_HZ / BAUD;
    USART2->CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;
    NVIC_EnableIRQ(USART2_IRQn);

    TIM2->PSC = CPU_HZ / 1000000u - 1u;  /* 1 MHz */
    TIM2->CR1 = TIM_CR1_OPM;
    NVIC_EnableIRQ(TIM2_IRQn);

    PWR->CR2 = (PWR->CR2 & ~PWR_CR2_PLS) | PWR_CR2_PLS_LEV6 | PWR_CR2_PVDE;  /* 2.9 V */
    EXTI->IMR1 |= EXTI_IMR1_IM16;
    EXTI->RTSR1 |= EXTI_RTSR1_RT16;  /* PVDO rises when VDD falls below the level */
    NVIC_EnableIRQ(PVD_PVM_IRQn);
    return PED_OK;
}

/* ---- serial ---- */

void USART2_IRQHandler(void)
{
    g.events++;
    if (USART2->ISR & USART_ISR_RXNE) {
        ped_ring_put(&g.rx, (uint8_t)USART2->RDR);
    }
    if (USART2->ISR & USART_ISR_ORE) {
        USART2->ICR = USART_ICR_ORECF;
    }
    if ((USART2->CR1 & USART_CR1_TXEIE) && (USART2->ISR & USART_ISR_TXE)) {
        uint8_t byte;
        if (ped_ring_get(&g.tx, &byte) == 0) {
            USART2->TDR = byte;
        } else {
            USART2->CR1 &= ~USART_CR1_TXEIE;
        }
    }
}

static void usart2_kick(void) { USART2->CR1 |= USART_CR1_TXEIE; }  /* TXE drains the ring */

size_t board_serial_write(const uint8_t *data, size_t len)
{
    return ped_ring_write(&g.tx, data, len, usart2_kick);
}

size_t board_serial_read(uint8_t *dst, size_t max) { return ped_ring_read(&g.rx, dst, max); }

size_t board_serial_available(void) { return ped_ring_used(&g.rx); }
uint32_t board_serial_rx_dropped(void) { return g.rx.dropped; }
void board_console_write(const char *text, size_t len)
{
    board_serial_write((const uint8_t *)text, len);
}

/* ---- deadline ---- */

ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    if (us == 0 || !fn) {
        return PED_ERR_ARG;
    }
    uint32_t key = cm_irq_save();
    TIM2->CR1 &= ~TIM_CR1_CEN;
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    TIM2->ARR = us;
    TIM2->CNT = 0;
    TIM2->EGR = TIM_EGR_UG;  /* load PSC/ARR */
    TIM2->SR = 0;
    TIM2->DIER = TIM_DIER_UIE;
    TIM2->CR1 |= TIM_CR1_CEN;
    cm_irq_restore(key);
    return PED_OK;
}

void board_deadline_cancel(void)
{
    uint32_t key = cm_irq_save();
    TIM2->CR1 &= ~TIM_CR1_CEN;
    TIM2->DIER = 0;
    TIM2->SR = 0;
    NVIC_ClearPendingIRQ(TIM2_IRQn);
    g.deadline_fn = 0;
    cm_irq_restore(key);
}

void TIM2_IRQHandler(void)
{
    g.events++;
    TIM2->SR = 0;
    TIM2->DIER = 0;
    board_irq_fn fn = g.deadline_fn;
    g.deadline_fn = 0;
    if (fn) {
        fn(g.deadline_ctx);
    }
}

/* ---- battery: PVD ---- */

bool board_battery_low(void) { return (PWR->SR2 & PWR_SR2_PVDO) != 0; }
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
    EXTI->PR1 = EXTI_PR1_PIF16;
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
    while (ped_ring_used(&g.tx)) {
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
