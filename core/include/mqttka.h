/*
 * mqttka.h - the one public header of the mqttka core.
 *
 * The core turns TCP segments into MQTT keepalive findings. It is pure C11
 * and zlib (for permessage-deflate): no libpcap, no Wireshark, no clock, no
 * stdout, no files. Front ends (the CLI,
 * the Wireshark plugin) translate their input into mqttka_segment records,
 * push them in capture order, and receive everything the core learns through
 * one callback (mqttka_event_fn).
 *
 * Rules implemented: ../shared/FINDINGS.md (kept in the repository as
 * docs/FINDINGS.md). Finding and verdict names are public interface.
 *
 * Ownership: every pointer inside an mqttka_event is borrowed for the duration
 * of the callback only. The core never retains a pointer the caller passed in.
 */
#ifndef MQTTKA_H
#define MQTTKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MQTTKA_VERSION "0.1.0"

/* Times are microseconds since the Unix epoch, as read from the capture. */
typedef int64_t mqttka_time;
#define MQTTKA_TIME_NONE INT64_MIN

/* ------------------------------------------------------------------------ */
/* Input                                                                     */

typedef struct mqttka_endpoint {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16]; /* IPv4 uses the first 4 bytes; the rest are zero */
    uint16_t port;
} mqttka_endpoint;

enum {
    MQTTKA_TCP_FIN = 0x01,
    MQTTKA_TCP_SYN = 0x02,
    MQTTKA_TCP_RST = 0x04,
    MQTTKA_TCP_PSH = 0x08,
    MQTTKA_TCP_ACK = 0x10,
};

/* One captured TCP segment. `payload` holds `captured_len` bytes; when the
 * capture cut the packet short (snaplen), `wire_len` > `captured_len` and the
 * missing tail is treated as a capture gap. */
typedef struct mqttka_segment {
    mqttka_endpoint src;
    mqttka_endpoint dst;
    uint32_t seq;
    uint32_t ack;
    uint8_t tcp_flags; /* MQTTKA_TCP_* */
    const uint8_t *payload;
    size_t captured_len;
    size_t wire_len;
    mqttka_time ts;
    uint64_t tag; /* opaque to the core; the front ends use the frame number */
} mqttka_segment;

/* Result of mqttka_frame_to_segment. */
typedef enum mqttka_frame_result {
    MQTTKA_FRAME_TCP = 0,         /* *out is a TCP segment */
    MQTTKA_FRAME_NOT_TCP,         /* a valid frame of something else */
    MQTTKA_FRAME_UNSUPPORTED_LINK,
    MQTTKA_FRAME_MALFORMED,       /* headers whose lengths or versions do not add up */
    MQTTKA_FRAME_FRAGMENT,        /* an IP fragment: only whole datagrams are decoded */
    MQTTKA_FRAME_SNAPPED,         /* the snaplen cut the record inside a header */
} mqttka_frame_result;

/* A short name for a supported link type ("EN10MB"), NULL if unsupported. */
const char *mqttka_link_name(uint32_t linktype);

/* Decodes a captured link-layer frame down to TCP, so that every front end
 * feeds the analyzer the same segments. `linktype` is a pcap LINKTYPE_ value
 * (1 EN10MB, 0 NULL, 108 LOOP, 113 LINUX_SLL, 276 LINUX_SLL2, 101 RAW (and
 * DLT_RAW 12/14), 228 IPV4, 229 IPV6), with 802.1Q/802.1ad tags. `caplen`
 * bytes are at `frame`; `wirelen` is the frame's original length. On
 * MQTTKA_FRAME_TCP fills *out except `ts` and `tag`: out->payload points
 * into `frame`, out->wire_len is the payload length the IP header declares
 * (Ethernet padding is not payload), out->captured_len what the record
 * holds of it. Any other result leaves *out untouched. */
mqttka_frame_result mqttka_frame_to_segment(uint32_t linktype, const uint8_t *frame,
                                            size_t caplen, size_t wirelen,
                                            mqttka_segment *out);

/* ------------------------------------------------------------------------ */
/* Configuration: every cap says what abuse it stops.                       */

#define MQTTKA_MAX_IDLE_TIMEOUTS 4

