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

/* A WebSocket handshake never answered is reported only once the flow has
 * closed or this long has passed since the request at the end of input: a
 * capture that simply stops right after a request proves nothing. */
#define HANDSHAKE_ANSWER_WAIT SECONDS(5)

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

/* Appends to a side's header block, allocated once at the configured cap.
 * Returns false when the block would exceed the cap.
 *
 * Nearly every handshake sends each header block in one segment, and then
 * it is parsed where it lies; only a block that arrives in parts is
 * collected here (which costs an allocation of the cap and a copy). Within
 * the cap both ways see the same bytes. */
static bool http_append(const rule_ctx *at, http_handshake *h, int i, const uint8_t *bytes,
                        size_t len)
{
    size_t cap = at->cfg->max_http_header_bytes;
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

/* Does a header block cut short name an "mqtt..." subprotocol? */
static bool partial_request_offers_mqtt(const uint8_t *buf, size_t len)
{
    char protocols[HTTP_VALUE_MAX];
    http_partial_protocols(buf, len, protocols, sizeof protocols);
    return offers_mqtt(protocols);
}

/* A request too long to parse: if what fits of it offers MQTT, the
 * connection is ours and its user must hear why it is not decoded (as for
 * an answer too long). */
static void request_too_long(const rule_ctx *at, http_handshake *h, const uint8_t *bytes,
                             size_t len)
{
    size_t cap = at->cfg->max_http_header_bytes;
    if (!h->buf[0])
        return; /* out of memory: nothing to look at */
    size_t take = len < cap - h->len[0] ? len : cap - h->len[0];
    memcpy(h->buf[0] + h->len[0], bytes, take);
    h->len[0] += take;
    /* What arrived beyond the cap is looked at too, though not kept (a line
     * across the two parts is missed). */
    h->too_long_offers_mqtt = partial_request_offers_mqtt(h->buf[0], h->len[0]) ||
                              partial_request_offers_mqtt(bytes + take, len - take);
}

void handshake_report_request_too_long(const rule_ctx *at, session *s)
{
    emit_confirm(at, s);
    emit_finding(at, s, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_C2S, 0, false, 0,
                 "HTTP request header block offering MQTT exceeds %zu bytes; connection not "
                 "decoded",
                 at->cfg->max_http_header_bytes);
}

handshake_step handshake_request_bytes(http_handshake *h, const rule_ctx *at,
                                       const uint8_t *bytes, size_t len)
{
    if (h->request_done)
        return HANDSHAKE_EARLY_DATA; /* a client should wait for the 101 (RFC 6455 §4.1) */
    size_t header_len = 0;
    http_parse_result r = HTTP_PARSE_INCOMPLETE;
    if (h->len[0] == 0 && len <= at->cfg->max_http_header_bytes)
        r = http_parse_request(bytes, len, &h->request, &header_len); /* where it lies */
    if (r == HTTP_PARSE_INCOMPLETE) {
        if (!http_append(at, h, 0, bytes, len)) {
            request_too_long(at, h, bytes, len);
            return HANDSHAKE_REQUEST_TOO_LONG;
        }
        r = http_parse_request(h->buf[0], h->len[0], &h->request, &header_len);
        if (r == HTTP_PARSE_INCOMPLETE)
            return HANDSHAKE_MORE;
    }
    if (r == HTTP_PARSE_MALFORMED || !h->request.is_get || !h->request.upgrade_websocket)
        return HANDSHAKE_NOT_OURS; /* plain HTTP: none of our business */
    h->request_done = true;
    h->request_ts = at->ts;
    h->request_tag = at->tag;
    free(h->buf[0]);
    h->buf[0] = NULL;
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
    if (!h->request_done || !s)
        return HANDSHAKE_NOT_OURS; /* the server spoke first: not an HTTP client we know */
    http_upgrade_response resp;
    size_t header_len = 0;
    http_parse_result r = HTTP_PARSE_INCOMPLETE;
    /* The block and what follows it in the same segment. */
    const uint8_t *block = bytes;
    size_t block_len = len;
    if (h->len[1] == 0 && len <= at->cfg->max_http_header_bytes)
        r = http_parse_response(bytes, len, &resp, &header_len); /* where it lies */
    if (r == HTTP_PARSE_INCOMPLETE) {
        if (!http_append(at, h, 1, bytes, len)) {
            /* A handshake that offered MQTT is ours: say why it is not decoded. */
            if (s->mqtt_offered)
                emit_confirm(at, s);
            emit_finding(at, s, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_S2C, 0, false, 0,
                         "HTTP response header block exceeds %zu bytes; connection not decoded",
                         at->cfg->max_http_header_bytes);
            return HANDSHAKE_FAILED;
        }
        r = http_parse_response(h->buf[1], h->len[1], &resp, &header_len);
        if (r == HTTP_PARSE_INCOMPLETE)
            return HANDSHAKE_MORE;
        block = h->buf[1];
        block_len = h->len[1];
    }
    h->response_done = true;
    if (r == HTTP_PARSE_MALFORMED)
        return failed(at, s, 0, h->request.target);
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
    *rest = block + header_len;
    *rest_len = block_len - header_len;
    return HANDSHAKE_UPGRADED;
}

void handshake_end(const http_handshake *h, const rule_ctx *at, session *s, bool closed)
{
    if (!h->request_done || h->response_done || !s->mqtt_offered)
        return;
    if (!closed && at->ts - h->request_ts < HANDSHAKE_ANSWER_WAIT)
        return;
    emit_confirm(at, s);
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
