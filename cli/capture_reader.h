/*
 * capture_reader.h - records out of a capture source, numbered as Wireshark
 * numbers them, optionally filtered by BPF.
 *
 * Today the only source is a pcap or pcapng file (or standard input). A live
 * interface is a later source kind: it will add a `capture_reader_open_live`
 * and a "no record yet" status, and keep this record and numbering contract.
 */
#ifndef MQTTKA_CLI_CAPTURE_READER_H
#define MQTTKA_CLI_CAPTURE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "mqttka.h"

/* Room for one message naming the cause of a failure. */
#define CAPTURE_ERROR_MAX (PCAP_ERRBUF_SIZE + 128)

typedef enum capture_source_kind {
    CAPTURE_SOURCE_FILE = 0, /* a path, or "-" for standard input */
} capture_source_kind;

typedef struct capture_reader {
    capture_source_kind kind;
    pcap_t *pcap;
    int linktype;                 /* pcap_datalink(): a DLT_ value */
    bool has_filter;
    struct bpf_program filter;
    /* Records read so far, matched by the filter or not: the number of the
     * last one, since frame numbers are file-relative. */
    uint64_t records;
    /* Times of the first and last records read (filtered ones included):
     * the capture's span. MQTTKA_TIME_NONE before the first record. */
    mqttka_time first_ts;
    mqttka_time last_ts;
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
    CAPTURE_END,          /* the source ended cleanly */
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
 * Compiles `expression` as tcpdump does for the source's link type. Records
 * that do not match are read and counted but not returned, so frame numbers
 * stay those of the file. Returns false with libpcap's reason in `err`.
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
