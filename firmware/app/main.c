/*
 * main.c - the firmware application until the serial protocol lands (a later issue): boots,
 * binds the generated model (ped_model.h) to the scheduler, and answers a debug text command
 * on the serial port, one per line:
 *     i <deadline_us> <exit_margin> <input byte>   run one inference (0 = no deadline/exit)
 * replying "stage k class c margin m cycles n" per completed stage, then
 * "done stages k class c reason r overrun_cycles n". The input is the byte repeated.
 */
#include <stddef.h>

#include "ped/arena.h"
#include "ped/board.h"
#include "ped/scheduler.h"
#include "ped/text.h"
#include "ped_model.h"

#ifndef PED_INPUT_CAPACITY
#define PED_INPUT_CAPACITY 4096u  /* int8 input elements the application can hold */
#endif

static uint8_t ped_arena[PED_ARENA_BYTES] __attribute__((aligned(16)));
static int8_t ped_input[PED_INPUT_CAPACITY];
static ped_scheduler_t ped_sched;

static void reply(ped_text_t *t)
{
    t->buf[t->len++] = '\n';
    board_serial_write((const uint8_t *)t->buf, t->len);
    t->len = 0;
}

static void on_stage(void *ctx, const ped_stage_report_t *r)
{
    ped_text_t *t = (ped_text_t *)ctx;
    ped_text_str(t, "stage ");
    ped_text_u64(t, r->stage);
    ped_text_str(t, " class ");
    ped_text_u64(t, r->class_index);
    ped_text_str(t, " margin ");
    ped_text_i64(t, r->margin);
    ped_text_str(t, " cycles ");
    ped_text_u64(t, r->cycles);
    reply(t);
}

/* Parse up to n unsigned decimal fields after the command letter. */
static unsigned parse(const char *line, uint32_t *out, unsigned n)
{
    unsigned got = 0;
    const char *p = line + 1;
    while (got < n) {
        while (*p == ' ') {
            p++;
        }
        if (*p < '0' || *p > '9') {
            break;
        }
        uint32_t v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10u + (uint32_t)(*p++ - '0');
        }
        out[got++] = v;
    }
    return got;
}

static void run(const char *line, ped_text_t *t)
{
    uint32_t f[3] = {0, 0, 0};
    if (line[0] != 'i' || parse(line, f, 3) != 3) {
        ped_text_str(t, "error usage: i <deadline_us> <exit_margin> <input byte>");
        reply(t);
        return;
    }
    for (uint32_t j = 0; j < ped_model.input_len; j++) {
        ped_input[j] = (int8_t)f[2];
    }
    const ped_infer_params_t p = {.deadline_us = f[0], .exit_margin = (int32_t)f[1]};
    ped_result_t r;
    ped_status_t st = ped_infer(&ped_sched, ped_input, &p, on_stage, t, &r);
    if (st != PED_OK) {
        ped_text_str(t, "error ");
        ped_text_str(t, ped_status_str(st));
        reply(t);
        return;
    }
    ped_text_str(t, "done stages ");
    ped_text_u64(t, r.stages_completed);
    ped_text_str(t, " class ");
    ped_text_u64(t, r.class_index);
    ped_text_str(t, r.default_answer ? " (default)" : "");
    ped_text_str(t, " reason ");
    ped_text_str(t, ped_stop_str(r.reason));
    ped_text_str(t, " overrun_cycles ");
    ped_text_u64(t, r.overrun);
    reply(t);
}

int main(void)
{
    ped_text_t t = {.len = 0};
    ped_status_t st = board_init();
    if (st == PED_OK) {
        st = ped_model.input_len <= PED_INPUT_CAPACITY
                 ? ped_scheduler_init(&ped_sched, &ped_model, ped_arena, sizeof ped_arena)
                 : PED_ERR_ARG;
    }
    ped_text_str(&t, "ped ");
    ped_text_str(&t, board_name());
    ped_text_str(&t, " stages ");
    ped_text_u64(&t, ped_model.n_stages);
    ped_text_str(&t, " classes ");
    ped_text_u64(&t, ped_model.n_classes);
    ped_text_str(&t, " status ");
    ped_text_str(&t, ped_status_str(st));
    reply(&t);
    if (st != PED_OK) {
        return 1;
    }
    char line[64];
    unsigned len = 0;
    for (;;) {
        uint8_t c;
        if (board_serial_read(&c, 1) == 0) {
            board_sleep();  /* the RX interrupt wakes us */
            continue;
        }
        if (c == '\n' || c == '\r') {
            line[len] = '\0';
            if (len) {
                run(line, &t);
            }
            len = 0;
        } else if (len < sizeof line - 1) {
            line[len++] = (char)c;
        }
    }
}
