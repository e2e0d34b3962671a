/* fuzz_app.c - libFuzzer target: arbitrary bytes into the device's serial input path
 * (binary frame parser, packet dispatch, EEMBC text commands) with the demo model. */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "ped/app.h"
#include "ped/board.h"
#include "ped_model.h"

extern jmp_buf fuzz_reset_jump;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t arena[PED_MODEL_ARENA_BYTES] __attribute__((aligned(16)));
    static int8_t input[64];
    static ped_scheduler_t sched;
    static ped_app_t app;
    if (setjmp(fuzz_reset_jump) != 0) {
        return 0; /* the input asked for a reset */
    }
    if (ped_scheduler_init(&sched, &ped_model, arena, sizeof arena) != PED_OK) {
        __builtin_trap();
    }
    const ped_app_info_t info = {.build = "fuzz", .flash_bytes = 0, .input_scale_bits = 0};
    ped_app_init(&app, &sched, input, &info);
    for (size_t i = 0; i < size; i++) {
        ped_app_byte(&app, data[i]);
    }
    return 0;
}
