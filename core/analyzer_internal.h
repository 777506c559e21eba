/*
 * analyzer_internal.h - the analyzer's private state, shared by its files.
 *
 *   analyzer.c    public API: new/free/push/push_batch/tick/finish, events
 *   flow_table.c  flows by address pair (open addressing), sampled eviction
 *   connection.c  per-flow pipeline: TCP stream -> HTTP Upgrade -> WebSocket
 *                 -> MQTT stream, and protocol detection on any port
 *   keepalive.c   the MQTT keepalive rules (FINDINGS.md: Negotiation,
 *                 Cadence and pings)
 *   verdict.c     why the connection ended, and the summary figures
 *
 * Memory: a flow that carries neither MQTT nor a WebSocket handshake costs
 * one `struct flow`; the session (MQTT state, decoders) is allocated only
 * when the stream proves to be ours. Nothing is sized from the wire.
 */
#ifndef MQTTKA_ANALYZER_INTERNAL_H
#define MQTTKA_ANALYZER_INTERNAL_H

#include <string.h>

#include "mqttka.h"
#include "block_pool.h"
#include "http_upgrade.h"
#include "mqtt_decoder.h"
#include "tcp_stream.h"
#include "text_pool.h"
#include "ws_decoder.h"

/* What a flow turned out to carry. */
typedef enum flow_proto {
    PROTO_UNKNOWN = 0, /* waiting for the first payload bytes */
    PROTO_HTTP,        /* WebSocket opening handshake in progress */
    PROTO_WEBSOCKET,   /* upgraded: frames in both directions */
    PROTO_MQTT_TCP,    /* MQTT straight over TCP */
    PROTO_NONE,        /* not ours: payload is ignored */
} flow_proto;

/* Longest prefix needed to recognise a stream: "GET " or an MQTT CONNECT
 * up to its protocol name (mqtt_looks_like_connect needs at most 13). */
#define DETECT_PREFIX_MAX 16

/* PINGREQs awaiting a PINGRESP. Real clients keep one outstanding; the cap
 * stops a client flooding PINGREQs from growing state. */
#define PINGQ_MAX 4

/* RTT samples kept for median and p95 (the most recent ones): per-connection
 * memory must not grow with capture duration, and must stay small for a
 * broker's hundred thousand clients. min, max and count are exact. */
#define RTT_SAMPLES_MAX 32

/* Emission cap per finding kind and connection: a hostile stream repeating
 * one violation must not flood the output (pingresp_rtt is exempt). */
#define FINDINGS_PER_KIND_MAX 64

typedef struct http_handshake {
    uint8_t *buf[2];        /* header blocks being collected, per side */
    size_t len[2];
    bool request_done;
    bool response_done;
    http_upgrade_request request;
    mqttka_time request_ts;
    uint64_t request_tag;
} http_handshake;

/* Capture times are taken as they come only within about 36,000 years of
 * the epoch: a damaged pcapng can carry any 64-bit timestamp, and the
 * difference of two times anywhere in int64 overflows. Within +-2^60 us the
 * difference of any two times is under 2^61, which leaves room for the
 * rules' arithmetic on it (a difference less a configured timeout, a time
 * plus a keepalive deadline) without overflow. analyzer.c clamps every time
 * it is given to this. */
#define TIME_LIMIT (((mqttka_time)1 << 60) - 1)

/* A PINGREQ awaiting its PINGRESP, in 16 bytes (a session keeps PINGQ_MAX):
 * its time, which TIME_LIMIT bounds, shares 64 bits with two flags. Read
 * and written through the ping_ functions below. */
typedef struct ping_pending {
    uint64_t ts_flags; /* (ts + TIME_LIMIT) << 2 | PING_* */
    uint64_t tag;
} ping_pending;

#define PING_WARNED 1u                 /* reported as overtaken by a later PINGREQ */
#define PING_UNANSWERED_AT_CLOSE 2u    /* reported as never answered */

static inline ping_pending ping_make(mqttka_time ts, uint64_t tag)
{
    ts = ts > TIME_LIMIT ? TIME_LIMIT : ts < -TIME_LIMIT ? -TIME_LIMIT : ts;
    ping_pending p = {(uint64_t)(ts + TIME_LIMIT) << 2, tag};
    return p;
}

static inline mqttka_time ping_ts(const ping_pending *p)
{
    return (mqttka_time)(p->ts_flags >> 2) - TIME_LIMIT;
}

static inline bool ping_has(const ping_pending *p, unsigned flag)
{
    return (p->ts_flags & flag) != 0;
}

