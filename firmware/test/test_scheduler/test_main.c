/*
 * test_main.c - scheduler, aggregation and board tests, run on every offline board (native,
 * qemu-m4, qemu-m3). Stages are the fake ones (firmware/fake): known cost, golden logits from
 * pipeline/aggregate.py. Prints "case NAME: PASS|FAIL" per case and ends with ONE line,
 * "PED-TESTS: PASS ..." or "PED-TESTS: FAIL ...", then exits 0 / 1.
 */
#include <stddef.h>

#include "fake_stages.h"
#include "golden_agg.h"
#include "ped/aggregate.h"
#include "ped/board.h"
#include "ped/energy.h"
#include "ped/ring.h"
#include "ped/scheduler.h"
#include "ped/text.h"

#ifndef PED_TEST_OVERRUN_SLACK_US
#define PED_TEST_OVERRUN_SLACK_US 100u  /* beyond one layer: bookkeeping after the abort */
#endif
#define LAYER_US FAKE_LAYER_US
#define STAGE_US (FAKE_LAYERS * FAKE_LAYER_US)
#define DEFAULT_CLASS 3

static unsigned n_checks, n_failed_checks;

static void fail_line(int line, const char *what)
{
    ped_text_t t = {.len = 0};
    ped_text_str(&t, "  check failed, line ");
    ped_text_u64(&t, (uint64_t)line);
    ped_text_str(&t, ": ");
    ped_text_str(&t, what);
    ped_text_flush(&t);
}

static void check_eq(int64_t got, int64_t want, const char *expr, int line)
{
    n_checks++;
    if (got != want) {
        n_failed_checks++;
        ped_text_t t = {.len = 0};
        ped_text_str(&t, "  check failed, line ");
        ped_text_u64(&t, (uint64_t)line);
        ped_text_str(&t, ": ");
        ped_text_str(&t, expr);
        ped_text_str(&t, " got ");
        ped_text_i64(&t, got);
        ped_text_str(&t, " want ");
        ped_text_i64(&t, want);
        ped_text_flush(&t);
    }
}

static void check_true(int ok, const char *expr, int line)
{
    n_checks++;
    if (!ok) {
        n_failed_checks++;
        fail_line(line, expr);
    }
}

#define CHECK_EQ(got, want) check_eq((int64_t)(got), (int64_t)(want), #got " == " #want, __LINE__)
#define CHECK(cond) check_true((cond) ? 1 : 0, #cond, __LINE__)

/* ---- stage tables ---- */

static const ped_stage_t stages_unprofiled[FAKE_N_STAGES] = {
    FAKE_STAGE(1, 0), FAKE_STAGE(2, 0), FAKE_STAGE(3, 0), FAKE_STAGE(4, 0)};
static const ped_stage_t stages_profiled[FAKE_N_STAGES] = {
    FAKE_STAGE(1, FAKE_STAGE_CYCLES), FAKE_STAGE(2, FAKE_STAGE_CYCLES),
    FAKE_STAGE(3, FAKE_STAGE_CYCLES), FAKE_STAGE(4, FAKE_STAGE_CYCLES)};

#define MODEL(stage_table, n)                                                               \
    {.n_stages = (n), .n_classes = FAKE_N_CLASSES, .input_len = 1, .input_zero_point = 0,   \
     .arena_bytes = 64, .default_class = DEFAULT_CLASS, .stages = (stage_table),           \
     .bundle_hash = NULL}

static const ped_model_t model_unprofiled = MODEL(stages_unprofiled, FAKE_N_STAGES);
static const ped_model_t model_profiled = MODEL(stages_profiled, FAKE_N_STAGES);

static uint8_t arena[64] __attribute__((aligned(16)));
static ped_scheduler_t sched;

/* ---- sink: every reported stage must equal the Python model ---- */

typedef struct {
    unsigned sample;
    unsigned reports;
    uint16_t last_stage;
} sink_state_t;

static void golden_sink(void *ctx, const ped_stage_report_t *r)
{
    sink_state_t *st = (sink_state_t *)ctx;
    const unsigned k = r->stage - 1u;
    st->reports++;
    CHECK_EQ(r->stage, st->last_stage + 1u);
    st->last_stage = r->stage;
    CHECK_EQ(r->n_classes, GOLDEN_N_CLASSES);
    for (unsigned j = 0; j < GOLDEN_N_CLASSES; j++) {
        CHECK_EQ(r->scores[j], golden_acc[k][st->sample][j]);
        CHECK_EQ(r->logits[j], golden_logits[k][st->sample][j]);
    }
    CHECK_EQ(r->class_index, golden_class[k][st->sample]);
    CHECK_EQ(r->margin, golden_margin[k][st->sample]);
    CHECK(r->cycles > 0 && r->elapsed >= r->cycles);
}

