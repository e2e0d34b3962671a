/*
 * main.c - the ped firmware: boots the board, binds the generated model (ped_model.h) to the
 * scheduler and serves the serial protocol (docs/protocol.md: binary frames and the EEMBC
 * text mode) until reset. Everything stateful is a static object here or in the board.
 */
#include <stddef.h>

#include "ped/app.h"
#include "ped/board.h"
#include "ped/scheduler.h"
#include "ped_model.h"

#ifndef PED_MODEL_ARENA_BYTES
#error "ped_model.h must define PED_MODEL_ARENA_BYTES"
#endif
#ifndef PED_INPUT_CAPACITY
#define PED_INPUT_CAPACITY 4096u /* int8 input elements the application can hold */
#endif
#ifndef PED_MODEL_INPUT_SCALE_BITS
#define PED_MODEL_INPUT_SCALE_BITS 0u
#endif
#ifndef PED_BUILD_ID
#define PED_BUILD_ID "dev"
#endif

static uint8_t ped_arena[PED_MODEL_ARENA_BYTES] __attribute__((aligned(16)));
static int8_t ped_input[PED_INPUT_CAPACITY];
static ped_scheduler_t ped_sched;
static ped_app_t ped_app;

static void fail(const char *what, ped_status_t st)
{
    static const char prefix[] = "ped: cannot start: ";
    board_console_write(prefix, sizeof prefix - 1);
    const char *s = ped_status_str(st);
    size_t n = 0;
    while (what[n]) {
        n++;
    }
    board_console_write(what, n);
    board_console_write(" ", 1);
    for (n = 0; s[n]; n++) {
    }
    board_console_write(s, n);
    board_console_write("\n", 1);
    board_exit(1);
}

int main(void)
{
    ped_status_t st = board_init();
    if (st != PED_OK) {
        fail("board_init", st);
    }
    if (ped_model.input_len > PED_INPUT_CAPACITY) {
        fail("input larger than PED_INPUT_CAPACITY", PED_ERR_ARG);
    }
    st = ped_scheduler_init(&ped_sched, &ped_model, ped_arena, sizeof ped_arena);
    if (st != PED_OK) {
        fail("ped_scheduler_init", st);
    }
    const ped_app_info_t info = {
        .build = PED_BUILD_ID,
        .flash_bytes = 0u,
        .input_scale_bits = PED_MODEL_INPUT_SCALE_BITS,
    };
    ped_app_init(&ped_app, &ped_sched, ped_input, &info);
    for (;;) {
        if (board_serial_available() == 0) {
            board_sleep(); /* the RX interrupt wakes us */
        }
        ped_app_poll(&ped_app);
        ped_app_tick(&ped_app);
    }
}
