/*
 * boards/mps2/board.c - board.h for QEMU mps2-an386 (Cortex-M4F, board "qemu-m4") and
 * mps2-an385 (Cortex-M3, "qemu-m3"); PED_BOARD_NAME comes from the build.
 *
 * Interrupts: UART0 RX/TX (serial, ring buffers both ways), UART1 RX (power-control port: a
 * byte N in 0..100 from the host sets the battery to N percent, i.e. a simulated brown-out),
 * TIMER0 (deadline, one-shot), TIMER1 (battery energy model: fires when the charge crosses
 * the threshold), SysTick (wraps of the 24-bit counter that extends to board_cycles()).
 * Time is counted in instructions: under QEMU -icount shift=PED_ICOUNT_SHIFT (from the build,
 * pipeline.boards.ICOUNT_SHIFT) every instruction advances virtual time by 2^shift ns, so one
 * tick of the 25 MHz SysTick clock is (40 ns >> shift) instructions (5 at shift 3) and
 * board_cycles() = ticks * that is the instruction count, to within one tick; deterministic,
 * about the cycles of a zero-wait-state core, not a real Cortex-M's cycles.
 * The battery spends charge per active cycle: cycles asleep in board_sleep() cost nothing
 * (with -icount sleep=off idle time races ahead and would otherwise drain it at once).
 */
#include "mps2.h"
#include "board_serial.h"
#include "ped/board.h"
#include "ped/energy.h"

#ifndef PED_BOARD_NAME
#define PED_BOARD_NAME "mps2"
#endif

#define BATTERY_THRESHOLD 100u  /* permille */
#define BATTERY_DRAIN 1u        /* default: 1 permille per 10^9 instructions */
#define TIMER_MAX 0xFFFFFFFFu

static struct {
    volatile uint32_t systick_wraps;
    volatile uint8_t tx_busy;
    board_irq_fn deadline_fn;
    void *deadline_ctx;
    board_irq_fn battery_fn;
    void *battery_ctx;
    ped_energy_t battery;  /* over active cycles */
    uint64_t idle;  /* cycles spent asleep */
    volatile uint32_t events;
    uint32_t seen;
} g;

#ifndef PED_ICOUNT_SHIFT
#error "PED_ICOUNT_SHIFT (QEMU -icount shift) must come from the build (pipeline/firmware_build.py)"
#endif
#define NS_PER_TICK (1000000000u / MPS2_CLOCK_HZ)
#if NS_PER_TICK % (1u << PED_ICOUNT_SHIFT) != 0
#error "an icount shift whose instruction time does not divide the 25 MHz tick"
#endif
#define INSTR_PER_TICK (NS_PER_TICK >> PED_ICOUNT_SHIFT)

const char *board_name(void) { return PED_BOARD_NAME; }
uint32_t board_cycles_hz(void) { return MPS2_CLOCK_HZ * INSTR_PER_TICK; }  /* instructions/s */
uint32_t board_cpu_hz(void) { return MPS2_CLOCK_HZ * INSTR_PER_TICK; }

/* ---- time ---- */

void SysTick_Handler(void)
{
    g.systick_wraps++;
    g.events++;
}

uint64_t board_cycles(void) { return cm_systick_cycles(&g.systick_wraps) * INSTR_PER_TICK; }

/* SysTick counts the 25 MHz core clock: under -icount, instruction time */
uint64_t board_micros(void) { return cm_systick_cycles(&g.systick_wraps) / (MPS2_CLOCK_HZ / 1000000u); }

static void timer_stop(uint32_t base, uint32_t irq)
{
    TIMER_CTRL(base) = 0;
    TIMER_INT(base) = 1;
    cm_nvic_clear_pending(irq);
}

static void timer_start(uint32_t base, uint32_t ticks)
{
    TIMER_CTRL(base) = 0;
    TIMER_INT(base) = 1;
    TIMER_RELOAD(base) = TIMER_MAX;
    TIMER_VALUE(base) = ticks ? ticks : 1u;
    TIMER_CTRL(base) = TIMER_CTRL_EN | TIMER_CTRL_IRQEN;
}

ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    if (us == 0 || !fn || us > TIMER_MAX / (MPS2_CLOCK_HZ / 1000000u)) {
        return PED_ERR_ARG;
    }
    uint32_t key = cm_irq_save();
    timer_stop(TIMER0_BASE, IRQ_TIMER0);
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    timer_start(TIMER0_BASE, us * (MPS2_CLOCK_HZ / 1000000u));
    cm_irq_restore(key);
    return PED_OK;
}

void board_deadline_cancel(void)
{
    uint32_t key = cm_irq_save();
    timer_stop(TIMER0_BASE, IRQ_TIMER0);
    g.deadline_fn = 0;
    cm_irq_restore(key);
}

void TIMER0_Handler(void)
{
    timer_stop(TIMER0_BASE, IRQ_TIMER0);
    g.events++;
    board_irq_fn fn = g.deadline_fn;
    g.deadline_fn = 0;
    if (fn) {
        fn(g.deadline_ctx);
    }
}

/* ---- battery energy model ---- */

/* Cycles the CPU was awake since board_init. */
static uint64_t active_cycles(void) { return board_cycles() - g.idle; }

