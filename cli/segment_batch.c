/*
 * segment_batch.c - TCP segments queued for mqttka_push_batch.
 */
#include "segment_batch.h"

#include <stdlib.h>
#include <string.h>

#include "analysis.h"

void segment_batch_init(segment_batch *b, mqttka_analyzer *a)
{
    memset(b, 0, sizeof *b);
    b->analyzer = a;
}

void segment_batch_flush(segment_batch *b)
{
    /* NOMEM drops a segment; the core reports it as resource_limit. */
    if (b->n)
        (void)mqttka_push_batch(b->analyzer, b->segs, b->n);
    b->n = 0;
}

/* Makes slot i hold at least `len` bytes; false when memory ran out. */
static bool slot_reserve(segment_batch *b, size_t i, size_t len)
{
    if (len <= b->slot_cap[i])
        return true;
    uint8_t *p = realloc(b->slot[i], len);
    if (!p)
        return false;
    b->slot[i] = p;
    b->slot_cap[i] = len;
    return true;
}

void segment_batch_add(segment_batch *b, int linktype, const capture_record *rec,
                       capture_stats *stats)
{
    /* Parsed in place: the core reads it from here when the batch goes. */
    size_t i = b->n;
    mqttka_segment *seg = &b->segs[i];
    if (!analysis_record_segment(linktype, rec, stats, seg))
        return;

    if (seg->captured_len) {
        if (!slot_reserve(b, i, seg->captured_len)) {
            /* No room to keep it: push it at once, after what waits. */
            mqttka_segment now = *seg;
            segment_batch_flush(b);
            (void)mqttka_push(b->analyzer, &now);
            return;
        }
        memcpy(b->slot[i], seg->payload, seg->captured_len);
        seg->payload = b->slot[i];
    }
    if (++b->n == SEGMENT_BATCH_MAX)
        segment_batch_flush(b);
}

void segment_batch_free(segment_batch *b)
{
    segment_batch_flush(b);
    for (size_t i = 0; i < SEGMENT_BATCH_MAX; i++)
        free(b->slot[i]);
    memset(b->slot, 0, sizeof b->slot);
    memset(b->slot_cap, 0, sizeof b->slot_cap);
}
