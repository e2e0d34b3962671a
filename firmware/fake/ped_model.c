/* ped_model.c - demo stage table over the fake stages (profiled costs declared). */
#include "ped_model.h"

#include "fake_stages.h"
#include "golden_agg.h"

static const ped_stage_t stages[FAKE_N_STAGES] = {
    FAKE_STAGE(1, FAKE_STAGE_CYCLES), FAKE_STAGE(2, FAKE_STAGE_CYCLES),
    FAKE_STAGE(3, FAKE_STAGE_CYCLES), FAKE_STAGE(4, FAKE_STAGE_CYCLES)};

static const uint8_t hash[32] = {0};

const ped_model_t ped_model = {
    .n_stages = FAKE_N_STAGES,
    .n_classes = FAKE_N_CLASSES,
    .input_len = 1,
    .input_zero_point = 0,
    .arena_bytes = PED_MODEL_ARENA_BYTES,
    .default_class = 3,
    .stages = stages,
    .bundle_hash = hash,
    .prob_multiplier = GOLDEN_PROB_MULTIPLIER,
    .prob_shift = GOLDEN_PROB_SHIFT,
    .key = "ped_demo",
};
