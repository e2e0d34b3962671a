/* test model whose stage_01 (300 KB of weights) overflows qemu-m4 flash; see test_firmware_build.py */
#include "ped_model.h"
ped_stage_status_t stage_01_run(const int8_t *, uint8_t *, int8_t *, volatile const uint8_t *);
ped_stage_status_t stage_02_run(const int8_t *, uint8_t *, int8_t *, volatile const uint8_t *);
static const ped_stage_t stages[2] = {{stage_01_run, "stage_01", 0, 10, 0, 100, 1}, {stage_02_run, "stage_02", 0, 10, 0, 50, 1}};
static const uint8_t hash[32] = {0};
const ped_model_t ped_model = {2, 2, 4, 0, PED_MODEL_ARENA_BYTES, 0, stages, hash, 0, 0, "oversized"};
