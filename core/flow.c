/*
 * flow.c - one TCP flow's pipeline (flow.h).
 */
#include "flow.h"
#include "tls_decrypt.h"
#include "tls_infer.h"

#include <stdlib.h>
#include <string.h>

#include "boundary.h"
#include "compiler.h"
#include "keepalive.h"
#include "route.h"
#include "verdict.h"

void flow_init(struct flow *f, const mqttka_endpoint *src, const mqttka_endpoint *dst)
{
    memset(f, 0, sizeof *f);
    f->ep[0] = *src;
    f->ep[1] = *dst;
    f->client_side = -1;
    tcp_stream_init(&f->tcp[0]);
    tcp_stream_init(&f->tcp[1]);
}

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

static tcp_stream_limits stream_limits(flow_env *env)
{
    tcp_stream_limits lim = {env->cfg.max_ooo_segments, env->cfg.max_ooo_bytes,
                             env->cfg.max_total_buffered_bytes, &env->total_buffered};
    return lim;
}

/* The handshake is over (or abandoned): its state and what it kept go. */
static void http_forget(flow_env *env, struct flow *f)
{
    if (!f->http)
        return;
    kept_segments_free(&f->http->early, &env->total_buffered);
    handshake_free(f->http);
    f->http = NULL;
}

void flow_free_contents(flow_env *env, struct flow *f)
{
    tcp_stream_limits lim = stream_limits(env);
    tcp_stream_free(&f->tcp[0], &lim);
    tcp_stream_free(&f->tcp[1], &lim);
    http_forget(env, f);
    detect_prefix_free(&f->prefix);
    probe_free(&f->probe, &env->total_buffered);
    session_free(&env->sessions, &env->texts, f->sess);
    tls_infer_free(&f->tls);
    tls_decrypt_free(&f->tls_dec);
}

int flow_outcome(const struct flow *f, bool dropped)
{
    if (f->sess && f->sess->confirmed)
        return -1;
    if (f->proto == PROTO_NONE)
        return f->outcome;
    if (f->proto == PROTO_TLS)
        return MQTTKA_NA_TLS;
    if (dropped)
        return MQTTKA_NA_RESOURCE_LIMIT;
    if (!f->had_data)
        return MQTTKA_NA_NO_PAYLOAD;
    switch (f->proto) {
    case PROTO_HTTP: return MQTTKA_NA_HTTP;
    case PROTO_WEBSOCKET: return MQTTKA_NA_WEBSOCKET;
    case PROTO_PROBE: return MQTTKA_NA_UNPROVEN;
    default: return MQTTKA_NA_NO_MQTT;
    }
}

/* The flow is not ours (any more), for `why` (a mqttka_not_analysed): its
 * payload is ignored from here. */
static void give_up(const push_ctx *pc, mqttka_not_analysed why)
{
    struct flow *f = pc->f;
    f->proto = PROTO_NONE;
    f->outcome = (uint8_t)why;
    http_forget(pc->env, f);
    detect_prefix_free(&f->prefix);
    probe_free(&f->probe, &pc->env->total_buffered);
}

/* Drops a session that proved not to be MQTT, with nothing reported. */
static void drop_session(const push_ctx *pc, mqttka_not_analysed why)
{
    session_free(&pc->env->sessions, &pc->env->texts, pc->f->sess);
    pc->f->sess = NULL;
    give_up(pc, why);
}

static uint8_t dirs_seen(const struct flow *f)
{
    uint8_t dirs = 0;
    for (int side = 0; side < 2; side++)
        if (f->sides_seen & (1u << side))
            dirs |= (uint8_t)(1u << flow_direction(f, side));
    return dirs;
}

static session *make_session(const push_ctx *pc, mqttka_transport transport)
{
    const struct flow *f = pc->f;
    int client = f->client_side < 0 ? 0 : f->client_side;
    /* The start is seen when the capture has the SYN and the client's side:
     * a SYN-ACK alone (a capture of the server's side) shows no CONNECT. */
    bool start_seen = f->syn_seen && (f->sides_seen & (1u << client));
    session_origin o = {f->ep[client], f->ep[1 - client], f->first_ts, f->last_ts, f->first_tag,
                        start_seen, dirs_seen(f), pc->env->cfg.max_mqtt_kept_bytes};
    return session_new(&pc->env->sessions, transport, &o);
}