typedef struct mqttka_config {
    /* Flows tracked at once: a SYN flood must not grow the table forever.
     * When full, the flow idle longest among a sample of 16 is dropped
     * (resource_limit). */
    size_t max_flows;
    /* Out-of-order segments held per direction, and their bytes: a peer that
     * never fills a hole must not make us buffer the rest of its stream. */
    size_t max_ooo_segments;
    size_t max_ooo_bytes;
    /* Out-of-order bytes held across all flows together. */
    size_t max_total_buffered_bytes;
    /* HTTP Upgrade header block (request or response): headers are buffered
     * whole to be parsed, so their size is capped. */
    size_t max_http_header_bytes;
    /* Bytes kept of a CONNECT/CONNACK/DISCONNECT/AUTH body for decoding; the
     * rest of a longer packet is skipped. Other packet types keep nothing. */
    size_t max_mqtt_kept_bytes;
    /* Findings kept in a connection's summary (events are emitted always). */
    size_t max_summary_findings;
    /* permessage-deflate (RFC 7692). Inflated bytes of one compressed
     * WebSocket message: DEFLATE packs up to 1032 bytes into one, so a
     * 64 KiB message can inflate to 64 MiB and a 1 MiB one to 1 GiB. The
     * message is cut there (resource_limit) and, when its sender keeps its
     * compression context, that direction is not decoded any further.
     * Default 64 MiB (Node's ws refuses messages over 100 MiB; MQTT's
     * largest packet is 256 MiB). */
    size_t max_inflated_message_bytes;
    /* Inflated bytes of a direction may exceed this many times its
     * compressed bytes only by its first MiB: a stream of zip bombs, each
     * under the message cap, must not cost a thousand times its size in
     * work. The message that would is cut, as by the message cap; each
     * later one may inflate to this many times its own size. Real MQTT
     * traffic stays far below (JSON 5-20 x, a message repeated whole with
     * context takeover about 70 x). 0: no ratio cap. Default 200. */
    uint32_t max_inflate_ratio;
    /* zlib's memory for inflating, all connections together: about 7 KiB
     * plus the window as far as it is written (2^window bits, 32 KiB, at
     * most; a page for a connection that only pings) for each direction
     * that compresses with context takeover, and for the others while a
     * message is being inflated. A connection that would need more is not
     * decoded in that direction (resource_limit). Default 256 MiB: about
     * 3 300 connections that compress both ways with full 32 KiB windows,
     * or 11 000 whose windows hold a page. */
    size_t max_inflate_memory_bytes;
    /* TLS without keys (issue 17): the small application-data records a
     * TLS flow keeps for the inference (24 bytes each, 32 at first,
     * doubling), and their bytes for all flows together. A flow that would
     * need more keeps what it has: its inference rests on those records and
     * says so (resource_limit, "records_capped"). Default 1024 records
     * (24 KiB: hours of pings at any keepalive) and 64 MiB (2 700 flows at
     * the per-flow cap, far more at the usual few hundred bytes). */
    size_t max_tls_records;
    size_t max_tls_memory_bytes;
    /* TLS with a key log: each connection being decrypted holds two record
     * buffers of the largest record (2^14 + 2048 bytes) and its keys, about
     * 38 KiB; all of them together stay under this. A connection that would
     * pass it is analysed without keys, with a resource_limit finding in its
     * tls_connection. Default 64 MiB (about 1 700 at once). */
    size_t max_tls_decrypt_memory_bytes;

    /* Tolerances (FINDINGS.md "Definitions"). */
    mqttka_time tol_min;     /* tol = max(tol_min, tol_percent % of KAe) */
    uint32_t tol_percent;
    mqttka_time grace_min;   /* G = max(grace_min, KAe * grace_percent / 100) */
    uint32_t grace_percent;
    mqttka_time resp_max;    /* T_resp = min(resp_max, KAe * resp_percent / 100) */
    uint32_t resp_percent;
    /* Idle timeouts of intermediaries (nginx, load balancers: 60 s; HAProxy: 50 s). */
    mqttka_time idle_timeouts[MQTTKA_MAX_IDLE_TIMEOUTS];
    size_t n_idle_timeouts;

    /* Between connections (FINDINGS.md "Between connections"). Client ids
     * (with their server's address) and client addresses remembered at
     * once: a capture of a million random ids must not grow the table
     * forever. When full, the one whose last CONNECT is oldest among a
     * sample of 16 is forgotten (told once, as resource_limit). */
    size_t max_client_ids;
    /* A server close this soon after another connection presented the same
     * client id is a takeover (MQTT-3.1.4-2 / -3). */
    mqttka_time takeover_window;
    /* A CONNECT with no CONNACK for this long is connack_missing. */
    mqttka_time connack_timeout;
    /* reconnect_storm: storm_connections or more connections of one client
     * id (or address) within storm_window of the first of them. */
    uint32_t storm_connections;
    mqttka_time storm_window;
    /* mass_close: mass_close_connections or more connections to one server
     * address closed first by the same side (bare: no DISCONNECT, no
     * refusal, no takeover) within mass_close_window of the first. */
    uint32_t mass_close_connections;
    mqttka_time mass_close_window;

    /* Whether the findings made for every ping pair (pingresp_rtt) are
     * emitted. A front end that never shows them says false, and the core
     * spares building and dispatching one after every PINGRESP. Nothing
     * else depends on them (they are not kept for the summary). Default
     * true. */
    bool per_pair_findings;
} mqttka_config;

