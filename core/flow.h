/*
 * flow.h - one TCP flow: its two directions reassembled, what it carries
 * decided from its first bytes, and its bytes routed to the decoders and
 * the rules:
 *
 *   TCP segment --tcp_stream--> in-order bytes per side
 *     PROTO_UNKNOWN   the first bytes decide (detect.c)
 *     PROTO_HTTP      plain keep-alive exchanges, then the Upgrade request
 *                     and its answer (handshake.c)
 *     PROTO_WEBSOCKET frames -> MQTT -> rules (route.c)
 *     PROTO_MQTT_TCP  bytes -> MQTT -> rules (route.c)
 *   FIN and RST -> the close rules (keepalive.c); the end -> the summary
 *   (verdict.c)
 *
 * The client is the side that sent the SYN or, without one, the side whose
 * stream starts with the request or the CONNECT.
 */
#ifndef MQTTKA_FLOW_H
#define MQTTKA_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "between.h"
#include "detect.h"
#include "emit.h"
#include "handshake.h"
#include "mqttka.h"
#include "probe.h"
#include "session.h"
#include "tcp_stream.h"
#include "text_pool.h"
#include "tls_infer.h"
#include "tls_keylog.h"

/* What a flow turned out to carry. */
typedef enum flow_proto {
    PROTO_UNKNOWN = 0, /* waiting for the first payload bytes */
    PROTO_HTTP,        /* WebSocket opening handshake in progress (after plain
                          keep-alive exchanges, if any) */
    PROTO_WEBSOCKET,   /* upgraded: frames in both directions */
    PROTO_MQTT_TCP,    /* MQTT straight over TCP */
    PROTO_PROBE,       /* joined late, or bytes lost before the first were decoded:
                          looking for proof of MQTT framing (probe.c) */
    PROTO_NONE,        /* not ours: payload is ignored */
    PROTO_TLS,         /* TLS seen from its start: record headers followed (tls_infer.c),
                          reported as not analysed "tls" with an inference event */
} flow_proto;

/* What few flows need: made when first needed (flow_rare_of), one pointer
 * in the flow, freed with it. A bare ACK that runs ahead of the data is
 * capture reordering or a lost segment, and TLS is one flow in many in a
 * broker capture; kept in every flow, these 40 bytes took it past three
 * cache lines (216 bytes: a fourth line in the flow table's pool, 64 bytes
 * a connection). */
typedef struct flow_rare {
    /* When a bare ACK first covered bytes the capture had not shown yet
     * (set while flow.ack_waits is not 0). A capture can hold a bare ACK
     * before the data it acknowledges (a NIC with several queues stamps
     * each on its own), so the gap it reveals is declared only if the data
     * has not come FLOW_ACK_REORDER_WINDOW later, or at a FIN, RST, the
     * peer's data or the end (flow_acks_due). */
    mqttka_time ack_wait_since;
    uint64_t ack_wait_tag;            /* the frame of the first such ACK */
    uint32_t ack_pending[2];          /* by side: how far, while it waits */
    /* by side: when its first waiting ACK came, while it waits (the time
     * that bounds when lost bytes arrived: flow.c, note_tail_hole) */
    mqttka_time ack_pending_since[2];
    struct tls_infer *tls;            /* only for PROTO_TLS */
    struct tls_decrypt *tls_dec;      /* TLS decrypted with the key log: the stream's bytes go
                                         through it, its plaintext into the pipeline */
    /* The first close of a flow with no SYN and no session (flow.first_close
     * says who and how): its time, and its FIN's sequence number and whether
     * the peer acknowledged it (an ACK of it, not an RST: a FIN to no
     * connection, a FIN scan's, gets an RST or nothing). */
    mqttka_time first_close_ts;
    uint64_t first_close_tag;
    uint32_t first_close_seq;
    bool first_close_acked;
    bool first_close_has_ack;         /* the close itself carried ACK (an RST's, flow.c) */
    /* A SYN-ACK whose SYN the capture missed: where the client's data
     * starts (its ACK), applied at the client's first segment (flow.c) */
    bool client_start_known;
    uint32_t client_start;
} flow_rare;

/* The packet path reads what comes up to ack_waits (the lookup, the flags,
 * the session pointer, the TCP state, whether a bare ACK waits: 128 bytes
 * on LP64, two cache lines as the flow table places it); the rest is
 * touched when a flow opens, closes or is detected, or data is delivered
 * (had_data, rare for the decryption). A broker capture holds one per
 * connection: three cache lines (see the assertion below). */
