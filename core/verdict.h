/*
 * verdict.h - how a connection ended, and why: the close record, the
 * verdict (docs/FINDINGS.md "Why the connection ended") and the summary.
 *
 * The keepalive rules tell the verdict what they see as the connection
 * closes (verdict_note_*); at its end the flow asks for the summary. The
 * verdict calls no stage of the pipeline.
 */
#ifndef MQTTKA_VERDICT_H
#define MQTTKA_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "mqttka.h"
#include "session.h"

typedef struct close_event {
    bool seen;
    mqttka_side side;
    mqttka_time ts;
    uint64_t tag;
} close_event;

/* What the keepalive rules knew when the connection started to close: the
 * verdict's evidence. */
typedef struct close_facts {
    mqttka_time silence;          /* client silence; NONE when timing is not trustworthy */
    /* where the silence held bytes the capture did not decode: it lasted
     * between these (NONE: not known) */
    mqttka_time silence_min, silence_max;
    mqttka_time oldest_ping_ts;   /* NONE when no PINGREQ was outstanding */
    uint64_t oldest_ping_tag;
    mqttka_time last_data_ts;     /* payload seen before the close */
    bool closer_stream_lost;      /* the closing side's stream was not being decoded: a
                                     DISCONNECT or Close may be in what was missed */
    bool any_stream_lost;         /* either stream was not being decoded */
    bool no_server_bytes_since_ping; /* server's side not captured, but the client's ACKs
                                        show it sent nothing after the oldest PINGREQ waiting */
    /* client's side not captured: the server's own close came this long
     * after its ACK last moved (the client's last bytes it received), in
     * frame acked_silence_tag, with no byte of the server's stream missed;
     * NONE otherwise */
    mqttka_time acked_silence;
    uint64_t acked_silence_tag;
    /* the server closed and the silence's one hole was a PINGREQ it
     * answered (keepalive.c): this long since its ACK of those
     * ping_hole_bytes, in frame ping_hole_tag; NONE otherwise */
    mqttka_time ping_hole_silence;
    uint32_t ping_hole_bytes;
    uint64_t ping_hole_tag;
} close_facts;

/* How a connection ended, kept apart from the session: most connections of
 * a busy capture are open at any moment, and this is 336 bytes. Made by the
 * first FIN, RST, DISCONNECT or WebSocket Close. */
typedef struct close_record {
    close_event first_close;
    mqttka_close_mechanism first_close_mechanism;
    close_event disconnect;
    int32_t disconnect_reason;
    close_event ws_close;
    int32_t ws_close_code;
    char ws_close_reason[64];
    bool server_closed_any;   /* the server closed (FIN, RST or WS Close) */
    mqttka_time server_close_ts;
    close_facts at_close;     /* taken at the first close */
    mqttka_time oldest_ping_answer_ts; /* its PINGRESP after the close; NONE: none came */
    /* the server closed it (or sent DISCONNECT 0x8E) right after this
     * connection presented the same client id, at taker_connect_ts; 0: none */
    uint64_t taken_over_by;
    mqttka_time taker_connect_ts;
    int32_t refused_code;     /* the refusing CONNACK's code; -1: none refused */
    /* the client's DISCONNECT was not captured but inferred from the
     * server's acknowledgments (flow.c): these many bytes, closed after
     * this long */
    bool disconnect_inferred;
    uint32_t inferred_bytes;
    mqttka_time inferred_close_after;
    /* the client's last PINGREQ was not captured but inferred from the
     * server's acknowledgment of these many bytes, at this time, in this
     * frame (flow.c): the PINGREQ had come by then */
    bool ping_inferred;
    uint32_t inferred_ping_bytes;
    mqttka_time inferred_ping_ts;
    uint64_t inferred_ping_tag;
} close_record;

/* The record to read: an open connection's (nothing seen) when none was
 * made. */
const close_record *verdict_record_of(const session *s);

/* A side closed (FIN, RST, WebSocket Close, DISCONNECT): true when this is
 * the connection's first close, which the caller then describes with
 * verdict_note_facts. False for a later close, and when out of memory (the
 * close then goes unrecorded). */
bool verdict_note_close(const rule_ctx *at, session *s, mqttka_side side,
                        mqttka_close_mechanism how);
void verdict_note_facts(session *s, const close_facts *facts);

/* The PINGREQ in frame `ping_tag` got its PINGRESP now: if it was the
 * oldest waiting at the first close, the verdict says it came after. */
void verdict_note_ping_answered(const rule_ctx *at, session *s, uint64_t ping_tag);

/* After the connection's first close (verdict_note_facts): a bare close by
 * the client that a ping timeout would explain is suggested as such
 * (close_matches_ping_timeout): a hypothesis, never the verdict. `kae`:
 * the keepalive in force, negotiated or inferred. */
void verdict_close_hypotheses(const rule_ctx *at, session *s, int32_t kae);

/* A DISCONNECT (its MQTT 5 reason, -1 when none) and a WebSocket Close (its
 * code, -1 when none, and its payload, of which the reason is kept): the
 * first of each is recorded. */
void verdict_note_disconnect(const rule_ctx *at, session *s, mqttka_side side, int32_t reason);

/* The client's DISCONNECT, not captured, inferred at at->ts from the
 * server's acknowledgment of `bytes` client bytes, `close_after` before the
 * server's close (flow.c): recorded as a DISCONNECT marked inferred. */
void verdict_note_inferred_disconnect(const rule_ctx *at, session *s, uint32_t bytes,
                                      mqttka_time close_after);
/* The client's last PINGREQ, not captured, inferred from the server's
 * acknowledgment of `bytes` client bytes at `ack_ts` in frame `ack_tag`,
 * with nothing from the server after it (flow.c): the verdict of a client
 * close with no PINGREQ seen waiting counts it as unanswered. Called at
 * the client's first close. */
void verdict_note_inferred_ping(session *s, uint32_t bytes, mqttka_time ack_ts,
                                uint64_t ack_tag);
void verdict_note_ws_close(const rule_ctx *at, session *s, mqttka_side side, int32_t code,
                           const uint8_t *payload, size_t len);

/* The CONNACK refused the connection with `code` (connect_refused): the
 * record is made now, for the verdict. */
void verdict_note_refused(session *s, uint8_t code);

/* The side of a connection that the capture never saw (one-sided), or NONE. */
mqttka_side verdict_side_not_captured(const session *s);

/* Fills *out for the connection, whose last frame was `last_tag` at
 * `last_ts`. out->findings is an array made for it from the kept findings:
 * returned to be freed once the summary has been emitted. */
mqttka_finding *verdict_build_summary(const rule_ctx *at, session *s, mqttka_time last_ts,
                                      uint64_t last_tag, mqttka_summary *out);

#endif
