/*
 * route.h - the bytes of a session's decided streams to the rules:
 *
 *   WebSocket:  bytes --ws_decoder--> frames --> unmasked message data
 *                 --mqtt_decoder--> MQTT packets --> keepalive
 *               control frames (Ping, Pong, Close) --> keepalive
 *   MQTT/TCP:   bytes --mqtt_decoder--> MQTT packets --> keepalive
 *
 * and what decoding a direction cannot go on past: a hole in the capture
 * or a fatal malformation (decoding resumes at the next segment that proves
 * a packet boundary), data it cannot decode (a compressed message).
 */
#ifndef MQTTKA_ROUTE_H
#define MQTTKA_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "mqttka.h"
#include "session.h"

/* In-order bytes of direction `dir` of a WebSocket session (after the 101). */
void route_websocket(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                     size_t len);

/* In-order bytes of direction `dir` of an MQTT-over-TCP session. */
void route_mqtt(const rule_ctx *at, session *s, mqttka_direction dir, const uint8_t *bytes,
                size_t len);

/* `n` bytes of direction `dir` of an MQTT-over-TCP session that were
 * captured but not kept (probe.c: the body of a PUBLISH it followed): the
 * decoder counts them as the body it does not read (mqtt_stream_unread).
 * Should the stream not be inside such a body for all of them, they are a
 * hole (route_gap): nothing is decoded from bytes not seen. */
void route_mqtt_unread(const rule_ctx *at, session *s, mqttka_direction dir, uint64_t n);

/* The capture missed `missing` bytes of direction `dir`: decoding stops
 * until a segment proves a packet boundary (boundary.h), and the hole is
 * reported (capture_gap) when it resumes. */
void route_gap(const rule_ctx *at, session *s, mqttka_direction dir, uint64_t missing);

/* The bytes of `dir` can no longer be read (a TLS record that failed
 * authentication): decoding stops for good, and the timing rules treat it
 * as a hole (packets may have been missed). */
void route_lose(const rule_ctx *at, session *s, mqttka_direction dir);

/* Direction `dir` of a session made mid-stream has no known boundary yet:
 * decoding starts at the first segment that proves one. */
void route_resync(session *s, mqttka_direction dir);

/* The session ends: holes never closed are reported. */
void route_finish(const rule_ctx *at, session *s);

/* Direction `dir` ended (FIN): a packet cut off by it is a malformation. */
void route_end(const rule_ctx *at, session *s, mqttka_direction dir);

#endif
