/*
 * ped/trial.h - field-trial records: one per window, kept in a ring until the host
 * acknowledges them (docs/protocol.md, TRIAL_*). Pure bookkeeping over caller-owned state;
 * no I/O, no heap.
 *
 * Sequence numbers are consecutive. When the ring is full a new window record is dropped
 * and counted; the next time there is room an OVERFLOW record takes the first dropped
 * sequence number and carries the count, so seq..seq+count-1 are accounted for. One slot is
 * always kept free for that record.
 */
#ifndef PED_TRIAL_H
#define PED_TRIAL_H

#include <stdint.h>

#ifndef PED_TRIAL_RING
#define PED_TRIAL_RING 32u /* records held until acknowledged */
#endif

typedef enum { PED_TREC_WINDOW = 0, PED_TREC_OVERFLOW = 1, PED_TREC_END = 2 } ped_trec_kind_t;

typedef struct {
    uint32_t seq;
    uint8_t kind;        /* ped_trec_kind_t */
    uint8_t stage;       /* stage reached (0 = default answer) */
    uint8_t reason;      /* ped_stop_t */
    uint16_t cls;
    int32_t margin;
    uint16_t battery;    /* permille after the window */
    uint32_t window;     /* the host's window index (sensor windows: a local counter) */
    uint32_t count;      /* OVERFLOW: records dropped from seq on; else 1 */
    uint32_t cycles;     /* board_cycles() ticks of the inference */
    uint64_t t_us;       /* board time at the end of the window */
} ped_trec_t;

typedef struct {
    ped_trec_t rec[PED_TRIAL_RING];
    uint32_t head;        /* index of the oldest held record */
    uint32_t used;
    uint32_t next_seq;    /* sequence number of the next record */
    uint32_t ovf_count;   /* dropped, not yet reported */
    uint32_t ovf_first;
} ped_trial_ring_t;

void ped_trial_ring_init(ped_trial_ring_t *r, uint32_t next_seq);
/* Assign rec->seq and store it (reporting a pending overflow first); returns 1 if stored,
 * 0 if dropped (counted for the next OVERFLOW record). */
int ped_trial_ring_push(ped_trial_ring_t *r, ped_trec_t *rec);
/* Drop every record with seq < next; then store a pending OVERFLOW record if there is room. */
void ped_trial_ring_ack(ped_trial_ring_t *r, uint32_t next);
/* The i-th held record (0 = oldest), i < used. */
const ped_trec_t *ped_trial_ring_at(const ped_trial_ring_t *r, uint32_t i);

/* Wire form of a record (TRIAL payload); returns the byte count (PED_TREC_BYTES). */
#define PED_TREC_BYTES 35u
uint32_t ped_trec_encode(const ped_trec_t *rec, uint8_t *out);

#endif /* PED_TRIAL_H */
