/*
 * ped/probability.h - class probabilities from the final int32 accumulator, in integer
 * arithmetic only (no FPU: Cortex-M0+ runs it). pipeline/probability.py is the same
 * arithmetic in Python, bit for bit; it reads PED_PROB_EXP2_TABLE from this file, so the
 * table has one home.
 *
 * The accumulator holds the ensemble's logits in units of S (model.h); the probabilities are
 * their softmax, p_j = 2^(c (acc_j - max)) / sum_i 2^(c (acc_i - max)) with c = S log2(e),
 * which the generated model gives as c = prob_multiplier * 2^-prob_shift,
 * 2^14 <= prob_multiplier < 2^15, prob_shift >= 16. Per class j, in unsigned 64-bit:
 *   e_j = ((max - acc_j) * prob_multiplier) >> (prob_shift - 16)   halvings, Q16
 *   n = e_j >> 16, i = (e_j >> 12) & 15, r = e_j & 0xFFF
 *   w_j = 0 if n >= 31, else (T[i] - (((T[i] - T[i+1]) * r) >> 12)) >> n    (Q30)
 *   p_j = (w_j * 1000 + W / 2) / W,  W = sum_j w_j                       thousandths
 * T[i] = round(2^30 * 2^(-i/16)), i = 0..16: 2^-f by linear interpolation between 17 points
 * (relative error below 2.4e-4). The class with the largest accumulator has w = 2^30, so W > 0
 * and at least one p_j > 0; each p_j is in 0..1000 and printed as 0.000..1.000.
 */
#ifndef PED_PROBABILITY_H
#define PED_PROBABILITY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* clang-format off */
#define PED_PROB_EXP2_TABLE                                                                   \
    1073741824u, 1028218693u, 984625594u, 942880699u, 902905651u, 864625413u, 827968132u,    \
    792865000u, 759250125u, 727060411u, 696235434u, 666717336u, 638450708u, 611382493u,      \
    585461881u, 560640218u, 536870912u
/* clang-format on */

#define PED_PROB_ONE 1000u  /* p_j is in thousandths */

/* p_milli[j] for j < n from acc[0..n-1] (formula above). multiplier 0 (a model generated
 * before probabilities existed) or shift < 16 writes 0s and returns 0; else returns 1. */
int ped_probabilities(const int32_t *acc, uint16_t n, int32_t multiplier, uint8_t shift,
                      uint16_t *p_milli);

#ifdef __cplusplus
}
#endif

#endif /* PED_PROBABILITY_H */
