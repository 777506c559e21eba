/*
 * lone_packet.c - a segment that is, whole, a client's PINGREQ or
 * DISCONNECT (lone_packet.h).
 */
#include "lone_packet.h"

#include <stdbool.h>

#include "byte_cursor.h"

/* The longest payload a WebSocket frame carries without an extended
 * length (RFC 6455 §5.2): the unmasked copy's size. */
#define LONE_WS_PAYLOAD_MAX 125

/* MQTT 5.0 §3.14.2.2.x: the properties of a client's DISCONNECT. */
#define PROP_SESSION_EXPIRY 0x11u
#define PROP_REASON_STRING 0x1Fu
#define PROP_USER_PROPERTY 0x26u

/* MQTT 5.0 §1.5.5: a Variable Byte Integer in at most 4 bytes, in the
 * fewest bytes its value needs (MQTT-1.5.5-1). */
static bool read_varint(byte_cursor *c, uint32_t *out)
{
    uint32_t value = 0;
    for (unsigned i = 0; i < 4; i++) {
        uint8_t b;
        if (!byte_cursor_u8(c, &b))
            return false;
        if (i > 0 && b == 0x00)
            return false; /* a zero continuation byte: not the fewest bytes */
        value |= (uint32_t)(b & 0x7fu) << (7u * i);
        if (!(b & 0x80u)) {
            *out = value;
            return true;
        }
    }
    return false;
}

/* MQTT 5.0 table 3-10: the reason codes marked as sent by a client (or by
 * either side). A server's own (Server busy, Session taken over, ...) are
 * not a client's last words. */
static bool client_disconnect_reason(uint8_t rc)
{
    return rc == 0x00 || rc == 0x04 || (rc >= 0x80 && rc <= 0x83) || rc == 0x90 ||
           (rc >= 0x93 && rc <= 0x99);
}

/* A UTF-8 Encoded String's length prefix and bytes (§1.5.4), whole. */
static bool skip_string(byte_cursor *c)
{
    uint16_t n;
    return byte_cursor_be16(c, &n) && byte_cursor_skip(c, n);
}

/* The property block of a client's DISCONNECT, to its last byte: Session
 * Expiry Interval and Reason String at most once (MQTT 5.0 §3.14.2.2.2-3:
 * a Protocol Error otherwise), User Properties any number of times; the
 * server's Server Reference or any other identifier is not a client's. */
static bool client_disconnect_properties(byte_cursor *c)
{
    bool expiry = false, reason = false;
    while (byte_cursor_left(c)) {
        uint8_t id;
        if (!byte_cursor_u8(c, &id))
            return false;
        switch (id) {
        case PROP_SESSION_EXPIRY:
            if (expiry || !byte_cursor_skip(c, 4))
                return false;
            expiry = true;
            break;
        case PROP_REASON_STRING:
            if (reason || !skip_string(c))
                return false;
            reason = true;
            break;
        case PROP_USER_PROPERTY:
            if (!skip_string(c) || !skip_string(c))
                return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

/* Whether `len` bytes are exactly one DISCONNECT a client may send. */
static bool client_disconnect(const uint8_t *bytes, size_t len)
{
    byte_cursor c = byte_cursor_make(bytes, len);
    uint8_t first, rc;
    uint32_t remaining, props;
    if (!byte_cursor_u8(&c, &first) || first != 0xe0 || !read_varint(&c, &remaining) ||
        remaining != byte_cursor_left(&c))
        return false;
    if (remaining == 0)
        return true; /* e0 00: every version's */
    if (!byte_cursor_u8(&c, &rc) || !client_disconnect_reason(rc))
        return false;
    if (remaining == 1)
        return true; /* a reason code, no properties */
    if (!read_varint(&c, &props) || props != byte_cursor_left(&c))
        return false;
    return client_disconnect_properties(&c);
}

/* The type of the one MQTT packet `len` bytes are, if a client's lone
 * PINGREQ or DISCONNECT; else 0. */
static uint8_t lone_mqtt(const uint8_t *bytes, size_t len)
{
    if (len == 2 && bytes[0] == 0xc0 && bytes[1] == 0x00)
        return MQTTKA_MQTT_PINGREQ;
    if (client_disconnect(bytes, len))
        return MQTTKA_MQTT_DISCONNECT;
    return 0;
}

uint8_t lone_packet(const uint8_t *bytes, size_t len, mqttka_transport *transport)
{
    /* One masked binary frame with FIN, no RSV bit, a 7-bit length, and
     * nothing after it. */
    if (len >= 6 && bytes[0] == 0x82 && (bytes[1] & 0x80u)) {
        size_t n = bytes[1] & 0x7fu;
        if (n > LONE_WS_PAYLOAD_MAX || len != 6 + n)
            return 0;
        uint8_t payload[LONE_WS_PAYLOAD_MAX];
        for (size_t i = 0; i < n; i++)
            payload[i] = (uint8_t)(bytes[6 + i] ^ bytes[2 + (i & 3u)]);
        uint8_t type = lone_mqtt(payload, n);
        if (type)
            *transport = MQTTKA_TRANSPORT_WEBSOCKET;
        return type;
    }
    uint8_t type = lone_mqtt(bytes, len);
    if (type)
        *transport = MQTTKA_TRANSPORT_TCP;
    return type;
}