static bool client_side_agrees(struct flow *f, int side)
{
    if (f->client_side < 0)
        f->client_side = (int8_t)side;
    return f->client_side == side;
}

static void stream_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len);

/* Decodes segments held back, each at its own time and frame. */
static void replay(const push_ctx *pc, const kept_segments *k)
{
    for (size_t i = 0; k && i < k->n; i++) {
        push_ctx then = push_ctx_make(pc->env, pc->f, k->seg[i].side, k->seg[i].ts,
                                      k->seg[i].tag);
        stream_bytes(&then, k->seg[i].bytes, k->seg[i].len);
    }
}

/* ------------------------------------------------------ the handshake -- */

static void replay_early(const push_ctx *pc);

/* Client bytes after its request. Over a capture of both sides they wait
 * for the 101 (a client may send frames ahead of it). Where the server's
 * side was never captured, frames carrying MQTT say the upgrade happened. */
static void early_client_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    bool server_seen = f->sides_seen & (1u << (1 - pc->side));
    boundary_proof proof;
    if (!server_seen && f->sess && boundary_websocket(bytes, len, 1, true, true, 0, &proof) &&
        proof.packets) {
        handshake_upgraded_unseen(f->http, f->sess);
        emit_confirm(&pc->at, f->sess);
        f->proto = PROTO_WEBSOCKET;
        replay_early(pc);
        stream_bytes(pc, bytes, len);
        return;
    }
    if (!kept_segments_add_to_frame(&f->http->early, pc->side, pc->at.ts, pc->at.tag, bytes, len,
                           &pc->env->total_buffered, pc->env->cfg.max_total_buffered_bytes))
        f->http->early_dropped += len;
}

/* Decodes the client segments kept ahead of the upgrade; past those that
 * did not fit, the client's stream is a hole. */
static void replay_early(const push_ctx *pc)
{
    struct flow *f = pc->f;
    kept_segments early = f->http->early;
    uint64_t dropped = f->http->early_dropped;
    f->http->early = (kept_segments){0};
    http_forget(pc->env, f);
    replay(pc, &early);
    kept_segments_free(&early, &pc->env->total_buffered);
    if (dropped && f->sess && f->proto == PROTO_WEBSOCKET) {
        if (f->sess->confirmed)
            route_gap(&pc->at, f->sess, MQTTKA_C2S, dropped);
        else
            route_resync(f->sess, MQTTKA_C2S);
    }
}

static void handshake_request(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    const uint8_t *rest = NULL;
    size_t rest_len = 0;
    switch (handshake_request_bytes(f->http, &pc->at, bytes, len, &rest, &rest_len)) {
    case HANDSHAKE_MORE:
        return;
    case HANDSHAKE_EARLY_DATA:
        early_client_bytes(pc, rest, rest_len);
        return;
    case HANDSHAKE_REQUESTED:
        if (!f->sess) {
            f->sess = make_session(pc, MQTTKA_TRANSPORT_WEBSOCKET);
            if (!f->sess) {
                give_up(pc, MQTTKA_NA_RESOURCE_LIMIT);
                return;
            }
            f->sess->mqtt_offered = handshake_request_offers_mqtt(f->http);
        }
        /* Frames written behind the request in the same segment. */
        if (rest_len)
            early_client_bytes(pc, rest, rest_len);
        return;
    case HANDSHAKE_REQUEST_TOO_LONG:
        /* The connection is ours if the request offered MQTT: say why it
         * is not decoded. */
        if (handshake_request_offers_mqtt(f->http)) {
            if (!f->sess && (f->sess = make_session(pc, MQTTKA_TRANSPORT_WEBSOCKET)))
                f->sess->mqtt_offered = true;
            if (f->sess)
                handshake_report_request_too_long(&pc->at, f->sess);
        }
        give_up(pc, MQTTKA_NA_RESOURCE_LIMIT);
        return;
    default:
        give_up(pc, MQTTKA_NA_HTTP);
        return;
    }
}

