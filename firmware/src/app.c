/* app.c - the device application: binary protocol + EEMBC text mode (see ped/app.h). */
#include "ped/app.h"

#include <string.h>

#include "ped/board.h"

enum { UNIT_NONE = 0, UNIT_BINARY = 1, UNIT_TEXT = 2 };

/* text mode `infer N W`: a bound, so one command cannot keep the device busy for hours */
#define PED_TEXT_MAX_RUNS 10000

/* ---- binary replies ------------------------------------------------------------------ */

static void send(ped_app_t *app, uint8_t type, uint16_t len)
{
    size_t n = ped_frame_encode(type, app->seq, app->session, app->payload, len, app->tx,
                                sizeof app->tx);
    board_serial_write(app->tx, n);
}

static void send_error(ped_app_t *app, ped_proto_err_t code, uint16_t detail)
{
    uint8_t *p = ped_put_u8(app->payload, (uint8_t)code);
    p = ped_put_u16(p, detail);
    send(app, PED_MSG_ERROR, (uint16_t)(p - app->payload));
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
    }
    p = ped_put_u8(p, (uint8_t)n);
    memcpy(p, s, n);
    return p + n;
}

static void send_info(ped_app_t *app)
{
    const ped_model_t *m = app->model;
    uint8_t *p = ped_put_u8(app->payload, PED_PROTO_VERSION);
    p = ped_put_u8(p, (uint8_t)m->n_stages);
    p = ped_put_u16(p, m->n_classes);
    p = ped_put_u32(p, m->input_len);
    p = ped_put_u32(p, (uint32_t)m->input_zero_point);
    p = ped_put_u32(p, app->info.input_scale_bits);
    p = ped_put_u32(p, board_cycles_hz());
    p = ped_put_u32(p, m->arena_bytes);
    p = ped_put_u32(p, app->info.flash_bytes);
    memcpy(p, m->bundle_hash, 32);
    p += 32;
    p = put_str(p, board_name(), 40);
    p = put_str(p, app->info.build ? app->info.build : "", 64);
    send(app, PED_MSG_INFO, (uint16_t)(p - app->payload));
}

static void stage_sink(void *ctx, const ped_stage_report_t *r)
{
    ped_app_t *app = (ped_app_t *)ctx;
    if (app->unit == UNIT_TEXT || app->trial_quiet) {
        return; /* text mode and trial windows report only the final result */
    }
    uint8_t *p = ped_put_u8(app->payload, (uint8_t)r->stage);
    p = ped_put_u16(p, r->class_index);
    p = ped_put_u32(p, (uint32_t)r->margin);
    p = ped_put_u32(p, (uint32_t)r->cycles);
    p = ped_put_u16(p, r->n_classes);
    for (uint16_t j = 0; j < r->n_classes; j++) {
        p = ped_put_u32(p, (uint32_t)r->scores[j]);
    }
    send(app, PED_MSG_STAGE, (uint16_t)(p - app->payload));
}

static void run_inference(ped_app_t *app, const ped_infer_params_t *params)
{
    ped_infer(app->sched, app->input, params, stage_sink, app, &app->last);
    memcpy(app->last_scores, app->sched->acc, sizeof app->last_scores);
}

/* ---- field trial ---------------------------------------------------------------------- */

static void send_record(ped_app_t *app, const ped_trec_t *rec)
{
    send(app, PED_MSG_TRIAL, (uint16_t)ped_trec_encode(rec, app->payload));
}

static void trial_run_window(ped_app_t *app)
{
    app->trial_quiet = 1;
    run_inference(app, &app->trial_params);
    app->trial_quiet = 0;
    const ped_result_t *r = &app->last;
    ped_trec_t rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = PED_TREC_WINDOW;
    rec.stage = (uint8_t)r->stages_completed;
    rec.reason = (uint8_t)r->reason;
    rec.cls = r->class_index;
    rec.margin = r->margin;
    rec.battery = board_battery_permille();
    rec.window = app->window_index;
    rec.cycles = r->cycles > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)r->cycles;
    rec.t_us = board_cycles() / (board_cycles_hz() / 1000000u ? board_cycles_hz() / 1000000u : 1u);
    if (r->reason == PED_STOP_BATTERY || board_battery_low()) {
        rec.kind = PED_TREC_END; /* brown-out: the last record of the trial */
        app->trial_on = 0;
    }
    if (ped_trial_ring_push(&app->trial, &rec)) {
        send_record(app, &rec);
    }
}