static ped_result_t infer(const ped_model_t *model, unsigned sample,
                          const ped_infer_params_t *params, sink_state_t *st)
{
    ped_result_t res;
    const int8_t input[1] = {(int8_t)sample};
    *st = (sink_state_t){.sample = sample, .reports = 0, .last_stage = 0};
    CHECK_EQ(ped_scheduler_init(&sched, model, arena, sizeof arena), PED_OK);
    CHECK_EQ(ped_infer(&sched, input, params, golden_sink, st, &res), PED_OK);
    CHECK_EQ(st->reports, res.stages_completed);
    return res;
}

static uint64_t us_ticks(uint64_t us) { return us * board_cycles_hz() / 1000000u; }

/* Deadline interrupt to answer: at most the rest of one layer plus bookkeeping. (It can read
 * 0 on `native`, whose CPU-time clock is sometimes stale right after a signal.) */
static void check_overrun(const ped_result_t *r)
{
    CHECK(r->overrun <= us_ticks(LAYER_US + PED_TEST_OVERRUN_SLACK_US));
    CHECK(r->cycles >= r->overrun);
}

/* ---- cases ---- */

static void case_status_strings(void)
{
    CHECK_EQ(PED_STATUS_COUNT, 8);
    CHECK_EQ(PED_STOP_COUNT, 5);
    static const char *const stops[] = {"all", "deadline", "battery", "confident", "admission"};
    for (int i = 0; i < PED_STOP_COUNT; i++) {
        const char *a = ped_stop_str((ped_stop_t)i), *b = stops[i];
        while (*a && *a == *b) {
            a++;
            b++;
        }
        CHECK_EQ(*a, *b);
    }
    CHECK_EQ(ped_status_str(PED_OK)[0], 'o');
    CHECK_EQ(ped_status_str(PED_STATUS_COUNT)[0], '?');
    CHECK_EQ(ped_stop_str(PED_STOP_COUNT)[0], '?');
}

static void case_aggregate_golden(void)
{
    for (unsigned s = 0; s < GOLDEN_N_SAMPLES; s++) {
        int32_t acc[GOLDEN_N_CLASSES] = {0};
        static const int32_t m[] = {GOLDEN_MULTIPLIER_1, GOLDEN_MULTIPLIER_2,
                                    GOLDEN_MULTIPLIER_3, GOLDEN_MULTIPLIER_4};
        static const int32_t z[] = {GOLDEN_ZERO_POINT_1, GOLDEN_ZERO_POINT_2,
                                    GOLDEN_ZERO_POINT_3, GOLDEN_ZERO_POINT_4};
        for (unsigned k = 0; k < GOLDEN_N_STAGES; k++) {
            ped_aggregate_add(acc, golden_logits[k][s], GOLDEN_N_CLASSES, m[k], z[k]);
            uint16_t cls;
            int32_t margin;
            ped_aggregate_decide(acc, GOLDEN_N_CLASSES, &cls, &margin);
            for (unsigned j = 0; j < GOLDEN_N_CLASSES; j++) {
                CHECK_EQ(acc[j], golden_acc[k][s][j]);
            }
            CHECK_EQ(cls, golden_class[k][s]);
            CHECK_EQ(margin, golden_margin[k][s]);
        }
    }
}

static void case_all_stages_match_python(void)
{
    const ped_infer_params_t p = {0};
    for (unsigned s = 0; s < GOLDEN_N_SAMPLES; s++) {
        sink_state_t st;
        ped_result_t r = infer(&model_unprofiled, s, &p, &st);
        CHECK_EQ(r.reason, PED_STOP_ALL);
        CHECK_EQ(r.stages_completed, FAKE_N_STAGES);
        CHECK(!r.default_answer);
        CHECK_EQ(r.class_index, golden_class[FAKE_N_STAGES - 1][s]);
        CHECK_EQ(r.margin, golden_margin[FAKE_N_STAGES - 1][s]);
        CHECK_EQ(r.overrun, 0);
    }
}

static void case_deadline_before_stage1(void)
{
    const ped_infer_params_t p = {.deadline_us = LAYER_US + LAYER_US / 2};
    sink_state_t st;
    ped_result_t r = infer(&model_unprofiled, 4, &p, &st);
    CHECK_EQ(r.reason, PED_STOP_DEADLINE);
    CHECK_EQ(r.stages_completed, 0);
    CHECK(r.default_answer);
    CHECK_EQ(r.class_index, DEFAULT_CLASS);
    CHECK_EQ(r.margin, 0);
    CHECK_EQ(r.aborted_stage, 1);
    check_overrun(&r);
}

