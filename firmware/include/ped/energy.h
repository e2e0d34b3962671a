/*
 * ped/energy.h - the battery energy model of the emulated boards (native, QEMU): charge in
 * permille that falls by `drain` permille per 10^9 active CPU cycles (cycles asleep are not
 * counted by the boards). Pure functions; the board keeps the state and the timer.
 */
#ifndef PED_ENERGY_H
#define PED_ENERGY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint16_t start;  /* permille at t0 */
    uint32_t drain;  /* permille per 10^9 active cycles, 0 = none */
    uint64_t t0;     /* active cycles when the model was (re)started */
} ped_energy_t;

/* Charge at active cycle `now` (>= t0): start - floor((now - t0) * drain / 1e9), floored at 0. */
uint16_t ped_energy_level(const ped_energy_t *e, uint64_t now);

/* Active cycles from `now` until the charge first drops below `threshold`: 0 when it already
 * is, UINT64_MAX when it never will (no drain). */
uint64_t ped_energy_until_below(const ped_energy_t *e, uint64_t now, uint16_t threshold);

#ifdef __cplusplus
}
#endif

#endif /* PED_ENERGY_H */
