/*
 * segment_batch.h - consecutive TCP segments handed to the core together.
 *
 * mqttka_push_batch loads the connection state of the next segments into
 * the cache while it analyses the current one, which is most of the
 * analysis time on a capture with thousands of open connections. The batch
 * streams: each call pushes SEGMENT_BATCH_PUSH segments and shows the core
 * the SEGMENT_BATCH_AHEAD that follow (mqttka_push_batch_ahead), which are
 * pushed by the next call, so the look-ahead never starts over; and batches
 * stay short enough for their payloads to be still in the cache when the
 * core reads them.
 *
 * libpcap lends a record's bytes only until the next record is read, so
 * each payload is copied into one of two fixed arenas of
 * SEGMENT_BATCH_ARENA bytes, used in turn: the look-ahead segments carried
 * into the next batch keep their bytes in the arena of the batch before.
 * When an arena fills early, everything queued is pushed (without
 * look-ahead); a payload larger than an arena is pushed on its own,
 * uncopied. The own pcap reader's records in place ("lent") stay valid
 * until it reads on: they are queued uncopied, and copied then
 * (segment_batch_keep), which on a capture of small packets happens once
 * in thousands of records. Live capture does not batch: it reports as
 * packets arrive.
 */
#ifndef MQTTKA_CLI_SEGMENT_BATCH_H
#define MQTTKA_CLI_SEGMENT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture_reader.h"
#include "mqttka.h"
#include "output.h"

#define SEGMENT_BATCH_PUSH 32
#define SEGMENT_BATCH_AHEAD 8
#define SEGMENT_BATCH_ARENA (64 * 1024)

typedef struct segment_batch {
    mqttka_analyzer *analyzer;
    mqttka_segment segs[SEGMENT_BATCH_PUSH + SEGMENT_BATCH_AHEAD];
    size_t n;
    uint8_t *arena[2]; /* SEGMENT_BATCH_ARENA bytes each; NULL if not had */
    size_t arena_used; /* of arena[current] */
    unsigned current;
    uint64_t lent;     /* bit i: segs[i]'s payload still in the reader's buffer */
} segment_batch;

void segment_batch_init(segment_batch *b, mqttka_analyzer *a);
/* Counts what became of one record and, for TCP, queues its segment; a
 * full batch is pushed. `lent`: the record's bytes stay valid until
 * segment_batch_keep is called (capture_reader_next_lent), so they are not
 * copied. */
void segment_batch_add(segment_batch *b, int linktype, const capture_record *rec, bool lent,
                       capture_stats *stats);
/* The reader is about to read on: the lent payloads still queued are
 * copied (or, without room for them, everything queued is pushed). */
void segment_batch_keep(segment_batch *b);
/* The reader's next record: lent in place (*lent) while the reader's
 * buffer holds one, else, once the lent payloads queued are kept
 * (segment_batch_keep), read on: capture_reader_read's status. */
capture_status segment_batch_next(segment_batch *b, capture_reader *reader, capture_record *rec,
                                  bool *lent, char *err, size_t errlen);
/* Pushes everything queued (before mqttka_finish, and at the end). */
void segment_batch_flush(segment_batch *b);
/* Flushes, then frees the arenas. */
void segment_batch_free(segment_batch *b);

#endif