static void case_deadline_mid_stage_discards(void)
{
    const ped_infer_params_t p = {.deadline_us = STAGE_US + STAGE_US / 2};
    sink_state_t st;
    ped_result_t r = infer(&model_unprofiled, 5, &p, &st);
    CHECK_EQ(r.reason, PED_STOP_DEADLINE);
    CHECK_EQ(r.stages_completed, 1);
    CHECK_EQ(r.aborted_stage, 2);
    CHECK(!r.default_answer);
    CHECK_EQ(r.class_index, golden_class[0][5]);  /* stage 2's partial work is not in it */
    CHECK_EQ(r.margin, golden_margin[0][5]);
    for (unsigned j = 0; j < GOLDEN_N_CLASSES; j++) {
        CHECK_EQ(sched.acc[j], golden_acc[0][5][j]);
    }
    check_overrun(&r);
}

static void case_admission_skips(void)
{
    const ped_infer_params_t p = {.deadline_us = 2 * STAGE_US + STAGE_US / 2};
    sink_state_t st;
    ped_result_t r = infer(&model_profiled, 6, &p, &st);
    CHECK_EQ(r.reason, PED_STOP_ADMISSION);
    CHECK_EQ(r.stages_completed, 2);
    CHECK_EQ(r.skipped_stage, 3);
    CHECK_EQ(r.aborted_stage, 0);
    CHECK_EQ(r.overrun, 0);  /* it answered before the deadline */
    CHECK(r.cycles < us_ticks(p.deadline_us));
    CHECK_EQ(r.class_index, golden_class[1][6]);
}

static void set_flag(void *ctx);

/* Set the battery. Boards with a real monitor (PED_HOST_BATTERY: the Pico's ADC) refuse
 * board_battery_simulate; under their emulator the test asks the host to set what the ADC
 * reads with a console line (`@emu battery P D`, boards/pico/emulator/run.mjs) and waits two
 * sampling periods so the firmware has seen it. */
static void battery_set(uint16_t permille, uint32_t drain)
{
#ifdef PED_HOST_BATTERY
    CHECK_EQ(board_battery_simulate(permille, drain), PED_ERR_NOT_SUPPORTED);
    ped_text_t t = {.len = 0};
    ped_text_str(&t, "@emu battery ");
    ped_text_u64(&t, permille);
    ped_text_str(&t, " ");
    ped_text_u64(&t, drain);
    ped_text_flush(&t);
    volatile uint8_t waited = 0;
    CHECK_EQ(board_deadline_arm(2u * PED_BATTERY_SAMPLE_US + 10u, set_flag, (void *)&waited),
             PED_OK);
    while (!waited) {
        board_sleep();
    }
#else
    CHECK_EQ(board_battery_simulate(permille, drain), PED_OK);
#endif
}

static void case_battery_drop_stops(void)
{
#ifdef PED_TEST_NO_BATTERY
    /* a stand-in with no battery at all (QEMU microbit: POWER is a stub): the board refuses
     * the energy model and never reports low; nothing else can be checked here */
    CHECK_EQ(board_battery_simulate(1000, 0), PED_ERR_NOT_SUPPORTED);
    CHECK(!board_battery_low());
    return;
#endif
    /* drain so the level crosses the threshold 1.5 stages from now */
    const uint64_t cross = (uint64_t)(STAGE_US + STAGE_US / 2) * board_cpu_hz() / 1000000u;
    const uint32_t above = 1000u - board_battery_threshold() + 1u;
    const uint32_t drain = (uint32_t)((uint64_t)above * 1000000000u / cross);
    sink_state_t st;
    const ped_infer_params_t p = {0};
    CHECK_EQ(ped_scheduler_init(&sched, &model_unprofiled, arena, sizeof arena), PED_OK);
    battery_set(1000, drain);
    ped_result_t r = infer(&model_unprofiled, 7, &p, &st);
    CHECK_EQ(r.reason, PED_STOP_BATTERY);
    CHECK_EQ(r.stages_completed, 1);
    CHECK_EQ(r.aborted_stage, 2);
    CHECK(board_battery_low());
    CHECK(board_battery_permille() < board_battery_threshold());

    /* already low: no stage runs at all */
    r = infer(&model_unprofiled, 7, &p, &st);
    CHECK_EQ(r.reason, PED_STOP_BATTERY);
    CHECK_EQ(r.stages_completed, 0);
    CHECK_EQ(r.aborted_stage, 0);
    CHECK(r.default_answer);

    battery_set(1000, 0);
    CHECK(!board_battery_low());
#ifndef PED_HOST_BATTERY
    CHECK_EQ(board_battery_simulate(1001, 0), PED_ERR_ARG);
#endif
}

