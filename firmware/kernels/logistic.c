/* logistic.c - see ped/kernels/logistic.h (fixed-point helpers in quant_math.c). */
#include "ped/kernels/logistic.h"

#include <assert.h>
#include <stddef.h>

#include "ped/kernels/quant_math.h"

/* logistic of a Q4.27 value, result Q0.31 (gemmlowp logistic). */
static int32_t logistic_q4(int32_t a) {
    if (a == 0) {
        return (int32_t)1 << 30; /* 1/2 */
    }
    const int32_t neg_abs = a > 0 ? (int32_t)(0u - (uint32_t)a) : a;       /* -|a|, Q4.27 */
    const int32_t e = ped_exp_on_negative_values(neg_abs, 4);             /* Q0.31 */
    /* 1 / (1 + e): the Newton core returns 1 / (2 h) with h = (1 + e) / 2, in Q2.29 */
    const int32_t pos = ped_sat_shl(ped_newton_reciprocal_q2(e), 1);       /* Q1.30 -> Q0.31 */
    return a > 0 ? pos : (int32_t)((uint32_t)INT32_MAX - (uint32_t)pos);   /* One - pos */
}

void ped_logistic(const ped_logistic_params_t *p, const int8_t *input, int8_t *output) {
    assert(p != NULL && input != NULL && output != NULL);
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            output[i] = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            output[i] = INT8_MAX;
        } else {
            const int32_t q4 = ped_mbqm(x, p->input_multiplier, (int)p->input_left_shift);
            const int32_t v = ped_rdbp(logistic_q4(q4), 31 - 8) + INT8_MIN;
            output[i] = (int8_t)ped_clamp(v, INT8_MIN, INT8_MAX);
        }
    }
}
