/*
 * session.h - what the core knows of one MQTT connection: its public view
 * (mqttka_connection), the MQTT streams and WebSocket decoders of its two
 * directions, the keepalive rules' state (client times, pings), its packet
 * counts and the findings kept for its summary.
 *
 * A leaf: every stage of the pipeline reads and writes a session, and the
 * session calls none of them. How the connection ended is the verdict's
 * record (verdict.h), and a WebSocket handshake that waits for the first
 * message is the handshake's (handshake.h): the session only holds them.
 *
 * Memory: a flow that carries neither MQTT nor a WebSocket handshake has no
 * session; a session is made only when the stream proves to be ours, from
 * pools of 64-byte-aligned blocks. Nothing is sized from the wire.
 */
#ifndef MQTTKA_SESSION_H
#define MQTTKA_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "block_pool.h"
#include "core_time.h"
#include "mqtt_decoder.h"
#include "mqttka.h"
#include "text_pool.h"
#include "ws_decoder.h"
#include "ws_inflate.h"

/* PINGREQs awaiting a PINGRESP. Real clients keep one outstanding; the cap
 * stops a client flooding PINGREQs from growing state. */
#define PINGQ_MAX 4

/* RTT samples kept for median and p95 (the most recent ones): per-connection
 * memory must not grow with capture duration, and must stay small for a
 * broker's hundred thousand clients. min, max and count are exact. */
#define RTT_SAMPLES_MAX 32

/* Emission cap per finding kind and connection: a hostile stream repeating
 * one violation must not flood the output (per-pair kinds are exempt). */
#define FINDINGS_PER_KIND_MAX 64

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
    ping_pending p = {(uint64_t)(time_clamp(ts) + TIME_LIMIT) << 2, tag};
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

/* A stretch of a direction that was not decoded: bytes the capture missed,
 * or a packet whose length cannot be trusted, until a packet boundary was
 * proved again (route.c). */
typedef struct direction_hole {
    bool open;              /* decoding has not resumed yet */
    bool reported;          /* its capture_gap finding was emitted */
    uint64_t missing;       /* bytes the capture missed in it */
    uint64_t skipped;       /* bytes captured but skipped for want of a boundary */
    uint64_t tag;           /* the frame where decoding stopped */
    uint32_t holes;         /* gaps in all, this one included */
} direction_hole;

/* What few sessions need: made when first needed (session_rare_of), one
 * pointer in the session. */
typedef struct session_rare {
    ws_ping_pending ws_ping[2];                     /* by the direction of the Ping */
    uint16_t packets_high[2][MQTTKA_MQTT_TYPES];    /* the counts' high halves (figures.c) */
    direction_hole hole[2];                         /* by direction */
    /* the latest time the client sent bytes that were not decoded (a hole
     * noticed, bytes skipped while looking for a boundary): where a silence
     * holds a hole, it lasted at least from then (keepalive.c) */
    mqttka_time client_undecoded_ts;
    bool client_undecoded;
    /* a capture of the client's side only: what the client acknowledged of
     * the server's stream last, and when its oldest PINGREQ waiting went
     * out (flow.c, keepalive.c): no step between them, no server byte */
    bool client_ack_known, ping_ack_known;
    uint32_t client_ack, ping_ack;
    /* a capture of the server's side only: the last step forward of what
     * the server acknowledged of the client's stream (bytes, when, in
     * which frame; server_ack_known once there was one) and whether the
     * server sent bytes since (flow.c: the shape of a DISCONNECT the
     * capture did not see) */
    bool server_ack_known, server_sent_since_step;
    uint32_t server_ack_step;
    mqttka_time server_ack_step_ts;
    uint64_t server_ack_step_tag;
    /* a capture of both sides that missed the client's last bytes: a hole
     * that began between packets, told by the server's acknowledgment (its
     * size, that ACK's time and frame), after which neither side sent a
     * byte the capture holds (flow.c: a PINGREQ the capture did not see) */
    bool client_tail_hole;
    uint32_t client_tail_hole_bytes;
    mqttka_time client_tail_hole_ts;
    uint64_t client_tail_hole_tag;
    /* the one hole in the client's silence since its last decoded packet
     * was such a hole (client_tail_hole when told), the size of a PINGREQ,
     * told by the server's ACK at ping_hole_ts in frame ping_hole_tag; and
     * a PINGRESP that paired with nothing came after it (answered):
     * keepalive.c, the silence before the server's close */
    bool ping_hole, ping_hole_answered;
    uint32_t ping_hole_bytes;
    mqttka_time ping_hole_ts;
    uint64_t ping_hole_tag;
    /* keepalive inference from the client's PINGREQ cadence (keepalive.c) */
    uint8_t cadence_pings;
    mqttka_time cadence_min, cadence_max;
    /* a capture of the server's side only: the client's PINGREQs told by
     * the server's ACKs (keepalive.c, keepalive_on_client_bytes_acked): a
     * step of a PINGREQ's size waiting for its PINGRESP (when), and the
     * last such step that one followed (known: one since the cadence last
     * broke) */
    bool acked_ping_waiting, acked_ping_last_known;
    mqttka_time acked_ping_ts, acked_ping_last_ts;
} session_rare;

