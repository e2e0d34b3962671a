/* depthwise_conv_2d.c - ped_depthwise_conv_2d (depth multiplier 1), see
   ped/kernels/depthwise_conv_2d.h. */
#include "ped/kernels/depthwise_conv_2d.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "ped/kernels/simd.h"

/* What every quad of one pixel shares. */
typedef struct {
    const uintptr_t *off, *off_end;   /* the pixel's tap offsets */
    const int32_t *bias;
    const ped_requant_t *requant;
    int8_t *out;                       /* the pixel's channel 0 */
    int32_t zo, lo, hi;
} dw_pixel_t;

/* Outputs c..c+3 of one pixel: tap t's 4 input channels are the word at base + off[t] (base
   already advanced by c), taken against the quad's 2 packed weight words per tap f (channels
   c, c+2 and c+1, c+3: the lanes SXTB16 yields), accumulated in registers, requantised.
   Out of line so that the tap loop has the registers to itself. */
__attribute__((noinline)) static void dw_quad(const dw_pixel_t *px, uintptr_t base,
                                              const int16_t *f, int32_t c) {
    const int32_t *const bias = px->bias + c;
    int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    const uintptr_t *o = px->off, *const o_end = px->off_end;
    do {
        const int8_t *const s = (const int8_t *)(base + *o++);
#if PED_KERNELS_DSP
        /* each tap's 4 weights are 8-byte aligned (codegen's arrays are 16-aligned) */
        uint64_t w;
        memcpy(&w, __builtin_assume_aligned(f, 8), 8);  /* one LDRD */
        const int32_t w02 = (int32_t)(uint32_t)w, w13 = (int32_t)(uint32_t)(w >> 32);
        const uint32_t xw = ped_ld32(s);
        const int32_t x02 = ped_sxtb16_lo(xw), x13 = ped_sxtb16_hi(xw);
        a0 = __smlabb(x02, w02, a0);
        a2 = __smlatt(x02, w02, a2);
        a1 = __smlabb(x13, w13, a1);
        a3 = __smlatt(x13, w13, a3);
#else
        a0 += s[0] * f[0];
        a2 += s[2] * f[1];
        a1 += s[1] * f[2];
        a3 += s[3] * f[3];
#endif
        f += 4;
    } while (o < o_end);
    const ped_requant_t *const q = px->requant + c;
    const int32_t zo = px->zo, lo = px->lo, hi = px->hi;
    int8_t *const out = px->out + c;
    out[0] = ped_requant(a0, q, zo, lo, hi);
    out[1] = ped_requant(a1, q + 1, zo, lo, hi);
    out[2] = ped_requant(a2, q + 2, zo, lo, hi);
    out[3] = ped_requant(a3, q + 3, zo, lo, hi);
}

/* output c of one pixel (the last in_c % 4 channels; lane j = c % 4 of the last quad sits at
   position (0, 2, 1, 3)[j] of each tap's 4 weights) */
static void dw_one(const ped_depthwise_conv_2d_params_t *p, uintptr_t base,
                   const uintptr_t *off, const int16_t *f, int32_t c, int8_t *out) {
    const int32_t n_taps = p->k_h * p->k_w, j = c & 3, at = ((j & 1) << 1) | (j >> 1);
    int32_t a = p->bias[c];
    for (int32_t t = 0; t < n_taps; ++t, f += 4) {
        a += (int32_t)((const int8_t *)(base + off[t]))[c] * f[at];
    }
    out[c] = ped_requant(a, p->requant + c, p->output_offset, p->act_min, p->act_max);
}

void ped_depthwise_conv_2d(const ped_depthwise_conv_2d_params_t *p, const int8_t *input,
                           int8_t *output, void *scratch) {
    assert(p != NULL && input != NULL && output != NULL && scratch != NULL);
    assert(p->depth_multiplier == 1 && p->out_c == p->in_c && p->filter_packed != NULL);
    const int32_t ch = p->in_c, k_h = p->k_h, k_w = p->k_w, n_taps = k_h * k_w;
    const int32_t quad_len = 4 * n_taps, row = p->in_w * ch;
    uintptr_t *const inner = (uintptr_t *)scratch;   /* interior pixels: from the first tap */
    uintptr_t *const border = inner + n_taps;        /* border pixels: from `input` */
    int8_t *const pad = (int8_t *)(border + n_taps);
    for (int32_t c = 0; c < ch; ++c) {  /* what TFLM's skipped taps amount to: zp */
        pad[c] = (int8_t)(-p->input_offset);
    }
    for (int32_t fy = 0, t = 0; fy < k_h; ++fy) {
        for (int32_t fx = 0; fx < k_w; ++fx, ++t) {
            inner[t] = (uintptr_t)(fy * p->dil_h * row + fx * p->dil_w * ch);
        }
    }
    const int32_t y_span = (k_h - 1) * p->dil_h, x_span = (k_w - 1) * p->dil_w;
    const uintptr_t in0 = (uintptr_t)input, pad_off = (uintptr_t)pad - in0;
    int8_t *out = output;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_h;
        const int inside_y = y0 >= 0 && y0 + y_span < p->in_h;
        for (int32_t ox = 0; ox < p->out_w; ++ox, out += ch) {
            const int32_t x0 = ox * p->stride_w - p->pad_w;
            uintptr_t base = in0;
            const uintptr_t *off = border;
            if (inside_y && x0 >= 0 && x0 + x_span < p->in_w) {
                base = in0 + (uintptr_t)(y0 * row + x0 * ch);
                off = inner;
            } else {
                for (int32_t fy = 0, t = 0, iy = y0; fy < k_h; ++fy, iy += p->dil_h) {
                    for (int32_t fx = 0, ix = x0; fx < k_w; ++fx, ++t, ix += p->dil_w) {
                        border[t] = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w
                            ? (uintptr_t)(iy * row + ix * ch) : pad_off;
                    }
                }
            }
            const dw_pixel_t px = {off, off + n_taps, p->bias, p->requant, out,
                                   p->output_offset, p->act_min, p->act_max};
            const int16_t *f = p->filter_packed;
            for (int32_t c = 0; c < (ch & ~3); c += 4, f += quad_len) {
                dw_quad(&px, base + (uintptr_t)c, f, c);
            }
            for (int32_t c = ch & ~3; c < ch; ++c) {
                dw_one(p, base, off, p->filter_packed + (c >> 2) * quad_len, c, out);
            }
        }
    }
}
