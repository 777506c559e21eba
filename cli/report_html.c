/*
 * report_html.c - the report's page: what it says in words and tables, its
 * style sheet, and where report_svg.c's pictures go.
 *
 * The page is deterministic for a file (no clock is read: the same capture
 * gives the same bytes), valid HTML (a test parses it strictly), and has
 * no script: tables are sorted once, worst first, and linked by anchors
 * (#c<N> a connection's timeline, #row-<N> its row).
 */
#include "report_html.h"

#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "html_out.h"
#include "line_buffer.h"
#include "output.h"
#include "report_svg.h"

/* Connections at most in the one-lane-each chart; more are counted per
 * time step (report_svg_strip). */
#define LANES_MAX 60u
/* The worst connections named at the top of the page. */
#define WORST_NAMED 5u
/* A timeline longer than this many KAe gets a close-up of its end, of
 * CLOSEUP_KAE keepalive periods. */
#define CLOSEUP_AFTER_KAE 40
#define CLOSEUP_KAE 6

struct report {
    report_model model;
};

report *report_new(const report_limits *limits)
{
    report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (!report_model_init(&r->model, limits)) {
        free(r);
        return NULL;
    }
    return r;
}

void report_event(report *r, const mqttka_event *ev)
{
    if (r)
        report_model_event(&r->model, ev);
}

void report_free(report **r)
{
    if (!r || !*r)
        return;
    report_model_release(&(*r)->model);
    free(*r);
    *r = NULL;
}

const report_model *report_get_model(const report *r)
{
    return &r->model;
}

/* ------------------------------------------------------------------------ */
/* Writers                                                                   */

static void put(line_buffer *b, const char *s)
{
    line_buffer_str(b, s);
}

static void put_uint(line_buffer *b, uint64_t v)
{
    line_buffer_uint(b, v);
}

/* "1 connection", "3 connections" */
static void count_of(line_buffer *b, uint64_t n, const char *one, const char *many)
{
    put_uint(b, n);
    line_buffer_char(b, ' ');
    put(b, n == 1 ? one : many);
}

static const char *verdict_name(unsigned v)
{
    const char *name = mqttka_verdict_name((mqttka_verdict)v);
    return name ? name : "unknown";
}

static unsigned verdict_of(const report_conn *c)
{
    return c->closed ? c->verdict : MQTTKA_V_OPEN;
}

static void verdict_chip(line_buffer *b, unsigned v)
{
    put(b, "<span class=\"vchip v-");
    put(b, verdict_name(v));
    put(b, "\"><span class=\"sw");
    if (report_verdict_style_of(v)->hatched)
        put(b, " h");
    put(b, "\"></span>");
    put(b, verdict_name(v));
    put(b, "</span>");
}

/* Severity with its shape, so that it reads in grey too. */
static void severity_chip(line_buffer *b, unsigned s)
{
    static const char *const text[] = {
        "<span class=\"sev info\">\u25cf info</span>",
        "<span class=\"sev warn\">\u25b2 warn</span>",
        "<span class=\"sev error\">\u25c6 error</span>",
    };
    put(b, text[s <= MQTTKA_ERROR ? s : MQTTKA_ERROR]);
}

static void rel_seconds(line_buffer *b, mqttka_time t, mqttka_time origin, unsigned decimals)
{
    if (t == MQTTKA_TIME_NONE) {
        put(b, "\u2013");
        return;
    }
    html_seconds(b, report_time_sub(t, origin), decimals);
    put(b, " s");
}

static void frame_ref(line_buffer *b, uint64_t frame)
{
    if (frame) {
        put(b, "frame ");
        put_uint(b, frame);
    } else {
        put(b, "end of capture");
    }
}

static void utc(line_buffer *b, mqttka_time t)
{
    char buf[32];
    int64_t seconds = t / 1000000 - (t % 1000000 < 0 ? 1 : 0);
    char *end = format_put_utc_seconds(buf, seconds);
    if (!end) {
        html_seconds(b, t, 6);
        put(b, " s since 1970");
        return;
    }
    buf[10] = ' ';
    *end = '\0';
    put(b, buf);
    put(b, " UTC");
}

static void close_words(line_buffer *b, const report_conn *c, mqttka_time origin)
{
    if (!c->closed || !c->close_mechanism) {
        put(b, c->closed ? "still open at the end of the capture" : "open");
        return;
    }
    static const char *const how[] = {"", "DISCONNECT", "WebSocket Close", "FIN", "RST"};
    const char *mech = c->close_mechanism < 5 ? how[c->close_mechanism]
                                             : mqttka_close_mechanism_name(c->close_mechanism);
    put(b, mech ? mech : "close");
    if (c->close_mechanism == MQTTKA_CLOSE_WS_CLOSE && c->ws_close_code >= 0) {
        line_buffer_char(b, ' ');
        line_buffer_int(b, c->ws_close_code);
    }
    if (c->close_mechanism == MQTTKA_CLOSE_MQTT_DISCONNECT && c->disconnect_reason >= 0) {
        put(b, " 0x");
        line_buffer_hex(b, (uint64_t)c->disconnect_reason, 2);
    }
    const char *who = mqttka_side_name((mqttka_side)c->close_initiator);
    put(b, " by ");
    put(b, who ? who : "?");
    put(b, " at ");
    rel_seconds(b, c->close_ts, origin, 3);
}

/* ------------------------------------------------------------------------ */
/* The style sheet                                                           */

