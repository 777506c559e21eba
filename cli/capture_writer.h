/*
 * capture_writer.h - saves the records a live capture read (-w), so that the
 * evidence can be opened in Wireshark later and read back with mqttka -r,
 * with the same frame numbers.
 *
 * A name ending in ".pcapng" gets pcapng (pcapng_writer.c: libpcap 1.10 has
 * no pcapng writer); any other name gets pcap through libpcap's pcap_dump.
 */
#ifndef MQTTKA_CLI_CAPTURE_WRITER_H
#define MQTTKA_CLI_CAPTURE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "capture_reader.h"
#include "pcapng_writer.h"

typedef struct capture_writer {
    const char *path;        /* borrowed from the command line */
    bool pcapng;
    FILE *file;              /* pcapng: owned */
    pcapng_writer ng;
    pcap_dumper_t *dumper;   /* pcap: owned */
    bool failed;             /* a write failed; `error` holds errno */
    int error;
} capture_writer;

/* Does `path` name a pcapng file (".pcapng", any case)? */
bool capture_writer_wants_pcapng(const char *path);

/*
 * Creates `path` (truncating it) for the records of `source`: same link type
 * and snaplen. Returns false with one line for people in `err`.
 */
bool capture_writer_open(capture_writer *w, const char *path, capture_reader *source,
                         char *err, size_t err_size);

/* Appends one record. Returns false once any write has failed. */
bool capture_writer_write(capture_writer *w, const capture_record *rec);

/* Pushes what is buffered to the file, so that the file is whole up to the
 * last record even if mqttka is killed. Returns false on an error. */
bool capture_writer_flush(capture_writer *w);

/* Flushes and closes. Returns false with the reason in `err` when anything
 * written since the open failed. Safe twice. */
bool capture_writer_close(capture_writer *w, char *err, size_t err_size);

#endif
