/*
 * mqtt_decoder.h - MQTT control packets from one direction's byte stream.
 *
 * MQTT 3.1.1 §2.2 / 5.0 §2.1 fixed header:
 *
 *   bit    7   6   5   4   3   2   1   0
 *   byte1  packet type    | flags
 *   byte2.. Remaining Length: 1-4 bytes, 7 bits each, bit 7 = "more"
 *
 * The stream decoder splits the bytes (unmasked WebSocket payload or a TCP
 * stream: MQTT-6.0.0-2 says packets need not align with frames) into
 * packets. It keeps the body only of CONNECT, CONNACK, DISCONNECT and AUTH,
 * and only up to a cap; every other body is counted and skipped, so a
 * 256 MB PUBLISH costs no memory.
 *
 * The body parsers decode CONNECT (3.1 "MQIsdp" level 3, 3.1.1 "MQTT" level
 * 4, 5.0 level 5 with properties), CONNACK (with the 5.0 Server Keep Alive
 * property 0x13) and the 5.0 DISCONNECT reason code.
 */
#ifndef MQTTKA_MQTT_DECODER_H
#define MQTTKA_MQTT_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttka.h" /* the packet types, MQTTKA_MQTT_* */

#define MQTT_MAX_REMAINING_LENGTH 268435455u /* 0xFF,0xFF,0xFF,0x7F */

typedef enum mqtt_malformation {
    MQTT_M_TYPE_ZERO = 0,         /* reserved type 0: skipped by its length */
    MQTT_M_TYPE_15_BEFORE_5,      /* AUTH exists only in 5.0 */
    MQTT_M_BAD_FLAGS,             /* flag bits other than the required ones */
    MQTT_M_QOS_3,                 /* PUBLISH with both QoS bits set */
    MQTT_M_LENGTH_TOO_LONG,       /* Remaining Length over 4 bytes: stream cannot be trusted */
    MQTT_M_LENGTH_NOT_MINIMAL,    /* 5.0 §1.5.5: minimal number of bytes */
    MQTT_M_BAD_PING,              /* PINGREQ/PINGRESP with flags or a body */
    MQTT_M_TRUNCATED,             /* the stream ended inside a packet */
    MQTT_M_COUNT
} mqtt_malformation;

typedef struct mqtt_packet_view {
    uint8_t type;
    uint8_t flags;
    uint32_t remaining_length;
    uint8_t header_len;        /* 2..5 */
    uint64_t stream_offset;    /* of the first byte of the fixed header */
    const uint8_t *body;       /* kept bytes of the body (CONNECT, CONNACK, DISCONNECT, AUTH); else NULL */
    size_t body_len;           /* <= remaining_length */
    bool body_truncated;       /* body_len < remaining_length because of the cap */
} mqtt_packet_view;

typedef struct mqtt_stream_callbacks {
    /* A whole packet has arrived. `p` and its body are borrowed. */
    void (*packet)(void *ctx, const mqtt_packet_view *p);
    /* A rule was broken. When `fatal`, the stream can no longer be split
     * into packets and the decoder now skips everything (sticky); it is
     * reported at once. Others are reported right after the packet they
     * concern (or where it would have been, for one not delivered). */
    void (*malformed)(void *ctx, mqtt_malformation m, bool fatal, uint8_t first_byte);
} mqtt_stream_callbacks;

/* 56 bytes, so that a direction's stream state and a few flags beside it
 * (session_direction) are one cache line. */
typedef struct mqtt_stream {
    uint8_t hdr[5];
    uint8_t hdr_have;
    bool in_body;
    bool skipping;             /* sticky: gave up on this stream */
    uint8_t type, flags;
    bool keep_failed;          /* allocation failed: body not kept */
    bool discard;              /* the current packet is malformed beyond use: not delivered */
    /* malformations of the current packet that do not stop decoding (1 <<
     * mqtt_malformation): reported after the packet, so that a reader sees
     * the packet first and what is wrong with it next */
    uint8_t deferred;
    uint32_t remaining_length;
    uint32_t body_done;
    uint32_t keep_cap;         /* no body is longer than MQTT_MAX_REMAINING_LENGTH */
    uint32_t keep_len;
    size_t max_keep;
    uint64_t offset;           /* stream bytes consumed so far */
    uint8_t *keep;             /* allocated lazily, max_keep bytes, reused */
} mqtt_stream;

