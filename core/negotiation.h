/*
 * negotiation.h - the keepalive a connection agrees on (docs/FINDINGS.md
 * "Negotiation"): the client's CONNECT, the server's CONNACK, and the
 * findings about them.
 *
 * Each packet is read in two steps, so that its findings follow its own
 * event: *_read settles the session's state and fills the event's details,
 * *_judge reports.
 */
#ifndef MQTTKA_NEGOTIATION_H
#define MQTTKA_NEGOTIATION_H

#include "emit.h"
#include "mqtt_decoder.h"
#include "mqttka.h"
#include "session.h"

typedef struct connect_reading {
    mqtt_parse_result result;
    mqtt_connect packet;
    mqttka_connect_info info; /* the event's details */
} connect_reading;

typedef struct connack_reading {
    mqtt_parse_result result;
    mqtt_connack packet;
    mqttka_connack_info info;
} connack_reading;

/* The first CONNECT: protocol level, keepalive and client id. */
void negotiation_read_connect(session *s, const mqtt_packet_view *p, connect_reading *r);
void negotiation_judge_connect(const rule_ctx *at, session *s, const mqtt_packet_view *p,
                               const connect_reading *r);

/* The first CONNACK: accepted or not, and the effective keepalive. */
void negotiation_read_connack(session *s, const mqtt_packet_view *p, connack_reading *r);
void negotiation_judge_connack(const rule_ctx *at, session *s, const mqtt_packet_view *p,
                               const connack_reading *r);

/* connack_missing: a CONNECT with no CONNACK. `closing`: the connection's
 * first close, by `side`, now (told unless the client gave up too soon to
 * say); else only once connack_timeout has passed (a packet, a tick, the
 * end). Returns the time at which it would be told by time alone, or NONE. */
mqttka_time negotiation_check_connack(const rule_ctx *at, session *s, bool closing,
                                      mqttka_side side);

#endif
