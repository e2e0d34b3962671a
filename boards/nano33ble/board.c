/*
 * boards/nano33ble/board.c - board.h for the Arduino Nano 33 BLE Sense (nRF52840,
 * Cortex-M4F at 64 MHz), bare metal on PlatformIO's stock `nordicnrf52` platform (no
 * framework: this file carries the vector table and reset handler, link.ld the memory map
 * after the Arduino bootloader at 0x10000). NOT BUILT OR RUN HERE: this machine has no
 * internet to download the platform; a reviewed starting point, not tested code.
 *
 * Serial: UART0 (legacy, byte interrupts) on the D1/TX = P1.03 and D0/RX = P1.10 pins at
 * 115200 (the USB port needs a USB stack; use a 3.3 V USB-serial adapter). Cycles: SysTick at
 * 64 MHz. Deadline: TIMER1 at 1 MHz, one-shot via CC[0]. Battery: the power-fail comparator
 * (POFCON at 2.8 V, POFWARN event, POWER_CLOCK interrupt); the level is 1000 or 0.
 * Registers from the nRF52840 Product Specification v1.7.
 */
#include "cortexm.h"
#include "ped/board.h"
#include "ped/ring.h"

#define CPU_HZ 64000000u
#define R(base, off) CM_REG32((base) + (off))

#define POWER 0x40000000u
#define CLOCK 0x40000000u
#define UART0 0x40002000u
#define TIMER1 0x40009000u
#define IRQ_POWER_CLOCK 0u
#define IRQ_UART0 2u
#define IRQ_TIMER1 9u

static struct {
    volatile uint32_t systick_wraps;
    volatile uint32_t events;
    uint32_t seen;
    ped_ring_t rx, tx;
    uint8_t rx_buf[256], tx_buf[256];
    volatile uint8_t tx_busy;
    board_irq_fn deadline_fn, battery_fn;
    void *deadline_ctx, *battery_ctx;
} g;

const char *board_name(void) { return "nano33ble"; }
uint32_t board_cycles_hz(void) { return CPU_HZ; }
uint32_t board_cpu_hz(void) { return CPU_HZ; }
uint64_t board_cycles(void) { return cm_systick_cycles(&g.systick_wraps); }

/* from the core-clock cycle counter */
uint64_t board_micros(void) { return board_cycles() / (CPU_HZ / 1000000u); }

ped_status_t board_init(void)
{
    ped_ring_init(&g.rx, g.rx_buf, sizeof g.rx_buf);
    ped_ring_init(&g.tx, g.tx_buf, sizeof g.tx_buf);
    R(CLOCK, 0x000) = 1;                       /* TASKS_HFCLKSTART: crystal for the UART */
    cm_systick_start();

    R(UART0, 0x50C) = 32u + 3u;                /* PSEL.TXD = P1.03 */
    R(UART0, 0x514) = 32u + 10u;               /* PSEL.RXD = P1.10 */
    R(UART0, 0x524) = 0x01D7E000u;             /* BAUDRATE 115200 */
    R(UART0, 0x500) = 4u;                      /* ENABLE: UART */
    R(UART0, 0x304) = (1u << 2) | (1u << 7);   /* INTENSET: RXDRDY, TXDRDY */
    R(UART0, 0x000) = 1;                       /* TASKS_STARTRX */
    R(UART0, 0x008) = 1;                       /* TASKS_STARTTX */
    cm_nvic_enable(IRQ_UART0);

    R(TIMER1, 0x504) = 0;                      /* MODE timer */
    R(TIMER1, 0x508) = 3;                      /* BITMODE 32 */
    R(TIMER1, 0x510) = 4;                      /* PRESCALER: 16 MHz / 2^4 = 1 MHz */
    R(TIMER1, 0x200) = (1u << 0) | (1u << 8);  /* SHORTS: COMPARE0 -> CLEAR, STOP */
    R(TIMER1, 0x304) = 1u << 16;               /* INTENSET COMPARE0 */
    cm_nvic_enable(IRQ_TIMER1);

    R(POWER, 0x510) = 1u | (15u << 1);         /* POFCON: enable, threshold 2.8 V */
    R(POWER, 0x304) = 1u << 2;                 /* INTENSET POFWARN */
    cm_nvic_enable(IRQ_POWER_CLOCK);
    return PED_OK;
}

