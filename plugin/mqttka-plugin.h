/*
 * mqttka-plugin.h - what the files of the Wireshark plugin share.
 *
 * The plugin only translates (STYLE.md): frames into mqttka_segment records
 * for the core, and the core's events into tree items, expert infos, a tap
 * and a statistics tree. It has three parts:
 *
 *   mqttka-store.c      the analysis path: feeds the core on the first pass,
 *                       keeps what it said per frame (wmem file scope), and
 *                       finishes the analyzer when the first pass is over.
 *   packet-mqttka.c     the protocol "MQTT Keepalive": fields, expert infos,
 *                       the postdissector that shows the stored results.
 *   mqttka-transport.c  routing MQTT to Wireshark's own MQTT dissector: the
 *                       "mqtt" / "mqttv3.1" WebSocket subprotocols (with MQTT
 *                       packets reassembled across WebSocket messages) and
 *                       two TCP heuristics for ports nobody registered.
 *   mqttka-stats.c      the statistics tree "mqttka" fed by the tap.
 */
#ifndef MQTTKA_PLUGIN_H
#define MQTTKA_PLUGIN_H

#include <wireshark.h>
#include <epan/packet.h>

#include "mqttka-compat.h"
#include "mqttka.h"

/* ------------------------------------------------------------------------ */
/* What the core said, kept per frame (mqttka-store.c)                       */

/* One complete MQTT packet that the core saw end in a frame: 32 bytes, one
 * per MQTT packet of the capture, kept inside its frame's record. */
typedef struct mqttka_pkt_rec {
    mqttka_time silence;         /* client packets: MQTTKA_TIME_NONE if none */
    mqttka_time rtt;             /* both ends of a ping pair, else NONE */
    /* The core's connection number. The core numbers connections in order
     * of first sight and sees at most one new connection per frame, so the
     * number fits in 32 bits like frame numbers. */
    uint32_t conn_id;
    int32_t keepalive;           /* the effective keepalive then, -1 unknown */
    uint32_t pair;               /* PINGREQ: frame of its PINGRESP; other
                                    types: frame of the PINGREQ a PINGRESP
                                    answers; 0 if none */
    uint8_t type;                /* 1 CONNECT ... 15 AUTH */
    uint8_t dir;                 /* mqttka_direction */
    /* PINGRESP: its pingresp_rtt finding is not kept as a record but rebuilt
     * from this one (mqttka_store_rtt_finding). Where it goes among the
     * frame's kept findings: 1 + how many come before it on the frame's
     * reported list, on its tagged list; 0 when there is none to rebuild. */
    uint8_t rtt_reported_at;
    uint8_t rtt_tagged_at;
} mqttka_pkt_rec;

/* One finding; listed on the frame it is about and on the frame where it
 * became known (the same record, two links). */
typedef struct mqttka_finding_rec {
    struct mqttka_finding_rec *next_reported;
    struct mqttka_finding_rec *next_tagged;
    /* What is shown of a core finding, copied (the core's is borrowed). Not
     * the whole mqttka_finding: its detail buffer is fixed at 256 bytes. */
    const char *detail;          /* file scope, its own length */
    double value;
    uint32_t conn_id;            /* as in mqttka_pkt_rec */
    uint32_t tag, reported_tag;  /* frames; reported_tag 0: at the end */
    uint8_t kind;                /* mqttka_finding_kind */
    uint8_t severity;            /* mqttka_severity */
    bool has_value;
} mqttka_finding_rec;

/* The summary of a finished connection: what the tree and the statistics
 * show of the event's mqttka_connection and mqttka_summary (about 900 bytes
 * with their fixed buffers), copied. */
typedef struct mqttka_summary_rec {
    struct mqttka_summary_rec *next_reported;
    struct mqttka_summary_rec *next_tagged;
    const char *verdict_detail;  /* file scope, its own length */
    const char *client_id;       /* file scope; "" when none */
    uint64_t conn_id;
    uint64_t taken_over_by;      /* session_taken_over: the connection that took it; 0 none */
    mqttka_endpoint client, server;
    mqttka_time rtt_min, rtt_median, rtt_p95, rtt_max; /* when rtt_count > 0 */
    mqttka_time max_client_silence; /* MQTTKA_TIME_NONE when unknown */
    uint32_t pingreq, pingreq_unanswered, rtt_count;
    int32_t effective_keepalive; /* -1 when unknown */
    int32_t ws_close_code;       /* -1 when none */
    int32_t disconnect_reason;   /* -1 when none */
    int32_t connack_code;        /* -1 when no CONNACK */
    uint32_t frame;              /* where it is shown on revisits */
    uint8_t transport;           /* mqttka_transport */
    uint8_t mqtt_level;
    uint8_t verdict;             /* mqttka_verdict */
    uint8_t close_mechanism;     /* mqttka_close_mechanism */
    uint8_t close_initiator;     /* mqttka_side */
    uint8_t side_not_captured;   /* mqttka_side: one_sided, else MQTTKA_SIDE_NONE */
    bool start_seen;             /* the connection's SYN was captured */
    bool close_inferred;         /* the first close is a DISCONNECT inferred, not seen */
    bool pingreq_inferred;       /* an unanswered PINGREQ inferred, not seen */
    int32_t keepalive_inferred;  /* seconds, -1 when not inferred */
} mqttka_summary_rec;

