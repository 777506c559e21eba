/*
 * output.h - what the outputs share: the state passed to the core as
 * user_data, the capture's counters, and one entry point per format.
 *
 * The outputs only translate core events into text or JSON Lines; they keep
 * no state between events except the capture's start time (for relative
 * times in the text) and the worst severity seen (for --fail-on).
 */
#ifndef MQTTKA_CLI_OUTPUT_H
#define MQTTKA_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capture_reader.h"
#include "mqttka.h"
#include "line_buffer.h"
#include "options.h"
#include "report_html.h"

typedef struct flagged_writer flagged_writer;

/* What became of the capture's records (also in the JSON "capture" object). */
typedef struct capture_stats {
    const char *link_name;   /* "EN10MB", "EN10MB,LINUX_SLL2"... */
    uint64_t records;        /* read, filtered or not */
    uint64_t matched;        /* passed the BPF filter (all, without one) */
    uint64_t tcp_segments;   /* pushed to the analyzer */
    uint64_t not_tcp;        /* ARP, UDP, ICMP...: not ours */
    uint64_t ip_fragments;   /* only whole datagrams are decoded */
    uint64_t snapped;        /* snaplen cut a header: flow unknown */
    uint64_t payload_cut;    /* TCP segments whose payload the snaplen cut */
    uint64_t malformed;      /* headers that do not add up */
    mqttka_counts counts;    /* the TCP connections: analysed as MQTT, or why not */
    mqttka_time first_ts;    /* MQTTKA_TIME_NONE for an empty capture */
    mqttka_time last_ts;
    bool complete;           /* false when the input was cut short or damaged */
    /* Several files: each one's place in the merged capture (NULL for one). */
    const capture_file_info *files;
    size_t n_files;
    /* Live capture only (`interface` non-NULL): libpcap's counters, when
     * it could give them (have_counters). */
    const char *interface;
    bool have_counters;
    uint64_t received;       /* passed the kernel filter */
    uint64_t dropped;        /* dropped by the kernel: the buffer was full */
    uint64_t if_dropped;     /* dropped by the interface or its driver */
} capture_stats;

typedef struct output_state {
    FILE *out;
    output_format format;
    bool quiet;
    time_format time_format; /* text: how points in time are written */
    /* Events are written here, and reach `out` when it fills, after every
     * event when `flush_each_event` (live, or to a terminal: each line as it
     * comes), and at output_flush: stdio locks and copies on every call,
     * and a line is put together from many pieces. */
    line_buffer line;
    bool flush_each_event;
    /* The first record's time: text times count from it. Set before the
     * first segment is pushed. */
    mqttka_time capture_start;
    bool finding_seen;
    mqttka_severity worst_severity; /* valid when finding_seen */
    int write_error;         /* errno of the first failed write to `out`; 0 none */
    /* Several files: JSON events say which file and record a frame is. */
    const capture_reader *files;
    /* --write-flagged: told of every finding and connection end. */
    flagged_writer *flagged;
    report *report;          /* --report: gets every event too; NULL without */
} output_state;

/* Text: one timeline line per event (summaries only with -q). */
void output_text_event(output_state *o, const mqttka_event *ev);
void output_text_capture(output_state *o, const capture_stats *s);

/* JSON Lines: one object per event, per connection and for the capture. */
void output_json_event(output_state *o, const mqttka_event *ev);
void output_json_capture(output_state *o, const capture_stats *s);

/* Starts `o` writing to `out` (the other members are the caller's). */
void output_start(output_state *o, FILE *out, bool flush_each_event);
/* Hands what waits in o->line to o->out; call before ending the run (and
 * before fflush of o->out). */
void output_flush(output_state *o);

/* The wire names of directions: "c2s" / "s2c" (JSON) and "C>S" / "S>C" (text). */
const char *output_dir_json(mqttka_direction d);
const char *output_dir_text(mqttka_direction d);

#endif