static inline void ping_set(ping_pending *p, unsigned flag)
{
    p->ts_flags |= flag;
}

typedef struct ws_ping_pending {
    bool outstanding;
    uint64_t payload_hash;
    size_t payload_len;
    mqttka_time ts;
    uint64_t tag;
} ws_ping_pending;

typedef struct close_event {
    bool seen;
    mqttka_side side;
    mqttka_time ts;
    uint64_t tag;
} close_event;

/* A WebSocket whose subprotocol does not name MQTT is ours only if the
 * client's first message starts with a CONNECT: until then its handshake is
 * held here and nothing is reported, so other WebSocket traffic stays silent. */
typedef struct ws_pending {
    int status;
    bool accept_ok;
    mqttka_time ts;
    uint64_t tag;
    char path[64];
    char offered[HTTP_VALUE_MAX];
    char accept[64];
} ws_pending;

/* How a connection ended, kept apart from the session: most connections of
 * a busy capture are open at any moment, and this is 270 bytes. Made by the
 * first FIN, RST, DISCONNECT or WebSocket Close; session_end_of gives an
 * open connection's (all NONE) for reading. */
typedef struct session_end {
    close_event first_close;
    mqttka_close_mechanism first_close_mechanism;
    close_event disconnect;
    int32_t disconnect_reason;
    close_event ws_close;
    int32_t ws_close_code;
    char ws_close_reason[64];
    bool server_closed_any;   /* the server closed (FIN, RST or WS Close) */
    mqttka_time server_close_ts;
    /* snapshots taken at the first close, for the verdict */
    mqttka_time silence_at_close;     /* NONE when timing is not trustworthy */
    mqttka_time oldest_ping_at_close; /* NONE when no PINGREQ was outstanding */
    uint64_t oldest_ping_tag_at_close;
    bool last_client_was_pingreq_at_close;
    mqttka_time last_pingreq_at_close;
    mqttka_time last_data_at_close;   /* payload seen before the close */
} session_end;

/* A finding kept for the connection's summary: a mqttka_finding is 304
 * bytes, most of it the detail buffer, and most connections keep one for
 * the life of the connection, with the same detail as thousands of others
 * (keepalive_negotiated): the detail is held in the analyzer's text pool. */
typedef struct stored_finding {
    mqttka_time ts;
    uint64_t tag, reported_tag;
    double value;
    const char *detail; /* held in mqttka_analyzer.texts */
    uint8_t kind, severity, dir;
    bool has_value;
} stored_finding;

/* One direction of a session: its MQTT stream and what the packet path
 * checks beside it, in one cache line. */
typedef struct session_direction {
    mqtt_stream mqtt;
    bool lost;                /* stream skipped after a gap or a fatal error */
    bool msg_compressed;      /* the current WebSocket message has RSV1 */
    bool text_reported;
    bool compressed_reported;
    bool mask_reported;
} session_direction;
_Static_assert(sizeof(session_direction) <= 64, "a session direction is one cache line");

/* Laid out for the packet path: a broker capture has tens of thousands of
 * sessions, so each packet's visit is a few cache misses, and what every
 * packet reads or writes comes first and together (flags and client times,
 * the public view whose id every event shows, the MQTT decoders, the packet
 * counters); what only the handshake, pings, closes and the summary need
 * comes after, and a WebSocket session's frame decoders last (ws_session).
 * mqttka_push_batch prefetches exactly these lines (see
 * flow_prefetch_session), so the session is allocated 64-byte aligned (from
 * the analyzer's block pools) and its parts start on line boundaries. What
 * few connections need (WebSocket pings, RTT samples past the first, packet
 * counts past 65535, a close) is allocated when it is first needed. */
