/*
 * route.c - a session's streams, decoded and handed to the rules (route.h).
 */
#include "route.h"

#include "boundary.h"
#include "handshake.h"
#include "keepalive.h"
#include "mqtt_decoder.h"
#include "ws_decoder.h"

typedef struct decode_ctx {
    const rule_ctx *at;
    session *s;
    mqttka_direction dir;
} decode_ctx;

/* Stops decoding one direction for good (data we cannot decode: compressed
 * messages): its packets are no longer seen, so the timing rules that need
 * every packet are off for the connection. */
static void direction_lose(session *s, mqttka_direction dir)
{
    s->dirs[dir].lost = true;
    s->dirs[dir].resync = false;
    mqtt_stream_skip(&s->dirs[dir].mqtt);
    s->timing_off = true;
}

/* ------------------------------------------------------------- holes -- */

/* A stretch of the direction is not decoded from here (`missing` bytes the
 * capture missed, or none when a packet's length could not be trusted): the
 * rules hear of it at once, the capture_gap finding comes when decoding
 * resumes, which says where (or at the end, that it never did). */
static void hole_open(const rule_ctx *at, session *s, mqttka_direction dir, uint64_t missing)
{
    session_rare *r = session_rare_of(s);
    if (r) {
        direction_hole *h = &r->hole[dir];
        if (!h->open) {
            h->open = true;
            h->reported = false;
            h->missing = 0;
            h->skipped = 0;
            h->tag = at->tag;
        }
        h->missing += missing;
        h->holes += missing > 0;
    }
    keepalive_on_gap(at, s, dir);
}

static void hole_close(const rule_ctx *at, session *s, mqttka_direction dir, bool resumed)
{
    direction_hole *h = s->rare ? &s->rare->hole[dir] : NULL;
    if (!h || !h->open)
        return;
    h->open = false;
    if (!h->missing)
        return; /* a malformation, reported as such */
    if (resumed)
        emit_finding(at, s, MQTTKA_F_CAPTURE_GAP, dir, h->tag, true, (double)h->missing,
                     "%s stream: %llu bytes missing from the capture, noticed at frame %llu; "
                     "decoding resumed here, at a packet boundary (%llu bytes skipped to find "
                     "it)",
                     sender_name(dir), (unsigned long long)h->missing,
                     (unsigned long long)h->tag, (unsigned long long)h->skipped);
    else
        emit_finding(at, s, MQTTKA_F_CAPTURE_GAP, dir, h->tag, true, (double)h->missing,
                     "%s stream: %llu bytes missing from the capture, noticed at frame %llu; "
                     "no packet boundary was found after them (%llu bytes not decoded)",
                     sender_name(dir), (unsigned long long)h->missing,
                     (unsigned long long)h->tag, (unsigned long long)h->skipped);
}

/* Stops decoding a direction until a segment proves a packet boundary. */
static void direction_resync(const rule_ctx *at, session *s, mqttka_direction dir,
                             uint64_t missing)
{
    session_direction *d = &s->dirs[dir];
    d->lost = true;
    d->resync = true;
    d->mqtt_resync = false;
    mqtt_stream_skip(&d->mqtt);
    hole_open(at, s, dir, missing);
}

/* A direction waiting for a packet boundary: does this segment start at
 * one? Then its decoders start over there, and decoding resumes. */
static bool resume(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                   size_t len)
{
    session_direction *d = &s->dirs[dir];
    bool websocket = s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET;
    boundary_proof proof;
    /* The stream is known to carry MQTT: the frames' boundaries are proof
     * enough that a message starts a packet. */
    bool proved = websocket ? boundary_websocket(bytes, len, dir == MQTTKA_C2S, s->ws_deflate,
                                                 false, s->conn.mqtt_level, &proof)
                            : boundary_mqtt(bytes, len, s->conn.mqtt_level, &proof);
    if (!proved) {
        if (s->rare)
            s->rare->hole[dir].skipped += len;
        keepalive_on_undecoded(at, s, dir);
        return false;
    }
    d->lost = false;
    d->resync = false;
    d->mqtt_resync = false;
    d->msg_compressed = false;
    mqtt_stream_restart(&d->mqtt);
    if (websocket) {
        ws_decoder *w = session_ws(s, dir);
        ws_decoder_free(w);
        ws_decoder_init(w, dir == MQTTKA_C2S, s->ws_deflate);
    }
    hole_close(at, s, dir, true);
    return true;
}

void route_gap(const rule_ctx *at, session *s, mqttka_direction dir, uint64_t missing)
{
    session_direction *d = &s->dirs[dir];
    bool websocket = s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET;
    /* A direction lost for good is not decoded anyway; but a compressed
     * WebSocket direction still follows its frames (for the Close), which a
     * hole puts out of step. */
    if (d->lost && !d->resync && !(websocket && d->compressed_reported))
        return;
    direction_resync(at, s, dir, missing);
}

void route_resync(session *s, mqttka_direction dir)
{
    /* Not a hole: the capture joined the stream here. */
    s->dirs[dir].lost = true;
    s->dirs[dir].resync = true;
    mqtt_stream_skip(&s->dirs[dir].mqtt);
}

void route_finish(const rule_ctx *at, session *s)
{
    hole_close(at, s, MQTTKA_C2S, false);
    hole_close(at, s, MQTTKA_S2C, false);
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
                 m == MQTT_M_TYPE_ZERO ? "; the packet is skipped"
                 : fatal ? "; decoding of this direction resumes at the next packet boundary"
                 : "");
    if (!fatal)
        return;
    if (d->s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET) {
        /* The frames are still in step: MQTT starts over with the next
         * message. */
        d->s->dirs[d->dir].mqtt_resync = true;
        hole_open(d->at, d->s, d->dir, 0);
    } else {
        direction_resync(d->at, d->s, d->dir, 0);
    }
}

static const mqtt_stream_callbacks mqtt_callbacks = {on_mqtt_packet, on_mqtt_malformed};

/* Bytes of the MQTT stream (over TCP, or a WebSocket message's payload). */
static void mqtt_feed(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                      size_t len)
{
    if (s->dirs[dir].lost)
        return;
    decode_ctx d = {at, s, dir};
    mqtt_stream_push(&s->dirs[dir].mqtt, s->conn.mqtt_level, bytes, len, &mqtt_callbacks, &d);
}

void route_mqtt(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                size_t len)
{
    if (s->dirs[dir].lost && (!s->dirs[dir].resync || !resume(at, s, dir, bytes, len)))
        return;
    mqtt_feed(at, s, dir, bytes, len);
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
    /* A message starts: an MQTT stream that lost its boundaries resumes
     * here (senders write a packet a message). */
    if (s->dirs[d->dir].mqtt_resync) {
        s->dirs[d->dir].mqtt_resync = false;
        mqtt_stream_restart(&s->dirs[d->dir].mqtt);
        hole_close(d->at, s, d->dir, true);
    }
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
    mqtt_feed(d->at, d->s, d->dir, view.bytes, view.len);
    if (view.took < len)
        mqtt_feed(d->at, d->s, d->dir, bytes + view.took, len - view.took);
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
    mqtt_feed(d->at, s, d->dir, bytes, len);
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
    const session_direction *sd = &s->dirs[dir];
    if (!s->ws_active)
        return;
    if (sd->lost) {
        if (sd->resync) {
            if (!resume(at, s, dir, bytes, len))
                return; /* no frame boundary known yet */
        } else if (!sd->compressed_reported) {
            return;
        }
    }
    decode_ctx d = {at, s, dir};
    ws_decoder_push(session_ws(s, dir), bytes, len, &ws_callbacks, &d);
}
