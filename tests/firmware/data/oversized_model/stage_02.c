/* test model whose stage_01 (300 KB of weights) overflows qemu-m4 flash; see test_firmware_build.py */
#include <stdint.h>
#include "ped/model.h"
ped_stage_status_t stage_02_run(const int8_t *in, uint8_t *arena, int8_t *logits, volatile const uint8_t *abort_flag);
static const int8_t stage_02_w[1000] = {1, 2, 3};
ped_stage_status_t stage_02_run(const int8_t *in, uint8_t *arena, int8_t *logits, volatile const uint8_t *abort_flag)
{
    (void)arena; (void)abort_flag;
    for (int j = 0; j < 2; j++) logits[j] = stage_02_w[(uint8_t)in[0] + j];
    return PED_STAGE_DONE;
}
