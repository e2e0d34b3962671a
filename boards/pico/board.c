/*
 * boards/pico/board.c - board.h for the Raspberry Pi Pico (RP2040, Cortex-M0+ at 125 MHz) on
 * PlatformIO's stock `raspberrypi` platform with the Arduino (mbed) framework, using the
 * pico-sdk hardware APIs that framework carries; entry.cpp starts ped's main from setup().
 * NOT BUILT OR RUN HERE: this machine has no internet to download the platform; a reviewed
 * starting point, not tested code.
 *
 * Serial: UART0 on GP0 (TX) / GP1 (RX) at 115200, RX and TX interrupts with ring buffers.
 * Time: the RP2040 64-bit microsecond timer (the M0+ has no cycle counter). Deadline: hardware
 * alarm 2. Battery: VSYS/3 on ADC3 (GP29), sampled every 10 ms from hardware alarm 3, low
 * below 3.3 V. Integer-only: the M0+ has no FPU, and nothing here needs one.
 */
#include "hardware/adc.h"
#include "hardware/irq.h"
#include "hardware/timer.h"
#include "hardware/uart.h"
#include "hardware/gpio.h"
#include "hardware/watchdog.h"
#include "ped/board.h"
#include "ped/ring.h"

#define CPU_HZ 125000000u
#define DEADLINE_ALARM 2u
#define BATTERY_ALARM 3u
#define BATTERY_LOW_RAW 1365u  /* 3.3 V / 3 of a 3.3 V, 12-bit scale */

static struct {
    volatile uint32_t events;
    uint32_t seen;
    ped_ring_t rx, tx;
    uint8_t rx_buf[256], tx_buf[256];
    board_irq_fn deadline_fn, battery_fn;
    void *deadline_ctx, *battery_ctx;
    volatile uint16_t raw;
} g;

const char *board_name(void) { return "pico"; }
uint32_t board_cycles_hz(void) { return 1000000u; }
uint32_t board_cpu_hz(void) { return CPU_HZ; }
uint64_t board_cycles(void) { return time_us_64(); }

/* board_cycles() already counts microseconds */
uint64_t board_micros(void) { return board_cycles(); }

static void on_uart(void)
{
    g.events++;
    while (uart_is_readable(uart0)) {
        ped_ring_put(&g.rx, (uint8_t)uart_getc(uart0));
    }
    uint8_t byte;
    while (uart_is_writable(uart0) && ped_ring_get(&g.tx, &byte) == 0) {
        uart_putc_raw(uart0, (char)byte);
    }
    if (ped_ring_used(&g.tx) == 0) {
        uart_set_irq_enables(uart0, true, false);
    }
}

static void on_deadline(uint alarm)
{
    (void)alarm;
    g.events++;
    board_irq_fn fn = g.deadline_fn;
    g.deadline_fn = 0;
    if (fn) {
        fn(g.deadline_ctx);
    }
}

static void on_battery_sample(uint alarm)
{
    g.events++;
    uint16_t before = g.raw;
    g.raw = adc_read();  /* about 2 us */
    if (g.raw < BATTERY_LOW_RAW && before >= BATTERY_LOW_RAW && g.battery_fn) {
        g.battery_fn(g.battery_ctx);
    }
    hardware_alarm_set_target(alarm, make_timeout_time_ms(10));
}

ped_status_t board_init(void)
{
    ped_ring_init(&g.rx, g.rx_buf, sizeof g.rx_buf);
    ped_ring_init(&g.tx, g.tx_buf, sizeof g.tx_buf);
    uart_init(uart0, 115200);
    gpio_set_function(0, GPIO_FUNC_UART);
    gpio_set_function(1, GPIO_FUNC_UART);
    irq_set_exclusive_handler(UART0_IRQ, on_uart);
    irq_set_enabled(UART0_IRQ, true);
    uart_set_irq_enables(uart0, true, false);

    adc_init();
    adc_gpio_init(29);
    adc_select_input(3);
    g.raw = adc_read();
    hardware_alarm_claim(DEADLINE_ALARM);
    hardware_alarm_set_callback(DEADLINE_ALARM, on_deadline);
    hardware_alarm_claim(BATTERY_ALARM);
    hardware_alarm_set_callback(BATTERY_ALARM, on_battery_sample);
    hardware_alarm_set_target(BATTERY_ALARM, make_timeout_time_ms(10));
    return PED_OK;
}

static void uart0_kick(void)
{
    uart_set_irq_enables(uart0, true, true);  /* the TX interrupt drains the ring */
    irq_set_pending(UART0_IRQ);
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

ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    if (us == 0 || !fn) {
        return PED_ERR_ARG;
    }
    hardware_alarm_cancel(DEADLINE_ALARM);
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    hardware_alarm_set_target(DEADLINE_ALARM, make_timeout_time_us(us));
    return PED_OK;
}

void board_deadline_cancel(void)
{
    hardware_alarm_cancel(DEADLINE_ALARM);
    g.deadline_fn = 0;
}

bool board_battery_low(void) { return g.raw < BATTERY_LOW_RAW; }
uint16_t board_battery_threshold(void) { return (uint16_t)(BATTERY_LOW_RAW * 1000u / 4095u); }
uint16_t board_battery_permille(void) { return (uint16_t)(g.raw * 1000u / 4095u); }

ped_status_t board_battery_simulate(uint16_t permille, uint32_t drain)
{
    (void)permille;
    (void)drain;
    return PED_ERR_NOT_SUPPORTED;
}

void board_battery_on_low(board_irq_fn fn, void *ctx)
{
    g.battery_fn = fn;
    g.battery_ctx = ctx;
}

void board_sleep(void)
{
    uint32_t key = save_and_disable_interrupts();
    if (g.events == g.seen) {
        __wfi();  /* a pending interrupt wakes it even while masked */
    }
    g.seen = g.events;
    restore_interrupts(key);
}

void board_reset(void)
{
    watchdog_reboot(0, 0, 0);
    for (;;) {
        __wfi();
    }
}

void board_exit(int code)
{
    (void)code;
    while (ped_ring_used(&g.tx)) {
        board_sleep();
    }
    board_reset();
}

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
