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
#include "flagged_writer.h"
#include "heap_pages.h"
#include "input_stream.h"
#include "live.h"
#include "mqttka.h"
#include "options.h"
#include "segment_batch.h"
#include "output.h"

static const char *input_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

/* Says what became of each damaged file (one line each). Returns whether
 * every file was read to its end. */
static bool report_damaged_files(const capture_reader *reader)
{
    bool whole = true;
    for (size_t i = 0; i < reader->n_files; i++) {
        const capture_file_info *f = &reader->files[i];
        if (f->status != CAPTURE_TRUNCATED && f->status != CAPTURE_READ_ERROR)
            continue;
        whole = false;
        fprintf(stderr, "mqttka: %s: capture is %s after %llu records (%s)\n",
                input_name(f->path), f->status == CAPTURE_TRUNCATED ? "cut short" : "damaged",
                (unsigned long long)f->records, f->error ? f->error : "?");
    }
    return whole;
}

/* Reads the capture to its end (or its damage) through the analyzer.
 * Returns the exit status. */
static int analyse(const cli_options *opts)
{
    /* Before the reader's and the analyzer's memory: theirs goes in it. */
    heap_pages pages;
    heap_pages_start(&pages);
    char err[CAPTURE_ERROR_MAX];
    capture_reader reader;
    const char *bad_path = NULL;
    if (!capture_reader_open_files(&reader, (const char *const *)opts->read_paths, opts->n_read,
                                   err, sizeof err, &bad_path)) {
        if (bad_path)
            fprintf(stderr, "mqttka: %s: %s\n", input_name(bad_path), err);
        else
            fprintf(stderr, "mqttka: %s\n", err);
        capture_reader_close(&reader);
        return EXIT_TROUBLE;
    }
    if (opts->filter && !capture_reader_set_filter(&reader, opts->filter, err, sizeof err)) {
        fprintf(stderr, "mqttka: bad filter '%s': %s\n", opts->filter, err);
        capture_reader_close(&reader);
        return EXIT_TROUBLE;
    }

    output_state out;
    memset(&out, 0, OUTPUT_STATE_ZEROED);
    /* Line by line to a terminal, as stdout is (see main). */
    output_start(&out, stdout, isatty(STDOUT_FILENO), opts);
    out.files = reader.n_files > 1 ? &reader : NULL;
    flagged_writer *flagged = NULL;
    if (opts->write_flagged) {
        flagged = flagged_writer_open(opts->write_flagged, opts->config.max_flows, err, sizeof err);
        if (!flagged) {
            fprintf(stderr, "mqttka: --write-flagged %s\n", err);
            output_release(&out);
            capture_reader_close(&reader);
            return EXIT_TROUBLE;
        }
        out.flagged = flagged;
    }
    report_file page_file;
    if (!analysis_report_open(opts, &page_file, &out)) {
        flagged_writer_close(&flagged, NULL, err, sizeof err);
        output_release(&out);
        capture_reader_close(&reader);
        return EXIT_TROUBLE;
    }
    mqttka_analyzer *analyzer = analysis_start(opts, &out);
    if (!analyzer) {
        output_release(&out);
        flagged_writer_close(&flagged, NULL, err, sizeof err);
        (void)analysis_report_close(&page_file, &out);
        capture_reader_close(&reader);
        return EXIT_TROUBLE;
    }

    capture_stats stats;
    memset(&stats, 0, sizeof stats);
    capture_status cs;
    capture_record rec;
    segment_batch batch;
    segment_batch_init(&batch, analyzer);
    for (uint32_t records = 0;; records++) {
        if (records % HEAP_PAGES_EVERY == 0)
            heap_pages_follow(&pages);
        bool lent;
        if ((cs = segment_batch_next(&batch, &reader, &rec, &lent, err, sizeof err)) !=
            CAPTURE_RECORD)
            break;
        if (out.capture_start == MQTTKA_TIME_NONE)
            out.capture_start = reader.first_ts;
        if (flagged) {
            /* Each segment pushed alone: the writer files the events of a
             * packet before the next packet comes. */
            mqttka_segment seg;
            bool tcp = analysis_record_segment(rec.linktype, &rec, &stats, &seg);
            flagged_writer_hold(flagged, &rec, tcp ? &seg : NULL);
            if (tcp)
                (void)mqttka_push(analyzer, &seg); /* NOMEM: a resource_limit finding */
            flagged_writer_after_push(flagged);
        } else {
            segment_batch_add(&batch, rec.linktype, &rec, lent, &stats);
        }
        if (opts->count && stats.matched >= opts->count)
            break;
    }
    segment_batch_free(&batch);
    /* Records dropped by the filter still set the capture's span. */
    if (out.capture_start == MQTTKA_TIME_NONE)
        out.capture_start = reader.first_ts;
    char link_names[128];
    capture_reader_link_names(&reader, link_names, sizeof link_names);
    stats.link_name = link_names;
    stats.records = reader.records;
    stats.first_ts = reader.first_ts;
    stats.last_ts = reader.last_ts;
    stats.files = reader.n_files > 1 ? reader.files : NULL;
    stats.n_files = reader.n_files > 1 ? reader.n_files : 0;
    bool files_whole = true;
    for (size_t i = 0; i < reader.n_files; i++)
        files_whole = files_whole && (reader.files[i].status == CAPTURE_END ||
                                      reader.files[i].status == CAPTURE_RECORD);
    /* RECORD: -c stopped it */
    stats.complete = (cs == CAPTURE_END || cs == CAPTURE_RECORD) && files_whole;

    /* Whatever was read is analysed and reported, damaged input or not. */
    mqttka_finish(analyzer, reader.last_ts != MQTTKA_TIME_NONE ? reader.last_ts : 0);
    mqttka_get_counts(analyzer, &stats.counts);
    mqttka_free(&analyzer);
    output_run_end(&out, &stats);
    int status = EXIT_DONE;
    /* The page names its input: the file, or the first of several. */
    char input[512];
    if (opts->n_read > 1)
        snprintf(input, sizeof input, "%s and %zu more files", input_name(opts->read_paths[0]),
                 opts->n_read - 1);
    else
        snprintf(input, sizeof input, "%s", input_name(opts->read_paths[0]));
    report_page page = {
        .input = input,
        .stats = &stats,
        .origin = stats.first_ts,
        .now = stats.last_ts,
    };
    if (!analysis_report_write(&page_file, &out, &page))
        status = EXIT_TROUBLE;
    if (!analysis_report_close(&page_file, &out))
        status = EXIT_TROUBLE;

    output_flush(&out);
    output_release(&out);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mqttka: cannot write the output\n");
        status = EXIT_TROUBLE;
    }
    if (flagged) {
        flagged_counts counts;
        if (flagged_writer_close(&flagged, &counts, err, sizeof err)) {
            analysis_flagged_report(opts->write_flagged, &counts);
        } else {
            fprintf(stderr, "mqttka: --write-flagged %s\n", err);
            status = EXIT_TROUBLE;
        }
    }
    if (!report_damaged_files(&reader))
        status = EXIT_TROUBLE;
    else if (cs == CAPTURE_READ_ERROR || cs == CAPTURE_TRUNCATED) {
        /* Not about one file (the files overlap too much to be merged). */
        fprintf(stderr, "mqttka: %s\n", err);
        status = EXIT_TROUBLE;
    }
    capture_reader_close(&reader);
    if (status != EXIT_DONE)
        return status;
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
        input_describe_libraries(err, sizeof err);
        printf("mqttka %s (%s; compressed input: %s)\n", MQTTKA_VERSION, pcap_lib_version(),
               err);
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
         * file or a pipe: the output's line buffer (LINE_BUFFER_SIZE) is
         * the only buffer, one write(2) per 64 KiB instead of one per line
         * (a system call per line costs more than the line). */
        if (opts.interface || isatty(STDOUT_FILENO))
            setvbuf(stdout, NULL, _IOLBF, 0);
        else
            setvbuf(stdout, NULL, _IONBF, 0);
        status = opts.interface ? live_run(&opts) : analyse(&opts);
        break;
    }
    options_release(&opts);
    return status;
}
