/*
 * route.c - a session's streams, decoded and handed to the rules (route.h).
 */
#include "route.h"

#include "boundary.h"
#include "compiler.h"
#include "handshake.h"
#include "keepalive.h"
#include "kept_segments.h"
#include "mqtt_decoder.h"
#include "ws_decoder.h"
#include "ws_inflate.h"

typedef struct decode_ctx {
    const rule_ctx *at;
    session *s;
    mqttka_direction dir;
    uint8_t message_opcode; /* of the WebSocket message whose data is routed */
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
    d->joined = false;
    d->mqtt_resync = false;
    mqtt_stream_skip(&d->mqtt);
    hole_open(at, s, dir, missing);
}

/* Does a segment of a stream joined late over TCP start with what the
 * probe takes for the start of a chain (probe.c, open_followed): a PUBLISH
 * whose topic name reads as one, of any length, or whole packets and one
 * more of which at most KEPT_BYTES are still to come? A client's first
 * segment after the server's proved the flow alone on port 1883
 * (probe.h) may open a PUBLISH larger than a segment (suricata-verify's
 * mqtt-connect-rules cut after its CONNECT); the probe would have followed
 * it to its end, the decoder follows its length. */
static bool joined_open_start(const uint8_t *bytes, size_t len, uint8_t level)
{
    boundary_proof proof;
    boundary_open open;
    return boundary_mqtt_open_packet(bytes, len, level, &proof, &open) &&
           (open.named || (proof.packets >= 2 && open.owed <= KEPT_BYTES));
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
    /* A stream joined late over TCP may resume at whole packets of which
     * some are malformed as the decoder reports and skips (a reserved type
     * 0, a PUBLISH of QoS 3), as the probe keeps one in its run, or at a
     * packet left open as the probe follows one (joined_open_start): a
     * client's first segment after the server's proved the flow alone on
     * port 1883 (probe.h). Only at the stream's first segment: one that
     * was no boundary puts the stream in a packet's middle, as a hole
     * does, where a packet's middle that reads so must not be taken for
     * its start. */
    if (!proved && !websocket && d->joined)
        proved = boundary_mqtt_skippable(bytes, len, &proof) ||
                 joined_open_start(bytes, len, s->conn.mqtt_level);
    if (len)
        d->joined = false;
    if (!proved) {
        if (s->rare)
            s->rare->hole[dir].skipped += len;
        keepalive_on_undecoded(at, s, dir);
        return false;
    }
    d->lost = false;
    d->resync = false;
    d->joined = false;
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
    if (d->lost && !d->resync && !(websocket && (d->compressed_reported || d->inflate_lost)))
        return;
    direction_resync(at, s, dir, missing);
    d->inflate_lost = false; /* the frames are lost too */
    d->resuming = false;
    /* The sender's compression context went with the missing bytes: only a
     * fresh one can be inflated again. */
    if (websocket && session_inflates(s))
        ws_inflate_lose_context(session_inflater(s, dir));
}

void route_resync(session *s, mqttka_direction dir)
{
    /* Not a hole: the capture joined the stream here. */
    s->dirs[dir].lost = true;
    s->dirs[dir].resync = true;
    s->dirs[dir].joined = true;
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
    decode_ctx d = {at, s, dir, 0};
    mqtt_stream_push(&s->dirs[dir].mqtt, s->conn.mqtt_level, bytes, len, &mqtt_callbacks, &d);
}

void route_mqtt(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                size_t len)
{
    if (s->dirs[dir].lost && (!s->dirs[dir].resync || !resume(at, s, dir, bytes, len)))
        return;
    mqtt_feed(at, s, dir, bytes, len);
}

void route_mqtt_unread(const rule_ctx *at, session *s, mqttka_direction dir, uint64_t n)
{
    session_direction *d = &s->dirs[dir];
    if (!n)
        return;
    if (d->lost) {
        /* waiting for a boundary, which bytes not kept cannot show */
        if (d->resync && s->rare)
            s->rare->hole[dir].skipped += n;
        return;
    }
    if (mqtt_stream_unread(&d->mqtt) < n) {
        route_gap(at, s, dir, n);
        return;
    }
    mqtt_feed(at, s, dir, NULL, (size_t)n);
}

void route_end(const rule_ctx *at, session *s, mqttka_direction dir)
{
    if (s->dirs[dir].lost)
        return; /* a capture that stops mid-packet is not a malformation */
    decode_ctx d = {at, s, dir, 0};
    mqtt_stream_end(&s->dirs[dir].mqtt, &mqtt_callbacks, &d);
}