/* A finding kept for the connection's summary: a mqttka_finding is 304
 * bytes, most of it the detail buffer, and most connections keep one for
 * the life of the connection, with the same detail as thousands of others
 * (keepalive_negotiated): the detail is held in the analyzer's text pool. */
typedef struct stored_finding {
    mqttka_time ts;
    uint64_t tag, reported_tag;
    double value;
    const char *detail; /* held in the text pool */
    uint8_t kind, severity, dir;
    bool has_value;
} stored_finding;

/* One direction of a session: its MQTT stream and what the packet path
 * checks beside it, in one cache line. */
typedef struct session_direction {
    mqtt_stream mqtt;
    bool lost;                /* stream skipped after a gap or a fatal error */
    bool msg_compressed;      /* the current WebSocket message has RSV1 */
    /* rarely set: bits, so that the direction stays one cache line */
    bool text_reported : 1;
    bool compressed_reported : 1;
    bool mask_reported : 1;
    /* while lost: a packet boundary proved at a segment start resumes
     * decoding (a hole, a fatal malformation); else lost for good */
    bool resync;
    /* a WebSocket direction whose MQTT stream lost its packet boundaries
     * while its frames did not: it resumes at the next message */
    bool mqtt_resync;
    bool inflate_lost : 1;    /* lost to inflation (frames still decoded): a
                                 message with a fresh context may resume it */
    bool resuming : 1;        /* ... this one, if its first byte can start a packet */
    bool joined : 1;          /* lost since the session began: the capture joined the
                                 stream after its start (route_resync), no hole; until
                                 the stream's first segment (route.c, resume) */
} session_direction;
_Static_assert(sizeof(session_direction) <= 64, "a session direction is one cache line");

#define BETWEEN_OPEN 1u           /* counted open at its client address */
#define BETWEEN_BY_ADDR 2u        /* its storm is counted by client address */
#define BETWEEN_CONNACK_TOLD 4u   /* connack_missing was reported */

struct close_record;  /* verdict.h: how the connection ended */
struct ws_pending;    /* handshake.h: a 101 waiting for the first message */

/* A WebSocket whose 101 accepted an extension (RFC 7692 permessage-deflate,
 * or one not decoded here): made with the 101 and freed with the session,
 * about 240 bytes; zlib's memory comes later (ws_inflate.h). */
typedef struct ws_deflate_state {
    struct ws_pending *pending; /* the 101 while it waits for the first message */
    bool supported;             /* permessage-deflate with parameters understood */
    char unsupported[96];       /* else what was not (ws_compressed_skipped says it) */
    ws_inflater inflate[2];     /* indexed by mqttka_direction */
} ws_deflate_state;