static void style(line_buffer *b)
{
    put(b, "<style>\n"
           ":root{color-scheme:light}\n"
           "*{box-sizing:border-box}\n"
           "html{background:#eef1f5}\n"
           "body{margin:0;color:#1f2933;font:14px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
           "\"Helvetica Neue\",Arial,sans-serif;-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
           ".wrap{max-width:1180px;margin:0 auto;padding:0 24px}\n"
           "header.top{background:#1b2733;color:#f5f7fa;padding:18px 0 16px;border-bottom:4px solid #3b82f6}\n"
           "header.top h1{margin:0;font-size:21px;font-weight:650;letter-spacing:.01em}\n"
           "header.top h1 span{color:#93c5fd;font-weight:500}\n"
           "header.top .sub{margin:4px 0 0;color:#c4cdd6;font-size:13px}\n"
           "nav.toc{margin:14px 0 12px;font-size:13px;color:#52606d}\n"
           "nav.toc a{color:#1d4ed8;text-decoration:none;margin-right:14px}\n"
           ".card{background:#fff;border:1px solid #d9dee5;border-radius:10px;padding:16px 20px 18px;"
           "margin:0 0 16px;box-shadow:0 1px 2px rgba(16,24,40,.05)}\n"
           "h2{font-size:16px;margin:0 0 10px;font-weight:650}\n"
           "h2 small,.note{font-weight:400;color:#616e7c;font-size:13px}\n"
           "h2 small{margin-left:8px}\n"
           ".lead{margin:0 0 12px;font-size:15px}\n"
           ".tiles{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 12px}\n"
           ".tile{flex:0 1 214px;border:1px solid #d9dee5;border-left:8px solid var(--c);"
           "border-radius:8px;padding:7px 12px;text-decoration:none;color:inherit}\n"
           ".tile b{display:block;font-size:24px;line-height:1.15}\n"
           ".tile .vm{display:block;font-size:12px;color:#52606d}\n"
           ".stats{display:flex;flex-wrap:wrap;gap:4px 20px;font-size:13px;color:#3e4c59;margin:2px 0 10px}\n"
           ".stats b{color:#1f2933}\n"
           ".sw{display:inline-block;width:12px;height:12px;border-radius:3px;background:var(--c);"
           "vertical-align:-1px;margin-right:6px;border:1px solid rgba(0,0,0,.25)}\n"
           ".sw.h{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.7) 0 2px,transparent 2px 5px)}\n"
           ".vchip{white-space:nowrap;font:600 12px ui-monospace,\"SFMono-Regular\",\"DejaVu Sans Mono\","
           "Menlo,Consolas,monospace}\n"
           ".sev{display:inline-block;min-width:62px;padding:0 6px;border-radius:10px;font-size:11px;"
           "font-weight:700;text-align:center;border:1px solid;white-space:nowrap}\n"
           ".sev.error{background:#fde8e8;color:#8a1111;border-color:#f0a0a0}\n"
           ".sev.warn{background:#fff3d6;color:#7a4b00;border-color:#f2c266}\n"
           ".sev.info{background:#e8f0fe;color:#1e429f;border-color:#a4c2f4}\n"
           "table{border-collapse:collapse;width:100%;font-size:12.5px}\n"
           "th,td{padding:4px 7px;border-bottom:1px solid #e7ebf0;text-align:left;vertical-align:top}\n"
           "th{background:#f5f7fa;font-weight:600;color:#3e4c59;position:sticky;top:0;z-index:1}\n"
           "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
           "td.t{white-space:nowrap;font-variant-numeric:tabular-nums}\n"
           "tr:target{background:#fff4c2}\n"
           "td code{white-space:nowrap}\n"
           ".ep{font:11px ui-monospace,\"SFMono-Regular\",\"DejaVu Sans Mono\",Menlo,Consolas,monospace;"
           "color:#616e7c;white-space:nowrap}\n"
           "table.conns td{white-space:nowrap}\n"
           "table.conns td:last-child{white-space:normal;min-width:140px}\n"
           "table.conns th{vertical-align:bottom}\n"
           "tbody tr:hover{background:#f7f9fb}\n"
           ".bad{color:#9b1c1c;font-weight:700}\n"
           ".warnc{color:#8a5300;font-weight:700}\n"
           "code,.mono{font-family:ui-monospace,\"SFMono-Regular\",\"DejaVu Sans Mono\",Menlo,Consolas,"
           "monospace;font-size:12px}\n"
           ".scroll{max-height:600px;overflow:auto;border:1px solid #e7ebf0;border-radius:6px}\n"
           ".conn-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 14px}\n"
           ".conn-head h3{margin:0;font-size:16px}\n"
           ".conn-head h3 a{text-decoration:none}\n"
           ".vdetail{margin:6px 0 10px;color:#323f4b;border-left:4px solid var(--c);padding:2px 0 2px 10px}\n"
           "dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr) max-content minmax(0,1fr);"
           "gap:1px 14px;margin:0 0 6px;font-size:13px}\n"
           "dl.facts dt{color:#616e7c}\n"
           "dl.facts dd{margin:0}\n"
           "ol.flist{margin:8px 0 0;padding:0;list-style:none;font-size:13px}\n"
           "ol.flist li{padding:3px 0;border-top:1px dashed #e4e8ee}\n"
           ".fr{color:#616e7c;font-size:12px;white-space:nowrap}\n"
           ".caption{font-size:12px;color:#616e7c;margin:10px 0 2px}\n"
           "ul.plain{margin:6px 0;padding-left:20px}\n");
    put(b, "a{color:#1d4ed8}\n"
           "@media print{html{background:#fff}.card{box-shadow:none;break-inside:avoid}"
           ".scroll{max-height:none;overflow:visible}header.top{background:#fff;color:#000;"
           "border-bottom:2px solid #000}header.top .sub{color:#333}th{position:static}nav.toc{display:none}}\n");
    report_svg_css(b);
    put(b, "</style>\n");
}

/* ------------------------------------------------------------------------ */
/* What the page lists                                                       */

typedef struct page_state {
    line_buffer *b;
    const report_model *m;
    const report_page *p;
    mqttka_time origin;
    mqttka_time view_end;
    report_conn **rows;    /* listed connections, worst first */
    size_t n_rows;
    report_conn **open;    /* a snapshot's open connections */
    size_t n_open;
    bool *detailed;        /* per row */
    size_t n_detailed;
    uint64_t unlisted;
} page_state;

static int by_trouble(const void *x, const void *y)
{
    const report_conn *a = *(report_conn *const *)x, *b = *(report_conn *const *)y;
    return report_conn_worse(a, b) ? -1 : report_conn_worse(b, a) ? 1 : 0;
}

