/*
 * capture_reader.h - records out of a capture source, numbered as Wireshark
 * numbers them, optionally filtered by BPF.
 *
 * Two kinds of source: a pcap or pcapng file (or standard input), and a live
 * interface (live_capture.c), which adds a "nothing yet" status and a file
 * descriptor to wait on. Both number records the same way: from 1, in the
 * order read, so that a live capture saved with -w and read back with -r
 * gives the same frame numbers.
 */
#ifndef MQTTKA_CLI_CAPTURE_READER_H
#define MQTTKA_CLI_CAPTURE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "mqttka.h"

/* Room for one message naming the cause of a failure. */
#define CAPTURE_ERROR_MAX (PCAP_ERRBUF_SIZE + 128)

typedef enum capture_source_kind {
    CAPTURE_SOURCE_FILE = 0, /* a path, or "-" for standard input */
    CAPTURE_SOURCE_LIVE,     /* an interface, opened non-blocking */
} capture_source_kind;

/* Bytes kept of each live packet: the largest MQTT packets we decode whole
 * fit, as does a 64 KB TSO super-segment on loopback; what a longer record
 * loses becomes a capture_gap rather than a wrong decode. tcpdump's default. */
#define CAPTURE_LIVE_SNAPLEN 262144

typedef struct capture_reader {
    capture_source_kind kind;
    pcap_t *pcap;
    int linktype;                 /* pcap_datalink(): a DLT_ value */
    bool has_filter;
    struct bpf_program filter;
    /* Live sources: the interface's name, as given. */
    const char *interface;
    /* Records read so far, matched by the filter or not: the number of the
     * last one, since frame numbers are file-relative. (Live, the kernel
     * filters: only matching records are read, and so numbered.) */
    uint64_t records;
    /* Times of the first and last records read (filtered ones included):
     * the capture's span. MQTTKA_TIME_NONE before the first record. */
    mqttka_time first_ts;
    mqttka_time last_ts;
    /* A file's stdio buffer (NULL: stdio's own), freed once the file is closed. */
    char *read_buffer;
} capture_reader;

typedef struct capture_record {
    uint64_t frame;          /* 1-based record number in the file */
    mqttka_time ts;          /* microseconds since the epoch */
    const uint8_t *data;     /* borrowed until the next capture_reader_next */
    size_t captured_len;
    size_t wire_len;
} capture_record;

typedef enum capture_status {
    CAPTURE_RECORD = 0,   /* *rec holds a record that passed the filter */
    CAPTURE_END,          /* the source ended cleanly (live: capture_reader_stop) */
    CAPTURE_NONE,         /* live: nothing waiting now; wait on the descriptor */
    CAPTURE_TRUNCATED,    /* the source ends in the middle of a record */
    CAPTURE_READ_ERROR,   /* a damaged record or an I/O error */
} capture_status;

/*
 * Opens `path` ("-" for standard input) as a pcap or pcapng file with
 * microsecond timestamps. Returns true with *r ready, or false with a reason
 * for people in `err` (without the path: the caller names the file) and *r
 * untouched: "No such file or directory", "is a directory", "empty file, not a
 * pcap or pcapng capture", "not a pcap or pcapng capture", ...
 */
bool capture_reader_open_file(capture_reader *r, const char *path, char *err,
                              size_t err_size);

/*
 * Opens interface `name` for a live capture (live_capture.c): snaplen
 * CAPTURE_LIVE_SNAPLEN, immediate mode (each packet as it comes, so that
 * findings are printed when they happen), not promiscuous, non-blocking.
 * On "any", LINUX_SLL2 is chosen when offered (it names the interface).
 * Returns true with *r ready, or false with one line for people in `err`
 * that says what to do (no such interface: -D; no permission: root or
 * setcap), and *r untouched.
 */
bool capture_reader_open_live(capture_reader *r, const char *name, char *err,
                              size_t err_size);

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
 * Compiles `expression` as tcpdump does for the source's link type. From a
 * file, records that do not match are read and counted but not returned, so
 * frame numbers stay those of the file. Live, the filter runs in the kernel.
 * Returns false with libpcap's reason in `err`.
 */
bool capture_reader_set_filter(capture_reader *r, const char *expression, char *err,
                               size_t err_size);

/*
 * Reads up to the next record that passes the filter. On CAPTURE_TRUNCATED and
 * CAPTURE_READ_ERROR, `err` says what libpcap saw; r->records still counts
 * the whole records read before it.
 */
capture_status capture_reader_next(capture_reader *r, capture_record *rec, char *err,
                                   size_t err_size);

/* Closes the source (and the file) and frees the filter. Safe twice. */
void capture_reader_close(capture_reader *r);

#endif
