/*
 * boards/pico/board.c - board.h for the Raspberry Pi Pico (RP2040, Cortex-M0+), bare metal
 * from the RP2040 datasheet (section numbers in rp2040.h); no pico-sdk.
 *
 * Clocks: 12 MHz crystal (XOSC) -> clk_ref; PLL_SYS 12 MHz x 125 / 6 / 2 = 125 MHz -> clk_sys
 * and clk_peri; PLL_USB 12 MHz x 100 / 5 / 5 = 48 MHz -> clk_adc (§2.15, §2.16, §2.18).
 * Serial: UART0 on GP0 (TX) / GP1 (RX), 115200 8N1, FIFOs on, RX + RX-timeout + TX interrupts
 * feeding ring buffers (§4.2). Time: board_cycles() = SysTick at clk_sys extended to 64
 * bits (CPU cycles on silicon); the 64-bit 1 µs TIMER (§4.6, ticked by the watchdog's tick
 * generator from clk_ref, §4.7) drives the deadline (alarm 0) and the battery sampling
 * (alarm 1). Battery: VSYS / 3 on ADC channel 3 (GP29, Pico datasheet §2.1), one conversion
 * every PED_BATTERY_SAMPLE_US, the result read in the ADC FIFO interrupt and compared with
 * the low threshold there (§4.9); the voltage divider, the empty/full voltages and the
 * threshold come from boards/pico/board.toml through the build. Reset: the watchdog (§4.7).
 * board_exit() leaves its status in watchdog SCRATCH0/1 before that reset, which the
 * emulator runner (boards/pico/emulator) turns into its exit status.
 */
#include "cortexm.h"
#include "board_serial.h"
#include "ped/board.h"
#include "pico_irq.h"
#include "rp2040.h"

#ifndef PED_BOARD_NAME
#define PED_BOARD_NAME "pico"
#endif
#ifndef PED_CPU_HZ
#define PED_CPU_HZ 125000000u
#endif
#ifndef PED_BAUD
#define PED_BAUD 115200u
#endif
#ifndef PED_BATTERY_ADC_CHANNEL
#define PED_BATTERY_ADC_CHANNEL 3u      /* GP29 = VSYS / 3 on the Pico */
#endif
#ifndef PED_BATTERY_DIVIDER
#define PED_BATTERY_DIVIDER 3u
#endif
#ifndef PED_BATTERY_VREF_MV
#define PED_BATTERY_VREF_MV 3300u       /* ADC reference: the Pico's 3.3 V rail */
#endif
#ifndef PED_BATTERY_EMPTY_MV
#define PED_BATTERY_EMPTY_MV 3000u
#endif
#ifndef PED_BATTERY_FULL_MV
#define PED_BATTERY_FULL_MV 4200u
#endif
#ifndef PED_BATTERY_THRESHOLD_PERMILLE
#define PED_BATTERY_THRESHOLD_PERMILLE 100u
#endif
#ifndef PED_BATTERY_SAMPLE_US
#define PED_BATTERY_SAMPLE_US 250u
#endif

/* PLL_SYS: VCO = 12 MHz x FBDIV = 12 x clk_sys (post dividers 6 x 2) must lie in the
 * datasheet's 750..1600 MHz (§2.18) */
_Static_assert(PED_CPU_HZ % 1000000u == 0 && PED_CPU_HZ >= 63000000u && PED_CPU_HZ <= 133000000u,
               "PED_CPU_HZ: a whole number of MHz, 63..133 MHz");

#define EXIT_MAGIC 0x70656478u  /* "pedx" in SCRATCH0: SCRATCH1 holds board_exit's status */
#define DEADLINE_ALARM 0u
#define BATTERY_ALARM 1u

static struct {
    volatile uint32_t systick_wraps;
    board_irq_fn deadline_fn, battery_fn;
    void *deadline_ctx, *battery_ctx;
    volatile uint16_t battery_raw;  /* latest ADC reading (12 bits) */
    volatile uint32_t events;
    uint32_t seen;
} g;

