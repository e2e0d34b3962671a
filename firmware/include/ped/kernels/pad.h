/*
 * ped/kernels/pad.h - int8 PAD / PADV2 (TFLM reference Pad) of a tensor of up to 4 dims:
 * the output is filled with pad_value (the output zero point, or PADV2's constant) and the
 * input copied at offset `before`. Same quantisation in and out (checked at codegen).
 */
#ifndef PED_KERNELS_PAD_H
#define PED_KERNELS_PAD_H

#include <stdint.h>

typedef struct {
    int32_t in_dims[4], out_dims[4], before[4];   /* left-padded with 1 / 1 / 0 */
    int32_t pad_value;
} ped_pad_params_t;

void ped_pad(const ped_pad_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_PAD_H */
