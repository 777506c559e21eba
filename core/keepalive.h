/*
 * keepalive.h - the MQTT keepalive rules (docs/FINDINGS.md "Negotiation",
 * "Cadence and pings"), fed the decoded MQTT packets and WebSocket control
 * frames of one connection, its closes and its end.
 *
 * Every packet and control frame goes out as an event carrying what a
 * reader needs beside it (client silence, ping RTT); the findings it leads
 * to follow it. What the rules know as the connection closes goes to the
 * verdict (verdict.h).
 */
#ifndef MQTTKA_KEEPALIVE_H
#define MQTTKA_KEEPALIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "mqtt_decoder.h"
#include "mqttka.h"
#include "session.h"

/* A complete MQTT packet in direction `dir`. */
void keepalive_on_packet(const rule_ctx *at, session *s, mqttka_direction dir,
                         const mqtt_packet_view *p);

/* A complete WebSocket control frame (Ping, Pong, Close), payload unmasked. */
void keepalive_on_ws_control(const rule_ctx *at, session *s, mqttka_direction dir,
                             uint8_t opcode, const uint8_t *payload, size_t len);

/* A side closed (FIN, RST, WebSocket Close, DISCONNECT). */
void keepalive_on_close(const rule_ctx *at, session *s, mqttka_side side,
                        mqttka_close_mechanism how);

/* Direction `dir` is not decoded for a while (a hole in the capture, a
 * packet whose length cannot be trusted): the client silence that holds it
 * is not judged, and pings whose PINGREQ or PINGRESP it may hold are
 * neither paired nor unanswered. */
void keepalive_on_gap(const rule_ctx *at, session *s, mqttka_direction dir);

/* A capture of the client's side only: the client acknowledged new bytes
 * from the server. The PINGREQs waiting may have been answered: they are
 * neither paired nor unanswered. */
void keepalive_on_server_bytes(session *s);

/* A capture of the server's side only: the server's ACK moved forward by
 * `bytes` of the client's stream (flow.c), before this segment's data is
 * decoded. A step of a PINGREQ's size that a PINGRESP follows before the
 * next step is a PINGREQ of the client's: their cadence gives the
 * keepalive (keepalive_inferred), as the client's own PINGREQs would. */
void keepalive_on_client_bytes_acked(const rule_ctx *at, session *s, uint32_t bytes);

/* Bytes of direction `dir` went by that were not decoded (a hole noticed,
 * bytes skipped while looking for a packet boundary). */
void keepalive_on_undecoded(const rule_ctx *at, session *s, mqttka_direction dir);

/* End of the connection (closed, or the end of input, whose last frame of
 * the connection was `last_tag`): end-of-silence and outstanding-ping
 * findings. */
void keepalive_on_end(const rule_ctx *at, session *s, bool end_of_input, uint64_t last_tag);

/* Live capture: reports what time alone has decided by `now`; returns the
 * next time at which calling again may report something, or NONE. */
mqttka_time keepalive_tick(const rule_ctx *at, session *s, mqttka_time now);

#endif