/* Laid out for the packet path: a broker capture has tens of thousands of
 * sessions, so each packet's visit is a few cache misses, and what every
 * packet reads or writes comes first and together (flags and client times,
 * the public view whose id every event shows, the MQTT decoders, the packet
 * counters); what only the handshake, pings, closes and the summary need
 * comes after, and a WebSocket session's frame decoders last (ws_session).
 * The look-ahead (lookahead.c) prefetches every line of it (see
 * flow_prefetch_session: a segment with bytes touches most of them), so the
 * session is allocated 64-byte aligned (from block pools), nine whole
 * lines, and its parts start on line boundaries. What few connections
 * need (WebSocket pings, RTT samples past the first, packet counts past
 * 65535, a close) is allocated when it is first needed. */
#define SESSION_ALIGN 64
typedef struct session {
    /* ---- every packet: one line ---- */
    bool confirmed;           /* reported: MQTT, or an MQTT WebSocket handshake */
    bool not_mqtt;            /* proved not ours: freed once the decoders return */
    bool ws_active;           /* ws[] decode this session's frames */
    bool ws_deflate;          /* an extension negotiated: ws_slot.deflate */
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
    uint32_t rtt_count;
    /* the first CONNECT: how long after conn.start (saturated at 71
     * minutes), for connack_missing; here, in rtt_count's padding */
    uint32_t connect_after_us;
    mqttka_time rtt_min, rtt_max;
    uint32_t *rtt_ring;         /* the latest samples, saturated at 71 minutes;
                                   none until the second (figures.c) */
    session_rare *rare;         /* WebSocket pings, counts past 65535, holes,
                                   keepalive inference: NULL until needed */

    /* ---- the handshake's 101, or the extension: one slot, by ws_deflate ----
     * Without an extension it holds the 101 while that waits for the first
     * message (handshake.h), else NULL; with one, the extension's state,
     * which holds that 101 as long. Read the 101 through session_pending. */
    union {
        struct ws_pending *pending;
        ws_deflate_state *deflate;
    } ws_slot;

    /* ---- how it ended: made when it starts to (verdict.c) ---- */
    struct close_record *end;

    /* findings kept for the summary: no more than FINDINGS_PER_KIND_MAX of
     * each kind but the per-pair ones (which are not kept) are ever emitted */
    stored_finding *findings;
    uint16_t n_findings, cap_findings, findings_omitted;
    uint8_t kind_emitted[MQTTKA_F_COUNT];
    /* what the capture saw of the connection, and did not */
    uint8_t dirs_seen;          /* 1 << mqttka_direction of every direction a segment came from */
    bool client_hole_unpaired;  /* a client-side hole may hold PINGREQs no PINGRESP has paired */
    uint8_t pings_answer_unseen; /* PINGREQs whose answer may be in a server-side hole */
    uint8_t between_flags;      /* BETWEEN_* (between.c) */
    /* conn.client_id when it is this short (many are), in what the last
     * line has left; a longer one is allocated */
    char client_id_short[16];
} session;

/* Nine cache lines: a broker capture holds one session per connection, so
 * a field that spills into a tenth costs 64 bytes a connection (6 % of the
 * memory benchmark's budget); put a new rarely used field in session_rare. */
_Static_assert(sizeof(session) <= 9 * 64, "session grew past nine cache lines");

/* Where a WebSocket session's 101 waiting for the first message is held
 * (NULL when none). */
static inline struct ws_pending **session_pending(session *s)
{
    return s->ws_deflate && s->ws_slot.deflate ? &s->ws_slot.deflate->pending
                                               : &s->ws_slot.pending;
}

/* The bytes of a PINGREQ on the wire: 2 (MQTT §3.12), or 8 in a masked
 * WebSocket frame (RFC 6455 §5.2: 2 bytes of header, 4 of mask). */
