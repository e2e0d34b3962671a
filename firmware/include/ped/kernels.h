/* ped/kernels.h - the int8 kernel library, one header per op (see docs/codegen.md). */
#ifndef PED_KERNELS_H
#define PED_KERNELS_H

#include "ped/kernels/add.h"
#include "ped/kernels/average_pool_2d.h"
#include "ped/kernels/concatenation.h"
#include "ped/kernels/conv_2d.h"
#include "ped/kernels/depthwise_conv_2d.h"
#include "ped/kernels/fully_connected.h"
#include "ped/kernels/logistic.h"
#include "ped/kernels/max_pool_2d.h"
#include "ped/kernels/mean.h"
#include "ped/kernels/mul.h"
#include "ped/kernels/pad.h"
#include "ped/kernels/quant_math.h"
#include "ped/kernels/quantize.h"
#include "ped/kernels/softmax.h"
#include "ped/kernels/tanh.h"

#endif /* PED_KERNELS_H */
