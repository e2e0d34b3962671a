/*
 * ped/kernels/quant_math.h - the integer requantisation arithmetic shared by every int8 kernel.
 *
 * These are TFLM's reference integer semantics (gemmlowp fixed point, "double rounding"
 * MultiplyByQuantizedMultiplier), re-implemented here; the Python twin is
 * pipeline/codegen/quant.py. Golden tests against the TFLM interpreter tie both together.
 *
 * A real multiplier M > 0 is represented as (multiplier, shift) with
 *   M = multiplier * 2^(shift - 31),  multiplier in [2^30, 2^31), shift in [-31, 30]
 * (multiplier 0, shift 0 encodes a multiplier too small to matter). Codegen computes them.
 */
#ifndef PED_KERNELS_QUANT_MATH_H
#define PED_KERNELS_QUANT_MATH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One channel's (multiplier, shift) in the form the matrix kernels' inlined requantisation
   (ped_requant in ped/kernels/simd.h, where the arithmetic is explained) applies. */
typedef struct {
    int32_t multiplier;   /* in [2^30, 2^31), or 0 */
    int32_t left;         /* max(shift, 0) + 1: the SMMULR form multiplies 2x */
    int32_t right;        /* n = max(-shift, 0) */
    int32_t round;        /* 2^(n-1), 0 for n = 0 */
    int32_t neg_mask;     /* -1 for n >= 1, 0 for n = 0 */
} ped_requant_t;

/* round(a * b / 2^31) with ties away from zero; INT32_MIN * INT32_MIN saturates to INT32_MAX. */
int32_t ped_srdhm(int32_t a, int32_t b);

/* round(x / 2^exponent), ties away from zero, exponent in [0, 31]. */
int32_t ped_rdbp(int32_t x, int exponent);

/* x * 2^exponent for exponent in [0, 31], saturating to the int32 range. */
int32_t ped_sat_shl(int32_t x, int exponent);

/*
 * x * M with M = (multiplier, shift) as above: left shift (wrapping like TFLM's), then
 * ped_srdhm, then ped_rdbp for negative shifts. TFLM's MultiplyByQuantizedMultiplier.
 */
int32_t ped_mbqm(int32_t x, int32_t multiplier, int shift);

/* gemmlowp fixed point (raw int32; a product of Qa and Qb raws is ped_srdhm and is Q(a+b)) */

/* exp(a) for a <= 0 given with `integer_bits` (1..5: Q4.27 for logistic, Q5.26 for softmax
   and tanh); result in Q0.31 (gemmlowp exp_on_negative_values<integer_bits>). */
int32_t ped_exp_on_negative_values(int32_t a, int integer_bits);

/* 1 / (1 + 2 h - 1) for h = (1 + x) / 2, x in [0, 1) in Q0.31: Newton-Raphson with three
   steps from 48/17 - 32/17 h; returns 1 / (2 h) in Q2.29 (gemmlowp's shared core of
   one_over_one_plus_x_for_x_in_0_1 and one_minus_x_over_one_plus_x_for_x_in_0_1). */
int32_t ped_newton_reciprocal_q2(int32_t x_q0);

/* sum of a[i] * b[i] over n int8 pairs (4-way unrolled; exact in int32 for n < 2^17). */
static inline int32_t ped_dot_i8(const int8_t *a, const int8_t *b, int32_t n) {
    int32_t s0 = 0, s1 = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (int32_t)a[i] * b[i] + (int32_t)a[i + 1] * b[i + 1];
        s1 += (int32_t)a[i + 2] * b[i + 2] + (int32_t)a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) {
        s0 += (int32_t)a[i] * b[i];
    }
    return s0 + s1;
}

/* sum of a[i] * (b[i] + off) over n pairs: TFLM's form, for taps at the border. */
static inline int32_t ped_dot_off_i8(const int8_t *a, const int8_t *b, int32_t n, int32_t off) {
    int32_t s = 0, t = 0;
    for (int32_t i = 0; i < n; ++i) {
        s += (int32_t)a[i] * b[i];
        t += a[i];
    }
    return s + off * t;
}

/* Clamp to [lo, hi]. */
static inline int32_t ped_clamp(int32_t x, int32_t lo, int32_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

#ifdef __cplusplus
}
#endif

#endif /* PED_KERNELS_QUANT_MATH_H */