/* The findings and summaries of a frame, on the few frames that have any. */
typedef struct mqttka_frame_lists {
    mqttka_finding_rec *reported, *reported_tail; /* reported_tag == frame */
    mqttka_finding_rec *tagged, *tagged_tail;     /* tag == frame */
    mqttka_summary_rec *sum_reported, *sum_reported_tail;
    mqttka_summary_rec *sum_tagged, *sum_tagged_tail;
    uint32_t n_reported, n_tagged;
    /* Copies of the MQTT packets of earlier frames that the core decoded
     * while this frame was pushed (a connection joined late, replayed once
     * proven): single-pass tshark taps them here, the only pass it has. */
    mqttka_pkt_rec *decoded_late;
    uint32_t n_decoded_late;
} mqttka_frame_lists;

/* Everything kept about one frame: 16 bytes and its MQTT packets. Frames the
 * core said nothing about have none. */
typedef struct mqttka_frame_rec {
    mqttka_frame_lists *lists;   /* NULL when no finding or summary */
    uint32_t n_pkts;
    mqttka_pkt_rec pkts[];       /* in the order the core completed them */
} mqttka_frame_rec;

/* What names a connection in the statistics tree, kept from the first MQTT
 * packet of each connection on (the client ID from the packet that brought
 * it, its CONNECT). */
typedef struct mqttka_conn_rec {
    mqttka_endpoint client, server;
    const char *client_id;       /* file scope; "" when none */
    uint8_t transport;           /* mqttka_transport */
} mqttka_conn_rec;

/* What the postdissector queues to the tap "mqttka" (mqttka-stats.c): MQTT
 * packets (a frame's, or those decoded late at it), one connection summary,
 * or the capture's TCP connections counted so far. Lives in pinfo->pool. */
typedef struct mqttka_tap_data {
    const mqttka_pkt_rec *pkts;        /* NULL for a summary or counts */
    uint32_t n_pkts;
    const mqttka_summary_rec *summary; /* NULL for packets or counts */
    /* Every frame: the core's counts after it (NULL in the other records).
     * Final once the first pass is over (counts_final): on revisits. On
     * the first pass they count the connections ended so far. */
    const mqttka_counts *counts;
    bool counts_final;
} mqttka_tap_data;

/* The connection numbered `conn_id` by the core, NULL if no MQTT packet of
 * it was seen (yet, on the first pass). Lives in wmem file scope. */
const mqttka_conn_rec *mqttka_store_conn(uint32_t conn_id);

/* Registers the init and cleanup routines that create and free the analyzer
 * with each capture file. Called from proto_register_mqttka. */
void mqttka_store_register(void);

/* On the first pass, pushes the frame `tvb` (the whole frame: the
 * postdissector's tvb) into the core. On the first revisit, finishes the
 * analyzer first. Returns the frame's record, or NULL if the core said
 * nothing about this frame. The record lives in wmem file scope. */
const mqttka_frame_rec *mqttka_store_frame(tvbuff_t *tvb, packet_info *pinfo);

/* Rebuilds into *out the pingresp_rtt finding of packet `p` of frame `num`
 * (p->rtt_reported_at != 0), with its detail in `detail` (at least
 * MQTTKA_DETAIL_MAX bytes, may be NULL when the detail is not needed: then
 * out->detail is NULL). `out` borrows `detail`. */
void mqttka_store_rtt_finding(uint32_t num, const mqttka_pkt_rec *p, mqttka_finding_rec *out,
                              char *detail);

/* True once mqttka_finish ran for the current file (the first pass is over). */
bool mqttka_store_finished(void);

/* The core's counts of TCP connections (mqttka_get_counts) into *out: every
 * connection once mqttka_store_finished(), those ended so far before. False,
 * *out untouched, when there is no analyzer (no file open, or it could not
 * be created). */
bool mqttka_store_counts(mqttka_counts *out);

/* ------------------------------------------------------------------------ */
/* mqttka-tls.c                                                              */

/* For a connection that Wireshark's TLS dissector handles (from the first
 * frame it ran on), rewrites `seg`, the segment decoded from the frame, into
 * the one the core would see in clear: the application data TLS decrypted
 * in this frame as its payload (none without the keys), sequence and
 * acknowledgement numbers counted in plaintext bytes. `seg->payload` then
 * lives in wmem file scope or pinfo->pool. Returns false, `seg` unchanged,
 * for other connections. First pass only, frames in order. */
bool mqttka_tls_rewrite(packet_info *pinfo, mqttka_segment *seg);

/* With each capture file: forgets the connections of the last one. */
void mqttka_tls_init(void);
void mqttka_tls_cleanup(void);

/* ------------------------------------------------------------------------ */
/* packet-mqttka.c                                                           */

extern int proto_mqttka;
extern int mqttka_tap;

/* ------------------------------------------------------------------------ */
/* mqttka-transport.c                                                        */

void mqttka_transport_register(void);
void mqttka_transport_handoff(void);

/* ------------------------------------------------------------------------ */
/* mqttka-stats.c                                                            */

void mqttka_stats_register(void);

/* ------------------------------------------------------------------------ */
/* packet-mqttka.c: the two entry points plugin.c hands to Wireshark.       */

void proto_register_mqttka(void);
void proto_reg_handoff_mqttka(void);

#endif
