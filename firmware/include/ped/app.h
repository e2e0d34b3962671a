/*
 * ped/app.h - the device application: serial protocol (docs/protocol.md) and the EEMBC /
 * MLPerf Tiny text command mode, on top of the scheduler and board.h.
 *
 * Two command modes share the port. Each unit of input starts after a 0x00 delimiter or a
 * '%' terminator; a unit whose first byte is below 0x20 is a binary COBS frame (a frame's
 * first byte is the COBS code, at most 6 for any packet of this protocol, since the header
 * always holds a zero byte), a unit starting with a printable character is a text command
 * ending in '%'.
 *
 * The text mode itself (EEMBC / MLPerf Tiny DUT protocol) lives in eembc.c (ped/eembc.h).
 *
 * All state lives in ped_app_t, owned by the caller (main.c); no heap, no globals.
 */
#ifndef PED_APP_H
#define PED_APP_H

#include <stdint.h>

#include "ped/eembc.h"
#include "ped/protocol.h"
#include "ped/scheduler.h"
#include "ped/trial.h"

typedef struct {
    const char *build;          /* firmware build id, e.g. git describe + date */
    uint32_t flash_bytes;       /* linked image size, 0 if unknown */
    uint32_t input_scale_bits;  /* IEEE-754 bits of the input scale (information only) */
} ped_app_info_t;

typedef struct ped_app_s {
    ped_scheduler_t *sched;
    const ped_model_t *model;
    ped_app_info_t info;
    int8_t *input;           /* model->input_len bytes, caller-owned */
    uint32_t input_have;     /* bytes of input received so far (binary or `db`) */
    ped_rx_t rx;
    ped_packet_t packet;
    uint8_t tx[PED_MAX_FRAME];
    uint8_t payload[PED_MAX_PAYLOAD];
    uint16_t seq;            /* sequence number of the request being answered */
    uint16_t session;        /* set by HELLO, kept in RAM only: 0 after every reset */
    uint8_t unit;            /* 0: between units, 1: binary frame, 2: text command */
    ped_eembc_t text;        /* text mode: the command being received */
    ped_result_t last;
    int32_t last_scores[PED_MAX_CLASSES];
    /* field trial (TRIAL_START .. TRIAL_STOP): records wait in `trial` until acknowledged */
    ped_trial_ring_t trial;
    ped_infer_params_t trial_params;
    uint8_t trial_on;        /* 1 while windows are accepted */
    uint8_t trial_started;   /* a TRIAL_START arrived since boot (else TRIAL_ACK: NO_TRIAL) */
    uint8_t trial_quiet;     /* no STAGE frames while a trial window runs */
    uint8_t trial_sensor;    /* windows come from board_sensor_read(), not from the host */
    uint32_t window_index;   /* window being received (host) or counted (sensor) */
    uint32_t window_have;    /* bytes of that window received */
    uint8_t window_done;     /* that window already ran (a repeated chunk only re-ACKs) */
} ped_app_t;

/* Bind the scheduler (already initialised) and the input buffer. Sends nothing: the device
 * speaks only when spoken to. Its session is PED_SESSION_NONE until a HELLO sets one, and
 * every binary reply carries the session, which is how the host detects a reset. */
void ped_app_init(ped_app_t *app, ped_scheduler_t *sched, int8_t *input,
                  const ped_app_info_t *info);

/* Handle every byte waiting in the serial RX ring; returns when the ring is empty. */
void ped_app_poll(ped_app_t *app);

/* Trial mode with the board's sensor: run one window if board_sensor_read() has one.
 * Call from the main loop after ped_app_poll(). */
void ped_app_tick(ped_app_t *app);

/* Run one inference on app->input with `params`; the final accumulator is kept in
 * app->last_scores and the result in app->last (STAGE frames only for binary INFER). */
void ped_app_infer(ped_app_t *app, const ped_infer_params_t *params);

/* Handle one received byte (ped_app_poll's inner step; exposed for tests and fuzzing). */
void ped_app_byte(ped_app_t *app, uint8_t byte);

#endif /* PED_APP_H */