static int by_start(const void *x, const void *y)
{
    const report_conn *a = *(report_conn *const *)x, *b = *(report_conn *const *)y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id ? 1 : 0;
}

static bool has_timeline(const report_conn *c)
{
    return c->n_head || c->n_tail || c->n_findings || c->closed;
}

/* Which connections are listed and which drawn: the model's heaps, and a
 * snapshot's open connections ranked among them. */
static bool select_rows(page_state *s)
{
    const report_model *m = s->m;
    size_t n_open = m->n_open;
    s->open = n_open ? malloc(n_open * sizeof *s->open) : NULL;
    if (n_open && !s->open)
        return false;
    s->n_open = report_model_open(m, s->open, n_open);
    for (size_t i = 0; i < s->n_open; i++) {
        report_conn *c = s->open[i];
        /* So far: pings not (yet) answered. */
        c->unanswered = c->pingreq > c->pingresp ? c->pingreq - c->pingresp : 0;
        c->score = report_conn_score(c);
    }
    size_t n = m->rows.n + s->n_open;
    s->rows = n ? malloc(n * sizeof *s->rows) : NULL;
    s->detailed = n ? calloc(n, sizeof *s->detailed) : NULL;
    if (n && (!s->rows || !s->detailed))
        return false;
    if (m->rows.n)
        memcpy(s->rows, m->rows.a, m->rows.n * sizeof *s->rows);
    if (s->n_open)
        memcpy(s->rows + m->rows.n, s->open, s->n_open * sizeof *s->rows);
    if (n)
        qsort(s->rows, n, sizeof *s->rows, by_trouble);
    s->n_rows = n < m->limits.rows ? n : m->limits.rows;
    s->unlisted = m->unlisted + (n - s->n_rows);
    for (size_t i = 0; i < s->n_rows && s->n_detailed < m->limits.detail; i++) {
        const report_conn *c = s->rows[i];
        bool drawn = c->closed ? c->heap_pos[1] >= 0 : has_timeline(c);
        if (drawn) {
            s->detailed[i] = true;
            s->n_detailed++;
        }
    }
    return true;
}

static bool is_detailed(const page_state *s, const report_conn *c)
{
    for (size_t i = 0; i < s->n_rows; i++)
        if (s->rows[i] == c)
            return s->detailed[i];
    return false;
}

/* ------------------------------------------------------------------------ */
/* Sections                                                                  */

static void head(page_state *s)
{
    line_buffer *b = s->b;
    put(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           /* Nothing may be fetched, whatever a browser would otherwise try. */
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'\">\n"
           "<meta name=\"generator\" content=\"mqttka " MQTTKA_VERSION "\">\n<title>");
    put(b, "MQTT keepalive report: ");
    html_text(b, s->p->input ? s->p->input : "capture");
    put(b, "</title>\n");
    style(b);
    put(b, "</head>\n<body>\n");
    report_svg_defs(b);
}

static void banner(page_state *s)
{
    line_buffer *b = s->b;
    const report_page *p = s->p;
    put(b, "<header class=\"top\"><div class=\"wrap\"><h1>MQTT keepalive report <span>\u00b7 ");
    html_text(b, p->input ? p->input : "capture");
    put(b, "</span></h1><p class=\"sub\">");
    if (p->live)
        put(b, p->snapshot ? "Live capture, snapshot while capturing on " : "Live capture on ");
    else
        put(b, "Capture file ");
    html_text(b, p->input ? p->input : "");
    if (s->origin != MQTTKA_TIME_NONE) {
        put(b, " \u00b7 first record ");
        utc(b, s->origin);
        if (s->view_end != MQTTKA_TIME_NONE && s->view_end >= s->origin) {
            put(b, " \u00b7 ");
            html_duration(b, report_time_sub(s->view_end, s->origin));
        }
    }
    if (p->stats) {
        put(b, " \u00b7 ");
        count_of(b, p->stats->records, "record", "records");
        if (!p->stats->complete)
            put(b, " (the capture is cut short or damaged: what was read is shown)");
    }
    put(b, " \u00b7 times on this page are seconds since the first record \u00b7 mqttka "
           MQTTKA_VERSION "</p></div></header>\n<main class=\"wrap\">\n"
           "<nav class=\"toc\"><a href=\"#glance\">At a glance</a>");
    /* The sections this page has (see report_write). */
    const report_model *m = s->m;
    uint64_t total = s->m->closed + s->n_open;
    bool kinds = false;
    for (size_t k = 0; k < MQTTKA_F_COUNT; k++)
        kinds = kinds || m->kinds[k];
    if (total >= 2)
        put(b, "<a href=\"#time\">Over time</a>");
    if (s->n_detailed)
        put(b, "<a href=\"#details\">Timelines</a>");
    if (total)
        put(b, "<a href=\"#rtt\">Round trips</a>");
    if (kinds)
        put(b, "<a href=\"#kinds\">Findings</a>");
    if (m->n_clients || m->other.connections)
        put(b, "<a href=\"#clients\">Clients</a>");
    if (total)
        put(b, "<a href=\"#connections\">Connections</a>");
    put(b, "<a href=\"#about\">About</a></nav>\n");
}

static uint64_t connections_total(const page_state *s)
{
    return s->m->closed + s->n_open;
}