#define SESSION_ALIGN 64
typedef struct session {
    /* ---- every packet: one line ---- */
    bool confirmed;           /* reported: MQTT, or an MQTT WebSocket handshake */
    bool not_mqtt;            /* proved not ours: freed once the decoders return */
    bool ws_active;           /* ws[] decode this session's frames */
    bool ws_deflate;          /* permessage-deflate negotiated */
    bool timing_off;          /* a direction is lost: timing verdicts suppressed */
    bool connect_seen;
    bool connack_seen;
    bool accepted;            /* the CONNACK accepted the connection */
    bool gap_in_silence;      /* a capture gap since the last client packet */
    bool silence_ka_ticked;   /* live mode already reported this silence */
    bool silence_15_ticked;
    bool not_enforced_ticked; /* live mode already said the server let it pass */
    uint8_t last_client_type;
    /* pings and the handshake, in what the line has left */
    uint8_t pingq_len;
    bool last_pingreq_answered;
    uint8_t rtt_cap, rtt_held, rtt_next; /* rtt_ring: size, samples, next slot */
    bool mqtt_offered;        /* the client offered an "mqtt..." subprotocol */
    bool ska_ignored_reported;
    uint32_t pingreq, pingresp, pingreq_unanswered;
    mqttka_time last_client_ts;
    uint64_t last_client_tag;
    mqttka_time last_data_ts; /* last payload seen in either direction */
    mqttka_time max_client_silence;

    /* the public view, updated as we learn; its numbers (id, keepalives)
     * share one cache line */
    _Alignas(64) mqttka_connection conn;
    /* indexed by mqttka_direction, one cache line each */
    _Alignas(64) session_direction dirs[2];
    /* by direction and packet type, 32 bytes a direction: the low 16 bits
     * of each count, the high ones in packets_high once one wraps
     * (figures.c) */
    _Alignas(64) uint16_t packets[2][MQTTKA_MQTT_TYPES];

    /* ---- pings ---- */
    ping_pending pingq[PINGQ_MAX];
    mqttka_time last_pingreq_ts;
    uint32_t rtt_count;
    mqttka_time rtt_min, rtt_max;
    uint32_t *rtt_ring;         /* the latest samples, saturated at 71 minutes;
                                   none until the second (figures.c) */
    ws_ping_pending *ws_ping;   /* [2], by the direction of the Ping; allocated
                                   at the first WebSocket Ping */
    uint16_t (*packets_high)[MQTTKA_MQTT_TYPES]; /* [2], or NULL */

    /* ---- the handshake ---- */
    ws_pending *pending;      /* only while a handshake waits for the first message */

    /* ---- how it ended: allocated when it starts to (session_end_make) ---- */
    session_end *end;

    /* findings kept for the summary: no more than FINDINGS_PER_KIND_MAX of
     * each kind but pingresp_rtt (which is not kept) are ever emitted */
    stored_finding *findings;
    uint16_t n_findings, cap_findings, findings_omitted;
    uint8_t kind_emitted[MQTTKA_F_COUNT];
    /* conn.client_id when it is this short (many are), in what the last
     * line has left; a longer one is allocated */
    char client_id_short[16];
} session;

/* A session of transport MQTTKA_TRANSPORT_WEBSOCKET: the frame decoders,
 * one cache line each, follow the rest (an MQTT-over-TCP session, most of a
 * broker's, goes without these 128 bytes). Only a session made with that
 * transport is one: session_ws says which decoder. */
typedef struct ws_session {
    session base;
    _Alignas(64) ws_decoder ws[2]; /* indexed by mqttka_direction; used when ws_active */
} ws_session;

static inline ws_decoder *session_ws(session *s, mqttka_direction dir)
{
    return &((ws_session *)(void *)s)->ws[dir];
}
_Static_assert(FINDINGS_PER_KIND_MAX * MQTTKA_F_COUNT <= UINT16_MAX, "finding counts");

/* The first bytes of a side that did not yet decide what the flow carries
 * (detect), or whether a WebSocket carries MQTT (detect_ws_mqtt). Nearly
 * always the first segment decides, so this exists only while a decision
 * waits for more bytes. */
typedef struct detect_prefix {
    uint8_t bytes[2][DETECT_PREFIX_MAX];
    uint8_t len[2];
} detect_prefix;

/* The packet path reads what comes up to last_tag (the lookup, the flags,
 * the session pointer, the TCP state: 120 bytes on LP64, two or three cache
 * lines as malloc places it); the rest is touched when a flow opens, closes
 * or is detected. 152 bytes in all: a broker capture holds one per
 * connection. */
struct flow {
    mqttka_endpoint ep[2];            /* ep[0] sent the first segment seen */
    int8_t client_side;               /* -1 until known */
    uint8_t proto;                    /* a flow_proto */
    bool fin[2];                      /* by side */
    bool rst;
    bool limit_reported;
    session *sess;                    /* once the stream is ours */
    tcp_stream tcp[2];                /* by side: tcp[s] carries ep[s] -> ep[1-s] */
    mqttka_time last_ts;              /* also what eviction goes by */
    uint64_t last_tag;

    mqttka_time first_ts;
    uint64_t first_tag;
    detect_prefix *prefix;            /* only while detection waits */
    http_handshake *http;             /* only during the handshake */
};