static void case_threshold_exits_early(void)
{
    unsigned s = GOLDEN_N_SAMPLES;
    for (unsigned i = 0; i < GOLDEN_N_SAMPLES; i++) {
        if (golden_margin[0][i] < golden_margin[1][i]) {
            s = i;
            break;
        }
    }
    CHECK(s < GOLDEN_N_SAMPLES);
    if (s == GOLDEN_N_SAMPLES) {
        return;
    }
    const ped_infer_params_t p = {.exit_margin = golden_margin[1][s]};
    sink_state_t st;
    ped_result_t r = infer(&model_unprofiled, s, &p, &st);
    CHECK_EQ(r.reason, PED_STOP_CONFIDENT);
    CHECK_EQ(r.stages_completed, 2);
    CHECK_EQ(r.class_index, golden_class[1][s]);
}

static void case_stage_limit(void)
{
    const ped_infer_params_t p = {.max_stages = 2};
    sink_state_t st;
    ped_result_t r = infer(&model_unprofiled, 3, &p, &st);
    CHECK_EQ(r.reason, PED_STOP_ALL);
    CHECK_EQ(r.stages_completed, 2);
}

static void case_init_refuses_bad_tables(void)
{
    static const ped_model_t empty = MODEL(stages_unprofiled, 0);
    static const ped_model_t one_class = {.n_stages = 1, .n_classes = 1,
                                          .stages = stages_unprofiled};
    static const ped_model_t too_wide = {.n_stages = 1, .n_classes = PED_MAX_CLASSES + 1,
                                         .stages = stages_unprofiled};
    static const ped_model_t hungry = {.n_stages = 1, .n_classes = 2,
                                       .arena_bytes = sizeof arena + 1,
                                       .stages = stages_unprofiled};
    ped_scheduler_t s;
    CHECK_EQ(ped_scheduler_init(&s, &empty, arena, sizeof arena), PED_ERR_MODEL);
    CHECK_EQ(ped_scheduler_init(&s, &one_class, arena, sizeof arena), PED_ERR_MODEL);
    CHECK_EQ(ped_scheduler_init(&s, &too_wide, arena, sizeof arena), PED_ERR_CLASSES);
    CHECK_EQ(ped_scheduler_init(&s, &hungry, arena, sizeof arena), PED_ERR_ARENA);
    CHECK_EQ(ped_scheduler_init(NULL, &model_profiled, arena, sizeof arena), PED_ERR_ARG);
    ped_result_t r;
    const ped_infer_params_t p = {0};
    CHECK_EQ(ped_infer(&sched, NULL, &p, NULL, NULL, &r), PED_ERR_ARG);
    CHECK_EQ(board_deadline_arm(0, NULL, NULL), PED_ERR_ARG);
    CHECK_EQ(ped_scheduler_init(&sched, &model_profiled, arena, sizeof arena), PED_OK);
}

static void case_ring(void)
{
    uint8_t storage[4], b = 0;
    ped_ring_t r;
    CHECK_EQ(ped_ring_init(&r, storage, 3), -1);
    CHECK_EQ(ped_ring_init(&r, storage, 4), 0);
    for (uint8_t i = 0; i < 4; i++) {
        CHECK_EQ(ped_ring_put(&r, i), 0);
    }
    CHECK_EQ(ped_ring_put(&r, 9), -1);
    CHECK_EQ(r.dropped, 1);
    for (uint8_t i = 0; i < 4; i++) {
        CHECK_EQ(ped_ring_get(&r, &b), 0);
        CHECK_EQ(b, i);
    }
    CHECK_EQ(ped_ring_get(&r, &b), -1);
    uint8_t out[8];
    CHECK_EQ(ped_ring_put(&r, 7), 0);
    CHECK_EQ(ped_ring_put(&r, 8), 0);
    CHECK_EQ(ped_ring_read(&r, out, sizeof out), 2);
    CHECK_EQ(out[0] * 10 + out[1], 78);
}

