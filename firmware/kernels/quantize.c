/* quantize.c - see ped/kernels/quantize.h. */
#include "ped/kernels/quantize.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

void ped_quantize(const ped_quantize_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t v = ped_mbqm((int32_t)input[i] - p->input_zero_point, p->multiplier,
                                   (int)p->shift) + p->output_zero_point;
        output[i] = (int8_t)ped_clamp(v, INT8_MIN, INT8_MAX);
    }
}