static void glance(page_state *s)
{
    line_buffer *b = s->b;
    const report_model *m = s->m;
    uint64_t total = connections_total(s);
    put(b, "<section class=\"card\" id=\"glance\"><h2>At a glance</h2>\n<p class=\"lead\">");
    if (!total) {
        put(b, "No MQTT connection was found in this capture (mqttka finds MQTT over TCP and "
               "over WebSocket on any port).</p></section>\n");
        return;
    }
    uint64_t troubled = 0;
    for (unsigned v = 0; v < MQTTKA_V_COUNT; v++)
        if (report_verdict_style_of(v)->hatched)
            troubled += m->verdicts[v];
    count_of(b, total, "connection", "connections");
    put(b, " from ");
    if (m->other.connections)
        put(b, "more than ");
    count_of(b, m->n_clients, "client", "clients");
    put(b, ". ");
    if (troubled) {
        put(b, "<b class=\"bad\">");
        count_of(b, troubled, "connection", "connections");
        put(b, troubled == 1 ? " ended" : " ended");
        put(b, " on a keepalive failure</b> (hatched verdicts).");
    } else {
        put(b, "None ended on a keepalive failure.");
    }
    if (m->unanswered) {
        put(b, " ");
        count_of(b, m->unanswered, "PINGREQ", "PINGREQs");
        put(b, " got no PINGRESP.");
    }
    put(b, "</p>\n<div class=\"tiles\">");
    unsigned order[MQTTKA_V_COUNT];
    size_t n_order = 0;
    for (unsigned rank = 16; rank-- > 0;)
        for (unsigned v = 0; v < MQTTKA_V_COUNT; v++)
            if (report_verdict_rank(v, -1) == rank)
                order[n_order++] = v;
    for (size_t k = 0; k < n_order; k++) {
        unsigned v = order[k];
        uint64_t n = m->verdicts[v] + (v == MQTTKA_V_OPEN ? s->n_open : 0);
        if (!n)
            continue;
        put(b, "<div class=\"tile v-");
        put(b, verdict_name(v));
        put(b, "\" data-verdict=\"");
        put(b, verdict_name(v));
        put(b, "\"><b>");
        put_uint(b, n);
        put(b, "</b>");
        verdict_chip(b, v);
        put(b, "<span class=\"vm\">");
        put(b, report_verdict_style_of(v)->meaning);
        put(b, "</span></div>");
    }
    put(b, "</div>\n<div class=\"stats\">");
    put(b, "<span>PINGREQ <b>");
    put_uint(b, m->pingreq);
    put(b, "</b></span><span>PINGRESP <b>");
    put_uint(b, m->pingresp);
    put(b, "</b></span><span>unanswered <b");
    put(b, m->unanswered ? " class=\"bad\">" : ">");
    put_uint(b, m->unanswered);
    put(b, "</b></span>");
    if (m->rtt_pairs) {
        put(b, "<span>RTT <b>");
        html_duration(b, m->rtt_min);
        put(b, "</b> to <b>");
        html_duration(b, m->rtt_max);
        put(b, "</b></span>");
    }
    put(b, "<span>findings: ");
    for (int sev = MQTTKA_ERROR; sev >= MQTTKA_INFO; sev--) {
        severity_chip(b, (unsigned)sev);
        put(b, " <b>");
        put_uint(b, m->severities[sev]);
        put(b, "</b> ");
    }
    put(b, "</span></div>\n");
    /* The worst few, by name (one connection's timeline follows at once). */
    size_t named = 0;
    for (size_t i = 0; total > 1 && i < s->n_rows && named < WORST_NAMED; i++) {
        const report_conn *c = s->rows[i];
        if (report_verdict_rank(verdict_of(c), c->disconnect_reason) < 4 &&
            !c->severity_count[MQTTKA_WARN] && !c->severity_count[MQTTKA_ERROR])
            break;
        if (!named)
            put(b, "<p class=\"note\">Most troubled first:</p><ol class=\"plain\">");
        put(b, "<li><a href=\"#");
        put(b, s->detailed[i] ? "c" : "row-");
        put_uint(b, c->id);
        put(b, "\">#");
        put_uint(b, c->id);
        put(b, "</a> ");
        if (c->client_id[0]) {
            put(b, "<code>");
            html_text(b, c->client_id);
            put(b, "</code> ");
        }
        verdict_chip(b, verdict_of(c));
        if (c->verdict_detail) {
            put(b, " \u2014 ");
            html_text(b, c->verdict_detail);
        }
        put(b, "</li>");
        named++;
    }
    if (named)
        put(b, "</ol>\n");
    put(b, "</section>\n");
}

static void over_time(page_state *s)
{
    line_buffer *b = s->b;
    const report_model *m = s->m;
    uint64_t total = connections_total(s);
    if (total < 2)
        return; /* one connection: its timeline says it all */
    put(b, "<section class=\"card\" id=\"time\"><h2>All connections over time");
    if (total <= LANES_MAX && s->n_rows == total) {
        put(b, "<small>one lane per connection, coloured by verdict; click a lane for its "
               "timeline</small></h2>\n");
        report_conn **by = malloc(s->n_rows * sizeof *by);
        bool *det = malloc(s->n_rows * sizeof *det);
        if (by && det) {
            memcpy(by, s->rows, s->n_rows * sizeof *by);
            qsort(by, s->n_rows, sizeof *by, by_start);
            mqttka_time from = s->origin, to = s->view_end;
            for (size_t i = 0; i < s->n_rows; i++) {
                det[i] = is_detailed(s, by[i]);
                if (from == MQTTKA_TIME_NONE || by[i]->start < from)
                    from = by[i]->start;
                mqttka_time end = by[i]->closed ? by[i]->end : s->view_end;
                if (to == MQTTKA_TIME_NONE || (end != MQTTKA_TIME_NONE && end > to))
                    to = end;
            }
            report_svg_lanes(b, by, det, s->n_rows, s->origin, from, to, s->view_end);
        }
        free(by);
        free(det);
    } else {
        put(b, "<small>");
        count_of(b, total, "connection", "connections");
        put(b, " counted per time step: a broker restart shows as a cliff of closes, a "
               "reconnect storm as a band of opens and closes</small></h2>\n");
        report_svg_strip(b, m, s->open, s->n_open, s->origin, s->view_end);
    }
    /* The colours in words, worst first (in the strip chart: from the axis up). */
    put(b, "<p class=\"note\">");
    if (!(total <= LANES_MAX && s->n_rows == total))
        put(b, "From the axis out: ");
    unsigned order[MQTTKA_V_COUNT];
    size_t n_order = 0;
    for (unsigned rank = 16; rank-- > 0;)
        for (unsigned v = 0; v < MQTTKA_V_COUNT; v++)
            if (report_verdict_rank(v, -1) == rank)
                order[n_order++] = v;
    for (size_t k = 0; k < n_order; k++) {
        unsigned v = order[k];
        uint64_t n = m->verdicts[v] + (v == MQTTKA_V_OPEN ? s->n_open : 0);
        if (!n)
            continue;
        verdict_chip(b, v);
        put(b, " ");
        put_uint(b, n);
        put(b, " \u00a0 ");
    }
    put(b, "</p></section>\n");
}

