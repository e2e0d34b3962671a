/* mean.c - see ped/kernels/mean.h. */
#include "ped/kernels/mean.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

void ped_mean(const ped_mean_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL && p->count > 0);
    int32_t od[4], rd[4];
    size_t stride[4];
    size_t s = 1;
    for (int a = 3; a >= 0; --a) {
        stride[a] = s;
        s *= (size_t)p->dims[a];
        od[a] = p->reduce[a] ? 1 : p->dims[a];
        rd[a] = p->reduce[a] ? p->dims[a] : 1;
    }
    const int32_t zp_sum = p->input_zero_point * p->count;
    size_t o = 0;
    for (int32_t i0 = 0; i0 < od[0]; ++i0) {
        for (int32_t i1 = 0; i1 < od[1]; ++i1) {
            for (int32_t i2 = 0; i2 < od[2]; ++i2) {
                for (int32_t i3 = 0; i3 < od[3]; ++i3) {
                    const int8_t *base = input + i0 * stride[0] + i1 * stride[1]
                                         + i2 * stride[2] + i3 * stride[3];
                    int32_t sum = 0;
                    for (int32_t r0 = 0; r0 < rd[0]; ++r0) {
                        for (int32_t r1 = 0; r1 < rd[1]; ++r1) {
                            for (int32_t r2 = 0; r2 < rd[2]; ++r2) {
                                const int8_t *q = base + r0 * stride[0] + r1 * stride[1]
                                                  + r2 * stride[2];
                                for (int32_t r3 = 0; r3 < rd[3]; ++r3) {
                                    sum += q[r3 * stride[3]];
                                }
                            }
                        }
                    }
                    const int32_t v = ped_mbqm(sum - zp_sum, p->multiplier, (int)p->shift)
                                      + p->output_zero_point;
                    output[o++] = (int8_t)ped_clamp(v, INT8_MIN, INT8_MAX);
                }
            }
        }
    }
}
