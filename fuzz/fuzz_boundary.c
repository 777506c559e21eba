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
 *   alone and must answer the same).
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
