/*
 * segment_batch.c - TCP segments queued for mqttka_push_batch.
 */
#include "segment_batch.h"

#include <stdlib.h>
#include <string.h>

#include "analysis.h"

void segment_batch_init(segment_batch *b, mqttka_analyzer *a)
{
    b->analyzer = a;
    b->n = 0;
    b->arena_used = 0;
    /* Without it every segment is pushed alone, as live capture does. */
    b->arena = malloc(SEGMENT_BATCH_ARENA);
}

void segment_batch_flush(segment_batch *b)
{
    /* NOMEM drops a segment; the core reports it as resource_limit. */
    if (b->n)
        (void)mqttka_push_batch(b->analyzer, b->segs, b->n);
    b->n = 0;
    b->arena_used = 0;
}

void segment_batch_add(segment_batch *b, int linktype, const capture_record *rec,
                       capture_stats *stats)
{
    /* Parsed in place: the core reads it from here when the batch goes. */
    mqttka_segment *seg = &b->segs[b->n];
    if (!analysis_record_segment(linktype, rec, stats, seg))
        return;

    size_t len = seg->captured_len;
    if (len && (!b->arena || len > SEGMENT_BATCH_ARENA - b->arena_used)) {
        mqttka_segment now = *seg;
        segment_batch_flush(b);
        if (len > SEGMENT_BATCH_ARENA || !b->arena) {
            /* Pushed at once, after what waited, from libpcap's buffer. */
            (void)mqttka_push(b->analyzer, &now);
            return;
        }
        b->segs[0] = now;
        seg = &b->segs[0];
    }
    if (len) {
        memcpy(b->arena + b->arena_used, seg->payload, len);
        seg->payload = b->arena + b->arena_used;
        b->arena_used += len;
    }
    if (++b->n == SEGMENT_BATCH_MAX)
        segment_batch_flush(b);
}

void segment_batch_free(segment_batch *b)
{
    segment_batch_flush(b);
    free(b->arena);
    b->arena = NULL;
}