uint16_t board_battery_permille(void) { return ped_energy_level(&g.battery, active_cycles()); }
uint16_t board_battery_threshold(void) { return BATTERY_THRESHOLD; }
bool board_battery_low(void) { return board_battery_permille() < BATTERY_THRESHOLD; }

/* Plan TIMER1 for the active cycle the charge drops below the threshold (re-planned when it
 * fires early because of sleep); call with IRQs off. */
static void battery_replan(void)
{
    const uint64_t wait = ped_energy_until_below(&g.battery, active_cycles(), BATTERY_THRESHOLD);
    timer_stop(TIMER1_BASE, IRQ_TIMER1);
    if (wait == 0) {
        if (g.battery_fn) {
            g.battery_fn(g.battery_ctx);
        }
    } else if (wait != UINT64_MAX) {
        const uint64_t ticks = (wait + INSTR_PER_TICK - 1u) / INSTR_PER_TICK;
        timer_start(TIMER1_BASE, ticks > TIMER_MAX ? TIMER_MAX : (uint32_t)ticks);
    }
}

void TIMER1_Handler(void)
{
    g.events++;
    battery_replan();
}

ped_status_t board_battery_simulate(uint16_t permille, uint32_t drain)
{
    if (permille > 1000) {
        return PED_ERR_ARG;
    }
    uint32_t key = cm_irq_save();
    g.battery = (ped_energy_t){.start = permille, .drain = drain, .t0 = active_cycles()};
    battery_replan();
    cm_irq_restore(key);
    return PED_OK;
}

void board_battery_on_low(board_irq_fn fn, void *ctx)
{
    uint32_t key = cm_irq_save();
    g.battery_fn = fn;
    g.battery_ctx = ctx;
    cm_irq_restore(key);
}

void UART1_RX_Handler(void)
{
    g.events++;
    UART_INT(UART1_BASE) = UART_INT_RX;
    while (UART_STATE(UART1_BASE) & UART_STATE_RXFULL) {
        uint32_t percent = UART_DATA(UART1_BASE) & 0xFFu;
        if (percent <= 100u) {  /* host command: battery to `percent` percent */
            g.battery.start = (uint16_t)(percent * 10u);
            g.battery.t0 = active_cycles();
            battery_replan();
        }
    }
}

/* ---- serial ---- */

void UART0_RX_Handler(void)
{
    g.events++;
    UART_INT(UART0_BASE) = UART_INT_RX;
    while (UART_STATE(UART0_BASE) & UART_STATE_RXFULL) {
        board_serial_rx_byte((uint8_t)UART_DATA(UART0_BASE));
    }
}

void UART0_TX_Handler(void)
{
    uint8_t byte;
    g.events++;
    UART_INT(UART0_BASE) = UART_INT_TX;
    if (board_serial_tx_byte(&byte) == 0) {
        UART_DATA(UART0_BASE) = byte;
    } else {
        g.tx_busy = 0;
    }
}

/* Start the transmitter if idle; the TX interrupt sends the rest of the ring. */
void board_serial_kick(void)
{
    uint32_t key = cm_irq_save();
    uint8_t byte;
    if (!g.tx_busy && board_serial_tx_byte(&byte) == 0) {
        g.tx_busy = 1;
        UART_DATA(UART0_BASE) = byte;
    }
    cm_irq_restore(key);
}


/* ---- init, power ---- */

ped_status_t board_init(void)
{
    board_serial_init();
    cm_systick_start();
    const uint32_t uarts[2] = {UART0_BASE, UART1_BASE};
    for (unsigned i = 0; i < 2; i++) {
        UART_BAUDDIV(uarts[i]) = 16u;
        UART_CTRL(uarts[i]) = UART_CTRL_TXEN | UART_CTRL_RXEN | UART_CTRL_RXIRQ |
                              (i == 0 ? UART_CTRL_TXIRQ : 0u);
    }
    timer_stop(TIMER0_BASE, IRQ_TIMER0);
    timer_stop(TIMER1_BASE, IRQ_TIMER1);
    cm_nvic_enable(IRQ_UART0_RX);
    cm_nvic_enable(IRQ_UART0_TX);
    cm_nvic_enable(IRQ_UART1_RX);
    cm_nvic_enable(IRQ_TIMER0);
    cm_nvic_enable(IRQ_TIMER1);
    return board_battery_simulate(1000, BATTERY_DRAIN);
}

void board_sleep(void)
{
    uint32_t key = cm_irq_save();
    if (g.events == g.seen) {
        const uint64_t start = board_cycles();
        __asm__ volatile("dsb\n wfi" ::: "memory");  /* a pending IRQ wakes it even masked */
        g.idle += board_cycles() - start;
    }
    g.seen = g.events;
    cm_irq_restore(key);
}

void board_reset(void) { cm_reset(); }

void mps2_panic(int code)
{
    /* SYS_EXIT_EXTENDED (0x20): {ADP_Stopped_ApplicationExit, code} */
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}

void board_exit(int code)
{
    while (g.tx_busy) {  /* let the console drain */
        board_sleep();
    }
    mps2_panic(code);
    board_reset();  /* no debugger attached: semihosting did nothing */
}

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
