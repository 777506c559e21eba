/*
 * fuzz_boundary.c - core/boundary.h, the proofs that a packet boundary lies
 * at a segment start, on arbitrary bytes.
 *
 * Input: 1 settings byte, then the segment.
 *
 *   settings bits 0-1  `masked` for boundary_websocket: 0 unmasked, 1 masked,
 *                      2 and 3 either (-1)
 *            bit 2     rsv1_allowed
 *            bits 3-4  protocol level: 0 (not known), 3, 4, 5
 *            bit 5     boundary_websocket without whole_packets: a message need
 *                      only start a packet (a stream known to carry MQTT)
 *
 * The segment is handed over in a heap block of exactly its size, and so is
 * each prefix that is tried, so a read past its end is caught by
 * AddressSanitizer. Checked besides the sanitizers:
 * - a proof agrees with an independent walk of the same bytes that reads
 *   only the length fields: the units end exactly at the segment's end, and
 *   the proof's packet and frame counts and packet types are theirs (without
 *   whole_packets, a packet a data message and no types);
 * - every MQTT packet is at least 2 bytes, every frame too: counts are at
 *   most half the length;
 * - `masked` is obeyed, and a proof made with "either" holds again when the
 *   mask it found is required;
 * - proofs are about whole units: the segment twice over proves with twice
 *   the counts, and the segment less its last byte proves nothing;
 * - boundary_mqtt_skippable answers only where boundary_mqtt does not, and
 *   about whole packets (check_skippable);
 * - boundary_looks_like_tls reads at most 5 bytes (it is given the first 5
 *   alone and must answer the same);
 * - a segment cut at its first SPLIT_TRIES offsets: where the first part
 *   ends inside a fixed header (boundary_mqtt_split), the head is its last
 *   bytes, and the second part read after the head (boundary_mqtt_after,
 *   boundary_mqtt_open_packet_after, boundary_mqtt_split) answers as the
 *   same bytes read in one piece from the head's start (check_split).
 */
#include <string.h>

#include "boundary.h"
#include "fuzz_target.h"

/* A segment longer than this is only proved, not doubled and walked again:
 * the checks stay linear and the fuzzer fast. */
#define DOUBLE_MAX 4096

/* Reads a Variable Byte Integer (MQTT §1.5.5) of at most 4 bytes at *at;
 * false when the bytes end first. The proof already checked it is minimal. */
static bool read_vbi(const uint8_t *b, size_t len, const uint8_t *mask, size_t *at,
                     uint32_t *value)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++) {
        if (*at >= len)
            return false;
        uint8_t c = mask ? (uint8_t)(b[*at] ^ mask[*at & 3]) : b[*at];
        (*at)++;
        v |= (uint32_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *value = v;
            return true;
        }
    }
    return false;
}

/* Counts the MQTT packets of a payload by their lengths alone; false when
 * they do not end exactly at its end. */
static bool walk_mqtt(const uint8_t *b, size_t len, const uint8_t *mask, uint32_t *packets,
                      uint16_t *types)
{
    size_t pos = 0;
    while (pos < len) {
        uint8_t first = mask ? (uint8_t)(b[pos] ^ mask[pos & 3]) : b[pos];
        size_t at = pos + 1;
        uint32_t remaining;
        if (!read_vbi(b, len, mask, &at, &remaining) || remaining > len - at)
            return false;
        pos = at + remaining;
        (*packets)++;
        *types |= (uint16_t)(1u << (first >> 4));
    }
    return true;
}

/* The frames of a WebSocket segment by their lengths alone. */
static bool walk_websocket(const uint8_t *b, size_t len, bool whole, uint32_t *frames,
                           uint32_t *packets, uint16_t *types, bool *all_masked,
                           bool *none_masked)
{
    size_t pos = 0;
    *all_masked = *none_masked = true;
    while (pos < len) {
        if (len - pos < 2)
            return false;
        uint8_t b0 = b[pos], b1 = b[pos + 1];
        uint64_t plen = b1 & 0x7f;
        size_t at = pos + 2;
        if (plen >= 126) {
            size_t n = plen == 126 ? 2 : 8;
            if (len - at < n)
                return false;
            plen = 0;
            for (size_t i = 0; i < n; i++)
                plen = plen << 8 | b[at + i];
            at += n;
        }
        const uint8_t *mask = NULL;
        if (b1 & 0x80) {
            if (len - at < 4)
                return false;
            mask = b + at;
            at += 4;
            *none_masked = false;
        } else {
            *all_masked = false;
        }
        if (plen > len - at)
            return false;
        /* Data frames without RSV1 carry MQTT; the proof counted theirs. */
        uint8_t op = b0 & 0x0f;
        if ((op == 1 || op == 2) && !(b0 & 0x40)) {
            /* The mask restarts at the payload's first byte. */
            if (!whole)
                (*packets)++;
            else if (!walk_mqtt(b + at, (size_t)plen, mask, packets, types))
                return false;
        }
        (*frames)++;
        pos = at + (size_t)plen;
    }
    return true;
}

