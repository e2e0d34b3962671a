/*
 * ped/kernels/tanh.h - int8 TANH (TFLM reference integer Tanh): the input is rescaled to Q4.27,
 * gemmlowp fixed-point tanh, output scale 1/128 and zero point 0 (checked at codegen).
 * Inputs beyond +-input_range_radius saturate to -128 / 127.
 */
#ifndef PED_KERNELS_TANH_H
#define PED_KERNELS_TANH_H

#include <stdint.h>

typedef struct {
    int32_t size, input_zero_point, input_range_radius, input_multiplier, input_left_shift;
} ped_tanh_params_t;

void ped_tanh(const ped_tanh_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_TANH_H */
