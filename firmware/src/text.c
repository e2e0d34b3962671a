/* text.c - line builder for debug output (see ped/text.h). */
#include "ped/text.h"

#include "ped/board.h"

static void put(ped_text_t *t, char c)
{
    if (t->len < PED_TEXT_CAP - 1) {  /* keep one byte for the newline */
        t->buf[t->len++] = c;
    }
}

void ped_text_str(ped_text_t *t, const char *s)
{
    while (*s) {
        put(t, *s++);
    }
}

void ped_text_u64(ped_text_t *t, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    while (n) {
        put(t, digits[--n]);
    }
}

void ped_text_i64(ped_text_t *t, int64_t v)
{
    if (v < 0) {
        put(t, '-');
        ped_text_u64(t, (uint64_t)0 - (uint64_t)v);
    } else {
        ped_text_u64(t, (uint64_t)v);
    }
}

void ped_text_flush(ped_text_t *t)
{
    t->buf[t->len++] = '\n';
    board_console_write(t->buf, t->len);
    t->len = 0;
}