static void round_trips(page_state *s)
{
    line_buffer *b = s->b;
    const report_model *m = s->m;
    if (!connections_total(s))
        return;
    put(b, "<section class=\"card\" id=\"rtt\"><h2>Ping round trips<small>PINGREQ to PINGRESP, "
           "every pair of every connection</small></h2>\n");
    if (!m->rtt_pairs) {
        put(b, "<p class=\"note\">No PINGREQ was answered in this capture.</p></section>\n");
        return;
    }
    put(b, "<p class=\"note\">");
    count_of(b, m->rtt_pairs, "pair", "pairs");
    put(b, ", from ");
    html_duration(b, m->rtt_min);
    put(b, " to ");
    html_duration(b, m->rtt_max);
    put(b, ".</p>\n");
    report_svg_rtt(b, m);
    put(b, "</section>\n");
}

static void kinds(page_state *s)
{
    line_buffer *b = s->b;
    const report_model *m = s->m;
    bool any = false;
    for (size_t k = 0; k < MQTTKA_F_COUNT; k++)
        any = any || m->kinds[k];
    if (!any)
        return;
    put(b, "<section class=\"card\" id=\"kinds\"><h2>Findings by kind<small>the rules are in "
           "docs/FINDINGS.md</small></h2>\n<table><thead><tr><th>severity</th><th>kind</th>"
           "<th class=\"n\">count</th></tr></thead><tbody>\n");
    for (int sev = MQTTKA_ERROR; sev >= MQTTKA_INFO; sev--)
        for (size_t k = 0; k < MQTTKA_F_COUNT; k++) {
            if (!m->kinds[k] || (int)mqttka_finding_severity((mqttka_finding_kind)k) != sev)
                continue;
            put(b, "<tr data-kind=\"");
            put(b, mqttka_finding_name((mqttka_finding_kind)k));
            put(b, "\"><td>");
            severity_chip(b, (unsigned)sev);
            put(b, "</td><td><code>");
            put(b, mqttka_finding_name((mqttka_finding_kind)k));
            put(b, "</code></td><td class=\"n\">");
            put_uint(b, m->kinds[k]);
            put(b, "</td></tr>\n");
        }
    put(b, "</tbody></table>\n<p class=\"note\">pingreq_unanswered is counted under error; it is "
           "a warning when a later PINGREQ overtook it.</p></section>\n");
}

static int clients_by_trouble(const void *x, const void *y)
{
    const report_client *a = *(const report_client *const *)x;
    const report_client *b = *(const report_client *const *)y;
    if (a->worst_score != b->worst_score)
        return a->worst_score > b->worst_score ? -1 : 1;
    if (a->connections != b->connections)
        return a->connections > b->connections ? -1 : 1;
    return strcmp(a->key, b->key);
}

static void client_row(page_state *s, const report_client *e, bool other)
{
    line_buffer *b = s->b;
    put(b, "<tr");
    if (!other) {
        put(b, " data-client=\"");
        html_text(b, e->key);
        put(b, "\"");
    }
    put(b, "><td>");
    if (other) {
        put(b, "<i>other clients, past the table's cap</i>");
    } else if (e->by_address) {
        put(b, "<i>no client id</i>, from ");
        html_text(b, e->key);
    } else {
        put(b, "<code>");
        html_text(b, e->key);
        put(b, "</code>");
    }
    put(b, "</td><td class=\"n\">");
    put_uint(b, e->connections);
    put(b, "</td><td class=\"n\">");
    put_uint(b, e->open);
    put(b, "</td><td>");
    bool first = true;
    for (unsigned v = 0; v < MQTTKA_V_COUNT; v++)
        if (e->verdicts[v]) {
            if (!first)
                put(b, "<br>");
            put_uint(b, e->verdicts[v]);
            put(b, " \u00d7 ");
            verdict_chip(b, v);
            first = false;
        }
    put(b, "</td><td class=\"n");
    put(b, e->unanswered ? " bad\">" : "\">");
    put_uint(b, e->unanswered);
    put(b, "</td><td class=\"n\">");
    if (e->error) {
        put(b, "<span class=\"bad\">");
        put_uint(b, e->error);
        put(b, " error</span> ");
    }
    if (e->warn) {
        put(b, "<span class=\"warnc\">");
        put_uint(b, e->warn);
        put(b, " warn</span>");
    }
    put(b, "</td><td class=\"t\">");
    rel_seconds(b, e->first, s->origin, 3);
    if (e->last != e->first) {
        put(b, " to ");
        rel_seconds(b, e->last, s->origin, 3);
    }
    put(b, "</td><td>");
    if (e->worst_conn) {
        put(b, "<a href=\"#row-");
        put_uint(b, e->worst_conn);
        put(b, "\">#");
        put_uint(b, e->worst_conn);
        put(b, "</a>");
    }
    put(b, "</td></tr>\n");
}

static void clients(page_state *s)
{
    line_buffer *b = s->b;
    const report_model *m = s->m;
    if (!m->n_clients && !m->other.connections)
        return;
    put(b, "<section class=\"card\" id=\"clients\"><h2>Clients<small>by client id (by address "
           "when the id is empty or unknown), most troubled first</small></h2>\n<div class=\"scroll\"><table><thead><tr><th>client</th>"
           "<th class=\"n\">connections</th><th class=\"n\">open</th><th>verdicts</th>"
           "<th class=\"n\">unanswered</th><th class=\"n\">findings</th><th>started</th>"
           "<th>worst</th></tr></thead><tbody>\n");
    const report_client **sorted = malloc((m->n_clients ? m->n_clients : 1) * sizeof *sorted);
    if (sorted) {
        for (size_t i = 0; i < m->n_clients; i++)
            sorted[i] = &m->clients[i];
        qsort(sorted, m->n_clients, sizeof *sorted, clients_by_trouble);
        for (size_t i = 0; i < m->n_clients; i++)
            client_row(s, sorted[i], false);
        free(sorted);
    }
    if (m->other.connections)
        client_row(s, &m->other, true);
    put(b, "</tbody></table></div>\n");
    if (m->other.connections) {
        put(b, "<p class=\"note\">The table holds the first ");
        put_uint(b, m->limits.rows);
        put(b, " clients seen (--report-rows); the connections of later ones are counted in "
               "the last row.</p>");
    }
    put(b, "</section>\n");
}