static void on_trial_start(ped_app_t *app, const ped_packet_t *pk)
{
    if (pk->len != 17) {
        send_error(app, PED_PERR_BAD_PAYLOAD, pk->len);
        return;
    }
    uint32_t period = ped_get_u32(pk->payload + 4);
    uint32_t deadline = ped_get_u32(pk->payload + 8);
    int32_t threshold = (int32_t)ped_get_u32(pk->payload + 12);
    uint8_t sensor = pk->payload[16];
    if (sensor) {
        int8_t probe;
        if (board_sensor_read(&probe, 0) == PED_ERR_NOT_IMPLEMENTED) {
            send_error(app, PED_PERR_NO_SENSOR, 0);
            return;
        }
    }
    ped_trial_ring_init(&app->trial, ped_get_u32(pk->payload));
    app->trial_params.deadline_us = deadline ? deadline : period;
    app->trial_params.max_stages = 0;
    app->trial_params.exit_margin = threshold > 0 ? threshold : 0;
    app->trial_on = 1;
    app->trial_started = 1;
    app->trial_sensor = sensor;
    app->window_index = 0;
    app->window_have = 0;
    app->window_done = 0;
    send_error(app, PED_PERR_NONE, 0);
}

static void on_window(ped_app_t *app, const ped_packet_t *pk)
{
    const ped_model_t *m = app->model;
    if (pk->len < 8) {
        send_error(app, PED_PERR_BAD_PAYLOAD, pk->len);
        return;
    }
    uint32_t win = ped_get_u32(pk->payload);
    uint32_t off = ped_get_u32(pk->payload + 4);
    uint32_t n = (uint32_t)pk->len - 8u;
    if (win != app->window_index || off == 0) {
        if (off != 0) { /* the start of this window was lost: ask for it again */
            send_error(app, PED_PERR_INPUT_RANGE, 0);
            return;
        }
        if (win != app->window_index || !app->window_done) {
            app->window_index = win;
            app->window_have = 0;
            app->window_done = 0;
        }
    }
    if (!app->trial_on && !app->window_done) {
        send_error(app, PED_PERR_NO_TRIAL, 0);
        return;
    }
    if (off > app->window_have || n > m->input_len || off > m->input_len - n) {
        send_error(app, PED_PERR_INPUT_RANGE, (uint16_t)app->window_have);
        return;
    }
    if (!app->window_done) {
        memcpy(app->input + off, pk->payload + 8, n);
        if (off + n > app->window_have) {
            app->window_have = off + n;
        }
        app->input_have = 0; /* the INFER input is overwritten */
        if (app->window_have == m->input_len) {
            app->window_done = 1;
            trial_run_window(app);
        }
    }
    uint8_t *p = ped_put_u32(app->payload, off + n);
    p = ped_put_u32(p, app->window_have);
    send(app, PED_MSG_ACK, (uint16_t)(p - app->payload));
}

static void on_trial_ack(ped_app_t *app, const ped_packet_t *pk)
{
    if (pk->len != 5) {
        send_error(app, PED_PERR_BAD_PAYLOAD, pk->len);
        return;
    }
    if (!app->trial_started) { /* e.g. the device reset while the host was away */
        send_error(app, PED_PERR_NO_TRIAL, 0);
        return;
    }
    ped_trial_ring_ack(&app->trial, ped_get_u32(pk->payload));
    uint32_t max = pk->payload[4];
    for (uint32_t i = 0; i < app->trial.used && i < max; i++) {
        send_record(app, ped_trial_ring_at(&app->trial, i));
    }
    send_error(app, PED_PERR_NONE, (uint16_t)app->trial.used);
}

void ped_app_tick(ped_app_t *app)
{
    if (!app->trial_on || !app->trial_sensor) {
        return;
    }
    if (board_sensor_read(app->input, app->model->input_len) == PED_OK) {
        app->seq = PED_SEQ_UNSOLICITED;
        app->input_have = 0;
        trial_run_window(app);
        app->window_index++;
    }
}

