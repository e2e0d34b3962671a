/*
 * ped/kernels/mul.h - int8 MUL (TFLM reference integer Mul):
 *   out = clamp(output_offset + mbqm((a + input1_offset) * (b + input2_offset), m, s))
 * for same-shape operands, or with one operand of one element (stride 0), e.g. a constant
 * scale. General broadcasting is refused at codegen.
 */
#ifndef PED_KERNELS_MUL_H
#define PED_KERNELS_MUL_H

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input1_stride, input2_stride;   /* 1, or 0 for a one-element operand */
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} ped_mul_params_t;

void ped_mul(const ped_mul_params_t *p, const int8_t *input1, const int8_t *input2,
             int8_t *output);

#endif /* PED_KERNELS_MUL_H */
