/*
 * boards/esp32s3/board.c - board.h for the ESP32-S3-DevKitC-1 on PlatformIO's stock
 * `espressif32` platform with the Arduino framework (ESP-IDF 4.4 underneath; only IDF C APIs
 * are used; entry.cpp starts ped's main from setup()). NOT BUILT OR RUN HERE: this machine
 * has no internet to download the platform; a reviewed starting point, not tested code.
 *
 * Serial: UART0 (the USB-UART bridge) through the IDF UART driver, whose RX interrupt fills a
 * ring buffer. Time: esp_timer, 1 MHz, 64-bit (the CPU runs at 240 MHz; cost_cycles are
 * converted). Deadline: a one-shot esp_timer. Battery: ADC1 channel 0 (GPIO1, battery through
 * a 1:2 divider) sampled every 10 ms by a periodic esp_timer, low below BATTERY_LOW_MV.
 * Sleep: a FreeRTOS task notification from those callbacks, or at most one tick (UART data
 * does not notify). Callbacks run in the esp_timer task, which preempts the main task.
 */
#include "driver/adc.h"
#include "driver/uart.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "ped/board.h"

#define CPU_HZ 240000000u
#define BATTERY_LOW_MV 3300u
#define ADC_FULL_MV 3100u  /* ADC_ATTEN_DB_11, 12 bits, uncalibrated */

static struct {
    esp_timer_handle_t deadline, battery;
    board_irq_fn deadline_fn, battery_fn;
    void *deadline_ctx, *battery_ctx;
    TaskHandle_t main_task;
    volatile bool low;
} g;

const char *board_name(void) { return "esp32s3"; }
uint32_t board_cycles_hz(void) { return 1000000u; }
uint32_t board_cpu_hz(void) { return CPU_HZ; }
uint64_t board_cycles(void) { return (uint64_t)esp_timer_get_time(); }

/* board_cycles() already counts microseconds */
uint64_t board_micros(void) { return board_cycles(); }

static void wake(void) { xTaskNotifyGive(g.main_task); }

static void on_deadline(void *arg)
{
    (void)arg;
    board_irq_fn fn = g.deadline_fn;
    g.deadline_fn = NULL;
    if (fn) {
        fn(g.deadline_ctx);
    }
    wake();
}

static uint32_t battery_mv(void)
{
    return (uint32_t)adc1_get_raw(ADC1_CHANNEL_0) * ADC_FULL_MV * 2u / 4095u;
}

static void on_battery_sample(void *arg)
{
    (void)arg;
    bool low = battery_mv() < BATTERY_LOW_MV;
    if (low && !g.low && g.battery_fn) {
        g.battery_fn(g.battery_ctx);
        wake();
    }
    g.low = low;
}

ped_status_t board_init(void)
{
    g.main_task = xTaskGetCurrentTaskHandle();
    const uart_config_t cfg = {.baud_rate = 115200, .data_bits = UART_DATA_8_BITS,
                               .parity = UART_PARITY_DISABLE, .stop_bits = UART_STOP_BITS_1,
                               .flow_ctrl = UART_HW_FLOWCTRL_DISABLE};
    if (uart_driver_install(UART_NUM_0, 1024, 1024, 0, NULL, 0) != ESP_OK ||
        uart_param_config(UART_NUM_0, &cfg) != ESP_OK) {
        return PED_ERR_NOT_SUPPORTED;
    }
    const esp_timer_create_args_t d = {.callback = on_deadline, .name = "ped_deadline"};
    const esp_timer_create_args_t b = {.callback = on_battery_sample, .name = "ped_battery"};
    if (esp_timer_create(&d, &g.deadline) != ESP_OK || esp_timer_create(&b, &g.battery) != ESP_OK) {
        return PED_ERR_NOT_SUPPORTED;
    }
    adc1_config_width(ADC_WIDTH_BIT_12);
    adc1_config_channel_atten(ADC1_CHANNEL_0, ADC_ATTEN_DB_11);
    g.low = battery_mv() < BATTERY_LOW_MV;
    esp_timer_start_periodic(g.battery, 10000);
    return PED_OK;
}

size_t board_serial_write(const uint8_t *data, size_t len)
{
    int n = uart_write_bytes(UART_NUM_0, (const char *)data, len);  /* blocks while full */
    return n < 0 ? 0 : (size_t)n;
}

size_t board_serial_read(uint8_t *dst, size_t max)
{
    int n = uart_read_bytes(UART_NUM_0, dst, (uint32_t)max, 0);
    return n < 0 ? 0 : (size_t)n;
}

size_t board_serial_available(void)
{
    size_t n = 0;
    uart_get_buffered_data_len(UART_NUM_0, &n);
    return n;
}

uint32_t board_serial_rx_dropped(void) { return 0; }  /* the IDF driver does not count them */
void board_console_write(const char *text, size_t len)
{
    board_serial_write((const uint8_t *)text, len);
}

ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    if (us == 0 || !fn) {
        return PED_ERR_ARG;
    }
    esp_timer_stop(g.deadline);
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    return esp_timer_start_once(g.deadline, us) == ESP_OK ? PED_OK : PED_ERR_ARG;
}

void board_deadline_cancel(void)
{
    esp_timer_stop(g.deadline);
    g.deadline_fn = NULL;
}

bool board_battery_low(void) { return g.low; }
uint16_t board_battery_threshold(void) { return (uint16_t)(BATTERY_LOW_MV * 1000u / 4200u); }
uint16_t board_battery_permille(void)
{
    uint32_t mv = battery_mv();  /* 1000 at 4.2 V (full Li-ion) */
    return (uint16_t)(mv >= 4200u ? 1000u : mv * 1000u / 4200u);
}

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

void board_sleep(void) { ulTaskNotifyTake(pdTRUE, 1); }
void board_reset(void) { esp_restart(); }
void board_exit(int code)
{
    (void)code;
    uart_wait_tx_done(UART_NUM_0, portMAX_DELAY);
    esp_restart();
}

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
