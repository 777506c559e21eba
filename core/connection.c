/*
 * connection.c - one flow's pipeline, from TCP segments to MQTT packets.
 *
 *   TCP segment --tcp_stream--> in-order bytes per side
 *     PROTO_UNKNOWN   the first bytes decide: "GET " -> HTTP, an MQTT
 *                     CONNECT -> MQTT over TCP, anything else -> not ours.
 *                     No port is special (RFC 6455 §4.1 handshake, MQTT
 *                     3.1.1 §3.1: CONNECT is the first packet).
 *     PROTO_HTTP      the Upgrade request and its answer (http_upgrade.c)
 *     PROTO_WEBSOCKET frames (ws_decoder.c) -> unmasked payload -> MQTT
 *     PROTO_MQTT_TCP  bytes -> MQTT (mqtt_decoder.c)
 *   MQTT packets and WebSocket control frames -> keepalive.c
 *
 * The client is the side that sent the SYN or, without one, the side whose
 * stream starts with the request or the CONNECT.
 */
#include "analyzer_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A WebSocket handshake never answered is reported only once the flow has
 * closed or this long has passed since the request at the end of input: a
 * capture that simply stops right after a request proves nothing. */
#define HANDSHAKE_ANSWER_WAIT ((mqttka_time)5 * 1000000)

typedef struct decode_ctx {
    const push_ctx *pc;
    session *s;
    mqttka_direction dir;
} decode_ctx;

mqttka_direction flow_direction(const struct flow *f, int side)
{
    if (f->client_side < 0)
        return side == 0 ? MQTTKA_C2S : MQTTKA_S2C;
    return side == f->client_side ? MQTTKA_C2S : MQTTKA_S2C;
}

void flow_prefetch_session(const struct flow *f, int side)
{
    const session *s = f->sess;
    if (!s)
        return;
    mqttka_direction dir = flow_direction(f, side);
    PREFETCH(s);
    PREFETCH(&s->conn);
    PREFETCH(&s->dirs[dir]);
    PREFETCH(&s->packets[dir]);
    /* The flow is in cache by now; the session is not: its kind is read
     * from the flow. (Address arithmetic only: nothing of s is loaded.) */
    if (f->proto == PROTO_WEBSOCKET)
        PREFETCH(&((const ws_session *)(const void *)s)->ws[dir]);
}

static tcp_stream_limits stream_limits(mqttka_analyzer *a)
{
    tcp_stream_limits lim = {a->cfg.max_ooo_segments, a->cfg.max_ooo_bytes,
                             a->cfg.max_total_buffered_bytes, &a->total_buffered};
    return lim;
}

static void http_free(http_handshake *h)
{
    if (!h)
        return;
    free(h->buf[0]);
    free(h->buf[1]);
    free(h);
}

static void session_free(mqttka_analyzer *a, session *s)
{
    if (!s)
        return;
    mqtt_stream_free(&s->dirs[0].mqtt);
    mqtt_stream_free(&s->dirs[1].mqtt);
    bool websocket = s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET;
    if (websocket) {
        ws_decoder_free(session_ws(s, MQTTKA_C2S));
        ws_decoder_free(session_ws(s, MQTTKA_S2C));
    }
    free(s->pending);
    free(s->end);
    free(s->rtt_ring);
    free(s->ws_ping);
    free(s->packets_high);
    if (s->conn.client_id[0] && s->conn.client_id != s->client_id_short)
        free((void *)(uintptr_t)s->conn.client_id); /* made by session_set_client_id */
    if (s->conn.ws_subprotocol[0])
        text_pool_release(&a->texts, s->conn.ws_subprotocol);
    if (s->conn.ws_extensions[0])
        text_pool_release(&a->texts, s->conn.ws_extensions);
    for (size_t i = 0; i < s->n_findings; i++)
        text_pool_release(&a->texts, s->findings[i].detail);
    free(s->findings);
    block_pool_put(websocket ? &a->ws_sessions : &a->sessions, s);
}

void flow_release(mqttka_analyzer *a, struct flow *f)
{
    tcp_stream_limits lim = stream_limits(a);
    flow_table_remove(&a->flows, f);
    tcp_stream_free(&f->tcp[0], &lim);
    tcp_stream_free(&f->tcp[1], &lim);
    http_free(f->http);
    free(f->prefix);
    session_free(a, f->sess);
    flow_table_put(&a->flows, f);
}

/* What an open connection's end record says. */
static const session_end session_end_none = {
    .disconnect_reason = -1,
    .ws_close_code = -1,
    .server_close_ts = MQTTKA_TIME_NONE,
    .silence_at_close = MQTTKA_TIME_NONE,
    .oldest_ping_at_close = MQTTKA_TIME_NONE,
    .last_pingreq_at_close = MQTTKA_TIME_NONE,
    .last_data_at_close = MQTTKA_TIME_NONE,
};