static void on_packet(ped_app_t *app, const ped_packet_t *pk)
{
    const ped_model_t *m = app->model;
    app->seq = pk->seq;
    if (pk->type != PED_MSG_HELLO && pk->type != PED_MSG_RESET && pk->session != app->session) {
        /* the device reset since this host's HELLO (or another host said HELLO since) */
        send_error(app, PED_PERR_SESSION, app->session);
        return;
    }
    switch (pk->type) {
    case PED_MSG_HELLO:
        if (pk->len != 2 || ped_get_u16(pk->payload) == PED_SESSION_NONE) {
            send_error(app, PED_PERR_BAD_PAYLOAD, pk->len);
            break;
        }
        app->session = ped_get_u16(pk->payload);
        send_info(app);
        break;
    case PED_MSG_INPUT: {
        if (pk->len < 4) {
            send_error(app, PED_PERR_BAD_PAYLOAD, pk->len);
            break;
        }
        uint32_t off = ped_get_u32(pk->payload);
        uint32_t n = (uint32_t)pk->len - 4u;
        if (off > app->input_have || off > m->input_len || n > m->input_len - off) {
            send_error(app, PED_PERR_INPUT_RANGE, (uint16_t)app->input_have);
            break;
        }
        memcpy(app->input + off, pk->payload + 4, n);
        if (off == 0) {
            app->input_have = 0; /* a new input starts at offset 0 */
        }
        if (off + n > app->input_have) {
            app->input_have = off + n;
        }
        uint8_t *p = ped_put_u32(app->payload, off + n);
        p = ped_put_u32(p, app->input_have);
        send(app, PED_MSG_ACK, (uint16_t)(p - app->payload));
        break;
    }
    case PED_MSG_INFER: {
        if (pk->len != 9) {
            send_error(app, PED_PERR_BAD_PAYLOAD, pk->len);
            break;
        }
        if (app->input_have < m->input_len) {
            send_error(app, PED_PERR_INPUT_INCOMPLETE, (uint16_t)app->input_have);
            break;
        }
        int32_t threshold = (int32_t)ped_get_u32(pk->payload + 5);
        ped_infer_params_t params = {
            .deadline_us = ped_get_u32(pk->payload),
            .max_stages = pk->payload[4],
            .exit_margin = threshold > 0 ? threshold : 0,
        };
        run_inference(app, &params);
        const ped_result_t *r = &app->last;
        uint8_t *p = ped_put_u8(app->payload, (uint8_t)r->stages_completed);
        p = ped_put_u8(p, (uint8_t)r->reason);
        p = ped_put_u16(p, r->class_index);
        p = ped_put_u32(p, (uint32_t)r->margin);
        p = ped_put_u32(p, (uint32_t)r->cycles);
        send(app, PED_MSG_DONE, (uint16_t)(p - app->payload));
        break;
    }
    case PED_MSG_BATTERY: {
        if (pk->len != 2 && pk->len != 6) {
            send_error(app, PED_PERR_BAD_PAYLOAD, pk->len);
            break;
        }
        uint32_t drain = pk->len == 6 ? ped_get_u32(pk->payload + 2) : 0u;
        ped_status_t st = board_battery_simulate(ped_get_u16(pk->payload), drain);
        send_error(app, st == PED_OK ? PED_PERR_NONE : PED_PERR_BAD_PAYLOAD, (uint16_t)st);
        break;
    }
    case PED_MSG_TRIAL_START:
        on_trial_start(app, pk);
        break;
    case PED_MSG_WINDOW:
        on_window(app, pk);
        break;
    case PED_MSG_TRIAL_ACK:
        on_trial_ack(app, pk);
        break;
    case PED_MSG_TRIAL_STOP:
        app->trial_on = 0;
        send_error(app, PED_PERR_NONE, (uint16_t)app->trial.used);
        break;
    case PED_MSG_RESET:
        send_error(app, PED_PERR_NONE, 0);
        board_reset();
    default:
        send_error(app, PED_PERR_UNKNOWN_TYPE, pk->type);
        break;
    }
}

/* ---- EEMBC / MLPerf Tiny text mode --------------------------------------------------- */

typedef struct {
    char buf[PED_TEXT_LINE + 16];
    size_t len;
} line_t;

static void l_str(line_t *l, const char *s)
{
    while (*s && l->len < sizeof l->buf) {
        l->buf[l->len++] = *s++;
    }
}

