/*
 * segment_batch.h - consecutive TCP segments handed to the core together.
 *
 * mqttka_push_batch loads the connection state of the next segments into
 * the cache while it analyses the current one, which is most of the
 * analysis time on a capture with thousands of open connections; its
 * look-ahead starts over with every batch, so batches are long. libpcap
 * lends a record's bytes only until the next record is read, so each
 * segment's payload is copied into the batch's arena: a fixed
 * SEGMENT_BATCH_ARENA bytes, allocated once; a batch goes to the core when
 * it has SEGMENT_BATCH_MAX segments or its arena is full, and a payload
 * larger than the whole arena is pushed on its own, uncopied.
 * Live capture does not batch: it reports as packets arrive.
 */
#ifndef MQTTKA_CLI_SEGMENT_BATCH_H
#define MQTTKA_CLI_SEGMENT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "capture_reader.h"
#include "mqttka.h"
#include "output.h"

#define SEGMENT_BATCH_MAX 256
#define SEGMENT_BATCH_ARENA (256 * 1024)

typedef struct segment_batch {
    mqttka_analyzer *analyzer;
    mqttka_segment segs[SEGMENT_BATCH_MAX];
    size_t n;
    uint8_t *arena; /* SEGMENT_BATCH_ARENA bytes; NULL if it could not be had */
    size_t arena_used;
} segment_batch;

void segment_batch_init(segment_batch *b, mqttka_analyzer *a);
/* Counts what became of one record and, for TCP, queues its segment; a
 * full batch is pushed. */
void segment_batch_add(segment_batch *b, int linktype, const capture_record *rec,
                       capture_stats *stats);
/* Pushes what is queued (before mqttka_finish, and at the end). */
void segment_batch_flush(segment_batch *b);
/* Flushes, then frees the arena. */
void segment_batch_free(segment_batch *b);

#endif
