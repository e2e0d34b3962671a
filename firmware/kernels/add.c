/* add.c - see ped/kernels/add.h. */
#include "ped/kernels/add.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

void ped_add(const ped_add_params_t *p, const int8_t *input1, const int8_t *input2,
             int8_t *output) {
    assert(p != NULL && input1 != NULL && input2 != NULL && output != NULL);
    assert(p->input1_shift <= 0 && p->input2_shift <= 0 && p->output_shift <= 0);
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t a = ((int32_t)input1[i] + p->input1_offset) * (1 << p->left_shift);
        const int32_t b = ((int32_t)input2[i] + p->input2_offset) * (1 << p->left_shift);
        const int32_t sa = ped_mbqm(a, p->input1_multiplier, (int)p->input1_shift);
        const int32_t sb = ped_mbqm(b, p->input2_multiplier, (int)p->input2_shift);
        int32_t out = ped_mbqm(sa + sb, p->output_multiplier, (int)p->output_shift);
        out += p->output_offset;
        output[i] = (int8_t)ped_clamp(out, p->act_min, p->act_max);
    }
}