session_end *session_end_make(session *s)
{
    if (!s->end) {
        s->end = malloc(sizeof *s->end);
        if (s->end)
            *s->end = session_end_none;
    }
    return s->end;
}

const session_end *session_end_of(const session *s)
{
    return s->end ? s->end : &session_end_none;
}

void session_set_client_id(session *s, const char *client_id)
{
    size_t len = strlen(client_id);
    if (len > MQTTKA_CLIENT_ID_SIZE - 1)
        len = MQTTKA_CLIENT_ID_SIZE - 1;
    if (s->conn.client_id[0] || !len)
        return;
    char *copy = len < sizeof s->client_id_short ? s->client_id_short : malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, client_id, len);
    copy[len] = '\0';
    s->conn.client_id = copy;
}

/* A string of the server's handshake answer, cut to `size` - 1 bytes as the
 * connection's fixed fields once did, and held in the analyzer's text pool
 * (every connection of a broker has the same); "" when empty or out of
 * memory. */
static const char *hold_choice(mqttka_analyzer *a, const char *value, size_t size)
{
    char cut[MQTTKA_WS_EXTENSIONS_SIZE];
    str_copy(cut, size < sizeof cut ? size : sizeof cut, value);
    if (!cut[0])
        return "";
    const char *held = text_pool_hold(&a->texts, cut);
    return held ? held : "";
}

static session *session_new(const push_ctx *pc, mqttka_transport transport)
{
    struct flow *f = pc->f;
    /* The pools want a size that is a multiple of the alignment, which the
     * _Alignas members make it. */
    _Static_assert(sizeof(session) % SESSION_ALIGN == 0, "session size");
    _Static_assert(sizeof(ws_session) % SESSION_ALIGN == 0, "ws_session size");
    _Static_assert(SESSION_ALIGN == BLOCK_POOL_ALIGN, "session alignment");
    bool websocket = transport == MQTTKA_TRANSPORT_WEBSOCKET;
    size_t size = websocket ? sizeof(ws_session) : sizeof(session);
    session *s = block_pool_get(websocket ? &pc->a->ws_sessions : &pc->a->sessions);
    if (!s)
        return NULL;
    memset(s, 0, size);
    int client = f->client_side < 0 ? 0 : f->client_side;
    s->conn.client_id = s->conn.ws_subprotocol = s->conn.ws_extensions = "";
    s->conn.client = f->ep[client];
    s->conn.server = f->ep[1 - client];
    s->conn.transport = transport;
    s->conn.keepalive = s->conn.server_keepalive = s->conn.effective_keepalive = -1;
    s->conn.start = f->first_ts;
    s->conn.end = f->last_ts;
    s->conn.first_tag = f->first_tag;
    s->last_client_ts = MQTTKA_TIME_NONE;
    s->max_client_silence = MQTTKA_TIME_NONE;
    s->last_pingreq_ts = MQTTKA_TIME_NONE;
    s->last_data_ts = MQTTKA_TIME_NONE;
    mqtt_stream_init(&s->dirs[0].mqtt, pc->a->cfg.max_mqtt_kept_bytes);
    mqtt_stream_init(&s->dirs[1].mqtt, pc->a->cfg.max_mqtt_kept_bytes);
    return s;
}

/* The connection is reported from now on: it gets its number. */
static void confirm_session(const push_ctx *pc, session *s)
{
    if (s->confirmed)
        return;
    s->confirmed = true;
    s->conn.id = pc->a->next_conn_id++;
}

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
    keepalive_on_packet(d->pc, d->s, d->dir, p);
}

static void on_mqtt_malformed(void *ctx, mqtt_malformation m, bool fatal, uint8_t first_byte)
{
    decode_ctx *d = ctx;
    mqttka_finding_kind kind =
        m == MQTT_M_BAD_PING ? MQTTKA_F_MALFORMED_PING : MQTTKA_F_MALFORMED_FIXED_HEADER;
    emit_finding(d->pc, d->s, kind, MQTTKA_ERROR, d->dir, 0, false, 0,
                 "%s MQTT stream: %s (first byte 0x%02x)%s",
                 d->dir == MQTTKA_C2S ? "client" : "server", mqtt_malformation_name(m),
                 first_byte, fatal ? "; the rest of this direction is not decoded" : "");
    if (fatal)
        direction_lose(d->s, d->dir);
}

static const mqtt_stream_callbacks mqtt_callbacks = {on_mqtt_packet, on_mqtt_malformed};

static void mqtt_feed(const push_ctx *pc, session *s, mqttka_direction dir,
                      const uint8_t *bytes, size_t len)
{
    if (s->dirs[dir].lost)
        return;
    decode_ctx d = {pc, s, dir};
    mqtt_stream_push(&s->dirs[dir].mqtt, s->conn.mqtt_level, bytes, len, &mqtt_callbacks, &d);
}

