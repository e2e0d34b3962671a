/*
 * boards/nano33ble/board.c - board.h for the Arduino Nano 33 BLE Sense (nRF52840, Cortex-M4F
 * at 64 MHz), bare metal: registers from nrf52840.h (nRF52840 Product Specification v1.7,
 * checked against nrf52840.svd by tests/firmware/test_svd.py), startup.c the vector table,
 * link.ld the memory map after the Arduino bootloader at 0x10000. Built offline with
 * arm-none-eabi-gcc (`ped build -t nano33ble`); not run on silicon here.
 *
 * Serial: UART0 (legacy, byte interrupts) on D1/TX = P1.03 and D0/RX = P1.10 at 115200 (the
 * USB port needs a USB stack; use a 3.3 V USB-serial adapter). Cycles: DWT CYCCNT at 64 MHz
 * (real CPU cycles), extended to 64 bits with SysTick as the wrap watchdog. Deadline: TIMER1
 * at 1 MHz, one-shot through CC[0] (shortcut COMPARE0 -> STOP). Battery: the power-fail
 * comparator (POFCON at 2.8 V): its POFWARN event interrupts when VDD falls below the
 * threshold. The comparator has no readable status (the old code read POWER+0x428, which is
 * RAMSTATUS, as if it were one), so the low state is latched from POFWARN until reset; the
 * level is 1000 or 0.
 */
#include "cortexm.h"
#include "nrf52840.h"
#include "board_serial.h"
#include "ped/board.h"

#ifndef PED_CPU_HZ
#define PED_CPU_HZ 64000000u
#endif
#ifndef PED_BOARD_NAME
#define PED_BOARD_NAME "nano33ble"
#endif
#define R(base, off) NRF_REG(base, off)
#define POWER NRF_POWER_BASE
#define CLOCK NRF_CLOCK_BASE
#define UART0 NRF_UART0_BASE
#define TIMER1 NRF_TIMER1_BASE
#define BIT(pos) (1u << (pos))
#define PIN(port, pin) (((uint32_t)(port) << NRF_UART_PSEL_PORT_POS) | (pin))

void SysTick_Handler(void);
void POWER_CLOCK_IRQHandler(void);
void UARTE0_UART0_IRQHandler(void);
void TIMER1_IRQHandler(void);

/* PED_NRF_STANDIN_M0: the same code built for Cortex-M0 under QEMU `microbit` (boards/
 * microbit-standin): no DWT there, so SysTick counts cycles; exit through semihosting. */
static struct {
#ifdef PED_NRF_STANDIN_M0
    volatile uint32_t systick_wraps;
#else
    volatile cm_dwt_t cycles;
#endif
    volatile uint8_t battery_low;  /* latched by POFWARN */
    volatile uint32_t events;
    uint32_t seen;
    volatile uint8_t tx_busy;
    board_irq_fn deadline_fn, battery_fn;
    void *deadline_ctx, *battery_ctx;
} g;

const char *board_name(void) { return PED_BOARD_NAME; }
uint32_t board_cycles_hz(void) { return PED_CPU_HZ; }
uint32_t board_cpu_hz(void) { return PED_CPU_HZ; }
#ifdef PED_NRF_STANDIN_M0
uint64_t board_cycles(void) { return cm_systick_cycles(&g.systick_wraps); }
#else
uint64_t board_cycles(void) { return cm_dwt_cycles(&g.cycles); }
#endif

/* from the core-clock cycle counter */
uint64_t board_micros(void) { return board_cycles() / (PED_CPU_HZ / 1000000u); }

ped_status_t board_init(void)
{
    board_serial_init();
    R(CLOCK, NRF_CLOCK_EVENTS_HFCLKSTARTED) = 0;
    R(CLOCK, NRF_CLOCK_TASKS_HFCLKSTART) = 1;   /* the crystal, for an accurate baud rate */
    while (!R(CLOCK, NRF_CLOCK_EVENTS_HFCLKSTARTED)) {
        /* boot only: the HFXO starts in about 0.3 ms */
    }
#ifndef PED_NRF_STANDIN_M0
    cm_dwt_start(&g.cycles);
#endif
    cm_systick_start();                          /* observes every CYCCNT wrap */

    R(UART0, NRF_UART_PSEL_TXD) = PIN(1, 3);
    R(UART0, NRF_UART_PSEL_RXD) = PIN(1, 10);
    R(UART0, NRF_UART_BAUDRATE) = NRF_UART_BAUD_115200;
    R(UART0, NRF_UART_ENABLE) = NRF_UART_ENABLE_ENABLED;
    R(UART0, NRF_UART_INTENSET) = BIT(NRF_UART_INTENSET_RXDRDY_POS) |
                                  BIT(NRF_UART_INTENSET_TXDRDY_POS);
    R(UART0, NRF_UART_TASKS_STARTRX) = 1;
    R(UART0, NRF_UART_TASKS_STARTTX) = 1;
    cm_nvic_enable(NRF_IRQ_UART0);

    R(TIMER1, NRF_TIMER_MODE) = NRF_TIMER_MODE_TIMER;
    R(TIMER1, NRF_TIMER_BITMODE) = NRF_TIMER_BITMODE_32;
    R(TIMER1, NRF_TIMER_PRESCALER) = NRF_TIMER_PRESCALER_1MHZ;
    R(TIMER1, NRF_TIMER_SHORTS) = BIT(NRF_TIMER_SHORTS_COMPARE0_CLEAR_POS) |
                                  BIT(NRF_TIMER_SHORTS_COMPARE0_STOP_POS);
    R(TIMER1, NRF_TIMER_INTENSET) = BIT(NRF_TIMER_INTENSET_COMPARE0_POS);
    cm_nvic_enable(NRF_IRQ_TIMER1);

    R(POWER, NRF_POWER_EVENTS_POFWARN) = 0;
    R(POWER, NRF_POWER_POFCON) = BIT(NRF_POWER_POFCON_POF_POS) |
                                 (NRF_POWER_POFCON_THRESHOLD_V28 << NRF_POWER_POFCON_THRESHOLD_POS);
    R(POWER, NRF_POWER_INTENSET) = BIT(NRF_POWER_INTENSET_POFWARN_POS);
    cm_nvic_enable(NRF_IRQ_POWER_CLOCK);
    return PED_OK;
}

