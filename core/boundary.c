/*
 * boundary.c - packet boundaries proved at a segment start (boundary.h).
 */
#include "boundary.h"

#include "mqttka.h"

/* The bytes of a unit: the segment's own, or a WebSocket payload unmasked
 * as it is read (only headers are read, so nothing is copied). Over MQTT,
 * a few bytes may stand before the segment's: a fixed header the side's
 * last segment ended inside (boundary_mqtt_split), read as if the segment
 * began with them, so that nothing is copied either. */
typedef struct byte_view {
    const uint8_t *bytes;
    size_t len;          /* pre_len + the segment's bytes */
    const uint8_t *mask; /* 4 bytes, or NULL */
    const uint8_t *pre;  /* pre_len bytes before `bytes` (never with a mask), or NULL */
    size_t pre_len;
} byte_view;

static uint8_t view_at(const byte_view *v, size_t i)
{
    if (i < v->pre_len)
        return v->pre[i];
    i -= v->pre_len;
    return v->mask ? (uint8_t)(v->bytes[i] ^ v->mask[i & 3]) : v->bytes[i];
}

/* The least Remaining Length a packet of `type` can have (its fixed fields:
 * packet identifiers, lengths of the strings it must carry). */
static uint32_t min_remaining(uint8_t type, uint8_t qos)
{
    switch (type) {
    case MQTTKA_MQTT_CONNECT: return 12;   /* name 6, level, flags, keepalive 2, id length 2 */
    case MQTTKA_MQTT_CONNACK: return 2;
    case MQTTKA_MQTT_PUBLISH: return qos ? 4 : 2; /* topic length [, packet id] */
    case MQTTKA_MQTT_PUBACK:
    case MQTTKA_MQTT_PUBREC:
    case MQTTKA_MQTT_PUBREL:
    case MQTTKA_MQTT_PUBCOMP:
    case MQTTKA_MQTT_UNSUBACK: return 2;   /* packet id */
    case MQTTKA_MQTT_SUBACK: return 3;     /* packet id, a return code */
    case MQTTKA_MQTT_SUBSCRIBE: return 6;  /* packet id, a 1-byte filter, options */
    case MQTTKA_MQTT_UNSUBSCRIBE: return 5;
    default: return 0;                     /* PINGREQ, PINGRESP, DISCONNECT, AUTH */
    }
}

/* Is this the first byte of a well-formed fixed header (3.1.1 §2.2.2, 5.0
 * §2.1.3)? AUTH exists only in 5.0 (level 0: not known). */
static bool first_byte_valid(uint8_t b, uint8_t level)
{
    uint8_t type = (uint8_t)(b >> 4), flags = (uint8_t)(b & 0x0f);
    switch (type) {
    case 0: return false;
    case MQTTKA_MQTT_PUBLISH: return (flags & 0x6) != 0x6;
    case MQTTKA_MQTT_PUBREL:
    case MQTTKA_MQTT_SUBSCRIBE:
    case MQTTKA_MQTT_UNSUBSCRIBE: return flags == 0x2;
    case MQTTKA_MQTT_AUTH: return flags == 0 && (level == 0 || level == 5);
    default: return flags == 0;
    }
}

/* A first byte the MQTT decoder reports as malformed but skips by its
 * Remaining Length, the packets after it decoded as usual: a reserved type
 * 0, a PUBLISH of QoS 3 (mqtt_decoder.c: neither is fatal). */
static bool first_byte_skippable(uint8_t b)
{
    uint8_t type = (uint8_t)(b >> 4);
    return type == 0 || (type == MQTTKA_MQTT_PUBLISH && (b & 0x6) == 0x6);
}

/* Walks MQTT packets over the view; true when they end exactly at its end,
 * or, when `owed` is not NULL, when the last one's fixed header is whole in
 * the view and its body runs past the end by *owed bytes, or, when
 * `head_at` is not NULL, when the view ends inside the last one's fixed
 * header (its first byte valid, every length byte so far with the
 * continuation bit, fewer than 4 of them), which starts at *head_at (not
 * counted in *proof: nothing of it but its first byte is known). With
 * `skipped` not NULL, packets of first_byte_skippable are let through too,
 * and counted there. */