static void l_i32(line_t *l, int32_t v)
{
    char tmp[12];
    int n = 0;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u);
    if (v < 0) {
        tmp[n++] = '-';
    }
    while (n && l->len < sizeof l->buf) {
        l->buf[l->len++] = tmp[--n];
    }
}

static void l_send(line_t *l)
{
    l_str(l, "\r\n");
    board_serial_write((const uint8_t *)l->buf, l->len);
    l->len = 0;
}

static void say(const char *a, const char *b)
{
    line_t l = {.len = 0};
    l_str(&l, a);
    l_str(&l, b);
    l_send(&l);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static int32_t parse_u31(const char *s)
{
    int32_t v = 0;
    if (!s || !*s) {
        return -1;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000) {
            return -1;
        }
        v = v * 10 + (*s - '0');
    }
    return v;
}

static void text_results(ped_app_t *app)
{
    line_t l = {.len = 0};
    l_str(&l, "m-results-[");
    for (uint16_t j = 0; j < app->model->n_classes; j++) {
        if (j) {
            l_str(&l, ",");
        }
        l_i32(&l, app->last_scores[j]);
    }
    l_str(&l, "]");
    l_send(&l);
}

static void text_db(ped_app_t *app, char *arg1, char *arg2)
{
    uint32_t cap = app->model->input_len;
    if (!arg1) {
        say("e-[Command 'db' requires a subcommand]", "");
    } else if (strcmp(arg1, "load") == 0) {
        int32_t n = parse_u31(arg2);
        if (n <= 0 || (uint32_t)n > cap) {
            say("e-[db load N: N must be 1..input length]", "");
        } else {
            app->db_expect = (uint32_t)n;
            app->input_have = 0;
            line_t l = {.len = 0};
            l_str(&l, "m-[Expecting ");
            l_i32(&l, n);
            l_str(&l, " bytes]");
            l_send(&l);
        }
    } else if (strcmp(arg1, "print") == 0) {
        static const char digits[] = "0123456789abcdef";
        line_t l = {.len = 0};
        for (uint32_t i = 0; i < app->input_have; i++) {
            if (i % 8u == 0) {
                l_str(&l, "m-buffer-");
            }
            uint8_t b = (uint8_t)app->input[i];
            char hx[3] = {digits[b >> 4], digits[b & 15], 0};
            l_str(&l, hx);
            if ((i + 1) % 8u == 0 || i + 1 == app->input_have) {
                l_send(&l);
            } else {
                l_str(&l, "-");
            }
        }
    } else {
        size_t n = strlen(arg1);
        if (n & 1u) {
            say("e-[Insufficent number of hex digits]", "");
            return;
        }
        for (size_t i = 0; i < n; i += 2) {
            int hi = hexval(arg1[i]), lo = hexval(arg1[i + 1]);
            if (hi < 0 || lo < 0) {
                say("e-[Invalid hex digit]", "");
                return;
            }
            if (app->input_have < app->db_expect) {
                app->input[app->input_have++] = (int8_t)(uint8_t)(hi * 16 + lo);
                if (app->input_have == app->db_expect) {
                    say("m-load-done", "");
                    return;
                }
            }
        }
    }
}

