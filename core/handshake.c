/*
 * handshake.c - the WebSocket opening handshake (handshake.h).
 *
 * RFC 6455 §4.1: the client sends a GET with Upgrade: websocket and a
 * Sec-WebSocket-Key, and may offer subprotocols; §4.2.2: the server
 * answers 101 with the Sec-WebSocket-Accept of that key and at most one of
 * the offered subprotocols. MQTT-6.0.0-3: the subprotocol is "mqtt".
 */
#include "handshake.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_decoder.h"
#include "text_format.h"
#include "ws_decoder.h"

/* A WebSocket handshake never answered is reported only once the flow has
 * closed or this long has passed since the request at the end of input: a
 * capture that simply stops right after a request proves nothing. */
#define HANDSHAKE_ANSWER_WAIT SECONDS(5)

/*
 * A keep-alive connection (RFC 7230 §6.3) may carry plain requests before
 * its WebSocket Upgrade: a page fetched, a health check, then the Upgrade
 * on the same TCP connection. Detection stays here, in the handshake, and
 * follows such a connection through its plain exchanges: each request and
 * each answer is read as a header block under max_http_header_bytes, and
 * a body is skipped by counting its Content-Length or walking its chunked
 * framing (http_body.c), never kept. The connection is given up as plain
 * HTTP (not analysed: http) as soon as nothing more can be known or
 * nothing more can follow: an answer whose length is only its connection's
 * close, a Connection: close, a request or answer that is not HTTP/1.x,
 * another protocol's 101 or a CONNECT, or more plain requests than
 * HANDSHAKE_MAX_PLAIN_REQUESTS. Until an Upgrade is seen nothing shows the
 * connection to be ours, so nothing is reported for it.
 */

/* Plain requests followed before an Upgrade: a browser's or a web
 * server's keep-alive connection may carry thousands, and each is parsed;
 * the clients that upgrade after plain requests send one or two. */
#define HANDSHAKE_MAX_PLAIN_REQUESTS 8

/* A 101 held until the client's first message shows MQTT (or reported at
 * once when the subprotocol does): session_pending. */
typedef struct ws_pending {
    int status;
    bool accept_ok;
    mqttka_time ts;
    uint64_t tag;
    uint64_t request_tag;
    char path[64];
    char offered[HTTP_VALUE_MAX];
    char accept[64];
    first_bytes first; /* the first message's first bytes, while too few */
} ws_pending;

http_handshake *handshake_new(void)
{
    return calloc(1, sizeof(http_handshake));
}