void SysTick_Handler(void)
{
    g.systick_wraps++;
    g.events++;
}

/* ---- serial ---- */

void UARTE0_UART0_IRQHandler(void)
{
    g.events++;
    if (R(UART0, 0x108)) {                     /* EVENTS_RXDRDY */
        R(UART0, 0x108) = 0;
        ped_ring_put(&g.rx, (uint8_t)R(UART0, 0x518));
    }
    if (R(UART0, 0x11C)) {                     /* EVENTS_TXDRDY */
        uint8_t byte;
        R(UART0, 0x11C) = 0;
        if (ped_ring_get(&g.tx, &byte) == 0) {
            R(UART0, 0x51C) = byte;
        } else {
            g.tx_busy = 0;
        }
    }
}

/* Start the transmitter if idle; TXDRDY sends the rest of the ring. */
static void uart0_kick(void)
{
    uint32_t key = cm_irq_save();
    uint8_t byte;
    if (!g.tx_busy && ped_ring_get(&g.tx, &byte) == 0) {
        g.tx_busy = 1;
        R(UART0, 0x51C) = byte;                /* TXD */
    }
    cm_irq_restore(key);
}

size_t board_serial_write(const uint8_t *data, size_t len)
{
    return ped_ring_write(&g.tx, data, len, uart0_kick);
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
    R(TIMER1, 0x004) = 1;                      /* TASKS_STOP */
    R(TIMER1, 0x00C) = 1;                      /* TASKS_CLEAR */
    R(TIMER1, 0x140) = 0;                      /* EVENTS_COMPARE[0] */
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    R(TIMER1, 0x540) = us;                     /* CC[0] */
    R(TIMER1, 0x000) = 1;                      /* TASKS_START */
    cm_irq_restore(key);
    return PED_OK;
}

void board_deadline_cancel(void)
{
    uint32_t key = cm_irq_save();
    R(TIMER1, 0x004) = 1;
    R(TIMER1, 0x140) = 0;
    cm_nvic_clear_pending(IRQ_TIMER1);
    g.deadline_fn = 0;
    cm_irq_restore(key);
}

void TIMER1_IRQHandler(void)
{
    g.events++;
    R(TIMER1, 0x140) = 0;
    board_irq_fn fn = g.deadline_fn;
    g.deadline_fn = 0;
    if (fn) {
        fn(g.deadline_ctx);
    }
}

/* ---- battery: power-fail comparator ---- */

bool board_battery_low(void) { return (R(POWER, 0x428) & 1u) != 0; }  /* POFSTAT */
uint16_t board_battery_permille(void) { return board_battery_low() ? 0 : 1000; }
uint16_t board_battery_threshold(void) { return 1; }

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
    if (R(POWER, 0x108)) {                     /* EVENTS_POFWARN */
        R(POWER, 0x108) = 0;
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
    cm_reset();
}

/* ---- reset handler and vector table ---- */

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

void Reset_Handler(void)
{
    for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    CM_SCB_CPACR |= 0xFu << 20;  /* FPU */
    __asm__ volatile("dsb\n isb" ::: "memory");
    board_exit(main());
}

void Fault_Handler(void) { cm_reset(); }

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) static const vector_t vectors[16 + 10] = {
    (vector_t)(uintptr_t)&_estack, Reset_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0,
    Fault_Handler, SysTick_Handler,
    POWER_CLOCK_IRQHandler, Fault_Handler, UARTE0_UART0_IRQHandler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    TIMER1_IRQHandler,
};

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
