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
    /* Every line of it: a segment with bytes reads or writes in most of
     * them (times and counters, the direction's decoder, the pending
     * PINGREQs, the RTT figures and the pointer to the rare part, the
     * finding caps when the PINGRESP's RTT is reported), and a line that
     * is not loaded here is a wait on the packet path (BENCHMARKS.md,
     * "Small packets"). */
    const char *p = (const char *)s;
    for (size_t at = 0; at < sizeof(session); at += SESSION_ALIGN)
        PREFETCH(p + at);
    /* The flow is in cache by now; the session is not: its kind is read
     * from the flow. (Address arithmetic only: nothing of s is loaded.) */
    if (f->proto == PROTO_WEBSOCKET)
        PREFETCH(&((const ws_session *)(const void *)s)->ws[flow_direction(f, side)]);
}

void flow_env_set_stream_limits(flow_env *env)
{
    env->stream_limits = (tcp_stream_limits){env->cfg.max_ooo_segments, env->cfg.max_ooo_bytes,
                                             env->cfg.max_total_buffered_bytes,
                                             &env->total_buffered};
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

flow_rare *flow_rare_of(struct flow *f)
{
    if (!f->rare)
        f->rare = calloc(1, sizeof *f->rare);
    return f->rare;
}

/* The TLS states, NULL where the flow has none (nor a rare part). */
static struct tls_infer *flow_tls(const struct flow *f)
{
    return f->rare ? f->rare->tls : NULL;
}

static struct tls_decrypt *flow_tls_dec(const struct flow *f)
{
    return f->rare ? f->rare->tls_dec : NULL;
}

void flow_free_contents(flow_env *env, struct flow *f)
{
    tcp_stream_free(&f->tcp[0], &env->stream_limits);
    tcp_stream_free(&f->tcp[1], &env->stream_limits);
    http_forget(env, f);
    detect_prefix_free(&f->prefix);
    probe_free(&f->probe, &env->total_buffered);
    session_free(&env->sessions, &env->texts, f->sess);
    if (f->rare) {
        tls_infer_free(&f->rare->tls);
        tls_decrypt_free(&f->rare->tls_dec);
        free(f->rare);
        f->rare = NULL;
    }
    f->ack_waits = 0;
}

int flow_outcome(const struct flow *f, bool dropped)
{
    if (f->sess && f->sess->confirmed)
        return -1;
    if (f->proto == PROTO_NONE)
        return f->outcome;
    if (f->proto == PROTO_TLS)
        return MQTTKA_NA_TLS;
    /* Opened by its close and never carried a byte: a connection the
     * capture joined at its end (dropped for a cap or not, nothing of it
     * was missed but its close). */
    if (!f->syn_seen && !f->had_data && f->first_close && f->rare->first_close_tag == f->first_tag)
        return MQTTKA_NA_CLOSE_ONLY;
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

bool flow_adoptable_later(const flow_env *env, const struct flow *f)
{
    if (f->sess || f->syn_seen || f->after_end || f->had_data || f->proto != PROTO_UNKNOWN ||
        !f->first_close || f->rare->first_close_tag != f->first_tag)
        return false;
    if (!(f->first_close <= 2 ? f->rare->first_close_acked : f->rare->first_close_has_ack))
        return false;
    /* one endpoint proven: adopt_by_server has had its say; both: never */
    return proven_servers_find(&env->sink.servers, &f->ep[0]) < 0 &&
           proven_servers_find(&env->sink.servers, &f->ep[1]) < 0;
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

/* Bytes of a held-back segment counted but not kept (kept_segments.h):
 * only an MQTT-over-TCP stream has them, inside a PUBLISH body. */
static void stream_unread(const push_ctx *pc, uint64_t n)
{
    struct flow *f = pc->f;
    if (!n || !f->sess)
        return;
    f->had_data = true;
    f->sess->last_data_ts = pc->at.ts;
    if (f->sess->rare)
        f->sess->rare->client_tail_hole = false;
    mqttka_direction dir = flow_direction(f, pc->side);
    if (f->proto == PROTO_MQTT_TCP)
        route_mqtt_unread(&pc->at, f->sess, dir, n);
    else if (f->proto == PROTO_WEBSOCKET)
        route_gap(&pc->at, f->sess, dir, n); /* never made so: not seen, not decoded */
}

/* Decodes segments held back, each at its own time and frame. */
static void replay(const push_ctx *pc, const kept_segments *k)
{
    for (size_t i = 0; k && i < k->n; i++) {
        push_ctx then = push_ctx_then(pc, k->seg[i].side, k->seg[i].ts, k->seg[i].tag);
        stream_unread(&then, k->seg[i].skip_before);
        if (k->seg[i].len || !(k->seg[i].skip_before | k->seg[i].skip_after))
            stream_bytes(&then, k->seg[i].bytes, k->seg[i].len);
        stream_unread(&then, k->seg[i].skip_after);
    }
}

/* ------------------------------------------------------ the handshake -- */

static void replay_early(const push_ctx *pc);

/* Client bytes after its request. Over a capture of both sides they wait
 * for the 101 (a client may send frames ahead of it). Where the server's
 * side was never captured, frames carrying MQTT say the upgrade happened. */
/* The client's frames show the upgrade its 101, not captured, made: the
 * WebSocket starts, and the client segments kept so far are decoded. */
static void upgraded_unseen(const push_ctx *pc)
{
    struct flow *f = pc->f;
    handshake_upgraded_unseen(f->http, f->sess);
    emit_confirm(&pc->at, f->sess);
    f->proto = PROTO_WEBSOCKET;
    replay_early(pc);
}

static void early_client_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    bool server_seen = f->sides_seen & (1u << (1 - pc->side));
    boundary_proof proof;
    if (!server_seen && f->sess && boundary_websocket(bytes, len, 1, true, true, 0, &proof) &&
        proof.packets) {
        upgraded_unseen(pc);
        stream_bytes(pc, bytes, len);
        return;
    }
    if (!kept_segments_add_to_frame(&f->http->early, pc->side, pc->at.ts, pc->at.tag, bytes, len,
                           &pc->env->total_buffered, pc->env->cfg.max_total_buffered_bytes)) {
        f->http->early_dropped += len;
        return;
    }
    /* A CONNECT spread over frames, none of them a whole packet. */
    if (!server_seen && f->sess && !f->http->early_dropped &&
        handshake_early_frames_carry_connect(&f->http->early, pc->side))
        upgraded_unseen(pc);
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
    if (f->syn_seen)
        probe_handshake_seen(&f->probe);
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
    in_step[pc->side] = len > 0; /* an adoption's segment may carry no byte: nothing decoded */
    for (size_t i = 0; kept && i < kept->n; i++)
        in_step[kept->seg[i].side] = true;
    for (int side = 0; side < 2; side++)
        if (!in_step[side])
            route_resync(s, flow_direction(f, side));
    replay(pc, kept);
    probe_free(&f->probe, &pc->env->total_buffered);
    if (len)
        stream_bytes(pc, bytes, len);
}

/* A flow the capture joined after it began, which holds too little to
 * prove MQTT by itself: nothing but its FIN, RST and ACKs, or fewer
 * proofs in a row than the probe asks for. When one of its endpoints is a
 * server where this capture has proven MQTT (proven_servers.h), and the
 * other is not, it is that server's MQTT connection, as Wireshark's
 * conversation-based decode-as would take it: the client is the other
 * endpoint, both streams start unsynchronised (route_resync: no packet and
 * no close is claimed that was not decoded), and the run of proofs, if
 * any, is decoded. True when the flow became a session. */
static bool adopt_by_server(const push_ctx *pc)
{
    struct flow *f = pc->f;
    if (f->sess || f->syn_seen || f->after_end)
        return false;
    probe_decision d = {MQTTKA_TRANSPORT_TCP, -1};
    bool partial = false;
    if (f->proto == PROTO_PROBE)
        partial = probe_partial(f->probe, &d);
    else if (f->proto != PROTO_UNKNOWN || f->had_data)
        return false;
    /* Nothing but a close: a FIN its peer acknowledged, which only an open
     * connection does (a FIN scan's FIN gets nothing or an RST), or an RST
     * with ACK sent to the server (checked below). A TCP with no such
     * connection answers a segment with an RST whose ACK flag is clear
     * unless that segment had none (RFC 9293 3.10.7.1: a SYN, a scan's
     * bare FIN), and a server sends its clients none; a client's RST with
     * ACK is the abort of a synchronised connection (Linux sends every
     * reset of an open socket so). An RST the server sends may answer its
     * client's SYN or stray segment the capture missed: it proves nothing. */
    else if (!f->first_close ||
             !(f->first_close <= 2 ? f->rare->first_close_acked : f->rare->first_close_has_ack))
        return false;
    if (f->proto == PROTO_PROBE && !partial)
        return false;
    const proven_servers *known = &pc->env->sink.servers;
    int t0 = proven_servers_find(known, &f->ep[0]);
    int t1 = proven_servers_find(known, &f->ep[1]);
    if ((t0 < 0) == (t1 < 0))
        return false; /* neither, or both: nothing says which is the server */
    int client = t0 >= 0 ? 1 : 0;
    if (f->proto != PROTO_PROBE && f->first_close > 2 && ((f->first_close - 1) & 1) != client)
        return false; /* the server's lone RST */
    mqttka_transport transport = (mqttka_transport)(t0 >= 0 ? t0 : t1);
    if (partial && (d.transport != transport || (d.client_side >= 0 && d.client_side != client)))
        return false;
    if (f->client_side >= 0 && f->client_side != client)
        return false;
    d.transport = transport;
    d.client_side = client;
    start_proved(pc, &d, NULL, 0);
    return f->sess != NULL;
}

static void probe_bytes(const push_ctx *pc, const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    flow_env *env = pc->env;
    probe_decision d;
    int port_side = probe_mqtt_port_side(f->ep[0].port, f->ep[1].port);
    switch (probe_push(&f->probe, pc->side, f->client_side, port_side, bytes, len, pc->at.ts,
                       pc->at.tag, &env->total_buffered, env->cfg.max_total_buffered_bytes, &d)) {
    case PROBE_WAIT:
        if (f->acked & (1u << pc->side))
            probe_lone_ack(f->probe, pc->side, f->last_ack[pc->side]);
        /* A run too short to prove MQTT alone, to a server proven to
         * carry it */
        if (!f->syn_seen && pc->env->sink.servers.n)
            (void)adopt_by_server(pc);
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
    flow_rare *r = f->rare; /* holds the decryption */
    mqttka_direction dir = flow_direction(f, pc->side);
    if (r->tls)
        tls_infer_push(r->tls, dir, bytes, len, pc->at.ts, pc->at.tag);
    push_ctx at = *pc;
    tls_decrypt_sink sink = {on_plain, on_decrypt_failed, &at};
    tls_decrypt_push(r->tls_dec, dir, bytes, len, &sink);
    if (tls_decrypt_without_keys(r->tls_dec)) {
        tls_decrypt_free(&r->tls_dec);
        f->proto = r->tls ? PROTO_TLS : PROTO_NONE;
        if (!r->tls)
            give_up(pc, MQTTKA_NA_TLS);
    } else if (r->tls && tls_decrypt_has_keys(r->tls_dec)) {
        tls_infer_free(&r->tls);
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
    /* Out of memory for any of the three: not decrypted (the keyless
     * inference is tried next, and needs the rare part too). */
    flow_rare *r = flow_rare_of(f);
    if (!r || !(r->tls_dec = tls_decrypt_new(&pc->env->keylog, &pc->env->tls_decrypt_budget)))
        return false;
    if (!(r->tls = tls_infer_new(&pc->env->tls_budget))) {
        tls_decrypt_free(&r->tls_dec);
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

/* A flow whose first payload comes from a side whose peer the capture
 * has not seen (a capture of the server's side only: the SYN-ACK, or
 * joined late), and is a 101 to a WebSocket with an "mqtt..." subprotocol:
 * the server answered an Upgrade the capture missed, as early_client_bytes
 * takes a client's frames for the 101 it missed. The server's frames are
 * decoded from behind the 101's header block. False when it is not such a
 * 101 (a 101 to another subprotocol is probed, as before). */
static bool upgraded_answer_alone(const push_ctx *pc, const first_bytes_view *view,
                                  const uint8_t *bytes, size_t len)
{
    struct flow *f = pc->f;
    http_upgrade_response resp;
    size_t header_len = 0;
    if (view->held || (f->sides_seen & (1u << (1 - pc->side))) || f->client_side == pc->side ||
        !handshake_answer_upgrades_to_mqtt(&pc->at, bytes, len, &resp, &header_len))
        return false;
    f->client_side = (int8_t)(1 - pc->side);
    detect_prefix_free(&f->prefix);
    if (!(f->sess = make_session(pc, MQTTKA_TRANSPORT_WEBSOCKET))) {
        give_up(pc, MQTTKA_NA_RESOURCE_LIMIT);
        return true;
    }
    if (!handshake_upgraded_request_unseen(&pc->at, f->sess, &resp)) {
        drop_session(pc, MQTTKA_NA_RESOURCE_LIMIT);
        return true;
    }
    emit_confirm(&pc->at, f->sess);
    f->proto = PROTO_WEBSOCKET;
    if (header_len < len)
        stream_bytes(pc, bytes + header_len, len - header_len);
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
            if (f->client_side >= 0 && !flow_tls_dec(f) &&
                start_decrypting(pc, &view, bytes, len, &refused))
                return;
            /* Out of memory for the rare part or the inference: given up
             * as not analysed (below), as when the inference alone could
             * not be made. */
            flow_rare *r;
            if (f->client_side >= 0 && boundary_looks_like_tls(bytes, len) &&
                (r = flow_rare_of(f)) && (r->tls = tls_infer_new(&pc->env->tls_budget))) {
                /* mqtts or wss: followed by its record headers */
                f->proto = PROTO_TLS;
                if (refused)
                    tls_infer_decrypt_refused(r->tls, pc->env->cfg.max_tls_decrypt_memory_bytes);
                if (view.held)
                    tls_infer_push(r->tls, flow_direction(f, pc->side), view.bytes, view.held,
                                   pc->at.ts, pc->at.tag);
                tls_infer_push(r->tls, flow_direction(f, pc->side), bytes, len, pc->at.ts,
                               pc->at.tag);
                detect_prefix_free(&f->prefix);
                return;
            }
            give_up(pc, boundary_looks_like_tls(bytes, len) ? MQTTKA_NA_TLS : MQTTKA_NA_NO_MQTT);
            return;
        }
        if (upgraded_answer_alone(pc, &view, bytes, len))
            return;
        start_probe(pc);
        /* A capture of the server's side only, from its SYN-ACK: these are
         * its stream's first bytes (no gap came before them, or the flow
         * would be probed already), sent after the client's first bytes,
         * as many as a CONNECT at least (MQTT_CONNECT_MIN_BYTES), which the
         * capture does not hold. */
        if (!view.held && f->rare && f->rare->client_start_known && f->client_side >= 0 &&
            pc->side != f->client_side && !(f->sides_seen & (1u << f->client_side)) &&
            (f->acked & (1u << pc->side)) &&
            f->last_ack[pc->side] - f->rare->client_start >= MQTT_CONNECT_MIN_BYTES &&
            f->last_ack[pc->side] - f->rare->client_start <= MQTT_CONNECT_MAX_FIRST_BYTES)
            probe_opens_answer(&f->probe, pc->side);
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
    if (f->sess && len) {
        f->sess->last_data_ts = pc->at.ts;
        if (f->sess->rare)
            f->sess->rare->client_tail_hole = false; /* a byte after it: not the tail */
    }
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
        tls_infer_push(flow_tls(f), dir, bytes, len, pc->at.ts, pc->at.tag);
        break;
    case PROTO_NONE:
        break;
    }
}

static void on_stream_data(void *ctx, const uint8_t *bytes, size_t len)
{
    const push_ctx *pc = ctx;
    if (flow_tls_dec(pc->f))
        decrypt_bytes(pc, bytes, len);
    else
        stream_bytes(ctx, bytes, len);
}

static void note_tail_hole(const push_ctx *pc, session *s, mqttka_direction dir,
                           uint64_t missing);

static void on_stream_gap(void *ctx, uint64_t missing)
{
    const push_ctx *pc = ctx;
    struct flow *f = pc->f;
    session *s = f->sess;
    if (f->proto == PROTO_TLS) {
        tls_infer_gap(flow_tls(f), flow_direction(f, pc->side));
        return;
    }
    if (flow_tls_dec(f)) /* the records' framing and sequence are lost: nothing more decrypted */
        tls_decrypt_gap(f->rare->tls_dec, flow_direction(f, pc->side));
    if (f->proto == PROTO_UNKNOWN || f->proto == PROTO_HTTP) {
        /* The start the decision needed is lost: framing must be proved
         * from what follows. A handshake in progress is forgotten. */
        if (s && !s->confirmed) {
            session_free(&pc->env->sessions, &pc->env->texts, s);
            f->sess = NULL;
        }
        if (!f->sess) {
            start_probe(pc);
            /* A capture that holds the handshake but not the client's
             * first bytes (its CONNECT lost, or deleted), which the server
             * acknowledged, as many as a CONNECT: the server's first
             * segment with data answers them (probe_opens_answer), it
             * does not speak first (probe_handshake_seen). */
            if (f->syn_seen && pc->side == f->client_side && !f->had_data &&
                missing >= MQTT_CONNECT_MIN_BYTES && missing <= MQTT_CONNECT_MAX_FIRST_BYTES)
                probe_opens_answer(&f->probe, 1 - pc->side);
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
    /* the server sent bytes the capture missed: after the step, for all
     * one knows (infer_disconnect, infer_pingreq) */
    if (dir == MQTTKA_S2C && s->rare)
        s->rare->server_sent_since_step = true;
    note_tail_hole(pc, s, dir, missing);
    route_gap(&pc->at, s, dir, missing);
}

static const tcp_stream_sink stream_sink = {on_stream_data, on_stream_gap};

/* -------------------------------------------------------- the segment -- */

static OUT_OF_LINE void report_limit(const push_ctx *pc, tcp_push_result r)
{
    struct flow *f = pc->f;
    if (!f->sess || f->limit_reported)
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

/* A cap the push hit, reported once per flow (out of line: nearly every
 * push returns TCP_PUSH_OK). */
static inline void note_limit(const push_ctx *pc, tcp_push_result r)
{
    if (r != TCP_PUSH_OK)
        report_limit(pc, r);
}

/* The client's DISCONNECT, on a capture of the server's side only: the
 * server's last step forward in acknowledging the client's stream was the
 * size of a DISCONNECT (RFC 6455 §5.2, MQTT §3.14: e0 00, 2 bytes, in a
 * masked WebSocket frame 2 + 4 + 2 = 8, or 14 as paho python writes it,
 * its two bytes in two frames (samples/ws-large-publish.pcap, frames
 * 160-161); with an MQTT 5 reason code one byte more, as is the client's
 * FIN acknowledged in the same step), the
 * server sent nothing after it (a PINGREQ, the one other client packet of
 * that size, gets a PINGRESP; a WebSocket Close gets a Close) and closed
 * within INFERRED_DISCONNECT_WINDOW of it, as a server does on a
 * DISCONNECT (MQTT-3.14.4). Recorded as the connection's first close, at
 * the acknowledgment, marked inferred. Called at the first close told by
 * the server (its FIN or RST, or its ACK of the client's FIN), with the
 * close's time in pc. */
static void infer_disconnect(const push_ctx *pc)
{
    struct flow *f = pc->f;
    session *s = f->sess;
    if (!s || !s->confirmed || f->client_side < 0 ||
        (f->sides_seen & (1u << f->client_side)) || !s->rare || !s->rare->server_ack_known ||
        s->rare->server_sent_since_step || verdict_record_of(s)->first_close.seen)
        return;
    const session_rare *r = s->rare;
    uint32_t step = r->server_ack_step;
    bool shaped = s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET
                      ? step == 8 || step == 9 || step == 14 || step == 15
                      : step == 2 || step == 3;
    if (!shaped)
        return;
    mqttka_time after = pc->at.ts - r->server_ack_step_ts;
    if (after < 0 || after > INFERRED_DISCONNECT_WINDOW)
        return;
    rule_ctx at = pc->at;
    at.ts = r->server_ack_step_ts;
    at.tag = r->server_ack_step_tag;
    verdict_note_inferred_disconnect(&at, s, r->server_ack_step, after);
    keepalive_on_close(&at, s, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_MQTT_DISCONNECT);
}

/* The client's PINGREQ that the capture did not hold: the last bytes of the
 * client's stream that the server acknowledged (`bytes`, in its ACK at
 * `ack_ts`, frame `ack_tag`) were not decoded and have the size of a 2-byte
 * MQTT packet (plain TCP: 2; WebSocket: a masked frame, 2 + 4 + 2 = 8,
 * which no two frames make), the server sent nothing after that ACK, and
 * the client closed later than INFERRED_DISCONNECT_WINDOW after it. The
 * two client packets of that size are a DISCONNECT, which a client follows
 * with its close at once (infer_disconnect), and a PINGREQ, which the
 * server did not answer: the close's verdict counts it unanswered, marked
 * inferred; the PINGREQ had come by the ACK's time. Called before the
 * client's close is noted (`first`: it is the connection's first close).
 * Not where the server's WebSocket Ping waits for its Pong (an 8-byte
 * masked Pong answers a 2-byte Ping), nor on compressed frames. */
static void infer_pingreq(const push_ctx *pc, session *s, bool first, uint32_t bytes,
                          mqttka_time ack_ts, uint64_t ack_tag)
{
    if (!first || !session_pingreq_sized(s, bytes) || !s->confirmed || pc->at.ts - ack_ts <= INFERRED_DISCONNECT_WINDOW ||
        (s->rare && s->rare->ws_ping[MQTTKA_S2C].outstanding))
        return;
    verdict_note_inferred_ping(s, bytes, ack_ts, ack_tag);
}

/* The client closed, told by the server's ACK of its FIN (`seg`, a
 * segment with no payload) on a capture of the server's side only: its
 * PINGREQ, inferred from the server's last step forward (infer_pingreq),
 * when the server sent nothing after that step and `seg` follows the
 * server's stream with no byte missing. */
static void infer_pingreq_one_sided(const push_ctx *pc, const mqttka_segment *seg)
{
    struct flow *f = pc->f;
    session *s = f->sess;
    int server = 1 - f->client_side;
    uint32_t end;
    if (!s || f->client_side < 0 || (f->sides_seen & (1u << f->client_side)) || !s->rare ||
        !s->rare->server_ack_known || s->rare->server_sent_since_step ||
        s->dirs[MQTTKA_S2C].lost || seg->wire_len ||
        !tcp_stream_data_end(&f->tcp[server], &end) || end != seg->seq)
        return;
    const session_rare *r = s->rare;
    infer_pingreq(pc, s, !verdict_record_of(s)->first_close.seen, r->server_ack_step,
                  r->server_ack_step_ts, r->server_ack_step_tag);
}

/* The client's stream missed bytes (`missing`), told now. Kept as its tail
 * hole (infer_pingreq) when the server's ACK told of them and they began
 * between two packets with the stream decoded up to there; any other hole
 * of the client's, and any of the server's, clears it, as does any byte
 * either side sends after (stream_bytes). */
static void note_tail_hole(const push_ctx *pc, session *s, mqttka_direction dir, uint64_t missing)
{
    session_rare *r = s->rare;
    bool websocket = s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET;
    const session_direction *d = &s->dirs[MQTTKA_C2S];
    bool between = dir == MQTTKA_C2S && !d->lost && !d->mqtt_resync &&
                   mqtt_stream_between_packets(&d->mqtt) &&
                   (!websocket || (s->ws_active && !ws_decoder_mid_frame(session_ws(s, dir)) &&
                                   !session_ws(s, dir)->message_open));
    if (!between || pc->ack_ts == MQTTKA_TIME_NONE || missing > UINT32_MAX) {
        if (r)
            r->client_tail_hole = false;
        return;
    }
    r = session_rare_of(s);
    if (!r)
        return;
    r->client_tail_hole = true;
    r->client_tail_hole_bytes = (uint32_t)missing;
    r->client_tail_hole_ts = pc->ack_ts;
    r->client_tail_hole_tag = pc->at.tag;
}

/* The client closes (its FIN or RST, segment `seg`) on a capture of both
 * sides whose client stream ends in a tail hole (note_tail_hole): its
 * PINGREQ, inferred (infer_pingreq), when the client had received all the
 * server sent that the capture holds (the closing segment's ACK: no byte
 * of the server's missed). */
static void infer_pingreq_tail_hole(const push_ctx *pc, const mqttka_segment *seg)
{
    struct flow *f = pc->f;
    session *s = f->sess;
    uint32_t end;
    if (!s || !s->rare || !s->rare->client_tail_hole || !(seg->tcp_flags & MQTTKA_TCP_ACK) ||
        s->dirs[MQTTKA_S2C].lost || !tcp_stream_data_end(&f->tcp[1 - pc->side], &end) ||
        end != seg->ack)
        return;
    const session_rare *r = s->rare;
    infer_pingreq(pc, s, !verdict_record_of(s)->first_close.seen, r->client_tail_hole_bytes,
                  r->client_tail_hole_ts, r->client_tail_hole_tag);
}

/* A late-joined flow with no session, proven by its server after its first
 * close (or by the peer's acknowledgment of that close): adopted, and its
 * close told as it came. */
static void adopt_closed(const push_ctx *pc)
{
    struct flow *f = pc->f;
    if (!f->first_close || !adopt_by_server(pc))
        return;
    int closer = (f->first_close - 1) & 1;
    push_ctx then = push_ctx_then(pc, closer, f->rare->first_close_ts, f->rare->first_close_tag);
    keepalive_on_close(&then.at, f->sess, side_of(flow_direction(f, closer)),
                       f->first_close > 2 ? MQTTKA_CLOSE_RST : MQTTKA_CLOSE_FIN);
}

/* A late-joined flow too short for the probe, that ends as a client ends:
 * its one segment with data, in all, is the client's PINGREQ or DISCONNECT
 * (or its last is a DISCONNECT after a run of the client's segments:
 * probe_lone_packet), the server acknowledged it and sent nothing, and the
 * client closed (the flow's first close), with no byte between. A PINGREQ
 * is the client of a frozen broker, which closes when it will; a
 * DISCONNECT is followed at once by the client's FIN (MQTT-3.14.4-1), no
 * later than INFERRED_DISCONNECT_WINDOW, the "at once" that
 * infer_disconnect and infer_pingreq tell a DISCONNECT by (a client that
 * closes later after two bytes is not one; neither is one that resets).
 * Taken for MQTT at the flow's end, so that no later byte of the server's
 * can still say otherwise: the session starts at the packet, as if the
 * probe had proven it there, and the close is told as it came (which
 * leaves a PINGREQ unanswered before it). */
static void prove_lone_packet(const push_ctx *pc)
{
    struct flow *f = pc->f;
    probe_decision d;
    uint32_t client_ack = 0;
    int port_side = probe_mqtt_port_side(f->ep[0].port, f->ep[1].port);
    if (f->sess || f->syn_seen || f->proto != PROTO_PROBE || !f->first_close || !f->rare)
        return;
    uint8_t type = probe_lone_packet(f->probe, port_side, &d, &client_ack);
    if (!type)
        return;
    int client = d.client_side, server = 1 - client;
    uint32_t end, server_end;
    if (((f->first_close - 1) & 1) != client || (f->client_side >= 0 && f->client_side != client) ||
        !(f->acked & (1u << server)) || !tcp_stream_data_end(&f->tcp[client], &end) ||
        f->rare->first_close_seq != end || f->last_ack[server] - end > 1u)
        return;
    /* The server sent nothing the capture missed: the client's ACKs never
     * moved past where they stood with its packet (but for the server's
     * FIN), and the server's stream, if it began (its FIN), holds nothing
     * the client acknowledged beyond it. */
    if (!(f->acked & (1u << client)) || f->last_ack[client] - client_ack > 1u)
        return;
    if (f->tcp[server].started &&
        (!tcp_stream_data_end(&f->tcp[server], &server_end) || !(f->acked & (1u << client)) ||
         f->last_ack[client] - server_end > 1u))
        return;
    /* the lone packet: the run's last segment (its only one, but for a
     * DISCONNECT after a run of its side: probe_lone_packet) */
    const kept_segments *kept = probe_kept(f->probe);
    const kept_segment *lone = &kept->seg[kept->n - 1];
    if (type == MQTTKA_MQTT_DISCONNECT &&
        (f->first_close > 2 || f->rare->first_close_ts - lone->ts > INFERRED_DISCONNECT_WINDOW))
        return;
    push_ctx at = push_ctx_then(pc, client, lone->ts, lone->tag);
    start_proved(&at, &d, NULL, 0);
    if (!f->sess)
        return;
    push_ctx then = push_ctx_then(pc, client, f->rare->first_close_ts, f->rare->first_close_tag);
    keepalive_on_close(&then.at, f->sess, side_of(flow_direction(f, client)),
                       f->first_close > 2 ? MQTTKA_CLOSE_RST : MQTTKA_CLOSE_FIN);
}

static OUT_OF_LINE void fin_acked(push_ctx *pc, const mqttka_segment *seg, uint32_t end);

/* A FIN of the peer that the capture missed, told by this side's ACK: it
 * covers exactly one sequence number past all the data the peer sent (its
 * stream seen whole, or, when it was never captured, past what this side
 * acknowledged before). No MQTT or WebSocket segment is one byte long, so a
 * step of one is the FIN. The peer closed before this segment. The test is
 * inline and the FIN it finds out of line (fin_acked), as in note_bare_ack
 * and note_limit: every ACK takes the test, so it is part of the packet
 * path; what it rarely finds would make that path's function larger. */
static inline void fin_by_ack(push_ctx *pc, const mqttka_segment *seg)
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
    if (seg->ack == end + 1)
        fin_acked(pc, seg, end);
}

/* fin_by_ack's FIN, at `end` of the peer's stream. */
static void fin_acked(push_ctx *pc, const mqttka_segment *seg, uint32_t end)
{
    struct flow *f = pc->f;
    int peer = 1 - pc->side;
    f->fin[peer] = true;
    tcp_stream_fin_at(&f->tcp[peer], end);
    if (peer == f->client_side) {
        infer_disconnect(pc);
        infer_pingreq_one_sided(pc, seg);
    }
    if (f->sess)
        keepalive_on_close(&pc->at, f->sess, side_of(flow_direction(f, peer)), MQTTKA_CLOSE_FIN);
}

/* A RST without the ACK flag answers a segment of the peer (its sequence
 * number is that segment's acknowledgment, RFC 9293 3.10.7.1), and a side
 * that has sent its FIN resets only when data arrives after it (a closed
 * socket cannot take it). When the capture holds no such data (all the
 * peer's bytes were acknowledged by this side already, and the peer has not
 * closed; or the peer's side was not captured at all), the peer sent bytes
 * the capture lacks: the answer to a PINGREQ waiting now may be among them.
 * (Seen where the server answers a PINGREQ sent just before a DISCONNECT,
 * and the capture lost that answer.) */
static void rst_reveals_unseen_data(push_ctx *pc, const mqttka_segment *seg)
{
    struct flow *f = pc->f;
    int side = pc->side, peer = 1 - side;
    if ((seg->tcp_flags & MQTTKA_TCP_ACK) || !f->fin[side] || f->fin[peer] ||
        !(f->acked & (1u << side)))
        return;
    bool peer_captured = f->sides_seen & (1u << peer);
    uint32_t end;
    if (peer_captured &&
        (!tcp_stream_data_end(&f->tcp[peer], &end) || end != f->last_ack[side]))
        return;
    mqttka_direction dir = flow_direction(f, peer);
    if (f->sess->dirs[dir].lost)
        return; /* already not decoded: the rules know of its hole */
    if (peer_captured) { /* else one_sided says the whole direction is missing */
        const char *resetter = sender_name(flow_direction(f, side));
        emit_finding(&pc->at, f->sess, MQTTKA_F_CAPTURE_GAP, dir, 0, false, 0,
                     "%s stream: bytes missing from the capture after the %s's FIN; the %s's "
                     "RST answers them (their size is not known)",
                     sender_name(dir), resetter, resetter);
    }
    keepalive_on_gap(&pc->at, f->sess, dir);
}

/* The gaps the waiting bare ACKs reveal, declared now (flow_rare's
 * ack_wait_since says why they wait). */
static void resolve_acks(push_ctx *pc, uint8_t sides)
{
    struct flow *f = pc->f;
    const flow_rare *r = f->rare; /* made by note_bare_ack with the first bit */
    int side = pc->side;
    uint64_t tag = pc->at.tag;
    pc->at.tag = r->ack_wait_tag; /* the frame that showed the gap */
    for (int s = 0; s < 2; s++) {
        if (!(f->ack_waits & sides & (1u << s)))
            continue;
        f->ack_waits &= (uint8_t)~(1u << s);
        if (f->proto == PROTO_NONE)
            continue;
        pc->side = s;
        pc->ack_ts = r->ack_pending_since[s];
        tcp_stream_acked(&f->tcp[s], r->ack_pending[s], &stream_sink, pc);
    }
    pc->side = side;
    pc->ack_ts = MQTTKA_TIME_NONE;
    pc->at.tag = tag;
}

/* A bare ACK from the peer of `stream_side`: remembered if it runs ahead
 * of that stream's data. False when there is no memory to wait with: the
 * caller then delivers it at once, as an ACK that comes with data (its gap
 * declared now; data the capture shows late comes after it, as before bare
 * ACKs waited). (Not delivered here: a third call of tcp_stream_acked
 * keeps the compiler from inlining it into the packet path, 10
 * instructions a packet.) */
static OUT_OF_LINE bool wait_bare_ack(push_ctx *pc, int stream_side, uint32_t ack);

static inline bool note_bare_ack(push_ctx *pc, int stream_side, uint32_t ack)
{
    struct flow *f = pc->f;
    if (!tcp_stream_ack_ahead(&f->tcp[stream_side], ack)) {
        f->ack_waits &= (uint8_t)~(1u << stream_side); /* the data has caught up */
        return true;
    }
    return wait_bare_ack(pc, stream_side, ack);
}

/* note_bare_ack's ACK that runs ahead of its data. */
static bool wait_bare_ack(push_ctx *pc, int stream_side, uint32_t ack)
{
    struct flow *f = pc->f;
    uint8_t bit = (uint8_t)(1u << stream_side);
    flow_rare *r = flow_rare_of(f);
    if (!r)
        return false;
    if (!f->ack_waits) {
        /* the window counts from the first ACK that waits (a time of 0 or
         * less as 1: 0 once meant "none waits", and the deadlines stay
         * where they were) */
        r->ack_wait_since = pc->at.ts > 0 ? pc->at.ts : 1;
        r->ack_wait_tag = pc->at.tag;
    }
    if (!(f->ack_waits & bit))
        r->ack_pending_since[stream_side] = pc->at.ts;
    if (!(f->ack_waits & bit) || (int32_t)(ack - r->ack_pending[stream_side]) > 0)
        r->ack_pending[stream_side] = ack;
    f->ack_waits |= bit;
    return true;
}

void flow_acks_due(push_ctx *pc, mqttka_time now)
{
    struct flow *f = pc->f;
    if (f->ack_waits && now - f->rare->ack_wait_since >= FLOW_ACK_REORDER_WINDOW)
        resolve_acks(pc, 3);
}

/* The peer's acknowledgment of `side`'s segment delivers the peer's stream
 * up to it (or the gap it reveals). The context names the side being
 * delivered: the peer's for the ACK, then this one's again. (Changed in
 * place, not copied: a copy is read back in wide loads right after its
 * narrow stores, which stalls on store forwarding.) */
static OUT_OF_LINE void deliver_acked(push_ctx *pc, int side, uint32_t ack);

static inline void deliver_ack(push_ctx *pc, int side, uint32_t ack)
{
    struct flow *f = pc->f;
    if (f->ack_waits & (1u << (1 - side)))
        resolve_acks(pc, (uint8_t)(1u << (1 - side)));
    /* An ACK of nothing new (most are) leaves the stream as it is: tested
     * here, inline; a delivery, with the context changed for it, out of
     * line. */
    if (tcp_stream_ack_ahead(&f->tcp[1 - side], ack))
        deliver_acked(pc, side, ack);
}

static void deliver_acked(push_ctx *pc, int side, uint32_t ack)
{
    struct flow *f = pc->f;
    pc->side = 1 - side;
    pc->ack_ts = pc->at.ts;
    tcp_stream_acked(&f->tcp[1 - side], ack, &stream_sink, pc);
    pc->ack_ts = MQTTKA_TIME_NONE;
    pc->side = side;
}

/* The peer acknowledging the first close of a flow with no session
 * (first_close): an open connection's FIN, adopted if its server is
 * proven. (sess and syn_seen are tested first: first_close lies on a
 * line the packet path does not otherwise touch.) */
static void first_close_acked(push_ctx *pc, const mqttka_segment *seg, int side)
{
    struct flow *f = pc->f;
    uint8_t flags = seg->tcp_flags;
    if (!f->sess && !f->syn_seen && f->first_close && !f->rare->first_close_acked &&
        side != ((f->first_close - 1) & 1) && (flags & MQTTKA_TCP_ACK) &&
        !(flags & MQTTKA_TCP_RST) && seg->ack == f->rare->first_close_seq + 1) {
        f->rare->first_close_acked = true;
        if (pc->env->sink.servers.n)
            adopt_closed(pc);
    }
}

/* What flow_push_segment does with the commonest segment: an ACK, with or
 * without data, with no SYN, FIN or RST, on a flow both of whose sides the
 * capture holds and where no bare ACK waits for its data. Its other steps
 * need a flag such a segment lacks, a side not captured or a wait; these
 * are the ones left, in the same order. A bare ACK pushes nothing into its
 * own stream: tcp_stream_push does nothing with no byte, SYN or FIN. */
static bool push_steady(push_ctx *pc, const mqttka_segment *seg, int side)
{
    struct flow *f = pc->f;
    fin_by_ack(pc, seg);
    f->last_ack[side] = seg->ack;
    f->acked |= (uint8_t)(1u << side);
    if (f->proto != PROTO_NONE) {
        if (!seg->wire_len) {
            if (!note_bare_ack(pc, 1 - side, seg->ack))
                deliver_ack(pc, side, seg->ack);
        } else {
            deliver_ack(pc, side, seg->ack);
            if (f->proto != PROTO_NONE) {
                tcp_push_result r = tcp_stream_push(&f->tcp[side], &pc->env->stream_limits,
                                                    seg->seq, false, false, seg->payload,
                                                    seg->captured_len, seg->wire_len,
                                                    &stream_sink, pc);
                note_limit(pc, r);
                if ((f->ack_waits & (1u << side)) &&
                    !tcp_stream_ack_ahead(&f->tcp[side], f->rare->ack_pending[side]))
                    f->ack_waits &= (uint8_t)~(1u << side); /* its data came */
            }
        }
    }
    first_close_acked(pc, seg, side);
    return f->fin[0] && f->fin[1];
}

static bool push_any(push_ctx *pc, const mqttka_segment *seg);

bool flow_push_segment(push_ctx *pc, const mqttka_segment *seg)
{
    struct flow *f = pc->f;
    int side = pc->side & 1;
    if (FAST_PATHS &&
        (seg->tcp_flags & (MQTTKA_TCP_SYN | MQTTKA_TCP_FIN | MQTTKA_TCP_RST | MQTTKA_TCP_ACK)) ==
            MQTTKA_TCP_ACK &&
        f->sides_seen == 3 && !f->ack_waits)
        return push_steady(pc, seg, side);
    return push_any(pc, seg);
}

/* flow_push_segment for any segment. */
static OUT_OF_LINE bool push_any(push_ctx *pc, const mqttka_segment *seg)
{
    struct flow *f = pc->f;
    /* 0 or 1; said so, since the sanitizers' shift checks leave GCC 12
     * thinking it may be up to 31 (-Warray-bounds) */
    int side = pc->side & 1;
    uint8_t flags = seg->tcp_flags;
    if (flags & MQTTKA_TCP_SYN) {
        f->syn_seen = true;
        if (f->client_side < 0)
            f->client_side = (int8_t)((flags & MQTTKA_TCP_ACK) ? 1 - side : side);
        /* A SYN-ACK whose SYN the capture missed says where the client's
         * data starts: a first client segment beyond it (its CONNECT lost)
         * is then a hole, and the flow is probed, not judged by a packet
         * from its middle as if it opened the connection. It is applied
         * when the client's first segment comes: until then the server's
         * ACKs of that stream tell no hole (a capture of the server's side
         * only has none to tell). */
        flow_rare *r;
        if ((flags & MQTTKA_TCP_ACK) && f->proto != PROTO_NONE &&
            !(f->sides_seen & (1u << (1 - side))) && (r = flow_rare_of(f))) {
            r->client_start = seg->ack;
            r->client_start_known = true;
        }
    }
    if (!(f->sides_seen & (1u << side))) {
        f->sides_seen |= (uint8_t)(1u << side);
        if (f->sess)
            f->sess->dirs_seen |= (uint8_t)(1u << flow_direction(f, side));
        if (f->rare && f->rare->client_start_known && side == f->client_side)
            tcp_stream_expect(&f->tcp[side], f->rare->client_start);
    }
    if (flags & MQTTKA_TCP_ACK) {
        fin_by_ack(pc, seg);
        uint32_t prev_ack = f->last_ack[side];
        bool had_ack = (f->acked & (1u << side)) != 0;
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
        /* Where the client's side is not captured, the server's ACKs tell
         * how much the client sent (infer_disconnect) and when it pinged
         * (keepalive_on_client_bytes_acked). */
        if (s && f->client_side >= 0 && side != f->client_side &&
            !(f->sides_seen & (1u << f->client_side))) {
            session_rare *r = had_ack && prev_ack != seg->ack ? session_rare_of(s) : NULL;
            if (r) {
                r->server_ack_step = seg->ack - prev_ack;
                r->server_ack_step_ts = pc->at.ts;
                r->server_ack_step_tag = pc->at.tag;
                r->server_sent_since_step = false;
                r->server_ack_known = true;
                if (s->confirmed)
                    keepalive_on_client_bytes_acked(&pc->at, s, r->server_ack_step);
            }
        }
    }

    if (f->proto != PROTO_NONE) {
        /* Bare ACKs that ran ahead of the data: their data had its time, or
         * this segment ends the connection, or is data that does not
         * continue its stream where it stands. */
        if (f->ack_waits) {
            if ((flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST)) ||
                pc->at.ts - f->rare->ack_wait_since >= FLOW_ACK_REORDER_WINDOW)
                resolve_acks(pc, 3);
            else if (seg->wire_len && (f->ack_waits & (1u << side)) &&
                     seg->seq != f->tcp[side].next_seq)
                resolve_acks(pc, (uint8_t)(1u << side)); /* not where the data stands */
        }
        /* The ACK first: it tells what the peer had received before this
         * segment was sent, so holes it reveals come before this data. A
         * bare ACK waits a moment for its data (flow_rare's ack_wait_since). */
        if ((flags & MQTTKA_TCP_ACK) && !seg->wire_len &&
            !(flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST)) && note_bare_ack(pc, 1 - side, seg->ack)) {
            /* it waits, or its data has come */
        } else if (flags & MQTTKA_TCP_ACK) {
            deliver_ack(pc, side, seg->ack);
        }
        if (f->proto != PROTO_NONE) {
            tcp_push_result r = tcp_stream_push(&f->tcp[side], &pc->env->stream_limits, seg->seq,
                                                (flags & MQTTKA_TCP_SYN) != 0,
                                                (flags & MQTTKA_TCP_FIN) != 0, seg->payload,
                                                seg->captured_len, seg->wire_len, &stream_sink,
                                                pc);
            note_limit(pc, r);
            if ((f->ack_waits & (1u << side)) &&
                !tcp_stream_ack_ahead(&f->tcp[side], f->rare->ack_pending[side]))
                f->ack_waits &= (uint8_t)~(1u << side); /* its data came */
        }
    }

    first_close_acked(pc, seg, side);
    /* The flow's first close, before anything proved it MQTT: it may be a
     * late-joined connection of a proven server, whose close is then told
     * like any other's. */
    if ((flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST)) && !f->sess && !f->fin[0] && !f->fin[1] &&
        !f->rst && !f->syn_seen) {
        if (pc->env->sink.servers.n)
            (void)adopt_by_server(pc);
        flow_rare *r;
        /* kept in case its server is proven later (out of memory: not) */
        if (!f->sess && (r = flow_rare_of(f))) {
            f->first_close = (uint8_t)(1 + side + ((flags & MQTTKA_TCP_RST) ? 2 : 0));
            r->first_close_ts = pc->at.ts;
            r->first_close_tag = pc->at.tag;
            r->first_close_seq = seg->seq + (uint32_t)seg->wire_len; /* mod 2^32 */
            r->first_close_acked = false;
            r->first_close_has_ack = (flags & MQTTKA_TCP_ACK) != 0;
        }
    }
    mqttka_side who = side_of(flow_direction(f, side));
    if (f->proto == PROTO_TLS && (flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST)))
        tls_infer_close(flow_tls(f), who, (flags & MQTTKA_TCP_RST) ? MQTTKA_CLOSE_RST : MQTTKA_CLOSE_FIN,
                        pc->at.ts);
    if (seg->wire_len && f->client_side >= 0 && side != f->client_side &&
        !(f->sides_seen & (1u << f->client_side)) && f->sess && f->sess->rare)
        f->sess->rare->server_sent_since_step = true;
    if ((flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST)) && side != f->client_side)
        infer_disconnect(pc);
    if ((flags & MQTTKA_TCP_FIN) && !f->fin[side]) {
        f->fin[side] = true;
        /* The stream ends here, if nothing before the FIN is missing: a
         * packet cut off by it is told now. */
        session *s = f->sess;
        if (s && s->confirmed && tcp_stream_complete(&f->tcp[side]) &&
            (f->proto == PROTO_WEBSOCKET || f->proto == PROTO_MQTT_TCP))
            route_end(&pc->at, s, flow_direction(f, side));
        if (s && side == f->client_side)
            infer_pingreq_tail_hole(pc, seg);
        if (s) /* unconfirmed too: a failed handshake still gets its verdict */
            keepalive_on_close(&pc->at, s, who, MQTTKA_CLOSE_FIN);
    }
    if (flags & MQTTKA_TCP_RST) {
        f->rst = true;
        if (f->sess) {
            if (side == f->client_side && !f->fin[side])
                infer_pingreq_tail_hole(pc, seg);
            rst_reveals_unseen_data(pc, seg);
            keepalive_on_close(&pc->at, f->sess, who, MQTTKA_CLOSE_RST);
        }
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
    tls_infer_finish(flow_tls(f), &pc->env->cfg, f->last_ts, &inf, findings);
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
    if (f->ack_waits) {
        push_ctx p = *pc;
        resolve_acks(&p, 3);
    }
    for (int side = 0; side < 2; side++) {
        if (f->proto == PROTO_NONE)
            break;
        push_ctx p = *pc;
        p.side = side;
        tcp_stream_flush(&f->tcp[side], &stream_sink, &p, &pc->env->stream_limits);
    }
    /* Never proved by its end: a late-joined connection of a server proven
     * since, too quiet to prove itself, gets its first close as it came.
     * (A flow that ended before the proof stays not analysed, but for one
     * of nothing but its close, which the analyzer keeps to its end:
     * flow_adoptable_later; so does one whose close was only told by an
     * ACK.) */
    if (!f->sess && !f->syn_seen && pc->env->sink.servers.n) {
        if (f->first_close)
            adopt_closed(pc);
        else if (!(f->fin[0] || f->fin[1] || f->rst))
            (void)adopt_by_server(pc);
    }
    if (!f->sess && !f->syn_seen && f->first_close)
        prove_lone_packet(pc);
    if (f->proto == PROTO_TLS && flow_tls(f)) {
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
    if (flow_tls_dec(f)) {
        tls_decrypt_info(f->rare->tls_dec, &tls);
        sum.tls = &tls;
    }
    mqttka_event ev;
    event_init(&ev, &pc->at, s, MQTTKA_EV_CONNECTION, MQTTKA_C2S);
    ev.u.summary = &sum;
    emit_event(&pc->at, &ev);
    free(findings);
}