static void handshake_response(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    const uint8_t *rest = NULL;
    size_t rest_len = 0;
    switch (handshake_response_bytes(f->http, &pc->at, f->sess, bytes, len, &rest, &rest_len)) {
    case HANDSHAKE_MORE:
        return;
    case HANDSHAKE_UPGRADED: {
        f->proto = PROTO_WEBSOCKET;
        /* Frames sent right behind the 101 in the same segment, then those
         * the client sent ahead of it. */
        if (rest_len)
            route_websocket(&pc->at, f->sess, MQTTKA_S2C, rest, rest_len);
        replay_early(pc);
        return;
    }
    case HANDSHAKE_FAILED:
        give_up(pc, MQTTKA_NA_HTTP);
        return;
    default:
        drop_session(pc, MQTTKA_NA_HTTP);
        return;
    }
}

/* -------------------------------------------------------------- probe -- */

/* Ports that MQTT brokers and WebSocket servers listen on. */
static bool server_port(uint16_t port)
{
    static const uint16_t known[] = {1883, 8883, 1882, 8080, 8083, 8084, 8443, 80, 443, 9001};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (port == known[i])
            return true;
    return false;
}

/* The client side when no segment said which: the other side listens on a
 * known port, else on the lower one. */
static int client_side_by_ports(const struct flow *f)
{
    uint16_t p0 = f->ep[0].port, p1 = f->ep[1].port;
    if (server_port(p0) != server_port(p1))
        return server_port(p0) ? 1 : 0;
    return p0 < p1 ? 1 : 0;
}

/* The flow's framing is not known: from here each segment is tried as a
 * packet boundary. */
static void start_probe(const push_ctx *pc)
{
    struct flow *f = pc->f;
    http_forget(pc->env, f);
    detect_prefix_free(&f->prefix);
    f->proto = PROTO_PROBE;
}

/* The probe proved MQTT: the session starts here, and the proving run's
 * segments are decoded, each at its own time and frame, then this one. */
static void start_proved(const push_ctx *pc, const probe_decision *d, const uint8_t *bytes,
                         size_t len)
{
    struct flow *f = pc->f;
    if (f->client_side < 0)
        f->client_side = (int8_t)(d->client_side >= 0 ? d->client_side : client_side_by_ports(f));
    session *s = make_session(pc, d->transport);
    if (!s) {
        give_up(pc, MQTTKA_NA_RESOURCE_LIMIT);
        return;
    }
    f->sess = s;
    if (d->transport == MQTTKA_TRANSPORT_WEBSOCKET) {
        /* Whether permessage-deflate was agreed is in the 101, which the
         * capture missed: compressed messages are told apart by RSV1. */
        s->ws_active = true;
        s->ws_deflate = true;
        ws_decoder_init(session_ws(s, MQTTKA_C2S), true, true);
        ws_decoder_init(session_ws(s, MQTTKA_S2C), false, true);
        f->proto = PROTO_WEBSOCKET;
    } else {
        f->proto = PROTO_MQTT_TCP;
    }
    emit_confirm(&pc->at, s);
    /* A side that sent this segment or one the run kept is decoded from
     * its first such segment, which starts at a packet boundary (a proof,
     * or the start of a chain of packets the run saw finished; never the
     * middle of one): asking the route for a second proof there would lose
     * a chain whose segments do not each end at a packet's end. The other
     * side waits for a segment that proves one. */
    const kept_segments *kept = probe_kept(f->probe);
    bool in_step[2] = {false, false};
    in_step[pc->side] = true;
    for (size_t i = 0; kept && i < kept->n; i++)
        in_step[kept->seg[i].side] = true;
    for (int side = 0; side < 2; side++)
        if (!in_step[side])
            route_resync(s, flow_direction(f, side));
    replay(pc, kept);
    probe_free(&f->probe, &pc->env->total_buffered);
    stream_bytes(pc, bytes, len);
}

static void probe_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    flow_env *env = pc->env;
    probe_decision d;
    switch (probe_push(&f->probe, pc->side, f->client_side, bytes, len, pc->at.ts, pc->at.tag,
                       &env->total_buffered, env->cfg.max_total_buffered_bytes, &d)) {
    case PROBE_WAIT:
        return;
    case PROBE_NOT_MQTT:
        give_up(pc, probe_saw_tls(f->probe) ? MQTTKA_NA_TLS : MQTTKA_NA_NO_MQTT);
        return;
    case PROBE_MQTT:
        start_proved(pc, &d, bytes, len);
        return;
    }
}

/* ---------------------------------------------------------- detection -- */

/* ------------------------------------------------ TLS with a key log -- */

