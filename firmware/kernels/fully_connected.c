/* fully_connected.c - see ped/kernels/fully_connected.h. */
#include "ped/kernels/fully_connected.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/simd.h"

/* acc[u] += the 4 units' dot products with x over `depth` inputs; f is the group's packed
   weights. Out of line so that the loop has the registers to itself. */
__attribute__((noinline)) static void dot_4(const int8_t *x, const int8_t *f, int32_t depth,
                                            int32_t acc[4]) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *const x_end = x + (depth & ~3);
    for (; x < x_end; x += 4, f += 16) {
#if PED_KERNELS_DSP
        const uint32_t xw = ped_ld32(x);
        const int32_t x02 = ped_sxtb16_lo(xw), x13 = ped_sxtb16_hi(xw);
        uint32_t w = ped_ld32(f);
        a0 = __smlad(ped_sxtb16_hi(w), x13, __smlad(ped_sxtb16_lo(w), x02, a0));
        w = ped_ld32(f + 4);
        a1 = __smlad(ped_sxtb16_hi(w), x13, __smlad(ped_sxtb16_lo(w), x02, a1));
        w = ped_ld32(f + 8);
        a2 = __smlad(ped_sxtb16_hi(w), x13, __smlad(ped_sxtb16_lo(w), x02, a2));
        w = ped_ld32(f + 12);
        a3 = __smlad(ped_sxtb16_hi(w), x13, __smlad(ped_sxtb16_lo(w), x02, a3));
#else
        const int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        a0 += f[0] * x0 + f[1] * x1 + f[2] * x2 + f[3] * x3;
        a1 += f[4] * x0 + f[5] * x1 + f[6] * x2 + f[7] * x3;
        a2 += f[8] * x0 + f[9] * x1 + f[10] * x2 + f[11] * x3;
        a3 += f[12] * x0 + f[13] * x1 + f[14] * x2 + f[15] * x3;
#endif
    }
    for (int32_t j = 0; j < (depth & 3); ++j) {  /* the last depth % 4 inputs */
        const int32_t xj = x[j];
        a0 += f[j] * xj;
        a1 += f[4 + j] * xj;
        a2 += f[8 + j] * xj;
        a3 += f[12 + j] * xj;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void ped_fully_connected(const ped_fully_connected_params_t *p, const int8_t *input,
                         int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL && p->bias != NULL);
    assert(p->row_len % 4 == 0 && p->row_len >= p->depth);
    const int32_t zo = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *const in = input + (size_t)b * p->depth;
        int8_t *const out = output + (size_t)b * p->units;
        for (int32_t u = 0; u < p->units; u += 4) {
            const int32_t n = p->units - u < 4 ? p->units - u : 4;
            int32_t acc[4] = {0, 0, 0, 0};
            for (int32_t j = 0; j < n; ++j) {
                acc[j] = p->bias[u + j];
            }
            dot_4(in, p->filter + (size_t)u * p->row_len, p->depth, acc);
            for (int32_t j = 0; j < n; ++j) {
                const int32_t k = p->per_channel ? u + j : 0;
                out[u + j] = ped_requant(acc[j], p->multiplier[k], p->shift[k], zo, lo, hi);
            }
        }
    }
}