/* Fills *cfg with the safe defaults documented in mqttka.1. */
void mqttka_config_default(mqttka_config *cfg);

/* ------------------------------------------------------------------------ */
/* Output                                                                    */

typedef enum mqttka_direction {
    MQTTKA_C2S = 0, /* client to server */
    MQTTKA_S2C = 1,
} mqttka_direction;

typedef enum mqttka_side {
    MQTTKA_SIDE_NONE = 0,
    MQTTKA_SIDE_CLIENT,
    MQTTKA_SIDE_SERVER,
} mqttka_side;

typedef enum mqttka_transport {
    MQTTKA_TRANSPORT_TCP = 0,
    MQTTKA_TRANSPORT_WEBSOCKET,
} mqttka_transport;

typedef enum mqttka_severity {
    MQTTKA_INFO = 0,
    MQTTKA_WARN,
    MQTTKA_ERROR,
} mqttka_severity;

/* Finding kinds. The names (mqttka_finding_name) are the JSON `kind`s and
 * the Wireshark field values: never rename one once shipped. */
typedef enum mqttka_finding_kind {
    MQTTKA_F_KEEPALIVE_NEGOTIATED = 0,
    MQTTKA_F_KEEPALIVE_DISABLED,
    MQTTKA_F_KEEPALIVE_OVERRIDDEN,
    MQTTKA_F_SERVER_KEEPALIVE_IGNORED,
    MQTTKA_F_SERVER_KEEPALIVE_INVALID,
    MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE,
    MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE,
    MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED,
    MQTTKA_F_PINGREQ_UNANSWERED,
    MQTTKA_F_PINGRESP_LATE,
    MQTTKA_F_PINGRESP_RTT,
    MQTTKA_F_PINGRESP_UNSOLICITED,
    MQTTKA_F_PINGREQ_FROM_SERVER,
    MQTTKA_F_WS_PING_UNANSWERED,
    MQTTKA_F_WS_HANDSHAKE_FAILED,
    MQTTKA_F_WS_SUBPROTOCOL,
    MQTTKA_F_WS_MASK_VIOLATION,
    MQTTKA_F_WS_FRAMING_ERROR,
    MQTTKA_F_MQTT_IN_TEXT_FRAME,
    MQTTKA_F_WS_COMPRESSED_SKIPPED,
    MQTTKA_F_MALFORMED_FIXED_HEADER,
    MQTTKA_F_MALFORMED_PING,
    MQTTKA_F_CONNECT_PROTOCOL_INVALID,
    MQTTKA_F_CAPTURE_GAP,
    MQTTKA_F_RESOURCE_LIMIT,
    MQTTKA_F_KEEPALIVE_INFERRED,
    MQTTKA_F_ONE_SIDED,
    MQTTKA_F_MALFORMED_PACKET,
    MQTTKA_F_CLOSE_MATCHES_PING_TIMEOUT,
    /* Added after the others, so that their values stay. */
    MQTTKA_F_WS_DEFLATE_FAILED,
    MQTTKA_F_CONNECT_REFUSED,
    MQTTKA_F_CONNACK_MISSING,
    MQTTKA_F_RECONNECT_STORM,
    MQTTKA_F_MASS_CLOSE,
    MQTTKA_F_TLS_DECRYPT_FAILED,
    MQTTKA_F_COUNT
} mqttka_finding_kind;

