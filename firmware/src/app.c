/* app.c - the device application: binary protocol, field trials, and the byte demultiplexer
 * that hands text commands to the EEMBC text mode (eembc.c). See ped/app.h. */
#include "ped/app.h"

#include <string.h>

#include "ped/board.h"

enum { UNIT_NONE = 0, UNIT_BINARY = 1, UNIT_TEXT = 2 };

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

void ped_app_infer(ped_app_t *app, const ped_infer_params_t *params)
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
    ped_app_infer(app, &app->trial_params);
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
        ped_app_infer(app, &params);
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

/* ---- byte demultiplexer -------------------------------------------------------------- */

void ped_app_byte(ped_app_t *app, uint8_t byte)
{
    if (app->unit == UNIT_NONE) {
        if (byte == 0 || byte == '\r' || byte == '\n' || byte == ' ') {
            return;
        }
        app->unit = byte < 0x20 ? UNIT_BINARY : UNIT_TEXT;
        ped_eembc_start(&app->text);
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
    /* text: the unit stays TEXT while the command runs, so no binary STAGE frames go out */
    if (ped_eembc_byte(app, byte)) {
        app->unit = UNIT_NONE;
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
