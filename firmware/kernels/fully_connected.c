/* fully_connected.c - see ped/kernels/fully_connected.h. */
#include "ped/kernels/fully_connected.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

void ped_fully_connected(const ped_fully_connected_params_t *p, const int8_t *input,
                         int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL && p->bias != NULL);
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in = input + (size_t)b * p->depth;
        int8_t *out = output + (size_t)b * p->units;
        for (int32_t u = 0; u < p->units; ++u) {
            int32_t acc = p->bias[u] + ped_dot_i8(p->filter + (size_t)u * p->depth, in, p->depth);
            const int32_t k = p->per_channel ? u : 0;
            acc = ped_mbqm(acc, p->multiplier[k], (int)p->shift[k]) + p->output_offset;
            out[u] = (int8_t)ped_clamp(acc, p->act_min, p->act_max);
        }
    }
}