typedef struct flow_slot {
    uint64_t hash;     /* flow_table_hash of the address pair */
    struct flow *flow; /* NULL: free */
} flow_slot;

typedef struct flow_table {
    flow_slot *slots;
    size_t n_slots; /* a power of two, at most three quarters used */
    size_t count;
    size_t evict_cursor; /* the slot where the next eviction sample starts */
    uint64_t generation; /* changes with every insertion and removal */
    /* the flows themselves, 64-byte aligned: what the packet path reads of
     * one (its first 120 bytes) is then two cache lines, never three */
    block_pool blocks;
} flow_table;

/* Visits every flow once, in no particular order; no flow may be removed
 * meanwhile (flow_table_next_to_drain is for emptying the table). */
typedef struct flow_iter {
    size_t slot;
} flow_iter;

struct mqttka_analyzer {
    mqttka_config cfg;
    mqttka_event_fn fn;
    void *user_data;
    flow_table flows;
    size_t total_buffered; /* out-of-order bytes queued in every flow */
    uint64_t next_conn_id;
    mqttka_time now;       /* the latest time seen (capture or tick) */
    text_pool texts;       /* stored finding details, WebSocket choices */
    block_pool sessions;    /* MQTT-over-TCP sessions (64-byte aligned) */
    block_pool ws_sessions; /* WebSocket sessions (ws_session) */
};

/* The context of the segment being processed, for timestamps and tags. */
typedef struct push_ctx {
    mqttka_analyzer *a;
    struct flow *f;
    int side;              /* the flow side whose stream is being delivered */
    mqttka_time ts;
    uint64_t tag;          /* 0 while finishing at the end of input */
} push_ctx;

/* flow_table.c */
bool flow_table_init(flow_table *t);
void flow_table_free(flow_table *t);
/* Finds the flow of this address pair; *side tells which side sent. */
struct flow *flow_table_find(flow_table *t, const mqttka_endpoint *src,
                             const mqttka_endpoint *dst, int *side);
/* Inserts a new flow (src as side 0); NULL when out of memory. */
struct flow *flow_table_insert(flow_table *t, const mqttka_endpoint *src,
                               const mqttka_endpoint *dst);
void flow_table_remove(flow_table *t, struct flow *f);
/* Gives a removed flow's memory back for the next one. */
void flow_table_put(flow_table *t, struct flow *f);

/* Cache hints for mqttka_push_batch, each a step closer to the state of an
 * address pair whose flow_table_hash is `hash`; none changes anything, and
 * a prefetch never faults. */
uint64_t flow_table_hash(const mqttka_endpoint *src, const mqttka_endpoint *dst);
void flow_table_prefetch_slot(const flow_table *t, uint64_t hash);
void flow_table_prefetch_flow(const flow_table *t, uint64_t hash);
struct flow *flow_table_find_hashed(flow_table *t, uint64_t hash, const mqttka_endpoint *src,
                                    const mqttka_endpoint *dst, int *side);

#if defined(MQTTKA_PREFETCH_AS_LOAD)
/* For a cache simulator, which ignores prefetches: a real load in their
 * place makes the misses that remain on the packet path stand out. */
#define PREFETCH(p) ((void)*(const volatile char *)(p))
#elif defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch((p))
#else
#define PREFETCH(p) ((void)(p))
#endif

/* The flow to drop when the table is full: the least recently active of
 * the FLOW_EVICT_SAMPLE or more flows found from the eviction cursor on
 * (all of them in a small table); NULL when the table is empty. */
struct flow *flow_table_pick_idle(flow_table *t);
void flow_iter_start(flow_iter *it);
struct flow *flow_iter_next(const flow_table *t, flow_iter *it);
/* A flow to remove next when emptying the table, NULL once it is empty:
 * removing it only moves later flows back to the cursor or past it, so
 * *cursor (start at 0) finds them all. */
struct flow *flow_table_next_to_drain(const flow_table *t, size_t *cursor);

/* connection.c */
/* Returns true when the segment ended the flow (RST, or both FINs).
 * pc->side changes while the ACK is delivered, and is restored. */
bool flow_push_segment(push_ctx *pc, const mqttka_segment *seg);
/* Ends a flow: flushes its streams and, for a session, emits end findings
 * and the summary. Does not free it. */
void flow_end(const push_ctx *pc);
void flow_release(mqttka_analyzer *a, struct flow *f);
mqttka_direction flow_direction(const struct flow *f, int side);
/* Cache hint: the session lines a segment of `side` will touch. */
void flow_prefetch_session(const struct flow *f, int side);

