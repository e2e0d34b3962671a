/* conv_2d.c - see ped/kernels/conv_2d.h. */
#include "ped/kernels/conv_2d.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

/* acc of one output channel at an output position touching the border: taps outside the
   input read the pad value. */
static int32_t border_acc(const ped_conv_2d_params_t *p, const int8_t *input, const int8_t *filt,
                          int32_t y0, int32_t x0, int32_t g, int32_t fin_c) {
    const int32_t pad = -p->input_offset;
    int32_t acc = 0;
    for (int32_t fy = 0; fy < p->k_h; ++fy) {
        const int32_t iy = y0 + fy * p->dil_h;
        for (int32_t fx = 0; fx < p->k_w; ++fx) {
            const int32_t ix = x0 + fx * p->dil_w;
            const int8_t *f = filt + ((size_t)fy * p->k_w + fx) * fin_c;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                int32_t fsum = 0;
                for (int32_t ic = 0; ic < fin_c; ++ic) {
                    fsum += f[ic];
                }
                acc += pad * fsum;
            } else {
                acc += ped_dot_i8(f, input + ((size_t)iy * p->in_w + ix) * p->in_c
                                          + (size_t)g * fin_c, fin_c);
            }
        }
    }
    return acc;
}

void ped_conv_2d(const ped_conv_2d_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL && p->bias != NULL);
    assert(p->groups >= 1 && p->in_c % p->groups == 0 && p->out_c % p->groups == 0);
    const int32_t fin_c = p->in_c / p->groups;         /* input channels per filter */
    const int32_t per_group = p->out_c / p->groups;    /* filters per group */
    const int32_t ksize = p->k_h * p->k_w * fin_c;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    /* contiguous filter rows: one dot product of k_w * in_c per filter row */
    const int rows = p->groups == 1 && p->dil_w == 1;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_h;
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_w;
            const int inside = y0 >= 0 && y0 + span_h < p->in_h && x0 >= 0
                               && x0 + span_w < p->in_w;
            int8_t *out = output + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t oc = 0; oc < p->out_c; ++oc) {
                const int32_t g = oc / per_group;
                const int8_t *filt = p->filter + (size_t)oc * ksize;
                int32_t acc;
                if (inside && rows) {
                    acc = 0;
                    for (int32_t fy = 0; fy < p->k_h; ++fy) {
                        const int8_t *in = input
                            + ((size_t)(y0 + fy * p->dil_h) * p->in_w + x0) * p->in_c;
                        acc += ped_dot_i8(filt + (size_t)fy * p->k_w * fin_c, in,
                                          p->k_w * fin_c);
                    }
                } else {
                    acc = border_acc(p, input, filt, y0, x0, g, fin_c);
                }
                acc = ped_mbqm(acc + p->bias[oc], p->multiplier[oc], (int)p->shift[oc]);
                acc += p->output_offset;
                out[oc] = (int8_t)ped_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
}
