/* softmax.c - see ped/kernels/softmax.h (fixed-point helpers in quant_math.c). */
#include "ped/kernels/softmax.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

enum { ACCUM_BITS = 12 };

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
                sum += ped_rdbp(ped_exp_on_negative_values(scaled, 5), ACCUM_BITS);
            }
        }
        /* GetReciprocal(sum, ACCUM_BITS) */
        const int headroom = clz32((uint32_t)sum);
        const int bits_over_unit = ACCUM_BITS - headroom;
        const int32_t shifted_minus_one =
            (int32_t)(((uint32_t)sum << headroom) - ((uint32_t)1 << 31));
        const int32_t scale = ped_sat_shl(ped_newton_reciprocal_q2(shifted_minus_one), 1);
        const int exponent = bits_over_unit + 31 - 8;
        assert(exponent >= 0 && exponent <= 31);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_in;
            if (diff >= p->diff_min) {
                const int32_t scaled = ped_srdhm(
                    (int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
                const int32_t e = ped_exp_on_negative_values(scaled, 5);
                const int32_t v = ped_rdbp(ped_srdhm(scale, e), exponent) + INT8_MIN;
                out[c] = (int8_t)ped_clamp(v, INT8_MIN, INT8_MAX);
            } else {
                out[c] = INT8_MIN;
            }
        }
    }
}