static void connection_row(page_state *s, size_t i)
{
    line_buffer *b = s->b;
    const report_conn *c = s->rows[i];
    unsigned v = verdict_of(c);
    put(b, "<tr id=\"row-");
    put_uint(b, c->id);
    put(b, "\" data-conn=\"");
    put_uint(b, c->id);
    put(b, "\" data-verdict=\"");
    put(b, verdict_name(v));
    put(b, "\" data-pingreq=\"");
    put_uint(b, c->pingreq);
    put(b, "\" data-pingresp=\"");
    put_uint(b, c->pingresp);
    put(b, "\" data-unanswered=\"");
    put_uint(b, c->unanswered);
    put(b, "\"><td class=\"n\">");
    if (s->detailed[i]) {
        put(b, "<a href=\"#c");
        put_uint(b, c->id);
        put(b, "\">#");
        put_uint(b, c->id);
        put(b, "</a>");
    } else {
        line_buffer_char(b, '#');
        put_uint(b, c->id);
    }
    put(b, "</td><td>");
    verdict_chip(b, v);
    put(b, "</td><td>");
    if (c->client_id[0]) {
        put(b, "<code>");
        html_text(b, c->client_id);
        put(b, "</code><br>");
    }
    put(b, "<span class=\"ep\">");
    html_endpoint(b, &c->client);
    put(b, " \u2192 ");
    html_endpoint(b, &c->server);
    put(b, c->transport == MQTTKA_TRANSPORT_WEBSOCKET ? " \u00b7 ws" : " \u00b7 tcp");
    const char *version = mqttka_mqtt_version_name(c->mqtt_level);
    if (version) {
        line_buffer_char(b, ' ');
        put(b, version);
    }
    put(b, "</span></td><td class=\"n\">");
    if (c->effective_keepalive >= 0) {
        line_buffer_int(b, c->effective_keepalive);
        put(b, " s");
    }
    put(b, "</td><td class=\"n\">");
    rel_seconds(b, c->start, s->origin, 3);
    put(b, "</td><td class=\"n\">");
    mqttka_time end = c->closed ? c->end : s->view_end;
    if (end != MQTTKA_TIME_NONE && c->start != MQTTKA_TIME_NONE)
        html_duration(b, report_time_sub(end, c->start));
    put(b, "</td><td class=\"n\">");
    put_uint(b, c->pingreq);
    put(b, " / ");
    put_uint(b, c->pingresp);
    if (c->unanswered) {
        put(b, " / <span class=\"bad\">");
        put_uint(b, c->unanswered);
        put(b, "</span>");
    }
    put(b, "</td><td class=\"n\">");
    if (c->closed && c->rtt_count)
        html_duration(b, c->rtt_median);
    put(b, "</td><td class=\"n\">");
    if (c->closed && c->max_client_silence != MQTTKA_TIME_NONE) {
        html_duration(b, c->max_client_silence);
        if (c->effective_keepalive > 0) {
            put(b, " (");
            line_buffer_scaled(b, c->max_client_silence / c->effective_keepalive / 10000, 2, 2);
            put(b, ")");
        }
    }
    put(b, "</td><td class=\"n\">");
    if (c->severity_count[MQTTKA_ERROR]) {
        put(b, "<span class=\"bad\">");
        put_uint(b, c->severity_count[MQTTKA_ERROR]);
        put(b, " error</span> ");
    }
    if (c->severity_count[MQTTKA_WARN]) {
        put(b, "<span class=\"warnc\">");
        put_uint(b, c->severity_count[MQTTKA_WARN]);
        put(b, " warn</span>");
    }
    put(b, "</td><td>");
    close_words(b, c, s->origin);
    put(b, "</td></tr>\n");
}

static void connections(page_state *s)
{
    line_buffer *b = s->b;
    if (!connections_total(s))
        return;
    put(b, "<section class=\"card\" id=\"connections\"><h2>Connections<small>most troubled "
           "first: worst finding, then verdict, then warnings and unanswered pings");
    if (s->n_detailed) {
        put(b, "; a linked number has a timeline below");
    }
    put(b, "</small></h2>\n<div class=\"scroll\"><table class=\"conns\"><thead><tr>"
           "<th class=\"n\">#</th><th>verdict</th><th>client id<br>client \u2192 server</th>"
           "<th class=\"n\">KAe</th><th class=\"n\">start</th><th class=\"n\">lasted</th>"
           "<th class=\"n\">PINGREQ / RESP<br>/ <span class=\"bad\">unanswered</span></th>"
           "<th class=\"n\">RTT<br>median</th><th class=\"n\">longest silence<br>"
           "(\u00d7 KAe)</th><th class=\"n\">findings</th><th>close</th></tr></thead>"
           "<tbody>\n");
    for (size_t i = 0; i < s->n_rows; i++)
        connection_row(s, i);
    put(b, "</tbody></table></div>\n");
    if (s->unlisted) {
        put(b, "<p class=\"note\">");
        count_of(b, s->unlisted, "more connection is", "more connections are");
        put(b, " counted above but not listed: the table keeps the ");
        put_uint(b, s->m->limits.rows);
        put(b, " most troubled (--report-rows).</p>");
    }
    put(b, "</section>\n");
}

