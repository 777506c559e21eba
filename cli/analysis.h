/*
 * analysis.h - what reading a file and capturing live share: records into
 * the core, the core's events out to the chosen output, the exit status.
 */
#ifndef MQTTKA_CLI_ANALYSIS_H
#define MQTTKA_CLI_ANALYSIS_H

#include <stdbool.h>

#include "capture_reader.h"
#include "flagged_writer.h"
#include "mqttka.h"
#include "options.h"
#include "output.h"

enum {
    EXIT_DONE = 0,
    EXIT_FINDINGS = 1, /* --fail-on threshold reached */
    EXIT_TROUBLE = 2,  /* usage, input, interface */
};

/* The mqttka_event_fn (user_data: the output_state): notes the worst
 * severity and what --fail-on must name, keeps the connection's entry
 * (ids, grouped findings) and the fleet's figures up to date, feeds the
 * metrics, prints the event, and notes the first failed write. Once the
 * output has failed, nothing more is written to it. */
void analysis_on_event(void *user_data, const mqttka_event *ev);

/* Counts what became of one record; true when it is a TCP segment, then
 * in *seg with the record's time and number (the payload is borrowed). */
bool analysis_record_segment(int linktype, const capture_record *rec, capture_stats *stats,
                             mqttka_segment *seg);

/* Is the exit status 1 because of --fail-on? */
bool analysis_fail_threshold_reached(const cli_options *opts, const output_state *o);

/* One line to `err` naming the findings that reached --fail-on's level:
 * "mqttka: --fail-on warn: 3 findings: kind x2 (first #1 frame 14), ..." */
void analysis_report_fail(const cli_options *opts, const output_state *o, FILE *err);

/* --report: the page's file. It is created when the run starts (so that a
 * path that cannot be written is told before the capture is read), and each
 * page replaces it whole: written beside it (FILE.partial), then renamed
 * over it, so that a browser opening it during a live capture never sees
 * half a page. A pipe or a device (-, /dev/stdout) is written in place. */
typedef struct report_file {
    const char *path;
    FILE *direct;           /* not a regular file: written as it is */
} report_file;

/* Creates opts->report_path and starts the report in o->report. Prints one
 * line and returns false on failure. Without --report, does nothing and
 * returns true. */
bool analysis_report_open(const cli_options *opts, report_file *rf, output_state *o);

/* Writes the page. Prints one line and returns false on failure. */
bool analysis_report_write(report_file *rf, output_state *o, const report_page *page);

/* Frees the report (and closes a direct file). Prints one line and returns
 * false when closing failed. */
bool analysis_report_close(report_file *rf, output_state *o);

/* Starts the analyzer with the options' config and `out` as user_data.
 * Prints one line and returns NULL on failure. */
mqttka_analyzer *analysis_start(const cli_options *opts, output_state *out);

/* --write-flagged's closing line on standard error: what FILE holds. */
void analysis_flagged_report(const char *path, const flagged_counts *counts);

#endif