static bool prove_mqtt(const uint8_t *b, size_t len, uint8_t level, boundary_proof *p)
{
    if (!len)
        return boundary_mqtt(b, 0, level, p);
    uint8_t *copy = fuzz_exact_copy(b, len);
    bool ok = boundary_mqtt(copy, len, level, p);
    free(copy);
    return ok;
}

static bool prove_ws(const uint8_t *b, size_t len, int masked, bool rsv1, bool whole,
                     uint8_t level, boundary_proof *p)
{
    if (!len)
        return boundary_websocket(b, 0, masked, rsv1, whole, level, p);
    uint8_t *copy = fuzz_exact_copy(b, len);
    bool ok = boundary_websocket(copy, len, masked, rsv1, whole, level, p);
    free(copy);
    return ok;
}

static void check_mqtt(const uint8_t *seg, size_t len, uint8_t level)
{
    boundary_proof p;
    memset(&p, 0xAA, sizeof p);
    boundary_proof before = p;
    if (!prove_mqtt(seg, len, level, &p)) {
        FUZZ_ASSERT(memcmp(&p, &before, sizeof p) == 0); /* written only on success */
        return;
    }
    FUZZ_ASSERT(len > 0);
    FUZZ_ASSERT(p.packets >= 1 && p.packets <= len / 2);
    FUZZ_ASSERT(p.frames == 0 && !p.masked && !p.rsv1);
    FUZZ_ASSERT(!(p.types & 1)); /* type 0 is reserved */
    uint32_t packets = 0;
    uint16_t types = 0;
    FUZZ_ASSERT(walk_mqtt(seg, len, NULL, &packets, &types));
    FUZZ_ASSERT(packets == p.packets && types == p.types);
    /* Twice over: whole packets after whole packets. */
    if (len <= DOUBLE_MAX) {
        uint8_t twice[2 * DOUBLE_MAX];
        memcpy(twice, seg, len);
        memcpy(twice + len, seg, len);
        boundary_proof q;
        FUZZ_ASSERT(prove_mqtt(twice, 2 * len, level, &q));
        FUZZ_ASSERT(q.packets == 2 * p.packets && q.types == p.types);
    }
    /* Cut inside the last packet: no proof. The walk from the first byte
     * is the same up to it, and it no longer fits. */
    boundary_proof q;
    FUZZ_ASSERT(!prove_mqtt(seg, len - 1, level, &q));
}

static void check_websocket(const uint8_t *seg, size_t len, int masked, bool rsv1, bool whole,
                            uint8_t level)
{
    boundary_proof p;
    memset(&p, 0x55, sizeof p);
    boundary_proof before = p;
    if (!prove_ws(seg, len, masked, rsv1, whole, level, &p)) {
        FUZZ_ASSERT(memcmp(&p, &before, sizeof p) == 0);
        return;
    }
    FUZZ_ASSERT(p.frames >= 1 && p.frames <= len / 2);
    FUZZ_ASSERT(p.packets <= len / 2);
    FUZZ_ASSERT(!(p.types & 1));
    FUZZ_ASSERT(rsv1 || !p.rsv1);
    if (masked >= 0)
        FUZZ_ASSERT(p.masked == (masked == 1));
    uint32_t frames = 0, packets = 0;
    uint16_t types = 0;
    bool all_masked, none_masked;
    FUZZ_ASSERT(walk_websocket(seg, len, whole, &frames, &packets, &types, &all_masked,
                               &none_masked));
    FUZZ_ASSERT(frames == p.frames && packets == p.packets && types == p.types);
    FUZZ_ASSERT(p.masked ? all_masked : none_masked);
    /* "Either" found a mask; requiring that mask proves the same. */
    if (masked < 0) {
        boundary_proof q;
        FUZZ_ASSERT(prove_ws(seg, len, p.masked ? 1 : 0, rsv1, whole, level, &q));
        FUZZ_ASSERT(q.frames == p.frames && q.packets == p.packets && q.types == p.types);
        FUZZ_ASSERT(!prove_ws(seg, len, p.masked ? 0 : 1, rsv1, whole, level, &q));
    }
    if (len <= DOUBLE_MAX) {
        uint8_t twice[2 * DOUBLE_MAX];
        memcpy(twice, seg, len);
        memcpy(twice + len, seg, len);
        boundary_proof q;
        FUZZ_ASSERT(prove_ws(twice, 2 * len, masked, rsv1, whole, level, &q));
        FUZZ_ASSERT(q.frames == 2 * p.frames && q.packets == 2 * p.packets);
    }
    boundary_proof q;
    FUZZ_ASSERT(!prove_ws(seg, len - 1, masked, rsv1, whole, level, &q));
}

/* boundary_mqtt_skippable: never where boundary_mqtt proves (it needs a
 * packet boundary_mqtt refuses), at least one packet of 2 bytes or more,
 * and, being about whole packets too, nothing on the segment less its last
 * byte. */
