/* mul.c - see ped/kernels/mul.h. */
#include "ped/kernels/mul.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

void ped_mul(const ped_mul_params_t *p, const int8_t *input1, const int8_t *input2,
             int8_t *output) {
    assert(p != NULL && input1 != NULL && input2 != NULL && output != NULL);
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t a = (int32_t)input1[i * p->input1_stride] + p->input1_offset;
        const int32_t b = (int32_t)input2[i * p->input2_stride] + p->input2_offset;
        const int32_t v = p->output_offset
                          + ped_mbqm(a * b, p->output_multiplier, (int)p->output_shift);
        output[i] = (int8_t)ped_clamp(v, p->act_min, p->act_max);
    }
}