static void on_plain(void *ctx, mqttka_direction dir, const uint8_t *bytes, size_t len)
{
    (void)dir; /* the stream's own: pc->side */
    stream_bytes(ctx, bytes, len);
}

static void on_decrypt_failed(void *ctx, mqttka_direction dir, uint64_t record, const char *why)
{
    const push_ctx *pc = ctx;
    emit_finding(&pc->at, pc->f->sess, MQTTKA_F_TLS_DECRYPT_FAILED, dir, 0, false, 0,
                 "%s TLS record %llu: %s; this direction is not analysed from there",
                 dir == MQTTKA_C2S ? "client" : "server", (unsigned long long)record, why);
    route_lose(&pc->at, pc->f->sess, dir);
}

/* While the ClientHello is not whole, the bytes also go to a keyless
 * inference: the flow becomes one of those (PROTO_TLS) when the key log
 * turns out not to have its secrets. */
static void decrypt_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    mqttka_direction dir = flow_direction(f, pc->side);
    if (f->tls)
        tls_infer_push(f->tls, dir, bytes, len, pc->at.ts, pc->at.tag);
    push_ctx at = *pc;
    tls_decrypt_sink sink = {on_plain, on_decrypt_failed, &at};
    tls_decrypt_push(f->tls_dec, dir, bytes, len, &sink);
    if (tls_decrypt_without_keys(f->tls_dec)) {
        tls_decrypt_free(&f->tls_dec);
        f->proto = f->tls ? PROTO_TLS : PROTO_NONE;
        if (!f->tls)
            give_up(pc, MQTTKA_NA_TLS);
    } else if (f->tls && tls_decrypt_has_keys(f->tls_dec)) {
        tls_infer_free(&f->tls);
    }
}

/* A client that opens with a TLS handshake record while a key log is
 * loaded: the flow is decrypted from here when the log has its secrets
 * (its plaintext detected and decoded as a cleartext flow's), else
 * analysed without keys. False (nothing done) when it does not open so. */
static bool start_decrypting(const push_ctx *pc, const first_bytes_view *view,
                             const uint8_t *bytes, size_t len, bool *refused)
{
    struct flow *f = pc->f;
    if (!pc->env->keylog.n)
        return false;
    uint8_t first[2];
    size_t n = 0;
    for (size_t i = 0; i < view->held && n < 2; i++)
        first[n++] = view->bytes[i];
    for (size_t i = 0; i < len && n < 2; i++)
        first[n++] = bytes[i];
    if (!n || first[0] != 22 || (n > 1 && first[1] != 3))
        return false;
    if (!tls_decrypt_fits(&pc->env->tls_decrypt_budget)) {
        *refused = true; /* told by the flow's inference */
        return false;
    }
    if (!(f->tls_dec = tls_decrypt_new(&pc->env->keylog, &pc->env->tls_decrypt_budget)))
        return false;
    if (!(f->tls = tls_infer_new(&pc->env->tls_budget))) {
        tls_decrypt_free(&f->tls_dec);
        return false;
    }
    const uint8_t *held_bytes = view->bytes;
    size_t held_len = view->held;
    /* the held bytes are copied out before the prefix that holds them goes */
    uint8_t copy[64];
    if (held_len > sizeof copy)
        held_len = sizeof copy;
    if (held_len)
        memcpy(copy, held_bytes, held_len);
    detect_prefix_free(&f->prefix);
    if (held_len)
        decrypt_bytes(pc, copy, held_len);
    decrypt_bytes(pc, bytes, len);
    return true;
}

/* The first bytes of a side decide what the flow carries; then they are
 * replayed into the chosen decoder. */
