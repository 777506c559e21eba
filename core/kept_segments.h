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

typedef struct kept_segment {
    int side;
    mqttka_time ts;
    uint64_t tag;
    const uint8_t *bytes;
    size_t len;
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