/* ----------------------------------------------------------- WebSocket -- */

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

/* A data message's bytes, as sent or inflated, to the MQTT stream. */
static void message_bytes(decode_ctx *d, const uint8_t *bytes, size_t len)
{
    session *s = d->s;
    if (s->not_mqtt)
        return;
    if (!s->confirmed) {
        first_message_data(d, bytes, len);
        return;
    }
    if (d->message_opcode == MQTTKA_WS_TEXT && !s->dirs[d->dir].text_reported) {
        s->dirs[d->dir].text_reported = true;
        emit_finding(d->at, s, MQTTKA_F_MQTT_IN_TEXT_FRAME, d->dir, 0, false, 0,
                     "%s carries MQTT in a WebSocket text frame; MQTT-6.0.0-1 requires binary",
                     sender_name(d->dir));
    }
    mqtt_feed(d->at, s, d->dir, bytes, len);
}

/* ------------------------------------------------ permessage-deflate -- */

/* RFC 7692: a message whose first frame has RSV1 is compressed, its
 * payload inflated as it comes (ws_inflate.h) and the inflated bytes go to
 * the MQTT stream as an uncompressed message's would. A message that
 * cannot be inflated (ws_deflate_failed) or hits a cap (resource_limit)
 * stops the MQTT stream of its direction, while its frames are still
 * decoded: WebSocket pings and closes are still seen. When the sender
 * resets its context every message (no_context_takeover), decoding
 * resumes at the next message whose first byte can start an MQTT packet
 * (resume_point); otherwise that direction is not decoded again. */

static ws_inflate_limits inflate_limits(const mqttka_config *cfg)
{
    ws_inflate_limits lim = {cfg->max_inflated_message_bytes, cfg->max_inflate_ratio};
    return lim;
}

/* The MQTT stream of `dir` stops at an inflate failure, with the timing
 * rules (packets may have been missed, as in a hole), but not the frames. */
static void direction_lose_to_inflate(const rule_ctx *at, session *s, mqttka_direction dir)
{
    keepalive_on_gap(at, s, dir);
    direction_lose(s, dir);
    s->dirs[dir].inflate_lost = true;
    s->dirs[dir].resuming = false;
}

void route_lose(const rule_ctx *at, session *s, mqttka_direction dir)
{
    if (s && s->confirmed)
        direction_lose_to_inflate(at, s, dir);
}

/* Can an MQTT packet that `dir`'s sender may send start with this byte?
 * (MQTT 3.1.1 §2.2, 5.0 §2.1: the type, who sends it, its fixed flags.)
 *
 * The hook for the resynchronisation of issue 13: a fresh compression
 * context makes the message readable, not its first byte a packet's
 * start (MQTT-6.0.0-2: packets need not align with messages, and MQTT.js
 * sends a packet's fields as separate messages). This test only keeps
 * most mid-packet messages out (a length, a topic's letters); a
 * resynchronisation that proves a boundary replaces it. */
static bool resume_point(mqttka_direction dir, uint8_t first_byte)
{
    unsigned type = first_byte >> 4, flags = first_byte & 0xFu;
    bool from_client = dir == MQTTKA_C2S;
    switch (type) {
    case MQTTKA_MQTT_PUBLISH:
        return (flags & 0x6u) != 0x6u; /* not QoS 3 */
    case MQTTKA_MQTT_PUBREL:
        return flags == 0x2u;
    case MQTTKA_MQTT_SUBSCRIBE:
    case MQTTKA_MQTT_UNSUBSCRIBE:
        return from_client && flags == 0x2u;
    case MQTTKA_MQTT_CONNECT:
    case MQTTKA_MQTT_PINGREQ:
        return from_client && flags == 0;
    case MQTTKA_MQTT_CONNACK:
    case MQTTKA_MQTT_SUBACK:
    case MQTTKA_MQTT_UNSUBACK:
    case MQTTKA_MQTT_PINGRESP:
        return !from_client && flags == 0;
    case MQTTKA_MQTT_PUBACK:
    case MQTTKA_MQTT_PUBREC:
    case MQTTKA_MQTT_PUBCOMP:
    case MQTTKA_MQTT_DISCONNECT:
    case MQTTKA_MQTT_AUTH:
        return flags == 0;
    default:
        return false;
    }
}

/* The first inflated bytes of a message after a loss: a new MQTT stream
 * starts here if they can start a packet. Timing stays off: packets were
 * missed. */