const char *board_name(void) { return PED_BOARD_NAME; }
uint32_t board_cycles_hz(void) { return PED_CPU_HZ; }
uint32_t board_cpu_hz(void) { return PED_CPU_HZ; }

/* ---- time ---- */

void SysTick_Handler(void)
{
    g.systick_wraps++;
    g.events++;
}

uint64_t board_cycles(void) { return cm_systick_cycles(&g.systick_wraps); }

/* The TIMER's 64-bit µs count; TIMERAWH/L do not latch, so re-read the high word. */
static uint64_t timer_us(void)
{
    uint32_t hi, lo;
    do {
        hi = RP_REG(RP_TIMER_TIMERAWH);
        lo = RP_REG(RP_TIMER_TIMERAWL);
    } while (hi != RP_REG(RP_TIMER_TIMERAWH));
    return ((uint64_t)hi << 32) | lo;
}

uint64_t board_micros(void) { return timer_us(); }

/* Arm alarm n for `us` µs from now (alarms compare the low 32 bits). A target already
 * passed when it is written would wait for the next wrap: then pend the IRQ by hand. */
static void alarm_arm(uint32_t n, uint32_t us)
{
    const uint32_t target = (uint32_t)timer_us() + us;
    RP_REG(RP_TIMER_ALARM(n)) = target;
    if ((int32_t)((uint32_t)timer_us() - target) >= 0 && (RP_REG(RP_TIMER_ARMED) & (1u << n))) {
        RP_REG(RP_TIMER_ARMED) = 1u << n;  /* disarm */
        cm_nvic_set_pending(RP_IRQ_TIMER_0 + n);
    }
}

static void alarm_stop(uint32_t n)
{
    RP_REG(RP_TIMER_ARMED) = 1u << n;
    RP_REG(RP_TIMER_INTR) = 1u << n;
    cm_nvic_clear_pending(RP_IRQ_TIMER_0 + n);
}

ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    if (us == 0 || !fn || us > 0x7fffffffu) {
        return PED_ERR_ARG;
    }
    uint32_t key = cm_irq_save();
    alarm_stop(DEADLINE_ALARM);
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    alarm_arm(DEADLINE_ALARM, us);
    cm_irq_restore(key);
    return PED_OK;
}

void board_deadline_cancel(void)
{
    uint32_t key = cm_irq_save();
    alarm_stop(DEADLINE_ALARM);
    g.deadline_fn = 0;
    cm_irq_restore(key);
}

void pico_timer0_irq(void)
{
    RP_REG(RP_TIMER_INTR) = 1u << DEADLINE_ALARM;
    g.events++;
    board_irq_fn fn = g.deadline_fn;
    g.deadline_fn = 0;
    if (fn) {
        fn(g.deadline_ctx);
    }
}

/* ---- battery: VSYS through the ADC ---- */

static uint16_t permille_of(uint32_t raw)
{
    const uint32_t mv = raw * PED_BATTERY_VREF_MV * PED_BATTERY_DIVIDER / 4096u;
    if (mv <= PED_BATTERY_EMPTY_MV) {
        return 0;
    }
    if (mv >= PED_BATTERY_FULL_MV) {
        return 1000;
    }
    return (uint16_t)((mv - PED_BATTERY_EMPTY_MV) * 1000u /
                      (PED_BATTERY_FULL_MV - PED_BATTERY_EMPTY_MV));
}

uint16_t board_battery_permille(void) { return permille_of(g.battery_raw); }
uint16_t board_battery_threshold(void) { return PED_BATTERY_THRESHOLD_PERMILLE; }
bool board_battery_low(void) { return board_battery_permille() < PED_BATTERY_THRESHOLD_PERMILLE; }

static void adc_start(void)
{
    RP_REG(RP_ADC_CS) = RP_ADC_CS_EN | RP_ADC_CS_AINSEL(PED_BATTERY_ADC_CHANNEL) |
                        RP_ADC_CS_START_ONCE;
}