/* ----------------------------------------------------------- WebSocket -- */

static void detect_ws_mqtt(decode_ctx *d, const uint8_t *bytes, size_t len);

static void on_ws_frame_header(void *ctx, const ws_frame_header *h)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    if (!s->confirmed)
        return;
    if (h->opcode != WS_OP_TEXT && h->opcode != WS_OP_BINARY)
        return;
    /* RFC 7692 §6: RSV1 on a message's first frame marks it compressed. */
    s->dirs[d->dir].msg_compressed = s->ws_deflate && (h->rsv & 0x4);
    if (s->dirs[d->dir].msg_compressed && !s->dirs[d->dir].compressed_reported) {
        s->dirs[d->dir].compressed_reported = true;
        emit_finding(d->pc, s, MQTTKA_F_WS_COMPRESSED_SKIPPED, MQTTKA_WARN, d->dir, 0, false, 0,
                     "%s sends permessage-deflate compressed messages; MQTT in this direction "
                     "is not decoded (decompression is not implemented yet)",
                     d->dir == MQTTKA_C2S ? "client" : "server");
        direction_lose(s, d->dir);
    }
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
        detect_ws_mqtt(d, bytes, len);
        return;
    }
    if (s->dirs[d->dir].msg_compressed)
        return;
    if (message_opcode == WS_OP_TEXT && !s->dirs[d->dir].text_reported) {
        s->dirs[d->dir].text_reported = true;
        emit_finding(d->pc, s, MQTTKA_F_MQTT_IN_TEXT_FRAME, MQTTKA_ERROR, d->dir, 0, false, 0,
                     "%s carries MQTT in a WebSocket text frame; MQTT-6.0.0-1 requires binary",
                     d->dir == MQTTKA_C2S ? "client" : "server");
    }
    mqtt_feed(d->pc, s, d->dir, bytes, len);
}

static void on_ws_control(void *ctx, const ws_frame_header *h, const uint8_t *payload,
                          size_t len)
{
    decode_ctx *d = ctx;
    if (!d->s->confirmed)
        return;
    keepalive_on_ws_control(d->pc, d->s, d->dir, h->opcode, payload, len);
}