static void try_resume(decode_ctx *d, uint8_t first_byte)
{
    session_direction *sd = &d->s->dirs[d->dir];
    sd->resuming = false;
    if (!resume_point(d->dir, first_byte))
        return; /* this message is skipped; the next fresh one is tried */
    mqtt_stream_free(&sd->mqtt);
    mqtt_stream_init(&sd->mqtt, d->at->cfg->max_mqtt_kept_bytes);
    sd->lost = false;
    sd->inflate_lost = false;
}

static void on_inflated(void *ctx, const uint8_t *bytes, size_t len)
{
    decode_ctx *d = ctx;
    if (d->s->dirs[d->dir].resuming)
        try_resume(d, bytes[0]);
    message_bytes(d, bytes, len);
}

/* Reports why a compressed message of `dir` was given up (`why`, or the
 * inflater's word for it), and stops the MQTT stream of that direction. */
static void inflate_failed(decode_ctx *d, ws_inflate_result r, const char *why)
{
    session *s = d->s;
    const mqttka_config *cfg = d->at->cfg;
    const ws_inflater *w = session_inflater(s, d->dir);
    const char *who = sender_name(d->dir);
    const char *then = w->no_context_takeover
                           ? "decoding resumes at a message that starts a packet"
                           : "this direction is not decoded further";
    switch (r) {
    case WS_INFLATE_CORRUPT:
        emit_finding(d->at, s, MQTTKA_F_WS_DEFLATE_FAILED, d->dir, 0, false, 0,
                     "%s compressed message cannot be inflated (%s; RFC 7692 §7.2.2); %s", who,
                     why ? why : w->error, then);
        break;
    case WS_INFLATE_MESSAGE_LIMIT:
        emit_finding(d->at, s, MQTTKA_F_RESOURCE_LIMIT, d->dir, 0, false, 0,
                     "%s compressed message inflates past %zu bytes (max_inflated_message_bytes); "
                     "%s",
                     who, cfg->max_inflated_message_bytes, then);
        break;
    case WS_INFLATE_RATIO_LIMIT:
        emit_finding(d->at, s, MQTTKA_F_RESOURCE_LIMIT, d->dir, 0, false, 0,
                     "%s compressed messages inflate to more than %u times their size after "
                     "their first %u bytes (max_inflate_ratio: %llu bytes from %llu); %s",
                     who, (unsigned)cfg->max_inflate_ratio, (unsigned)WS_INFLATE_RATIO_ALLOWANCE,
                     (unsigned long long)w->total_out, (unsigned long long)w->total_in, then);
        break;
    default:
        emit_finding(d->at, s, MQTTKA_F_RESOURCE_LIMIT, d->dir, 0, false, 0,
                     "no memory to inflate %s messages (max_inflate_memory_bytes %zu for all "
                     "connections, or the system's); %s",
                     who, cfg->max_inflate_memory_bytes, then);
        break;
    }
    if (!s->confirmed) {
        s->not_mqtt = true; /* the first message cannot show MQTT */
        return;
    }
    direction_lose_to_inflate(d->at, s, d->dir);
}

/* A data message begins: is it compressed, and can it be inflated? */
static void message_begins(decode_ctx *d, const ws_frame_header *h)
{
    session *s = d->s;
    session_direction *sd = &s->dirs[d->dir];
    sd->msg_compressed = s->ws_deflate && (h->rsv & 0x4);
    if (!sd->msg_compressed)
        return;
    if (!session_inflates(s)) {
        /* What the 101 accepted is not decoded here. */
        if (!s->confirmed) {
            s->not_mqtt = true; /* the first message cannot show MQTT */
            return;
        }
        if (sd->compressed_reported)
            return;
        sd->compressed_reported = true;
        emit_finding(d->at, s, MQTTKA_F_WS_COMPRESSED_SKIPPED, d->dir, 0, false, 0,
                     "%s sends compressed messages under an extension not decoded here (%s); "
                     "MQTT in this direction is not decoded",
                     sender_name(d->dir),
                     s->ws_slot.deflate ? s->ws_slot.deflate->unsupported
                                        : "the 101 that named it was not captured");
        direction_lose(s, d->dir);
        return;
    }
    ws_inflater *w = session_inflater(s, d->dir);
    if (w->in_message && !ws_inflate_skipping(w)) {
        /* The frame decoder reported the interruption (ws_framing_error);
         * the compression context went with the unfinished message. */
        ws_inflate_lose_context(w);
        inflate_failed(d, WS_INFLATE_CORRUPT,
                       "a new message began before the compressed one ended");
    }
    if (ws_inflate_message_begin(w) && sd->inflate_lost)
        sd->resuming = true;
}

