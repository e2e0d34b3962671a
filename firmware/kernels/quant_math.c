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

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor series around -1/8. */
static int32_t exp_quarter(int32_t a) {
    const int32_t constant_term = 1895147668;     /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = a + (1 << 28);              /* a + 1/8 */
    const int32_t x2 = ped_srdhm(x, x);
    const int32_t x3 = ped_srdhm(x2, x);
    const int32_t x4 = ped_srdhm(x2, x2);
    const int32_t x4_over_4 = ped_rdbp(x4, 2);
    const int32_t poly = ped_rdbp(ped_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
    return constant_term + ped_srdhm(constant_term, x + poly);
}

int32_t ped_exp_on_negative_values(int32_t a, int integer_bits) {
    static const int32_t k_mult[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535,   720401,     242}; /* exp(-2^e), e=-2..4 */
    assert(integer_bits >= 1 && integer_bits <= 5);
    const int frac_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t a_mod = (a & (one_quarter - 1)) - one_quarter;
    int32_t result = exp_quarter(ped_sat_shl(a_mod, integer_bits)); /* -> Q0.31 */
    const int32_t remainder = (int32_t)((uint32_t)a_mod - (uint32_t)a);
    for (int e = -2; e < integer_bits; ++e) { /* gemmlowp: exponents below integer_bits */
        if (remainder & ((int32_t)1 << (frac_bits + e))) {
            result = ped_srdhm(result, k_mult[e + 2]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

int32_t ped_newton_reciprocal_q2(int32_t x_q0) {
    const int64_t sum = (int64_t)x_q0 + INT32_MAX;                          /* x + 1 */
    const int32_t half_denom = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);  /* Q0.31 */
    const int32_t c48_17 = 1515870810;                                      /* Q2.29 */
    const int32_t cm32_17 = -1010580540;                                    /* Q2.29 */
    int32_t x = c48_17 + ped_srdhm(half_denom, cm32_17);
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = ((int32_t)1 << 29) - ped_srdhm(half_denom, x);
        x = x + ped_sat_shl(ped_srdhm(x, one_minus), 2);                    /* Q4 -> Q2 */
    }
    return x;
}
