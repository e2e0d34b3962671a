/* conv_2d.c - ped_conv_2d (groups == 1), see ped/kernels/conv_2d.h. */
#include "ped/kernels/conv_2d.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/simd.h"

/* Where tap-order element i of pixel b (0 or 1) lives in the two-pixel column buffer: groups
   of four taps, pixel 0's then pixel 1's (one 16-byte load per pass of the inner loop). DSP
   builds store each group as (x0, x2, x1, x3), the lanes SXTB16 yields, so that SMLAD pairs
   them with SXTB16 of four natural-order weights; plain C keeps the natural order. */
#if PED_KERNELS_DSP
#define COL_AT(i) ((((i) & ~3) << 1) | (((i) & 1) << 1) | (((i) & 2) >> 1))
#else
#define COL_AT(i) ((((i) & ~3) << 1) | ((i) & 3))
#endif

static void col_zero(int16_t *col, int32_t at, int32_t n) {
    for (int32_t i = at; i < at + n; ++i) {
        col[COL_AT(i)] = 0;
    }
}

/* col[at .. at+n) = src[0 .. n) - zp (as int16) */
static void col_fill(int16_t *col, int32_t at, const int8_t *src, int32_t n, int32_t off) {
    int32_t i = at;
    const int32_t end = at + n;
#if PED_KERNELS_DSP
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    for (; (i & 3) && i < end; ++i) {
        col[COL_AT(i)] = (int16_t)(*src++ + off);
    }
    for (; i + 4 <= end; i += 4, src += 4) {
        const uint32_t w = ped_ld32(src);
        ped_st32(col + 2 * i, (uint32_t)__sadd16(ped_sxtb16_lo(w), off2));
        ped_st32(col + 2 * i + 2, (uint32_t)__sadd16(ped_sxtb16_hi(w), off2));
    }
#endif
    for (; i < end; ++i) {
        col[COL_AT(i)] = (int16_t)(*src++ + off);
    }
}

/* the taps of output pixel `px`, in filter order, into col */
static void im2col(const ped_conv_2d_params_t *p, const int8_t *input, int16_t *col,
                   int32_t px) {
    const int32_t oy = px / p->out_w, ox = px - oy * p->out_w;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    const int32_t row_len = p->k_w * p->in_c;
    int32_t fx0 = 0, fx1 = p->k_w;
    if (p->dil_w == 1) {
        fx0 = x0 < 0 ? -x0 : 0;
        fx1 = p->k_w < p->in_w - x0 ? p->k_w : p->in_w - x0;
        fx1 = fx1 < fx0 ? fx0 : fx1;
    }
    for (int32_t fy = 0, at = 0; fy < p->k_h; ++fy, at += row_len) {
        const int32_t iy = y0 + fy * p->dil_h;
        if (iy < 0 || iy >= p->in_h) {
            col_zero(col, at, row_len);
            continue;
        }
        const int8_t *row = input + (size_t)iy * p->in_w * p->in_c;
        if (p->dil_w == 1) {  /* one contiguous run of inside taps */
            col_zero(col, at, fx0 * p->in_c);
            col_fill(col, at + fx0 * p->in_c, row + (ptrdiff_t)(x0 + fx0) * p->in_c,
                     (fx1 - fx0) * p->in_c, p->input_offset);
            col_zero(col, at + fx1 * p->in_c, (p->k_w - fx1) * p->in_c);
            continue;
        }
        for (int32_t fx = 0; fx < p->k_w; ++fx) {
            const int32_t ix = x0 + fx * p->dil_w;
            if (ix < 0 || ix >= p->in_w) {
                col_zero(col, at + fx * p->in_c, p->in_c);
            } else {
                col_fill(col, at + fx * p->in_c, row + (size_t)ix * p->in_c, p->in_c,
                         p->input_offset);
            }
        }
    }
}

/* Output channels oc, oc + 1 (just oc when it is the last) of the two pixels in col (just
   pixel 0 when `two` is 0): 2 x 2 dot products over the packed filter pair f, requantised
   into out0[oc..], out1[oc..]. Out of line so that the loop has the registers to itself. */
__attribute__((noinline)) static void channel_pair(const ped_conv_2d_params_t *p,
                                                   const int8_t *f, const int16_t *c,
                                                   int32_t oc, int8_t *out0, int two) {
    const int32_t n = p->col_len;
    const int pair = oc + 1 < p->out_c;
    int32_t a0 = p->bias[oc], a1 = a0, b0 = p->bias[oc + pair], b1 = b0;
    const int8_t *const f_end = f + 2 * n;
    for (; f < f_end; f += 8, c += 8) {
#if PED_KERNELS_DSP
        const int32_t x02 = (int32_t)ped_ld32(c), x13 = (int32_t)ped_ld32(c + 2);
        const int32_t y02 = (int32_t)ped_ld32(c + 4), y13 = (int32_t)ped_ld32(c + 6);
        uint32_t w = ped_ld32(f);
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
        const int32_t x = c[j], y = c[4 + (j)], wa = f[j], wb = f[4 + (j)];          \
        a0 += wa * x;                                                                \
        a1 += wa * y;                                                                \
        b0 += wb * x;                                                                \
        b1 += wb * y;                                                                \
    } while (0)
        TAP(0);
        TAP(1);
        TAP(2);
        TAP(3);
#undef TAP
#endif
    }
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
    assert(p->groups == 1 && n % 4 == 0 && n >= taps);
    int16_t *const col = (int16_t *)scratch;  /* pixel 0 at col, pixel 1 at col + 4 */
    col_zero(col, taps, n - taps);
    col_zero(col + 4, taps, n - taps);
    const int32_t n_px = p->out_h * p->out_w;
    const int32_t out_c = p->out_c;
    for (int32_t px = 0; px < n_px; px += 2) {
        const int two = px + 1 < n_px;
        im2col(p, input, col, px);
        im2col(p, input, col + 4, two ? px + 1 : px);
        int8_t *const out0 = output + (size_t)px * out_c;
        for (int32_t oc = 0; oc < out_c; oc += 2) {
            channel_pair(p, p->filter + (size_t)oc * n, col, oc, out0, two);
        }
    }
}
