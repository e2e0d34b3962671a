/* depthwise_conv_2d.c - see ped/kernels/depthwise_conv_2d.h. */
#include "ped/kernels/depthwise_conv_2d.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

void ped_depthwise_conv_2d(const ped_depthwise_conv_2d_params_t *p, const int8_t *input,
                           int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    assert(p->out_c == p->in_c * p->depth_multiplier);
    const int32_t in_off = p->input_offset;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_h;
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_w;
            int8_t *out = output + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t oc = 0; oc < p->out_c; ++oc) {
                const int32_t ic = oc / p->depth_multiplier;
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
                        const int32_t x = input[((size_t)iy * p->in_w + ix) * p->in_c + ic];
                        const int32_t f = p->filter[((size_t)fy * p->k_w + fx) * p->out_c + oc];
                        acc += f * (x + in_off);
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
