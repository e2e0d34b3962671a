/* conv_2d.c - see ped/kernels/conv_2d.h. */
#include "ped/kernels/conv_2d.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

void ped_conv_2d(const ped_conv_2d_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    assert(p->groups >= 1 && p->in_c % p->groups == 0 && p->out_c % p->groups == 0);
    const int32_t fin_c = p->in_c / p->groups;         /* input channels per filter */
    const int32_t per_group = p->out_c / p->groups;    /* filters per group */
    const int32_t in_off = p->input_offset;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_h;
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_w;
            int8_t *out = output + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t oc = 0; oc < p->out_c; ++oc) {
                const int32_t g = oc / per_group;
                const int8_t *filt = p->filter + (size_t)oc * p->k_h * p->k_w * fin_c;
                int32_t acc = 0;
                for (int32_t fy = 0; fy < p->k_h; ++fy) {
                    const int32_t iy = y0 + fy * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) {
                        continue;
                    }
                    for (int32_t fx = 0; fx < p->k_w; ++fx) {
                        const int32_t ix = x0 + fx * p->dil_w;
                        if (ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        const int8_t *in = input + ((size_t)iy * p->in_w + ix) * p->in_c
                                           + (size_t)g * fin_c;
                        const int8_t *f = filt + ((size_t)fy * p->k_w + fx) * fin_c;
                        for (int32_t ic = 0; ic < fin_c; ++ic) {
                            acc += (int32_t)f[ic] * ((int32_t)in[ic] + in_off);
                        }
                    }
                }
                if (p->bias != NULL) {
                    acc += p->bias[oc];
                }
                acc = ped_mbqm(acc, p->multiplier[oc], (int)p->shift[oc]);
                acc += p->output_offset;
                out[oc] = (int8_t)ped_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
}
