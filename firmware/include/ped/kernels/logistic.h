/*
 * ped/kernels/logistic.h - int8 LOGISTIC (sigmoid; TFLM reference integer Logistic): input
 * rescaled to Q4.27, gemmlowp fixed-point logistic, output scale 1/256 and zero point -128
 * (checked at codegen). Inputs beyond +-input_range_radius saturate.
 */
#ifndef PED_KERNELS_LOGISTIC_H
#define PED_KERNELS_LOGISTIC_H

#include <stdint.h>

typedef struct {
    int32_t size, input_zero_point, input_range_radius, input_multiplier, input_left_shift;
} ped_logistic_params_t;

void ped_logistic(const ped_logistic_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_LOGISTIC_H */
