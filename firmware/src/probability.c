/* probability.c - softmax of the accumulator in integer arithmetic (see ped/probability.h). */
#include "ped/probability.h"

static const uint32_t k_exp2[17] = {PED_PROB_EXP2_TABLE};

/* 2^(-e / 2^16) in Q30, e in Q16 */
static uint32_t exp2_neg_q30(uint64_t e)
{
    uint64_t n = e >> 16;
    if (n >= 31u) {
        return 0u;
    }
    uint32_t i = (uint32_t)(e >> 12) & 15u;
    uint32_t r = (uint32_t)e & 0xFFFu;
    uint32_t step = (uint32_t)(((uint64_t)(k_exp2[i] - k_exp2[i + 1u]) * r) >> 12);
    return (k_exp2[i] - step) >> n;
}

/* w_j of the header's formula */
static uint32_t weight(int32_t top, int32_t a, int32_t multiplier, uint8_t shift)
{
    uint64_t d = (uint64_t)((int64_t)top - (int64_t)a); /* 0 .. 2^32 - 1 */
    return exp2_neg_q30((d * (uint64_t)multiplier) >> (shift - 16u));
}

int ped_probabilities(const int32_t *acc, uint16_t n, int32_t multiplier, uint8_t shift,
                      uint16_t *p_milli)
{
    if (multiplier <= 0 || shift < 16u || n == 0u) {
        for (uint16_t j = 0; j < n; j++) {
            p_milli[j] = 0;
        }
        return 0;
    }
    int32_t top = acc[0];
    for (uint16_t j = 1; j < n; j++) {
        if (acc[j] > top) {
            top = acc[j];
        }
    }
    uint64_t total = 0; /* <= n * 2^30 */
    for (uint16_t j = 0; j < n; j++) {
        total += weight(top, acc[j], multiplier, shift);
    }
    for (uint16_t j = 0; j < n; j++) {
        uint64_t w = weight(top, acc[j], multiplier, shift);
        p_milli[j] = (uint16_t)((w * PED_PROB_ONE + total / 2u) / total);
    }
    return 1;
}