void pico_timer1_irq(void)  /* battery sampling period: start one conversion */
{
    RP_REG(RP_TIMER_INTR) = 1u << BATTERY_ALARM;
    g.events++;
    adc_start();
    alarm_arm(BATTERY_ALARM, PED_BATTERY_SAMPLE_US);
}

void pico_adc_irq(void)  /* a conversion reached the FIFO: compare with the threshold */
{
    g.events++;
    const bool was_low = board_battery_low();
    while (RP_ADC_FIFO_LEVEL(RP_REG(RP_ADC_FCS)) > 0u) {
        g.battery_raw = (uint16_t)(RP_REG(RP_ADC_FIFO) & 0xfffu);
    }
    /* clear the FIFO's sticky OVER/UNDER flags; rp2040js 1.4.1 also re-evaluates its IRQ
     * line only on an FCS write (a FIFO read alone leaves it raised: an interrupt storm) */
    RP_REG(RP_ADC_FCS) = RP_ADC_FCS_EN | RP_ADC_FCS_THRESH(1) | RP_ADC_FCS_OVER | RP_ADC_FCS_UNDER;
    if (!was_low && board_battery_low() && g.battery_fn) {
        g.battery_fn(g.battery_ctx);
    }
}

ped_status_t board_battery_simulate(uint16_t permille, uint32_t drain)
{
    (void)permille;
    (void)drain;
    return PED_ERR_NOT_SUPPORTED;  /* a real ADC: in emulation the host sets its input */
}

void board_battery_on_low(board_irq_fn fn, void *ctx)
{
    uint32_t key = cm_irq_save();
    g.battery_fn = fn;
    g.battery_ctx = ctx;
    cm_irq_restore(key);
}

/* ---- serial: UART0 ---- */

/* Move bytes from the TX ring into the UART's FIFO; keep the TX interrupt on while bytes
 * are left. Call with interrupts off or from the UART interrupt. */
static void uart0_fill(void)
{
    uint8_t byte;
    while (!(RP_REG(RP_UART_FR(RP_UART0_BASE)) & RP_UART_FR_TXFF) &&
           board_serial_tx_byte(&byte) == 0) {
        RP_REG(RP_UART_DR(RP_UART0_BASE)) = byte;
    }
    const uint32_t imsc = RP_REG(RP_UART_IMSC(RP_UART0_BASE));
    RP_REG(RP_UART_IMSC(RP_UART0_BASE)) =
        board_serial_tx_pending() ? (imsc | RP_UART_TXIM) : (imsc & ~RP_UART_TXIM);
}

void pico_uart0_irq(void)
{
    g.events++;
    while (!(RP_REG(RP_UART_FR(RP_UART0_BASE)) & RP_UART_FR_RXFE)) {
        board_serial_rx_byte((uint8_t)RP_REG(RP_UART_DR(RP_UART0_BASE)));
    }
    RP_REG(RP_UART_ICR(RP_UART0_BASE)) = RP_UART_RXIM | RP_UART_RTIM | RP_UART_TXIM;
    uart0_fill();
}

/* The PL011 raises its TX interrupt only when the FIFO drains past the trigger level, so
 * the first bytes are written here; the interrupt then sends the rest. */
void board_serial_kick(void)
{
    uint32_t key = cm_irq_save();
    uart0_fill();
    cm_irq_restore(key);
}


/* ---- init ---- */

static void wait_set(uint32_t addr, uint32_t bits)
{
    while ((RP_REG(addr) & bits) != bits) {
    }
}

/* §2.18: program the dividers, power the VCO, wait for lock, then the post dividers. */
static void pll_start(uint32_t base, uint32_t fbdiv, uint32_t postdiv1, uint32_t postdiv2)
{
    RP_REG(RP_PLL_CS(base)) = 1u;  /* REFDIV = 1: 12 MHz reference */
    RP_REG(RP_PLL_FBDIV_INT(base)) = fbdiv;
    RP_CLR(RP_PLL_PWR(base)) = RP_PLL_PWR_PD | RP_PLL_PWR_VCOPD;
    wait_set(RP_PLL_CS(base), RP_PLL_CS_LOCK);
    RP_REG(RP_PLL_PRIM(base)) = (postdiv1 << 16) | (postdiv2 << 12);
    RP_CLR(RP_PLL_PWR(base)) = RP_PLL_PWR_POSTDIVPD;
}

