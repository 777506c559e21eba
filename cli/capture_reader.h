/*
 * capture_reader.h - records out of a capture source, numbered as Wireshark
 * numbers them, optionally filtered by BPF.
 *
 * Two kinds of source: pcap or pcapng files (or standard input), plain or
 * compressed (input_stream.c), read as one capture; and a live interface
 * (live_capture.c), which adds a "nothing yet" status and a file descriptor
 * to wait on. Both number records the same way: from 1, in the order read,
 * so that a live capture saved with -w (and its ring of files) read back
 * with -r gives the same frame numbers.
 */
#ifndef MQTTKA_CLI_CAPTURE_READER_H
#define MQTTKA_CLI_CAPTURE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "mqttka.h"
#include "pcap_reader.h"

/* Room for one message naming the cause of a failure. */
#define CAPTURE_ERROR_MAX (PCAP_ERRBUF_SIZE + 128)

typedef enum capture_source_kind {
    CAPTURE_SOURCE_FILE = 0, /* paths, or "-" for standard input */
    CAPTURE_SOURCE_LIVE,     /* an interface, opened non-blocking */
} capture_source_kind;

/* Bytes kept of each live packet: the largest MQTT packets we decode whole
 * fit, as does a 64 KB TSO super-segment on loopback; what a longer record
 * loses becomes a capture_gap rather than a wrong decode. tcpdump's default
 * and largest (-s 0). */
#define CAPTURE_LIVE_SNAPLEN 262144

typedef enum capture_status {
    CAPTURE_RECORD = 0,   /* *rec holds a record that passed the filter */
    CAPTURE_END,          /* the source ended cleanly (live: capture_reader_stop) */
    CAPTURE_NONE,         /* live: nothing waiting now; wait on the descriptor */
    CAPTURE_TRUNCATED,    /* the source ends in the middle of a record */
    CAPTURE_READ_ERROR,   /* a damaged record or an I/O error */
} capture_status;

/* One input file, as read: its place in the merged capture. */
typedef struct capture_file_info {
    const char *path;              /* as given on the command line ("-": stdin) */
    const char *compression;       /* "gzip", "zstd", "lz4", or NULL */
    uint64_t records;              /* records read from it */
    uint64_t first_frame;          /* merged frame number of its first record; 0: none */
    uint64_t last_frame;           /* ... of its last */
    mqttka_time first_ts, last_ts; /* MQTTKA_TIME_NONE before its first record */
    capture_status status;         /* CAPTURE_END once read whole, or its damage */
    char *error;                   /* what the damage was (owned), or NULL */
} capture_file_info;

typedef struct capture_file capture_file;
typedef struct capture_merge capture_merge;
typedef struct capture_filter_set capture_filter_set;

/* Distinct link types told apart in the summary's "link_type". */
#define CAPTURE_LINK_TYPES_MAX 8

typedef struct capture_reader {
    capture_source_kind kind;
    pcap_t *pcap;                 /* live: the interface's handle */
    int linktype;                 /* a DLT_ value: live, the interface's; files, the
                                     first one the first file declares */
    bool has_filter;
    struct bpf_program filter;    /* live: what the kernel runs */
    /* Live sources: the interface's name, as given. */
    const char *interface;
    /* Records read so far, matched by the filter or not: the number of the
     * last one (frame numbers count every record). (Live, the kernel
     * filters: only matching records are read, and so numbered.) */
    uint64_t records;
    /* Times of the first and last records read (filtered ones included):
     * the capture's span. MQTTKA_TIME_NONE before the first record. */
    mqttka_time first_ts;
    mqttka_time last_ts;
    /* Files, in the order they are read (their first records' times). */
    capture_file_info *files;
    size_t n_files;
    capture_file *single;         /* the one file, when there is one */
    capture_merge *merge;         /* several files */
    capture_filter_set *filters;  /* files: a BPF program per link type */
    /* Distinct link types of the records read, in order of first sight. */
    int link_types[CAPTURE_LINK_TYPES_MAX];
    size_t n_link_types;
    bool more_link_types;         /* more than CAPTURE_LINK_TYPES_MAX were seen */
    int last_linktype;            /* the last record's, so that a run costs one compare */
    /* The one file's own pcap reader, when it reads the file (else NULL),
     * and the file's link type: capture_reader_next's inline path. */
    pcap_reader *own;
    int own_linktype;
} capture_reader;

typedef struct capture_record {
    uint64_t frame;          /* 1-based record number in the (merged) capture */
    mqttka_time ts;          /* microseconds since the epoch */
    const uint8_t *data;     /* borrowed until the next capture_reader_next */
    size_t captured_len;
    size_t wire_len;
    int linktype;            /* a DLT_ value: each pcapng interface has its own */
} capture_record;

/* Files read as one capture at most: each costs its path and 80 bytes. */
#define CAPTURE_FILES_MAX 100000
/* Files open at once while merging: files whose times overlap are open
 * together (a ring of files that follow each other needs one). */
#define CAPTURE_OPEN_FILES_MAX 256
/* Changes of file in the merged order remembered for capture_reader_locate
 * (24 bytes each): one per file when the files follow each other in time. */
#define CAPTURE_RUNS_MAX 65536

