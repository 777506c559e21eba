/*
 * flagged_writer.h - --write-flagged FILE: only the packets of connections
 * that got a warn or error finding, each such finding a pcapng comment on
 * the packet it is about, so that a week-long watch leaves a small file of
 * evidence that opens in Wireshark (frame.comment) and in mqttka -r.
 *
 * Whether a connection will be flagged is known only later than its
 * packets, so each TCP connection's packets are held until it ends:
 * written if it was flagged, dropped if not. Holding is bounded:
 *
 *   - a connection keeps its first FLAGGED_HEAD_PACKETS packets (the TCP,
 *     WebSocket and MQTT handshakes, which say what the keepalive is) and
 *     its last FLAGGED_TAIL_PACKETS packets, at most FLAGGED_TAIL_BYTES of
 *     them; the packets between are dropped while it is not flagged, and
 *     written as they leave the window once it is;
 *   - all connections together hold at most FLAGGED_MEMORY_MAX bytes: past
 *     it, the oldest packet held beyond a head goes first (then the oldest
 *     head packet), written or dropped by the same rule;
 *   - connections are those of the core's flow table: at most max_flows.
 *
 * A flagged connection's file thus holds its first packets, a gap (the
 * first packet after it says how many packets and which frames were not
 * kept), and the packets of its last window, with every finding on its
 * packet. (Read back, the gap is a capture_gap: the findings after it are
 * in the comments, not decoded again.) Packets of one connection are in order; across connections the
 * file is in the order they were written (reordercap sorts it by time).
 * Each comment names the frame numbers of the input, which the file's own
 * numbering does not keep.
 */
#ifndef MQTTKA_CLI_FLAGGED_WRITER_H
#define MQTTKA_CLI_FLAGGED_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture_reader.h"
#include "mqttka.h"

/* The first packets of a connection kept whatever comes after them. */
#define FLAGGED_HEAD_PACKETS 16
/* The last packets of a connection kept, and their bytes at most. */
#define FLAGGED_TAIL_PACKETS 256
#define FLAGGED_TAIL_BYTES (1024 * 1024)
/* Everything held, all connections together (a held packet costs its
 * bytes, its comments and about 100 bytes). */
#define FLAGGED_MEMORY_MAX (64 * 1024 * 1024)
/* Comments kept on one packet; more findings about it are counted in the
 * last. */
#define FLAGGED_COMMENTS_MAX 8

typedef struct flagged_writer flagged_writer;

/* What was written, for the line said at the end. */
typedef struct flagged_counts {
    uint64_t connections;      /* connections flagged */
    uint64_t written;          /* packets written */
    uint64_t not_kept;         /* packets of flagged connections not kept */
    uint64_t comments;         /* findings written as comments */
    uint64_t comments_lost;    /* findings with no packet left to carry them */
} flagged_counts;

/*
 * Creates `path` (truncating it) as a pcapng file. `max_flows` bounds the
 * connections tracked (the core's --max-flows). Returns NULL with one line
 * for people in `err`.
 */
flagged_writer *flagged_writer_open(const char *path, size_t max_flows, char *err,
                                    size_t err_size);

/* A record read, before its segment is pushed to the core: a TCP segment
 * (`seg`, as analysis_record_segment made it from `rec`; NULL when the
 * record is not one) is held with its connection. */
void flagged_writer_hold(flagged_writer *w, const capture_record *rec,
                         const mqttka_segment *seg);

/* After the record's segment was pushed (and its events told): a
 * connection the core ended without a summary (not MQTT) is let go. */
void flagged_writer_after_push(flagged_writer *w);

/* Every core event (from analysis_on_event): warn and error findings flag
 * their connection and become comments; a summary ends its connection. */
void flagged_writer_on_event(flagged_writer *w, const mqttka_event *ev);

/* Pushes what was written to the file (live: at every wake). False once a
 * write has failed. */
bool flagged_writer_flush(flagged_writer *w);

/* Writes what flagged connections still hold, drops the rest, closes the
 * file and frees everything; *w is NULL after. Returns false with the
 * reason in `err` when any write failed. Counts in *counts when not NULL. */
bool flagged_writer_close(flagged_writer **w, flagged_counts *counts, char *err,
                          size_t err_size);

#endif