static void on_ws_violation(void *ctx, ws_violation v, const ws_frame_header *h)
{
    decode_ctx *d = ctx;
    session *s = d->s;
    if (!s->confirmed)
        return;
    const char *who = d->dir == MQTTKA_C2S ? "client" : "server";
    if (v == WS_V_UNMASKED_CLIENT_FRAME || v == WS_V_MASKED_SERVER_FRAME) {
        if (s->dirs[d->dir].mask_reported)
            return;
        s->dirs[d->dir].mask_reported = true;
        emit_finding(d->pc, s, MQTTKA_F_WS_MASK_VIOLATION, MQTTKA_ERROR, d->dir, 0, false, 0,
                     "%s sent a%s frame (opcode %u): %s (RFC 6455 §5.1)", who,
                     h->masked ? " masked" : "n unmasked", (unsigned)h->opcode,
                     ws_violation_name(v));
        return;
    }
    /* The header may be incomplete here (the decoder reports at the byte
     * that decides), so only the opcode is certain. */
    emit_finding(d->pc, s, MQTTKA_F_WS_FRAMING_ERROR, MQTTKA_ERROR, d->dir, 0, false, 0,
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
        return 0; /* detect_ws_mqtt reads the first bytes */
    return mqtt_stream_unread(&s->dirs[d->dir].mqtt);
}

static const ws_decoder_callbacks ws_callbacks = {
    on_ws_frame_header, on_ws_data, on_ws_control, NULL, on_ws_violation, on_ws_data_unread,
};

static void ws_feed(const push_ctx *pc, session *s, mqttka_direction dir,
                    const uint8_t *bytes, size_t len)
{
    if (!s->ws_active || (s->dirs[dir].lost && !s->dirs[dir].compressed_reported))
        return; /* a hole: frame boundaries are lost too */
    decode_ctx d = {pc, s, dir};
    ws_decoder_push(session_ws(s, dir), bytes, len, &ws_callbacks, &d);
}

/* -------------------------------------------------------- HTTP Upgrade -- */

static bool contains_token_ci(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = haystack; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == needle[i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static void emit_handshake(const push_ctx *pc, session *s, bool upgraded, int status,
                           const char *path)
{
    mqttka_event ev;
    event_init(&ev, pc, s, MQTTKA_EV_WS_HANDSHAKE, MQTTKA_S2C);
    ev.u.handshake.upgraded = upgraded;
    ev.u.handshake.status = status;
    ev.u.handshake.path = path;
    emit_event(pc->a, &ev);
}

static void check_subprotocol(const push_ctx *pc, session *s, const http_upgrade_request *req,
                              const char *chosen)
{
    if (!req->protocols[0]) {
        emit_finding(pc, s, MQTTKA_F_WS_SUBPROTOCOL, MQTTKA_WARN, MQTTKA_C2S, s->conn.first_tag,
                     false, 0,
                     "client offered no Sec-WebSocket-Protocol; MQTT-6.0.0-3 expects \"mqtt\"");
        return;
    }
    if (!chosen[0]) {
        emit_finding(pc, s, MQTTKA_F_WS_SUBPROTOCOL, MQTTKA_WARN, MQTTKA_S2C, 0, false, 0,
                     "server chose no subprotocol from the client's offer \"%s\"",
                     req->protocols);
        return;
    }
    if (!http_token_list_contains(req->protocols, chosen)) {
        emit_finding(pc, s, MQTTKA_F_WS_SUBPROTOCOL, MQTTKA_WARN, MQTTKA_S2C, 0, false, 0,
                     "server chose subprotocol \"%s\", which the client did not offer (\"%s\")",
                     chosen, req->protocols);
        return;
    }
    if (strcmp(chosen, "mqtt") != 0) {
        emit_finding(pc, s, MQTTKA_F_WS_SUBPROTOCOL, MQTTKA_INFO, MQTTKA_S2C, 0, false, 0,
                     "subprotocol \"%s\" is a legacy name; the standard one is \"mqtt\"", chosen);
    }
}

/* Appends to a side's header block, allocated once at the configured cap.
 * Returns false when the block would exceed the cap.
 *
 * whole_block: nearly every handshake sends each header block in one
 * segment, and then it is parsed where it lies; only a block that arrives
 * in parts is collected here (8 KiB a side, two allocations and a copy per
 * connection saved otherwise). Within the cap both ways see the same bytes. */
static bool http_append(const push_ctx *pc, http_handshake *h, int i, const uint8_t *bytes,
                        size_t len)
{
    size_t cap = pc->a->cfg.max_http_header_bytes;
    if (!h->buf[i]) {
        h->buf[i] = malloc(cap);
        if (!h->buf[i])
            return false;
    }
    if (len > cap - h->len[i])
        return false;
    memcpy(h->buf[i] + h->len[i], bytes, len);
    h->len[i] += len;
    return true;
}

static void give_up(struct flow *f)
{
    f->proto = PROTO_NONE;
    http_free(f->http);
    f->http = NULL;
    free(f->prefix);
    f->prefix = NULL;
}

/* Collects a side's first bytes: what it sent before (held in f->prefix)
 * and then as much of `bytes` as fits, into `out`. Returns how many there
 * are; *took says how many came from `bytes`. */
static size_t prefix_collect(const struct flow *f, int side, const uint8_t *bytes, size_t len,
                             uint8_t out[DETECT_PREFIX_MAX], size_t *took)
{
    size_t have = f->prefix ? f->prefix->len[side] : 0;
    if (have)
        memcpy(out, f->prefix->bytes[side], have);
    size_t take = len < DETECT_PREFIX_MAX - have ? len : DETECT_PREFIX_MAX - have;
    memcpy(out + have, bytes, take);
    *took = take;
    return have + take;
}

/* Holds a side's first bytes until more arrive; false when out of memory. */
static bool prefix_wait(struct flow *f, int side, const uint8_t *prefix, size_t have)
{
    if (!f->prefix) {
        f->prefix = calloc(1, sizeof *f->prefix);
        if (!f->prefix)
            return false;
    }
    memcpy(f->prefix->bytes[side], prefix, have);
    f->prefix->len[side] = (uint8_t)have;
    return true;
}

/* A side's first bytes are decided: they are no longer held. */
static void prefix_done(struct flow *f, int side)
{
    if (!f->prefix)
        return;
    f->prefix->len[side] = 0;
    if (!f->prefix->len[1 - side]) {
        free(f->prefix);
        f->prefix = NULL;
    }
}

static void start_websocket(const push_ctx *pc, session *s, const http_upgrade_response *resp)
{
    struct flow *f = pc->f;
    s->conn.ws_upgraded = true;
    s->ws_deflate = contains_token_ci(resp->extensions, "permessage-deflate");
    s->ws_active = true;
    ws_decoder_init(session_ws(s, MQTTKA_C2S), true, s->ws_deflate);
    ws_decoder_init(session_ws(s, MQTTKA_S2C), false, s->ws_deflate);
    f->proto = PROTO_WEBSOCKET;
}

/* Reports a 101 handshake held in s->pending, at its own time and frame. */
static void report_handshake(const push_ctx *pc, session *s)
{
    ws_pending *pend = s->pending;
    if (!pend)
        return;
    s->pending = NULL;
    push_ctx at = *pc;
    at.ts = pend->ts;
    at.tag = pend->tag;
    confirm_session(&at, s);
    emit_handshake(&at, s, pend->accept_ok, pend->status, pend->path);
    if (!pend->accept_ok) {
        /* The server switched protocols anyway, so the frames are decoded. */
        emit_finding(&at, s, MQTTKA_F_WS_HANDSHAKE_FAILED, MQTTKA_ERROR, MQTTKA_S2C, 0, false, 0,
                     "101 answer with a wrong Sec-WebSocket-Accept \"%s\" (RFC 6455 §4.2.2)",
                     pend->accept);
    }
    http_upgrade_request req;
    memset(&req, 0, sizeof req);
    str_copy(req.protocols, sizeof req.protocols, pend->offered);
    check_subprotocol(&at, s, &req, s->conn.ws_subprotocol);
    free(pend);
}

/* The first bytes of the client's first message decide whether a WebSocket
 * that does not say it carries MQTT does. The flow's detection prefix is
 * free again by now and holds them while they are too few. */
static void detect_ws_mqtt(decode_ctx *d, const uint8_t *bytes, size_t len)
{
    const push_ctx *pc = d->pc;
    session *s = d->s;
    struct flow *f = pc->f;
    if (d->dir != MQTTKA_C2S) {
        s->not_mqtt = true; /* an MQTT server never speaks first */
        return;
    }
    int side = pc->side;
    uint8_t prefix[DETECT_PREFIX_MAX];
    size_t take = 0;
    size_t have = prefix_collect(f, side, bytes, len, prefix, &take);
    int verdict = mqtt_looks_like_connect(prefix, have);
    if (verdict == 0 || (verdict < 0 && have == DETECT_PREFIX_MAX)) {
        prefix_done(f, side);
        s->not_mqtt = true;
        return;
    }
    if (verdict < 0) {
        if (!prefix_wait(f, side, prefix, have))
            s->not_mqtt = true; /* out of memory: cannot tell, so not reported */
        return;
    }
    prefix_done(f, side);
    report_handshake(pc, s);
    mqtt_feed(pc, s, d->dir, prefix, have);
    if (take < len)
        mqtt_feed(pc, s, d->dir, bytes + take, len - take);
}

static bool starts_with_mqtt(const char *p)
{
    return (p[0] | 0x20) == 'm' && (p[1] | 0x20) == 'q' && (p[2] | 0x20) == 't' &&
           (p[3] | 0x20) == 't';
}

/* Does a Sec-WebSocket-Protocol offer name MQTT ("mqtt", "mqttv3.1")? */
static bool offers_mqtt(const char *list)
{
    for (const char *p = list; *p; p++) {
        if ((p == list || p[-1] == ',' || p[-1] == ' ') && starts_with_mqtt(p))
            return true;
    }
    return false;
}

/* Drops a session that proved not to be MQTT, with nothing reported. */
static void drop_session(mqttka_analyzer *a, struct flow *f)
{
    session_free(a, f->sess);
    f->sess = NULL;
    give_up(f);
}

/* Does a header block cut short name an "mqtt..." subprotocol? */
static bool partial_request_offers_mqtt(const uint8_t *buf, size_t len)
{
    char protocols[HTTP_VALUE_MAX];
    http_partial_protocols(buf, len, protocols, sizeof protocols);
    return offers_mqtt(protocols);
}

/* A request too long to parse: if what fits of it offers MQTT, the
 * connection is ours and its user must hear why it is not decoded (as for an
 * answer too long, in http_response_bytes). */
static void request_too_long(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    http_handshake *h = f->http;
    size_t cap = pc->a->cfg.max_http_header_bytes;
    if (!h->buf[0])
        return; /* out of memory: nothing to look at */
    size_t take = len < cap - h->len[0] ? len : cap - h->len[0];
    memcpy(h->buf[0] + h->len[0], bytes, take);
    h->len[0] += take;
    /* What arrived beyond the cap is looked at too, though not kept (a line
     * across the two parts is missed). */
    if (!partial_request_offers_mqtt(h->buf[0], h->len[0]) &&
        !partial_request_offers_mqtt(bytes + take, len - take))
        return;
    if (!f->sess) {
        f->sess = session_new(pc, MQTTKA_TRANSPORT_WEBSOCKET);
        if (!f->sess)
            return;
        f->sess->mqtt_offered = true;
    }
    confirm_session(pc, f->sess);
    emit_finding(pc, f->sess, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_WARN, MQTTKA_C2S, 0, false, 0,
                 "HTTP request header block offering MQTT exceeds %zu bytes; connection not "
                 "decoded",
                 cap);
}

static void http_request_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    http_handshake *h = f->http;
    if (h->request_done)
        return; /* a client must wait for the 101 (RFC 6455 §4.1) */
    size_t header_len = 0;
    http_parse_result r = HTTP_PARSE_INCOMPLETE;
    if (h->len[0] == 0 && len <= pc->a->cfg.max_http_header_bytes)
        r = http_parse_request(bytes, len, &h->request, &header_len); /* see whole_block */
    if (r == HTTP_PARSE_INCOMPLETE) {
        if (!http_append(pc, h, 0, bytes, len)) {
            request_too_long(pc, bytes, len);
            give_up(f);
            return;
        }
        r = http_parse_request(h->buf[0], h->len[0], &h->request, &header_len);
        if (r == HTTP_PARSE_INCOMPLETE)
            return;
    }
    if (r == HTTP_PARSE_MALFORMED || !h->request.is_get || !h->request.upgrade_websocket) {
        give_up(f); /* plain HTTP: none of our business */
        return;
    }
    h->request_done = true;
    h->request_ts = pc->ts;
    h->request_tag = pc->tag;
    free(h->buf[0]);
    h->buf[0] = NULL;
    if (!f->sess) {
        f->sess = session_new(pc, MQTTKA_TRANSPORT_WEBSOCKET);
        if (!f->sess) {
            give_up(f);
            return;
        }
        f->sess->mqtt_offered = offers_mqtt(h->request.protocols);
    }
}

static void http_response_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    http_handshake *h = f->http;
    session *s = f->sess;
    if (!h->request_done || !s) {
        give_up(f); /* the server spoke first: not an HTTP client we know */
        return;
    }
    http_upgrade_response resp;
    size_t header_len = 0;
    http_parse_result r = HTTP_PARSE_INCOMPLETE;
    /* The block and what follows it in the same segment. */
    const uint8_t *block = bytes;
    size_t block_len = len;
    if (h->len[1] == 0 && len <= pc->a->cfg.max_http_header_bytes)
        r = http_parse_response(bytes, len, &resp, &header_len); /* see whole_block */
    if (r == HTTP_PARSE_INCOMPLETE) {
        if (!http_append(pc, h, 1, bytes, len)) {
            /* A handshake that offered MQTT is ours: say why it is not decoded. */
            if (s->mqtt_offered)
                confirm_session(pc, s);
            emit_finding(pc, s, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_WARN, MQTTKA_S2C, 0, false, 0,
                         "HTTP response header block exceeds %zu bytes; connection not decoded",
                         pc->a->cfg.max_http_header_bytes);
            give_up(f);
            return;
        }
        r = http_parse_response(h->buf[1], h->len[1], &resp, &header_len);
        if (r == HTTP_PARSE_INCOMPLETE)
            return;
        block = h->buf[1];
        block_len = h->len[1];
    }
    h->response_done = true;
    if (r == HTTP_PARSE_MALFORMED) {
        if (!s->mqtt_offered) {
            drop_session(pc->a, f);
            return;
        }
        confirm_session(pc, s);
        emit_handshake(pc, s, false, 0, h->request.target);
        emit_finding(pc, s, MQTTKA_F_WS_HANDSHAKE_FAILED, MQTTKA_ERROR, MQTTKA_S2C, 0, false, 0,
                     "the answer to the WebSocket Upgrade request is not valid HTTP");
        give_up(f);
        return;
    }
    bool accept_ok = http_ws_accept_matches(h->request.key, resp.accept);
    bool upgraded = resp.status == 101 && resp.upgrade_websocket;
    if (!upgraded) {
        if (!s->mqtt_offered) {
            drop_session(pc->a, f);
            return;
        }
        confirm_session(pc, s);
        emit_handshake(pc, s, false, resp.status, h->request.target);
        emit_finding(pc, s, MQTTKA_F_WS_HANDSHAKE_FAILED, MQTTKA_ERROR, MQTTKA_S2C, 0, true,
                     resp.status, "WebSocket Upgrade of %s answered with HTTP %d, not 101",
                     h->request.target, resp.status);
        give_up(f);
        return;
    }
    s->conn.ws_subprotocol = hold_choice(pc->a, resp.protocol, MQTTKA_WS_SUBPROTOCOL_SIZE);
    s->conn.ws_extensions = hold_choice(pc->a, resp.extensions, MQTTKA_WS_EXTENSIONS_SIZE);
    ws_pending *pend = calloc(1, sizeof *pend);
    if (!pend) {
        drop_session(pc->a, f);
        return;
    }
    s->pending = pend;
    pend->status = resp.status;
    pend->accept_ok = accept_ok;
    pend->ts = pc->ts;
    pend->tag = pc->tag;
    str_copy(pend->path, sizeof pend->path, h->request.target);
    str_copy(pend->offered, sizeof pend->offered, h->request.protocols);
    str_copy(pend->accept, sizeof pend->accept, resp.accept);
    start_websocket(pc, s, &resp);
    if (starts_with_mqtt(resp.protocol))
        report_handshake(pc, s);
    /* Frames sent right behind the 101 in the same segment. */
    size_t rest = block_len - header_len;
    uint8_t *held = h->buf[1]; /* NULL when the block was parsed where it lies */
    h->buf[1] = NULL;
    http_free(f->http);
    f->http = NULL;
    if (rest)
        ws_feed(pc, s, MQTTKA_S2C, block + header_len, rest);
    free(held);
}

/* ------------------------------------------------------------ Detection -- */

static bool client_side_agrees(struct flow *f, int side)
{
    if (f->client_side < 0)
        f->client_side = (int8_t)side;
    return f->client_side == side;
}

static void stream_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len);

