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
