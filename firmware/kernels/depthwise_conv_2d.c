/* depthwise_conv_2d.c - ped_depthwise_conv_2d (depth multiplier 1), see
   ped/kernels/depthwise_conv_2d.h. */
#include "ped/kernels/depthwise_conv_2d.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/simd.h"

/* four channels of one tap: acc[j] += s[j] * f[j], j = 0..3 */
#if PED_KERNELS_DSP
#define MAC4(s, f)                                                                   \
    do {                                                                             \
        const uint32_t xw_ = ped_ld32(s), fw_ = ped_ld32(f);                         \
        const int32_t x02_ = ped_sxtb16_lo(xw_), x13_ = ped_sxtb16_hi(xw_);          \
        const int32_t f02_ = ped_sxtb16_lo(fw_), f13_ = ped_sxtb16_hi(fw_);          \
        a0 = __smlabb(x02_, f02_, a0);                                               \
        a2 = __smlatt(x02_, f02_, a2);                                               \
        a1 = __smlabb(x13_, f13_, a1);                                               \
        a3 = __smlatt(x13_, f13_, a3);                                               \
    } while (0)
#else
#define MAC4(s, f)                                                                   \
    do {                                                                             \
        a0 += (int32_t)(s)[0] * (f)[0];                                              \
        a1 += (int32_t)(s)[1] * (f)[1];                                              \
        a2 += (int32_t)(s)[2] * (f)[2];                                              \
        a3 += (int32_t)(s)[3] * (f)[3];                                              \
    } while (0)
#endif

/* acc[j] += sum over taps of taps[t][c + j] * f[t * ch + j], j = 0..3 (taps[t] points at
   channel 0 of tap t or at the pad row). Out of line: the loop gets the registers. */
__attribute__((noinline)) static void dw_acc4(const int8_t *const *taps, int32_t n_taps,
                                              const int8_t *f, int32_t ch, int32_t c,
                                              int32_t acc[4]) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *const *const t_end = taps + n_taps;
    for (; taps < t_end; ++taps, f += ch) {
        const int8_t *const s = *taps + c;
        MAC4(s, f);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* outputs c..c+3 of one pixel */
static void dw_quad(const ped_depthwise_conv_2d_params_t *p, const int8_t *const *taps,
                    int32_t c, int8_t *out) {
    const int32_t *const bias = p->bias + c;
    int32_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
    dw_acc4(taps, p->k_h * p->k_w, p->filter + c, p->in_c, c, acc);
    const int32_t *const m = p->multiplier + c, *const sh = p->shift + c;
    const int32_t zo = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t j = 0; j < 4; ++j) {
        out[c + j] = ped_requant(acc[j], m[j], sh[j], zo, lo, hi);
    }
}

/* output c of one pixel (the last in_c % 4 channels) */
static void dw_one(const ped_depthwise_conv_2d_params_t *p, const int8_t *const *taps,
                   int32_t c, int8_t *out) {
    const int32_t n_taps = p->k_h * p->k_w;
    int32_t a = p->bias[c];
    for (int32_t t = 0; t < n_taps; ++t) {
        a += (int32_t)taps[t][c] * p->filter[(size_t)t * p->in_c + c];
    }
    out[c] = ped_requant(a, p->multiplier[c], p->shift[c], p->output_offset, p->act_min,
                         p->act_max);
}

void ped_depthwise_conv_2d(const ped_depthwise_conv_2d_params_t *p, const int8_t *input,
                           int8_t *output, void *scratch) {
    assert(p != NULL && input != NULL && output != NULL && scratch != NULL);
    assert(p->depth_multiplier == 1 && p->out_c == p->in_c);
    const int32_t ch = p->in_c, k_h = p->k_h, k_w = p->k_w;
    const int8_t **const taps = (const int8_t **)scratch;
    int8_t *const pad = (int8_t *)scratch + PED_DEPTHWISE_TAP_TABLE_BYTES(k_h, k_w);
    for (int32_t c = 0; c < ch; ++c) {  /* what TFLM's skipped taps amount to: zp */
        pad[c] = (int8_t)(-p->input_offset);
    }
    int8_t *out = output;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_h;
        for (int32_t ox = 0; ox < p->out_w; ++ox, out += ch) {
            const int32_t x0 = ox * p->stride_w - p->pad_w;
            int32_t t = 0;
            for (int32_t fy = 0; fy < k_h; ++fy) {
                const int32_t iy = y0 + fy * p->dil_h;
                for (int32_t fx = 0; fx < k_w; ++fx, ++t) {
                    const int32_t ix = x0 + fx * p->dil_w;
                    taps[t] = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w
                        ? input + ((size_t)iy * p->in_w + ix) * ch : pad;
                }
            }
            int32_t c = 0;
            for (; c + 4 <= ch; c += 4) {
                dw_quad(p, taps, c, out);
            }
            for (; c < ch; ++c) {
                dw_one(p, taps, c, out);
            }
        }
    }
}