/* Collects up to DETECT_PREFIX_MAX bytes of the first payload, decides what
 * the flow carries, then replays the prefix into the chosen decoder. */
static void detect(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    int side = pc->side;
    uint8_t prefix[DETECT_PREFIX_MAX];
    size_t take = 0;
    size_t have = prefix_collect(f, side, bytes, len, prefix, &take);

    static const char get[] = "GET ";
    size_t cmp = have < 4 ? have : 4;
    bool http_maybe = memcmp(prefix, get, cmp) == 0;
    int mqtt = mqtt_looks_like_connect(prefix, have);

    if (http_maybe && have >= 4) {
        if (!client_side_agrees(f, side)) {
            give_up(f);
            return;
        }
        f->http = calloc(1, sizeof *f->http);
        if (!f->http) {
            give_up(f);
            return;
        }
        f->proto = PROTO_HTTP;
    } else if (mqtt == 1) {
        if (!client_side_agrees(f, side)) {
            give_up(f);
            return;
        }
        f->sess = session_new(pc, MQTTKA_TRANSPORT_TCP);
        if (!f->sess) {
            give_up(f);
            return;
        }
        confirm_session(pc, f->sess);
        f->proto = PROTO_MQTT_TCP;
    } else if ((http_maybe || mqtt < 0) && have < DETECT_PREFIX_MAX) {
        /* not decided yet: wait for more bytes */
        if (!prefix_wait(f, side, prefix, have))
            give_up(f);
        return;
    } else {
        give_up(f);
        return;
    }
    prefix_done(f, side); /* free for detect_ws_mqtt */
    if (take == have) {
        /* Nothing was held from before: the prefix is the segment's start,
         * and the segment goes on whole (see whole_block). */
        stream_bytes(pc, bytes, len);
        return;
    }
    stream_bytes(pc, prefix, have);
    if (take < len)
        stream_bytes(pc, bytes + take, len - take);
}