static void detect(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    first_bytes_view view;
    switch (detect_push(&f->prefix, pc->side, bytes, len, &view)) {
    case DETECT_WAIT:
        return;
    case DETECT_HTTP:
        if (!client_side_agrees(f, pc->side) || !(f->http = handshake_new())) {
            give_up(pc, MQTTKA_NA_HTTP);
            return;
        }
        f->proto = PROTO_HTTP;
        break;
    case DETECT_MQTT:
        if (!client_side_agrees(f, pc->side) ||
            !(f->sess = make_session(pc, MQTTKA_TRANSPORT_TCP))) {
            give_up(pc, MQTTKA_NA_NO_MQTT);
            return;
        }
        emit_confirm(&pc->at, f->sess);
        f->proto = PROTO_MQTT_TCP;
        break;
    default:
        /* A connection seen from its start whose client opens with neither
         * is not MQTT; one joined later may be, mid-stream, and so may one
         * whose server speaks first in the capture (the client's side was
         * not captured). */
        if (f->syn_seen && (f->client_side < 0 || pc->side == f->client_side)) {
            bool refused = false;
            if (f->client_side >= 0 && !f->tls_dec &&
                start_decrypting(pc, &view, bytes, len, &refused))
                return;
            if (f->client_side >= 0 && boundary_looks_like_tls(bytes, len) &&
                (f->tls = tls_infer_new(&pc->env->tls_budget))) {
                /* mqtts or wss: followed by its record headers */
                f->proto = PROTO_TLS;
                if (refused)
                    tls_infer_decrypt_refused(f->tls, pc->env->cfg.max_tls_decrypt_memory_bytes);
                if (view.held)
                    tls_infer_push(f->tls, flow_direction(f, pc->side), view.bytes, view.held,
                                   pc->at.ts, pc->at.tag);
                tls_infer_push(f->tls, flow_direction(f, pc->side), bytes, len, pc->at.ts,
                               pc->at.tag);
                detect_prefix_free(&f->prefix);
                return;
            }
            give_up(pc, boundary_looks_like_tls(bytes, len) ? MQTTKA_NA_TLS : MQTTKA_NA_NO_MQTT);
            return;
        }
        start_probe(pc);
        if (view.held) /* bytes held from before: looked at as a segment of their own */
            probe_bytes(pc, view.bytes, view.held);
        if (f->proto == PROTO_PROBE)
            probe_bytes(pc, bytes, len);
        return;
    }
    if (!view.held) {
        /* Nothing was held from before: the bytes decided on are the
         * segment's start, and the segment goes on whole (a header block
         * is then parsed where it lies). */
        stream_bytes(pc, bytes, len);
        return;
    }
    stream_bytes(pc, view.bytes, view.len);
    if (view.took < len)
        stream_bytes(pc, bytes + view.took, len - view.took);
}

/* ------------------------------------------------------------ routing -- */

static void stream_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    mqttka_direction dir = flow_direction(f, pc->side);
    if (len)
        f->had_data = true;
    if (f->sess && len)
        f->sess->last_data_ts = pc->at.ts;
    switch (f->proto) {
    case PROTO_UNKNOWN:
        detect(pc, bytes, len);
        break;
    case PROTO_HTTP:
        if (dir == MQTTKA_C2S)
            handshake_request(pc, bytes, len);
        else
            handshake_response(pc, bytes, len);
        if (f->sess && f->sess->not_mqtt)
            drop_session(pc, MQTTKA_NA_WEBSOCKET);
        break;
    case PROTO_WEBSOCKET:
        route_websocket(&pc->at, f->sess, dir, bytes, len);
        if (f->sess->not_mqtt)
            drop_session(pc, MQTTKA_NA_WEBSOCKET);
        break;
    case PROTO_MQTT_TCP:
        route_mqtt(&pc->at, f->sess, dir, bytes, len);
        break;
    case PROTO_PROBE:
        probe_bytes(pc, bytes, len);
        break;
    case PROTO_TLS:
        tls_infer_push(f->tls, dir, bytes, len, pc->at.ts, pc->at.tag);
        break;
    case PROTO_NONE:
        break;
    }
}

static void on_stream_data(void *ctx, const uint8_t *bytes, size_t len)
{
    const push_ctx *pc = ctx;
    if (pc->f->tls_dec)
        decrypt_bytes(pc, bytes, len);
    else
        stream_bytes(ctx, bytes, len);
}

