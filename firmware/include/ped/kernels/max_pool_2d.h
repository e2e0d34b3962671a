/*
 * ped/kernels/max_pool_2d.h - int8 MAX_POOL_2D (TFLM reference integer MaxPool).
 * Batch 1, NHWC, taps inside the input only; same quantisation in and out.
 */
#ifndef PED_KERNELS_MAX_POOL_2D_H
#define PED_KERNELS_MAX_POOL_2D_H

#include <stdint.h>

#include "ped/kernels/average_pool_2d.h" /* ped_pool_2d_params_t */

void ped_max_pool_2d(const ped_pool_2d_params_t *p, const int8_t *input, int8_t *output);

#endif /* PED_KERNELS_MAX_POOL_2D_H */
