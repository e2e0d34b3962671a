/* mean.c - see ped/kernels/mean.h. */
#include "ped/kernels/mean.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>

void ped_mean(const ped_mean_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    int32_t od[4], count = 1;
    size_t stride[4];
    size_t s = 1;
    for (int a = 3; a >= 0; --a) {
        stride[a] = s;
        s *= (size_t)p->dims[a];
        od[a] = p->reduce[a] ? 1 : p->dims[a];
        count *= p->reduce[a] ? p->dims[a] : 1;
    }
    assert(count > 0);
    const int32_t rd[4] = {p->reduce[0] ? p->dims[0] : 1, p->reduce[1] ? p->dims[1] : 1,
                           p->reduce[2] ? p->dims[2] : 1, p->reduce[3] ? p->dims[3] : 1};
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
                    if (!p->use_float) {
                        output[o++] = (int8_t)(sum / count);
                        continue;
                    }
                    const float mean = (float)sum / (float)count;
                    /* volatile: keep `mean * scale + bias` two roundings (no FMA contraction),
                       as in TFLM's build. */
                    volatile float scaled = mean * p->scale;
                    float r = roundf(scaled + p->bias) + (float)p->output_zero_point;
                    r = r < 127.0f ? r : 127.0f;
                    r = r > -128.0f ? r : -128.0f;
                    output[o++] = (int8_t)r;
                }
            }
        }
    }
}