static void on_stream_gap(void *ctx, uint64_t missing)
{
    const push_ctx *pc = ctx;
    struct flow *f = pc->f;
    session *s = f->sess;
    if (f->proto == PROTO_TLS) {
        tls_infer_gap(f->tls, flow_direction(f, pc->side));
        return;
    }
    if (f->tls_dec) /* the records' framing and sequence are lost: nothing more decrypted */
        tls_decrypt_gap(f->tls_dec, flow_direction(f, pc->side));
    if (f->proto == PROTO_UNKNOWN || f->proto == PROTO_HTTP) {
        /* The start the decision needed is lost: framing must be proved
         * from what follows. A handshake in progress is forgotten. */
        if (s && !s->confirmed) {
            session_free(&pc->env->sessions, &pc->env->texts, s);
            f->sess = NULL;
        }
        if (!f->sess) {
            start_probe(pc);
            return;
        }
    }
    if (f->proto == PROTO_PROBE) {
        probe_gap(f->probe, pc->side, &pc->env->total_buffered);
        return;
    }
    if (!s)
        return;
    mqttka_direction dir = flow_direction(f, pc->side);
    if (!s->confirmed) {
        drop_session(pc, MQTTKA_NA_WEBSOCKET); /* cannot tell whether it is MQTT any more */
        return;
    }
    route_gap(&pc->at, s, dir, missing);
}

static const tcp_stream_sink stream_sink = {on_stream_data, on_stream_gap};

/* -------------------------------------------------------- the segment -- */

static void note_limit(const push_ctx *pc, tcp_push_result r)
{
    struct flow *f = pc->f;
    if (r == TCP_PUSH_OK || !f->sess || f->limit_reported)
        return;
    f->limit_reported = true;
    const mqttka_config *cfg = pc->at.cfg;
    emit_finding(&pc->at, f->sess, MQTTKA_F_RESOURCE_LIMIT, flow_direction(f, pc->side), 0,
                 false, 0,
                 r == TCP_PUSH_NOMEM
                     ? "out of memory queueing out-of-order segments; treated as a gap"
                     : "out-of-order queue full (max %zu segments, %zu bytes per direction, "
                       "%zu in all); treated as a gap",
                 cfg->max_ooo_segments, cfg->max_ooo_bytes, cfg->max_total_buffered_bytes);
}

/* A FIN of the peer that the capture missed, told by this side's ACK: it
 * covers exactly one sequence number past all the data the peer sent (its
 * stream seen whole, or, when it was never captured, past what this side
 * acknowledged before). No MQTT or WebSocket segment is one byte long, so a
 * step of one is the FIN. The peer closed before this segment. */
static void fin_by_ack(push_ctx *pc, const mqttka_segment *seg)
{
    struct flow *f = pc->f;
    int side = pc->side, peer = 1 - side;
    /* Only where the peer's stream is followed (and so is not a protocol
     * that sends single bytes). */
    if (f->fin[peer] || f->rst || f->proto == PROTO_NONE || f->proto == PROTO_UNKNOWN)
        return;
    uint32_t end;
    if (f->tcp[peer].started) {
        if (!tcp_stream_data_end(&f->tcp[peer], &end))
            return;
    } else if (f->acked & (1u << side)) {
        end = f->last_ack[side];
    } else {
        return;
    }
    if (seg->ack != end + 1)
        return;
    f->fin[peer] = true;
    tcp_stream_fin_at(&f->tcp[peer], end);
    if (f->sess)
        keepalive_on_close(&pc->at, f->sess, side_of(flow_direction(f, peer)), MQTTKA_CLOSE_FIN);
}

/* The gaps the waiting bare ACKs reveal, declared now (struct flow's
 * ack_wait_since says why they wait). */
static void resolve_acks(push_ctx *pc, uint8_t sides)
{
    struct flow *f = pc->f;
    int side = pc->side;
    uint64_t tag = pc->at.tag;
    pc->at.tag = f->ack_wait_tag; /* the frame that showed the gap */
    for (int s = 0; s < 2; s++) {
        if (!(f->ack_waits & sides & (1u << s)))
            continue;
        f->ack_waits &= (uint8_t)~(1u << s);
        if (f->proto == PROTO_NONE)
            continue;
        pc->side = s;
        tcp_stream_acked(&f->tcp[s], f->ack_pending[s], &stream_sink, pc);
    }
    if (!f->ack_waits)
        f->ack_wait_since = 0;
    pc->side = side;
    pc->at.tag = tag;
}

/* A bare ACK from the peer of `stream_side`: remembered if it runs ahead
 * of that stream's data. */
