/* trial.c - field-trial record ring (see ped/trial.h). */
#include "ped/trial.h"

#include <string.h>

#include "ped/protocol.h"

void ped_trial_ring_init(ped_trial_ring_t *r, uint32_t next_seq)
{
    memset(r, 0, sizeof *r);
    r->next_seq = next_seq;
}

static void store(ped_trial_ring_t *r, const ped_trec_t *rec)
{
    r->rec[(r->head + r->used) % PED_TRIAL_RING] = *rec;
    r->used++;
}

static void flush_overflow(ped_trial_ring_t *r)
{
    if (r->ovf_count == 0 || r->used >= PED_TRIAL_RING) {
        return;
    }
    ped_trec_t o;
    memset(&o, 0, sizeof o);
    o.seq = r->ovf_first;
    o.kind = PED_TREC_OVERFLOW;
    o.count = r->ovf_count;
    store(r, &o);
    r->ovf_count = 0;
}

int ped_trial_ring_push(ped_trial_ring_t *r, ped_trec_t *rec)
{
    if (r->used + 1u < PED_TRIAL_RING) { /* not while only the reserved slot is left */
        flush_overflow(r);
    }
    rec->seq = r->next_seq++;
    if (rec->kind != PED_TREC_OVERFLOW) {
        rec->count = 1;
    }
    /* keep one slot for the OVERFLOW record (none pending: the last slot is usable) */
    if (r->ovf_count == 0 && r->used + 1u < PED_TRIAL_RING) {
        store(r, rec);
        return 1;
    }
    if (r->ovf_count == 0) {
        r->ovf_first = rec->seq;
    }
    r->ovf_count++;
    return 0;
}

void ped_trial_ring_ack(ped_trial_ring_t *r, uint32_t next)
{
    while (r->used && (int32_t)(r->rec[r->head].seq - next) < 0) {
        r->head = (r->head + 1u) % PED_TRIAL_RING;
        r->used--;
    }
    flush_overflow(r);
}

const ped_trec_t *ped_trial_ring_at(const ped_trial_ring_t *r, uint32_t i)
{
    return &r->rec[(r->head + i) % PED_TRIAL_RING];
}

uint32_t ped_trec_encode(const ped_trec_t *rec, uint8_t *out)
{
    uint8_t *p = ped_put_u32(out, rec->seq);
    p = ped_put_u8(p, rec->kind);
    p = ped_put_u32(p, (uint32_t)rec->t_us);
    p = ped_put_u32(p, (uint32_t)(rec->t_us >> 32));
    p = ped_put_u32(p, rec->window);
    p = ped_put_u8(p, rec->stage);
    p = ped_put_u16(p, rec->cls);
    p = ped_put_u32(p, (uint32_t)rec->margin);
    p = ped_put_u8(p, rec->reason);
    p = ped_put_u16(p, rec->battery);
    p = ped_put_u32(p, rec->cycles);
    p = ped_put_u32(p, rec->count);
    return (uint32_t)(p - out);
}
