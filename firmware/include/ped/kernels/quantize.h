/*
 * ped/kernels/quantize.h - int8 -> int8 QUANTIZE (TFLM reference Requantize):
 * out = clamp(mbqm(in - input_zp, multiplier, shift) + output_zp).
 */
#ifndef PED_KERNELS_QUANTIZE_H
#define PED_KERNELS_QUANTIZE_H

#include <stdint.h>

typedef struct {
    int32_t size, input_zero_point, output_zero_point, multiplier, shift;
} ped_quantize_params_t;

void ped_quantize(const ped_quantize_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_QUANTIZE_H */
