/* depthwise_conv_2d_mult.c - ped_depthwise_conv_2d_mult (any depth multiplier), see
   ped/kernels/depthwise_conv_2d.h. */
#include "ped/kernels/depthwise_conv_2d.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

enum { CHUNK = 16 }; /* output channels accumulated together (stack: 64 bytes) */

void ped_depthwise_conv_2d_mult(const ped_depthwise_conv_2d_params_t *p, const int8_t *input,
                                int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL && p->bias != NULL);
    assert(p->out_c == p->in_c * p->depth_multiplier);
    const int32_t pad = -p->input_offset;
    const int32_t dm = p->depth_multiplier;
    int32_t acc[CHUNK];
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_h;
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_w;
            int8_t *out = output + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t c0 = 0; c0 < p->out_c; c0 += CHUNK) {
                const int32_t n = p->out_c - c0 < CHUNK ? p->out_c - c0 : CHUNK;
                for (int32_t j = 0; j < n; ++j) {
                    acc[j] = 0;
                }
                for (int32_t fy = 0; fy < p->k_h; ++fy) {
                    const int32_t iy = y0 + fy * p->dil_h;
                    for (int32_t fx = 0; fx < p->k_w; ++fx) {
                        const int32_t ix = x0 + fx * p->dil_w;
                        const int8_t *f = p->filter + ((size_t)fy * p->k_w + fx) * p->out_c + c0;
                        if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                            for (int32_t j = 0; j < n; ++j) {
                                acc[j] += f[j] * pad;
                            }
                        } else if (dm == 1) {
                            const int8_t *in = input + ((size_t)iy * p->in_w + ix) * p->in_c + c0;
                            for (int32_t j = 0; j < n; ++j) {
                                acc[j] += (int32_t)f[j] * in[j];
                            }
                        } else {
                            const int8_t *in = input + ((size_t)iy * p->in_w + ix) * p->in_c;
                            for (int32_t j = 0; j < n; ++j) {
                                acc[j] += (int32_t)f[j] * in[(c0 + j) / dm];
                            }
                        }
                    }
                }
                for (int32_t j = 0; j < n; ++j) {
                    const int32_t c = c0 + j;
                    int32_t v = ped_mbqm(acc[j] + p->bias[c], p->multiplier[c], (int)p->shift[c]);
                    v += p->output_offset;
                    out[c] = (int8_t)ped_clamp(v, p->act_min, p->act_max);
                }
            }
        }
    }
}
