/*
 * report_html.h - `mqttka --report FILE`: the keepalive story as one HTML
 * page that needs nothing but itself (inline SVG and CSS, no script, no
 * font, image or style fetched: a Content-Security-Policy forbids it too),
 * so that it opens from disk or as a mail attachment in any browser.
 *
 * It draws the core's events, the same ones the text and JSON outputs
 * write (report_event is called from analysis_on_event for every event):
 *   - at a glance: connections by verdict, the worst ones, totals;
 *   - every connection on one time axis, coloured by verdict (one lane per
 *     connection when there are few; for many, how many were open, opened
 *     and closed per time step), so that a broker restart or a reconnect
 *     storm shows;
 *   - the RTT histogram of every ping pair;
 *   - findings by kind; clients (per client id, or per address when the id
 *     is empty); connections, most troubled first, each with an anchor;
 *   - for the most troubled connections (limits.detail), a timeline: the
 *     client's and the server's packets, each PINGREQ -> PINGRESP pair with
 *     its RTT, after every client packet its silence against the KAe and
 *     1.5 x KAe deadlines, unanswered pings, findings in their severity's
 *     colour and shape, capture gaps, the close (who, how, the verdict);
 *     frame numbers and texts on hover (SVG <title>).
 * Elements carry data-* attributes (data-conn, data-verdict, data-kind,
 * data-frame, data-req-frame, ...) so that tests and scripts can find them.
 *
 * What it keeps, and its caps: cli/report_model.h.
 */
#ifndef MQTTKA_CLI_REPORT_HTML_H
#define MQTTKA_CLI_REPORT_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "mqttka.h"
#include "report_model.h"

struct capture_stats;

typedef struct report report;

/* Starts a report. NULL when out of memory. */
report *report_new(const report_limits *limits);

/* Takes one core event (pointers borrowed for the call only). NULL `r`
 * does nothing. */
void report_event(report *r, const mqttka_event *ev);

/* What the page says about the run itself. */
typedef struct report_page {
    const char *input;        /* the file read, or the interface */
    bool live;
    bool snapshot;            /* written on SIGUSR1, the capture still running */
    const struct capture_stats *stats; /* NULL when unknown */
    mqttka_time origin;       /* capture start: times on the page count from it */
    mqttka_time now;          /* the capture's end (or now, live): open
                                 connections are drawn up to it */
} report_page;

/*
 * Writes the page to `out`. What was collected stays (a snapshot can be
 * followed by more events and another page); only the strip chart's bins
 * may widen to reach page->now. Returns false when writing failed (ferror
 * on `out`) or memory ran out.
 */
bool report_write(report *r, FILE *out, const report_page *page);

/* Frees everything; *r is NULL after. */
void report_free(report **r);

/* Its model, for the page's writer and the unit tests. */
const report_model *report_get_model(const report *r);

#endif