void SysTick_Handler(void)
{
#ifdef PED_NRF_STANDIN_M0
    g.systick_wraps++;
#else
    (void)cm_dwt_cycles(&g.cycles);  /* at least one observation per 2^32-cycle wrap */
#endif
    g.events++;
}

/* ---- serial ---- */

void UARTE0_UART0_IRQHandler(void)
{
    g.events++;
    if (R(UART0, NRF_UART_EVENTS_ERROR)) {      /* overrun/framing: clear and go on */
        R(UART0, NRF_UART_EVENTS_ERROR) = 0;
        R(UART0, NRF_UART_ERRORSRC) = R(UART0, NRF_UART_ERRORSRC);
    }
    if (R(UART0, NRF_UART_EVENTS_RXDRDY)) {
        R(UART0, NRF_UART_EVENTS_RXDRDY) = 0;
        board_serial_rx_byte((uint8_t)R(UART0, NRF_UART_RXD));
    }
    if (R(UART0, NRF_UART_EVENTS_TXDRDY)) {
        uint8_t byte;
        R(UART0, NRF_UART_EVENTS_TXDRDY) = 0;
        if (board_serial_tx_byte(&byte) == 0) {
            R(UART0, NRF_UART_TXD) = byte;
        } else {
            g.tx_busy = 0;
        }
    }
}

/* Start the transmitter if idle; TXDRDY sends the rest of the ring. */
void board_serial_kick(void)
{
    uint32_t key = cm_irq_save();
    uint8_t byte;
    if (!g.tx_busy && board_serial_tx_byte(&byte) == 0) {
        g.tx_busy = 1;
        R(UART0, NRF_UART_TXD) = byte;
    }
    cm_irq_restore(key);
}

/* ---- deadline ---- */

ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    if (us == 0 || !fn) {
        return PED_ERR_ARG;
    }
    uint32_t key = cm_irq_save();
    R(TIMER1, NRF_TIMER_TASKS_STOP) = 1;
    R(TIMER1, NRF_TIMER_TASKS_CLEAR) = 1;
    R(TIMER1, NRF_TIMER_EVENTS_COMPARE0) = 0;
    cm_nvic_clear_pending(NRF_IRQ_TIMER1);
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    R(TIMER1, NRF_TIMER_CC0) = us;
    R(TIMER1, NRF_TIMER_TASKS_START) = 1;
    cm_irq_restore(key);
    return PED_OK;
}

void board_deadline_cancel(void)
{
    uint32_t key = cm_irq_save();
    R(TIMER1, NRF_TIMER_TASKS_STOP) = 1;
    R(TIMER1, NRF_TIMER_EVENTS_COMPARE0) = 0;
    cm_nvic_clear_pending(NRF_IRQ_TIMER1);
    g.deadline_fn = 0;
    cm_irq_restore(key);
}

void TIMER1_IRQHandler(void)
{
    g.events++;
    R(TIMER1, NRF_TIMER_EVENTS_COMPARE0) = 0;
    board_irq_fn fn = g.deadline_fn;
    g.deadline_fn = 0;
    if (fn) {
        fn(g.deadline_ctx);
    }
}

/* ---- battery: power-fail comparator ---- */

bool board_battery_low(void) { return g.battery_low != 0; }
uint16_t board_battery_permille(void) { return board_battery_low() ? 0 : 1000; }
uint16_t board_battery_threshold(void) { return 1; }  /* the comparator's level: low or not */

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

void POWER_CLOCK_IRQHandler(void)
{
    g.events++;
    if (R(POWER, NRF_POWER_EVENTS_POFWARN)) {
        R(POWER, NRF_POWER_EVENTS_POFWARN) = 0;
        g.battery_low = 1;
        if (g.battery_fn) {
            g.battery_fn(g.battery_ctx);
        }
    }
}

/* ---- power ---- */

void board_sleep(void) { cm_sleep(&g.events, &g.seen); }
void board_reset(void) { cm_reset(); }
void board_exit(int code)
{
    (void)code;
    while (g.tx_busy) {
        board_sleep();
    }
#ifdef PED_NRF_STANDIN_M0
    /* QEMU: semihosting SYS_EXIT_EXTENDED (0x20) with {ADP_Stopped_ApplicationExit, code} */
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
#endif
    cm_reset();  /* a real board has no exit: it restarts */
}

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