static bool mqtt_chain(const byte_view *v, uint8_t level, boundary_proof *proof, uint32_t *owed,
                       uint32_t *skipped, size_t *head_at)
{
    size_t pos = 0;
    if (!v->len)
        return false;
    while (pos < v->len) {
        uint8_t b = view_at(v, pos);
        if (!first_byte_valid(b, level)) {
            if (!skipped || !first_byte_skippable(b))
                return false;
            ++*skipped;
        }
        uint8_t type = (uint8_t)(b >> 4);
        uint32_t remaining = 0;
        size_t at = pos + 1;
        for (unsigned i = 0;; i++) {
            if (i == 4)
                return false;
            if (at >= v->len) {
                if (!head_at)
                    return false;
                *head_at = pos;
                return true;
            }
            uint8_t c = view_at(v, at++);
            remaining |= (uint32_t)(c & 0x7f) << (7 * i);
            if (!(c & 0x80)) {
                if (i > 0 && c == 0)
                    return false; /* not minimal: no sender writes that */
                break;
            }
        }
        if (remaining < min_remaining(type, (uint8_t)((b >> 1) & 3)))
            return false;
        if ((type == MQTTKA_MQTT_PINGREQ || type == MQTTKA_MQTT_PINGRESP) && remaining)
            return false;
        if (type == MQTTKA_MQTT_DISCONNECT && remaining && level && level < 5)
            return false;
        if (remaining > v->len - at) {
            if (!owed)
                return false;
            *owed = (uint32_t)(remaining - (v->len - at));
            proof->packets++;
            proof->types |= (uint16_t)(1u << type);
            return true;
        }
        pos = at + remaining;
        proof->packets++;
        proof->types |= (uint16_t)(1u << type);
    }
    return true;
}

/* The segment's bytes after `pre_len` bytes `pre` (a fixed header begun
 * in the side's last segment; 0 and NULL: none), as one view. */
static byte_view joined_view(const uint8_t *pre, size_t pre_len, const uint8_t *bytes,
                             size_t len)
{
    return (byte_view){bytes, pre_len + len, NULL, pre_len ? pre : NULL, pre_len};
}

bool boundary_mqtt(const uint8_t *bytes, size_t len, uint8_t level, boundary_proof *proof)
{
    return boundary_mqtt_after(NULL, 0, bytes, len, level, proof);
}

bool boundary_mqtt_after(const uint8_t *pre, size_t pre_len, const uint8_t *bytes, size_t len,
                         uint8_t level, boundary_proof *proof)
{
    boundary_proof p = {0};
    byte_view v = joined_view(pre, pre_len, bytes, len);
    if (!len || pre_len > BOUNDARY_HEAD_MAX || !mqtt_chain(&v, level, &p, NULL, NULL, NULL))
        return false;
    *proof = p;
    return true;
}

bool boundary_mqtt_split(const uint8_t *pre, size_t pre_len, const uint8_t *bytes, size_t len,
                         uint8_t level, boundary_proof *proof, boundary_head *head)
{
    boundary_proof p = {0};
    byte_view v = joined_view(pre, pre_len, bytes, len);
    size_t at = SIZE_MAX;
    if (!len || pre_len > BOUNDARY_HEAD_MAX || !mqtt_chain(&v, level, &p, NULL, NULL, &at) ||
        at == SIZE_MAX)
        return false;
    /* mqtt_chain stops inside the header only: at most BOUNDARY_HEAD_MAX
     * bytes from `at` to the end */
    boundary_head h = {{0}, (uint8_t)(v.len - at)};
    for (size_t i = 0; i < h.len; i++)
        h.bytes[i] = view_at(&v, at + i);
    *proof = p;
    *head = h;
    return true;
}

bool boundary_mqtt_open(const uint8_t *bytes, size_t len, uint8_t level, boundary_proof *proof,
                        uint32_t *owed)
{
    boundary_proof p;
    boundary_open open;
    /* At least one whole packet before the open one: a segment that
     * starts mid-packet reads as one header with a large length too often. */
    if (!boundary_mqtt_open_packet(bytes, len, level, &p, &open) || p.packets < 2)
        return false;
    *proof = p;
    *owed = open.owed;
    return true;
}

/* Does the code point sequence read as a topic name a publisher writes:
 * well-formed UTF-8 (MQTT 3.1.1 §1.5.3, 5.0 §1.5.4: no overlong form, no
 * surrogate, nothing past U+10FFFF), without U+0000 (MUST NOT), the
 * control characters U+0001-U+001F and U+007F-U+009F (SHOULD NOT), or the
 * wildcards '+' and '#' (a PUBLISH's topic MUST NOT hold them, §3.3.2.1)? */
static bool topic_name_plausible(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t b = s[i];
        if (b < 0x80) {
            if (b < 0x20 || b == 0x7f || b == '+' || b == '#')
                return false;
            i++;
            continue;
        }
        size_t n = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 ? 1 : 0;
        if (!n || b > 0xf4 || n > len - i - 1)
            return false;
        uint32_t cp = b & (0x3fu >> n);
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        static const uint32_t least[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
            (cp >= 0x80 && cp <= 0x9f))
            return false;
        i += n + 1;
    }
    return true;
}

bool boundary_mqtt_open_packet(const uint8_t *bytes, size_t len, uint8_t level,
                               boundary_proof *proof, boundary_open *open)
{
    return boundary_mqtt_open_packet_after(NULL, 0, bytes, len, level, proof, open);
}