struct flow {
    mqttka_endpoint ep[2];            /* ep[0] sent the first segment seen */
    int8_t client_side;               /* -1 until known */
    uint8_t proto;                    /* a flow_proto */
    bool fin[2];                      /* by side */
    bool rst;
    bool limit_reported;
    bool syn_seen;                    /* the capture saw the connection open */
    uint8_t sides_seen;               /* 1 << side of every side a segment came from */
    session *sess;                    /* once the stream is ours */
    tcp_stream tcp[2];                /* by side: tcp[s] carries ep[s] -> ep[1-s] */
    mqttka_time last_ts;              /* also what eviction goes by */
    uint64_t last_tag;
    /* 1 << side of the streams a bare ACK ran ahead of (their wait in
     * rare, which exists while this is not 0): read by every segment */
    uint8_t ack_waits;

    mqttka_time first_ts;
    uint64_t first_tag;
    detect_prefix *prefix;            /* only while detection waits */
    http_handshake *http;             /* only during the handshake */
    probe *probe;                     /* only while PROTO_PROBE looks for proof */
    flow_rare *rare;                  /* ACK-reorder wait, TLS; NULL until first needed */
    bool had_data;                    /* some payload was seen */
    uint8_t outcome;                  /* why it is not ours: a mqttka_not_analysed */
    uint8_t acked;                    /* 1 << side of every side that sent an ACK */
    /* A flow with no SYN and no session at its first FIN or RST: 1 + the
     * side that sent it, + 2 for an RST (0: none); the rest in rare, which
     * exists while this is not 0. A late-joined connection whose server is
     * proven MQTT after its close gets its close from these at the end
     * (flow.c: adopt_by_server). */
    uint8_t first_close;
    uint32_t last_ack[2];             /* by side: what it acknowledged last */
    /* Opened, with no SYN, by a segment of an address pair whose flow had
     * ended shortly before (the second RST of a reset, data in flight):
     * a remnant, never a late-joined connection to adopt. */
    bool after_end;
};

/* Three cache lines in the flow table's 64-byte-aligned pool (a fourth is
 * 64 bytes a connection, 6 % of the memory benchmark's budget): put a new
 * rarely used field in flow_rare. The packet path's part stays in the
 * first two. */
_Static_assert(sizeof(struct flow) <= 3 * 64, "struct flow grew past three cache lines");
_Static_assert(offsetof(struct flow, ack_waits) < 2 * 64, "the packet path's part of a flow");

/* How long a bare ACK may come before the data it acknowledges: capture
 * reordering across NIC queues is far shorter; a missed segment's ACK
 * still makes its gap known long before any keepalive deadline. */
#define FLOW_ACK_REORDER_WINDOW 50000 /* microseconds */

/* How soon after acknowledging a DISCONNECT-sized step of the client's
 * stream a server's close makes it an inferred DISCONNECT (flow.c,
 * infer_disconnect): a server closes at once on a DISCONNECT (mosquitto
 * within a millisecond), far sooner than any unrelated close would fall on
 * a ping-sized step by chance. */
#define INFERRED_DISCONNECT_WINDOW 200000 /* microseconds */

/* The client bytes a server's ACK must cover before its stream opens with
 * a CONNACK, for a capture of the server's side only to count the CONNECT
 * it answers (probe_opens_answer): the least CONNECT (a 2-byte fixed
 * header, 12 bytes of variable header and an empty client id), and at most
 * what no client sends before its CONNACK comes (a CONNECT and a few
 * packets; more is a sequence number that wrapped or lies). */
#define MQTT_CONNECT_MIN_BYTES 14u
#define MQTT_CONNECT_MAX_FIRST_BYTES (1u << 20)

/* What every flow's pipeline shares: owned by the analyzer, lent to each
 * segment. */
typedef struct flow_env {
    mqttka_config cfg;
    event_sink sink;
    text_pool texts;        /* the sink's: finding details, WebSocket choices */
    session_pools sessions;
    size_t total_buffered;  /* out-of-order bytes queued in every flow */
    /* The TCP streams' caps from cfg, with &total_buffered: made once
     * (flow_env_set_stream_limits), not for every segment pushed. */
    tcp_stream_limits stream_limits;
    id_table clients;   /* client ids across connections (between.h) */
    tls_log_budget tls_budget; /* the TLS record logs' bytes, all flows (tls_infer.h) */
    tls_keylog keylog;         /* secrets for decrypting TLS (mqttka_set_tls_keylog) */
    tls_log_budget tls_decrypt_budget; /* the decrypting flows' bytes (tls_decrypt.h) */
} flow_env;

