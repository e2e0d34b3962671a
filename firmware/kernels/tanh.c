/* tanh.c - see ped/kernels/tanh.h (fixed-point helpers in quant_math.c). */
#include "ped/kernels/tanh.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

/* tanh of a Q4.27 value, result Q0.31 (gemmlowp tanh). */
static int32_t tanh_q4(int32_t a) {
    if (a == 0) {
        return 0;
    }
    const int32_t n = a < 0 ? a : (int32_t)(0u - (uint32_t)a);   /* -|a|, Q4.27 */
    /* exp(2n): the same raw read as Q5.26 doubles the value */
    const int32_t e = ped_exp_on_negative_values(n, 5);
    /* (1 - e) / (1 + e) = 1/h - 1 with h = (1 + e) / 2, rescaled Q2.29 -> Q0.31 */
    const int32_t t = ped_sat_shl(ped_newton_reciprocal_q2(e) - ((int32_t)1 << 29), 2);
    return a < 0 ? (int32_t)(0u - (uint32_t)t) : t;
}

void ped_tanh(const ped_tanh_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            output[i] = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            output[i] = INT8_MAX;
        } else {
            const int32_t q4 = ped_mbqm(x, p->input_multiplier, (int)p->input_left_shift);
            const int32_t v = ped_rdbp(tanh_q4(q4), 31 - 7);
            output[i] = (int8_t)ped_clamp(v, INT8_MIN, INT8_MAX);
        }
    }
}