/* Why the connection ended: one verdict per connection (FINDINGS.md). */
typedef enum mqttka_verdict {
    MQTTKA_V_OPEN = 0,
    MQTTKA_V_MQTT_DISCONNECT,
    MQTTKA_V_SERVER_CLOSED_KEEPALIVE,
    MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP,
    MQTTKA_V_WS_CLOSE,
    MQTTKA_V_INTERMEDIARY_IDLE_CLOSE,
    MQTTKA_V_CLIENT_CLOSED,
    MQTTKA_V_SERVER_CLOSED,
    MQTTKA_V_RESET,
    MQTTKA_V_SESSION_TAKEN_OVER, /* the server dropped it for a newer connection's CONNECT */
    MQTTKA_V_CONNECT_REFUSED,    /* its CONNACK refused it */
    MQTTKA_V_COUNT
} mqttka_verdict;

typedef enum mqttka_close_mechanism {
    MQTTKA_CLOSE_NONE = 0,
    MQTTKA_CLOSE_MQTT_DISCONNECT,
    MQTTKA_CLOSE_WS_CLOSE,
    MQTTKA_CLOSE_FIN,
    MQTTKA_CLOSE_RST,
} mqttka_close_mechanism;

#define MQTTKA_DETAIL_MAX 256

typedef struct mqttka_finding {
    mqttka_finding_kind kind;
    mqttka_severity severity;
    mqttka_time ts;        /* when it became known */
    uint64_t tag;          /* the frame it is about (look here in Wireshark) */
    uint64_t reported_tag; /* the frame at which it became known (>= tag);
                              0 when it became known at the end of input */
    mqttka_direction dir;  /* the direction it concerns */
    /* A number that goes with the kind: seconds of silence, RTT in seconds,
     * the keepalive... NAN-free: `has_value` says whether it is set. */
    bool has_value;
    double value;
    char detail[MQTTKA_DETAIL_MAX]; /* one line for people, NUL-terminated */
} mqttka_finding;

/* The numbers first: a front end reads `id` on every event and the
 * analyzer the keepalive on every client packet, for tens of thousands of
 * connections at once, so they share a cache line; the strings come last.
 * The strings are never NULL ("" when unknown or none) and, like the rest of
 * an event, borrowed for the duration of the callback: each is kept once, at
 * its length, however many connections have it. */
typedef struct mqttka_connection {
    uint64_t id;             /* 1, 2, ... in order of first sight */
    mqttka_transport transport;
    bool ws_upgraded;        /* a 101 answer was seen */
    uint8_t mqtt_level;      /* 0 unknown, 3 (3.1), 4 (3.1.1), 5 (5.0) */
    /* The capture saw the connection open (its SYN); false when it joined
     * later: the CONNECT, and so the keepalive, may be unknown. */
    bool start_seen;
    int32_t keepalive;       /* -1 when unknown */
    int32_t server_keepalive;
    int32_t effective_keepalive;
    /* Inferred from the client's ping cadence when the CONNECT was not
     * captured (keepalive_inferred finding); -1 when not. */
    int32_t keepalive_inferred;
    mqttka_time start;
    mqttka_time end;
    uint64_t first_tag;
    uint64_t last_tag;       /* the connection's last frame (set in the summary) */
    mqttka_endpoint client;
    mqttka_endpoint server;
    const char *client_id;      /* at most 47 bytes: truncated with "..." when longer */
    const char *ws_subprotocol; /* the server's choice, at most 31 bytes; "" when none */
    const char *ws_extensions;  /* the server's Sec-WebSocket-Extensions, at most 63 bytes */
} mqttka_connection;

/* The longest the strings of mqttka_connection are, with their NUL. */
#define MQTTKA_CLIENT_ID_SIZE 48
#define MQTTKA_WS_SUBPROTOCOL_SIZE 32
#define MQTTKA_WS_EXTENSIONS_SIZE 64

/* MQTT control packet types (MQTT 3.1.1 §2.2.1, 5.0 §2.1.2): the `type`
 * of an mqttka_mqtt_packet, the second index of mqttka_summary.packets. */
