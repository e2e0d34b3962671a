/*
 * profile_main.c - cycles per stage for `ped profile` (pipeline/profile.py), on the model the
 * build was given (ped_model.h). Every stage is called directly (no scheduler, no deadline),
 * stages in order inside each repetition so a stage that reads an earlier stage's feature map
 * finds it in the arena. Prints, then exits:
 *   PROFILE hz <board_cycles_hz> cpu <board_cpu_hz>
 *   PROFILE stage <k> rep <r> ticks <board_cycles() ticks of one call>
 *   PROFILE done
 * Under QEMU -icount the ticks are instruction time (deterministic), on native nanoseconds.
 */
#include "ped/board.h"
#include "ped/text.h"
#include "ped_model.h"

#ifndef PED_PROFILE_REPS
#define PED_PROFILE_REPS 3u
#endif

static uint8_t ped_arena[PED_MODEL_ARENA_BYTES] __attribute__((aligned(16)));
static int8_t ped_input[PED_INPUT_LEN];
static int8_t ped_logits[PED_N_CLASSES];

int main(void)
{
    ped_text_t t = {.len = 0};
    volatile uint8_t abort_flag = 0;
    uint32_t s = 12345u;
    if (board_init() != PED_OK) {
        ped_text_str(&t, "PROFILE error init");
        ped_text_flush(&t);
        return 1;
    }
    for (uint32_t i = 0; i < PED_INPUT_LEN; i++) {  /* the golden tests' LCG input */
        s = s * 1103515245u + 12345u;
        ped_input[i] = (int8_t)(s >> 24);
    }
    ped_text_str(&t, "PROFILE hz ");
    ped_text_u64(&t, board_cycles_hz());
    ped_text_str(&t, " cpu ");
    ped_text_u64(&t, board_cpu_hz());
    ped_text_flush(&t);
    for (uint32_t r = 0; r < PED_PROFILE_REPS; r++) {
        for (uint16_t k = 0; k < ped_model.n_stages; k++) {
            const uint64_t t0 = board_cycles();
            (void)ped_model.stages[k].run(ped_input, ped_arena, ped_logits, &abort_flag);
            const uint64_t t1 = board_cycles();
            ped_text_str(&t, "PROFILE stage ");
            ped_text_u64(&t, (uint64_t)k + 1u);
            ped_text_str(&t, " rep ");
            ped_text_u64(&t, r);
            ped_text_str(&t, " ticks ");
            ped_text_u64(&t, t1 - t0);
            ped_text_flush(&t);
        }
    }
    ped_text_str(&t, "PROFILE done");
    ped_text_flush(&t);
    return 0;
}