static void stream_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    mqttka_direction dir = flow_direction(f, pc->side);
    if (f->sess && len)
        f->sess->last_data_ts = pc->ts;
    switch (f->proto) {
    case PROTO_UNKNOWN:
        detect(pc, bytes, len);
        break;
    case PROTO_HTTP:
        if (dir == MQTTKA_C2S)
            http_request_bytes(pc, bytes, len);
        else
            http_response_bytes(pc, bytes, len);
        if (f->sess && f->sess->not_mqtt)
            drop_session(pc->a, f);
        break;
    case PROTO_WEBSOCKET:
        ws_feed(pc, f->sess, dir, bytes, len);
        if (f->sess->not_mqtt)
            drop_session(pc->a, f);
        break;
    case PROTO_MQTT_TCP:
        mqtt_feed(pc, f->sess, dir, bytes, len);
        break;
    case PROTO_NONE:
        break;
    }
}

static void on_stream_data(void *ctx, const uint8_t *bytes, size_t len)
{
    const push_ctx *pc = ctx;
    stream_bytes(pc, bytes, len);
}

static void on_stream_gap(void *ctx, uint64_t missing)
{
    const push_ctx *pc = ctx;
    struct flow *f = pc->f;
    session *s = f->sess;
    mqttka_direction dir = flow_direction(f, pc->side);
    if (f->proto == PROTO_UNKNOWN || f->proto == PROTO_HTTP) {
        give_up(f);
        return;
    }
    if (!s || s->dirs[dir].lost)
        return;
    if (!s->confirmed) {
        drop_session(pc->a, f); /* cannot tell whether it is MQTT any more */
        return;
    }
    emit_finding(pc, s, MQTTKA_F_CAPTURE_GAP, MQTTKA_INFO, dir, 0, missing > 0, (double)missing,
                 "%s stream has a hole of %llu bytes that the capture missed; this direction "
                 "is not decoded from here and timing verdicts are suppressed",
                 dir == MQTTKA_C2S ? "client" : "server", (unsigned long long)missing);
    keepalive_on_gap(s);
    direction_lose(s, dir);
}