enum {
    MQTTKA_MQTT_CONNECT = 1,
    MQTTKA_MQTT_CONNACK,
    MQTTKA_MQTT_PUBLISH,
    MQTTKA_MQTT_PUBACK,
    MQTTKA_MQTT_PUBREC,
    MQTTKA_MQTT_PUBREL,
    MQTTKA_MQTT_PUBCOMP,
    MQTTKA_MQTT_SUBSCRIBE,
    MQTTKA_MQTT_SUBACK,
    MQTTKA_MQTT_UNSUBSCRIBE,
    MQTTKA_MQTT_UNSUBACK,
    MQTTKA_MQTT_PINGREQ,
    MQTTKA_MQTT_PINGRESP,
    MQTTKA_MQTT_DISCONNECT,
    MQTTKA_MQTT_AUTH, /* 5.0 only */
};
#define MQTTKA_MQTT_TYPES 16

/* WebSocket opcodes (RFC 6455 §5.2): the `opcode` of an mqttka_ws_control. */
enum {
    MQTTKA_WS_CONTINUATION = 0x0,
    MQTTKA_WS_TEXT = 0x1,
    MQTTKA_WS_BINARY = 0x2,
    MQTTKA_WS_CLOSE = 0x8,
    MQTTKA_WS_PING = 0x9,
    MQTTKA_WS_PONG = 0xA,
};

/* A connection inside TLS that was decrypted with a key log
 * (mqttka_set_tls_keylog). */
#define MQTTKA_TLS_SNI_SIZE 64
typedef struct mqttka_tls_info {
    uint16_t version;          /* 0x0303 TLS 1.2, 0x0304 TLS 1.3; 0 unknown */
    uint16_t cipher_suite;     /* IANA number; 0 unknown */
    char sni[MQTTKA_TLS_SNI_SIZE]; /* the ClientHello's server_name, "" when none (cut at 63 bytes) */
    bool decrypted;            /* records were decrypted (false: the keys did not fit) */
    uint32_t failed_records;   /* records that failed authentication (tls_decrypt_failed) */
} mqttka_tls_info;

typedef struct mqttka_summary {
    const mqttka_connection *conn;
    const mqttka_tls_info *tls;         /* NULL unless the connection was inside decrypted TLS */
    uint32_t packets[2][MQTTKA_MQTT_TYPES]; /* [direction][packet type] */
    uint32_t pingreq, pingresp, pingreq_unanswered;
    uint32_t rtt_count;                 /* ping pairs; 0 means no RTT figures */
    mqttka_time rtt_min, rtt_median, rtt_p95, rtt_max;
    mqttka_time max_client_silence;     /* MQTTKA_TIME_NONE when unknown */
    mqttka_side close_initiator;
    mqttka_close_mechanism close_mechanism;
    int32_t ws_close_code;              /* -1 when none */
    char ws_close_reason[64];
    int32_t disconnect_reason;          /* MQTT 5 DISCONNECT reason, -1 when none */
    mqttka_time close_ts;               /* MQTTKA_TIME_NONE when still open */
    /* A capture of one side only (one_sided): the side it never saw, else
     * MQTTKA_SIDE_NONE. */
    mqttka_side side_not_captured;
    uint64_t close_tag;                 /* frame of the first close, 0 if none */
    /* The first close is a DISCONNECT the capture did not see, inferred
     * from the other side's acknowledgments (a capture of the server's
     * side only); close_tag is then the frame that acknowledged it. */
    bool close_inferred;
    /* The verdict's unanswered PINGREQ (client_closed_missing_pingresp) is
     * one the capture did not hold, inferred from the server's
     * acknowledgment of its size; pingreq and pingreq_unanswered count only
     * the PINGREQs decoded. */
    bool pingreq_inferred;
    mqttka_verdict verdict;
    char verdict_detail[MQTTKA_DETAIL_MAX];
    const mqttka_finding *findings;     /* the first max_summary_findings, no RTTs */
    size_t n_findings;
    size_t findings_omitted;
    /* session_taken_over: the connection whose CONNECT with the same client
     * id made the server close this one (its id); 0 when none or unknown. */
    uint64_t taken_over_by;
    /* The CONNACK's return code (3.x) or reason code (5.0); -1 when no
     * CONNACK was seen. */
    int32_t connack_code;
} mqttka_summary;

