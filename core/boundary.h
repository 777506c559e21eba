/*
 * boundary.h - proving that a packet boundary lies at the start of a
 * segment, where the framing of a stream is not known: a capture that
 * joined after the connection began, a hole in the capture, a packet that
 * could not be decoded.
 *
 * The proof is that the segment's bytes are whole units of the protocol,
 * one after another, ending exactly at the segment's end: MQTT fixed
 * headers whose Remaining Lengths chain (MQTT 3.1.1 §2.2, 5.0 §2.1), or
 * WebSocket frames (RFC 6455 §5.2) with the mask bit of their direction
 * (§5.1) whose data payloads are themselves whole MQTT packets
 * (MQTT-6.0.0-2 allows otherwise, but senders write a packet a frame).
 * Senders write whole packets, so segments begin at boundaries far more
 * often than not; a segment that begins mid-packet simply proves nothing.
 *
 * Every header is checked as strictly as the specs allow (types and their
 * flags, minimal lengths, sizes each type needs), so that other binary
 * traffic (TLS records, SSH, HTTP/2 frames, other WebSocket protocols)
 * almost never passes; callers ask for several proofs in a row before they
 * take a stream for MQTT. Each check reads only headers and costs at most
 * one step per unit in the segment.
 */
#ifndef MQTTKA_BOUNDARY_H
#define MQTTKA_BOUNDARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MQTT packet types that only a client sends (CONNECT, SUBSCRIBE,
 * UNSUBSCRIBE, PINGREQ) and that only a server sends (CONNACK, SUBACK,
 * UNSUBACK, PINGRESP), as bit masks of 1 << type. */
#define BOUNDARY_CLIENT_TYPES 0x1502u
#define BOUNDARY_SERVER_TYPES 0x2A04u

typedef struct boundary_proof {
    uint16_t types;       /* 1 << type of every MQTT packet in the segment */
    uint32_t packets;     /* MQTT packets (0: WebSocket control or compressed frames only,
                             which prove the framing but not that it carries MQTT) */
    uint32_t frames;      /* WebSocket frames */
    bool masked;          /* WebSocket: the frames were masked (client to server) */
    bool rsv1;            /* WebSocket: a data frame had RSV1 (compressed) */
} boundary_proof;

/* Are `len` bytes exactly whole MQTT packets of protocol level `level` (0:
 * unknown)? Fills *proof when they are. */
bool boundary_mqtt(const uint8_t *bytes, size_t len, uint8_t level, boundary_proof *proof);

/* Do `len` bytes start with one or more whole MQTT packets and end inside
 * one more whose fixed header is whole (a packet the sender wrote across
 * segments: a full-sized segment of PUBLISHes ends mid-packet)? Fills *proof with the
 * packets begun, and *owed with the bytes of the last one still to come,
 * when they do. The proof is only half made: the bytes that follow must
 * finish that packet and chain on to a segment's end (probe.c). */
bool boundary_mqtt_open(const uint8_t *bytes, size_t len, uint8_t level, boundary_proof *proof,
                        uint32_t *owed);

/* The packet a segment leaves open (boundary_mqtt_open_packet). */
typedef struct boundary_open {
    uint32_t owed;      /* its bytes still to come */
    size_t body_at;     /* where its body starts in the segment: its fixed header ends */
    uint8_t first_byte; /* its fixed header's first byte */
    /* A PUBLISH whose topic name is whole in the segment, not empty, within
     * the Remaining Length, and reads as a name a publisher writes
     * (well-formed UTF-8 without U+0000, control characters or wildcards). */
    bool named;
} boundary_open;

/* As boundary_mqtt_open, but the open packet may be the segment's only one
 * (a segment that starts with a large PUBLISH), and *open says where it
 * starts and what it is. The caller decides what evidence that is: a lone
 * header with a large length is what a segment that starts mid-packet
 * often reads as (probe.c asks for a `named` PUBLISH then). */
