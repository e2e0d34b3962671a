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
 * x * M for M = (multiplier, shift) as in quant_math.h, inlined: TFLM's
 * MultiplyByQuantizedMultiplier, bit for bit the same as ped_mbqm (multiplier >= 0, so the
 * INT32_MIN * INT32_MIN saturation of ped_srdhm cannot occur). Then + zero point, clamped.
 */
PED_ALWAYS_INLINE int8_t ped_requant(int32_t acc, int32_t multiplier, int32_t shift,
                                 int32_t out_offset, int32_t lo, int32_t hi) {
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t x = (int32_t)((uint32_t)acc << left);
    const int64_t ab = (int64_t)x * multiplier;
    const int64_t t = ab + (ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30)));
    /* division by 2^31 truncating toward zero, as the reference's C division does */
    const int32_t h = (int32_t)((t >= 0 ? t : t + (((int64_t)1 << 31) - 1)) >> 31);
    const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
    const int32_t threshold = (mask >> 1) + (h < 0 ? 1 : 0);
    int32_t v = (h >> right) + ((h & mask) > threshold ? 1 : 0) + out_offset;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

#endif /* PED_KERNELS_SIMD_H */
