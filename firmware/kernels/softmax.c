/*
 * softmax.c - see ped/kernels/softmax.h. Fixed-point helpers follow gemmlowp's semantics:
 * Qm.n values are int32 raws; a product of Qa and Qb raws is ped_srdhm and is Q(a+b).
 */
#include "ped/kernels/softmax.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

enum { SCALED_DIFF_BITS = 5, ACCUM_BITS = 12 };

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t exp_quarter(int32_t a) {
    const int32_t constant_term = 1895147668;     /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = a + (1 << 28);              /* a + 1/8 */
    const int32_t x2 = ped_srdhm(x, x);
    const int32_t x3 = ped_srdhm(x2, x);
    const int32_t x4 = ped_srdhm(x2, x2);
    const int32_t x4_over_4 = ped_rdbp(x4, 2);
    const int32_t poly = ped_rdbp(ped_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
    return constant_term + ped_srdhm(constant_term, x + poly);
}

/* exp(a) for a <= 0 in Q5.26; result Q0.31. */
static int32_t exp_negative(int32_t a) {
    static const int32_t k_mult[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535,   720401,     242};
    const int32_t frac_bits = 31 - SCALED_DIFF_BITS;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod = (a & mask) - one_quarter;
    int32_t result = exp_quarter(ped_sat_shl(a_mod, SCALED_DIFF_BITS));
    const int32_t remainder = a_mod - a;
    for (int e = -2; e <= 4; ++e) { /* exponents below SCALED_DIFF_BITS */
        if (remainder & ((int32_t)1 << (frac_bits + e))) {
            result = ped_srdhm(result, k_mult[e + 2]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1), Q0.31 in and out (Newton-Raphson, 3 steps). */
static int32_t one_over_one_plus_x(int32_t a) {
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denom = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2); /* Q0.31 */
    const int32_t c48_17 = 1515870810;                                     /* Q2.29 */
    const int32_t cm32_17 = -1010580540;                                   /* Q2.29 */
    int32_t x = c48_17 + ped_srdhm(half_denom, cm32_17);                   /* Q2.29 */
    for (int i = 0; i < 3; ++i) {
        const int32_t hdx = ped_srdhm(half_denom, x);                       /* Q2.29 */
        const int32_t one_minus = ((int32_t)1 << 29) - hdx;                 /* Q2.29 */
        x = x + ped_sat_shl(ped_srdhm(x, one_minus), 2);                    /* Q4 -> Q2 */
    }
    return ped_sat_shl(x, 1); /* x / 2 as Q1.30, rescaled to Q0.31 */
}

static int clz32(uint32_t v) {
    int n = 0;
    if (v == 0) {
        return 32;
    }
    while (!(v & 0x80000000u)) {
        v <<= 1;
        ++n;
    }
    return n;
}

void ped_softmax(const ped_softmax_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    for (int32_t r = 0; r < p->outer; ++r) {
        const int8_t *in = input + (size_t)r * p->depth;
        int8_t *out = output + (size_t)r * p->depth;
        int32_t max_in = INT8_MIN;
        for (int32_t c = 0; c < p->depth; ++c) {
            max_in = in[c] > max_in ? in[c] : max_in;
        }
        int32_t sum = 0; /* Q12.19 */
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_in;
            if (diff >= p->diff_min) {
                const int32_t scaled = ped_srdhm(
                    (int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
                sum += ped_rdbp(exp_negative(scaled), ACCUM_BITS);
            }
        }
        /* GetReciprocal(sum, ACCUM_BITS) */
        const int headroom = clz32((uint32_t)sum);
        const int bits_over_unit = ACCUM_BITS - headroom;
        const int32_t shifted_minus_one =
            (int32_t)(((uint32_t)sum << headroom) - ((uint32_t)1 << 31));
        const int32_t scale = one_over_one_plus_x(shifted_minus_one);
        const int exponent = bits_over_unit + 31 - 8;
        assert(exponent >= 0 && exponent <= 31);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_in;
            if (diff >= p->diff_min) {
                const int32_t scaled = ped_srdhm(
                    (int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
                const int32_t e = exp_negative(scaled);
                const int32_t v = ped_rdbp(ped_srdhm(scale, e), exponent) + INT8_MIN;
                out[c] = (int8_t)ped_clamp(v, INT8_MIN, INT8_MAX);
            } else {
                out[c] = INT8_MIN;
            }
        }
    }
}
