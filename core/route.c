/*
 * route.c - a session's streams, decoded and handed to the rules (route.h).
 */
#include "route.h"

#include "handshake.h"
#include "keepalive.h"
#include "mqtt_decoder.h"
#include "ws_decoder.h"

typedef struct decode_ctx {
    const rule_ctx *at;
    session *s;
    mqttka_direction dir;
} decode_ctx;

/* Stops decoding one direction for good (a hole, a fatal malformation, data
 * we cannot decode): packets there are no longer seen, so the timing rules
 * that depend on seeing every packet are switched off for the connection. */
static void direction_lose(session *s, mqttka_direction dir)
{
    s->dirs[dir].lost = true;
    mqtt_stream_skip(&s->dirs[dir].mqtt);
    s->timing_off = true;
}

/* ---------------------------------------------------------------- MQTT -- */

static void on_mqtt_packet(void *ctx, const mqtt_packet_view *p)
{
    decode_ctx *d = ctx;
    keepalive_on_packet(d->at, d->s, d->dir, p);
}

static void on_mqtt_malformed(void *ctx, mqtt_malformation m, bool fatal, uint8_t first_byte)
{
    decode_ctx *d = ctx;
    mqttka_finding_kind kind =
        m == MQTT_M_BAD_PING ? MQTTKA_F_MALFORMED_PING : MQTTKA_F_MALFORMED_FIXED_HEADER;
    emit_finding(d->at, d->s, kind, d->dir, 0, false, 0, "%s MQTT stream: %s (first byte 0x%02x)%s",
                 sender_name(d->dir), mqtt_malformation_name(m), first_byte,
                 fatal ? "; the rest of this direction is not decoded" : "");
    if (fatal)
        direction_lose(d->s, d->dir);
}

static const mqtt_stream_callbacks mqtt_callbacks = {on_mqtt_packet, on_mqtt_malformed};

void route_mqtt(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                size_t len)
{
    if (s->dirs[dir].lost)
        return;
    decode_ctx d = {at, s, dir};
    mqtt_stream_push(&s->dirs[dir].mqtt, s->conn.mqtt_level, bytes, len, &mqtt_callbacks, &d);
}

void route_end(const rule_ctx *at, session *s, mqttka_direction dir)
{
    if (s->dirs[dir].lost)
        return; /* a capture that stops mid-packet is not a malformation */
    decode_ctx d = {at, s, dir};
    mqtt_stream_end(&s->dirs[dir].mqtt, &mqtt_callbacks, &d);
}

/* ----------------------------------------------------------- WebSocket -- */

static void on_ws_frame_header(void *ctx, const ws_frame_header *h)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    if (!s->confirmed)
        return;
    if (h->opcode != MQTTKA_WS_TEXT && h->opcode != MQTTKA_WS_BINARY)
        return;
    /* RFC 7692 §6: RSV1 on a message's first frame marks it compressed. */
    s->dirs[d->dir].msg_compressed = s->ws_deflate && (h->rsv & 0x4);
    if (s->dirs[d->dir].msg_compressed && !s->dirs[d->dir].compressed_reported) {
        s->dirs[d->dir].compressed_reported = true;
        emit_finding(d->at, s, MQTTKA_F_WS_COMPRESSED_SKIPPED, d->dir, 0, false, 0,
                     "%s sends permessage-deflate compressed messages; MQTT in this direction "
                     "is not decoded (decompression is not implemented yet)",
                     sender_name(d->dir));
        direction_lose(s, d->dir);
    }
}

/* The first message of a WebSocket that did not say it carries MQTT. */
static void first_message_data(decode_ctx *d, const uint8_t *bytes, size_t len)
{
    first_bytes_view view;
    if (handshake_first_message(d->at, d->s, d->dir, bytes, len, &view) != FIRST_MESSAGE_MQTT)
        return;
    route_mqtt(d->at, d->s, d->dir, view.bytes, view.len);
    if (view.took < len)
        route_mqtt(d->at, d->s, d->dir, bytes + view.took, len - view.took);
}

