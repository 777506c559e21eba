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

#include "mqttka.h"

/* ------------------------------------------------------------------------ */
/* What the core said, kept per frame (mqttka-store.c)                       */

/* One complete MQTT packet that the core saw end in a frame. */
typedef struct mqttka_pkt_rec {
    struct mqttka_pkt_rec *next;
    uint64_t conn_id;
    uint8_t type;                /* 1 CONNECT ... 15 AUTH */
    mqttka_direction dir;
    int32_t keepalive;           /* the effective keepalive then, -1 unknown */
    mqttka_time silence;         /* client packets: MQTTKA_TIME_NONE if none */
    mqttka_time rtt;             /* both ends of a ping pair, else NONE */
    uint32_t pingresp_in;        /* PINGREQ: frame of its PINGRESP, 0 if none */
    uint32_t pingreq_in;         /* PINGRESP: frame of its PINGREQ, 0 if none */
} mqttka_pkt_rec;

/* One finding; listed on the frame it is about and on the frame where it
 * became known (the same record, two links). */
typedef struct mqttka_finding_rec {
    struct mqttka_finding_rec *next_reported;
    struct mqttka_finding_rec *next_tagged;
    uint64_t conn_id;
    /* What is shown of a core finding, copied (the core's is borrowed). Not
     * the whole mqttka_finding: its detail buffer is fixed at 256 bytes, and
     * a capture has a finding per ping pair. */
    mqttka_finding_kind kind;
    mqttka_severity severity;
    bool has_value;
    double value;
    uint64_t tag, reported_tag;
    const char *detail; /* file scope, its own length */
} mqttka_finding_rec;

/* The summary of a finished connection, copied out of the event. */
typedef struct mqttka_summary_rec {
    struct mqttka_summary_rec *next_reported;
    struct mqttka_summary_rec *next_tagged;
    mqttka_connection conn;
    mqttka_summary s; /* s.conn and s.findings are NULL in the copy */
    uint32_t frame;   /* where it is shown on revisits */
} mqttka_summary_rec;

typedef struct mqttka_frame_rec {
    mqttka_pkt_rec *pkts, *pkts_tail;
    mqttka_finding_rec *reported, *reported_tail; /* reported_tag == frame */
    mqttka_finding_rec *tagged, *tagged_tail;     /* tag == frame */
    mqttka_summary_rec *sum_reported, *sum_reported_tail;
    mqttka_summary_rec *sum_tagged, *sum_tagged_tail;
} mqttka_frame_rec;

/* Registers the init and cleanup routines that create and free the analyzer
 * with each capture file. Called from proto_register_mqttka. */
void mqttka_store_register(void);

/* On the first pass, pushes the frame `tvb` (the whole frame: the
 * postdissector's tvb) into the core. On the first revisit, finishes the
 * analyzer first. Returns the frame's record, or NULL if the core said
 * nothing about this frame. The record lives in wmem file scope. */
const mqttka_frame_rec *mqttka_store_frame(tvbuff_t *tvb, packet_info *pinfo);

/* True once mqttka_finish ran for the current file (the first pass is over). */
bool mqttka_store_finished(void);

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
