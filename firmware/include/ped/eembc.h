/*
 * ped/eembc.h - the EEMBC EnergyRunner / MLPerf Tiny DUT text mode (docs/protocol.md), the
 * command set the unmodified MLPerf Tiny runner (mlcommons/tiny benchmark/runner) drives.
 *
 * Host to device: `<command>%`, at most PED_EEMBC_CMD_MAX characters before the '%' (a
 * longer one is answered `e-[Command too long]`). Device to host: lines ending "\r\n"; every
 * reply ends with the line `m-ready`, and the device writes nothing unasked.
 *
 *   name%           m-name-dut-[<board>]
 *   profile%        m-profile-[...], m-model-[<key>]          (key: ped_model_t.key)
 *   timestamp%      m-lap-us-<µs>                             (board_micros())
 *   db load N%      m-[Expecting N bytes]                     (N = the model's input length)
 *   db <hex>%       appends the bytes; the one that completes N prints m-load-done
 *   db print%       m-buffer-xx-xx-..., eight bytes a line
 *   infer N [W]%    m-warmup-start-W, m-warmup-done, m-infer-start-N, m-lap-us-T0,
 *                   m-lap-us-T1, m-infer-done, m-results-[p0,...,pL-1]   (W defaults to 10)
 *   results%        m-results-[p0,...,pL-1] of the last inference
 *   help%           the command list
 *   anything else   e-[Unknown command: X]
 * Probabilities are ped/probability.h's, printed %0.3f style. Every inference runs all stages
 * with no deadline and no early exit: the time a runner measures is the full ensemble's.
 */
#ifndef PED_EEMBC_H
#define PED_EEMBC_H

#include <stdbool.h>
#include <stdint.h>

#define PED_EEMBC_CMD_MAX 80u           /* characters of one command, without the '%' */
#define PED_EEMBC_MAX_RUNS 10000000     /* bound on N and W of `infer N W` */

typedef struct {
    char cmd[PED_EEMBC_CMD_MAX + 1u];
    uint8_t len;
    uint8_t overflow;        /* more than PED_EEMBC_CMD_MAX characters arrived */
    uint32_t db_expect;      /* bytes announced by `db load N` */
} ped_eembc_t;

struct ped_app_s;

/* Forget a partial command (call when a new text unit starts). */
void ped_eembc_start(ped_eembc_t *t);

/* Feed one byte of a text command. Returns true when the unit is over: a '%' arrived (the
 * command was run and answered) or a 0x00 (the partial command is dropped, unanswered). */
bool ped_eembc_byte(struct ped_app_s *app, uint8_t byte);

#endif /* PED_EEMBC_H */
