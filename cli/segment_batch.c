/*
 * segment_batch.c - TCP segments queued for mqttka_push_batch_ahead.
 */
#include "segment_batch.h"

#include <stdlib.h>
#include <string.h>

#include "analysis.h"

void segment_batch_init(segment_batch *b, mqttka_analyzer *a)
{
    b->analyzer = a;
    b->n = 0;
    b->current = 0;
    b->arena_used = 0;
    b->lent = 0;
    /* Without them every segment is pushed alone, as live capture does. */
    b->arena[0] = malloc(SEGMENT_BATCH_ARENA);
    b->arena[1] = b->arena[0] ? malloc(SEGMENT_BATCH_ARENA) : NULL;
    if (!b->arena[1]) {
        free(b->arena[0]);
        b->arena[0] = NULL;
    }
}

/* NOMEM drops a segment; the core reports it as resource_limit. */
capture_status segment_batch_next(segment_batch *b, capture_reader *reader, capture_record *rec,
                                  bool *lent, char *err, size_t errlen)
{
    *lent = capture_reader_next_lent(reader, rec);
    if (*lent)
        return CAPTURE_RECORD;
    segment_batch_keep(b);
    return capture_reader_read(reader, rec, err, errlen);
}

void segment_batch_flush(segment_batch *b)
{
    if (b->n)
        (void)mqttka_push_batch(b->analyzer, b->segs, b->n);
    b->n = 0;
    b->arena_used = 0; /* nothing waits: both arenas are free */
    b->lent = 0;
}

/* A full batch: the first SEGMENT_BATCH_PUSH go, the rest stay as the next
 * batch's first segments, their payloads in the arena just filled; the
 * next batch fills the other one. */
static void push_full(segment_batch *b)
{
    (void)mqttka_push_batch_ahead(b->analyzer, b->segs, SEGMENT_BATCH_PUSH,
                                  SEGMENT_BATCH_AHEAD);
    memmove(b->segs, b->segs + SEGMENT_BATCH_PUSH, SEGMENT_BATCH_AHEAD * sizeof b->segs[0]);
    b->n = SEGMENT_BATCH_AHEAD;
    b->lent >>= SEGMENT_BATCH_PUSH;
    b->current ^= 1u;
    b->arena_used = 0;
}

_Static_assert(SEGMENT_BATCH_PUSH + SEGMENT_BATCH_AHEAD <= 64, "a bit of `lent` per segment");

void segment_batch_add(segment_batch *b, int linktype, const capture_record *rec, bool lent,
                       capture_stats *stats)
{
    /* Parsed in place: the core reads it from here when the batch goes. */
    mqttka_segment *seg = &b->segs[b->n];
    if (!analysis_record_segment(linktype, rec, stats, seg))
        return;

    size_t len = seg->captured_len;
    if (lent) {
        if (len)
            b->lent |= UINT64_C(1) << b->n;
    } else if (len && (!b->arena[0] || len > SEGMENT_BATCH_ARENA - b->arena_used)) {
        mqttka_segment now = *seg;
        segment_batch_flush(b);
        if (!b->arena[0] || len > SEGMENT_BATCH_ARENA) {
            /* Pushed at once, after what waited, from libpcap's buffer. */
            (void)mqttka_push(b->analyzer, &now);
            return;
        }
        b->segs[0] = now;
        seg = &b->segs[0];
    }
    if (len && !lent) {
        uint8_t *to = b->arena[b->current] + b->arena_used;
        memcpy(to, seg->payload, len);
        seg->payload = to;
        b->arena_used += len;
    }
    if (++b->n == SEGMENT_BATCH_PUSH + SEGMENT_BATCH_AHEAD)
        push_full(b);
}

void segment_batch_keep(segment_batch *b)
{
    if (!b->lent)
        return;
    size_t need = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->lent & (UINT64_C(1) << i))
            need += b->segs[i].captured_len;
    if (!b->arena[0] || need > SEGMENT_BATCH_ARENA - b->arena_used) {
        segment_batch_flush(b); /* pushed while their bytes are still there */
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (!(b->lent & (UINT64_C(1) << i)))
            continue;
        mqttka_segment *seg = &b->segs[i];
        uint8_t *to = b->arena[b->current] + b->arena_used;
        memcpy(to, seg->payload, seg->captured_len);
        seg->payload = to;
        b->arena_used += seg->captured_len;
    }
    b->lent = 0;
}

void segment_batch_free(segment_batch *b)
{
    segment_batch_flush(b);
    free(b->arena[0]);
    free(b->arena[1]);
    b->arena[0] = b->arena[1] = NULL;
}
