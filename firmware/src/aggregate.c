/* aggregate.c - fixed-point ensemble aggregation; the contract is in ped/model.h and the
 * Python model in pipeline/aggregate.py. Arithmetic wraps in 32 bits like numpy's int32. */
#include "ped/aggregate.h"

void ped_aggregate_add(int32_t *acc, const int8_t *q, uint16_t n, int32_t multiplier,
                       int32_t zero_point)
{
    for (uint16_t j = 0; j < n; j++) {
        /* |m * (q - z)| < 2^23 for valid tables; unsigned arithmetic keeps the wrap defined. */
        uint32_t term = (uint32_t)multiplier * (uint32_t)((int32_t)q[j] - zero_point);
        acc[j] = (int32_t)((uint32_t)acc[j] + term);
    }
}

void ped_aggregate_decide(const int32_t *acc, uint16_t n, uint16_t *class_index,
                          int32_t *margin)
{
    uint16_t best = 0;
    for (uint16_t j = 1; j < n; j++) {
        if (acc[j] > acc[best]) {
            best = j;
        }
    }
    int32_t second = INT32_MIN;
    for (uint16_t j = 0; j < n; j++) {
        if (j != best && acc[j] > second) {
            second = acc[j];
        }
    }
    *class_index = best;
    *margin = (int32_t)((uint32_t)acc[best] - (uint32_t)second);
}