static void case_energy_model(void)
{
    const ped_energy_t e = {.start = 1000, .drain = 500, .t0 = 100};
    CHECK_EQ(ped_energy_level(&e, 100), 1000);
    CHECK_EQ(ped_energy_level(&e, 100 + 2000000u), 999);   /* 1 permille per 2e6 cycles */
    CHECK_EQ(ped_energy_level(&e, 100 + 2000000u - 1), 1000);
    /* below 100 permille once 901 are spent: 901 * 2e6 cycles */
    CHECK_EQ(ped_energy_until_below(&e, 100, 100), 1802000000u);
    CHECK_EQ(ped_energy_level(&e, 100 + 1802000000u), 99);
    CHECK_EQ(ped_energy_level(&e, 100 + 1802000000u - 1), 100);
    CHECK_EQ(ped_energy_until_below(&e, 100 + 1802000000u, 100), 0);
    CHECK_EQ(ped_energy_until_below(&e, 100 + 1000000000u, 100), 802000000u);
    CHECK_EQ(ped_energy_level(&e, UINT64_MAX), 0);              /* no overflow */
    const ped_energy_t flat = {.start = 500, .drain = 0, .t0 = 0};
    CHECK(ped_energy_until_below(&flat, 12345, 100) == UINT64_MAX);
    CHECK_EQ(ped_energy_level(&flat, UINT64_MAX), 500);
}

#ifdef PED_TEST_INJECT_FAILURE
/* Built only by the test that proves a failing check fails the run (tests/firmware). */
static void case_injected_failure(void) { CHECK_EQ(1 + 1, 3); }
#endif
#ifdef PED_TEST_INJECT_EARLY_EXIT
/* Built only by the test that proves a run ending early, even with status 0, is no pass. */
static void case_injected_early_exit(void) { board_exit(0); }
#endif

static void set_flag(void *ctx) { *(volatile uint8_t *)ctx = 1; }

static void case_deadline_timer_and_sleep(void)
{
    /* the timer interrupt wakes board_sleep(): waiting costs no busy loop */
    volatile uint8_t fired = 0;
    uint64_t t0 = board_cycles();
    CHECK_EQ(board_deadline_arm(LAYER_US, set_flag, (void *)&fired), PED_OK);
    while (!fired) {
        board_sleep();
    }
    CHECK(board_cycles() - t0 >= us_ticks(LAYER_US));
    /* a cancelled deadline never fires */
    fired = 0;
    CHECK_EQ(board_deadline_arm(LAYER_US, set_flag, (void *)&fired), PED_OK);
    board_deadline_cancel();
    t0 = board_cycles();
    while (board_cycles() - t0 < us_ticks(2 * LAYER_US)) {
    }
    CHECK_EQ(fired, 0);
}

typedef struct {
    const char *name;
    void (*fn)(void);
} test_case_t;

static const test_case_t cases[] = {
    {"status_strings", case_status_strings},
    {"ring", case_ring},
    {"energy_model", case_energy_model},
#ifdef PED_TEST_INJECT_FAILURE
    {"injected_failure", case_injected_failure},
#endif
#ifdef PED_TEST_INJECT_EARLY_EXIT
    {"injected_early_exit", case_injected_early_exit},
#endif
    {"aggregate_golden", case_aggregate_golden},
    {"init_refuses_bad_tables", case_init_refuses_bad_tables},
    {"all_stages_match_python", case_all_stages_match_python},
    {"deadline_before_stage1", case_deadline_before_stage1},
    {"deadline_mid_stage_discards", case_deadline_mid_stage_discards},
    {"admission_skips", case_admission_skips},
    {"battery_drop_stops", case_battery_drop_stops},
    {"threshold_exits_early", case_threshold_exits_early},
    {"stage_limit", case_stage_limit},
    {"deadline_timer_and_sleep", case_deadline_timer_and_sleep},
};

int main(void)
{
    ped_text_t t = {.len = 0};
    if (board_init() != PED_OK) {
        ped_text_str(&t, "PED-TESTS: FAIL board_init");
        ped_text_flush(&t);
        board_exit(1);
    }
    unsigned failed_cases = 0;
    const unsigned n_cases = sizeof cases / sizeof cases[0];
    for (unsigned i = 0; i < n_cases; i++) {
        const unsigned before = n_failed_checks;
        cases[i].fn();
        const int ok = n_failed_checks == before;
        failed_cases += ok ? 0u : 1u;
        ped_text_str(&t, "case ");
        ped_text_str(&t, cases[i].name);
        ped_text_str(&t, ok ? ": PASS" : ": FAIL");
        ped_text_flush(&t);
    }
    ped_text_str(&t, failed_cases ? "PED-TESTS: FAIL " : "PED-TESTS: PASS ");
    ped_text_str(&t, board_name());
    ped_text_str(&t, " cases=");
    ped_text_u64(&t, n_cases);
    ped_text_str(&t, " failed=");
    ped_text_u64(&t, failed_cases);
    ped_text_str(&t, " checks=");
    ped_text_u64(&t, n_checks);
    ped_text_flush(&t);
    board_exit(failed_cases ? 1 : 0);
}
