/* pad.c - see ped/kernels/pad.h. */
#include "ped/kernels/pad.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

void ped_pad(const ped_pad_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    const int32_t *o = p->out_dims;
    const int32_t *d = p->in_dims;
    memset(output, (int8_t)p->pad_value,
           (size_t)o[0] * (size_t)o[1] * (size_t)o[2] * (size_t)o[3]);
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                const size_t src = (((size_t)i0 * d[1] + i1) * d[2] + i2) * d[3];
                const size_t dst = ((((size_t)i0 + p->before[0]) * o[1] + i1 + p->before[1])
                                    * o[2] + i2 + p->before[2]) * o[3] + p->before[3];
                memcpy(output + dst, input + src, (size_t)d[3]);
            }
        }
    }
}
