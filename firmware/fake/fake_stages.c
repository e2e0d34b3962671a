/* fake_stages.c - stand-in students with known cost and golden logits (see fake_stages.h). */
#include "fake_stages.h"

#include "ped/board.h"

static ped_stage_status_t fake_run(unsigned k, const int8_t *in, int8_t *logits,
                                   volatile const uint8_t *abort_flag)
{
    const uint64_t layer = (uint64_t)FAKE_LAYER_US * board_cycles_hz() / 1000000u;
    for (unsigned l = 0; l < FAKE_LAYERS; l++) {
        if (*abort_flag) {
            return PED_STAGE_ABORTED;
        }
        const uint64_t until = board_cycles() + layer;
        while (board_cycles() < until) {
            /* the layer's "compute" */
        }
    }
    const unsigned sample = (unsigned)(uint8_t)in[0] % GOLDEN_N_SAMPLES;
    for (unsigned j = 0; j < GOLDEN_N_CLASSES; j++) {
        logits[j] = golden_logits[k - 1][sample][j];
    }
    return PED_STAGE_DONE;
}

#define FAKE_DEFINE(k)                                                                      \
    ped_stage_status_t fake_stage_##k(const int8_t *in, uint8_t *arena, int8_t *logits,       \
                                      volatile const uint8_t *abort_flag)                   \
    {                                                                                       \
        (void)arena;                                                                        \
        return fake_run(k, in, logits, abort_flag);                                         \
    }

FAKE_DEFINE(1)
FAKE_DEFINE(2)
FAKE_DEFINE(3)
FAKE_DEFINE(4)