/* The segment being processed. */
typedef struct push_ctx {
    rule_ctx at;           /* what the rules see: the env's config and sink, the time */
    flow_env *env;
    struct flow *f;
    int side;              /* the flow side whose stream is being delivered */
    /* while the peer's acknowledgment delivers that stream: when the peer
     * sent it (the first ACK that waited, for one that did); else
     * MQTTKA_TIME_NONE, the stream's own segment delivering it */
    mqttka_time ack_ts;
} push_ctx;

/* Points `pc`, whose environment is set, at a segment of flow `f`'s `side`
 * (the analyzer keeps one context and aims it at each segment pushed:
 * building one whole every time costs twice the stores). */
static inline void push_ctx_aim(push_ctx *pc, struct flow *f, int side, mqttka_time ts,
                                uint64_t tag)
{
    pc->at.ts = ts;
    pc->at.tag = tag;
    pc->at.now_tag = tag;
    pc->f = f;
    pc->side = side;
    pc->ack_ts = MQTTKA_TIME_NONE;
}

static inline push_ctx push_ctx_make(flow_env *env, struct flow *f, int side, mqttka_time ts,
                                     uint64_t tag)
{
    push_ctx pc = {{&env->cfg, &env->sink, &env->clients, 0, 0, 0}, env, NULL, 0, 0};
    push_ctx_aim(&pc, f, side, ts, tag);
    return pc;
}

/* The context of `pc`'s flow as it was at an earlier time and frame (a
 * segment held back, a close told as it came), for what is decided now:
 * what it emits is known at pc's frame. */
static inline push_ctx push_ctx_then(const push_ctx *pc, int side, mqttka_time ts, uint64_t tag)
{
    push_ctx then = push_ctx_make(pc->env, pc->f, side, ts, tag);
    then.at.now_tag = pc->at.now_tag;
    return then;
}

/* Fills env->stream_limits from env->cfg: once cfg is set, before the
 * first segment. env must not move afterwards (the limits point into it). */
void flow_env_set_stream_limits(flow_env *env);

/* Makes *f a new flow between src (side 0) and dst, nothing seen yet. */
void flow_init(struct flow *f, const mqttka_endpoint *src, const mqttka_endpoint *dst);

/* Processes one segment of side pc->side. Returns true when it ended the
 * flow (RST, or both FINs). pc->side changes while the ACK is delivered,
 * and is restored. */
bool flow_push_segment(push_ctx *pc, const mqttka_segment *seg);

/* Ends a flow: flushes its streams and, for a session, emits the end
 * findings and the summary. Does not free it. */
void flow_end(const push_ctx *pc);

/* Declares the gaps of bare ACKs that have waited FLOW_ACK_REORDER_WINDOW
 * by `now` for their data (the clock moves without this flow's segments). */
void flow_acks_due(push_ctx *pc, mqttka_time now);

/* Frees what the flow holds (not the flow itself). */
void flow_free_contents(flow_env *env, struct flow *f);

/* The flow's rare part, made (zeroed) on first use; NULL only when out of
 * memory, the flow unchanged. */
flow_rare *flow_rare_of(struct flow *f);

/* What the flow came to, once it has ended: -1 when it was reported as an
 * MQTT connection, else why not (a mqttka_not_analysed). A flow dropped for
 * a cap before its protocol was known is a resource limit's. */
int flow_outcome(const struct flow *f, bool dropped);

/* Whether an ended flow (an RST, or both FINs) holding nothing but its close
 * could still become a proven server's MQTT connection (flow.c:
 * adopt_by_server) once a later connection proves its server: neither
 * endpoint is proven yet, and its close is one that proves a connection
 * (an acknowledged FIN, an RST with ACK). The analyzer keeps such a flow
 * until the end (analyzer.c: parked). */
bool flow_adoptable_later(const flow_env *env, const struct flow *f);

/* A flow in the table that has ended (an RST, or both FINs): one the
 * analyzer keeps past its end (flow_adoptable_later); every other flow is
 * ended and forgotten as it ends. Reads only the packet path's first line. */
static inline bool flow_ended(const struct flow *f)
{
    return f->rst || (f->fin[0] && f->fin[1]);
}

mqttka_direction flow_direction(const struct flow *f, int side);

/* Cache hint: the lines of the session a segment of `side` will touch (all
 * of them; a WebSocket session's frame decoder of that side too). */
void flow_prefetch_session(const struct flow *f, int side);

#endif
