/*
 * ped/scheduler.h - run the ensemble's stages in order until a deadline, a brown-out, the exit
 * threshold or the last stage, and answer with the last completed stage.
 *
 * Per inference, for stage k = 1..K (K = n_stages, or the request's stage limit):
 *   1. stop if the battery-low or deadline flag is set (reason battery / deadline);
 *   2. admission control: with a deadline and a profiled cost (cost_cycles > 0), do not start
 *      stage k when its cost, converted to board_cycles() ticks, exceeds the time left
 *      (reason admission);
 *   3. run stage k; the deadline and battery-low interrupts set the abort flag the stage polls
 *      between layers; an aborted stage is discarded (reason deadline / battery);
 *   4. accumulate its logits (ped/aggregate.h), report it through the sink;
 *   5. stop when the margin reaches the exit threshold (reason confident).
 * A stage that completes although the deadline fired during its last layer is kept (its
 * logits are whole); the run then stops with reason deadline before the next stage.
 * With no completed stage the answer is "stage 0": model->default_class, margin 0.
 *
 * Memory: everything lives in ped_scheduler_t (accumulator, logits, flags) and the caller's
 * arena; there is no heap and no hidden static state.
 */
#ifndef PED_SCHEDULER_H
#define PED_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "ped/model.h"
#include "ped/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PED_MAX_CLASSES
#define PED_MAX_CLASSES 32  /* accumulator capacity; override with -DPED_MAX_CLASSES=N */
#endif

typedef struct {
    uint32_t deadline_us;  /* time budget from the call, 0 = no deadline */
    uint16_t max_stages;   /* run at most this many stages, 0 = all */
    int32_t exit_margin;   /* stop once margin >= exit_margin (accumulator units); 0 = never */
} ped_infer_params_t;

/* One completed stage, as handed to the sink (valid only during the call). */
typedef struct {
    uint16_t stage;          /* 1-based index of the completed stage */
    uint16_t class_index;    /* argmax of the accumulator so far */
    int32_t margin;          /* acc[class] - runner-up, accumulator units */
    uint16_t n_classes;
    const int32_t *scores;   /* the accumulator, n_classes entries */
    const int8_t *logits;    /* this stage's own int8 logits */
    uint64_t cycles;         /* board_cycles() ticks spent in this stage */
    uint64_t elapsed;        /* ticks since the inference started */
} ped_stage_report_t;

/* Called after each completed stage (not in interrupt context); may send it over serial. */
typedef void (*ped_stage_sink)(void *ctx, const ped_stage_report_t *report);

typedef struct {
    uint16_t stages_completed;  /* last completed stage, 0 = none ("stage 0") */
    bool default_answer;        /* true when stages_completed == 0: class is default_class */
    uint16_t class_index;
    int32_t margin;             /* 0 for the default answer */
    ped_stop_t reason;
    uint16_t aborted_stage;     /* the stage discarded mid-run, 0 if none */
    uint16_t skipped_stage;     /* the stage refused by admission control, 0 if none */
    uint64_t cycles;            /* ticks from the call to the answer */
    uint64_t overrun;           /* ticks from the deadline interrupt to the answer, 0 if it
                                   did not fire */
} ped_result_t;

typedef struct {
    const ped_model_t *model;
    uint8_t *arena;
    uint32_t arena_bytes;
    volatile uint8_t abort_flag;     /* polled by stages between layers */
    volatile uint8_t deadline_hit;   /* set by the deadline interrupt */
    volatile uint8_t battery_hit;    /* set by the battery-low interrupt */
    volatile uint64_t deadline_at;   /* board_cycles() when the deadline interrupt ran */
    int32_t acc[PED_MAX_CLASSES];
    int8_t logits[PED_MAX_CLASSES];
} ped_scheduler_t;

/* Bind a model and its arena (16-byte aligned, >= model->arena_bytes) and register the
 * battery-low interrupt. Requires board_init() first.
 * @retval PED_OK, PED_ERR_ARG, PED_ERR_MODEL, PED_ERR_CLASSES, PED_ERR_ARENA. */
ped_status_t ped_scheduler_init(ped_scheduler_t *s, const ped_model_t *model, uint8_t *arena,
                                uint32_t arena_bytes);

/* Run one inference on `input` (model->input_len int8 values). `sink` may be NULL.
 * @retval PED_OK (then *result is filled), PED_ERR_ARG. */
ped_status_t ped_infer(ped_scheduler_t *s, const int8_t *input, const ped_infer_params_t *params,
                       ped_stage_sink sink, void *sink_ctx, ped_result_t *result);

/* Convert a profiled CPU-cycle cost into board_cycles() ticks (rounded up). */
uint64_t ped_cost_to_ticks(uint32_t cost_cycles);

/* Admission adds 1/PED_ADMISSION_MARGIN_DIV (1/64 = 1.6%) to a stage's profiled cost: inside
 * the scheduler a stage measured up to 1.2% longer than the profiler's isolated run (the UART
 * interrupts of the previous stage's report, another input), so without a margin a deadline
 * in that sliver after a stage's profiled end fired inside the stage. */
#define PED_ADMISSION_MARGIN_DIV 64u

/* The ticks admission control reserves for a stage: ped_cost_to_ticks() plus the margin. */
uint64_t ped_admitted_ticks(uint32_t cost_cycles);

#ifdef __cplusplus
}
#endif

#endif /* PED_SCHEDULER_H */
