/*
 * ped/kernels/fully_connected.h - int8 FULLY_CONNECTED (TFLM reference integer FC).
 * input [batches][depth], output [batches][units]. Codegen packs the weights in the inner
 * loop's order: groups of 4 units (the last padded with zero rows), and within a group,
 * for every 4 inputs 4 weights of each unit, rows zero-padded to row_len (a multiple of 4):
 * [ceil(units/4)][row_len/4][4][4]. Per-tensor quantised weights use one multiplier/shift
 * (per_channel = 0), per-channel ones `units`. Weights are symmetric (zero point 0, checked
 * at codegen) and `bias` has the input zero point folded in (bias_eff = bias - zp * sum of
 * the unit's weights): a plain dot product, four units per pass over the input (DSP cores:
 * SXTB16 of four inputs and of four weights, two SMLAD per unit); requantisation inlined.
 */
#ifndef PED_KERNELS_FULLY_CONNECTED_H
#define PED_KERNELS_FULLY_CONNECTED_H

#include <stdint.h>

typedef struct {
    int32_t batches, depth, units;
    int32_t output_offset, act_min, act_max;
    int32_t per_channel;           /* 0: multiplier[0]/shift[0] for every unit */
    int32_t row_len;               /* depth rounded up to a multiple of 4 */
    const int8_t *filter;
    const int32_t *bias;           /* units values: bias_eff */
    const int32_t *multiplier;
    const int32_t *shift;
} ped_fully_connected_params_t;

void ped_fully_connected(const ped_fully_connected_params_t *p, const int8_t *input,
                         int8_t *output);

#endif /* PED_KERNELS_FULLY_CONNECTED_H */
