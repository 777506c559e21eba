/*
 * probe.h - a flow whose framing is not known: the capture joined it after
 * it began (no SYN, and its first bytes are neither an HTTP request nor an
 * MQTT CONNECT), or lost bytes before its first bytes could be decoded.
 *
 * Each segment is tried as a packet boundary (boundary.h), as MQTT over
 * TCP and as MQTT over WebSocket. A flow is taken for MQTT only after
 * several proofs in a row (but for one case on port 1883, below), so that
 * other binary traffic is not: two
 * WebSocket segments (masked or unmasked as their direction requires, each
 * frame a whole message of whole MQTT packets), or three MQTT-over-TCP
 * segments (two on port 1883, one from each side and neither an echo:
 * PROBE_RUN_TCP_MQTT_PORT). On port 1883 over TCP one segment suffices, as
 * for the dissectors that decode the port by its number, when it is the
 * first with data the probe sees from its side (one chance a direction),
 * is whole packets to its end, each of a type its direction may send (a
 * client's toward 1883, a server's from it), and is not a server speaking
 * first: with the handshake seen (probe_handshake_seen), the server's
 * first segment counts only after the client's bytes, and after a CONNECT
 * the capture missed (probe_opens_answer) only as a CONNACK. Within a run,
 * one segment of whole packets of
 * which some are malformed as the decoder skips them (a reserved type, a
 * PUBLISH of QoS 3) is neither for nor against. Which side is the client
 * comes from the masks (RFC 6455 §5.3: only a client masks) or from packet
 * types only one side sends (MQTT §3: CONNECT, SUBSCRIBE, UNSUBSCRIBE,
 * PINGREQ go client to server; CONNACK, SUBACK, UNSUBACK, PINGRESP the
 * other way), else from the ports.
 *
 * A segment that starts with whole packets and ends inside one more (a
 * sender that fills its segments) proves nothing alone; with the side's
 * next segments up to one that finishes that packet and goes on with
 * whole packets to its end, the chain counts as one proof (MQTT over TCP).
 * The open packet may be the segment's first and of any length when it is
 * a PUBLISH with a plausible topic name (probe.c, open_followed): its body
 * is counted, not kept, so that a PUBLISH larger than KEPT_BYTES is
 * decoded and counted once the run proves. A segment that ends inside a
 * fixed header (boundary_mqtt_split) is followed likewise: the header's
 * bytes so far are read as the start of the side's next segment, and the
 * two joined must prove as one segment. A segment of SUBSCRIBEs alone is
 * neither for nor against (a WebSocket binary frame reads the same), but is
 * kept ahead of a run over TCP, so that its packets are not lost.
 *
 * The segments of the proving run are kept (a few, small, within the
 * buffered-bytes cap; of a PUBLISH body only its length: kept_segment's
 * skipped bytes, replayed as such) and handed back, so that the packets they carry are
 * decoded and counted like the rest. A flow that proves nothing within
 * PROBE_MAX_SEGMENTS segments with data, or starts with a TLS record, is
 * not MQTT.
 */
#ifndef MQTTKA_PROBE_H
#define MQTTKA_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kept_segments.h"
#include "mqttka.h"

/* Segments with data looked at before a flow is given up. */
#define PROBE_MAX_SEGMENTS 256
/* Proofs in a row that make a flow MQTT, by transport. */
#define PROBE_RUN_WEBSOCKET 2
#define PROBE_RUN_TCP 3
/* Over TCP with one endpoint on the port IANA assigned to MQTT: proofs in a
 * row from both sides, none an echo, the sides as the port says (probe.c). */
#define PROBE_MQTT_PORT 1883
#define PROBE_RUN_TCP_MQTT_PORT 2

typedef struct probe probe; /* private */

typedef enum probe_result {
    PROBE_WAIT = 0,   /* not proved yet */
    PROBE_MQTT,       /* proved: see probe_decision */
    PROBE_NOT_MQTT,   /* given up: see probe_not_mqtt_reason */
} probe_result;

