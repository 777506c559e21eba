/*
 * options.h - the command line of mqttka, parsed into one struct.
 */
#ifndef MQTTKA_CLI_OPTIONS_H
#define MQTTKA_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttka.h"

typedef enum output_format {
    OUTPUT_TEXT = 0,
    OUTPUT_JSON,
    OUTPUT_CSV,
} output_format;

/* --fail-on: the least severity that makes the exit status 1. */
typedef enum fail_threshold {
    FAIL_NEVER = 0,
    FAIL_ON_WARN,
    FAIL_ON_ERROR,
} fail_threshold;

/* --time-format: how the text output writes a point in time. */
typedef enum time_format {
    TIME_RELATIVE = 0,        /* seconds since the capture's first record */
    TIME_UTC,                 /* 2026-11-26T10:51:02.123456Z */
    TIME_EPOCH,               /* 1795690262.123456 */
} time_format;

/* -s: tcpdump's largest snapshot length, and what -s 0 means. */
#define OPTIONS_SNAPLEN_MAX 262144u

typedef struct cli_options {
    char **read_paths;        /* -r FILE..., the file words, globs expanded (owned) */
    size_t n_read;
    const char *interface;    /* -i: live capture from this interface */
    const char *write_path;   /* -w: also save what the live capture read */
    const char *drop_user;    /* -Z: the user to become once the capture is open */
    uint64_t count;           /* -c: stop after this many records; 0 for no limit */
    const char *filter;       /* -f, or the filter words; NULL for none */
    char *filter_storage;     /* owns the joined words, when they are the filter */
    output_format format;
    bool quiet;               /* -q: summaries and the fleet only */
    bool verbose;             /* -v: every finding in full, ping RTTs too */
    fail_threshold fail_on;
    uint16_t community_id_seed; /* --community-id-seed (0 by default, as the spec's) */
    const char *metrics_listen; /* --metrics ADDR:PORT (live, built with libmicrohttpd) */
    unsigned metrics_clients;   /* --metrics-clients: client ids with a label of their own */
    size_t max_clients;         /* --max-clients: rows of the per-client view */
    size_t client_rows;         /* --client-rows: of them in the text table */
    time_format time_format;  /* --time-format */
    const char *write_flagged; /* --write-flagged FILE */
    /* Live capture, as tcpdump takes them. */
    bool promiscuous;         /* true unless -p */
    uint32_t snaplen;         /* -s, 1..OPTIONS_SNAPLEN_MAX */
    uint64_t buffer_bytes;    /* -B (given in KiB); 0: the default */
    uint64_t ring_file_bytes; /* -C: a new -w file past this size; 0: never */
    uint32_t ring_seconds;    /* -G: a new -w file every this many seconds; 0: never */
    uint32_t ring_files;      /* -W: files in the ring (-C), or files before stopping (-G) */
    const char *report_path;  /* --report: also write the HTML report there */
    const char *tls_keylog_path; /* --tls-keylog: NSS key log to decrypt TLS with */
    size_t report_detail;     /* --report-detail: connections drawn in detail */
    size_t report_rows;       /* --report-rows: connections and clients listed */
    mqttka_config config;     /* mqttka_config_default() plus the tolerance options */
} cli_options;

typedef enum options_result {
    OPTIONS_RUN = 0,    /* *opts is complete: analyse */
    OPTIONS_HELP,       /* --help was given */
    OPTIONS_VERSION,    /* --version was given */
    OPTIONS_LIST_INTERFACES, /* -D was given */
    OPTIONS_USAGE_ERROR /* `err` holds one line saying what is wrong */
} options_result;

/*
 * Parses argv. *opts is written in every case (defaults first); `err` gets a
 * message on OPTIONS_USAGE_ERROR. Free with options_release().
 */
options_result options_parse(int argc, char **argv, cli_options *opts, char *err,
                             size_t err_size);

/* Frees what options_parse allocated. */
void options_release(cli_options *opts);

/* Writes the --help text. */
void options_print_help(FILE *out);

#endif
