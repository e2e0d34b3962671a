/*
 * bench_main.c - measurements for benchmarks/firmware.py, on the model the build was given
 * (ped_model.h: generated, or the fake demo model). Prints "BENCH ..." lines, then exits:
 *   BENCH stage <k> cycles <n> layers <l>         one inference, no deadline
 *   BENCH sweep <mode> <deadline_us> <reason> <stages> <overrun_cycles>
 *       deadlines from 50 us to the full run; mode "admission" uses the model's profiled
 *       costs, mode "interrupt" the same stages with costs hidden (cost_cycles = 0), so only
 *       the deadline interrupt and the abort flag stop them
 *   BENCH hz <board_cycles_hz>
 *   BENCH done
 * Under QEMU -icount the cycles are instruction time, not real Cortex-M cycles.
 */
#include "ped/arena.h"
#include "ped/board.h"
#include "ped/scheduler.h"
#include "ped/text.h"
#include "ped_model.h"

#ifndef PED_BENCH_POINTS
#define PED_BENCH_POINTS 64u
#endif
#define PED_BENCH_MAX_STAGES 16u

static uint8_t ped_arena[PED_ARENA_BYTES] __attribute__((aligned(16)));
static int8_t ped_input[4096];
static ped_scheduler_t ped_sched;
static ped_stage_t unprofiled[PED_BENCH_MAX_STAGES];

static void sweep(const char *mode, const ped_model_t *model, uint64_t full_us, ped_text_t *t)
{
    ped_infer_params_t p = {0};
    ped_result_t r;
    ped_scheduler_init(&ped_sched, model, ped_arena, sizeof ped_arena);
    for (uint32_t i = 0; i < PED_BENCH_POINTS; i++) {
        p.deadline_us = (uint32_t)(50u + (full_us * i) / PED_BENCH_POINTS);
        ped_infer(&ped_sched, ped_input, &p, NULL, NULL, &r);
        ped_text_str(t, "BENCH sweep ");
        ped_text_str(t, mode);
        ped_text_str(t, " ");
        ped_text_u64(t, p.deadline_us);
        ped_text_str(t, " ");
        ped_text_str(t, ped_stop_str(r.reason));
        ped_text_str(t, " ");
        ped_text_u64(t, r.stages_completed);
        ped_text_str(t, " ");
        ped_text_u64(t, r.overrun);
        ped_text_flush(t);
    }
}

static void on_stage(void *ctx, const ped_stage_report_t *r)
{
    ped_text_t *t = (ped_text_t *)ctx;
    ped_text_str(t, "BENCH stage ");
    ped_text_u64(t, r->stage);
    ped_text_str(t, " cycles ");
    ped_text_u64(t, r->cycles);
    ped_text_str(t, " layers ");
    ped_text_u64(t, ped_model.stages[r->stage - 1].n_layers);
    ped_text_flush(t);
}

int main(void)
{
    ped_text_t t = {.len = 0};
    if (board_init() != PED_OK || ped_model.input_len > sizeof ped_input ||
        ped_scheduler_init(&ped_sched, &ped_model, ped_arena, sizeof ped_arena) != PED_OK) {
        ped_text_str(&t, "BENCH error init");
        ped_text_flush(&t);
        return 1;
    }
    ped_text_str(&t, "BENCH hz ");
    ped_text_u64(&t, board_cycles_hz());
    ped_text_flush(&t);

    ped_infer_params_t p = {0};
    ped_result_t r;
    ped_infer(&ped_sched, ped_input, &p, on_stage, &t, &r);
    const uint64_t full_us = r.cycles * 1000000u / board_cycles_hz();

    sweep("admission", &ped_model, full_us, &t);
    ped_model_t hidden = ped_model;
    hidden.n_stages = ped_model.n_stages < PED_BENCH_MAX_STAGES ? ped_model.n_stages
                                                                 : PED_BENCH_MAX_STAGES;
    for (uint16_t k = 0; k < hidden.n_stages; k++) {
        unprofiled[k] = ped_model.stages[k];
        unprofiled[k].cost_cycles = 0;
    }
    hidden.stages = unprofiled;
    sweep("interrupt", &hidden, full_us, &t);
    ped_text_str(&t, "BENCH done");
    ped_text_flush(&t);
    return 0;
}