typedef struct probe_decision {
    mqttka_transport transport;
    int client_side; /* the flow side that is the client; -1 when the segments do not say */
} probe_decision;

/* The flow side whose port is PROBE_MQTT_PORT when the other's is not
 * (the flow's sides 0 and 1 by their ports), else -1. */
int probe_mqtt_port_side(uint16_t port0, uint16_t port1);

/* Looks at the in-order bytes of one segment of flow side `side`.
 * `client_side` is the flow's, -1 when not known; `port_side` is
 * probe_mqtt_port_side's answer for the flow. *p is made at the first
 * call; keeping bytes draws on *buffered up to max_buffered. */
probe_result probe_push(probe **p, int side, int client_side, int port_side, const uint8_t *bytes,
                        size_t len, mqttka_time ts, uint64_t tag, size_t *buffered,
                        size_t max_buffered, probe_decision *out);

/* Whether the flow's segments so far end in a run of at least one proof,
 * too short to decide by itself; if so, *out is what that run says (its
 * client_side -1 when it does not say). For a flow whose server is known to
 * carry MQTT (proven_servers.h). */
bool probe_partial(const probe *p, probe_decision *out);

/* The flow's SYN or SYN-ACK was seen: a server's first segment before any
 * of its client's bytes is a server that speaks first, which no MQTT
 * server does, and proves nothing alone on PROBE_MQTT_PORT (probe.c,
 * one_segment_proves). Makes the probe if there is none (out of memory:
 * nothing done). */
void probe_handshake_seen(probe **pp);

/* The next segment of `side` (the first of the flow with data) holds the
 * first bytes of that side's stream, known from its SYN-ACK, which the
 * client's CONNECT went before: the capture holds none of the client's
 * data (none of its side, or its SYN only, its first bytes lost), and
 * that side's ACK covers at least a CONNECT's 14 bytes of it (flow.c). If
 * that segment is whole packets starting with a CONNACK, sent from
 * PROBE_MQTT_PORT, it counts as a proof of each side, and proves the flow
 * alone (probe_push). A gap before it (probe_gap) cancels this. Makes the
 * probe if there is none (out of memory: nothing done). */
void probe_opens_answer(probe **pp, int side);

/* Whether the flow's one segment with data, in all, was a client's lone
 * PINGREQ or DISCONNECT (lone_packet.h), or its last was a DISCONNECT over
 * TCP after segments of the same side that the run holds every one of (a
 * PUBLISH, then goodbye): in one masked WebSocket frame, or
 * bare over TCP from the side whose peer is on PROBE_MQTT_PORT
 * (`port_side`), with no byte of either side lost since. If so, returns
 * its type (MQTTKA_MQTT_PINGREQ or MQTTKA_MQTT_DISCONNECT), *out says its
 * transport and that its sender is the client, and *client_ack the
 * client's ACK with it (probe_lone_ack); else 0, and nothing written. The
 * caller proves the rest of the pattern (the server acknowledged it, sent
 * nothing, and the client closed: flow.c's prove_lone_packet). */
uint8_t probe_lone_packet(const probe *p, int port_side, probe_decision *out,
                          uint32_t *client_ack);

/* The ACK number its sender's segment carried, told right after that
 * segment went to probe_push: kept when it was the lone packet (it says
 * how much of the server's stream the client had then; *client_ack above,
 * and the PINGREQ is not taken without it). */
void probe_lone_ack(probe *p, int side, uint32_t ack);

/* Bytes of side `side` were lost (a hole in the capture): a packet that
 * side's last segment left open can no longer be finished, and the run
 * starts over. p may be NULL. */
void probe_gap(probe *p, int side, size_t *buffered);

/* Why a flow was given up: true when a side began with a TLS record. */
bool probe_saw_tls(const probe *p);

/* The kept segments of the proving run, oldest first (NULL: none). */
const kept_segments *probe_kept(const probe *p);

/* Frees the probe and gives its kept bytes back to *buffered; NULL after. */
void probe_free(probe **p, size_t *buffered);

#endif
