/*
 * kept_segments.c - a few small segments held back (kept_segments.h).
 */
#include "kept_segments.h"

#include <stdlib.h>
#include <string.h>

/* Room for `len` more bytes. The buffer grows in steps of 256 bytes (and
 * at least doubles) up to KEPT_BYTES: most flows that keep anything keep a
 * segment or two of a few dozen bytes (a probe waiting for its proof), and
 * hundreds of them are probed at once on a busy link. */
static bool make_room(kept_segments *k, size_t len)
{
    size_t need = k->bytes + len;
    if (need <= k->cap)
        return true;
    size_t cap = (need + 255) & ~(size_t)255;
    if (cap < 2 * k->cap)
        cap = 2 * k->cap;
    if (cap > KEPT_BYTES)
        cap = KEPT_BYTES;
    uint8_t *buf = realloc(k->buf, cap);
    if (!buf)
        return false;
    for (uint8_t i = 0; i < k->n; i++) /* the kept segments point into it */
        k->seg[i].bytes = buf + (k->seg[i].bytes - k->buf);
    k->buf = buf;
    k->cap = cap;
    return true;
}

bool kept_segments_add(kept_segments *k, int side, mqttka_time ts, uint64_t tag,
                       const uint8_t *bytes, size_t len, size_t *buffered, size_t max_buffered)
{
    if (k->n == KEPT_SEGMENTS || len > KEPT_BYTES - k->bytes)
        return false;
    if (*buffered > max_buffered || len > max_buffered - *buffered)
        return false;
    if (!make_room(k, len))
        return false;
    uint8_t *at = k->buf ? k->buf + k->bytes : NULL; /* NULL: nothing kept yet, len 0 */
    if (len)
        memcpy(at, bytes, len);
    k->seg[k->n++] = (kept_segment){side, ts, tag, at, len, 0, 0};
    k->bytes += len;
    *buffered += len;
    return true;
}

bool kept_segments_add_skipping(kept_segments *k, int side, mqttka_time ts, uint64_t tag,
                                const uint8_t *bytes, size_t len, size_t skip_before,
                                size_t kept_len, size_t *buffered, size_t max_buffered)
{
    if (skip_before > len || kept_len > len - skip_before || skip_before > UINT32_MAX ||
        len - skip_before - kept_len > UINT32_MAX)
        return false;
    if (!kept_segments_add(k, side, ts, tag, bytes + skip_before, kept_len, buffered,
                           max_buffered))
        return false;
    kept_segment *s = &k->seg[k->n - 1];
    s->skip_before = (uint32_t)skip_before;
    s->skip_after = (uint32_t)(len - skip_before - kept_len);
    return true;
}

bool kept_segments_skip_more(kept_segments *k, int side, size_t n)
{
    for (uint8_t i = k->n; i-- > 0;) {
        if (k->seg[i].side != side)
            continue;
        if (n > UINT32_MAX - k->seg[i].skip_after)
            return false;
        k->seg[i].skip_after += (uint32_t)n;
        return true;
    }
    return false;
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
    k->cap = 0;
}

bool kept_segments_add_to_frame(kept_segments *k, int side, mqttka_time ts, uint64_t tag,
                                const uint8_t *bytes, size_t len, size_t *buffered,
                                size_t max_buffered)
{
    kept_segment *last = k->n ? &k->seg[k->n - 1] : NULL;
    if (!last || last->side != side || last->tag != tag)
        return kept_segments_add(k, side, ts, tag, bytes, len, buffered, max_buffered);
    if (len > KEPT_BYTES - k->bytes || *buffered > max_buffered ||
        len > max_buffered - *buffered || !make_room(k, len))
        return false;
    /* The last segment ends where the buffer's bytes end: it grows in place. */
    memcpy(k->buf + k->bytes, bytes, len);
    last->len += len;
    k->bytes += len;
    *buffered += len;
    return true;
}
