/*
 * capture_writer.h - saves the records a live capture read (-w), so that the
 * evidence can be opened in Wireshark later and read back with mqttka -r,
 * with the same frame numbers; optionally as a ring of files, as tcpdump
 * makes them (-C, -G, -W).
 *
 * A name ending in ".pcapng" gets pcapng (pcapng_writer.c: libpcap 1.10 has
 * no pcapng writer); any other name gets pcap through libpcap's pcap_dump.
 *
 * Rotation follows tcpdump 4.99, so that scripts made for its files work:
 *   -C SIZE   before a record is written, a file already larger than SIZE
 *             bytes is closed and the next opened: FILE, FILE1, FILE2, ...;
 *             with -W N, FILE0 .. FILE<N-1> (zero-padded to the digits of
 *             N-1) in a ring, the oldest overwritten.
 *   -G SECS   before a record is written, once SECS have passed since the
 *             file was opened, the next is opened; FILE is given to
 *             strftime(3) with the local time of the rotation (with -C too,
 *             the count starts again at 0 in each). With -W N and no -C,
 *             the capture stops after N files.
 * The rotation time is the record's own (live, the kernel's clock: the
 * same as tcpdump's time(NULL) at that moment).
 */
#ifndef MQTTKA_CLI_CAPTURE_WRITER_H
#define MQTTKA_CLI_CAPTURE_WRITER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "capture_reader.h"
#include "pcapng_writer.h"

/* -C, -G, -W; all 0: one file. */
typedef struct capture_ring {
    uint64_t file_bytes;     /* -C: rotate once a file is larger than this */
    uint32_t seconds;        /* -G: rotate after this many seconds */
    uint32_t files;          /* -W */
} capture_ring;

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

typedef struct capture_writer {
    const char *path;        /* as given (borrowed); a strftime template with -G */
    char current[PATH_MAX + 1]; /* the file being written */
    bool pcapng;
    capture_reader *source;  /* borrowed: its link type, snaplen, pcap_t */
    capture_ring ring;
    int width;               /* digits of the count (tcpdump's -W digits) */
    uint32_t size_count;     /* -C: the number of the current file */
    uint32_t time_count;     /* -G: files closed by time */
    int64_t rotated_at;      /* -G: seconds since the epoch of the last rotation */
    bool limit_reached;      /* -G -W: every file written; stop the capture */
    FILE *file;              /* pcapng: owned */
    pcapng_writer ng;
    pcap_dumper_t *dumper;   /* pcap: owned */
    bool failed;             /* a write failed; `error` holds errno */
    int error;
} capture_writer;

/* Does `path` name a pcapng file (".pcapng", any case)? */
bool capture_writer_wants_pcapng(const char *path);

/*
 * Creates the first file of `path` (truncating it) for the records of
 * `source`: same link type and snaplen; `ring` may be NULL. Returns false
 * with one line for people in `err`.
 */
bool capture_writer_open(capture_writer *w, const char *path, capture_reader *source,
                         const capture_ring *ring, char *err, size_t err_size);

/* Appends one record, after rotating when it is due. Returns false once any
 * write has failed, and when -G -W has written its last file
 * (w->limit_reached: the record was not written, the capture should stop). */
bool capture_writer_write(capture_writer *w, const capture_record *rec);

/* Pushes what is buffered to the file, so that the file is whole up to the
 * last record even if mqttka is killed. Returns false on an error. */
bool capture_writer_flush(capture_writer *w);

/* Flushes and closes. Returns false with the reason in `err` when anything
 * written since the open failed. Safe twice. */
bool capture_writer_close(capture_writer *w, char *err, size_t err_size);

#endif