static void facts(page_state *s, const report_conn *c)
{
    line_buffer *b = s->b;
    put(b, "<dl class=\"facts\"><dt>client \u2192 server</dt><dd class=\"mono\">");
    html_endpoint(b, &c->client);
    put(b, " \u2192 ");
    html_endpoint(b, &c->server);
    put(b, "</dd><dt>transport</dt><dd>");
    if (c->transport == MQTTKA_TRANSPORT_WEBSOCKET) {
        put(b, "WebSocket");
        if (c->ws_subprotocol[0]) {
            put(b, ", subprotocol <code>");
            html_text(b, c->ws_subprotocol);
            put(b, "</code>");
        }
    } else {
        put(b, "TCP");
    }
    put(b, "</dd><dt>MQTT</dt><dd>");
    const char *version = mqttka_mqtt_version_name(c->mqtt_level);
    put(b, version ? version : "version unknown");
    if (c->client_id[0]) {
        put(b, ", client id <code>");
        html_text(b, c->client_id);
        put(b, "</code>");
    }
    put(b, "</dd><dt>keepalive</dt><dd>");
    if (c->keepalive >= 0) {
        put(b, "KA ");
        line_buffer_int(b, c->keepalive);
        put(b, " s");
    } else {
        put(b, "KA unknown");
    }
    if (c->server_keepalive >= 0) {
        put(b, ", server keepalive ");
        line_buffer_int(b, c->server_keepalive);
        put(b, " s");
    }
    if (c->effective_keepalive > 0) {
        put(b, ", KAe ");
        line_buffer_int(b, c->effective_keepalive);
        put(b, " s: the server must close after ");
        line_buffer_scaled(b, (int64_t)c->effective_keepalive * 15, 1, 1);
        put(b, " s of client silence");
    } else if (c->effective_keepalive == 0) {
        put(b, ", KAe 0: keepalive disabled");
    }
    put(b, "</dd><dt>pings</dt><dd>");
    count_of(b, c->pingreq, "PINGREQ", "PINGREQs");
    put(b, ", ");
    count_of(b, c->pingresp, "PINGRESP", "PINGRESPs");
    put(b, ", ");
    if (c->unanswered)
        put(b, "<b class=\"bad\">");
    put_uint(b, c->unanswered);
    put(b, c->closed ? " unanswered" : " unanswered so far");
    if (c->unanswered)
        put(b, "</b>");
    if (c->closed && c->rtt_count) {
        put(b, "; RTT min ");
        html_duration(b, c->rtt_min);
        put(b, ", median ");
        html_duration(b, c->rtt_median);
        put(b, ", p95 ");
        html_duration(b, c->rtt_p95);
        put(b, ", max ");
        html_duration(b, c->rtt_max);
    }
    put(b, "</dd>");
    if (c->closed && c->max_client_silence != MQTTKA_TIME_NONE) {
        put(b, "<dt>longest client silence</dt><dd>");
        html_duration(b, c->max_client_silence);
        if (c->effective_keepalive > 0) {
            put(b, " (");
            line_buffer_scaled(b, c->max_client_silence / c->effective_keepalive / 10000, 2, 2);
            put(b, " \u00d7 KAe)");
        }
        put(b, "</dd>");
    }
    put(b, "<dt>time</dt><dd>");
    rel_seconds(b, c->start, s->origin, 3);
    put(b, " to ");
    rel_seconds(b, c->closed ? c->end : s->view_end, s->origin, 3);
    if (c->first_frame) {
        put(b, ", frames ");
        put_uint(b, c->first_frame);
        if (c->last_frame) {
            put(b, " to ");
            put_uint(b, c->last_frame);
        }
    }
    if (!c->start_seen)
        put(b, "; the capture joined it after its start");
    put(b, "</dd><dt>close</dt><dd>");
    close_words(b, c, s->origin);
    if (c->closed && c->close_frame) {
        put(b, " (");
        frame_ref(b, c->close_frame);
        put(b, ")");
    }
    put(b, "</dd>");
    if (c->items_dropped || c->detail_starved || c->findings_dropped) {
        put(b, "<dt>not drawn</dt><dd>");
        if (c->items_dropped) {
            count_of(b, c->items_dropped, "packet", "packets");
            put(b, c->detail_starved ? " (the report's memory budget was spent)"
                                     : " in the middle of the connection (the report keeps its "
                                       "first and last packets)");
        }
        if (c->findings_dropped) {
            put(b, c->items_dropped ? "; " : "");
            count_of(b, c->findings_dropped, "finding", "findings");
            put(b, " past the first " );
            put_uint(b, REPORT_FINDINGS_MAX);
        }
        put(b, "</dd>");
    }
    put(b, "</dl>\n");
}

static void finding_list(page_state *s, const report_conn *c)
{
    line_buffer *b = s->b;
    if (!c->n_findings)
        return;
    put(b, "<ol class=\"flist\">");
    for (uint32_t i = 0; i < c->n_findings; i++) {
        const report_finding *f = &c->findings[i];
        put(b, "<li>");
        severity_chip(b, f->severity);
        put(b, " <code>");
        put(b, mqttka_finding_name((mqttka_finding_kind)f->kind));
        put(b, "</code> ");
        html_text(b, f->detail);
        put(b, " <span class=\"fr\">");
        frame_ref(b, f->frame);
        if (f->reported_frame != f->frame) {
            put(b, ", known at ");
            frame_ref(b, f->reported_frame);
        }
        put(b, "</span></li>");
    }
    put(b, "</ol>\n");
}

