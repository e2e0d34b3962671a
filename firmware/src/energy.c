/* energy.c - battery energy model of the emulated boards (see ped/energy.h). */
#include "ped/energy.h"

#define GIGA 1000000000u

uint16_t ped_energy_level(const ped_energy_t *e, uint64_t now)
{
    const uint64_t elapsed = now - e->t0;
    if (e->drain && elapsed > UINT64_MAX / e->drain) {
        return 0;  /* so long that any drain has emptied it */
    }
    const uint64_t spent = elapsed * e->drain / GIGA;
    return spent >= e->start ? 0 : (uint16_t)(e->start - spent);
}

uint64_t ped_energy_until_below(const ped_energy_t *e, uint64_t now, uint16_t threshold)
{
    if (ped_energy_level(e, now) < threshold) {
        return 0;
    }
    if (e->drain == 0) {
        return UINT64_MAX;
    }
    /* first c with floor(c * drain / 1e9) >= start - threshold + 1 */
    const uint64_t need = (uint64_t)(e->start - threshold) + 1u;
    const uint64_t cross = e->t0 + (need * GIGA + e->drain - 1u) / e->drain;
    return cross > now ? cross - now : 1u;
}
