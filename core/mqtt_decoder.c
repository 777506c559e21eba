/*
 * mqtt_decoder.c - MQTT control packets from one direction's byte stream.
 *
 * Implements:
 *   MQTT 3.1.1 §2.2 / 5.0 §2.1   fixed header, flags (§2.2.2 / §2.1.3)
 *   MQTT 3.1.1 §2.2.3 / 5.0 §1.5.5  Remaining Length (Variable Byte Integer)
 *   MQTT 3.1 / 3.1.1 §3.1 / 5.0 §3.1  CONNECT variable header, client id
 *   MQTT 3.1.1 §3.2 / 5.0 §3.2   CONNACK, Server Keep Alive (§3.2.2.3.14)
 *   MQTT 5.0 §3.14               DISCONNECT reason code
 *   MQTT 5.0 §2.2.2.2            property identifiers and their value types
 *
 *   bit    7   6   5   4   3   2   1   0
 *   byte1  packet type    | flags             PUBREL, SUBSCRIBE, UNSUBSCRIBE: 0010
 *   byte2  Remaining Length, 1-4 bytes        PUBLISH: DUP, QoS(2), RETAIN
 *   ...    (7 bits each, bit 7 = "more")      all others: 0000
 *
 *   CONNECT variable header:
 *     00 04 'M' 'Q' 'T' 'T'           level 4/5  flags  keepalive(2)  [5.0: properties]
 *     00 06 'M' 'Q' 'I' 's' 'd' 'p'   level 3    flags  keepalive(2)
 *   then the payload, which always starts with the client identifier (2-byte length + bytes).
 *
 * The fixed header goes into a 5-byte array; a body is either copied into
 * one buffer of `max_keep` bytes (CONNECT, CONNACK, DISCONNECT, AUTH: the
 * only packets whose contents the keepalive analysis reads) or counted and
 * dropped, so memory never depends on a length from the wire.
 */
#include "mqtt_decoder.h"

#include <stdlib.h>
#include <string.h>

#include "byte_cursor.h"

/* 3.1.1 §2.2.3 / 5.0 §1.5.5: a Variable Byte Integer has at most 4 bytes. */
#define MQTT_VARINT_MAX_BYTES 4u

/* Copies of names and client ids are for reports; anything else is shown as
 * '?' so a crafted packet cannot put control characters into a log line. */
#define PRINTABLE_FIRST 0x20u
#define PRINTABLE_LAST 0x7eu

static const char TRUNCATION_MARK[] = "...";

/* ------------------------------------------------------------------------ */
/* Variable Byte Integer                                                     */

/* Reads a Variable Byte Integer at the cursor. 1: read, cursor advanced;
 * 0: the bytes end first; -1: more than 4 bytes. The cursor moves only on 1. */
static int cursor_varint(byte_cursor *c, uint32_t *value)
{
    byte_cursor probe = *c;
    uint32_t v = 0;
    for (unsigned i = 0; i < MQTT_VARINT_MAX_BYTES; i++) {
        uint8_t b;
        if (!byte_cursor_u8(&probe, &b))
            return 0;
        v |= (uint32_t)(b & 0x7fu) << (7u * i);
        if ((b & 0x80u) == 0) {
            *value = v;
            *c = probe;
            return 1;
        }
    }
    return -1;
}

