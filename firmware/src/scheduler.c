/* scheduler.c - the stage scheduler; behaviour and contracts in ped/scheduler.h. */
#include "ped/scheduler.h"

#include <stddef.h>

#include "ped/aggregate.h"
#include "ped/board.h"

static void on_deadline(void *ctx)
{
    ped_scheduler_t *s = (ped_scheduler_t *)ctx;
    s->deadline_at = board_cycles();
    s->deadline_hit = 1;
    s->abort_flag = 1;
}

static void on_battery_low(void *ctx)
{
    ped_scheduler_t *s = (ped_scheduler_t *)ctx;
    s->battery_hit = 1;
    s->abort_flag = 1;
}

uint64_t ped_cost_to_ticks(uint32_t cost_cycles)
{
    uint64_t hz = board_cycles_hz();
    uint64_t cpu = board_cpu_hz();
    return ((uint64_t)cost_cycles * hz + cpu - 1) / cpu;
}

uint64_t ped_admitted_ticks(uint32_t cost_cycles)
{
    const uint64_t ticks = ped_cost_to_ticks(cost_cycles);
    return ticks + (ticks + PED_ADMISSION_MARGIN_DIV - 1) / PED_ADMISSION_MARGIN_DIV;
}

static uint64_t us_to_ticks(uint32_t us)
{
    return ((uint64_t)us * board_cycles_hz() + 999999u) / 1000000u;
}

ped_status_t ped_scheduler_init(ped_scheduler_t *s, const ped_model_t *model, uint8_t *arena,
                                uint32_t arena_bytes)
{
    if (!s || !model || (!arena && arena_bytes)) {
        return PED_ERR_ARG;
    }
    if (model->n_stages == 0 || !model->stages || model->n_classes < 2 ||
        model->default_class >= model->n_classes) {
        return PED_ERR_MODEL;
    }
    for (uint16_t k = 0; k < model->n_stages; k++) {
        if (!model->stages[k].run) {
            return PED_ERR_MODEL;
        }
    }
    if (model->n_classes > PED_MAX_CLASSES) {
        return PED_ERR_CLASSES;
    }
    if (arena_bytes < model->arena_bytes) {
        return PED_ERR_ARENA;
    }
    s->model = model;
    s->arena = arena;
    s->arena_bytes = arena_bytes;
    s->abort_flag = 0;
    s->deadline_hit = 0;
    s->battery_hit = 0;
    s->deadline_at = 0;
    board_battery_on_low(on_battery_low, s);
    return PED_OK;
}

/* Why the run must stop now, or PED_STOP_COUNT to go on. Battery wins over deadline. */
static ped_stop_t pending_stop(const ped_scheduler_t *s)
{
    if (s->battery_hit) {
        return PED_STOP_BATTERY;
    }
    if (s->deadline_hit) {
        return PED_STOP_DEADLINE;
    }
    return PED_STOP_COUNT;
}

ped_status_t ped_infer(ped_scheduler_t *s, const int8_t *input, const ped_infer_params_t *params,
                       ped_stage_sink sink, void *sink_ctx, ped_result_t *result)
{
    if (!s || !s->model || !input || !params || !result) {
        return PED_ERR_ARG;
    }
    const ped_model_t *m = s->model;
    uint16_t n_stages = m->n_stages;
    if (params->max_stages && params->max_stages < n_stages) {
        n_stages = params->max_stages;
    }
    for (uint16_t j = 0; j < m->n_classes; j++) {
        s->acc[j] = 0;
    }
    s->deadline_hit = 0;
    s->deadline_at = 0;
    s->battery_hit = board_battery_low() ? 1 : 0;
    s->abort_flag = s->battery_hit;

    *result = (ped_result_t){.default_answer = true, .class_index = m->default_class,
                             .reason = PED_STOP_ALL};
    const uint64_t t0 = board_cycles();
    const bool timed = params->deadline_us != 0;
    const uint64_t due = timed ? t0 + us_to_ticks(params->deadline_us) : UINT64_MAX;
    if (timed && board_deadline_arm(params->deadline_us, on_deadline, s) != PED_OK) {
        return PED_ERR_ARG;
    }

    for (uint16_t k = 0; k < n_stages; k++) {
        const ped_stage_t *st = &m->stages[k];
        ped_stop_t stop = pending_stop(s);
        if (stop != PED_STOP_COUNT) {
            result->reason = stop;
            break;
        }
        const uint64_t start = board_cycles();
        if (timed && st->cost_cycles && start + ped_admitted_ticks(st->cost_cycles) > due) {
            result->reason = PED_STOP_ADMISSION;
            result->skipped_stage = (uint16_t)(k + 1);
            break;
        }
        ped_stage_status_t status = st->run(input, s->arena, s->logits, &s->abort_flag);
        const uint64_t end = board_cycles();
        if (status != PED_STAGE_DONE) {
            result->aborted_stage = (uint16_t)(k + 1);
            stop = pending_stop(s);
            result->reason = stop == PED_STOP_COUNT ? PED_STOP_DEADLINE : stop;
            break;
        }
        ped_aggregate_add(s->acc, s->logits, m->n_classes, st->agg_multiplier,
                          st->logit_zero_point);
        ped_aggregate_decide(s->acc, m->n_classes, &result->class_index, &result->margin);
        result->stages_completed = (uint16_t)(k + 1);
        result->default_answer = false;
        if (sink) {
            ped_stage_report_t rep = {
                .stage = (uint16_t)(k + 1), .class_index = result->class_index,
                .margin = result->margin, .n_classes = m->n_classes, .scores = s->acc,
                .logits = s->logits, .cycles = end - start, .elapsed = end - t0};
            sink(sink_ctx, &rep);
        }
        if (params->exit_margin > 0 && result->margin >= params->exit_margin) {
            result->reason = PED_STOP_CONFIDENT;
            break;
        }
    }
    if (timed) {
        board_deadline_cancel();
    }
    const uint64_t done = board_cycles();
    result->cycles = done - t0;
    result->overrun = s->deadline_hit ? done - s->deadline_at : 0;
    s->abort_flag = 0;
    return PED_OK;
}
