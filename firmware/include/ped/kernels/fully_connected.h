/*
 * ped/kernels/fully_connected.h - int8 FULLY_CONNECTED (TFLM reference integer FC).
 * input [batches][depth], output [batches][units]. Codegen packs the weights in the inner
 * loop's order: groups of 4 units, and within a group, for every 4 inputs 4 weights of each
 * unit, rows zero-padded to row_len (a multiple of 4): [row_len/4][4][4] per group. When
 * units % 4 is 1 or 2 the last group has 2 units ([row_len/4][2][4], a missing second unit
 * zero); when it is 3, 4 (the fourth zero). `bias` and `requant` (one ped_requant_t per
 * unit, also for per-tensor weights) are zero-padded the same way. Weights are symmetric
 * (zero point 0, checked at codegen) and `bias` has the input zero point folded in
 * (bias_eff = bias - zp * sum of the unit's weights): a plain dot product, four (or two)
 * units per pass over the input (DSP cores: SXTB16 of four inputs and of four weights, two
 * SMLAD per unit); requantisation inlined.
 */
#ifndef PED_KERNELS_FULLY_CONNECTED_H
#define PED_KERNELS_FULLY_CONNECTED_H

#include <stdint.h>

#include "ped/kernels/quant_math.h"

typedef struct {
    int32_t batches, depth, units;
    int32_t output_offset, act_min, act_max;
    int32_t row_len;               /* depth rounded up to a multiple of 4 */
    const int8_t *filter;
    const int32_t *bias;           /* bias_eff, padded as above */
    const ped_requant_t *requant;  /* padded as above */
} ped_fully_connected_params_t;

void ped_fully_connected(const ped_fully_connected_params_t *p, const int8_t *input,
                         int8_t *output);

#endif /* PED_KERNELS_FULLY_CONNECTED_H */
