/* quant_math.c - see ped/kernels/quant_math.h for the contract. */
#include "ped/kernels/quant_math.h"

#include <assert.h>

int32_t ped_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C division truncates toward zero, as the reference does. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

int32_t ped_rdbp(int32_t x, int exponent) {
    assert(exponent >= 0 && exponent <= 31);
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* arithmetic right shift of a negative value: implementation-defined in C99, arithmetic
       on every compiler this project targets (gcc, clang, arm-none-eabi-gcc). */
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t ped_sat_shl(int32_t x, int exponent) {
    assert(exponent >= 0 && exponent <= 31);
    if (exponent == 0) {
        return x;
    }
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

int32_t ped_mbqm(int32_t x, int32_t multiplier, int shift) {
    assert(shift >= -31 && shift <= 30);
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    /* TFLM multiplies by (1 << left) in int32; wrap the same way without UB. */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return ped_rdbp(ped_srdhm(shifted, multiplier), right);
}
