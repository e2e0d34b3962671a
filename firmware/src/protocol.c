/* protocol.c - COBS framing, CRC-32 and packet parsing (docs/protocol.md). */
#include "ped/protocol.h"

#include <string.h>

#define PED_X_NAME(name, value) \
    case PED_PERR_##name:        \
        return #name;

const char *ped_proto_err_name(ped_proto_err_t err)
{
    switch (err) {
        PED_ERR_TABLE(PED_X_NAME)
    }
    return "UNKNOWN";
}

uint32_t ped_crc32(uint32_t crc, const uint8_t *data, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

uint8_t *ped_put_u8(uint8_t *p, uint8_t v)
{
    *p = v;
    return p + 1;
}

uint8_t *ped_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

uint8_t *ped_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    return p + 4;
}

uint16_t ped_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

uint32_t ped_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

void ped_rx_init(ped_rx_t *rx)
{
    rx->len = 0;
    rx->overflow = 0;
}

/* COBS-decode `in` (no delimiter) into `out`; returns decoded length or -1. */
static int cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t code = in[i++];
        if (code == 0) {
            return -1;
        }
        for (uint8_t k = 1; k < code; k++) {
            if (i >= n || o >= cap || in[i] == 0) {
                return -1;
            }
            out[o++] = in[i++];
        }
        if (code != 0xFF && i < n) {
            if (o >= cap) {
                return -1;
            }
            out[o++] = 0;
        }
    }
    return (int)o;
}

static ped_rx_status_t finish_frame(ped_rx_t *rx, ped_packet_t *out, ped_proto_err_t *err,
                                    uint16_t *err_seq)
{
    uint8_t packet[PED_MAX_PACKET];
    int n = cobs_decode(rx->buf, rx->len, packet, sizeof packet);
    rx->len = 0;
    *err_seq = PED_SEQ_UNSOLICITED;
    /* the CRC trails every version's packet, so it is checked before the layout is read */
    if (n < (int)(1 + PED_CRC_BYTES)) {
        *err = PED_PERR_BAD_FRAME;
        return PED_RX_ERROR;
    }
    size_t body = (size_t)n - PED_CRC_BYTES;
    if (ped_crc32(0, packet, body) != ped_get_u32(packet + body)) {
        *err = PED_PERR_BAD_CRC;
        return PED_RX_ERROR;
    }
    if (body >= 4) {
        *err_seq = ped_get_u16(packet + 2); /* where every version keeps it */
    }
    if (packet[0] != PED_PROTO_VERSION) {
        *err = PED_PERR_BAD_VERSION;
        return PED_RX_ERROR;
    }
    if (body < PED_HEADER_BYTES || body != PED_HEADER_BYTES + ped_get_u16(packet + 6)) {
        *err = PED_PERR_BAD_FRAME;
        return PED_RX_ERROR;
    }
    uint16_t len = ped_get_u16(packet + 6);
    out->version = packet[0];
    out->type = packet[1];
    out->seq = *err_seq;
    out->session = ped_get_u16(packet + 4);
    out->len = len;
    memcpy(out->payload, packet + PED_HEADER_BYTES, len);
    return PED_RX_PACKET;
}

ped_rx_status_t ped_rx_feed(ped_rx_t *rx, uint8_t byte, ped_packet_t *out,
                            ped_proto_err_t *err, uint16_t *err_seq)
{
    if (byte == 0) {
        if (rx->overflow) {
            rx->overflow = 0;
            rx->len = 0;
            *err = PED_PERR_TOO_LONG;
            *err_seq = PED_SEQ_UNSOLICITED;
            return PED_RX_ERROR;
        }
        if (rx->len == 0) {
            return PED_RX_NONE; /* empty frame: a resynchronising delimiter */
        }
        return finish_frame(rx, out, err, err_seq);
    }
    if (rx->overflow) {
        return PED_RX_NONE;
    }
    if (rx->len >= sizeof rx->buf) {
        rx->overflow = 1;
        rx->len = 0;
        return PED_RX_NONE;
    }
    rx->buf[rx->len++] = byte;
    return PED_RX_NONE;
}

size_t ped_frame_encode(uint8_t type, uint16_t seq, uint16_t session, const uint8_t *payload,
                        uint16_t len, uint8_t *out, size_t cap)
{
    if (len > PED_MAX_PAYLOAD) {
        return 0;
    }
    uint8_t packet[PED_MAX_PACKET];
    uint8_t *p = packet;
    p = ped_put_u8(p, PED_PROTO_VERSION);
    p = ped_put_u8(p, type);
    p = ped_put_u16(p, seq);
    p = ped_put_u16(p, session);
    p = ped_put_u16(p, len);
    if (len) {
        memcpy(p, payload, len);
    }
    p += len;
    p = ped_put_u32(p, ped_crc32(0, packet, (size_t)(p - packet)));
    size_t n = (size_t)(p - packet);
    /* COBS encode */
    size_t o = 1, code_at = 0;
    uint8_t code = 1;
    if (cap < n + n / 254u + 2u) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (packet[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = packet[i];
            if (++code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out[o++] = 0;
    return o;
}