static void on_text(ped_app_t *app, char *cmd)
{
    char *argv[4] = {0, 0, 0, 0};
    int argc = 0;
    for (char *p = cmd; *p && argc < 4;) {
        while (*p == ' ' || *p == '\r' || *p == '\n') {
            *p++ = 0;
        }
        if (*p) {
            argv[argc++] = p;
        }
        while (*p && *p != ' ' && *p != '\r' && *p != '\n') {
            p++;
        }
    }
    if (argc == 0) {
        return;
    }
    if (strcmp(argv[0], "name") == 0) {
        line_t l = {.len = 0};
        l_str(&l, "m-name-ped-[");
        l_str(&l, board_name());
        l_str(&l, "]");
        l_send(&l);
    } else if (strcmp(argv[0], "profile") == 0) {
        say("m-profile-[ped B-DISTIL anytime ensemble]", "");
        line_t l = {.len = 0};
        l_str(&l, "m-model-[stages=");
        l_i32(&l, app->model->n_stages);
        l_str(&l, " classes=");
        l_i32(&l, app->model->n_classes);
        l_str(&l, " input=");
        l_i32(&l, (int32_t)app->model->input_len);
        l_str(&l, "]");
        l_send(&l);
    } else if (strcmp(argv[0], "db") == 0) {
        text_db(app, argv[1], argv[2]);
    } else if (strcmp(argv[0], "infer") == 0) {
        int32_t n = argv[1] ? parse_u31(argv[1]) : 1;
        int32_t w = argv[2] ? parse_u31(argv[2]) : 0;
        if (n <= 0 || w < 0 || n > PED_TEXT_MAX_RUNS || w > PED_TEXT_MAX_RUNS) {
            say("e-[infer N [W]: 1 <= N <= 10000, 0 <= W <= 10000]", "");
        } else if (app->input_have < app->model->input_len) {
            say("e-[input incomplete: load it with db load N and db HEX]", "");
        } else {
            ped_infer_params_t all = {.deadline_us = 0, .max_stages = 0, .exit_margin = 0};
            line_t l = {.len = 0};
            l_str(&l, "m-warmup-start-");
            l_i32(&l, w);
            l_send(&l);
            for (int32_t i = 0; i < w; i++) {
                run_inference(app, &all);
            }
            say("m-warmup-done", "");
            l_str(&l, "m-infer-start-");
            l_i32(&l, n);
            l_send(&l);
            uint64_t t0 = board_cycles();
            for (int32_t i = 0; i < n; i++) {
                run_inference(app, &all);
            }
            uint64_t dt = board_cycles() - t0;
            say("m-infer-done", "");
            uint64_t us = dt * 1000000u / board_cycles_hz();
            l_str(&l, "m-lap-us-");
            l_i32(&l, (int32_t)(us > 0x7FFFFFFF ? 0x7FFFFFFF : us));
            l_send(&l);
            text_results(app);
        }
    } else if (strcmp(argv[0], "results") == 0) {
        text_results(app);
    } else {
        say("e-[Unknown command: ", argv[0]);
    }
    say("m-ready", "");
}

/* ---- byte demultiplexer -------------------------------------------------------------- */

void ped_app_byte(ped_app_t *app, uint8_t byte)
{
    if (app->unit == UNIT_NONE) {
        if (byte == 0 || byte == '\r' || byte == '\n' || byte == ' ') {
            return;
        }
        app->unit = byte < 0x20 ? UNIT_BINARY : UNIT_TEXT;
        app->line_len = 0;
        app->line_overflow = 0;
    }
    if (app->unit == UNIT_BINARY) {
        ped_proto_err_t err = PED_PERR_NONE;
        uint16_t err_seq = 0;
        ped_rx_status_t st = ped_rx_feed(&app->rx, byte, &app->packet, &err, &err_seq);
        if (st == PED_RX_PACKET) {
            on_packet(app, &app->packet);
        } else if (st == PED_RX_ERROR) {
            app->seq = err_seq;
            send_error(app, err, 0);
        }
        if (byte == 0) {
            app->unit = UNIT_NONE;
        }
        return;
    }
    /* text */
    if (byte == 0) { /* a delimiter inside a text command: drop it, resynchronise */
        app->unit = UNIT_NONE;
        return;
    }
    if (byte == '%') { /* the unit stays TEXT while the command runs: no binary STAGE frames */
        if (app->line_overflow) {
            say("e-[command too long]", "");
            say("m-ready", "");
        } else {
            app->line[app->line_len] = 0;
            on_text(app, app->line);
        }
        app->unit = UNIT_NONE;
        return;
    }
    if (app->line_len + 1u < sizeof app->line) {
        app->line[app->line_len++] = (char)byte;
    } else {
        app->line_overflow = 1;
    }
}

void ped_app_poll(ped_app_t *app)
{
    uint8_t chunk[64];
    size_t n;
    while ((n = board_serial_read(chunk, sizeof chunk)) > 0) {
        for (size_t i = 0; i < n; i++) {
            ped_app_byte(app, chunk[i]);
        }
    }
}

void ped_app_init(ped_app_t *app, ped_scheduler_t *sched, int8_t *input,
                  const ped_app_info_t *info)
{
    memset(app, 0, sizeof *app);
    app->sched = sched;
    app->model = sched->model;
    app->info = *info;
    app->input = input;
    ped_rx_init(&app->rx);
    app->seq = PED_SEQ_UNSOLICITED;
    app->session = PED_SESSION_NONE; /* silent until spoken to: no boot announcement */
}