typedef enum mqttka_event_type {
    MQTTKA_EV_WS_HANDSHAKE = 0, /* the Upgrade request's answer (or its absence) */
    MQTTKA_EV_WS_CONTROL,       /* a complete WebSocket Ping, Pong or Close */
    MQTTKA_EV_MQTT_PACKET,      /* a complete MQTT control packet */
    MQTTKA_EV_FINDING,
    MQTTKA_EV_CONNECTION,       /* the summary, once per connection, at its end */
    /* Added after the others, so that their values stay. */
    MQTTKA_EV_TLS_INFERENCE,    /* a TLS connection without keys: what its record
                                   sizes and times tell (u.tls), once, at its end */
} mqttka_event_type;

typedef struct mqttka_ws_handshake {
    bool upgraded;          /* 101 with a valid accept */
    int status;             /* HTTP status, 0 if never answered */
    const char *path;       /* the request target */
} mqttka_ws_handshake;

typedef struct mqttka_ws_control {
    uint8_t opcode;               /* 8 close, 9 ping, 10 pong */
    const uint8_t *payload;       /* unmasked */
    size_t payload_len;
    int32_t close_code;           /* close: the status code, -1 if absent */
} mqttka_ws_control;

typedef struct mqttka_connect_info {
    uint8_t level;          /* protocol level: 3, 4, 5 (others are invalid) */
    char protocol_name[8];
    uint8_t flags;
    uint16_t keepalive;
    bool clean_session;
    const char *client_id;  /* truncated copy, NUL-terminated; NULL when the
                               CONNECT body ends before the client id */
    size_t client_id_len;   /* the length on the wire */
} mqttka_connect_info;

typedef struct mqttka_connack_info {
    uint8_t flags;
    uint8_t code;           /* 3.x return code or 5.0 reason code */
    int32_t server_keepalive; /* -1 when absent */
} mqttka_connack_info;

typedef struct mqttka_mqtt_packet {
    uint8_t type;            /* 1 CONNECT ... 15 AUTH */
    uint8_t flags;           /* low nibble of the first byte */
    uint32_t remaining_length;
    uint64_t stream_offset;  /* of its first byte in this direction's MQTT stream */
    mqttka_time silence;     /* client packets: time since the previous one, else NONE */
    mqttka_time rtt;         /* PINGRESP: time since its PINGREQ, else NONE */
    uint64_t pair_tag;       /* PINGRESP: its PINGREQ's frame, else 0 */
    const mqttka_connect_info *connect;   /* CONNECT only */
    const mqttka_connack_info *connack;   /* CONNACK only */
    int32_t reason_code;     /* DISCONNECT (5.0): its reason code, else -1 */
} mqttka_mqtt_packet;

/* A TLS connection (mqtts, wss://) analysed without keys: only the TLS
 * record headers are read (type, version, length), never the bodies. A
 * client record that recurs at a cadence and is answered at once by a server
 * record of the matching size (equal, or 4 bytes less: the client's
 * WebSocket mask) is taken for PINGREQ/PINGRESP; everything here is
 * "inferred": true. Pointers are borrowed for the callback. */
#define MQTTKA_TLS_MAX_FINDINGS 16
typedef enum mqttka_tls_confidence {
    MQTTKA_TLS_CONF_NONE = 0,  /* no ping pair found: nothing is claimed */
    MQTTKA_TLS_CONF_LOW,       /* one exchange, its sizes proved by the cipher's expansion */
    MQTTKA_TLS_CONF_MEDIUM,    /* two, or three with the cipher unknown */
    MQTTKA_TLS_CONF_HIGH,      /* three or more at a regular cadence */
} mqttka_tls_confidence;
typedef struct mqttka_tls_inference {
    mqttka_endpoint client;
    mqttka_endpoint server;
    mqttka_time start, end;
    uint64_t first_tag, last_tag;
    uint16_t version;               /* 0x0303 TLS 1.2, 0x0304 TLS 1.3 (supported_versions); 0 unknown */
    uint16_t cipher_suite;          /* from ServerHello; 0 unknown */
    uint32_t records[2];            /* application-data records by direction */
    uint32_t heartbeats;            /* content type 24 records, both directions (never pings) */
    bool records_lost;              /* a gap or a non-TLS header: records not followed from there */
    bool records_capped;            /* the record log reached max_tls_records or max_tls_memory_bytes */
    mqttka_tls_confidence confidence;
    uint32_t ping_record_len;       /* the learned PINGREQ record length, 0 when none */
    uint32_t pong_record_len;       /* the learned PINGRESP record length */
    bool websocket;                 /* the pair differs by the client mask: MQTT over wss */
    int32_t keepalive_inferred;     /* seconds, -1 when not inferred */
    uint32_t pingreq, pingresp, pingreq_unanswered;
    mqttka_time rtt_min, rtt_max;   /* MQTTKA_TIME_NONE when no pair */
    mqttka_time max_client_silence; /* between client records, and to the close or the end */
    mqttka_side close_initiator;    /* the first FIN or RST */
    mqttka_close_mechanism close_mechanism; /* FIN, RST or NONE (open) */
    mqttka_time close_ts;           /* MQTTKA_TIME_NONE when still open */
    const mqttka_finding *findings; /* pingreq_unanswered, client_silent_over_keepalive... */
    size_t n_findings;
} mqttka_tls_inference;

