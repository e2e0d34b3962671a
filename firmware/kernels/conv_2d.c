/* conv_2d.c - ped_conv_2d (groups == 1), see ped/kernels/conv_2d.h. */
#include "ped/kernels/conv_2d.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "ped/kernels/simd.h"

/* col[0 .. n) = zp (what TFLM's skipped taps amount to, given the folded bias) */
static void col_pad(int8_t *col, int32_t n, int8_t zp) {
    for (int32_t i = 0; i < n; ++i) {
        col[i] = zp;
    }
}

/* The taps of output pixel (oy, ox) in filter order (k_h, k_w, in_c), as int8, into col:
   a copy of the input, zp outside it. */
static void im2col(const ped_conv_2d_params_t *p, const int8_t *input, int8_t *col,
                   int32_t oy, int32_t ox) {
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    const int32_t in_c = p->in_c, row_len = p->k_w * in_c;
    const int8_t zp = (int8_t)(-p->input_offset);
    for (int32_t fy = 0; fy < p->k_h; ++fy, col += row_len) {
        const int32_t iy = y0 + fy * p->dil_h;
        if (iy < 0 || iy >= p->in_h) {
            col_pad(col, row_len, zp);
            continue;
        }
        const int8_t *const row = input + (size_t)iy * p->in_w * in_c;
        if (p->dil_w == 1) {  /* one contiguous run of inside taps */
            int32_t fx0 = x0 < 0 ? -x0 : 0;
            int32_t fx1 = p->k_w < p->in_w - x0 ? p->k_w : p->in_w - x0;
            fx1 = fx1 < fx0 ? fx0 : fx1;
            col_pad(col, fx0 * in_c, zp);
            memcpy(col + fx0 * in_c, row + (ptrdiff_t)(x0 + fx0) * in_c,
                   (size_t)(fx1 - fx0) * (size_t)in_c);
            col_pad(col + fx1 * in_c, (p->k_w - fx1) * in_c, zp);
            continue;
        }
        for (int32_t fx = 0; fx < p->k_w; ++fx) {
            const int32_t ix = x0 + fx * p->dil_w;
            if (ix < 0 || ix >= p->in_w) {
                col_pad(col + fx * in_c, in_c, zp);
            } else {
                memcpy(col + fx * in_c, row + (size_t)ix * in_c, (size_t)in_c);
            }
        }
    }
}

/* The taps of output pixel px: straight from the input when they are one run inside it
   (a 1xK filter, dilation 1, the whole pixel inside, col_len bytes readable), else im2col
   into col. */
static const int8_t *taps_of(const ped_conv_2d_params_t *p, const int8_t *input, int8_t *col,
                             int32_t px) {
    const int32_t oy = px / p->out_w, ox = px - oy * p->out_w;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    if (p->k_h == 1 && p->dil_w == 1 && y0 >= 0 && y0 < p->in_h && x0 >= 0 &&
        (x0 + p->k_w) * p->in_c + (p->col_len - p->k_w * p->in_c) <= p->in_w * p->in_c) {
        return input + ((size_t)y0 * p->in_w + (size_t)x0) * p->in_c;
    }
    im2col(p, input, col, oy, ox);
    return col;
}

/* Output channels oc, oc + 1 (just oc when it is the last) of the pixels whose taps are x
   and y (just x when `two` is 0): 2 x 2 dot products over the packed filter pair f (per 4
   taps 4 weights of each channel), requantised into out0[oc..] and out0[out_c + oc..].
   Out of line so that the loop has the registers to itself. */
__attribute__((noinline)) static void channel_pair(const ped_conv_2d_params_t *p,
                                                   const int8_t *f, const int8_t *x,
                                                   const int8_t *y, int32_t oc, int8_t *out0,
                                                   int two) {
    const int pair = oc + 1 < p->out_c;
    int32_t a0 = p->bias_eff[oc], a1 = a0, b0 = p->bias_eff[oc + pair], b1 = b0;
    const int8_t *const f_end = f + 2 * p->col_len;
    do {
#if PED_KERNELS_DSP
        uint32_t w = ped_ld32(x);
        const int32_t x02 = ped_sxtb16_lo(w), x13 = ped_sxtb16_hi(w);
        w = ped_ld32(y);
        const int32_t y02 = ped_sxtb16_lo(w), y13 = ped_sxtb16_hi(w);
        w = ped_ld32(f);
        int32_t w02 = ped_sxtb16_lo(w), w13 = ped_sxtb16_hi(w);
        a0 = __smlad(w13, x13, __smlad(w02, x02, a0));
        a1 = __smlad(w13, y13, __smlad(w02, y02, a1));
        w = ped_ld32(f + 4);
        w02 = ped_sxtb16_lo(w);
        w13 = ped_sxtb16_hi(w);
        b0 = __smlad(w13, x13, __smlad(w02, x02, b0));
        b1 = __smlad(w13, y13, __smlad(w02, y02, b1));
#else
#define TAP(j)                                                                       \
    do {                                                                             \
        const int32_t xj = x[j], yj = y[j], wa = f[j], wb = f[4 + (j)];              \
        a0 += wa * xj;                                                               \
        a1 += wa * yj;                                                               \
        b0 += wb * xj;                                                               \
        b1 += wb * yj;                                                               \
    } while (0)
        TAP(0);
        TAP(1);
        TAP(2);
        TAP(3);
#undef TAP
#endif
        f += 8;
        x += 4;
        y += 4;
    } while (f < f_end);
    const int32_t zo = p->output_offset, lo = p->act_min, hi = p->act_max;
    const ped_requant_t *const q = p->requant + oc;
    int8_t *const out1 = out0 + p->out_c;
    out0[oc] = ped_requant(a0, q, zo, lo, hi);
    if (two) {
        out1[oc] = ped_requant(a1, q, zo, lo, hi);
    }
    if (pair) {
        out0[oc + 1] = ped_requant(b0, q + 1, zo, lo, hi);
        if (two) {
            out1[oc + 1] = ped_requant(b1, q + 1, zo, lo, hi);
        }
    }
}

void ped_conv_2d(const ped_conv_2d_params_t *p, const int8_t *input, int8_t *output,
                 void *scratch) {
    assert(p != NULL && input != NULL && output != NULL && scratch != NULL);
    const int32_t n = p->col_len, taps = p->k_h * p->k_w * p->in_c;
    assert(p->groups == 1 && n % 4 == 0 && n >= taps && n > 0 && p->bias_eff != NULL);
    int8_t *const col0 = (int8_t *)scratch, *const col1 = col0 + n;
    col_pad(col0 + taps, n - taps, 0);  /* the padding taps: weight 0, any value */
    col_pad(col1 + taps, n - taps, 0);
    const int32_t n_px = p->out_h * p->out_w, out_c = p->out_c;
    for (int32_t px = 0; px < n_px; px += 2) {
        const int two = px + 1 < n_px;
        const int8_t *const x = taps_of(p, input, col0, px);
        const int8_t *const y = two ? taps_of(p, input, col1, px + 1) : x;
        int8_t *const out0 = output + (size_t)px * out_c;
        const int8_t *f = p->filter;
        for (int32_t oc = 0; oc < out_c; oc += 2, f += 2 * n) {
            channel_pair(p, f, x, y, oc, out0, two);
        }
    }
}