bool boundary_mqtt_open_packet(const uint8_t *bytes, size_t len, uint8_t level,
                               boundary_proof *proof, boundary_open *open);

/* A fixed header a segment ends inside (boundary_mqtt_split): its first
 * byte and the length bytes sent so far, each with the continuation bit;
 * at most 1 + 3 bytes (a Remaining Length has at most 4, §2.2.3). */
#define BOUNDARY_HEAD_MAX 4
typedef struct boundary_head {
    uint8_t bytes[BOUNDARY_HEAD_MAX];
    uint8_t len; /* 1..BOUNDARY_HEAD_MAX */
} boundary_head;

/* Do `len` bytes (after `pre_len` bytes `pre`: a boundary_head the side's
 * last segment ended inside, read as if the segment began with them; 0 and
 * NULL: none) start with zero or more whole MQTT packets and end inside one
 * more's fixed header, whose bytes so far are valid: a first byte of a
 * valid type and flags, and length bytes that each announce one more (a
 * sender that fills its segments cuts a header too, suricata-verify's
 * mqtt-midstream-split a CONNACK after its first byte)? Fills *proof with
 * the whole packets before it and *head with the header's bytes so far when
 * they do. Nothing is proved: the side's next segment must finish the
 * header and chain on (boundary_mqtt_after). Never more than
 * BOUNDARY_HEAD_MAX bytes of `pre`; nothing is copied but the head. */
bool boundary_mqtt_split(const uint8_t *pre, size_t pre_len, const uint8_t *bytes, size_t len,
                         uint8_t level, boundary_proof *proof, boundary_head *head);

/* boundary_mqtt over `pre` (pre_len bytes of a boundary_head, at most
 * BOUNDARY_HEAD_MAX) followed by the segment's `len` bytes: the packet the
 * head began is the first one, and counts in *proof. */
bool boundary_mqtt_after(const uint8_t *pre, size_t pre_len, const uint8_t *bytes, size_t len,
                         uint8_t level, boundary_proof *proof);

/* boundary_mqtt_open_packet over `pre` then the segment, likewise;
 * open->body_at is counted in the segment's own bytes (the head is never a
 * whole header, so the body starts there). */
bool boundary_mqtt_open_packet_after(const uint8_t *pre, size_t pre_len, const uint8_t *bytes,
                                     size_t len, uint8_t level, boundary_proof *proof,
                                     boundary_open *open);

/* Are `len` bytes exactly whole MQTT packets (level not known) of which at
 * least one is malformed in a way the decoder reports and skips by its
 * length, decoding the packets after it: a reserved type 0, a PUBLISH of
 * QoS 3? Such a segment proves nothing (boundary_mqtt is false on it), but
 * it is not evidence against MQTT either (probe.c). Fills *proof (with the
 * well-formed packets' types, the malformed ones' too) when they are. */
bool boundary_mqtt_skippable(const uint8_t *bytes, size_t len, boundary_proof *proof);

/* Are `len` bytes exactly whole WebSocket frames, all masked when `masked`
 * is 1, all unmasked when 0, all alike when -1, each data frame a whole
 * message? With `whole_packets`, each message must be whole MQTT packets;
 * without (a stream already known to carry MQTT, whose senders may split a
 * packet over messages, MQTT-6.0.0-2: MQTT.js writes a DISCONNECT as two
 * one-byte frames), a message need only start with a valid fixed header's
 * first byte. RSV1 is allowed on data frames when `rsv1_allowed`
 * (permessage-deflate: a compressed payload is not checked). Fills *proof
 * when they are. */
bool boundary_websocket(const uint8_t *bytes, size_t len, int masked, bool rsv1_allowed,
                        bool whole_packets, uint8_t level, boundary_proof *proof);

/* Does a segment start with a TLS record header (RFC 8446 §5.1: content type
 * 20-23, version 3.x, a length up to 2^14 + 2048)? For saying why a flow
 * was not analysed. */
bool boundary_looks_like_tls(const uint8_t *bytes, size_t len);

#endif