/*
 * Opens `paths` (n of them; "-" for standard input, which must then be the
 * only one) as one capture. One file is read as it is. Several are merged
 * by time, as mergecap does: each is opened to read its first record, and
 * they are read in the order of those records' times (the command line's
 * order among equal times), each record being the earliest of the open
 * files' next ones; a file is opened only once its records are due, and
 * closed at its end. Records are numbered across the files in the order
 * they are returned: the frame numbers Wireshark shows for the file that
 * `mergecap -w merged.pcapng` writes from the same files in that order.
 *
 * Returns true with *r ready; or false with a reason for people in `err`
 * and the path it is about in *bad_path (NULL when about none): "No such
 * file or directory", "is a directory", "empty file, not a pcap or pcapng
 * capture", "not a pcap or pcapng capture", "gzip-compressed, but ...".
 * Free with capture_reader_close in both cases.
 */
bool capture_reader_open_files(capture_reader *r, const char *const *paths, size_t n,
                               char *err, size_t err_size, const char **bad_path);

/* The file (an index into r->files) and the record number inside it of the
 * merged frame `frame`. False when it cannot be told: a frame not read yet,
 * or beyond CAPTURE_RUNS_MAX changes of file. */
bool capture_reader_locate(const capture_reader *r, uint64_t frame, size_t *file,
                           uint64_t *file_frame);

/* "EN10MB", or "EN10MB,LINUX_SLL2": the link types of the records read, in
 * order of first sight (the first file's first one before any record). */
void capture_reader_link_names(const capture_reader *r, char *out, size_t size);

/* tcpdump's options for a live capture. */
typedef struct capture_live_options {
    bool promiscuous;        /* -p turns it off */
    uint32_t snaplen;        /* -s; 1..CAPTURE_LIVE_SNAPLEN */
    uint64_t buffer_bytes;   /* -B, in bytes; 0: the default (2 MiB) */
} capture_live_options;

/*
 * Opens interface `name` for a live capture (live_capture.c): the options'
 * snaplen, promiscuous mode and kernel buffer, immediate mode (each packet
 * as it comes, so that findings are printed when they happen),
 * non-blocking. On "any", LINUX_SLL2 is chosen when offered (it names the
 * interface). Returns true with *r ready, or false with one line for people
 * in `err` that says what to do (no such interface: -D; no permission:
 * root or setcap), and *r untouched. A warning from libpcap (promiscuous
 * mode not supported, ...) is written to `warning` ("" when none).
 */
bool capture_reader_open_live(capture_reader *r, const char *name,
                              const capture_live_options *opts, char *err, size_t err_size,
                              char *warning, size_t warning_size);

/*
 * The descriptor to wait on (poll/select) for a live source's next records,
 * or -1 when the platform offers none.
 */
int capture_reader_selectable_fd(const capture_reader *r);

/* libpcap's counters for a live source (pcap_stats): packets the filter
 * passed, and those dropped by the kernel (buffer full) and by the
 * interface. Returns false when libpcap cannot tell. */
bool capture_reader_live_stats(capture_reader *r, uint64_t *received, uint64_t *dropped,
                               uint64_t *if_dropped);

/*
 * Writes the interfaces a live capture can open to `out`, numbered as
 * tcpdump -D does ("1.lo [Up, Running, Loopback]"). Returns false with
 * libpcap's reason in `err`.
 */
bool capture_list_interfaces(FILE *out, char *err, size_t err_size);

/*
 * Compiles `expression` as tcpdump does for the source's link type. From
 * files, for every link type they declare before their first record (one
 * that appears only later is compiled when it does; if it cannot be, its
 * records do not match and one line on stderr says so); records that do
 * not match are read and counted but not returned, so frame numbers stay
 * those of the files. Live, the filter runs in the kernel. Returns false
 * with libpcap's reason in `err`.
 */
bool capture_reader_set_filter(capture_reader *r, const char *expression, char *err,
                               size_t err_size);

/*
 * Reads up to the next record that passes the filter. On CAPTURE_TRUNCATED
 * and CAPTURE_READ_ERROR, `err` says what was seen; r->records still counts
 * the whole records read before it. Several files: a damaged one ends there
 * (its status and error in r->files) and the others are read on; the end of
 * them all is CAPTURE_END. One file: its damage is returned (and also kept
 * in r->files[0]).
 */
capture_status capture_reader_read(capture_reader *r, capture_record *rec, char *err,
                                   size_t err_size);

/*
 * capture_reader_next's inline case alone: true with the next record when
 * it lies whole in the own reader's buffer, false (nothing read) when
 * capture_reader_read must read on. The record's bytes stay where they are
 * until that next capture_reader_read (which may refill the buffer), not
 * only until the next record: a batch may queue them uncopied.
 */
static inline bool capture_reader_next_lent(capture_reader *r, capture_record *rec)
{
    pcap_reader_record pr;
    if (r->own && r->records && !r->filters && pcap_reader_next_whole(r->own, &pr)) {
        rec->ts = pr.ts;
        rec->data = pr.data;
        rec->captured_len = pr.captured_len;
        rec->wire_len = pr.wire_len;
        rec->linktype = r->own_linktype;
        rec->frame = ++r->records;
        r->last_ts = rec->ts;
        return true;
    }
    return false;
}

/*
 * capture_reader_read, with its commonest case inline: one classic pcap
 * file, no filter, a record whole in the reader's buffer, after the first
 * (which noted the link type and the capture's first time). A record of the
 * small-packet benchmark costs less than the call it saves (BENCHMARKS.md).
 */
static inline capture_status capture_reader_next(capture_reader *r, capture_record *rec,
                                                 char *err, size_t err_size)
{
    if (capture_reader_next_lent(r, rec))
        return CAPTURE_RECORD;
    return capture_reader_read(r, rec, err, err_size);
}

/* Closes the source (and the files) and frees the filters. Safe twice. */
void capture_reader_close(capture_reader *r);

#endif
