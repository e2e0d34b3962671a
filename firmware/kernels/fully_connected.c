/* fully_connected.c - see ped/kernels/fully_connected.h. */
#include "ped/kernels/fully_connected.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/simd.h"

/* One unit's dot product with 4 inputs (x02/x13 or x0..x3), its 4 packed weights at
   f + 4k. */
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

/* What every group of units shares. */
typedef struct {
    const int8_t *x;
    int32_t depth, zo, lo, hi;
} fc_input_t;

/* 4 inputs into the 4 accumulators a0..a3 of group_4, then on to the next 4 inputs. */
#define QUAD_4()         \
    do {                 \
        WIDEN_X();       \
        UNIT(a0, 0);     \
        UNIT(a1, 1);     \
        UNIT(a2, 2);     \
        UNIT(a3, 3);     \
        x += 4;          \
        f += 16;         \
    } while (0)

/* Units u..u+3 (the first n of them stored): their dot products with the input over the
   group's packed weights f, plus bias, requantised into out[0..n). Out of line so that the
   loop has the registers to itself. */
__attribute__((noinline)) static void group_4(const fc_input_t *in, const int8_t *f,
                                              const int32_t *bias, const ped_requant_t *q,
                                              int8_t *out, int32_t n) {
    int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    const int8_t *x = in->x;
    const int32_t depth = in->depth;
    const int8_t *const x_end = x + (depth & ~7);
    if (x < x_end) {
        do {  /* 8 inputs per pass */
            QUAD_4();
            QUAD_4();
        } while (x < x_end);
    }
    if (depth & 4) {
        QUAD_4();
    }
    for (int32_t j = 0; j < (depth & 3); ++j) {  /* the last depth % 4 inputs */
        const int32_t xj = x[j];
        a0 += f[j] * xj;
        a1 += f[4 + j] * xj;
        a2 += f[8 + j] * xj;
        a3 += f[12 + j] * xj;
    }
    const int32_t zo = in->zo, lo = in->lo, hi = in->hi;
    out[0] = ped_requant(a0, q, zo, lo, hi);
    if (n > 1) {
        out[1] = ped_requant(a1, q + 1, zo, lo, hi);
    }
    if (n > 2) {
        out[2] = ped_requant(a2, q + 2, zo, lo, hi);
    }
    if (n > 3) {
        out[3] = ped_requant(a3, q + 3, zo, lo, hi);
    }
}

/* Units u, u+1 (the first n of them stored), as group_4. */
__attribute__((noinline)) static void group_2(const fc_input_t *in, const int8_t *f,
                                              const int32_t *bias, const ped_requant_t *q,
                                              int8_t *out, int32_t n) {
    int32_t a0 = bias[0], a1 = bias[1];
    const int8_t *x = in->x;
    const int8_t *const x_end = x + (in->depth & ~3);
    for (; x < x_end; x += 4, f += 8) {
        WIDEN_X();
        UNIT(a0, 0);
        UNIT(a1, 1);
    }
    for (int32_t j = 0; j < (in->depth & 3); ++j) {
        const int32_t xj = x[j];
        a0 += f[j] * xj;
        a1 += f[4 + j] * xj;
    }
    out[0] = ped_requant(a0, q, in->zo, in->lo, in->hi);
    if (n > 1) {
        out[1] = ped_requant(a1, q + 1, in->zo, in->lo, in->hi);
    }
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
        const fc_input_t xin = {in, depth, zo, lo, hi};
        for (int32_t g = 0; g < quads; ++g, u += 4, f += 4 * p->row_len) {
            group_4(&xin, f, p->bias + u, p->requant + u, out + u,
                    units - u < 4 ? units - u : 4);
        }
        if (u < units) {  /* 1 or 2 units left: a group of 2 */
            group_2(&xin, f, p->bias + u, p->requant + u, out + u, units - u);
        }
    }
}
