/*
 * ped/ring.h - a byte ring buffer for one producer and one consumer (an ISR and the main
 * loop). The storage is the caller's; capacity is a power of two; one side only ever writes
 * `head`, the other only `tail`, so no locking is needed on a single core.
 */
#ifndef PED_RING_H
#define PED_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint8_t *buf;
    uint32_t mask;           /* capacity - 1 */
    volatile uint32_t head;  /* written by the producer only */
    volatile uint32_t tail;  /* written by the consumer only */
    volatile uint32_t dropped; /* bytes refused because the ring was full (producer side) */
} ped_ring_t;

/* capacity must be a power of two >= 2; returns 0 on success, -1 otherwise. */
int ped_ring_init(ped_ring_t *r, uint8_t *storage, uint32_t capacity);
/* Producer: append one byte; returns 0, or -1 (and counts it dropped) when full. */
int ped_ring_put(ped_ring_t *r, uint8_t byte);
/* Consumer: take one byte into *byte; returns 0, or -1 when empty. */
int ped_ring_get(ped_ring_t *r, uint8_t *byte);
/* Producer outside interrupts (a board's serial TX): queue len bytes, sleeping (board_sleep)
 * while the ring is full, and call kick() after each byte so an idle transmitter starts;
 * the TX interrupt drains the rest. Returns len. */
size_t ped_ring_write(ped_ring_t *r, const uint8_t *data, size_t len, void (*kick)(void));
/* Consumer: take up to max bytes into dst; returns how many. */
size_t ped_ring_read(ped_ring_t *r, uint8_t *dst, size_t max);
uint32_t ped_ring_used(const ped_ring_t *r);
uint32_t ped_ring_free(const ped_ring_t *r);

#ifdef __cplusplus
}
#endif

#endif /* PED_RING_H */