static void unreset(uint32_t bits)
{
    RP_CLR(RP_RESETS_RESET) = bits;
    wait_set(RP_RESETS_RESET_DONE, bits);
}

static void clocks_init(void)
{
    RP_REG(RP_CLK_SYS_RESUS_CTRL) = 0;
    RP_REG(RP_XOSC_STARTUP) = (RP_XOSC_HZ / 1000u + 128u) / 256u;  /* ~1 ms, 256-cycle units */
    RP_REG(RP_XOSC_CTRL) = RP_XOSC_FREQ_1_15MHZ | RP_XOSC_ENABLE;
    wait_set(RP_XOSC_STATUS, RP_XOSC_STABLE);

    /* glitchless muxes: clk_ref <- XOSC, clk_sys <- clk_ref while the PLLs start */
    RP_REG(RP_CLK_REF_CTRL) = RP_CLK_REF_SRC_XOSC;
    wait_set(RP_CLK_REF_SELECTED, 1u << RP_CLK_REF_SRC_XOSC);
    RP_REG(RP_CLK_REF_DIV) = RP_CLK_DIV_1;
    RP_CLR(RP_CLK_SYS_CTRL) = RP_CLK_SYS_SRC_AUX;
    wait_set(RP_CLK_SYS_SELECTED, 1u);

    RP_SET(RP_RESETS_RESET) = RP_RESET_PLL_SYS | RP_RESET_PLL_USB;
    unreset(RP_RESET_PLL_SYS | RP_RESET_PLL_USB);
    pll_start(RP_PLL_SYS_BASE, PED_CPU_HZ / 1000000u, 6u, 2u);  /* VCO = 12 x clk_sys */
    pll_start(RP_PLL_USB_BASE, 100u, 5u, 5u);                          /* VCO 1200 MHz */

    RP_REG(RP_CLK_SYS_CTRL) = RP_CLK_SYS_AUXSRC_PLL_SYS;  /* aux mux first, SRC still ref */
    RP_REG(RP_CLK_SYS_DIV) = RP_CLK_DIV_1;
    RP_SET(RP_CLK_SYS_CTRL) = RP_CLK_SYS_SRC_AUX;
    wait_set(RP_CLK_SYS_SELECTED, 2u);
    RP_REG(RP_CLK_PERI_CTRL) = 0;  /* the aux muxes are not glitchless: switch while off */
    RP_REG(RP_CLK_PERI_CTRL) = RP_CLK_ENABLE | RP_CLK_PERI_AUXSRC_CLK_SYS;
    RP_REG(RP_CLK_ADC_CTRL) = 0;
    RP_REG(RP_CLK_ADC_DIV) = RP_CLK_DIV_1;
    RP_REG(RP_CLK_ADC_CTRL) = RP_CLK_ENABLE | RP_CLK_ADC_AUXSRC_PLL_USB;

    /* the TIMER counts 1 µs ticks of the watchdog's tick generator: clk_ref / 12 */
    RP_REG(RP_WATCHDOG_TICK) = (RP_XOSC_HZ / 1000000u) | RP_WATCHDOG_TICK_ENABLE;
}

