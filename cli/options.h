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

typedef struct cli_options {
    const char *read_path;    /* -r: a file, or "-" for standard input */
    const char *interface;    /* -i: live capture from this interface */
    const char *write_path;   /* -w: also save what the live capture read */
    const char *drop_user;    /* -Z: the user to become once the capture is open */
    uint64_t count;           /* -c: stop after this many records; 0 for no limit */
    const char *filter;       /* -f, or the words after the options; NULL for none */
    char *filter_storage;     /* owns the joined words, when they are the filter */
    output_format format;
    bool quiet;               /* -q: summaries and the fleet only */
    bool verbose;             /* -v: every finding in full, ping RTTs too */
    fail_threshold fail_on;
    uint16_t community_id_seed; /* --community-id-seed (0 by default, as the spec's) */
    const char *metrics_listen; /* --metrics ADDR:PORT (live, built with libmicrohttpd) */
    unsigned metrics_clients;   /* --metrics-clients: client ids with a label of their own */
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