typedef struct mqttka_event {
    mqttka_event_type type;
    const mqttka_connection *conn;
    mqttka_direction dir;
    mqttka_time ts;
    uint64_t tag;            /* frame that completed the item; 0 at end of input */
    union {
        mqttka_ws_handshake handshake;
        mqttka_ws_control control;
        mqttka_mqtt_packet mqtt;
        const mqttka_finding *finding;
        const mqttka_summary *summary;
        const mqttka_tls_inference *tls; /* MQTTKA_EV_TLS_INFERENCE (conn is NULL) */
    } u;
} mqttka_event;

typedef void (*mqttka_event_fn)(void *user_data, const mqttka_event *ev);

/* ------------------------------------------------------------------------ */
/* The analyzer                                                              */

typedef struct mqttka_analyzer mqttka_analyzer;

typedef enum mqttka_status {
    MQTTKA_OK = 0,
    MQTTKA_ERR_NOMEM,   /* allocation failed; the analyzer stays usable */
    MQTTKA_ERR_INVALID, /* a caller error: NULL argument, bad config */
} mqttka_status;

/* Creates an analyzer. `cfg` is copied (NULL means defaults); `fn` receives
 * every event with `user_data`. On success writes the handle to *out. */
mqttka_status mqttka_new(mqttka_analyzer **out, const mqttka_config *cfg,
                         mqttka_event_fn fn, void *user_data);

/* Frees the analyzer and every flow without emitting events; NULL after. */
void mqttka_free(mqttka_analyzer **a);

/* TLS secrets in the NSS key log format (SSLKEYLOGFILE: CLIENT_RANDOM for
 * TLS 1.2, the *_TRAFFIC_SECRET lines for TLS 1.3): `len` bytes of text,
 * read by the caller (the core does no file I/O) and copied; the caller may
 * wipe its copy at once. Connections seen from their ClientHello whose
 * client random is in the log are decrypted and analysed as cleartext
 * (their summaries get mqttka_summary.tls). May be called again to add
 * keys, before the connections they open. *keys (may be NULL) gets the key
 * lines taken, *bad the key lines that were not well formed. Returns
 * MQTTKA_ERR_INVALID when the text holds no key line, MQTTKA_ERR_NOMEM when
 * out of memory (or libgcrypt cannot start). The secrets are never part of
 * an event; they are wiped when the analyzer is freed. */
mqttka_status mqttka_set_tls_keylog(mqttka_analyzer *a, const char *text, size_t len, size_t *keys,
                                    size_t *bad);

/* Pushes one TCP segment. Segments must come in capture order. Returns
 * MQTTKA_OK or MQTTKA_ERR_NOMEM (then that segment was dropped and a
 * resource_limit finding was emitted). Bad traffic is never an error. */
mqttka_status mqttka_push(mqttka_analyzer *a, const mqttka_segment *seg);

/* Pushes `n` segments in order, exactly as `n` calls of mqttka_push would
 * (same events, same order), but faster when many connections are open:
 * while one segment is analysed, the connection state of the next few is
 * already being loaded into the CPU cache. Every segment's payload must stay
 * valid until the call returns. Returns MQTTKA_ERR_NOMEM if any segment was
 * dropped for want of memory, MQTTKA_ERR_INVALID if any was invalid (the
 * others are still pushed), else MQTTKA_OK. */
mqttka_status mqttka_push_batch(mqttka_analyzer *a, const mqttka_segment *segs, size_t n);

/* The same for segs[0 .. n), where segs[n .. n + n_ahead) are the segments
 * that the next call will push: their addresses and flags are read now, to
 * start loading their connections' state (their payloads are not read).
 * A caller that streams keeps the look-ahead going from one call to the
 * next this way, instead of starting it over with every batch. */