void handshake_free(http_handshake *h)
{
    if (!h)
        return;
    free(h->buf[0]);
    free(h->buf[1]);
    free(h);
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

bool handshake_request_offers_mqtt(const http_handshake *h)
{
    return h->request_done ? offers_mqtt(h->request.protocols) : h->too_long_offers_mqtt;
}

typedef enum block_result {
    BLOCK_OK = 0,   /* a whole header block: *used bytes of the segment */
    BLOCK_MORE,     /* it goes on in the next segment */
    BLOCK_MALFORMED,
    BLOCK_TOO_LONG, /* over the cap (or out of memory for it): *took bytes kept */
} block_result;

typedef http_parse_result (*block_parser)(const uint8_t *buf, size_t len, void *out,
                                          size_t *header_len);

static http_parse_result parse_request(const uint8_t *buf, size_t len, void *out,
                                       size_t *header_len)
{
    return http_parse_request(buf, len, out, header_len);
}

static http_parse_result parse_response(const uint8_t *buf, size_t len, void *out,
                                        size_t *header_len)
{
    return http_parse_response(buf, len, out, header_len);
}

/* Reads side i's next header block from `bytes`.
 *
 * Nearly every handshake sends each header block in one segment, and then
 * it is parsed where it lies; only a block that arrives in parts is
 * collected in h->buf[i] (allocated once at the configured cap, which costs
 * a copy). Within the cap both ways see the same bytes; the bytes behind
 * the block (a body, the next request, early frames) are left in `bytes`,
 * from *used on. */
static block_result read_block(const rule_ctx *at, http_handshake *h, int i, const uint8_t *bytes,
                               size_t len, block_parser parse, void *out, size_t *used,
                               size_t *took)
{
    size_t cap = at->cfg->max_http_header_bytes;
    size_t header_len = 0;
    http_parse_result r;
    *took = 0;
    if (h->len[i] == 0) {
        r = parse(bytes, len < cap ? len : cap, out, &header_len); /* where it lies */
        if (r == HTTP_PARSE_OK) {
            *used = header_len;
            return BLOCK_OK;
        }
        if (r == HTTP_PARSE_MALFORMED)
            return BLOCK_MALFORMED;
    }
    if (!h->buf[i] && !(h->buf[i] = malloc(cap)))
        return BLOCK_TOO_LONG;
    size_t held = h->len[i];
    size_t take = len < cap - held ? len : cap - held;
    memcpy(h->buf[i] + held, bytes, take);
    h->len[i] += take;
    *took = take;
    r = parse(h->buf[i], h->len[i], out, &header_len);
    if (r == HTTP_PARSE_INCOMPLETE)
        return h->len[i] == cap ? BLOCK_TOO_LONG : BLOCK_MORE;
    h->len[i] = 0; /* the buffer stays for the next block */
    if (r == HTTP_PARSE_MALFORMED)
        return BLOCK_MALFORMED;
    *used = header_len - held;
    return BLOCK_OK;
}

/* Does a header block cut short name an "mqtt..." subprotocol? */
static bool partial_request_offers_mqtt(const uint8_t *buf, size_t len)
{
    char protocols[HTTP_VALUE_MAX];
    http_partial_protocols(buf, len, protocols, sizeof protocols);
    return offers_mqtt(protocols);
}

/* A request too long to parse: if what fits of it offers MQTT, the
 * connection is ours and its user must hear why it is not decoded (as for
 * an answer too long). `beyond` is what arrived past the cap. */
static void request_too_long(http_handshake *h, const uint8_t *beyond, size_t beyond_len)
{
    if (!h->buf[0])
        return; /* out of memory: nothing to look at */
    /* What arrived beyond the cap is looked at too, though not kept (a line
     * across the two parts is missed). */
    h->too_long_offers_mqtt = partial_request_offers_mqtt(h->buf[0], h->len[0]) ||
                              partial_request_offers_mqtt(beyond, beyond_len);
}

void handshake_report_request_too_long(const rule_ctx *at, session *s)
{
    emit_confirm(at, s);
    emit_finding(at, s, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_C2S, 0, false, 0,
                 "HTTP request header block offering MQTT exceeds %zu bytes; connection not "
                 "decoded",
                 at->cfg->max_http_header_bytes);
}

/* Does the connection stay open after this message (RFC 7230 §6.3)? */
static bool persistent(const http_framing *f)
{
    if (f->conn_close)
        return false;
    return f->version_minor >= 1 || f->conn_keep_alive;
}

/* A plain request (not a WebSocket Upgrade) before the Upgrade: followed,
 * its body skipped, when the connection may still upgrade after it. A
 * request's body without Content-Length or Transfer-Encoding is empty
 * (RFC 7230 §3.3.3 item 6). False: give the connection up. */
static bool plain_request(const rule_ctx *at, http_handshake *h, const http_upgrade_request *req)
{
    const http_framing *f = &req->framing;
    if (h->plain_requests >= HANDSHAKE_MAX_PLAIN_REQUESTS || req->is_connect || !persistent(f))
        return false;
    http_body_mode mode = HTTP_BODY_NONE;
    if (f->transfer_encoding) {
        if (!f->chunked_last)
            return false; /* a request without a knowable length (§3.3.3 item 3) */
        mode = HTTP_BODY_CHUNKED;
    } else if (f->has_length) {
        if (f->length_bad)
            return false;
        mode = HTTP_BODY_LENGTH;
    }
    if (req->is_head)
        h->plain_head |= (uint16_t)(1u << h->plain_requests);
    h->plain_requests++;
    http_body_start(&h->body[0], mode, f->length, at->cfg->max_http_header_bytes);
    return true;
}

/* The answer to a plain request: its body skipped by its framing (RFC
 * 7230 §3.3.3). False: give the connection up (its end cannot be known
 * short of the close, or nothing can follow it). */
static bool plain_answer(const rule_ctx *at, http_handshake *h, const http_upgrade_response *resp)
{
    const http_framing *f = &resp->framing;
    if (resp->status == 101)
        return false; /* upgraded to another protocol (h2c, ...) */
    if (resp->status < 200)
        return true; /* interim (100 Continue, 103): the final answer follows */
    unsigned n = h->plain_answered++;
    if (!persistent(f))
        return false;
    http_body_mode mode;
    if (((h->plain_head >> n) & 1u) || resp->status == 204 || resp->status == 304) {
        mode = HTTP_BODY_NONE;
    } else if (f->transfer_encoding) {
        if (!f->chunked_last)
            return false; /* read until close */
        mode = HTTP_BODY_CHUNKED;
    } else if (f->has_length && !f->length_bad) {
        mode = HTTP_BODY_LENGTH;
    } else {
        return false; /* no length: the body ends with the connection */
    }
    http_body_start(&h->body[1], mode, f->length, at->cfg->max_http_header_bytes);
    return true;
}

/* Skips what of *bytes belongs to side i's body in progress. Returns false
 * when the body's framing is broken; else *bytes and *len are what is left
 * (nothing when the body goes on). */
static bool skip_body(http_handshake *h, int i, const uint8_t **bytes, size_t *len)
{
    size_t used = 0;
    switch (http_body_skip(&h->body[i], *bytes, *len, &used)) {
    case HTTP_BODY_MORE:
        *len = 0;
        return true;
    case HTTP_BODY_DONE:
        *bytes += used;
        *len -= used;
        return true;
    default:
        return false;
    }
}

handshake_step handshake_request_bytes(http_handshake *h, const rule_ctx *at,
                                       const uint8_t *bytes, size_t len, const uint8_t **rest,
                                       size_t *rest_len)
{
    http_upgrade_request req;
    for (;;) {
        if (h->request_done) {
            /* a client should wait for the 101 (RFC 6455 §4.1) */
            *rest = bytes;
            *rest_len = len;
            return len ? HANDSHAKE_EARLY_DATA : HANDSHAKE_MORE;
        }
        if (http_body_active(&h->body[0]) && !skip_body(h, 0, &bytes, &len))
            return HANDSHAKE_NOT_OURS;
        if (len == 0)
            return HANDSHAKE_MORE;
        size_t used = 0, took = 0;
        switch (read_block(at, h, 0, bytes, len, parse_request, &req, &used, &took)) {
        case BLOCK_MORE:
            return HANDSHAKE_MORE;
        case BLOCK_TOO_LONG:
            request_too_long(h, bytes + took, len - took);
            return HANDSHAKE_REQUEST_TOO_LONG;
        case BLOCK_MALFORMED:
            return HANDSHAKE_NOT_OURS;
        case BLOCK_OK:
            break;
        }
        bytes += used;
        len -= used;
        if (req.is_get && req.upgrade_websocket)
            break;
        if (!plain_request(at, h, &req))
            return HANDSHAKE_NOT_OURS; /* plain HTTP: none of our business */
    }
    /* The loop ends here only on a WebSocket Upgrade request. */
    h->request = req;
    h->request_done = true;
    h->request_ts = at->ts;
    h->request_tag = at->tag;
    free(h->buf[0]);
    h->buf[0] = NULL;
    *rest = bytes;
    *rest_len = len;
    return HANDSHAKE_REQUESTED;
}

static void emit_handshake(const rule_ctx *at, session *s, bool upgraded, int status,
                           const char *path)
{
    mqttka_event ev;
    event_init(&ev, at, s, MQTTKA_EV_WS_HANDSHAKE, MQTTKA_S2C);
    ev.u.handshake.upgraded = upgraded;
    ev.u.handshake.status = status;
    ev.u.handshake.path = path;
    emit_event(at, &ev);
}

static void check_subprotocol(const rule_ctx *at, session *s, uint64_t request_tag,
                              const char *offered, const char *chosen)
{
    if (!offered[0]) {
        emit_finding(at, s, MQTTKA_F_WS_SUBPROTOCOL, MQTTKA_C2S, request_tag, false, 0,
                     "client offered no Sec-WebSocket-Protocol; MQTT-6.0.0-3 expects \"mqtt\"");
        return;
    }
    if (!chosen[0]) {
        emit_finding(at, s, MQTTKA_F_WS_SUBPROTOCOL, MQTTKA_S2C, 0, false, 0,
                     "server chose no subprotocol from the client's offer \"%s\"", offered);
        return;
    }
    if (!http_token_list_contains(offered, chosen)) {
        emit_finding(at, s, MQTTKA_F_WS_SUBPROTOCOL, MQTTKA_S2C, 0, false, 0,
                     "server chose subprotocol \"%s\", which the client did not offer (\"%s\")",
                     chosen, offered);
        return;
    }
    if (strcmp(chosen, "mqtt") != 0) {
        emit_finding_lesser(at, s, MQTTKA_F_WS_SUBPROTOCOL, MQTTKA_S2C, 0, false, 0,
                            "subprotocol \"%s\" is a legacy name; the standard one is \"mqtt\"",
                            chosen);
    }
}

/* A string of the server's handshake answer, cut to `size` - 1 bytes, held
 * in the text pool (every connection of a broker has the same); "" when
 * empty or out of memory. */
static const char *hold_choice(const rule_ctx *at, const char *value, size_t size)
{
    char cut[MQTTKA_WS_EXTENSIONS_SIZE];
    str_copy(cut, size < sizeof cut ? size : sizeof cut, value);
    if (!cut[0])
        return "";
    const char *held = text_pool_hold(at->sink->texts, cut);
    return held ? held : "";
}

/* The frames of both directions are decoded from here, with the extension
 * the 101 accepted (RFC 6455 §9.1): permessage-deflate's parameters give
 * each direction's inflater (RFC 7692 §7.1), and an extension not decoded
 * here is kept to be named when its first compressed message comes.
 * Returns false when out of memory. */
static bool start_websocket(const rule_ctx *at, session *s, const http_upgrade_response *resp)
{
    ws_deflate_params params;
    char why[sizeof(((ws_deflate_state *)0)->unsupported)];
    ws_deflate_negotiation n = ws_deflate_parse_response(resp->extensions, &params, why, sizeof why);
    if (n == WS_DEFLATE_ON && strlen(resp->extensions) >= sizeof resp->extensions - 1) {
        /* Perhaps cut by the parser: a parameter may be missing. */
        n = WS_DEFLATE_UNSUPPORTED;
        str_copy(why, sizeof why, "a Sec-WebSocket-Extensions value too long to read whole");
    }
    if (n != WS_DEFLATE_OFF) {
        ws_deflate_state *d = calloc(1, sizeof *d);
        if (!d)
            return false;
        d->supported = n == WS_DEFLATE_ON;
        if (d->supported) {
            ws_inflate_memory *memory = &at->sink->inflate_memory;
            ws_inflater_init(&d->inflate[MQTTKA_C2S], &params.client, memory);
            ws_inflater_init(&d->inflate[MQTTKA_S2C], &params.server, memory);
        } else {
            str_copy(d->unsupported, sizeof d->unsupported, why);
        }
        s->ws_slot.deflate = d;
        s->ws_deflate = true;
    }
    s->conn.ws_upgraded = true;
    s->ws_active = true;
    ws_decoder_init(session_ws(s, MQTTKA_C2S), true, s->ws_deflate);
    ws_decoder_init(session_ws(s, MQTTKA_S2C), false, s->ws_deflate);
    return true;
}

/* Whether `needle` (lower case) occurs in `haystack`, in any case. */
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

/* What the early frames' walk gathers: their data, unmasked, joined (the
 * first bytes only), and whether a frame broke a rule. */
typedef struct early_walk {
    uint8_t data[FIRST_BYTES_MAX];
    size_t len;
    bool bad;
} early_walk;

static void early_data(void *ctx, uint8_t message_opcode, const ws_frame_header *h,
                       const uint8_t *bytes, size_t len)
{
    early_walk *w = ctx;
    (void)h;
    if (message_opcode != MQTTKA_WS_BINARY || !bytes) {
        w->bad = true;
        return;
    }
    size_t n = len < sizeof w->data - w->len ? len : sizeof w->data - w->len;
    memcpy(w->data + w->len, bytes, n);
    w->len += n;
}

static void early_control(void *ctx, const ws_frame_header *h, const uint8_t *payload,
                          size_t len)
{
    (void)ctx, (void)h, (void)payload, (void)len;
}

static void early_violation(void *ctx, ws_violation v, const ws_frame_header *h)
{
    (void)v, (void)h;
    ((early_walk *)ctx)->bad = true;
}

bool handshake_early_frames_carry_connect(const kept_segments *early, int side)
{
    static const ws_decoder_callbacks cb = {NULL, early_data, early_control, NULL,
                                            early_violation, NULL};
    early_walk w = {0};
    ws_decoder d;
    ws_decoder_init(&d, true, false);
    /* Kept in order, one client stream: at most KEPT_BYTES to walk. */
    for (uint8_t i = 0; i < early->n && !w.bad; i++) {
        if (early->seg[i].side == side)
            ws_decoder_push(&d, early->seg[i].bytes, early->seg[i].len, &cb, &w);
    }
    ws_decoder_free(&d);
    return !w.bad && mqtt_looks_like_connect(w.data, w.len) == 1;
}

void handshake_upgraded_unseen(const http_handshake *h, session *s)
{
    /* The 101, and with it what compression the server accepted and with
     * which parameters, was not captured: RSV1 still tells compressed
     * messages apart, which are then named as not decoded. */
    if (contains_token_ci(h->request.extensions, "permessage-deflate")) {
        ws_deflate_state *d = calloc(1, sizeof *d);
        if (d) {
            str_copy(d->unsupported, sizeof d->unsupported,
                     "permessage-deflate, its parameters in a 101 the capture missed");
            s->ws_slot.deflate = d;
            s->ws_deflate = true;
        }
    }
    s->ws_active = true;
    ws_decoder_init(session_ws(s, MQTTKA_C2S), true, s->ws_deflate);
    ws_decoder_init(session_ws(s, MQTTKA_S2C), false, s->ws_deflate);
}

bool handshake_answer_upgrades_to_mqtt(const rule_ctx *at, const uint8_t *bytes, size_t len,
                                       http_upgrade_response *resp, size_t *header_len)
{
    /* Parsed where it lies, under the cap a header block has: one in parts
     * is left to the probe, as before (nothing is kept for it). */
    size_t cap = at->cfg->max_http_header_bytes;
    if (http_parse_response(bytes, len < cap ? len : cap, resp, header_len) != HTTP_PARSE_OK)
        return false;
    return resp->status == 101 && resp->upgrade_websocket && starts_with_mqtt(resp->protocol);
}

bool handshake_upgraded_request_unseen(const rule_ctx *at, session *s,
                                       const http_upgrade_response *resp)
{
    s->conn.ws_subprotocol = hold_choice(at, resp->protocol, MQTTKA_WS_SUBPROTOCOL_SIZE);
    s->conn.ws_extensions = hold_choice(at, resp->extensions, MQTTKA_WS_EXTENSIONS_SIZE);
    return start_websocket(at, s, resp);
}

/* Reports a 101 held in session_pending, at its own time and frame. */
static void report_pending(const rule_ctx *at, session *s)
{
    ws_pending *pend = *session_pending(s);
    if (!pend)
        return;
    *session_pending(s) = NULL;
    rule_ctx then = *at;
    then.ts = pend->ts;
    then.tag = pend->tag;
    emit_confirm(&then, s);
    emit_handshake(&then, s, pend->accept_ok, pend->status, pend->path);
    if (!pend->accept_ok) {
        /* The server switched protocols anyway, so the frames are decoded. */
        emit_finding(&then, s, MQTTKA_F_WS_HANDSHAKE_FAILED, MQTTKA_S2C, 0, false, 0,
                     "101 answer with a wrong Sec-WebSocket-Accept \"%s\" (RFC 6455 §4.2.2)",
                     pend->accept);
    }
    check_subprotocol(&then, s, pend->request_tag, pend->offered, s->conn.ws_subprotocol);
    free(pend);
}

/* A handshake that ended without an upgrade: reported when the client
 * offered MQTT (then the connection is ours), else dropped in silence. */
static handshake_step failed(const rule_ctx *at, session *s, int status, const char *path)
{
    if (!s->mqtt_offered)
        return HANDSHAKE_NOT_OURS;
    emit_confirm(at, s);
    emit_handshake(at, s, false, status, path);
    if (status)
        emit_finding(at, s, MQTTKA_F_WS_HANDSHAKE_FAILED, MQTTKA_S2C, 0, true, status,
                     "WebSocket Upgrade of %s answered with HTTP %d, not 101", path, status);
    else
        emit_finding(at, s, MQTTKA_F_WS_HANDSHAKE_FAILED, MQTTKA_S2C, 0, false, 0,
                     "the answer to the WebSocket Upgrade request is not valid HTTP");
    return HANDSHAKE_FAILED;
}

handshake_step handshake_response_bytes(http_handshake *h, const rule_ctx *at, session *s,
                                        const uint8_t *bytes, size_t len, const uint8_t **rest,
                                        size_t *rest_len)
{
    http_upgrade_response resp;
    size_t used = 0, took = 0;
    /* The answers to plain requests first, with their bodies. */
    for (;;) {
        if (http_body_active(&h->body[1]) && !skip_body(h, 1, &bytes, &len))
            return HANDSHAKE_NOT_OURS;
        if (len == 0)
            return HANDSHAKE_MORE;
        if (h->plain_answered == h->plain_requests)
            break;
        block_result b = read_block(at, h, 1, bytes, len, parse_response, &resp, &used, &took);
        if (b == BLOCK_MORE)
            return HANDSHAKE_MORE;
        if (b != BLOCK_OK || !plain_answer(at, h, &resp))
            return HANDSHAKE_NOT_OURS;
        bytes += used;
        len -= used;
    }
    if (!h->request_done || !s)
        return HANDSHAKE_NOT_OURS; /* the server spoke first: not an HTTP client we know */
    switch (read_block(at, h, 1, bytes, len, parse_response, &resp, &used, &took)) {
    case BLOCK_MORE:
        return HANDSHAKE_MORE;
    case BLOCK_TOO_LONG:
        /* A handshake that offered MQTT is ours: say why it is not decoded. */
        if (s->mqtt_offered)
            emit_confirm(at, s);
        emit_finding(at, s, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_S2C, 0, false, 0,
                     "HTTP response header block exceeds %zu bytes; connection not decoded",
                     at->cfg->max_http_header_bytes);
        return HANDSHAKE_FAILED;
    case BLOCK_MALFORMED:
        h->response_done = true;
        return failed(at, s, 0, h->request.target);
    case BLOCK_OK:
        break;
    }
    h->response_done = true;
    if (resp.status != 101 || !resp.upgrade_websocket)
        return failed(at, s, resp.status, h->request.target);

    s->conn.ws_subprotocol = hold_choice(at, resp.protocol, MQTTKA_WS_SUBPROTOCOL_SIZE);
    s->conn.ws_extensions = hold_choice(at, resp.extensions, MQTTKA_WS_EXTENSIONS_SIZE);
    if (!start_websocket(at, s, &resp))
        return HANDSHAKE_NOT_OURS;
    ws_pending *pend = calloc(1, sizeof *pend);
    if (!pend)
        return HANDSHAKE_NOT_OURS;
    *session_pending(s) = pend;
    pend->status = resp.status;
    pend->accept_ok = http_ws_accept_matches(h->request.key, resp.accept);
    pend->ts = at->ts;
    pend->tag = at->tag;
    pend->request_tag = h->request_tag;
    str_copy(pend->path, sizeof pend->path, h->request.target);
    str_copy(pend->offered, sizeof pend->offered, h->request.protocols);
    str_copy(pend->accept, sizeof pend->accept, resp.accept);
    if (starts_with_mqtt(resp.protocol))
        report_pending(at, s);
    *rest = bytes + used;
    *rest_len = len - used;
    return HANDSHAKE_UPGRADED;
}

void handshake_end(const http_handshake *h, const rule_ctx *at, session *s, bool closed)
{
    if (!h->request_done || h->response_done || !s->mqtt_offered)
        return;
    if (!closed && at->ts - h->request_ts < HANDSHAKE_ANSWER_WAIT)
        return;
    emit_confirm(at, s);
    /* The server's side not captured: whether it answered is not known
     * (one_sided says so). */
    if (!(s->dirs_seen & (1u << MQTTKA_S2C)))
        return;
    emit_handshake(at, s, false, 0, h->request.target);
    emit_finding(at, s, MQTTKA_F_WS_HANDSHAKE_FAILED, MQTTKA_C2S, h->request_tag, false, 0,
                 "WebSocket Upgrade request for %s was never answered (%s)", h->request.target,
                 closed ? "the connection closed first" : "until the end of the capture");
}

first_message handshake_first_message(const rule_ctx *at, session *s, mqttka_direction dir,
                                      const uint8_t *bytes, size_t len, first_bytes_view *view)
{
    ws_pending *pend = *session_pending(s);
    if (dir != MQTTKA_C2S || !pend) {
        s->not_mqtt = true; /* an MQTT server never speaks first */
        return FIRST_MESSAGE_NOT_MQTT;
    }
    first_bytes_collect(&pend->first, bytes, len, view);
    int verdict = mqtt_looks_like_connect(view->bytes, view->len);
    if (verdict == 0 || (verdict < 0 && view->len == FIRST_BYTES_MAX)) {
        s->not_mqtt = true;
        return FIRST_MESSAGE_NOT_MQTT;
    }
    if (verdict < 0) {
        first_bytes_hold(&pend->first, view);
        return FIRST_MESSAGE_WAIT;
    }
    report_pending(at, s);
    return FIRST_MESSAGE_MQTT;
}
