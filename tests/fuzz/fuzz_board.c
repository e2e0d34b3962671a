/* fuzz_board.c - a board.h with no hardware, for fuzzing the application's input path.
 * Serial output is discarded, time advances by one tick per call, the deadline and battery
 * never fire, and a reset request ends the current input (longjmp back to the fuzzer). */
#include <setjmp.h>
#include <stdint.h>

#include "ped/board.h"

jmp_buf fuzz_reset_jump;
static uint64_t ticks;

ped_status_t board_init(void) { return PED_OK; }
const char *board_name(void) { return "fuzz"; }
size_t board_serial_write(const uint8_t *data, size_t len)
{
    (void)data;
    return len;
}
size_t board_serial_read(uint8_t *dst, size_t max)
{
    (void)dst;
    (void)max;
    return 0;
}
size_t board_serial_available(void) { return 0; }
uint32_t board_serial_rx_dropped(void) { return 0; }
void board_console_write(const char *text, size_t len)
{
    (void)text;
    (void)len;
}
uint64_t board_cycles(void) { return ticks += 997u; } /* fast time: fake layers end quickly */
uint32_t board_cycles_hz(void) { return 1000000u; }
uint64_t board_micros(void) { return board_cycles(); }
uint32_t board_cpu_hz(void) { return 1000000u; }
ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    (void)ctx;
    return (us == 0 || fn == 0) ? PED_ERR_ARG : PED_OK;
}
void board_deadline_cancel(void) {}
uint16_t board_battery_permille(void) { return 1000; }
bool board_battery_low(void) { return false; }
void board_battery_on_low(board_irq_fn fn, void *ctx)
{
    (void)fn;
    (void)ctx;
}
ped_status_t board_battery_simulate(uint16_t permille, uint32_t drain)
{
    (void)drain;
    return permille > 1000 ? PED_ERR_ARG : PED_OK;
}
uint16_t board_battery_threshold(void) { return 100; }
void board_sleep(void) {}
void board_reset(void) { longjmp(fuzz_reset_jump, 1); }
void board_exit(int code) { longjmp(fuzz_reset_jump, 2 + code); }

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