mqttka_status mqttka_push_batch_ahead(mqttka_analyzer *a, const mqttka_segment *segs, size_t n,
                                      size_t n_ahead);

/* Tells the analyzer that time `now` has come with no new packet (live
 * capture): findings that only need time to pass are emitted. Returns the
 * next time at which calling again may emit something, or MQTTKA_TIME_NONE. */
mqttka_time mqttka_tick(mqttka_analyzer *a, mqttka_time now);

/* End of input at time `end` (the last record's time): every connection gets
 * its end-of-capture findings and its summary, and is forgotten. */
void mqttka_finish(mqttka_analyzer *a, mqttka_time end);

/* Why a TCP connection was not analysed as MQTT. */
typedef enum mqttka_not_analysed {
    MQTTKA_NA_NO_PAYLOAD = 0, /* no data either way: only TCP handshakes, ACKs, closes */
    MQTTKA_NA_NO_MQTT,        /* data of another protocol */
    MQTTKA_NA_UNPROVEN,       /* joined late or lost bytes, and too few whole MQTT
                                 packets were seen to prove that it carries MQTT */
    MQTTKA_NA_TLS,            /* TLS records */
    MQTTKA_NA_HTTP,           /* HTTP that did not become a WebSocket */
    MQTTKA_NA_WEBSOCKET,      /* a WebSocket that does not carry MQTT */
    MQTTKA_NA_RESOURCE_LIMIT, /* dropped for a cap before its protocol was known */
    MQTTKA_NA_CLOSE_ONLY,     /* joined at its close: only its FIN or RST (and ACKs) was
                                 captured, and no proven MQTT server claims it */
    MQTTKA_NA_COUNT
} mqttka_not_analysed;

/* Every TCP connection that has ended (all of them after mqttka_finish):
 * how many were analysed as MQTT, and why the others were not. */
typedef struct mqttka_counts {
    uint64_t tcp_connections;
    uint64_t mqtt_connections;
    uint64_t not_analysed[MQTTKA_NA_COUNT];
} mqttka_counts;

void mqttka_get_counts(const mqttka_analyzer *a, mqttka_counts *out);

/* Names */
const char *mqttka_finding_name(mqttka_finding_kind k);
/* "no_payload", "no_mqtt", "unproven", "tls", "http", "websocket",
 * "resource_limit", "close_only" */
const char *mqttka_not_analysed_name(mqttka_not_analysed r);
const char *mqttka_severity_name(mqttka_severity s);
/* The severity a kind is reported with. pingreq_unanswered is the one kind
 * reported with two: warn when a later PINGREQ overtook it, error when it was
 * never answered; this returns the higher. */
mqttka_severity mqttka_finding_severity(mqttka_finding_kind k);
const char *mqttka_verdict_name(mqttka_verdict v);
const char *mqttka_close_mechanism_name(mqttka_close_mechanism m); /* NULL for NONE */
const char *mqttka_side_name(mqttka_side s);                       /* NULL for NONE */
const char *mqttka_mqtt_type_name(uint8_t type);                   /* "CONNECT"... */
/* "3.1", "3.1.1", "5.0" or NULL */
const char *mqttka_mqtt_version_name(uint8_t level);
/* An MQTT 3.1 / 3.1.1 CONNACK return code (3.1.1 §3.2.2.3): "accepted",
 * "not authorized"...; NULL for a code the spec does not define. */
const char *mqttka_connack_return_code_name(uint8_t code);
/* An MQTT 5.0 reason code as the spec names it (5.0 §2.4) in a packet of
 * `type` (0x00 is "Success" in a CONNACK, "Normal disconnection" in a
 * DISCONNECT); NULL for a code the spec does not define. */
const char *mqttka_reason_code_name(uint8_t type, uint8_t code);
/* "close", "ping", "pong" for the control opcodes; NULL for others. */
const char *mqttka_ws_control_name(uint8_t opcode);
/* A WebSocket Close status code (RFC 6455 §7.4.1): "normal closure" ...
 * for 1000-1011, "no status code" for -1, "application code" for others. */
const char *mqttka_ws_close_code_name(int32_t code);

/* Writes "1.2.3.4:80" or "[::1]:80" into buf (at least 56 bytes). */
void mqttka_endpoint_format(const mqttka_endpoint *e, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
