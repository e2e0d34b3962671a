/*
 * ped/kernels/concatenation.h - int8 CONCATENATION. All inputs share the output's scale and
 * zero point (checked at codegen, as TFLM requires), so this is a strided copy: for each of
 * `outer` rows, input i contributes chunk[i] contiguous bytes.
 */
#ifndef PED_KERNELS_CONCATENATION_H
#define PED_KERNELS_CONCATENATION_H

#include <stdint.h>

typedef struct {
    int32_t n_inputs;
    int32_t outer;
    const int32_t *chunk;          /* n_inputs values: bytes per row of each input */
} ped_concatenation_params_t;

void ped_concatenation(const ped_concatenation_params_t *p, const int8_t *const *inputs,
                       int8_t *output);

#endif /* PED_KERNELS_CONCATENATION_H */
