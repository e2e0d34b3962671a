/*
 * ped/board.h - the only door to hardware. Each board implements every call below in
 * boards/<name>/ (or a shared folder it names); portable code includes nothing else that
 * touches hardware. All state behind these calls belongs to the board.
 *
 * Interrupt context: callbacks registered here (board_irq_fn) run in interrupt context (an ISR
 * on microcontrollers, a signal handler on `native`). They must be short, must not call
 * board_serial_write/board_console_write, and should only set flags.
 *
 * Time: board_cycles() is a free-running 64-bit counter at board_cycles_hz(), in the board's
 * cost unit (boards/<board>/board.toml `cost_unit`, the unit of ped_stage_t.cost_cycles): on
 * real Cortex-M4/M7 boards with DWT CPU cycles (CYCCNT); on QEMU executed instructions
 * (-icount: SysTick ticks of instruction-counted time times instructions per tick), not real
 * cycles; on `native` nanoseconds.
 */
#ifndef PED_BOARD_H
#define PED_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ped/status.h"

#if defined(__GNUC__)
#define PED_NORETURN __attribute__((noreturn))
#else
#define PED_NORETURN
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*board_irq_fn)(void *ctx);

/* Bring up clocks, the cycle counter, serial (RX interrupt on), timers, battery monitor.
 * Call once before anything else. @retval PED_OK, or the first failure. */
ped_status_t board_init(void);

/* Short board name, e.g. "qemu-m4" (the folder name under boards/). Never NULL. */
const char *board_name(void);

/* ---- serial (the protocol port) ---------------------------------------------------- */

/* Queue len bytes for transmission; sleeps (board_sleep) while the TX buffer is full, so it
 * returns once every byte is queued or sent. Not for interrupt context. @return len. */
size_t board_serial_write(const uint8_t *data, size_t len);

/* Copy up to max received bytes out of the RX ring (filled by the RX interrupt). Never
 * blocks. @return the number of bytes copied (0 when none are waiting). */
size_t board_serial_read(uint8_t *dst, size_t max);

/* Bytes waiting in the RX ring. */
size_t board_serial_available(void);

/* Bytes the RX interrupt had to drop because the ring was full (since board_init). */
uint32_t board_serial_rx_dropped(void);

/* ---- debug console ------------------------------------------------------------------ */

/* Human-readable text for tests and debugging. On `native` this is stdout; on boards with a
 * single UART it is the serial port itself, so do not mix it with the binary protocol. */
void board_console_write(const char *text, size_t len);

/* ---- time ---------------------------------------------------------------------------- */

/* Monotonic counter since board_init; wraps after centuries. Safe in interrupt context. */
uint64_t board_cycles(void);

/* Frequency of board_cycles(), in Hz. */
uint32_t board_cycles_hz(void);

/* Microseconds since board_init on the board's clock, monotonic, for timestamps a host
 * compares with its own clock (the EEMBC / MLPerf Tiny text mode's m-lap-us-): wall time on
 * `native` (CLOCK_MONOTONIC, unlike board_cycles' CPU time), instruction time under QEMU
 * -icount (1 µs = 1000 virtual ns), the timer or cycle counter on real boards. Safe in
 * interrupt context. */
uint64_t board_micros(void);

/* Cost units per second (CPU cycles, or instructions on QEMU): the rate of
   ped_stage_t.cost_cycles (profiled on the board, in its cost unit). */
uint32_t board_cpu_hz(void);

/* Arm the one-shot deadline timer: fn(ctx) runs in interrupt context `us` microseconds from
 * now (us >= 1). Re-arming replaces a pending deadline.
 * @retval PED_OK, PED_ERR_ARG (us == 0 or fn NULL, or us beyond the timer's range). */
ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx);

/* Disarm the deadline timer; after return its callback will not run. Idempotent. */
void board_deadline_cancel(void);

/* ---- battery ------------------------------------------------------------------------- */

/* Battery level in permille (1000 = full). Real boards without a fuel gauge report 1000
 * while above the brown-out threshold and 0 below it. */
uint16_t board_battery_permille(void);

/* True while the supply is below the board's brown-out threshold. */
bool board_battery_low(void);

/* Register fn(ctx), run in interrupt context each time the supply falls below the brown-out
 * threshold (nRF52 POFWARN, STM32 PVD, the energy model on emulated boards). fn NULL
 * unregisters. One registration at a time; a new one replaces the old. */
void board_battery_on_low(board_irq_fn fn, void *ctx);

/* Emulated boards: restart the energy model at `permille` charge, spending `drain` permille
 * per 10^9 CPU cycles from now (0 = no drain). Falling below the threshold fires the
 * battery-low callback at the exact cycle it happens (a timer interrupt).
 * @retval PED_OK, PED_ERR_ARG (permille > 1000), PED_ERR_NOT_SUPPORTED on real boards. */
ped_status_t board_battery_simulate(uint16_t permille, uint32_t drain);

/* The board's brown-out threshold, in permille. */
uint16_t board_battery_threshold(void);

/* ---- sensor (field trials) ------------------------------------------------------------ */

/* Copy the next complete window of `len` int8 samples (already quantized to the model's
 * input: the IMU axes interleaved, as the training windows) into `window`.
 * @retval PED_OK (a window was copied), PED_ERR_BUSY (no new window yet),
 * PED_ERR_NOT_IMPLEMENTED (this port has no IMU driver yet: every board today; emulated
 * boards take their windows from the host instead, WINDOW messages). */
ped_status_t board_sensor_read(int8_t *window, uint32_t len);

/* ---- power --------------------------------------------------------------------------- */

/* Sleep until the next interrupt (WFI; sigsuspend on `native`). An interrupt that arrived
 * since the previous board_sleep() returned makes it return at once, so a caller that
 * checks a flag and then sleeps cannot miss the wake-up. */
void board_sleep(void);

/* Reset the chip (the process restarts itself on `native`). Does not return. */
PED_NORETURN void board_reset(void);

/* End the program with a status, for tests: semihosting exit on QEMU, exit() on `native`,
 * reset on real boards. Flushes serial and console first. Does not return. */
PED_NORETURN void board_exit(int code);

#ifdef __cplusplus
}
#endif

#endif /* PED_BOARD_H */