static void note_bare_ack(push_ctx *pc, int stream_side, uint32_t ack)
{
    struct flow *f = pc->f;
    uint8_t bit = (uint8_t)(1u << stream_side);
    if (!tcp_stream_ack_ahead(&f->tcp[stream_side], ack)) {
        f->ack_waits &= (uint8_t)~bit; /* the data has caught up */
        if (!f->ack_waits)
            f->ack_wait_since = 0;
        return;
    }
    if (!(f->ack_waits & bit) || (int32_t)(ack - f->ack_pending[stream_side]) > 0)
        f->ack_pending[stream_side] = ack;
    f->ack_waits |= bit;
    if (!f->ack_wait_since) {
        f->ack_wait_since = pc->at.ts > 0 ? pc->at.ts : 1;
        f->ack_wait_tag = pc->at.tag;
    }
}

void flow_acks_due(push_ctx *pc, mqttka_time now)
{
    struct flow *f = pc->f;
    if (f->ack_wait_since && now - f->ack_wait_since >= FLOW_ACK_REORDER_WINDOW)
        resolve_acks(pc, 3);
}

bool flow_push_segment(push_ctx *pc, const mqttka_segment *seg)
{
    struct flow *f = pc->f;
    int side = pc->side;
    uint8_t flags = seg->tcp_flags;
    if (flags & MQTTKA_TCP_SYN) {
        f->syn_seen = true;
        if (f->client_side < 0)
            f->client_side = (int8_t)((flags & MQTTKA_TCP_ACK) ? 1 - side : side);
        /* A SYN-ACK whose SYN the capture missed says where the client's
         * data starts: a first client segment beyond it (its CONNECT lost)
         * is then a hole, and the flow is probed, not judged by a packet
         * from its middle as if it opened the connection. */
        if ((flags & MQTTKA_TCP_ACK) && f->proto != PROTO_NONE)
            tcp_stream_expect(&f->tcp[1 - side], seg->ack);
    }
    if (!(f->sides_seen & (1u << side))) {
        f->sides_seen |= (uint8_t)(1u << side);
        if (f->sess)
            f->sess->dirs_seen |= (uint8_t)(1u << flow_direction(f, side));
    }
    if (flags & MQTTKA_TCP_ACK) {
        fin_by_ack(pc, seg);
        f->last_ack[side] = seg->ack;
        f->acked |= (uint8_t)(1u << side);
        /* Where the server's side is not captured, the client's ACKs still
         * tell whether the server sent anything. */
        session *s = f->sess;
        if (s && side == f->client_side && !(f->sides_seen & (1u << (1 - side)))) {
            session_rare *r = session_rare_of(s);
            if (r) {
                if (r->client_ack_known && r->client_ack != seg->ack)
                    keepalive_on_server_bytes(s);
                r->client_ack = seg->ack;
                r->client_ack_known = true;
            }
        }
    }

    if (f->proto != PROTO_NONE) {
        tcp_stream_limits lim = stream_limits(pc->env);
        /* Bare ACKs that ran ahead of the data: their data had its time, or
         * this segment ends the connection, or is data that does not
         * continue its stream where it stands. */
        if (f->ack_wait_since) {
            if ((flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST)) ||
                pc->at.ts - f->ack_wait_since >= FLOW_ACK_REORDER_WINDOW)
                resolve_acks(pc, 3);
            else if (seg->wire_len && (f->ack_waits & (1u << side)) &&
                     seg->seq != f->tcp[side].next_seq)
                resolve_acks(pc, (uint8_t)(1u << side)); /* not where the data stands */
        }
        /* The ACK first: it tells what the peer had received before this
         * segment was sent, so holes it reveals come before this data. A
         * bare ACK waits a moment for its data (ack_wait_since). */
        if ((flags & MQTTKA_TCP_ACK) && !seg->wire_len &&
            !(flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST))) {
            note_bare_ack(pc, 1 - side, seg->ack);
        } else if (flags & MQTTKA_TCP_ACK) {
            /* The context names the side being delivered: the peer's for
             * the ACK, then this one's again. (Changed in place, not
             * copied: a copy is read back in wide loads right after its
             * narrow stores, which stalls on store forwarding.) */
            if (f->ack_waits & (1u << (1 - side)))
                resolve_acks(pc, (uint8_t)(1u << (1 - side)));
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
            if ((f->ack_waits & (1u << side)) &&
                !tcp_stream_ack_ahead(&f->tcp[side], f->ack_pending[side])) {
                f->ack_waits &= (uint8_t)~(1u << side); /* its data came */
                if (!f->ack_waits)
                    f->ack_wait_since = 0;
            }
        }
    }

    mqttka_side who = side_of(flow_direction(f, side));
    if (f->proto == PROTO_TLS && (flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST)))
        tls_infer_close(f->tls, who, (flags & MQTTKA_TCP_RST) ? MQTTKA_CLOSE_RST : MQTTKA_CLOSE_FIN,
                        pc->at.ts);
    if ((flags & MQTTKA_TCP_FIN) && !f->fin[side]) {
        f->fin[side] = true;
        /* The stream ends here, if nothing before the FIN is missing: a
         * packet cut off by it is told now. */
        session *s = f->sess;
        if (s && s->confirmed && tcp_stream_complete(&f->tcp[side]) &&
            (f->proto == PROTO_WEBSOCKET || f->proto == PROTO_MQTT_TCP))
            route_end(&pc->at, s, flow_direction(f, side));
        if (s) /* unconfirmed too: a failed handshake still gets its verdict */
            keepalive_on_close(&pc->at, s, who, MQTTKA_CLOSE_FIN);
    }
    if (flags & MQTTKA_TCP_RST) {
        f->rst = true;
        if (f->sess)
            keepalive_on_close(&pc->at, f->sess, who, MQTTKA_CLOSE_RST);
        return true;
    }
    return f->fin[0] && f->fin[1];
}