static void detail(page_state *s, const report_conn *c)
{
    line_buffer *b = s->b;
    unsigned v = verdict_of(c);
    put(b, "<section class=\"conn card v-");
    put(b, verdict_name(v));
    put(b, "\" id=\"c");
    put_uint(b, c->id);
    put(b, "\" data-conn=\"");
    put_uint(b, c->id);
    put(b, "\" data-verdict=\"");
    put(b, verdict_name(v));
    put(b, "\">\n<div class=\"conn-head\"><h3><a href=\"#row-");
    put_uint(b, c->id);
    put(b, "\">#");
    put_uint(b, c->id);
    put(b, "</a>");
    if (c->client_id[0]) {
        put(b, " <code>");
        html_text(b, c->client_id);
        put(b, "</code>");
    }
    put(b, "</h3>");
    verdict_chip(b, v);
    put(b, "<span class=\"note\">");
    put(b, report_verdict_style_of(v)->meaning);
    put(b, "</span></div>\n<p class=\"vdetail\">");
    if (c->verdict_detail && c->verdict_detail[0])
        html_text(b, c->verdict_detail);
    else
        put(b, c->closed ? "" : "still open when this snapshot was written");
    put(b, "</p>\n");
    facts(s, c);

    size_t cap = (size_t)c->n_head + c->n_tail;
    report_item *items = cap ? malloc(cap * sizeof *items) : NULL;
    size_t n = items ? report_conn_items(c, items) : 0;
    char label[96];
    snprintf(label, sizeof label, "Timeline of connection #%llu", (unsigned long long)c->id);
    report_timeline t = {
        .conn = c, .items = items, .n_items = n, .origin = s->origin,
        .view_end = s->view_end, .label = label,
    };
    report_timeline_window(c, items, n, s->view_end, &t.from, &t.to);
    report_svg_timeline(b, &t);
    /* A long connection: its last keepalive periods again, up close. */
    mqttka_time kae = c->effective_keepalive > 0 ? (mqttka_time)c->effective_keepalive * 1000000 : 0;
    mqttka_time end = c->closed && c->close_ts != MQTTKA_TIME_NONE ? c->close_ts : t.to;
    if (kae && report_time_sub(t.to, t.from) / CLOSEUP_AFTER_KAE > kae) {
        put(b, "<p class=\"caption\">The last ");
        put_uint(b, CLOSEUP_KAE);
        put(b, " keepalive periods, up close:</p>\n");
        snprintf(label, sizeof label, "The end of connection #%llu, up close",
                 (unsigned long long)c->id);
        t.from = report_time_sub(end, CLOSEUP_KAE * kae);
        t.to = report_time_add(end, kae / 2);
        report_svg_timeline(b, &t);
    }
    free(items);
    finding_list(s, c);
    put(b, "</section>\n");
}

static void details(page_state *s)
{
    line_buffer *b = s->b;
    if (!s->n_detailed)
        return;
    put(b, "<section id=\"details\"><div class=\"card\"><h2>Timelines<small>");
    if (s->n_detailed < s->n_rows) {
        put(b, "the ");
        put_uint(b, s->n_detailed);
        put(b, " most troubled connections (--report-detail)");
    } else {
        put(b, "every connection");
    }
    put(b, "; hover a mark for its time, frame number (Wireshark's <code>frame.number</code>) "
           "and text</small></h2>\n");
    report_svg_legend(b);
    put(b, "<p class=\"note\">After each client packet, the keepalive lane shows the "
           "client's silence against the effective keepalive (KAe) and 1.5 \u00d7 KAe, when "
           "the server must close. Findings allow a tolerance (docs/FINDINGS.md): a silence "
           "may touch the amber band with no finding.</p></div>\n");
    for (size_t i = 0; i < s->n_rows; i++)
        if (s->detailed[i])
            detail(s, s->rows[i]);
    put(b, "</section>\n");
}

static void about(page_state *s)
{
    line_buffer *b = s->b;
    const report_model *m = s->m;
    put(b, "<section class=\"card\" id=\"about\"><h2>About this report</h2><ul class=\"plain\">"
           "<li>Made by mqttka from the same events as its <code>--json</code> output; no "
           "script, nothing fetched: it reads the same from a disk, a mail or a printer.</li>"
           "<li>Colours come with their names, and the verdicts of keepalive failures are "
           "hatched, so the page reads in grey as well.</li><li>Limits: timelines for the ");
    put_uint(b, m->limits.detail);
    put(b, " most troubled connections (<code>--report-detail</code>), table rows for ");
    put_uint(b, m->limits.rows);
    put(b, " connections and clients (<code>--report-rows</code>); a timeline keeps a "
           "connection's first ");
    put_uint(b, REPORT_HEAD_ITEMS);
    put(b, " and last ");
    put_uint(b, REPORT_TAIL_ITEMS);
    put(b, " packets and its first ");
    put_uint(b, REPORT_FINDINGS_MAX);
    put(b, " findings; the open connections' timelines share ");
    put_uint(b, (uint64_t)(m->limits.item_budget >> 20));
    put(b, " MiB.</li>");
    if (s->unlisted || m->starved || m->out_of_memory) {
        put(b, "<li>In this report: ");
        bool first = true;
        if (s->unlisted) {
            count_of(b, s->unlisted, "connection", "connections");
            put(b, " counted but not listed");
            first = false;
        }
        if (m->starved) {
            put(b, first ? "" : "; ");
            count_of(b, m->starved, "connection", "connections");
            put(b, " without a full timeline for want of budget");
            first = false;
        }
        if (m->out_of_memory) {
            put(b, first ? "" : "; ");
            put(b, "some details were not kept for want of memory");
        }
        put(b, ".</li>");
    }
    put(b, "</ul></section>\n");
}

bool report_write(report *r, FILE *out, const report_page *page)
{
    report_model *m = &r->model;
    line_buffer *b = malloc(sizeof *b);
    if (!b)
        return false;
    line_buffer_init(b, out);
    page_state s = {.b = b, .m = m, .p = page};
    s.origin = page->origin;
    if (s.origin == MQTTKA_TIME_NONE)
        s.origin = m->first_ts;
    s.view_end = page->now;
    if (s.view_end == MQTTKA_TIME_NONE || (m->last_ts != MQTTKA_TIME_NONE && m->last_ts > s.view_end))
        s.view_end = m->last_ts;
    report_model_extend(m, s.view_end);
    bool ok = select_rows(&s);
    if (ok) {
        head(&s);
        banner(&s);
        glance(&s);
        over_time(&s);
        details(&s);
        round_trips(&s);
        kinds(&s);
        clients(&s);
        connections(&s);
        about(&s);
        put(b, "</main>\n</body>\n</html>\n");
        line_buffer_flush(b);
    }
    free(s.rows);
    free(s.detailed);
    free(s.open);
    free(b);
    return ok && !ferror(out);
}
