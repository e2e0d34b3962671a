/*
 * ped/text.h - a fixed-size line builder for debug and test output, with no printf (newlib-nano's
 * printf has no 64-bit integers and costs kilobytes). Text past the capacity is cut, never
 * overflowed. ped_text_flush() writes the line to board_console_write() and empties it.
 */
#ifndef PED_TEXT_H
#define PED_TEXT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PED_TEXT_CAP 160

typedef struct {
    char buf[PED_TEXT_CAP];
    uint16_t len;
} ped_text_t;

void ped_text_str(ped_text_t *t, const char *s);
void ped_text_u64(ped_text_t *t, uint64_t v);
void ped_text_i64(ped_text_t *t, int64_t v);
/* Append "\n" and write the line to the console. */
void ped_text_flush(ped_text_t *t);

#ifdef __cplusplus
}
#endif

#endif /* PED_TEXT_H */
