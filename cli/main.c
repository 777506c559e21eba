/*
 * main.c - mqttka: read a capture, push its TCP segments through the core,
 * print what the core reports.
 *
 * Exit status: 0 done; 1 a finding at or above --fail-on was reported;
 * 2 bad usage, or input that could not be read to its end (then everything
 * read before the damage is still analysed and reported first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "capture_reader.h"
#include "live.h"
#include "mqttka.h"
#include "options.h"
#include "segment_batch.h"
#include "output.h"

static const char *input_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

/* Reads the capture to its end (or its damage) through the analyzer.
 * Returns the exit status. */
static int analyse(const cli_options *opts)
{
    const char *name = input_name(opts->read_path);
    char err[CAPTURE_ERROR_MAX];
    capture_reader reader;
    if (!capture_reader_open_file(&reader, opts->read_path, err, sizeof err)) {
        fprintf(stderr, "mqttka: %s: %s\n", name, err);
        return EXIT_TROUBLE;
    }
    if (!mqttka_link_name((uint32_t)reader.linktype)) {
        const char *link = pcap_datalink_val_to_name(reader.linktype);
        fprintf(stderr, "mqttka: %s: link type %d (%s) is not supported\n", name,
                reader.linktype, link ? link : "unknown");
        capture_reader_close(&reader);
        return EXIT_TROUBLE;
    }
    if (opts->filter && !capture_reader_set_filter(&reader, opts->filter, err, sizeof err)) {
        fprintf(stderr, "mqttka: bad filter '%s': %s\n", opts->filter, err);
        capture_reader_close(&reader);
        return EXIT_TROUBLE;
    }

    output_state out;
    memset(&out, 0, sizeof out);
    /* Line by line to a terminal, as stdout is (see main). */
    output_start(&out, stdout, isatty(STDOUT_FILENO), opts);
    mqttka_analyzer *analyzer = analysis_start(opts, &out);
    if (!analyzer) {
        output_release(&out);
        capture_reader_close(&reader);
        return EXIT_TROUBLE;
    }

    capture_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.link_name = mqttka_link_name((uint32_t)reader.linktype);
    capture_status cs;
    capture_record rec;
    segment_batch batch;
    segment_batch_init(&batch, analyzer);
    while ((cs = capture_reader_next(&reader, &rec, err, sizeof err)) == CAPTURE_RECORD) {
        if (out.capture_start == MQTTKA_TIME_NONE)
            out.capture_start = reader.first_ts;
        segment_batch_add(&batch, reader.linktype, &rec, &stats);
        if (opts->count && stats.matched >= opts->count)
            break;
    }
    segment_batch_free(&batch);
    /* Records dropped by the filter still set the capture's span. */
    if (out.capture_start == MQTTKA_TIME_NONE)
        out.capture_start = reader.first_ts;
    stats.records = reader.records;
    stats.first_ts = reader.first_ts;
    stats.last_ts = reader.last_ts;
    stats.complete = cs == CAPTURE_END || cs == CAPTURE_RECORD; /* RECORD: -c stopped it */

    /* Whatever was read is analysed and reported, damaged input or not. */
    mqttka_finish(analyzer, reader.last_ts != MQTTKA_TIME_NONE ? reader.last_ts : 0);
    mqttka_get_counts(analyzer, &stats.counts);
    mqttka_free(&analyzer);
    output_run_end(&out, &stats);
    capture_reader_close(&reader);

    output_flush(&out);
    output_release(&out);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mqttka: cannot write the output\n");
        return EXIT_TROUBLE;
    }
    if (cs == CAPTURE_TRUNCATED) {
        fprintf(stderr, "mqttka: %s: capture is cut short after %llu records (%s)\n", name,
                (unsigned long long)reader.records, err);
        return EXIT_TROUBLE;
    }
    if (cs == CAPTURE_READ_ERROR) {
        fprintf(stderr, "mqttka: %s: capture is damaged after %llu records (%s)\n", name,
                (unsigned long long)reader.records, err);
        return EXIT_TROUBLE;
    }
    if (analysis_fail_threshold_reached(opts, &out)) {
        analysis_report_fail(opts, &out, stderr);
        return EXIT_FINDINGS;
    }
    return EXIT_DONE;
}

int main(int argc, char **argv)
{
    cli_options opts;
    char err[512];
    int status;
    switch (options_parse(argc, argv, &opts, err, sizeof err)) {
    case OPTIONS_HELP:
        options_print_help(stdout);
        status = EXIT_DONE;
        break;
    case OPTIONS_VERSION:
        printf("mqttka %s (%s)\n", MQTTKA_VERSION, pcap_lib_version());
        status = EXIT_DONE;
        break;
    case OPTIONS_USAGE_ERROR:
        fprintf(stderr, "mqttka: %s (see mqttka --help)\n", err);
        status = EXIT_TROUBLE;
        break;
    case OPTIONS_LIST_INTERFACES:
        status = EXIT_DONE;
        if (!capture_list_interfaces(stdout, err, sizeof err)) {
            fprintf(stderr, "mqttka: %s\n", err);
            status = EXIT_TROUBLE;
        }
        break;
    case OPTIONS_RUN:
    default:
        /* Live, or to a terminal: line by line, so that a pipe (`mqttka -i lo
         * --json | jq`) sees each event as it comes. Reading a file into a
         * file or a pipe: full buffers, one write(2) per 64 KiB instead of
         * one per line (a system call per line costs more than the line). */
        if (opts.interface || isatty(STDOUT_FILENO))
            setvbuf(stdout, NULL, _IOLBF, 0);
        else
            setvbuf(stdout, NULL, _IOFBF, 1 << 16);
        status = opts.interface ? live_run(&opts) : analyse(&opts);
        break;
    }
    options_release(&opts);
    return status;
}