static void uart0_init(void)
{
    /* §4.2: divisor = clk_peri / (16 baud) as 16.6 fixed point, rounded */
    const uint32_t div64 = (uint32_t)((4ull * PED_CPU_HZ + PED_BAUD / 2u) / PED_BAUD);
    RP_REG(RP_UART_IBRD(RP_UART0_BASE)) = div64 >> 6;
    RP_REG(RP_UART_FBRD(RP_UART0_BASE)) = div64 & 63u;
    RP_REG(RP_UART_LCR_H(RP_UART0_BASE)) = RP_UART_LCR_H_8N1_FIFO;  /* latches the divisor */
    RP_REG(RP_UART_IFLS(RP_UART0_BASE)) = 0;  /* interrupt at 1/8 full (RX), 1/8 empty (TX) */
    RP_REG(RP_UART_IMSC(RP_UART0_BASE)) = RP_UART_RXIM | RP_UART_RTIM;
    RP_REG(RP_UART_CR(RP_UART0_BASE)) = RP_UART_CR_ON;
    RP_REG(RP_GPIO_CTRL(0)) = RP_GPIO_FUNC_UART;
    RP_REG(RP_GPIO_CTRL(1)) = RP_GPIO_FUNC_UART;
    RP_REG(RP_PAD(1)) |= RP_PAD_IE | RP_PAD_PUE;  /* RX idles high */
}

static void adc_init(void)
{
    const uint32_t gpio = 26u + PED_BATTERY_ADC_CHANNEL;
    RP_REG(RP_PAD(gpio)) = (RP_REG(RP_PAD(gpio)) & ~(RP_PAD_IE | RP_PAD_PUE | RP_PAD_PDE)) |
                           RP_PAD_OD;  /* analogue pin: digital input and output off */
    RP_REG(RP_ADC_CS) = RP_ADC_CS_EN;
    wait_set(RP_ADC_CS, RP_ADC_CS_READY);
    RP_REG(RP_ADC_FCS) = RP_ADC_FCS_EN | RP_ADC_FCS_THRESH(1);
    adc_start();  /* the first reading, waited for, so board_battery_low() is valid at once */
    while (RP_ADC_FIFO_LEVEL(RP_REG(RP_ADC_FCS)) == 0u) {
    }
    g.battery_raw = (uint16_t)(RP_REG(RP_ADC_FIFO) & 0xfffu);
    RP_REG(RP_ADC_INTE) = 1u;
}

ped_status_t board_init(void)
{
    board_serial_init();
    clocks_init();
    unreset(RP_RESET_IO_BANK0 | RP_RESET_PADS_BANK0 | RP_RESET_UART0 | RP_RESET_TIMER |
            RP_RESET_ADC);
    cm_systick_start();
    uart0_init();
    adc_init();
    alarm_stop(DEADLINE_ALARM);
    alarm_stop(BATTERY_ALARM);
    RP_REG(RP_TIMER_INTE) = (1u << DEADLINE_ALARM) | (1u << BATTERY_ALARM);
    cm_nvic_enable(RP_IRQ_TIMER_0);
    cm_nvic_enable(RP_IRQ_TIMER_1);
    cm_nvic_enable(RP_IRQ_UART0);
    cm_nvic_enable(RP_IRQ_ADC_FIFO);
    alarm_arm(BATTERY_ALARM, PED_BATTERY_SAMPLE_US);
    return PED_OK;
}

/* ---- power ---- */

void board_sleep(void) { cm_sleep(&g.events, &g.seen); }

static PED_NORETURN void watchdog_reset(uint32_t magic, uint32_t code)
{
    RP_REG(RP_WATCHDOG_SCRATCH(0)) = magic;
    RP_REG(RP_WATCHDOG_SCRATCH(1)) = code;
    RP_REG(RP_PSM_WDSEL) = RP_PSM_WDSEL_ALL_BUT_OSC;
    RP_REG(RP_WATCHDOG_CTRL) = RP_WATCHDOG_TRIGGER;
    for (;;) {
        __asm__ volatile("wfi");
    }
}

void board_reset(void) { watchdog_reset(0, 0); }

void pico_panic(int code) { watchdog_reset(EXIT_MAGIC, (uint32_t)code); }

void board_exit(int code)
{
    while (board_serial_tx_pending() || (RP_REG(RP_UART_FR(RP_UART0_BASE)) & RP_UART_FR_BUSY)) {
        board_sleep();
    }
    pico_panic(code);
}

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
