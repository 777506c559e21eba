/*
 * report_svg.h - the report's pictures, as inline SVG: a connection's
 * timeline, the strip chart of all connections, the RTT histogram, and the
 * legend. Colours and shapes come from classes that report_html.c's style
 * sheet defines (report_svg_css), so that the page decides how they look on
 * screen and in print.
 */
#ifndef MQTTKA_CLI_REPORT_SVG_H
#define MQTTKA_CLI_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "line_buffer.h"
#include "report_model.h"

/* How a verdict is shown: its colour, whether it is hatched (the verdicts
 * that tell of a keepalive failure, so that they stand out printed in grey
 * too), and what it means in a few words. */
typedef struct report_verdict_style {
    const char *colour;
    bool hatched;
    const char *meaning;
} report_verdict_style;

/* The style of a verdict (a neutral one for a verdict newer than this file). */
const report_verdict_style *report_verdict_style_of(unsigned verdict);

/* The CSS rules of the pictures' classes (verdict colours included). */
void report_svg_css(line_buffer *b);

/* The patterns the pictures refer to (url(#hatch)): once, first in <body>. */
void report_svg_defs(line_buffer *b);

/* What one timeline shows. */
typedef struct report_timeline {
    const report_conn *conn;
    const report_item *items;   /* report_conn_items order */
    size_t n_items;
    mqttka_time origin;         /* labels count seconds from it */
    mqttka_time from, to;       /* the time window drawn */
    mqttka_time view_end;       /* where an open connection's story stops */
    const char *label;          /* aria-label, e.g. "Timeline of connection #3" */
} report_timeline;

/* One connection's timeline. */
void report_svg_timeline(line_buffer *b, const report_timeline *t);

/* The window a connection's whole timeline shows. */
void report_timeline_window(const report_conn *c, const report_item *items, size_t n,
                            mqttka_time view_end, mqttka_time *from, mqttka_time *to);

/* The legend of the timelines' marks. */
void report_svg_legend(line_buffer *b);

/* One lane per connection, conns[0..n) in order of start, on the axis
 * [from, to]; each lane links to `#c<id>` when detailed[i], else to its
 * table row. */
void report_svg_lanes(line_buffer *b, report_conn *const *conns, const bool *detailed, size_t n,
                      mqttka_time origin, mqttka_time from, mqttka_time to, mqttka_time view_end);

/* Every connection, counted per time bin: open (stacked by verdict), and
 * opened above / closed below a line. `extra` adds connections not yet in
 * the model's bins (a snapshot's open ones), with verdict open. */
void report_svg_strip(line_buffer *b, const report_model *m, report_conn *const *extra,
                      size_t n_extra, mqttka_time origin, mqttka_time view_end);

/* The RTT histogram of every ping pair. */
void report_svg_rtt(line_buffer *b, const report_model *m);

#endif