/* analyzer.c: emission */
void emit_event(mqttka_analyzer *a, const mqttka_event *ev);
/* Makes *ev an event of `type` about session `s`, at the current segment's
 * time and frame; the caller fills the union member. */
void event_init(mqttka_event *ev, const push_ctx *pc, const session *s, mqttka_event_type type,
                mqttka_direction dir);
/* Emits a finding for the session and keeps it for the summary. `about_tag`
 * is the frame it concerns; the reported frame is pc->tag. */
void emit_finding(const push_ctx *pc, session *s, mqttka_finding_kind kind,
                  mqttka_severity severity, mqttka_direction dir, uint64_t about_tag,
                  bool has_value, double value, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 9, 10)))
#endif
    ;
/* The same with a detail already written (for findings made on every ping,
 * where printf would cost more than the analysis). */
void emit_finding_text(const push_ctx *pc, session *s, mqttka_finding_kind kind,
                       mqttka_severity severity, mqttka_direction dir, uint64_t about_tag,
                       bool has_value, double value, const char *detail);

/* connection.c: the client id the CONNECT gave (cut to
 * MQTTKA_CLIENT_ID_SIZE - 1 bytes), in the session when short, else in a
 * copy of its own length; "" when it is empty or there is no memory for
 * it. Only the first CONNECT sets it. */
void session_set_client_id(struct session *s, const char *client_id);
/* connection.c: a session's end record, made on first use; NULL only when
 * out of memory (the close then goes unrecorded). */
struct session;
session_end *session_end_make(struct session *s);
/* The end record to read: an open connection's when none was made. */
const session_end *session_end_of(const struct session *s);

/* keepalive.c */
typedef struct keepalive_limits {
    mqttka_time tol, grace, t_resp;
} keepalive_limits;
keepalive_limits keepalive_limits_for(const mqttka_config *cfg, int32_t kae);
void keepalive_on_packet(const push_ctx *pc, session *s, mqttka_direction dir,
                         const mqtt_packet_view *p);
void keepalive_on_ws_control(const push_ctx *pc, session *s, mqttka_direction dir,
                             uint8_t opcode, const uint8_t *payload, size_t len);
/* A side closed (FIN, RST, WS Close). */
void keepalive_on_close(const push_ctx *pc, session *s, mqttka_side side,
                        mqttka_close_mechanism how);
void keepalive_on_gap(session *s);
/* End of the connection (closed, or end of input): end-of-silence and
 * outstanding-ping findings. */
void keepalive_on_end(const push_ctx *pc, session *s, bool end_of_input);
mqttka_time keepalive_tick(const push_ctx *pc, session *s, mqttka_time now);

/* figures.c: the summary's counts and RTT figures */
/* A 16-bit counter wrapped to 0: carries 65536 into its high part. */
void figures_count_carry(session *s, mqttka_direction dir, uint8_t type);
/* Counts a packet of `type` (0-15) in direction `dir`: on every packet, so
 * the common case is inline, and touches only the counters' own line (the
 * high parts are looked at once in 65536 packets). */
static inline void figures_count_packet(session *s, mqttka_direction dir, uint8_t type)
{
    if (++s->packets[dir][type] == 0)
        figures_count_carry(s, dir, type);
}
void figures_packets(const session *s, uint32_t out[2][MQTTKA_MQTT_TYPES]);
/* A ping pair's RTT: count, minimum, maximum and the latest samples. */
void figures_record_rtt(session *s, mqttka_time rtt);
/* Fills out->rtt_count and, when it is not 0, the other rtt_ fields. */
void figures_rtt(const session *s, mqttka_summary *out);

/* verdict.c */
/* Fills *out. out->findings is an array made for it from the stored
 * findings: returned to be freed once the summary has been emitted. */
mqttka_finding *verdict_build_summary(const push_ctx *pc, session *s, mqttka_summary *out);

static inline double us_to_s(mqttka_time t) { return (double)t / 1e6; }

/* The side that sends in direction `dir`. */
static inline mqttka_side side_of(mqttka_direction dir)
{
    return dir == MQTTKA_C2S ? MQTTKA_SIDE_CLIENT : MQTTKA_SIDE_SERVER;
}

/* Copies a NUL-terminated string, truncating it to fit `size` bytes. */
static inline void str_copy(char *dst, size_t size, const char *src)
{
    if (!size)
        return;
    /* strlen and memcpy, not a loop of byte copies: a ping's RTT finding
     * copies its detail this way. */
    size_t n = strlen(src);
    if (n > size - 1)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

#endif