/* The last frame of a compressed message has ended. (Out of line: the test
 * before it is made at every frame's end, see on_ws_frame_end.) */
static OUT_OF_LINE void message_ends(decode_ctx *d)
{
    session *s = d->s;
    if (!session_inflates(s))
        return;
    ws_inflate_limits lim = inflate_limits(d->at->cfg);
    d->message_opcode = session_ws(s, d->dir)->message_opcode;
    ws_inflate_result r = ws_inflate_message_end(session_inflater(s, d->dir), &lim, on_inflated, d);
    if (r != WS_INFLATE_OK && r != WS_INFLATE_SKIPPED)
        inflate_failed(d, r, NULL);
    s->dirs[d->dir].resuming = false;
}

/* ------------------------------------------------------------ frames -- */

static void on_ws_frame_header(void *ctx, const ws_frame_header *h)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    if (h->opcode != MQTTKA_WS_TEXT && h->opcode != MQTTKA_WS_BINARY)
        return; /* only a message's first frame has these */
    /* A message starts: an MQTT stream that lost its boundaries resumes
     * here (senders write a packet a message). */
    if (s->confirmed && s->dirs[d->dir].mqtt_resync) {
        s->dirs[d->dir].mqtt_resync = false;
        mqtt_stream_restart(&s->dirs[d->dir].mqtt);
        hole_close(d->at, s, d->dir, true);
    }
    message_begins(d, h);
}

static void on_ws_data(void *ctx, uint8_t message_opcode, const ws_frame_header *h,
                       const uint8_t *bytes, size_t len)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    (void)h;
    if (s->not_mqtt)
        return;
    d->message_opcode = message_opcode;
    if (!s->dirs[d->dir].msg_compressed) {
        message_bytes(d, bytes, len);
        return;
    }
    if (!bytes || !session_inflates(s))
        return; /* not inflated (on_ws_data_unread said so) */
    ws_inflate_limits lim = inflate_limits(d->at->cfg);
    ws_inflate_result r =
        ws_inflate_message_data(session_inflater(s, d->dir), &lim, bytes, len, on_inflated, d);
    if (r != WS_INFLATE_OK && r != WS_INFLATE_SKIPPED)
        inflate_failed(d, r, NULL);
}

/* Every frame's end, of every session: what a session without compression
 * pays here is the first test. */
static void on_ws_frame_end(void *ctx, const ws_frame_header *h)
{
    decode_ctx *d = ctx;
    if (d->s->dirs[d->dir].msg_compressed && h->fin &&
        (h->opcode == MQTTKA_WS_TEXT || h->opcode == MQTTKA_WS_BINARY ||
         h->opcode == MQTTKA_WS_CONTINUATION))
        message_ends(d);
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
 * the MQTT stream only counts, or all of a direction that is not decoded.
 * A compressed message is read whole while it is inflated (the inflater
 * keeps its sender's context even while the MQTT stream is lost). */
static size_t on_ws_data_unread(void *ctx)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    const session_direction *sd = &s->dirs[d->dir];
    if (s->not_mqtt)
        return SIZE_MAX;
    if (sd->msg_compressed)
        return session_inflates(s) && !ws_inflate_skipping(session_inflater(s, d->dir))
                   ? 0
                   : SIZE_MAX;
    if (!s->confirmed)
        return 0; /* the first message's first bytes are read */
    if (sd->lost)
        return SIZE_MAX;
    return mqtt_stream_unread(&sd->mqtt);
}

/* One table, known to the compiler at the one call: the frame decoder is
 * specialised for it and its calls made direct. */
static const ws_decoder_callbacks ws_callbacks = {
    on_ws_frame_header, on_ws_data,      on_ws_control,
    on_ws_frame_end,    on_ws_violation, on_ws_data_unread,
};

void route_websocket(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                     size_t len)
{
    const session_direction *sd = &s->dirs[dir];
    if (!s->ws_active)
        return;
    if (sd->lost && !sd->inflate_lost) {
        if (sd->resync) {
            if (!resume(at, s, dir, bytes, len))
                return; /* no frame boundary known yet */
        } else if (!sd->compressed_reported) {
            return;
        }
    }
    decode_ctx d = {at, s, dir, 0};
    ws_decoder_push(session_ws(s, dir), bytes, len, &ws_callbacks, &d);
}
