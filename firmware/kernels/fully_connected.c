/* fully_connected.c - see ped/kernels/fully_connected.h. */
#include "ped/kernels/fully_connected.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/simd.h"

/* acc[j] += unit j's dot product with x over `depth` inputs, for G = 4 or 2 units whose
   packed weights start at f (per 4 inputs, 4 weights of each unit). Out of line so that
   the loop has the registers to itself. */
#if PED_KERNELS_DSP
#define UNIT(a, k)                                                                   \
    do {                                                                             \
        const uint32_t w_ = ped_ld32(f + 4 * (k));                                   \
        a = __smlad(ped_sxtb16_hi(w_), x13, __smlad(ped_sxtb16_lo(w_), x02, a));     \
    } while (0)
#define WIDEN_X()                                                                    \
    const uint32_t xw = ped_ld32(x);                                                 \
    const int32_t x02 = ped_sxtb16_lo(xw), x13 = ped_sxtb16_hi(xw)
#else
#define UNIT(a, k)                                                                   \
    (a += f[4 * (k)] * x0 + f[4 * (k) + 1] * x1 + f[4 * (k) + 2] * x2 + f[4 * (k) + 3] * x3)
#define WIDEN_X() const int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3]
#endif

__attribute__((noinline)) static void dot_4(const int8_t *x, const int8_t *f, int32_t depth,
                                            int32_t acc[4]) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *const x_end = x + (depth & ~7);
    if (x < x_end) {
        do {  /* 8 inputs per pass */
            {
                WIDEN_X();
                UNIT(a0, 0);
                UNIT(a1, 1);
                UNIT(a2, 2);
                UNIT(a3, 3);
            }
            x += 4;
            f += 16;
            WIDEN_X();
            UNIT(a0, 0);
            UNIT(a1, 1);
            UNIT(a2, 2);
            UNIT(a3, 3);
            x += 4;
            f += 16;
        } while (x < x_end);
    }
    if (depth & 4) {
        WIDEN_X();
        UNIT(a0, 0);
        UNIT(a1, 1);
        UNIT(a2, 2);
        UNIT(a3, 3);
        x += 4;
        f += 16;
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

__attribute__((noinline)) static void dot_2(const int8_t *x, const int8_t *f, int32_t depth,
                                            int32_t acc[2]) {
    int32_t a0 = acc[0], a1 = acc[1];
    const int8_t *const x_end = x + (depth & ~3);
    for (; x < x_end; x += 4, f += 8) {
        WIDEN_X();
        UNIT(a0, 0);
        UNIT(a1, 1);
    }
    for (int32_t j = 0; j < (depth & 3); ++j) {
        const int32_t xj = x[j];
        a0 += f[j] * xj;
        a1 += f[4 + j] * xj;
    }
    acc[0] = a0;
    acc[1] = a1;
}

void ped_fully_connected(const ped_fully_connected_params_t *p, const int8_t *input,
                         int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL && p->bias != NULL);
    assert(p->row_len % 4 == 0 && p->row_len >= p->depth);
    const int32_t zo = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t units = p->units, depth = p->depth, quads = (units + 1) / 4;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *const in = input + (size_t)b * depth;
        int8_t *const out = output + (size_t)b * units;
        const int8_t *f = p->filter;
        int32_t u = 0;
        for (int32_t g = 0; g < quads; ++g, u += 4, f += 4 * p->row_len) {
            int32_t acc[4] = {p->bias[u], p->bias[u + 1], p->bias[u + 2], p->bias[u + 3]};
            dot_4(in, f, depth, acc);
            const int32_t n = units - u < 4 ? units - u : 4;
            for (int32_t j = 0; j < n; ++j) {
                out[u + j] = ped_requant(acc[j], p->requant + u + j, zo, lo, hi);
            }
        }
        if (u < units) {  /* 1 or 2 units left: a group of 2 */
            int32_t acc[2] = {p->bias[u], p->bias[u + 1]};
            dot_2(in, f, depth, acc);
            for (int32_t j = 0; j < units - u; ++j) {
                out[u + j] = ped_requant(acc[j], p->requant + u + j, zo, lo, hi);
            }
        }
    }
}