static void check_skippable(const uint8_t *seg, size_t len)
{
    if (!len)
        return;
    boundary_proof p, q;
    uint8_t *copy = fuzz_exact_copy(seg, len);
    bool ok = boundary_mqtt_skippable(copy, len, &p);
    free(copy);
    if (!ok)
        return;
    FUZZ_ASSERT(!prove_mqtt(seg, len, 0, &q));
    FUZZ_ASSERT(p.packets >= 1 && p.packets <= len / 2);
    if (len > 1) {
        copy = fuzz_exact_copy(seg, len - 1);
        FUZZ_ASSERT(!boundary_mqtt_skippable(copy, len - 1, &q));
        free(copy);
    }
}

/* Cut points tried by check_split: the first few, where a sender's segment
 * of small packets ends inside a header as often as anywhere. */
#define SPLIT_TRIES 8

/* The segment cut at `k`: what the first part's head and the second part
 * say, read apart, must be what the bytes from the head's start say, read
 * in one piece (every part in an exact-size copy). */
static void check_split_at(const uint8_t *seg, size_t len, size_t k, uint8_t level)
{
    boundary_proof p, q, r;
    boundary_head head;
    memset(&head, 0x5A, sizeof head);
    boundary_head before = head;
    uint8_t *first = fuzz_exact_copy(seg, k);
    bool split = boundary_mqtt_split(NULL, 0, first, k, level, &p, &head);
    free(first);
    if (!split) {
        FUZZ_ASSERT(memcmp(&head, &before, sizeof head) == 0);
        return;
    }
    FUZZ_ASSERT(head.len >= 1 && head.len <= BOUNDARY_HEAD_MAX && head.len <= k);
    FUZZ_ASSERT(memcmp(head.bytes, seg + k - head.len, head.len) == 0);
    /* the packets before the head are whole */
    if (k > head.len) {
        FUZZ_ASSERT(prove_mqtt(seg, k - head.len, level, &q));
        FUZZ_ASSERT(q.packets == p.packets && q.types == p.types);
    } else {
        FUZZ_ASSERT(p.packets == 0);
    }
    if (k == len)
        return;
    const uint8_t *from = seg + k - head.len; /* the head's start, in one piece */
    size_t whole_len = len - k + head.len;
    uint8_t *rest = fuzz_exact_copy(seg + k, len - k);
    uint8_t *joined = fuzz_exact_copy(from, whole_len);

    bool a = boundary_mqtt_after(head.bytes, head.len, rest, len - k, level, &q);
    bool b = boundary_mqtt(joined, whole_len, level, &r);
    FUZZ_ASSERT(a == b);
    if (a)
        FUZZ_ASSERT(q.packets == r.packets && q.types == r.types);

    boundary_open o1, o2;
    a = boundary_mqtt_open_packet_after(head.bytes, head.len, rest, len - k, level, &q, &o1);
    b = boundary_mqtt_open_packet(joined, whole_len, level, &r, &o2);
    FUZZ_ASSERT(a == b);
    if (a) {
        FUZZ_ASSERT(q.packets == r.packets && q.types == r.types);
        FUZZ_ASSERT(o1.owed == o2.owed && o1.first_byte == o2.first_byte &&
                    o1.named == o2.named);
        FUZZ_ASSERT(o2.body_at > head.len && o1.body_at == o2.body_at - head.len);
    }

    boundary_head h1, h2;
    a = boundary_mqtt_split(head.bytes, head.len, rest, len - k, level, &q, &h1);
    b = boundary_mqtt_split(NULL, 0, joined, whole_len, level, &r, &h2);
    FUZZ_ASSERT(a == b);
    if (a) {
        FUZZ_ASSERT(q.packets == r.packets && q.types == r.types);
        FUZZ_ASSERT(h1.len == h2.len && memcmp(h1.bytes, h2.bytes, h1.len) == 0);
    }
    free(rest);
    free(joined);
}

static void check_split(const uint8_t *seg, size_t len, uint8_t level)
{
    for (size_t k = 1; k <= len && k <= SPLIT_TRIES; k++)
        check_split_at(seg, len, k, level);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t settings = data[0];
    const uint8_t *seg = data + 1;
    size_t len = size - 1;
    static const uint8_t levels[4] = {0, 3, 4, 5};
    int masked = (settings & 3) >= 2 ? -1 : (settings & 3);
    bool rsv1 = (settings & 4) != 0;
    bool whole = (settings & 0x20) == 0;
    uint8_t level = levels[(settings >> 3) & 3];

    check_mqtt(seg, len, level);
    check_websocket(seg, len, masked, rsv1, whole, level);
    check_skippable(seg, len);
    check_split(seg, len, level);

    /* The TLS check reads a record header and nothing past it. */
    bool tls = false;
    if (len) {
        uint8_t *copy = fuzz_exact_copy(seg, len);
        tls = boundary_looks_like_tls(copy, len);
        free(copy);
    }
    if (len >= 5) {
        uint8_t *head = fuzz_exact_copy(seg, 5);
        FUZZ_ASSERT(boundary_looks_like_tls(head, 5) == tls);
        free(head);
    } else {
        FUZZ_ASSERT(!tls);
    }
    return 0;
}
