/*
 * ped/protocol.h - serial protocol framing and messages, device side (docs/protocol.md).
 *
 * Pure functions over caller-owned buffers: no I/O, no globals. The receive path takes one
 * byte at a time (from the board's RX ring buffer) and never blocks or overruns: a frame that
 * grows past PED_MAX_FRAME is discarded as it arrives and reported once.
 */
#ifndef PED_PROTOCOL_H
#define PED_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PED_PROTO_VERSION 2u
#define PED_MAX_PAYLOAD 256u
#define PED_HEADER_BYTES 8u /* ver, type, seq:u16, session:u16, len:u16 */
#define PED_CRC_BYTES 4u
#define PED_MAX_PACKET (PED_HEADER_BYTES + PED_MAX_PAYLOAD + PED_CRC_BYTES)
/* COBS adds one byte per 254 and one leading code byte; plus the 0x00 delimiter. */
#define PED_MAX_FRAME (PED_MAX_PACKET + PED_MAX_PACKET / 254u + 2u)
#define PED_SEQ_UNSOLICITED 0xFFFFu
#define PED_SESSION_NONE 0u /* the session of a device no HELLO has reached since boot */

/* Message types and error codes: one table each, enum and names built from it. */
#define PED_MSG_TABLE(X) \
    X(HELLO, 0x01) X(INPUT, 0x02) X(INFER, 0x03) X(BATTERY, 0x04) X(RESET, 0x05) \
    X(TRIAL_START, 0x06) X(WINDOW, 0x07) X(TRIAL_ACK, 0x08) X(TRIAL_STOP, 0x09) \
    X(INFO, 0x81) X(ACK, 0x82) X(STAGE, 0x83) X(DONE, 0x84) X(ERROR, 0x85) X(TRIAL, 0x86)

#define PED_ERR_TABLE(X) \
    X(NONE, 0) X(BAD_CRC, 1) X(BAD_FRAME, 2) X(TOO_LONG, 3) X(BAD_VERSION, 4) \
    X(UNKNOWN_TYPE, 5) X(BAD_PAYLOAD, 6) X(INPUT_RANGE, 7) X(INPUT_INCOMPLETE, 8) X(BUSY, 9) \
    X(NO_TRIAL, 10) X(NO_SENSOR, 11) X(SESSION, 12)

#define PED_X_ENUM_MSG(name, value) PED_MSG_##name = value,
#define PED_X_ENUM_ERR(name, value) PED_PERR_##name = value,
typedef enum { PED_MSG_TABLE(PED_X_ENUM_MSG) } ped_msg_type_t;
typedef enum { PED_ERR_TABLE(PED_X_ENUM_ERR) } ped_proto_err_t;

const char *ped_proto_err_name(ped_proto_err_t err);

typedef struct {
    uint8_t version;
    uint8_t type;
    uint16_t seq;
    uint16_t session; /* requests: the host's session; replies: the device's */
    uint16_t len;
    uint8_t payload[PED_MAX_PAYLOAD];
} ped_packet_t;

/* Receiver state: the caller owns one per serial link. */
typedef struct {
    uint8_t buf[PED_MAX_FRAME];
    uint16_t len;
    uint8_t overflow; /* the current frame outgrew buf; drop until the next 0x00 */
} ped_rx_t;

typedef enum { PED_RX_NONE = 0, PED_RX_PACKET = 1, PED_RX_ERROR = 2 } ped_rx_status_t;

void ped_rx_init(ped_rx_t *rx);

/*
 * Feed one received byte. Returns PED_RX_PACKET when `byte` completes a valid frame (then
 * *out holds it; out->seq is valid), PED_RX_ERROR when it completes an invalid one (then
 * *err says why and *err_seq is the sequence number if the header was readable, else
 * PED_SEQ_UNSOLICITED), PED_RX_NONE otherwise. Empty frames (0x00 0x00) are ignored.
 */
ped_rx_status_t ped_rx_feed(ped_rx_t *rx, uint8_t byte, ped_packet_t *out,
                            ped_proto_err_t *err, uint16_t *err_seq);

/*
 * Encode one packet into `out` (capacity `cap`) as COBS + trailing 0x00.
 * Returns the frame length, or 0 if `len` > PED_MAX_PAYLOAD or `cap` is too small.
 */
size_t ped_frame_encode(uint8_t type, uint16_t seq, uint16_t session, const uint8_t *payload,
                        uint16_t len, uint8_t *out, size_t cap);

/* CRC-32 (IEEE, reflected; equal to zlib.crc32). Pass 0 to start. */
uint32_t ped_crc32(uint32_t crc, const uint8_t *data, size_t n);

/* Little-endian payload writers/readers; each returns the position after the field. */
uint8_t *ped_put_u8(uint8_t *p, uint8_t v);
uint8_t *ped_put_u16(uint8_t *p, uint16_t v);
uint8_t *ped_put_u32(uint8_t *p, uint32_t v);
uint16_t ped_get_u16(const uint8_t *p);
uint32_t ped_get_u32(const uint8_t *p);

#endif /* PED_PROTOCOL_H */