bool boundary_mqtt_open_packet_after(const uint8_t *pre, size_t pre_len, const uint8_t *bytes,
                                     size_t len, uint8_t level, boundary_proof *proof,
                                     boundary_open *open)
{
    boundary_proof p = {0};
    byte_view v = joined_view(pre, pre_len, bytes, len);
    uint32_t left = 0;
    if (!len || pre_len > BOUNDARY_HEAD_MAX || !mqtt_chain(&v, level, &p, &left, NULL, NULL) ||
        !left)
        return false;
    /* The open packet's header: walk the chain again to its start (the
     * walk above proved every header on the way well formed). */
    size_t pos = 0;
    uint8_t first = 0;
    uint32_t remaining = 0;
    for (uint32_t k = 0; k < p.packets; k++) {
        first = view_at(&v, pos++);
        remaining = 0;
        for (unsigned i = 0;; i++) {
            uint8_t c = view_at(&v, pos++);
            remaining |= (uint32_t)(c & 0x7f) << (7 * i);
            if (!(c & 0x80))
                break;
        }
        if (k + 1 < p.packets)
            pos += remaining;
    }
    /* `pre` is a header begun, never a whole one: the body starts in the
     * segment's own bytes. */
    if (pos < pre_len || pos - pre_len > len)
        return false;
    pos -= pre_len;
    boundary_open o = {left, pos, first, false};
    if (first >> 4 == MQTTKA_MQTT_PUBLISH && len - pos >= 2) {
        size_t topic_len = (size_t)bytes[pos] << 8 | bytes[pos + 1];
        size_t fixed = 2 + topic_len + (((first >> 1) & 3) ? 2u : 0u); /* [, packet id] */
        o.named = topic_len > 0 && topic_len <= len - pos - 2 && fixed <= remaining &&
                  topic_name_plausible(bytes + pos + 2, topic_len);
    }
    *proof = p;
    *open = o;
    return true;
}

bool boundary_mqtt_skippable(const uint8_t *bytes, size_t len, boundary_proof *proof)
{
    boundary_proof p = {0};
    byte_view v = joined_view(NULL, 0, bytes, len);
    uint32_t skipped = 0;
    if (!len || !mqtt_chain(&v, 0, &p, NULL, &skipped, NULL) || !skipped)
        return false;
    *proof = p;
    return true;
}

bool boundary_websocket(const uint8_t *bytes, size_t len, int masked, bool rsv1_allowed,
                        bool whole_packets, uint8_t level, boundary_proof *proof)
{
    boundary_proof p = {0};
    size_t pos = 0;
    if (!len)
        return false;
    while (pos < len) {
        if (len - pos < 2)
            return false;
        uint8_t b0 = bytes[pos], b1 = bytes[pos + 1];
        bool fin = (b0 & 0x80) != 0;
        uint8_t rsv = (uint8_t)((b0 >> 4) & 7), op = (uint8_t)(b0 & 0x0f);
        bool is_masked = (b1 & 0x80) != 0;
        uint64_t plen = b1 & 0x7f;
        bool control = op >= MQTTKA_WS_CLOSE;
        if (op != MQTTKA_WS_TEXT && op != MQTTKA_WS_BINARY && op != MQTTKA_WS_CLOSE &&
            op != MQTTKA_WS_PING && op != MQTTKA_WS_PONG)
            return false; /* reserved, or a continuation of a message not seen */
        if (rsv && !(rsv == 4 && rsv1_allowed && !control))
            return false;
        if (control && (!fin || plen > 125))
            return false;
        if (masked < 0)
            masked = is_masked;
        if (is_masked != (masked == 1))
            return false;
        size_t at = pos + 2;
        if (plen >= 126) {
            size_t n = plen == 126 ? 2 : 8;
            if (len - at < n)
                return false;
            plen = 0;
            for (size_t i = 0; i < n; i++)
                plen = plen << 8 | bytes[at + i];
            at += n;
            /* minimal lengths only (§5.2), and the top bit clear */
            if ((n == 2 && plen < 126) || (n == 8 && (plen <= 0xffff || plen >> 63)))
                return false;
        }
        const uint8_t *mask = NULL;
        if (is_masked) {
            if (len - at < 4)
                return false;
            mask = bytes + at;
            at += 4;
        }
        if (plen > len - at)
            return false; /* the frame goes on past the segment */
        if (!control) {
            if (rsv) {
                p.rsv1 = true; /* compressed: its bytes say nothing of MQTT */
            } else {
                /* A fragmented message may split a packet between its
                 * frames: only a whole message is checked. */
                byte_view v = {bytes + at, (size_t)plen, mask, NULL, 0};
                if (!fin)
                    return false;
                if (whole_packets ? !mqtt_chain(&v, level, &p, NULL, NULL, NULL)
                                  : !plen || !first_byte_valid(view_at(&v, 0), level))
                    return false;
                if (!whole_packets)
                    p.packets++; /* a message that starts one, at least */
            }
        }
        p.frames++;
        pos = at + (size_t)plen;
    }
    p.masked = masked == 1;
    *proof = p;
    return true;
}

bool boundary_looks_like_tls(const uint8_t *bytes, size_t len)
{
    if (len < 5)
        return false;
    unsigned length = (unsigned)bytes[3] << 8 | bytes[4];
    return bytes[0] >= 20 && bytes[0] <= 23 && bytes[1] == 3 && bytes[2] <= 4 && length > 0 &&
           length <= 16384 + 2048;
}
