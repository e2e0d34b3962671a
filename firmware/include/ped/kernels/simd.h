/*
 * ped/kernels/simd.h - the inner-loop helpers of the int8 matrix kernels (conv_2d,
 * depthwise_conv_2d, fully_connected): the inlined requantisation and, on cores with the
 * DSP extension (Cortex-M4/M7/M33: __ARM_FEATURE_DSP), word loads and the ACLE SIMD
 * intrinsics of arm_acle.h (SXTB16: two int8 lanes widened to int16; SMLAD: two 16x16
 * products added to an int32; SADD16). PED_KERNELS_DSP says which path a build takes;
 * elsewhere (M0+/M3, the host) the kernels use plain C with the same blocking.
 */
#ifndef PED_KERNELS_SIMD_H
#define PED_KERNELS_SIMD_H

#include <stdint.h>
#include <string.h>

#include "ped/kernels/quant_math.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__ARM_FEATURE_SIMD32)
#define PED_KERNELS_DSP 1
#include <arm_acle.h>
#else
#define PED_KERNELS_DSP 0
#endif

/* inlined even at -Os (the requantisation runs once per output: a call costs a third more) */
#if defined(__GNUC__) || defined(__clang__)
#define PED_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define PED_ALWAYS_INLINE static inline
#endif

/* 4 bytes at p, any alignment (one LDR on cores that allow unaligned word loads). */
PED_ALWAYS_INLINE uint32_t ped_ld32(const void *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

PED_ALWAYS_INLINE void ped_st32(void *p, uint32_t v) { memcpy(p, &v, 4); }

#if PED_KERNELS_DSP
/* lanes 1 and 3 of four int8 (bytes 1, 3) widened to int16 (SXTB16 with ROR #8) */
PED_ALWAYS_INLINE int32_t ped_sxtb16_hi(uint32_t w) {
    int32_t r;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w)); /* one instruction, rotation included */
    return r;
}
PED_ALWAYS_INLINE int32_t ped_sxtb16_lo(uint32_t w) { return __sxtb16((int32_t)w); }
#endif

/*
 * The inlined requantisation of the matrix kernels: TFLM's double-rounding
 * MultiplyByQuantizedMultiplier (ped_mbqm in quant_math.h) bit for bit, then + zero point,
 * clamped. Codegen turns each channel's (multiplier, shift) into a ped_requant_t
 * (pipeline/codegen/quant.py `requant_record`, its Python twin `requant_fast`) and checks the
 * precondition |acc * 2^max(shift, 0)| < 2^30 (`check_requant_range` in
 * pipeline/codegen/ops/common.py). Within it both roundings are a few instructions:
 *  - ped_srdhm(x, m) = floor((x * m + 2^30) / 2^31) for every x and m >= 0 (its ties-away
 *    nudge and truncating division agree with this floor on both signs)
 *    = floor((2x * m + 2^31) / 2^32): one SMMULR of 2x (no overflow: |2x| < 2^31);
 *  - ped_rdbp(h, n) = (h + 2^(n-1) - (h < 0)) >> n (arithmetic) for n >= 1, no overflow as
 *    |h| <= 2^30; h for n = 0 (neg_mask 0 drops the sign term, round is 0).
 */

/* add + floor((x * multiplier + 2^31) / 2^32) (SMMLAR) */
PED_ALWAYS_INLINE int32_t ped_smmlar(int32_t x, int32_t multiplier, int32_t add) {
#if PED_KERNELS_DSP
    int32_t r;
    __asm("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(multiplier), "r"(add));
    return r;
#else
    return add + (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 31)) >> 32);
#endif
}

/* The sign term is taken from acc rather than h: they agree except where h = 0, and there
   (2^(n-1) - 1) >> n is 0 as well. */
PED_ALWAYS_INLINE int8_t ped_requant(int32_t acc, const ped_requant_t *q, int32_t out_offset,
                                     int32_t lo, int32_t hi) {
    const int32_t add = q->round + (q->neg_mask & (acc >> 31));
    int32_t v = (ped_smmlar((int32_t)((uint32_t)acc << q->left), q->multiplier, add)
                 >> q->right) + out_offset;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

#endif /* PED_KERNELS_SIMD_H */
