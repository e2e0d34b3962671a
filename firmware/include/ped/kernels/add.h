/*
 * ped/kernels/add.h - int8 ADD of two same-shape tensors (TFLM reference integer Add):
 * both inputs are shifted left by `left_shift` (20), rescaled to a common scale, summed and
 * rescaled to the output. Broadcasting is refused at codegen.
 */
#ifndef PED_KERNELS_ADD_H
#define PED_KERNELS_ADD_H

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input1_offset, input2_offset, output_offset, left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} ped_add_params_t;

void ped_add(const ped_add_params_t *p, const int8_t *input1, const int8_t *input2,
             int8_t *output);

#endif /* PED_KERNELS_ADD_H */
