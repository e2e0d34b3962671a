/* conv_2d_grouped.c - ped_conv_2d_grouped, see ped/kernels/conv_2d.h. */
#include "ped/kernels/conv_2d.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"
#include "ped/kernels/window.h"

/* TFLM's sum over the taps inside the input of f * (x + input_offset), any dilation/groups. */
static int32_t generic_acc(const ped_conv_2d_params_t *p, const int8_t *input, const int8_t *filt,
                           int32_t y0, int32_t x0, int32_t g, int32_t fin_c) {
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
            acc += ped_dot_off_i8(filt + ((size_t)fy * p->k_w + fx) * fin_c,
                                  input + ((size_t)iy * p->in_w + ix) * p->in_c
                                      + (size_t)g * fin_c,
                                  fin_c, p->input_offset);
        }
    }
    return acc;
}

void ped_conv_2d_grouped(const ped_conv_2d_params_t *p, const int8_t *input,
                         int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    assert(p->bias != NULL && p->bias_eff != NULL);
    assert(p->groups >= 1 && p->in_c % p->groups == 0 && p->out_c % p->groups == 0);
    const int32_t fin_c = p->in_c / p->groups;         /* input channels per filter */
    const int32_t per_group = p->out_c / p->groups;    /* filters per group */
    const int32_t ksize = p->k_h * p->k_w * fin_c;
    /* dense filter rows: taps fx0..fx1 of a row are one contiguous dot product */
    const int rows = p->groups == 1 && p->dil_w == 1 && p->dil_h == 1;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const ped_window_t wy = ped_window(oy, p->stride_h, p->pad_h, p->k_h, p->in_h);
        const int32_t y0 = wy.start, fy0 = wy.lo, fy1 = wy.hi;
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const ped_window_t wx = ped_window(ox, p->stride_w, p->pad_w, p->k_w, p->in_w);
            const int32_t x0 = wx.start, fx0 = wx.lo, fx1 = wx.hi;
            const int inside = fy0 == 0 && fx0 == 0 && fy1 == p->k_h && fx1 == p->k_w;
            const int32_t n = (fx1 - fx0) * fin_c;
            int8_t *out = output + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t oc = 0; oc < p->out_c; ++oc) {
                const int8_t *filt = p->filter + (size_t)oc * ksize;
                int32_t acc;
                if (rows && inside) {
                    acc = p->bias_eff[oc];
                    for (int32_t fy = 0; fy < p->k_h; ++fy) {
                        acc += ped_dot_i8(filt + (size_t)fy * p->k_w * fin_c,
                                          input + ((size_t)(y0 + fy) * p->in_w + x0) * p->in_c,
                                          n);
                    }
                } else if (rows) {
                    acc = p->bias[oc];
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        acc += ped_dot_off_i8(
                            filt + ((size_t)fy * p->k_w + fx0) * fin_c,
                            input + ((size_t)(y0 + fy) * p->in_w + x0 + fx0) * p->in_c, n,
                            p->input_offset);
                    }
                } else {
                    acc = p->bias[oc]
                          + generic_acc(p, input, filt, y0, x0, oc / per_group, fin_c);
                }
                acc = ped_mbqm(acc, p->multiplier[oc], (int)p->shift[oc]);
                acc += p->output_offset;
                out[oc] = (int8_t)ped_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
}