static const tcp_stream_sink stream_sink = {on_stream_data, on_stream_gap};

/* --------------------------------------------------------- The segment -- */

static void note_limit(const push_ctx *pc, tcp_push_result r)
{
    struct flow *f = pc->f;
    if (r == TCP_PUSH_OK || !f->sess || f->limit_reported)
        return;
    f->limit_reported = true;
    emit_finding(pc, f->sess, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_WARN,
                 flow_direction(f, pc->side), 0, false, 0,
                 r == TCP_PUSH_NOMEM
                     ? "out of memory queueing out-of-order segments; treated as a gap"
                     : "out-of-order queue full (max %zu segments, %zu bytes per direction, "
                       "%zu in all); treated as a gap",
                 pc->a->cfg.max_ooo_segments, pc->a->cfg.max_ooo_bytes,
                 pc->a->cfg.max_total_buffered_bytes);
}

bool flow_push_segment(push_ctx *pc, const mqttka_segment *seg)
{
    struct flow *f = pc->f;
    int side = pc->side;
    uint8_t flags = seg->tcp_flags;
    if ((flags & MQTTKA_TCP_SYN) && f->client_side < 0)
        f->client_side = (int8_t)((flags & MQTTKA_TCP_ACK) ? 1 - side : side);

    if (f->proto != PROTO_NONE) {
        tcp_stream_limits lim = stream_limits(pc->a);
        /* The ACK first: it tells what the peer had received before this
         * segment was sent, so holes it reveals come before this data. */
        if (flags & MQTTKA_TCP_ACK) {
            /* The context names the side being delivered: the peer's for
             * the ACK, then this one's again. (Not a copy of the context:
             * read back in wide loads just after it was stored in narrow
             * ones, a copy stalled every segment on store forwarding.) */
            pc->side = 1 - side;
            tcp_stream_acked(&f->tcp[1 - side], seg->ack, &stream_sink, pc);
            pc->side = side;
        }
        if (f->proto != PROTO_NONE) {
            tcp_push_result r = tcp_stream_push(&f->tcp[side], &lim, seg->seq,
                                                (flags & MQTTKA_TCP_SYN) != 0,
                                                (flags & MQTTKA_TCP_FIN) != 0, seg->payload,
                                                seg->captured_len, seg->wire_len, &stream_sink,
                                                pc);
            note_limit(pc, r);
        }
    }

    mqttka_side who = side_of(flow_direction(f, side));
    if ((flags & MQTTKA_TCP_FIN) && !f->fin[side]) {
        f->fin[side] = true;
        if (f->sess) /* unconfirmed too: a failed handshake still gets its verdict */
            keepalive_on_close(pc, f->sess, who, MQTTKA_CLOSE_FIN);
    }
    if (flags & MQTTKA_TCP_RST) {
        f->rst = true;
        if (f->sess)
            keepalive_on_close(pc, f->sess, who, MQTTKA_CLOSE_RST);
        return true;
    }
    return f->fin[0] && f->fin[1];
}

