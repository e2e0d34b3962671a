/*
 * ped/aggregate.h - the fixed-point ensemble aggregation of model.h, in C.
 * Bit-exact with pipeline/aggregate.py (golden vectors in firmware/test tie them together).
 */
#ifndef PED_AGGREGATE_H
#define PED_AGGREGATE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* acc[j] += m * (q[j] - z) for j < n, wrapping in int32 exactly as numpy does. */
void ped_aggregate_add(int32_t *acc, const int8_t *q, uint16_t n, int32_t multiplier,
                       int32_t zero_point);

/* class = argmax acc (lowest index on ties); margin = acc[class] - max over j != class,
 * wrapped to int32 like numpy's astype. Requires n >= 2. */
void ped_aggregate_decide(const int32_t *acc, uint16_t n, uint16_t *class_index,
                          int32_t *margin);

#ifdef __cplusplus
}
#endif

#endif /* PED_AGGREGATE_H */
