/*
 * kept_segments.h - a few small segments held back, each with its time and
 * frame, to be decoded once it is known how (probe.c: the run that proved a
 * flow's framing; the handshake: client frames sent before the 101).
 *
 * Bounded twice: KEPT_SEGMENTS segments of KEPT_BYTES in all, and what they
 * hold is drawn from the analyzer's budget of buffered bytes
 * (max_total_buffered_bytes). A segment that does not fit is not kept.
 */
#ifndef MQTTKA_KEPT_SEGMENTS_H
#define MQTTKA_KEPT_SEGMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttka.h"

#define KEPT_SEGMENTS 4
#define KEPT_BYTES 2048

/* A segment is kept as [skip_before][bytes][skip_after]: the skipped
 * stretches are bytes of the side's stream counted but not kept (the body
 * of a PUBLISH the probe followed, which the decoder only counts too:
 * mqtt_stream_unread), so that what a flow holds is bounded by KEPT_BYTES
 * whatever length its packets declare. */
typedef struct kept_segment {
    int side;
    mqttka_time ts;
    uint64_t tag;
    const uint8_t *bytes;
    size_t len;
    uint32_t skip_before;
    uint32_t skip_after;
} kept_segment;

typedef struct kept_segments {
    uint8_t n;
    size_t bytes;           /* drawn from the caller's budget */
    kept_segment seg[KEPT_SEGMENTS];
    uint8_t *buf;           /* made at the first segment kept, grown as needed */
    size_t cap;             /* buf's size: at most KEPT_BYTES */
} kept_segments;

/* Keeps a copy of the segment if it fits; false when it does not. */
bool kept_segments_add(kept_segments *k, int side, mqttka_time ts, uint64_t tag,
                       const uint8_t *bytes, size_t len, size_t *buffered, size_t max_buffered);

/* Keeps a segment of `len` bytes of which only `kept_len` from `skip_before`
 * on are copied, the rest counted as skipped (kept_segment). False when it
 * does not fit. */
bool kept_segments_add_skipping(kept_segments *k, int side, mqttka_time ts, uint64_t tag,
                                const uint8_t *bytes, size_t len, size_t skip_before,
                                size_t kept_len, size_t *buffered, size_t max_buffered);

/* Counts `n` more skipped bytes of side `side` after its last kept segment
 * (a segment that is all body of the packet that one left open, kept
 * without taking a place). False when the side has no kept segment or the
 * count would overflow. */
bool kept_segments_skip_more(kept_segments *k, int side, size_t n);

/* The same, except that bytes of the frame (side and tag) the last kept
 * segment came from extend that segment: a frame delivered in pieces (a
 * hole filled, a record pushed in parts) stays one segment, as it was
 * captured. The handshake's early client bytes are kept so. */
bool kept_segments_add_to_frame(kept_segments *k, int side, mqttka_time ts, uint64_t tag,
                                const uint8_t *bytes, size_t len, size_t *buffered,
                                size_t max_buffered);

/* Forgets the segments (the buffer stays for reuse) and gives their bytes
 * back to *buffered. */
void kept_segments_clear(kept_segments *k, size_t *buffered);

/* Forgets them and frees the buffer. */
void kept_segments_free(kept_segments *k, size_t *buffered);

#endif