static inline uint32_t session_pingreq_wire_bytes(const session *s)
{
    return s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET ? 8u : 2u;
}

/* Whether `bytes` the capture missed or only saw acknowledged are a
 * PINGREQ's size: no two frames make 8 bytes, and a compressed frame may
 * be any size, so never under permessage-deflate. */
static inline bool session_pingreq_sized(const session *s, uint64_t bytes)
{
    return bytes == session_pingreq_wire_bytes(s) && !s->ws_deflate;
}

/* Whether a session's compressed messages are inflated: permessage-deflate
 * in a 101 that was captured. (A session joined after its 101 allows RSV1
 * with no state at all: ws_deflate and a NULL ws_slot.deflate.) */
static inline bool session_inflates(const session *s)
{
    return s->ws_deflate && s->ws_slot.deflate && s->ws_slot.deflate->supported;
}

/* The inflater of direction `dir` of a session whose extension is
 * permessage-deflate (ws_deflate, and ws_slot.deflate->supported). */
static inline ws_inflater *session_inflater(session *s, mqttka_direction dir)
{
    return &s->ws_slot.deflate->inflate[dir];
}

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

/* Where sessions come from: one pool per kind, each block 64-byte aligned;
 * and a session's first kept finding, which is all most connections keep
 * (keepalive_negotiated) for their whole life: from malloc, a 48-byte
 * stored_finding takes a 64-byte chunk, a million times at a million
 * connections. */
typedef struct session_pools {
    block_pool tcp;         /* session */
    block_pool websocket;   /* ws_session */
    block_pool one_finding; /* stored_finding: `findings` while cap_findings is 1 */
} session_pools;

void session_pools_init(session_pools *p);
void session_pools_free(session_pools *p);

/* Where and when a new session's connection was first seen. */
typedef struct session_origin {
    mqttka_endpoint client, server;
    mqttka_time first_ts, last_ts;
    uint64_t first_tag;
    bool start_seen;            /* the connection's SYN was captured */
    uint8_t dirs_seen;          /* directions a segment came from so far */
    size_t max_mqtt_kept_bytes; /* mqttka_config */
} session_origin;

/* A new, unconfirmed session; NULL when out of memory. */
session *session_new(session_pools *p, mqttka_transport transport, const session_origin *o);

/* Frees a session and everything it holds (its strings' and kept findings'
 * holds on `texts` too); NULL does nothing. */
void session_free(session_pools *p, text_pool *texts, session *s);

/* The connection is reported from now on: it gets the next number. */
static inline void session_confirm(session *s, uint64_t *next_conn_id)
{
    if (s->confirmed)
        return;
    s->confirmed = true;
    s->conn.id = (*next_conn_id)++;
}

/* The client id the CONNECT gave (cut to MQTTKA_CLIENT_ID_SIZE - 1 bytes),
 * in the session when short, else in a copy of its own length; "" when it
 * is empty or there is no memory for it. Only the first CONNECT sets it. */
void session_set_client_id(session *s, const char *client_id);

/* The session's rare part, made on first use; NULL only when out of memory. */
session_rare *session_rare_of(session *s);

/* Keeps a finding for the summary, its detail held in `texts`, the first
 * one in a block of p->one_finding; counts it as omitted past `max`
 * findings or out of memory. */
void session_keep_finding(session_pools *p, session *s, const mqttka_finding *f, text_pool *texts,
                          size_t max);

/* The side that sends in direction `dir`. */
static inline mqttka_side side_of(mqttka_direction dir)
{
    return dir == MQTTKA_C2S ? MQTTKA_SIDE_CLIENT : MQTTKA_SIDE_SERVER;
}

/* "client" or "server": who sends in direction `dir`. */
static inline const char *sender_name(mqttka_direction dir)
{
    return dir == MQTTKA_C2S ? "client" : "server";
}

#endif