int mqtt_varint(const uint8_t *buf, size_t len, uint32_t *value, size_t *used)
{
    if (buf == NULL || len == 0)
        return 0;
    byte_cursor c = byte_cursor_make(buf, len);
    uint32_t v;
    int r = cursor_varint(&c, &v);
    if (r == 1) {
        *value = v;
        *used = c.pos;
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Stream splitter                                                           */

const char *mqtt_malformation_name(mqtt_malformation m)
{
    switch (m) {
    case MQTT_M_TYPE_ZERO: return "reserved packet type 0";
    case MQTT_M_TYPE_15_BEFORE_5: return "packet type 15 (AUTH) before MQTT 5";
    case MQTT_M_BAD_FLAGS: return "wrong fixed header flags";
    case MQTT_M_QOS_3: return "PUBLISH with QoS 3";
    case MQTT_M_LENGTH_TOO_LONG: return "Remaining Length longer than 4 bytes";
    case MQTT_M_LENGTH_NOT_MINIMAL: return "Remaining Length not minimally encoded";
    case MQTT_M_BAD_PING: return "PINGREQ/PINGRESP with flags or a body";
    case MQTT_M_TRUNCATED: return "stream ended inside a packet";
    case MQTT_M_COUNT: break;
    }
    return "unknown malformation";
}

/* Takes a stream never initialised or already freed: an initialised one
 * still owning `keep` must go through mqtt_stream_free first. */
void mqtt_stream_init(mqtt_stream *s, size_t max_keep)
{
    memset(s, 0, sizeof *s);
    s->max_keep = max_keep;
}

/* Releases the kept-body buffer; safe to call twice. */
void mqtt_stream_free(mqtt_stream *s)
{
    free(s->keep);
    s->keep = NULL;
    s->keep_cap = 0;
    s->keep_len = 0;
}

bool mqtt_stream_between_packets(const mqtt_stream *s)
{
    return !s->skipping && !s->in_body && s->hdr_have == 0;
}

void mqtt_stream_skip(mqtt_stream *s)
{
    s->skipping = true;
}

void mqtt_stream_restart(mqtt_stream *s)
{
    s->skipping = false;
    s->hdr_have = 0;
    s->in_body = false;
    s->discard = false;
    s->deferred = 0;
    free(s->keep);
    s->keep = NULL;
    s->keep_cap = 0;
    s->keep_len = 0;
}

/* The packets whose bodies the analysis reads; every other body is only counted. */
static bool keeps_body(uint8_t type)
{
    return type == MQTTKA_MQTT_CONNECT || type == MQTTKA_MQTT_CONNACK || type == MQTTKA_MQTT_DISCONNECT ||
           type == MQTTKA_MQTT_AUTH;
}

/* Reports a malformation; a fatal one makes the stream skip from here.
 * Returns whether decoding goes on (the callback may also call skip). */
/* Reports the malformations held for the current packet. */
static void report_deferred(mqtt_stream *s, const mqtt_stream_callbacks *cb, void *ctx)
{
    uint8_t deferred = s->deferred;
    s->deferred = 0;
    for (unsigned m = 0; deferred && m < MQTT_M_COUNT; m++) {
        if ((deferred & (1u << m)) && cb != NULL && cb->malformed != NULL)
            cb->malformed(ctx, (mqtt_malformation)m, false, s->hdr[0]);
    }
}

static bool report(mqtt_stream *s, mqtt_malformation m, bool fatal,
                   const mqtt_stream_callbacks *cb, void *ctx)
{
    if (!fatal && m != MQTT_M_TRUNCATED) {
        s->deferred |= (uint8_t)(1u << m);
        return true;
    }
    report_deferred(s, cb, ctx);
    if (fatal)
        s->skipping = true;
    if (cb != NULL && cb->malformed != NULL)
        cb->malformed(ctx, m, fatal, s->hdr[0]);
    return !s->skipping;
}

static void deliver(mqtt_stream *s, const mqtt_stream_callbacks *cb, void *ctx)
{
    bool kept = keeps_body(s->type);
    mqtt_packet_view p = {
        .type = s->type,
        .flags = s->flags,
        .remaining_length = s->remaining_length,
        .header_len = s->hdr_have,
        /* body_done is 0 for an empty body (set when its header ended) */
        .stream_offset = s->offset - s->hdr_have - s->body_done,
        .body = (kept && s->keep != NULL) ? s->keep : NULL,
        .body_len = kept ? s->keep_len : 0,
        /* Other bodies are dropped by design, not cut by the cap. */
        .body_truncated = kept && s->keep_len < s->remaining_length,
    };
    /* Ready for the next packet before the callback runs, so that a call
     * to mqtt_stream_end or mqtt_stream_skip from inside it sees a
     * stream between packets. */
    s->hdr_have = 0;
    s->in_body = false;
    bool discard = s->discard;
    s->discard = false;
    if (!discard && cb != NULL && cb->packet != NULL)
        cb->packet(ctx, &p);
    report_deferred(s, cb, ctx);
    /* Kept bodies are rare (CONNECT, CONNACK, DISCONNECT, AUTH): give the
     * buffer back rather than hold max_keep bytes for the connection's life. */
    if (kept && s->keep != NULL) {
        free(s->keep);
        s->keep = NULL;
        s->keep_cap = 0;
        s->keep_len = 0;
    }
}

/* Checks the first byte of a fixed header; returns whether decoding goes on. */
static bool check_first_byte(mqtt_stream *s, uint8_t level, const mqtt_stream_callbacks *cb,
                             void *ctx)
{
    if (s->type == 0) {
        /* Reserved: nothing to deliver, but its length still tells where
         * the next packet starts. */
        s->discard = true;
        return report(s, MQTT_M_TYPE_ZERO, false, cb, ctx);
    }
    if (s->type == MQTTKA_MQTT_AUTH && level != 0 && level < 5) {
        /* Before 5.0 type 15 is simply reserved: it has no flag rule to break. */
        return report(s, MQTT_M_TYPE_15_BEFORE_5, false, cb, ctx);
    }

    uint8_t required_flags = 0x0;
    switch (s->type) {
    case MQTTKA_MQTT_PUBLISH:
        if ((s->flags & 0x6u) == 0x6u)
            return report(s, MQTT_M_QOS_3, false, cb, ctx);
        return true;
    case MQTTKA_MQTT_PUBREL:
    case MQTTKA_MQTT_SUBSCRIBE:
    case MQTTKA_MQTT_UNSUBSCRIBE:
        required_flags = 0x2;
        break;
    default:
        break;
    }
    if (s->flags == required_flags)
        return true;
    bool ping = s->type == MQTTKA_MQTT_PINGREQ || s->type == MQTTKA_MQTT_PINGRESP;
    return report(s, ping ? MQTT_M_BAD_PING : MQTT_M_BAD_FLAGS, false, cb, ctx);
}

/* The Remaining Length is complete: check what it decides, then start the body. */
static void header_done(mqtt_stream *s, uint8_t level, uint8_t last_byte,
                        const mqtt_stream_callbacks *cb, void *ctx)
{
    /* A multi-byte integer ending in 0x00 has a leading group of zero bits:
     * one byte fewer would have held the same value. */
    if (level == 5 && s->hdr_have > 2 && last_byte == 0x00 &&
        !report(s, MQTT_M_LENGTH_NOT_MINIMAL, false, cb, ctx))
        return;
    /* Flags already reported BAD_PING for this packet: once is enough. */
    bool ping = s->type == MQTTKA_MQTT_PINGREQ || s->type == MQTTKA_MQTT_PINGRESP;
    if (ping && s->flags == 0 && s->remaining_length != 0 &&
        !report(s, MQTT_M_BAD_PING, false, cb, ctx))
        return;

    s->body_done = 0;
    s->keep_len = 0;
    if (s->remaining_length == 0) {
        deliver(s, cb, ctx);
        return;
    }
    s->in_body = true;
    if (keeps_body(s->type) && s->keep == NULL && !s->keep_failed && s->max_keep > 0) {
        /* One buffer per stream, sized by the config: a declared length of
         * 256 MB must not become a 256 MB allocation. */
        s->keep = malloc(s->max_keep);
        if (s->keep == NULL)
            s->keep_failed = true;
        else
            s->keep_cap = s->max_keep < MQTT_MAX_REMAINING_LENGTH ? (uint32_t)s->max_keep
                                                                  : MQTT_MAX_REMAINING_LENGTH;
    }
}

static void header_byte(mqtt_stream *s, uint8_t level, uint8_t b,
                        const mqtt_stream_callbacks *cb, void *ctx)
{
    s->offset++;
    if (s->hdr_have == 0) {
        s->hdr[0] = b;
        s->hdr_have = 1;
        s->type = (uint8_t)(b >> 4);
        s->flags = (uint8_t)(b & 0x0fu);
        s->remaining_length = 0;
        (void)check_first_byte(s, level, cb, ctx);
        return;
    }

    unsigned varint_index = (unsigned)s->hdr_have - 1; /* 0..3 */
    s->hdr[s->hdr_have++] = b;
    s->remaining_length |= (uint32_t)(b & 0x7fu) << (7u * varint_index);
    if ((b & 0x80u) == 0) {
        header_done(s, level, b, cb, ctx);
        return;
    }
    if (varint_index + 1 == MQTT_VARINT_MAX_BYTES) {
        /* No valid packet boundary can be found after this: give up. */
        (void)report(s, MQTT_M_LENGTH_TOO_LONG, true, cb, ctx);
    }
}

/* Whether a first byte breaks none of check_first_byte's rules (which it
 * must agree with): the fast path below takes only such packets. */
static bool first_byte_clean(uint8_t type, uint8_t flags, uint8_t level)
{
    if (type == 0 || (type == MQTTKA_MQTT_AUTH && level != 0 && level < 5))
        return false;
    if (type == MQTTKA_MQTT_PUBLISH)
        return (flags & 0x6u) != 0x6u;
    if (type == MQTTKA_MQTT_PUBREL || type == MQTTKA_MQTT_SUBSCRIBE ||
        type == MQTTKA_MQTT_UNSUBSCRIBE)
        return flags == 0x2;
    return flags == 0;
}

/* At a packet boundary: a packet that lies whole in `bytes`, with a one-byte
 * Remaining Length, a body that is not kept and nothing to report (a
 * PINGREQ, a PINGRESP, a PUBACK, a short PUBLISH: most packets of a
 * keepalive-heavy stream) is delivered at once, leaving the stream as the
 * byte-at-a-time path would. Returns the bytes it took, 0 when the packet
 * is not such a one (the general path then reads it). */
static size_t whole_small_packet(mqtt_stream *s, uint8_t level, const uint8_t *bytes,
                                 size_t len, const mqtt_stream_callbacks *cb, void *ctx)
{
    if (len < 2 || (bytes[1] & 0x80u))
        return 0;
    uint8_t type = (uint8_t)(bytes[0] >> 4), flags = (uint8_t)(bytes[0] & 0x0fu);
    uint32_t remaining_length = bytes[1];
    bool ping = type == MQTTKA_MQTT_PINGREQ || type == MQTTKA_MQTT_PINGRESP;
    if (remaining_length > len - 2 || keeps_body(type) || (ping && remaining_length != 0) ||
        !first_byte_clean(type, flags, level))
        return 0;
    size_t n = 2 + (size_t)remaining_length;
    s->hdr[0] = bytes[0];
    s->hdr[1] = bytes[1];
    s->type = type;
    s->flags = flags;
    s->remaining_length = remaining_length;
    s->body_done = remaining_length;
    s->keep_len = 0;
    s->offset += n;
    mqtt_packet_view p = {
        .type = type,
        .flags = flags,
        .remaining_length = remaining_length,
        .header_len = 2,
        .stream_offset = s->offset - n,
    };
    if (cb != NULL && cb->packet != NULL)
        cb->packet(ctx, &p);
    return n;
}

/* Consumes body bytes of the current packet; returns how many. */
static size_t body_bytes(mqtt_stream *s, const uint8_t *bytes, size_t len,
                         const mqtt_stream_callbacks *cb, void *ctx)
{
    size_t wanted = s->remaining_length - s->body_done;
    size_t n = len < wanted ? len : wanted;
    if (keeps_body(s->type) && s->keep != NULL && bytes != NULL) {
        size_t room = s->keep_cap - s->keep_len;
        size_t copied = n < room ? n : room;
        memcpy(s->keep + s->keep_len, bytes, copied);
        s->keep_len += (uint32_t)copied; /* copied <= room, a uint32_t difference */
    }
    s->body_done += (uint32_t)n; /* n <= wanted, itself a uint32_t difference */
    s->offset += n;
    if (s->body_done == s->remaining_length)
        deliver(s, cb, ctx);
    return n;
}

/* Callbacks may call mqtt_stream_skip: the rest of the push is then only
 * counted. A packet's body pointer is valid only during its callback. */
size_t mqtt_stream_unread(const mqtt_stream *s)
{
    if (s->skipping)
        return SIZE_MAX;
    if (!s->in_body || (keeps_body(s->type) && s->keep != NULL))
        return 0;
    return s->remaining_length - s->body_done;
}

void mqtt_stream_push(mqtt_stream *s, uint8_t level, const uint8_t *bytes, size_t len,
                      const mqtt_stream_callbacks *cb, void *ctx)
{
    size_t pos = 0;
    while (pos < len) {
        if (s->skipping) {
            s->offset += len - pos;
            return;
        }
        if (s->in_body) {
            /* NULL bytes: what mqtt_stream_unread said would not be read. */
            pos += body_bytes(s, bytes ? bytes + pos : NULL, len - pos, cb, ctx);
        } else {
            size_t whole = s->hdr_have == 0 && bytes
                               ? whole_small_packet(s, level, bytes + pos, len - pos, cb, ctx)
                               : 0;
            if (whole) {
                pos += whole;
                continue;
            }
            header_byte(s, level, bytes[pos], cb, ctx);
            pos++;
        }
    }
}

void mqtt_stream_end(mqtt_stream *s, const mqtt_stream_callbacks *cb, void *ctx)
{
    /* A stream already given up on has said so once; a cut there is no news. */
    if (s->skipping || (s->hdr_have == 0 && !s->in_body))
        return;
    s->hdr_have = 0;
    s->in_body = false;
    (void)report(s, MQTT_M_TRUNCATED, false, cb, ctx);
}

/* ------------------------------------------------------------------------ */
/* Stream start detection                                                    */

int mqtt_looks_like_connect(const uint8_t *buf, size_t len)
{
    static const uint8_t mqtt_name[] = {0x00, 0x04, 'M', 'Q', 'T', 'T'};
    static const uint8_t mqisdp_name[] = {0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p'};
    /* Level, flags, keepalive and the client id's length follow the name in
     * every version: a Remaining Length too short for them is no CONNECT. */
    const uint32_t after_name = 6;

    if (buf == NULL || len == 0)
        return -1;
    if (buf[0] != 0x10)
        return 0;

    byte_cursor c = byte_cursor_make(buf + 1, len - 1);
    uint32_t remaining_length;
    int r = cursor_varint(&c, &remaining_length);
    if (r < 0)
        return 0;
    if (r == 0)
        return -1;

    bool mqtt_possible = remaining_length >= sizeof mqtt_name + after_name;
    bool mqisdp_possible = remaining_length >= sizeof mqisdp_name + after_name;
    const uint8_t *rest = buf + 1 + c.pos;
    size_t have = len - 1 - c.pos;
    for (size_t i = 0; i < have && (mqtt_possible || mqisdp_possible); i++) {
        if (mqtt_possible && (i >= sizeof mqtt_name || rest[i] != mqtt_name[i]))
            mqtt_possible = false;
        if (mqisdp_possible && (i >= sizeof mqisdp_name || rest[i] != mqisdp_name[i]))
            mqisdp_possible = false;
        if (mqtt_possible && i + 1 == sizeof mqtt_name)
            return 1;
        if (mqisdp_possible && i + 1 == sizeof mqisdp_name)
            return 1;
    }
    return (mqtt_possible || mqisdp_possible) ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Body parsers                                                              */

/* MQTT 5.0 §2.2.2.2: the value type of each property identifier. */
enum property_value_type {
    PROP_UNKNOWN = 0,
    PROP_BYTE,
    PROP_TWO_BYTE,
    PROP_FOUR_BYTE,
    PROP_VARINT,
    PROP_UTF8,
    PROP_BINARY,
    PROP_UTF8_PAIR,
};

#define PROP_SERVER_KEEP_ALIVE 0x13u

static const uint8_t property_value_types[] = {
    [0x01] = PROP_BYTE,      /* Payload Format Indicator */
    [0x02] = PROP_FOUR_BYTE, /* Message Expiry Interval */
    [0x03] = PROP_UTF8,      /* Content Type */
    [0x08] = PROP_UTF8,      /* Response Topic */
    [0x09] = PROP_BINARY,    /* Correlation Data */
    [0x0B] = PROP_VARINT,    /* Subscription Identifier */
    [0x11] = PROP_FOUR_BYTE, /* Session Expiry Interval */
    [0x12] = PROP_UTF8,      /* Assigned Client Identifier */
    [0x13] = PROP_TWO_BYTE,  /* Server Keep Alive */
    [0x15] = PROP_UTF8,      /* Authentication Method */
    [0x16] = PROP_BINARY,    /* Authentication Data */
    [0x17] = PROP_BYTE,      /* Request Problem Information */
    [0x18] = PROP_FOUR_BYTE, /* Will Delay Interval */
    [0x19] = PROP_BYTE,      /* Request Response Information */
    [0x1A] = PROP_UTF8,      /* Response Information */
    [0x1C] = PROP_UTF8,      /* Server Reference */
    [0x1F] = PROP_UTF8,      /* Reason String */
    [0x21] = PROP_TWO_BYTE,  /* Receive Maximum */
    [0x22] = PROP_TWO_BYTE,  /* Topic Alias Maximum */
    [0x23] = PROP_TWO_BYTE,  /* Topic Alias */
    [0x24] = PROP_BYTE,      /* Maximum QoS */
    [0x25] = PROP_BYTE,      /* Retain Available */
    [0x26] = PROP_UTF8_PAIR, /* User Property */
    [0x27] = PROP_FOUR_BYTE, /* Maximum Packet Size */
    [0x28] = PROP_BYTE,      /* Wildcard Subscription Available */
    [0x29] = PROP_BYTE,      /* Subscription Identifier Available */
    [0x2A] = PROP_BYTE,      /* Shared Subscription Available */
};

/* What a property walk found of the one property keepalive cares about. */
typedef struct server_keepalive_tally {
    int32_t first_value; /* -1 absent; a repeat is a protocol error the count exposes */
    unsigned count;
} server_keepalive_tally;

/* Skips one length-prefixed field (UTF-8 string or binary data). */
static bool skip_prefixed(byte_cursor *c)
{
    uint16_t n;
    return byte_cursor_be16(c, &n) && byte_cursor_skip(c, n);
}

/* Reads one property's value; false when it cannot. *invalid tells a value
 * that is wrong (a Variable Byte Integer over 4 bytes) from one cut short. */
static bool skip_property_value(byte_cursor *pc, uint8_t id, uint8_t value_type,
                                server_keepalive_tally *tally, bool *invalid)
{
    uint16_t two_byte;
    uint32_t varint;
    int r;
    switch (value_type) {
    case PROP_BYTE:
        return byte_cursor_skip(pc, 1);
    case PROP_TWO_BYTE:
        if (!byte_cursor_be16(pc, &two_byte))
            return false;
        if (id == PROP_SERVER_KEEP_ALIVE) {
            if (tally->count == 0)
                tally->first_value = two_byte;
            tally->count++;
        }
        return true;
    case PROP_FOUR_BYTE:
        return byte_cursor_skip(pc, 4);
    case PROP_VARINT:
        r = cursor_varint(pc, &varint);
        if (r < 0)
            *invalid = true;
        return r == 1;
    case PROP_UTF8:
    case PROP_BINARY:
        return skip_prefixed(pc);
    case PROP_UTF8_PAIR:
        return skip_prefixed(pc) && skip_prefixed(pc);
    default:
        *invalid = true;
        return false;
    }
}

/* MQTT 5.0 §2.2.2: a Property Length, then that many bytes of properties.
 * TRUNCATED when the body (perhaps cut by the keep cap) ends inside them;
 * INVALID on an unknown identifier or a property that overruns the declared
 * length. The tally keeps what was found before either. */
static mqtt_parse_result walk_properties(byte_cursor *c, server_keepalive_tally *tally)
{
    uint32_t declared;
    int r = cursor_varint(c, &declared);
    if (r == 0)
        return MQTT_PARSE_TRUNCATED;
    if (r < 0)
        return MQTT_PARSE_INVALID;

    size_t available = byte_cursor_left(c);
    bool cut = declared > available;
    size_t block_len = cut ? available : declared;
    const uint8_t *block = NULL;
    if (!byte_cursor_bytes(c, block_len, &block))
        return MQTT_PARSE_INVALID; /* unreachable: block_len <= what is left */
    byte_cursor pc = byte_cursor_make(block, block_len);

    while (byte_cursor_left(&pc) > 0) {
        uint8_t id;
        if (!byte_cursor_u8(&pc, &id))
            break; /* unreachable: the loop condition saw a byte */
        /* Identifiers are Variable Byte Integers, but every one defined by 5.0
         * fits in one byte: a continuation bit means an unknown identifier. */
        uint8_t value_type = id < sizeof property_value_types ? property_value_types[id]
                                                               : (uint8_t)PROP_UNKNOWN;
        if (value_type == PROP_UNKNOWN)
            return MQTT_PARSE_INVALID;
        bool invalid = false;
        if (!skip_property_value(&pc, id, value_type, tally, &invalid))
            return (cut && !invalid) ? MQTT_PARSE_TRUNCATED : MQTT_PARSE_INVALID;
    }
    return cut ? MQTT_PARSE_TRUNCATED : MQTT_PARSE_OK;
}

/* A cursor over a body that may be NULL (nothing kept): never offsets NULL. */
static byte_cursor body_cursor(const uint8_t *body, size_t len)
{
    static const uint8_t no_bytes[1];
    if (body == NULL)
        return byte_cursor_make(no_bytes, 0);
    return byte_cursor_make(body, len);
}

/* Copies `n` wire bytes as printable ASCII into dst (size dst_size > n). */
static void copy_printable(char *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (src[i] >= PRINTABLE_FIRST && src[i] <= PRINTABLE_LAST) ? (char)src[i] : '?';
    dst[n] = '\0';
}

/* `have` of the `wire_len` bytes of the client id are in the body. */
static void copy_client_id(mqtt_connect *m, const uint8_t *id, size_t have, size_t wire_len)
{
    const size_t whole_max = sizeof m->client_id - 1;
    const size_t prefix_max = whole_max - (sizeof TRUNCATION_MARK - 1);
    if (have == wire_len && wire_len <= whole_max) {
        copy_printable(m->client_id, id, wire_len);
        return;
    }
    size_t prefix = have < prefix_max ? have : prefix_max;
    copy_printable(m->client_id, id, prefix);
    memcpy(m->client_id + prefix, TRUNCATION_MARK, sizeof TRUNCATION_MARK);
}

/* 3.1.1 §3.1.3.1 / 5.0 §3.1.3.1: the payload opens with the client id. */
static mqtt_parse_result read_client_id(byte_cursor *c, mqtt_connect *m)
{
    uint16_t id_len;
    if (!byte_cursor_be16(c, &id_len))
        return MQTT_PARSE_TRUNCATED;
    /* Whatever part of the id the keep cap left is still worth showing. */
    size_t left = byte_cursor_left(c);
    size_t have = id_len < left ? id_len : left;
    const uint8_t *id = NULL;
    if (!byte_cursor_bytes(c, have, &id))
        return MQTT_PARSE_TRUNCATED;
    m->has_client_id = true;
    m->client_id_len = id_len;
    copy_client_id(m, id, have, id_len);
    return have < id_len ? MQTT_PARSE_TRUNCATED : MQTT_PARSE_OK;
}

static bool name_is(const uint8_t *name, size_t len, const char *expected)
{
    return len == strlen(expected) && memcmp(name, expected, len) == 0;
}

/* *out is written whenever the keepalive was read: with OK, with TRUNCATED,
 * and with INVALID for bad 5.0 properties after it (the keepalive is still
 * the connection's). INVALID before the keepalive leaves *out untouched. */
mqtt_parse_result mqtt_parse_connect(const uint8_t *body, size_t len, mqtt_connect *out)
{
    byte_cursor c = body_cursor(body, len);
    mqtt_connect found;
    memset(&found, 0, sizeof found);

    const uint8_t *name;
    if (!byte_cursor_be16(&c, &found.protocol_name_len) ||
        !byte_cursor_bytes(&c, found.protocol_name_len, &name) ||
        !byte_cursor_u8(&c, &found.level) || !byte_cursor_u8(&c, &found.flags) ||
        !byte_cursor_be16(&c, &found.keepalive))
        return MQTT_PARSE_INVALID;

    size_t name_copy = found.protocol_name_len < sizeof found.protocol_name - 1
                           ? found.protocol_name_len
                           : sizeof found.protocol_name - 1;
    copy_printable(found.protocol_name, name, name_copy);
    found.protocol_valid =
        (found.level == 3 && name_is(name, found.protocol_name_len, "MQIsdp")) ||
        ((found.level == 4 || found.level == 5) &&
         name_is(name, found.protocol_name_len, "MQTT"));
    found.reserved_flag_set = (found.flags & 0x01u) != 0;

    mqtt_parse_result result = MQTT_PARSE_OK;
    if (found.level == 5) {
        server_keepalive_tally tally = {-1, 0};
        result = walk_properties(&c, &tally);
        found.server_keepalive_property = tally.count > 0;
    }

    if (result == MQTT_PARSE_OK)
        result = read_client_id(&c, &found);
    *out = found;
    return result;
}

/* *out is written once flags and code were read (INVALID before that leaves
 * it untouched); an INVALID or TRUNCATED property list keeps what came before. */
mqtt_parse_result mqtt_parse_connack(const uint8_t *body, size_t len, uint8_t level,
                                     mqtt_connack *out)
{
    /* A 3.x CONNACK is exactly flags + return code: with the level unknown,
     * anything longer can only be 5.0. */
    const size_t v3_connack_len = 2;
    byte_cursor c = body_cursor(body, len);
    mqtt_connack found = {.flags = 0, .code = 0, .server_keepalive = -1,
                          .server_keepalive_count = 0};
    if (!byte_cursor_u8(&c, &found.flags) || !byte_cursor_u8(&c, &found.code))
        return MQTT_PARSE_INVALID;

    mqtt_parse_result result = MQTT_PARSE_OK;
    if (level == 5 || (level == 0 && len > v3_connack_len)) {
        server_keepalive_tally tally = {-1, 0};
        result = walk_properties(&c, &tally);
        found.server_keepalive = tally.first_value;
        found.server_keepalive_count = tally.count;
    }
    *out = found;
    return result;
}

/* *out is always written: every DISCONNECT body yields at least a reason. */
mqtt_parse_result mqtt_parse_disconnect(const uint8_t *body, size_t len, uint8_t level,
                                        mqtt_disconnect *out)
{
    byte_cursor c = body_cursor(body, len);
    mqtt_disconnect found = {.reason_code = -1, .server_keepalive_count = 0};

    /* A 3.x DISCONNECT has no body: with the level unknown, one that has a
     * body can only be 5.0 (a capture that started after the CONNECT). */
    if (level != 5 && !(level == 0 && len > 0)) {
        *out = found;
        return MQTT_PARSE_OK;
    }

    /* 5.0 §3.14.2.1: "If the Remaining Length is less than 1 the value of
     * 0x00 (Normal disconnection) is used." */
    uint8_t reason = 0;
    found.reason_code = byte_cursor_u8(&c, &reason) ? reason : 0x00;

    /* §3.14.2.2.1: "If the Remaining Length is less than 2, a value of 0 is
     * used" for the Property Length. */
    mqtt_parse_result result = MQTT_PARSE_OK;
    if (byte_cursor_left(&c) > 0) {
        server_keepalive_tally tally = {-1, 0};
        result = walk_properties(&c, &tally);
        found.server_keepalive_count = tally.count;
    }
    *out = found;
    return result;
}