static void on_ws_data(void *ctx, uint8_t message_opcode, const ws_frame_header *h,
                       const uint8_t *bytes, size_t len)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    (void)h;
    if (s->not_mqtt)
        return;
    if (!s->confirmed) {
        first_message_data(d, bytes, len);
        return;
    }
    if (s->dirs[d->dir].msg_compressed)
        return;
    if (message_opcode == MQTTKA_WS_TEXT && !s->dirs[d->dir].text_reported) {
        s->dirs[d->dir].text_reported = true;
        emit_finding(d->at, s, MQTTKA_F_MQTT_IN_TEXT_FRAME, d->dir, 0, false, 0,
                     "%s carries MQTT in a WebSocket text frame; MQTT-6.0.0-1 requires binary",
                     sender_name(d->dir));
    }
    route_mqtt(d->at, s, d->dir, bytes, len);
}

static void on_ws_control(void *ctx, const ws_frame_header *h, const uint8_t *payload,
                          size_t len)
{
    decode_ctx *d = ctx;
    if (!d->s->confirmed)
        return;
    keepalive_on_ws_control(d->at, d->s, d->dir, h->opcode, payload, len);
}

static void on_ws_violation(void *ctx, ws_violation v, const ws_frame_header *h)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    if (!s->confirmed)
        return;
    const char *who = sender_name(d->dir);
    if (v == WS_V_UNMASKED_CLIENT_FRAME || v == WS_V_MASKED_SERVER_FRAME) {
        if (s->dirs[d->dir].mask_reported)
            return;
        s->dirs[d->dir].mask_reported = true;
        emit_finding(d->at, s, MQTTKA_F_WS_MASK_VIOLATION, d->dir, 0, false, 0,
                     "%s sent a%s frame (opcode %u): %s (RFC 6455 §5.1)", who,
                     h->masked ? " masked" : "n unmasked", (unsigned)h->opcode,
                     ws_violation_name(v));
        return;
    }
    /* The header may be incomplete here (the decoder reports at the byte
     * that decides), so only the opcode is certain. */
    emit_finding(d->at, s, MQTTKA_F_WS_FRAMING_ERROR, d->dir, 0, false, 0,
                 "%s frame (opcode %u): %s (RFC 6455 §5.2)", who, (unsigned)h->opcode,
                 ws_violation_name(v));
}

/* What on_ws_data will not read of the next payload bytes: a PUBLISH body
 * the MQTT stream only counts, or all of a direction that is not decoded. */
static size_t on_ws_data_unread(void *ctx)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    if (s->not_mqtt || (s->confirmed && (s->dirs[d->dir].msg_compressed || s->dirs[d->dir].lost)))
        return SIZE_MAX;
    if (!s->confirmed)
        return 0; /* the first message's first bytes are read */
    return mqtt_stream_unread(&s->dirs[d->dir].mqtt);
}

static const ws_decoder_callbacks ws_callbacks = {
    on_ws_frame_header, on_ws_data, on_ws_control, NULL, on_ws_violation, on_ws_data_unread,
};

void route_websocket(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                     size_t len)
{
    if (!s->ws_active || (s->dirs[dir].lost && !s->dirs[dir].compressed_reported))
        return; /* a hole: frame boundaries are lost too */
    decode_ctx d = {at, s, dir};
    ws_decoder_push(session_ws(s, dir), bytes, len, &ws_callbacks, &d);
}

/* ------------------------------------------------------------- holes -- */

void route_gap(const rule_ctx *at, session *s, mqttka_direction dir, uint64_t missing)
{
    if (s->dirs[dir].lost)
        return;
    emit_finding(at, s, MQTTKA_F_CAPTURE_GAP, dir, 0, missing > 0, (double)missing,
                 "%s stream has a hole of %llu bytes that the capture missed; this direction "
                 "is not decoded from here and timing verdicts are suppressed",
                 sender_name(dir), (unsigned long long)missing);
    keepalive_on_gap(s);
    direction_lose(s, dir);
}
