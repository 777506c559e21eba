/*
 * output.h - what the outputs share: the state passed to the core as
 * user_data, the capture's counters, and one entry point per format.
 *
 * The outputs translate core events into text, JSON Lines or CSV. Between
 * events the run keeps (analysis.c): the capture's start time (for relative
 * times in the text), each open connection's grouped findings (and for
 * JSON events its uid and Community ID: conn_table.h), the fleet summary's figures (fleet.h), and what
 * --fail-on needs.
 */
#ifndef MQTTKA_CLI_OUTPUT_H
#define MQTTKA_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture_reader.h"
#include "conn_table.h"
#include "fleet.h"
#include "mqttka.h"
#include "line_buffer.h"
#include "options.h"
#include "report_html.h"

typedef struct flagged_writer flagged_writer;

struct metrics;

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

/* The findings at or above --fail-on's level, by kind, for the line that
 * says why the exit status is 1. */
typedef struct fail_tally {
    uint64_t count[MQTTKA_F_COUNT];
    uint64_t first_conn[MQTTKA_F_COUNT];
    uint64_t first_frame[MQTTKA_F_COUNT];
    uint8_t order[MQTTKA_F_COUNT]; /* kinds in the order first seen */
    size_t n_kinds;
} fail_tally;

/* output_state.time_column_from before any column: far enough from every
 * time the column takes (under 10^10 microseconds) that none is less than
 * a second after it, the difference taken modulo 2^64. */
#define OUTPUT_TIME_COLUMN_NONE (UINT64_C(1) << 63)

/* Room for an MQTT packet type's name ("UNSUBSCRIBE", the longest, 11). */
#define OUTPUT_TYPE_NAME_ROOM 16

typedef struct output_state {
    FILE *out;
    output_format format;
    bool quiet;
    bool verbose;            /* -v: every finding in full, pingresp_rtt too */
    fail_threshold fail_on;
    time_format time_format; /* text: how points in time are written */
    bool flush_each_event;
    /* The first record's time: text times count from it. Set before the
     * first segment is pushed. */
    mqttka_time capture_start;
    bool finding_seen;
    mqttka_severity worst_severity; /* valid when finding_seen */
    int write_error;         /* errno of the first failed write to `out`; 0 none */
    bool csv_header_done;
    conn_table conns;        /* the open connections' grouped findings (and ids) */
    conn_ids summary_ids;    /* the ids of the summary being written */
    fleet fleet;
    size_t client_rows;      /* --client-rows: the text client table's rows */
    fail_tally fail;
    struct metrics *metrics; /* live --metrics; NULL otherwise */
    /* Several files: JSON events say which file and record a frame is. */
    const capture_reader *files;
    /* --write-flagged: told of every finding and connection end. */
    flagged_writer *flagged;
    report *report;          /* --report: gets every event too; NULL without */
    /* A text timeline and nothing else fed (no entry kept for every event,
     * no --write-flagged, --report or --metrics): analysis_on_event's short
     * ways apply. Said once by analysis_start, not tested on every event;
     * false (the general way, always right) until then. */
    bool plain_timeline;
    /* The MQTT packet types' names for the text output's lines, measured
     * once: each padded to OUTPUT_TYPE_NAME_ROOM bytes so that a line copies
     * a constant size and moves on by `len` (more than the room: written
     * the long way, as a type beyond the table is). */
    struct {
        char text[OUTPUT_TYPE_NAME_ROOM];
        size_t len;
    } mqtt_type_names[MQTTKA_MQTT_TYPES];
    /* The text output's relative time column ("   12.345678") of the last
     * line written with one, and the microseconds of its whole seconds
     * (OUTPUT_TIME_COLUMN_NONE: none yet): a line within the second after
     * rewrites only the decimals. 16 bytes, so that it is copied as one;
     * the 11 columns are its first. */
    char time_column[16];
    uint64_t time_column_from;
    /* Events are written here, and reach `out` when it fills, after every
     * event when `flush_each_event` (live, or to a terminal: each line as it
     * comes), and at output_flush: stdio locks and copies on every call,
     * and a line is put together from many pieces. Last, so that a caller
     * can zero the state without its 64 KiB of bytes, which output_start
     * makes empty without zeroing them (memset up to OUTPUT_STATE_ZEROED). */
    line_buffer line;
} output_state;

/* The bytes of an output_state to zero before output_start: all but the
 * line buffer. */
#define OUTPUT_STATE_ZEROED offsetof(output_state, line)

/* What the run knows of an event's connection beyond the event. */
typedef struct event_extra {
    conn_entry *conn;        /* NULL when none (out of memory, no connection) */
    bool repeat;             /* a finding whose cause one before it had */
    /* The connection's uid and Community ID: on a summary, and on every
     * event of JSON Lines without -q; NULL otherwise, or when the run has
     * no entry for it. */
    const conn_ids *ids;
} event_extra;

/* Text: one timeline line per event (summaries only with -q); repeats of a
 * finding's cause and pingresp_rtt only with -v. */
void output_text_event(output_state *o, const mqttka_event *ev, const event_extra *x);
/* output_text_event of an MQTT packet event (which needs no extra). */
void output_text_mqtt(output_state *o, const mqttka_event *ev);
/* The per-client view (clients.h): a table sorted by trouble. */
void output_text_clients(output_state *o);
void output_text_fleet(output_state *o);
void output_text_capture(output_state *o, const capture_stats *s);

/* JSON Lines: one object per event, per connection, the fleet and the
 * capture. */
void output_json_event(output_state *o, const mqttka_event *ev, const event_extra *x);
/* One "type":"client" object per client, worst first. */
void output_json_clients(output_state *o);
void output_json_fleet(output_state *o);
void output_json_capture(output_state *o, const capture_stats *s);

/* CSV (RFC 4180): a header, then one line per connection. */
void output_csv_event(output_state *o, const mqttka_event *ev, const event_extra *x);

/* The clients, the fleet summary, then the capture's line or object, in the chosen
 * format: what ends every run. */
void output_run_end(output_state *o, const capture_stats *s);

/* Starts `o` writing to `out` with the options' format, -q, -v and
 * --fail-on (the other members are the caller's). */
void output_start(output_state *o, FILE *out, bool flush_each_event, const cli_options *opts);
/* Frees what the run kept (the connection table, the fleet's clients). */
void output_release(output_state *o);
/* Hands what waits in o->line to o->out; call before ending the run (and
 * before fflush of o->out). */
void output_flush(output_state *o);

/* The wire names of directions: "c2s" / "s2c" (JSON) and "C>S" / "S>C" (text). */
const char *output_dir_json(mqttka_direction d);
const char *output_dir_text(mqttka_direction d);

#endif
