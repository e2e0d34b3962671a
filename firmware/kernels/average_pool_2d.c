/* average_pool_2d.c - see ped/kernels/average_pool_2d.h. */
#include "ped/kernels/average_pool_2d.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"
#include "ped/kernels/window.h"

void ped_average_pool_2d(const ped_pool_2d_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const ped_window_t wy = ped_window(oy, p->stride_h, p->pad_h, p->k_h, p->in_h);
        const int32_t y0 = wy.start, fy0 = wy.lo, fy1 = wy.hi;
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const ped_window_t wx = ped_window(ox, p->stride_w, p->pad_w, p->k_w, p->in_w);
            const int32_t x0 = wx.start, fx0 = wx.lo, fx1 = wx.hi;
            const int32_t count = (fy1 - fy0) * (fx1 - fx0);
            assert(count > 0);
            for (int32_t c = 0; c < p->channels; ++c) {
                int32_t acc = 0;
                for (int32_t fy = fy0; fy < fy1; ++fy) {
                    for (int32_t fx = fx0; fx < fx1; ++fx) {
                        acc += input[((size_t)(y0 + fy) * p->in_w + (x0 + fx)) * p->channels + c];
                    }
                }
                acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                output[((size_t)oy * p->out_w + ox) * p->channels + c] =
                    (int8_t)ped_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
}
