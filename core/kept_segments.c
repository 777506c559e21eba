/*
 * kept_segments.c - a few small segments held back (kept_segments.h).
 */
#include "kept_segments.h"

#include <stdlib.h>
#include <string.h>

bool kept_segments_add(kept_segments *k, int side, mqttka_time ts, uint64_t tag,
                       const uint8_t *bytes, size_t len, size_t *buffered, size_t max_buffered)
{
    if (k->n == KEPT_SEGMENTS || len > KEPT_BYTES - k->bytes)
        return false;
    if (*buffered > max_buffered || len > max_buffered - *buffered)
        return false;
    if (!k->buf && !(k->buf = malloc(KEPT_BYTES)))
        return false;
    uint8_t *at = k->buf + k->bytes;
    memcpy(at, bytes, len);
    k->seg[k->n++] = (kept_segment){side, ts, tag, at, len};
    k->bytes += len;
    *buffered += len;
    return true;
}

void kept_segments_clear(kept_segments *k, size_t *buffered)
{
    *buffered -= k->bytes;
    k->bytes = 0;
    k->n = 0;
}

void kept_segments_free(kept_segments *k, size_t *buffered)
{
    kept_segments_clear(k, buffered);
    free(k->buf);
    k->buf = NULL;
}

bool kept_segments_add_to_frame(kept_segments *k, int side, mqttka_time ts, uint64_t tag,
                                const uint8_t *bytes, size_t len, size_t *buffered,
                                size_t max_buffered)
{
    kept_segment *last = k->n ? &k->seg[k->n - 1] : NULL;
    if (!last || last->side != side || last->tag != tag)
        return kept_segments_add(k, side, ts, tag, bytes, len, buffered, max_buffered);
    if (len > KEPT_BYTES - k->bytes || *buffered > max_buffered ||
        len > max_buffered - *buffered)
        return false;
    /* The last segment ends where the buffer's bytes end: it grows in place. */
    memcpy(k->buf + k->bytes, bytes, len);
    last->len += len;
    k->bytes += len;
    *buffered += len;
    return true;
}
