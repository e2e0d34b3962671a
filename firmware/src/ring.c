/* ring.c - single-producer single-consumer byte ring (see ped/ring.h). */
#include "ped/ring.h"

#include "ped/board.h"

/* Keep the byte store before the index store that publishes it (single core: a compiler
 * barrier is enough). */
#if defined(__GNUC__)
#define PED_BARRIER() __asm__ volatile("" ::: "memory")
#else
#define PED_BARRIER() ((void)0)
#endif

int ped_ring_init(ped_ring_t *r, uint8_t *storage, uint32_t capacity)
{
    if (!r || !storage || capacity < 2 || (capacity & (capacity - 1)) != 0) {
        return -1;
    }
    r->buf = storage;
    r->mask = capacity - 1;
    r->head = 0;
    r->tail = 0;
    r->dropped = 0;
    return 0;
}

uint32_t ped_ring_used(const ped_ring_t *r) { return r->head - r->tail; }

uint32_t ped_ring_free(const ped_ring_t *r) { return r->mask + 1 - (r->head - r->tail); }

int ped_ring_put(ped_ring_t *r, uint8_t byte)
{
    uint32_t head = r->head;
    if (head - r->tail > r->mask) {
        r->dropped++;
        return -1;
    }
    r->buf[head & r->mask] = byte;
    PED_BARRIER();
    r->head = head + 1;  /* publish after the byte is stored */
    return 0;
}

int ped_ring_get(ped_ring_t *r, uint8_t *byte)
{
    uint32_t tail = r->tail;
    if (r->head == tail) {
        return -1;
    }
    *byte = r->buf[tail & r->mask];
    PED_BARRIER();
    r->tail = tail + 1;
    return 0;
}

size_t ped_ring_read(ped_ring_t *r, uint8_t *dst, size_t max)
{
    size_t n = 0;
    while (n < max && ped_ring_get(r, &dst[n]) == 0) {
        n++;
    }
    return n;
}

size_t ped_ring_write(ped_ring_t *r, const uint8_t *data, size_t len, void (*kick)(void))
{
    for (size_t i = 0; i < len; i++) {
        while (ped_ring_free(r) == 0) {
            board_sleep();  /* the TX interrupt makes room */
        }
        ped_ring_put(r, data[i]);
        kick();
    }
    return len;
}