/* A TLS flow's inference, once, at its end (conn is NULL: it is not an
 * MQTT connection the core has shown to be one). */
static void emit_tls_inference(const push_ctx *pc)
{
    struct flow *f = pc->f;
    mqttka_finding findings[MQTTKA_TLS_MAX_FINDINGS];
    mqttka_tls_inference inf;
    tls_infer_finish(f->tls, &pc->env->cfg, f->last_ts, &inf, findings);
    int client = f->client_side < 0 ? 0 : f->client_side;
    inf.client = f->ep[client];
    inf.server = f->ep[1 - client];
    inf.start = f->first_ts;
    inf.end = f->last_ts;
    inf.first_tag = f->first_tag;
    inf.last_tag = f->last_tag;
    mqttka_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = MQTTKA_EV_TLS_INFERENCE;
    ev.dir = MQTTKA_C2S;
    ev.ts = f->last_ts;
    ev.tag = pc->at.tag;
    ev.u.tls = &inf;
    emit_event(&pc->at, &ev);
}

void flow_end(const push_ctx *pc)
{
    struct flow *f = pc->f;
    tcp_stream_limits lim = stream_limits(pc->env);
    if (f->ack_wait_since) {
        push_ctx p = *pc;
        resolve_acks(&p, 3);
    }
    for (int side = 0; side < 2; side++) {
        if (f->proto == PROTO_NONE)
            break;
        push_ctx p = *pc;
        p.side = side;
        tcp_stream_flush(&f->tcp[side], &stream_sink, &p, &lim);
    }
    if (f->proto == PROTO_TLS && f->tls) {
        emit_tls_inference(pc);
        return;
    }
    session *s = f->sess;
    if (!s)
        return;
    if (f->proto == PROTO_HTTP && f->http)
        handshake_end(f->http, &pc->at, s, f->fin[0] || f->fin[1] || f->rst);
    if (!s->confirmed)
        return; /* never shown to be MQTT: nothing to say */
    if (f->proto == PROTO_WEBSOCKET || f->proto == PROTO_MQTT_TCP) {
        for (int side = 0; side < 2; side++) {
            if (f->fin[side])
                route_end(&pc->at, s, flow_direction(f, side));
        }
    }
    route_finish(&pc->at, s);
    keepalive_on_end(&pc->at, s, rule_at_end_of_input(&pc->at), f->last_tag);
    mqttka_summary sum;
    mqttka_finding *findings = verdict_build_summary(&pc->at, s, f->last_ts, f->last_tag, &sum);
    mqttka_tls_info tls;
    if (f->tls_dec) {
        tls_decrypt_info(f->tls_dec, &tls);
        sum.tls = &tls;
    }
    mqttka_event ev;
    event_init(&ev, &pc->at, s, MQTTKA_EV_CONNECTION, MQTTKA_C2S);
    ev.u.summary = &sum;
    emit_event(&pc->at, &ev);
    free(findings);
}
