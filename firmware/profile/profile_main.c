/*
 * profile_main.c - cycles per stage for `ped profile` (pipeline/profile.py), on the model the
 * build was given (ped_model.h). Every stage is called directly (no scheduler, no deadline),
 * stages in order inside each repetition so a stage that reads an earlier stage's feature map
 * finds it in the arena. Prints, then exits:
 *   PROFILE hz <board_cycles_hz> cpu <board_cpu_hz>
 *   PROFILE layer <k> <l> rep <r> ticks <ticks from the previous layer's end to layer l's>
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

#define PED_PROFILE_MAX_LAYERS 64u
/* Timestamps of the current stage call, one per kernel call (PED_LAYER_DONE). */
static uint64_t layer_done_at[PED_PROFILE_MAX_LAYERS];
static uint16_t layers_seen;

void ped_profile_layer_done(uint16_t layer)
{
    if (layer < PED_PROFILE_MAX_LAYERS) {
        layer_done_at[layer] = board_cycles();
        layers_seen = (uint16_t)(layer + 1u);
    }
}

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
            layers_seen = 0;
            const uint64_t t0 = board_cycles();
            (void)ped_model.stages[k].run(ped_input, ped_arena, ped_logits, &abort_flag);
            const uint64_t t1 = board_cycles();
            uint64_t prev = t0;
            for (uint16_t l = 0; l < layers_seen; l++) {
                ped_text_str(&t, "PROFILE layer ");
                ped_text_u64(&t, (uint64_t)k + 1u);
                ped_text_str(&t, " ");
                ped_text_u64(&t, l);
                ped_text_str(&t, " rep ");
                ped_text_u64(&t, r);
                ped_text_str(&t, " ticks ");
                ped_text_u64(&t, layer_done_at[l] - prev);
                ped_text_flush(&t);
                prev = layer_done_at[l];
            }
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
