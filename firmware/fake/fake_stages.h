/*
 * fake_stages.h - stand-in students for tests and the demo firmware until `ped codegen`
 * provides real ones. Fake stage k (1..FAKE_N_STAGES) burns FAKE_LAYERS layers of
 * FAKE_LAYER_US microseconds each (busy on board_cycles(), like real compute), checks the
 * abort flag before every layer, and writes the golden int8 logits of sample input[0] %
 * GOLDEN_N_SAMPLES (firmware/fake/golden_agg.h, made by pipeline/aggregate.py's plan).
 */
#ifndef PED_FAKE_STAGES_H
#define PED_FAKE_STAGES_H

#include "golden_agg.h"
#include "ped/model.h"

#ifndef FAKE_LAYER_US
#define FAKE_LAYER_US 2000u
#endif
#define FAKE_LAYERS 4u
#define FAKE_N_STAGES GOLDEN_N_STAGES
#define FAKE_N_CLASSES GOLDEN_N_CLASSES
#ifndef PED_CPU_HZ
#error "PED_CPU_HZ (cost units per second: pipeline.boards.Board.cost_hz) must come from the build"
#endif
/* One fake stage's true cost in the board's cost unit (what a profiler would record). */
#define FAKE_STAGE_CYCLES ((uint32_t)((uint64_t)FAKE_LAYERS * FAKE_LAYER_US * PED_CPU_HZ / 1000000u))

ped_stage_status_t fake_stage_1(const int8_t *in, uint8_t *arena, int8_t *logits,
                                volatile const uint8_t *abort_flag);
ped_stage_status_t fake_stage_2(const int8_t *in, uint8_t *arena, int8_t *logits,
                                volatile const uint8_t *abort_flag);
ped_stage_status_t fake_stage_3(const int8_t *in, uint8_t *arena, int8_t *logits,
                                volatile const uint8_t *abort_flag);
ped_stage_status_t fake_stage_4(const int8_t *in, uint8_t *arena, int8_t *logits,
                                volatile const uint8_t *abort_flag);

/* A stage-table entry for fake stage k (1-based) declaring `cost` profiled cycles. */
#define FAKE_STAGE(k, cost)                                                                 \
    {fake_stage_##k, "fake_" #k, (cost), 1000u * (k), GOLDEN_ZERO_POINT_##k,                   \
     GOLDEN_MULTIPLIER_##k, FAKE_LAYERS}

#endif /* PED_FAKE_STAGES_H */