void flow_end(const push_ctx *pc)
{
    struct flow *f = pc->f;
    tcp_stream_limits lim = stream_limits(pc->a);
    for (int side = 0; side < 2; side++) {
        if (f->proto == PROTO_NONE)
            break;
        push_ctx p = *pc;
        p.side = side;
        tcp_stream_flush(&f->tcp[side], &stream_sink, &p, &lim);
    }
    session *s = f->sess;
    if (!s)
        return;
    bool end_of_input = pc->tag == 0;
    if (f->proto == PROTO_HTTP && f->http && f->http->request_done && !f->http->response_done &&
        s->mqtt_offered) {
        bool closed = f->fin[0] || f->fin[1] || f->rst;
        if (closed || pc->ts - f->http->request_ts >= HANDSHAKE_ANSWER_WAIT) {
            confirm_session(pc, s);
            emit_handshake(pc, s, false, 0, f->http->request.target);
            emit_finding(pc, s, MQTTKA_F_WS_HANDSHAKE_FAILED, MQTTKA_ERROR, MQTTKA_C2S,
                         f->http->request_tag, false, 0,
                         "WebSocket Upgrade request for %s was never answered (%s)",
                         f->http->request.target,
                         closed ? "the connection closed first" : "until the end of the capture");
        }
    }
    if (!s->confirmed)
        return; /* never shown to be MQTT: nothing to say */
    if (f->proto == PROTO_WEBSOCKET || f->proto == PROTO_MQTT_TCP) {
        for (int side = 0; side < 2; side++) {
            mqttka_direction dir = flow_direction(f, side);
            if (!f->fin[side] || s->dirs[dir].lost)
                continue; /* a capture that stops mid-packet is not a malformation */
            decode_ctx d = {pc, s, dir};
            mqtt_stream_end(&s->dirs[dir].mqtt, &mqtt_callbacks, &d);
        }
    }
    keepalive_on_end(pc, s, end_of_input);
    mqttka_summary sum;
    mqttka_finding *findings = verdict_build_summary(pc, s, &sum);
    mqttka_event ev;
    event_init(&ev, pc, s, MQTTKA_EV_CONNECTION, MQTTKA_C2S);
    ev.u.summary = &sum;
    emit_event(pc->a, &ev);
    free(findings);
}