const char *mqtt_malformation_name(mqtt_malformation m);

/* `max_keep`: most bytes kept of a body for decoding (mqttka_config). */
void mqtt_stream_init(mqtt_stream *s, size_t max_keep);
void mqtt_stream_free(mqtt_stream *s);

/* Consumes all `len` bytes. `level` is the protocol level known for the
 * connection (0 unknown, 3, 4, 5): it decides the 5.0-only rules. */
void mqtt_stream_push(mqtt_stream *s, uint8_t level, const uint8_t *bytes, size_t len,
                      const mqtt_stream_callbacks *cb, void *ctx);

/* How many of the next bytes the stream will count without reading them:
 * the rest of a body it does not keep (every byte, once it gave up).
 * mqtt_stream_push takes NULL `bytes` for up to that many, which spares a
 * WebSocket client stream the unmasking of PUBLISH payloads. */
size_t mqtt_stream_unread(const mqtt_stream *s);

/* The stream has ended: reports MQTT_M_TRUNCATED if inside a packet. */
void mqtt_stream_end(mqtt_stream *s, const mqtt_stream_callbacks *cb, void *ctx);

/* Is the stream between two packets (nothing of the next one read, and
 * not given up)? */
bool mqtt_stream_between_packets(const mqtt_stream *s);

/* The stream lost bytes: give up (sticky skip) until a restart. */
void mqtt_stream_skip(mqtt_stream *s);

/* Decoding starts again at a packet boundary (one proved by the caller,
 * boundary.h): whatever packet was in progress is forgotten. */
void mqtt_stream_restart(mqtt_stream *s);

/* Is this prefix the start of an MQTT CONNECT (0x10, a valid Remaining
 * Length, then 00 04 "MQTT" or 00 06 "MQIsdp")? Returns 1 yes, 0 no, -1
 * need more bytes (at most 13 are ever needed). */
int mqtt_looks_like_connect(const uint8_t *buf, size_t len);

typedef enum mqtt_parse_result {
    MQTT_PARSE_OK = 0,
    MQTT_PARSE_TRUNCATED,   /* the body ends early (or was cut by the keep cap) */
    MQTT_PARSE_INVALID,     /* a field breaks the spec */
} mqtt_parse_result;

typedef struct mqtt_connect {
    char protocol_name[8];   /* "MQTT", "MQIsdp", or the first bytes of another name */
    uint16_t protocol_name_len;
    uint8_t level;
    uint8_t flags;
    bool reserved_flag_set;  /* flags bit 0 */
    bool protocol_valid;     /* MQIsdp/3, MQTT/4 or MQTT/5 */
    uint16_t keepalive;
    char client_id[48];      /* truncated copy, NUL-terminated */
    uint16_t client_id_len;  /* as on the wire */
    bool has_client_id;      /* the body reached the client id */
    bool server_keepalive_property; /* a 5.0 CONNECT carried 0x13: not allowed there */
} mqtt_connect;

/* Parses a CONNECT body. On OK or TRUNCATED (when at least the keepalive was
 * read) fills *out; returns INVALID for a body too short for the keepalive. */
mqtt_parse_result mqtt_parse_connect(const uint8_t *body, size_t len, mqtt_connect *out);

typedef struct mqtt_connack {
    uint8_t flags;
    uint8_t code;                 /* return code (3.x) or reason code (5.0) */
    int32_t server_keepalive;     /* -1 absent */
    unsigned server_keepalive_count; /* how many times 0x13 appeared */
} mqtt_connack;

mqtt_parse_result mqtt_parse_connack(const uint8_t *body, size_t len, uint8_t level, mqtt_connack *out);

typedef struct mqtt_disconnect {
    int32_t reason_code;          /* -1 when absent (3.x, or 5.0 with no body) */
    unsigned server_keepalive_count; /* 0x13 here is a protocol error */
} mqtt_disconnect;

mqtt_parse_result mqtt_parse_disconnect(const uint8_t *body, size_t len, uint8_t level, mqtt_disconnect *out);

/* Reads an MQTT variable byte integer (1-4 bytes). Returns 1 and writes
 * *value and *used on success, 0 when more bytes are needed, -1 when it is
 * longer than 4 bytes. */
int mqtt_varint(const uint8_t *buf, size_t len, uint32_t *value, size_t *used);

#endif
