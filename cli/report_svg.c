/*
 * report_svg.c - the report's pictures.
 *
 * A connection's timeline, top to bottom (one SVG, 1100 x 172 units):
 *
 *     labels   the close (how, who, verdict); packet names
 *     client   C>S packets: PINGREQ (blue dot), CONNECT/DISCONNECT (square),
 *              others (ticks; neighbours closer than 2.5 px share one)
 *     keepalive after each client packet its silence: thin green while
 *              under KAe, an amber band past KAe, red past 1.5 x KAe; the
 *              deadlines ticked where the client came near them
 *     server   S>C packets: PINGRESP (teal dot), CONNACK, ...; a line from
 *              each PINGREQ to its PINGRESP, labelled with the RTT; a
 *              dashed red line from a PINGREQ that got no PINGRESP
 *     findings info (circle), warn (triangle), error (diamond)
 *     axis     seconds since the capture's first record
 *
 * Every mark has a <title> (hover) with its frame number, as Wireshark
 * numbers frames, and the data-* attributes report_html.h lists.
 */
#include "report_svg.h"

#include <stdlib.h>
#include <string.h>

#include "html_out.h"

/* MQTT packet types and WebSocket opcodes drawn apart (MQTT §2.1.2, RFC 6455 §5.5). */
enum {
    T_CONNECT = 1, T_CONNACK = 2, T_PUBLISH = 3, T_PINGREQ = 12, T_PINGRESP = 13,
    T_DISCONNECT = 14, T_AUTH = 15,
};
enum { WS_CLOSE = 8, WS_PING = 9, WS_PONG = 10 };

/* The timeline's geometry. */
#define TL_W 1100.0
#define TL_X0 128.0
#define TL_X1 1080.0
#define TL_H 222
#define Y_CLOSE_LABEL 13.0
#define Y_LABEL 32.0
#define Y_CLIENT 52.0
#define Y_KA 87.0
#define Y_SERVER 122.0
#define Y_SERVER_LABEL 151.0
#define Y_FIND 172.0
#define Y_AXIS 190.0
#define LANE_HALF 14.0
#define KA_HALF 13.0
#define Y_TOP (Y_CLIENT - LANE_HALF - 2.0)
#define Y_BOTTOM (Y_FIND + LANE_HALF + 1.0)
/* Ticks closer than this share one mark (pixels). */
#define MERGE_PX 2.5
/* Room a text label needs per character (pixels, 10-11 px font). */
#define CHAR_PX 6.0

/* ------------------------------------------------------------------------ */
/* Verdict styles                                                            */

static const report_verdict_style verdict_styles[] = {
    [MQTTKA_V_OPEN] = {"#94a3b8", false, "still open at the end of the capture"},
    [MQTTKA_V_MQTT_DISCONNECT] = {"#15803d", false, "a DISCONNECT was sent"},
    [MQTTKA_V_SERVER_CLOSED_KEEPALIVE] = {"#dc2626", true, "the server enforced the keepalive"},
    [MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP] = {"#9f1239", true,
                                                 "the client closed, its PINGREQ unanswered"},
    [MQTTKA_V_WS_CLOSE] = {"#7c3aed", false, "a WebSocket Close"},
    [MQTTKA_V_INTERMEDIARY_IDLE_CLOSE] = {"#ea580c", true, "closed after a proxy's idle time"},
    [MQTTKA_V_CLIENT_CLOSED] = {"#65a30d", false, "the client closed, no reason on the wire"},
    [MQTTKA_V_SERVER_CLOSED] = {"#ca8a04", false, "the server closed, no reason on the wire"},
    [MQTTKA_V_RESET] = {"#78350f", false, "the connection was reset (RST)"},
};
static const report_verdict_style newer_verdict = {"#475569", false, ""};

const report_verdict_style *report_verdict_style_of(unsigned verdict)
{
    if (verdict < sizeof verdict_styles / sizeof verdict_styles[0] &&
        verdict_styles[verdict].colour)
        return &verdict_styles[verdict];
    return &newer_verdict;
}

static const char *verdict_name(unsigned v)
{
    const char *name = mqttka_verdict_name((mqttka_verdict)v);
    return name ? name : "unknown";
}

/* ------------------------------------------------------------------------ */
/* Small writers                                                             */

static void put(line_buffer *b, const char *s)
{
    line_buffer_str(b, s);
}

static void num(line_buffer *b, double v)
{
    html_coord(b, v);
}

/* ' name="v"' */
static void attr(line_buffer *b, const char *name, double v)
{
    line_buffer_char(b, ' ');
    put(b, name);
    put(b, "=\"");
    html_coord(b, v);
    line_buffer_char(b, '"');
}

static void attr_u(line_buffer *b, const char *name, uint64_t v)
{
    line_buffer_char(b, ' ');
    put(b, name);
    put(b, "=\"");
    line_buffer_uint(b, v);
    line_buffer_char(b, '"');
}

static void attr_s(line_buffer *b, const char *name, const char *v)
{
    line_buffer_char(b, ' ');
    put(b, name);
    put(b, "=\"");
    html_text(b, v);
    line_buffer_char(b, '"');
}

static void rect(line_buffer *b, const char *cls, double x, double y, double w, double h)
{
    put(b, "<rect class=\"");
    put(b, cls);
    line_buffer_char(b, '"');
    attr(b, "x", x);
    attr(b, "y", y);
    attr(b, "width", w < 0.5 ? 0.5 : w);
    attr(b, "height", h);
}

static void line(line_buffer *b, const char *cls, double x1, double y1, double x2, double y2)
{
    put(b, "<line class=\"");
    put(b, cls);
    line_buffer_char(b, '"');
    attr(b, "x1", x1);
    attr(b, "y1", y1);
    attr(b, "x2", x2);
    attr(b, "y2", y2);
    put(b, "/>");
}

static void text_at(line_buffer *b, const char *cls, double x, double y, const char *anchor)
{
    put(b, "<text class=\"");
    put(b, cls);
    line_buffer_char(b, '"');
    attr(b, "x", x);
    attr(b, "y", y);
    if (anchor) {
        put(b, " text-anchor=\"");
        put(b, anchor);
        line_buffer_char(b, '"');
    }
    line_buffer_char(b, '>');
}

/* num / den with two decimals ("1.01"), for silences in units of KAe. */
static void put_ratio(line_buffer *b, mqttka_time num, mqttka_time den)
{
    double r = den > 0 ? (double)num / (double)den : 0.0;
    if (!(r < 1e12))
        r = 1e12;
    if (!(r > -1e12))
        r = -1e12;
    line_buffer_scaled(b, (int64_t)(r * 100.0 + (r < 0 ? -0.5 : 0.5)), 2, 2);
}

/* Seconds since the origin, for labels: "12.117". */
static void rel(line_buffer *b, mqttka_time t, mqttka_time origin, unsigned decimals)
{
    html_seconds(b, report_time_sub(t, origin), decimals);
}

static void frame_text(line_buffer *b, uint64_t frame)
{
    if (frame) {
        put(b, "frame ");
        line_buffer_uint(b, frame);
    } else {
        put(b, "at the end of the capture");
    }
}

/* ------------------------------------------------------------------------ */
/* Time axes                                                                 */

typedef struct axis {
    mqttka_time t0, t1;
    double x0, x1;
} axis;

static double ax(const axis *a, mqttka_time t)
{
    if (t <= a->t0)
        return a->x0;
    if (t >= a->t1)
        return a->x1;
    return a->x0 + ((double)t - (double)a->t0) * (a->x1 - a->x0) / ((double)a->t1 - (double)a->t0);
}

static bool in_window(const axis *a, mqttka_time t)
{
    return t != MQTTKA_TIME_NONE && t >= a->t0 && t <= a->t1;
}

/* The smallest step of 1, 2 or 5 x 10^k microseconds that cuts `span`
 * into at most `most` parts. */
static mqttka_time nice_step(double span, unsigned most)
{
    static const int mult[3] = {1, 2, 5};
    double power = 1.0;
    for (int k = 0; k < 19; k++, power *= 10.0)
        for (int i = 0; i < 3; i++)
            if (span / (mult[i] * power) <= most)
                return (mqttka_time)(mult[i] * power);
    return (mqttka_time)1e18;
}

static unsigned step_decimals(mqttka_time step)
{
    unsigned d = 6;
    for (mqttka_time p = 1; p < step && d > 0; p *= 10)
        if (step % (p * 10) == 0)
            d--;
    return d;
}

/* Ticks, labels and light grid lines for the time axis at y. */
static void time_axis(line_buffer *b, const axis *a, mqttka_time origin, double y, double grid_top,
                      unsigned most)
{
    mqttka_time step = nice_step((double)a->t1 - (double)a->t0, most);
    unsigned decimals = step_decimals(step);
    line(b, "axis", a->x0, y, a->x1, y);
    /* The first multiple of step (counted from the origin) in the window. */
    double first = ((double)a->t0 - (double)origin) / (double)step;
    /* Multiples of step from the origin must stay in range (a hostile
     * capture's times may not). */
    if (!(first > -1e15 && first < 1e15) ||
        !((double)origin + (first + 70) * (double)step < 9e18 &&
          (double)origin + first * (double)step > -9e18))
        return;
    mqttka_time k = (mqttka_time)first;
    if ((double)k < first)
        k++;
    for (int n = 0; n < 64; n++, k++) {
        mqttka_time t = origin + k * step;
        if (t > a->t1)
            break;
        double x = ax(a, t);
        if (grid_top < y)
            line(b, "grid", x, grid_top, x, y);
        line(b, "axis", x, y, x, y + 4);
        text_at(b, "tick", x, y + 15, "middle");
        html_seconds(b, k * step, decimals);
        put(b, " s</text>");
    }
}

/* ------------------------------------------------------------------------ */
/* The patterns and the style sheet                                          */

void report_svg_defs(line_buffer *b)
{
    put(b, "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" focusable=\"false\">"
           "<defs>"
           "<pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
           "patternTransform=\"rotate(45)\"><rect width=\"2.4\" height=\"6\" fill=\"#fff\" "
           "fill-opacity=\"0.6\"/></pattern>"
           "<pattern id=\"hatch-grey\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
           "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#eef0f3\"/>"
           "<rect width=\"2\" height=\"6\" fill=\"#a3abb6\"/></pattern>"
           "</defs></svg>\n");
}

void report_svg_css(line_buffer *b)
{
    put(b,
        ".defs{position:absolute}\n"
        "ul.legend{display:flex;flex-wrap:wrap;gap:3px 16px;list-style:none;margin:2px 0 6px;padding:0;"
        "font-size:12px;color:#323f4b}\n"
        "ul.legend li{display:flex;align-items:center;white-space:nowrap}\n"
        "svg.icon{width:22px;height:15px;margin-right:5px;overflow:visible}\n"
        "svg.chart{display:block;width:100%;height:auto;overflow:visible}\n"
        "svg.chart text{font:11px system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;fill:#1f2933}\n"
        ".lane{fill:#f3f5f8}\n"
        "svg.chart .lanel{fill:#52606d;font-size:11px}\n"
        "svg.chart .lanes{fill:#7b8794;font-size:9.5px}\n"
        ".grid{stroke:#e4e8ee;stroke-width:1}\n"
        ".axis{stroke:#9aa5b1;stroke-width:1}\n"
        "svg.chart .tick{fill:#616e7c;font-size:10px}\n"
        ".pq{fill:#1d4ed8;stroke:#fff;stroke-width:1.5}\n"
        ".pr{fill:#0f766e;stroke:#fff;stroke-width:1.5}\n"
        ".pair line{stroke:#52606d;stroke-width:1.4}\n"
        "svg.chart .rtt{fill:#0f766e;font-size:10px}\n"
        ".pk{fill:#7b8794}\n"
        ".ctl{fill:#1f2933}\n"
        "svg.chart .pkl{fill:#3e4c59;font-size:10px}\n"
        ".hs{fill:#7c3aed}\n"
        ".wsc{fill:#7c3aed;stroke:#fff;stroke-width:1}\n"
        ".wsp{fill:#fff;stroke:#7c3aed;stroke-width:1.5}\n"
        ".ok{fill:#86cfa0}\n"
        ".late{fill:#f59e0b}\n"
        ".over{fill:#dc2626}\n"
        ".okrun{fill:#86cfa0}\n"
        ".dl1{stroke:#b45309;stroke-width:1.4}\n"
        ".dl2{stroke:#991b1b;stroke-width:1.4}\n"
        "svg.chart .dll{font-size:9.5px;fill:#7c2d12}\n"
        ".un line{stroke:#b91c1c;stroke-width:1.6;stroke-dasharray:4 3}\n"
        ".unx,.un .unx{stroke:#b91c1c;stroke-width:2.2;stroke-dasharray:none}\n"
        ".un.w line,.un.w .unx{stroke:#b45309}\n"
        "svg.chart .un.w .unl{fill:#92400e}\n"
        ".un.n line,.un.n .unx{stroke:#616e7c}\n"
        "svg.chart .un.n .unl{fill:#52606d}\n"
        "svg.chart .unl{fill:#b91c1c;font-size:10px;font-weight:600}\n"
        ".fi{fill:#2563eb;stroke:#fff;stroke-width:1}\n"
        ".fw{fill:#f59e0b;stroke:#78350f;stroke-width:1}\n"
        ".fe{fill:#b91c1c;stroke:#450a0a;stroke-width:1}\n"
        "svg.chart .fl{font-size:10px;fill:#1f2933}\n"
        "svg.chart .fl.e{fill:#991b1b;font-weight:600}\n"
        "svg.chart .fl.w{fill:#92400e;font-weight:600}\n"
        ".gap{fill:url(#hatch-grey)}\n"
        ".gapz{stroke:#323f4b;stroke-width:1.6;fill:none}\n"
        "svg.chart .gapl{fill:#323f4b;font-size:10px;font-weight:600}\n"
        ".drop{fill:url(#hatch-grey)}\n"
        "svg.chart .dropl{fill:#323f4b;font-size:10px}\n"
        ".cl{stroke:#111827;stroke-width:2}\n"
        ".clm{fill:#111827}\n"
        "svg.chart .cll{font-size:11px;font-weight:600;fill:#111827}\n"
        ".torn{stroke:#616e7c;stroke-width:1.5;fill:none}\n"
        ".vb{fill:var(--c)}\n"
        ".series .vb{stroke:#fff;stroke-width:.6}\n"
        "svg.chart .vlab{fill:#fff;font-size:10px;font-weight:600;paint-order:stroke;"
        "stroke:rgba(17,24,39,.75);stroke-width:2.4px}\n"
        ".hatch{fill:url(#hatch)}\n"
        ".opened{fill:#9aa5b1}\n"
        ".hover{fill:transparent}\n"
        ".hover:hover{fill:rgba(31,41,51,.08)}\n"
        ".bar{fill:#0f766e}\n"
        "svg.chart .barl{fill:#0f766e;font-size:10px}\n"
        ".zero{stroke:#52606d;stroke-width:1}\n");
    /* One class per verdict: --c is its colour, for HTML and SVG alike. */
    for (unsigned v = 0; v < MQTTKA_V_COUNT; v++) {
        put(b, ".v-");
        put(b, verdict_name(v));
        put(b, "{--c:");
        put(b, report_verdict_style_of(v)->colour);
        put(b, "}\n");
    }
}

/* ------------------------------------------------------------------------ */
/* A connection's timeline                                                   */

typedef struct tl {
    line_buffer *b;
    const report_timeline *t;
    const report_conn *c;
    axis a;
    mqttka_time kae;   /* microseconds; <= 0 none */
    mqttka_time story_end; /* the close, or where an open connection's view ends */
} tl;

static mqttka_time story_end_of(const report_conn *c, const report_item *items, size_t n,
                                mqttka_time view_end)
{
    mqttka_time end = c->closed ? c->close_ts : view_end;
    if (end == MQTTKA_TIME_NONE)
        end = c->end;
    if (end == MQTTKA_TIME_NONE && n)
        end = items[n - 1].ts;
    if (end == MQTTKA_TIME_NONE)
        end = c->start;
    return end;
}

void report_timeline_window(const report_conn *c, const report_item *items, size_t n,
                            mqttka_time view_end, mqttka_time *from, mqttka_time *to)
{
    mqttka_time lo = c->start, hi = c->end;
    if (n) {
        if (lo == MQTTKA_TIME_NONE || items[0].ts < lo)
            lo = items[0].ts;
        if (hi == MQTTKA_TIME_NONE || items[n - 1].ts > hi)
            hi = items[n - 1].ts;
    }
    if (c->closed && c->close_ts != MQTTKA_TIME_NONE && (hi == MQTTKA_TIME_NONE || c->close_ts > hi))
        hi = c->close_ts;
    if (!c->closed && view_end != MQTTKA_TIME_NONE && (hi == MQTTKA_TIME_NONE || view_end > hi))
        hi = view_end;
    if (lo == MQTTKA_TIME_NONE)
        lo = hi;
    if (lo == MQTTKA_TIME_NONE)
        lo = hi = 0;
    mqttka_time span = report_time_sub(hi, lo);
    if (span < 1000)
        span = 1000;
    mqttka_time pad = span / 40;
    *from = report_time_sub(lo, pad);
    *to = report_time_add(report_time_add(lo, span), pad);
}

/* The item of a frame, or NULL. */
static const report_item *item_of_frame(const tl *g, uint64_t frame, uint8_t kind)
{
    for (size_t i = 0; frame && i < g->t->n_items; i++)
        if (g->t->items[i].frame == frame && g->t->items[i].kind == kind)
            return &g->t->items[i];
    return NULL;
}

static bool is_client_packet(const report_item *it)
{
    return it->kind == REPORT_ITEM_MQTT && it->dir == MQTTKA_C2S;
}

/* True when items i and j (i < j) of the timeline have the dropped middle
 * between them: nothing is known of what happened in between. */
static bool dropped_between(const tl *g, size_t i, size_t j)
{
    return g->c->items_dropped && i < g->c->n_head && j >= g->c->n_head;
}

static void lanes(tl *g)
{
    line_buffer *b = g->b;
    static const struct {
        double y;
        const char *name;
        const char *sub;
    } rows[] = {
        {Y_CLIENT, "client", "C>S packets"},
        {Y_KA, "keepalive", "client silence"},
        {Y_SERVER, "server", "S>C packets"},
        {Y_FIND, "findings", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double h = rows[i].y == Y_KA ? 2 * KA_HALF : 2 * LANE_HALF;
        rect(b, "lane", g->a.x0, rows[i].y - h / 2, g->a.x1 - g->a.x0, h);
        put(b, "/>");
        text_at(b, "lanel", TL_X0 - 10, rows[i].y + (rows[i].sub ? 0 : 4), "end");
        put(b, rows[i].name);
        put(b, "</text>");
        if (rows[i].sub) {
            text_at(b, "lanes", TL_X0 - 10, rows[i].y + 10, "end");
            put(b, rows[i].sub);
            put(b, "</text>");
        }
    }
}

static void dropped_middle(tl *g)
{
    const report_conn *c = g->c;
    if (!c->items_dropped || c->dropped_to < g->a.t0 || c->dropped_from > g->a.t1)
        return;
    line_buffer *b = g->b;
    double x0 = ax(&g->a, c->dropped_from), x1 = ax(&g->a, c->dropped_to);
    if (x1 - x0 < 6) {
        x0 -= 3;
        x1 += 3;
    }
    put(b, "<g class=\"dropped\"");
    attr_u(b, "data-conn", c->id);
    put(b, ">");
    rect(b, "drop", x0, Y_TOP, x1 - x0, Y_BOTTOM - Y_TOP);
    put(b, "><title>");
    line_buffer_uint(b, c->items_dropped);
    put(b, " packets from ");
    rel(b, c->dropped_from, g->t->origin, 3);
    put(b, " s to ");
    rel(b, c->dropped_to, g->t->origin, 3);
    put(b, " s are not drawn: the report keeps the first ");
    line_buffer_uint(b, REPORT_HEAD_ITEMS);
    put(b, " and the last ");
    line_buffer_uint(b, REPORT_TAIL_ITEMS);
    put(b, " of a connection</title></rect>");
    if (x1 - x0 > 90) {
        text_at(b, "dropl", (x0 + x1) / 2, Y_KA + 4, "middle");
        line_buffer_uint(b, c->items_dropped);
        put(b, " packets not drawn</text>");
    }
    put(b, "</g>");
}

/* One client silence: from `from` (a client packet) to `to`. The last
 * one, which the close ends, has its deadlines named. */
static void silence(tl *g, const report_item *from, mqttka_time to, const char *ended_by,
                    bool last)
{
    line_buffer *b = g->b;
    mqttka_time t = from->ts, k = g->kae;
    if (to < g->a.t0 || t > g->a.t1 || to <= t)
        return;
    /* The deadlines: KAe and 1.5 x KAe after the packet. */
    mqttka_time t_k = report_time_add(t, k), t_k2 = report_time_add(t_k, k / 2);
    double x0 = ax(&g->a, t), x1 = ax(&g->a, to);
    put(b, "<g class=\"silence\">");
    put(b, "<title>silence of ");
    html_duration(b, report_time_sub(to, t));
    put(b, " after the client's ");
    put(b, mqttka_mqtt_type_name(from->type));
    put(b, " (frame ");
    line_buffer_uint(b, from->frame);
    put(b, "), ");
    put(b, ended_by);
    if (k > 0) {
        put(b, "; ");
        put_ratio(b, report_time_sub(to, t), k);
        put(b, " x KAe (deadlines at ");
        rel(b, t_k, g->t->origin, 3);
        put(b, " s and ");
        rel(b, t_k2, g->t->origin, 3);
        put(b, " s)");
    }
    put(b, "</title>");
    double xk = k > 0 ? ax(&g->a, t_k) : x1, xk2 = k > 0 ? ax(&g->a, t_k2) : x1;
    if (k <= 0) {
        rect(b, "ok", x0, Y_KA - 2.5, x1 - x0, 5);
        put(b, "/>");
    } else {
        rect(b, "ok", x0, Y_KA - 3, (xk < x1 ? xk : x1) - x0, 6);
        put(b, "/>");
        if (to > t_k) {
            double end = xk2 < x1 ? xk2 : x1;
            rect(b, "late", xk, Y_KA - 8, end - xk, 16);
            put(b, "/>");
        }
        if (to > t_k2) {
            rect(b, "over", xk2, Y_KA - KA_HALF, x1 - xk2, 2 * KA_HALF);
            put(b, "/>");
        }
        /* The deadlines, where the client came near them (and where they
         * are not a comb). */
        if (report_time_sub(to, t) >= k / 2 && x1 - x0 >= 24) {
            bool show1 = t_k <= g->story_end && in_window(&g->a, t_k);
            bool show2 = t_k2 <= g->story_end && in_window(&g->a, t_k2);
            if (show1)
                line(b, "dl1", xk, Y_KA - KA_HALF, xk, Y_KA + KA_HALF);
            if (show2)
                line(b, "dl2", xk2, Y_KA - KA_HALF, xk2, Y_KA + KA_HALF);
            /* Named left of their ticks, over the silence that reached them. */
            if (last && show1 && xk - x0 > 24) {
                text_at(b, "dll", xk - 3, Y_KA - KA_HALF - 2, "end");
                put(b, "KAe</text>");
            }
            if (last && show2 && xk2 - xk > 44) {
                text_at(b, "dll", xk2 - 3, Y_KA - KA_HALF - 2, "end");
                put(b, "1.5 KAe</text>");
            }
        }
    }
    put(b, "</g>");
}

static void keepalive_lane(tl *g)
{
    line_buffer *b = g->b;
    const report_item *items = g->t->items;
    size_t n = g->t->n_items;
    if (g->kae <= 0) {
        text_at(b, "lanes", g->a.x0 + 6, Y_KA + 3.5, NULL);
        put(b, g->c->effective_keepalive == 0 ? "keepalive disabled (KAe 0): no deadlines"
                                              : "keepalive unknown: no deadlines");
        put(b, "</text>");
    }
    /* Runs of silences that all stayed under KAe are one bar. */
    size_t prev = n;
    for (size_t i = 0; i < n; i++) {
        if (!is_client_packet(&items[i]))
            continue;
        if (prev < n && !dropped_between(g, prev, i))
            silence(g, &items[prev], items[i].ts, "ended by the next client packet", false);
        prev = i;
    }
    if (prev < n) {
        bool to_end = !g->c->items_dropped || prev >= g->c->n_head;
        if (to_end)
            silence(g, &items[prev], g->story_end,
                    g->c->closed ? "ended by the close" : "still running at the end of the view",
                    true);
    }
}

/* A capture gap: the lane of its direction hatched from the hole to that
 * direction's next decoded item. */
static void gaps(tl *g)
{
    line_buffer *b = g->b;
    const report_conn *c = g->c;
    for (uint32_t i = 0; i < c->n_findings; i++) {
        const report_finding *f = &c->findings[i];
        if (f->kind != MQTTKA_F_CAPTURE_GAP || !in_window(&g->a, f->ts))
            continue;
        mqttka_time until = g->story_end;
        for (size_t j = 0; j < g->t->n_items; j++) {
            const report_item *it = &g->t->items[j];
            if (it->dir == f->dir && it->ts > f->ts) {
                until = it->ts;
                break;
            }
        }
        double y = f->dir == MQTTKA_C2S ? Y_CLIENT : Y_SERVER;
        double x0 = ax(&g->a, f->ts), x1 = ax(&g->a, until);
        put(b, "<g class=\"gap\"");
        attr_u(b, "data-conn", c->id);
        attr_u(b, "data-frame", f->frame);
        put(b, " data-dir=\"");
        put(b, f->dir == MQTTKA_C2S ? "c2s" : "s2c");
        put(b, "\"><title>capture gap at ");
        rel(b, f->ts, g->t->origin, 6);
        put(b, " s (");
        frame_text(b, f->frame);
        put(b, "): ");
        html_text(b, f->detail);
        put(b, "</title>");
        rect(b, "gap", x0, y - LANE_HALF, x1 - x0 < 3 ? 3 : x1 - x0, 2 * LANE_HALF);
        put(b, "/><path class=\"gapz\" d=\"M");
        for (int k = 0; k <= 4; k++) {
            line_buffer_char(b, ' ');
            num(b, x0 + (k % 2 ? 3 : -3));
            line_buffer_char(b, ' ');
            num(b, y - LANE_HALF - 1 + k * (2 * LANE_HALF + 2) / 4);
        }
        put(b, "\"/>");
        text_at(b, "gapl", x0 + 6, y - LANE_HALF - 2, NULL);
        put(b, "capture gap</text></g>");
    }
}

static double ping_x(const tl *g, const report_item *resp, const report_item **req)
{
    *req = item_of_frame(g, resp->pair_frame, REPORT_ITEM_MQTT);
    return ax(&g->a, *req ? (*req)->ts : report_time_sub(resp->ts, resp->value));
}

static void pairs(tl *g)
{
    line_buffer *b = g->b;
    const report_item *items = g->t->items;
    double last_label = -1e9;
    for (size_t i = 0; i < g->t->n_items; i++) {
        const report_item *it = &items[i];
        if (it->kind != REPORT_ITEM_MQTT || it->dir != MQTTKA_S2C || it->type != T_PINGRESP ||
            !it->pair_frame)
            continue;
        const report_item *req;
        double xq = ping_x(g, it, &req), xr = ax(&g->a, it->ts);
        if (!in_window(&g->a, it->ts) && !(req && in_window(&g->a, req->ts)))
            continue;
        put(b, "<g class=\"pair\"");
        attr_u(b, "data-conn", g->c->id);
        attr_u(b, "data-req-frame", it->pair_frame);
        attr_u(b, "data-resp-frame", it->frame);
        put(b, " data-rtt-ms=\"");
        line_buffer_scaled(b, it->value, 3, 3);
        put(b, "\"><title>PINGREQ frame ");
        line_buffer_uint(b, it->pair_frame);
        put(b, " \u2192 PINGRESP frame ");
        line_buffer_uint(b, it->frame);
        put(b, ": RTT ");
        html_duration(b, it->value);
        put(b, "</title>");
        line(b, "", xq, Y_CLIENT + 5, xr, Y_SERVER - 5);
        /* The RTT, where it has room up to the next PINGRESP. */
        double next = ax(&g->a, g->story_end) + 60;
        for (size_t j = i + 1; j < g->t->n_items; j++)
            if (items[j].kind == REPORT_ITEM_MQTT && items[j].dir == MQTTKA_S2C &&
                items[j].type == T_PINGRESP) {
                next = ax(&g->a, items[j].ts);
                break;
            }
        if (xr - last_label >= 58 && next - xr >= 58 && xr + 50 < TL_W) {
            text_at(b, "rtt", xr + 7, Y_SERVER + 3.5, NULL);
            html_duration(b, it->value);
            put(b, "</text>");
            last_label = xr;
        }
        put(b, "</g>");
    }
}

/* PINGREQs no PINGRESP answered: a dashed line down to the server and
 * along it until the next PINGREQ or the end of the story. */
static void unanswered(tl *g)
{
    line_buffer *b = g->b;
    const report_item *items = g->t->items;
    size_t n = g->t->n_items;
    for (size_t i = 0; i < n; i++) {
        const report_item *q = &items[i];
        if (q->kind != REPORT_ITEM_MQTT || q->dir != MQTTKA_C2S || q->type != T_PINGREQ)
            continue;
        bool answered = false;
        mqttka_time until = g->story_end;
        bool until_set = false;
        for (size_t j = i + 1; j < n && !answered; j++) {
            const report_item *r = &items[j];
            if (r->kind != REPORT_ITEM_MQTT)
                continue;
            if (r->dir == MQTTKA_S2C && r->type == T_PINGRESP && r->pair_frame == q->frame)
                answered = true;
            else if (!until_set && r->dir == MQTTKA_C2S && r->type == T_PINGREQ) {
                until = r->ts;
                until_set = true;
            }
        }
        /* A PINGRESP may lie in the dropped middle: then say nothing. */
        if (answered || (g->c->items_dropped && i < g->c->n_head))
            continue;
        if (!in_window(&g->a, q->ts))
            continue;
        double x = ax(&g->a, q->ts), xe = ax(&g->a, until);
        /* In the colour of its finding: error, warn when a later PINGREQ
         * overtook it, grey when none was raised (timing findings are
         * suppressed after a capture gap). */
        const char *cls = "<g class=\"un n\"";
        for (uint32_t k = 0; k < g->c->n_findings; k++)
            if (g->c->findings[k].kind == MQTTKA_F_PINGREQ_UNANSWERED &&
                g->c->findings[k].frame == q->frame)
                cls = g->c->findings[k].severity == MQTTKA_WARN ? "<g class=\"un w\""
                                                                 : "<g class=\"un\"";
        put(b, cls);
        attr_u(b, "data-conn", g->c->id);
        attr_u(b, "data-req-frame", q->frame);
        put(b, "><title>PINGREQ frame ");
        line_buffer_uint(b, q->frame);
        put(b, " got no PINGRESP: ");
        html_duration(b, report_time_sub(until, q->ts));
        put(b, until_set ? " until the next PINGREQ"
                         : g->c->closed ? " until the close" : " until the end of the view");
        put(b, "</title>");
        line(b, "", x, Y_CLIENT + 5, x, Y_SERVER);
        if (xe > x)
            line(b, "", x, Y_SERVER, xe, Y_SERVER);
        /* A cross where the answer never came. */
        double xc = xe > x + 8 ? xe : x;
        line(b, "unx", xc - 4, Y_SERVER - 4, xc + 4, Y_SERVER + 4);
        line(b, "unx", xc - 4, Y_SERVER + 4, xc + 4, Y_SERVER - 4);
        if (xe - x > 80 || x + 80 < g->a.x1) {
            text_at(b, "unl", x + 5, Y_SERVER + 11, NULL);
            put(b, "no PINGRESP</text>");
        }
        put(b, "</g>");
    }
}

static void packet_title(tl *g, const report_item *it, const report_item *prev_client)
{
    line_buffer *b = g->b;
    put(b, "<title>");
    switch (it->kind) {
    case REPORT_ITEM_MQTT:
        put(b, mqttka_mqtt_type_name(it->type));
        break;
    case REPORT_ITEM_WS_CONTROL:
        put(b, it->type == WS_CLOSE ? "WebSocket Close" : it->type == WS_PING ? "WebSocket Ping"
               : it->type == WS_PONG ? "WebSocket Pong" : "WebSocket control frame");
        if (it->type == WS_CLOSE && it->value >= 0) {
            put(b, " ");
            line_buffer_int(b, it->value);
        }
        break;
    default:
        put(b, "WebSocket handshake answer, HTTP ");
        line_buffer_int(b, it->value);
        put(b, it->flags ? " (upgraded)" : " (not upgraded)");
        break;
    }
    put(b, it->dir == MQTTKA_C2S ? " C>S at " : " S>C at ");
    rel(b, it->ts, g->t->origin, 6);
    put(b, " s, frame ");
    line_buffer_uint(b, it->frame);
    if (prev_client && is_client_packet(it)) {
        put(b, "; silence ");
        html_duration(b, report_time_sub(it->ts, prev_client->ts));
        if (g->kae > 0) {
            put(b, " (");
            put_ratio(b, report_time_sub(it->ts, prev_client->ts), g->kae);
            put(b, " x KAe)");
        }
    }
    put(b, "</title>");
}

/* The name under or over a packet, when there is room. */
static void packet_label(tl *g, double x, bool client, const char *name, double *last_end)
{
    double width = (double)strlen(name) * CHAR_PX;
    if (x - width / 2 < *last_end + 4 || x + width / 2 > TL_W)
        return;
    text_at(g->b, "pkl", x, client ? Y_LABEL + 3 : Y_SERVER_LABEL, "middle");
    html_text(g->b, name);
    put(g->b, "</text>");
    *last_end = x + width / 2;
}

typedef struct tick_group {
    bool open;
    double x0, x1;
    uint64_t f0, f1;
    mqttka_time t0, t1;
    uint32_t count;
    uint16_t types; /* bit per MQTT type */
} tick_group;

static void flush_ticks(tl *g, tick_group *tg, double y)
{
    if (!tg->open)
        return;
    line_buffer *b = g->b;
    double x0 = tg->x0 - 1, w = tg->x1 - tg->x0 + 2;
    if (tg->count == 1) {
        put(b, "<rect class=\"pk\"");
        attr_u(b, "data-frame", tg->f0);
    } else {
        put(b, "<rect class=\"pk\" data-frames=\"");
        line_buffer_uint(b, tg->f0);
        line_buffer_char(b, '-');
        line_buffer_uint(b, tg->f1);
        line_buffer_char(b, '"');
    }
    attr(b, "x", x0);
    attr(b, "y", y - 7);
    attr(b, "width", w);
    attr(b, "height", 14);
    put(b, "><title>");
    bool first = true;
    for (unsigned t = 0; t < 16; t++)
        if (tg->types & (1u << t)) {
            if (!first)
                put(b, ", ");
            put(b, mqttka_mqtt_type_name((uint8_t)t));
            first = false;
        }
    if (tg->count > 1) {
        put(b, ": ");
        line_buffer_uint(b, tg->count);
        put(b, " packets from ");
        rel(b, tg->t0, g->t->origin, 6);
        put(b, " s to ");
        rel(b, tg->t1, g->t->origin, 6);
        put(b, " s, frames ");
        line_buffer_uint(b, tg->f0);
        put(b, " to ");
        line_buffer_uint(b, tg->f1);
    } else {
        put(b, y == Y_CLIENT ? " C>S at " : " S>C at ");
        rel(b, tg->t0, g->t->origin, 6);
        put(b, " s, frame ");
        line_buffer_uint(b, tg->f0);
    }
    put(b, "</title></rect>");
    tg->open = false;
}

static void packets(tl *g)
{
    line_buffer *b = g->b;
    const report_item *items = g->t->items;
    size_t n = g->t->n_items;
    tick_group groups[2] = {{0}, {0}};
    double label_end[2] = {-1e9, -1e9};
    uint16_t named[2] = {0, 0}; /* packet types named, per lane */
    const report_item *prev_client = NULL;
    for (size_t i = 0; i < n; i++) {
        const report_item *it = &items[i];
        bool client = it->dir == MQTTKA_C2S;
        const report_item *before = prev_client;
        if (is_client_packet(it)) {
            if (prev_client && dropped_between(g, (size_t)(prev_client - items), i))
                before = NULL;
            prev_client = it;
        }
        if (!in_window(&g->a, it->ts))
            continue;
        double x = ax(&g->a, it->ts), y = client ? Y_CLIENT : Y_SERVER;
        tick_group *tg = &groups[client ? 0 : 1];
        if (it->kind == REPORT_ITEM_MQTT && it->type != T_PINGREQ && it->type != T_PINGRESP &&
            it->type != T_CONNECT && it->type != T_CONNACK && it->type != T_DISCONNECT &&
            it->type != T_AUTH) {
            if (tg->open && x - tg->x1 <= MERGE_PX) {
                tg->x1 = x;
                tg->f1 = it->frame;
                tg->t1 = it->ts;
                tg->count++;
                tg->types |= (uint16_t)(1u << (it->type & 15));
                continue;
            }
            flush_ticks(g, tg, y);
            *tg = (tick_group){true, x, x, it->frame, it->frame, it->ts, it->ts, 1,
                               (uint16_t)(1u << (it->type & 15))};
            /* Named the first time in each lane: after that it is a tick. */
            uint16_t bit = (uint16_t)(1u << (it->type & 15));
            if (!(named[!client] & bit)) {
                double before_end = label_end[!client];
                packet_label(g, x, client, mqttka_mqtt_type_name(it->type), &label_end[!client]);
                if (label_end[!client] != before_end)
                    named[!client] |= bit;
            }
            continue;
        }
        flush_ticks(g, tg, y);
        const char *label = NULL;
        if (it->kind == REPORT_ITEM_MQTT && (it->type == T_PINGREQ || it->type == T_PINGRESP)) {
            put(b, "<circle class=\"");
            put(b, it->type == T_PINGREQ ? "pq" : "pr");
            line_buffer_char(b, '"');
            attr_u(b, "data-frame", it->frame);
            attr(b, "cx", x);
            attr(b, "cy", y);
            put(b, " r=\"6.5\">");
            packet_title(g, it, before);
            put(b, "</circle>");
        } else if (it->kind == REPORT_ITEM_MQTT) {
            put(b, "<rect class=\"ctl\"");
            attr_u(b, "data-frame", it->frame);
            attr(b, "x", x - 4.5);
            attr(b, "y", y - 4.5);
            put(b, " width=\"9\" height=\"9\" rx=\"1.5\">");
            packet_title(g, it, before);
            put(b, "</rect>");
            label = mqttka_mqtt_type_name(it->type);
        } else if (it->kind == REPORT_ITEM_WS_CONTROL && it->type == WS_CLOSE) {
            put(b, "<path class=\"wsc\"");
            attr_u(b, "data-frame", it->frame);
            put(b, " d=\"M");
            num(b, x);
            line_buffer_char(b, ' ');
            num(b, y - 6);
            put(b, "l6 6-6 6-6-6z\">");
            packet_title(g, it, NULL);
            put(b, "</path>");
            label = "WS Close";
        } else if (it->kind == REPORT_ITEM_WS_CONTROL) {
            put(b, "<circle class=\"wsp\"");
            attr_u(b, "data-frame", it->frame);
            attr(b, "cx", x);
            attr(b, "cy", y);
            put(b, " r=\"3.5\">");
            packet_title(g, it, NULL);
            put(b, "</circle>");
        } else {
            put(b, "<rect class=\"hs\"");
            attr_u(b, "data-frame", it->frame);
            attr(b, "x", x - 2);
            attr(b, "y", y - 8);
            put(b, " width=\"4\" height=\"16\">");
            packet_title(g, it, NULL);
            put(b, "</rect>");
            label = it->value == 101 ? "WebSocket 101" : "HTTP answer";
        }
        if (label)
            packet_label(g, x, client, label, &label_end[!client]);
    }
    flush_ticks(g, &groups[0], Y_CLIENT);
    flush_ticks(g, &groups[1], Y_SERVER);
}

static void finding_shape(line_buffer *b, unsigned severity, double x, double y)
{
    switch (severity) {
    case MQTTKA_ERROR: /* diamond */
        put(b, "<path class=\"fe\" d=\"M");
        num(b, x);
        line_buffer_char(b, ' ');
        num(b, y - 7);
        put(b, "l7 7-7 7-7-7z\"/>");
        break;
    case MQTTKA_WARN: /* triangle */
        put(b, "<path class=\"fw\" d=\"M");
        num(b, x);
        line_buffer_char(b, ' ');
        num(b, y - 7);
        put(b, "l7 12h-14z\"/>");
        break;
    default: /* circle */
        put(b, "<circle class=\"fi\"");
        attr(b, "cx", x);
        attr(b, "cy", y);
        put(b, " r=\"5\"/>");
        break;
    }
}

/* Where each kept finding is drawn: at the packet it is about (else when
 * it became known); markers that would touch are set side by side. */
#define FIND_SPACING 15.0

typedef struct finding_spot {
    const report_finding *f;
    double x;
} finding_spot;

/* Label intervals already taken in the findings lane. */
typedef struct label_room {
    double from[REPORT_FINDINGS_MAX], to[REPORT_FINDINGS_MAX];
    size_t n;
} label_room;

static bool room_free(const label_room *r, double from, double to)
{
    for (size_t i = 0; i < r->n; i++)
        if (from < r->to[i] + 4 && to > r->from[i] - 4)
            return false;
    return true;
}

static void findings(tl *g)
{
    line_buffer *b = g->b;
    const report_conn *c = g->c;
    finding_spot spots[REPORT_FINDINGS_MAX];
    size_t n = 0;
    for (uint32_t i = 0; i < c->n_findings && n < REPORT_FINDINGS_MAX; i++) {
        const report_finding *f = &c->findings[i];
        const report_item *at = item_of_frame(g, f->frame, REPORT_ITEM_MQTT);
        mqttka_time t = at ? at->ts : f->ts;
        if (!in_window(&g->a, t))
            continue;
        double x = ax(&g->a, t);
        /* In order of x (findings come nearly sorted: insertion). */
        size_t j = n++;
        while (j > 0 && spots[j - 1].x > x) {
            spots[j] = spots[j - 1];
            j--;
        }
        spots[j] = (finding_spot){f, x};
    }
    /* Side by side, then pulled back inside the right edge. */
    for (size_t i = 1; i < n; i++)
        if (spots[i].x < spots[i - 1].x + FIND_SPACING)
            spots[i].x = spots[i - 1].x + FIND_SPACING;
    double limit = TL_X1 - 2;
    for (size_t i = n; i-- > 0; limit -= FIND_SPACING)
        if (spots[i].x > limit)
            spots[i].x = limit;
        else
            break;
    label_room taken = {.n = 0};
    for (size_t i = 0; i < n; i++) {
        taken.from[taken.n] = spots[i].x - 8;
        taken.to[taken.n++] = spots[i].x + 8;
    }
    /* Labels: errors first, then warnings, where they fit. */
    bool labelled[REPORT_FINDINGS_MAX] = {false};
    double label_x[REPORT_FINDINGS_MAX];
    bool label_right[REPORT_FINDINGS_MAX];
    for (int sev = MQTTKA_ERROR; sev >= MQTTKA_WARN; sev--)
        for (size_t i = 0; i < n; i++) {
            const report_finding *f = spots[i].f;
            const char *kind = mqttka_finding_name((mqttka_finding_kind)f->kind);
            if (f->severity != sev || !kind)
                continue;
            double width = (double)strlen(kind) * CHAR_PX;
            /* Right of the group of markers it is in, else left of it,
             * else not at all. */
            size_t first = i, last = i;
            while (first > 0 && spots[first].x - spots[first - 1].x <= FIND_SPACING + 0.5)
                first--;
            while (last + 1 < n && spots[last + 1].x - spots[last].x <= FIND_SPACING + 0.5)
                last++;
            double right = spots[last].x + 12, left = spots[first].x - 12;
            bool fits_right = right + width <= TL_X1 + 16 && room_free(&taken, right + 2, right + width);
            bool fits_left = left - width >= TL_X0 && room_free(&taken, left - width, left - 2);
            if (!fits_right && !fits_left)
                continue;
            labelled[i] = true;
            label_right[i] = fits_right;
            label_x[i] = fits_right ? right : left;
            taken.from[taken.n % REPORT_FINDINGS_MAX] = fits_right ? right : left - width;
            taken.to[taken.n % REPORT_FINDINGS_MAX] = fits_right ? right + width : left;
            if (taken.n < REPORT_FINDINGS_MAX)
                taken.n++;
        }
    for (size_t i = 0; i < n; i++) {
        const report_finding *f = spots[i].f;
        double x = spots[i].x;
        const char *kind = mqttka_finding_name((mqttka_finding_kind)f->kind);
        const char *sev = mqttka_severity_name((mqttka_severity)f->severity);
        put(b, "<g class=\"finding\"");
        attr_u(b, "data-conn", c->id);
        attr_s(b, "data-kind", kind ? kind : "unknown");
        attr_s(b, "data-severity", sev ? sev : "info");
        attr_u(b, "data-frame", f->frame);
        put(b, "><title>");
        put(b, sev ? sev : "info");
        put(b, " ");
        put(b, kind ? kind : "unknown");
        put(b, ": ");
        html_text(b, f->detail);
        put(b, " (");
        frame_text(b, f->frame);
        if (f->reported_frame != f->frame) {
            put(b, ", known at ");
            frame_text(b, f->reported_frame);
        }
        put(b, ")</title>");
        finding_shape(b, f->severity, x, Y_FIND);
        if (labelled[i]) {
            text_at(b, f->severity == MQTTKA_ERROR ? "fl e" : "fl w", label_x[i], Y_FIND + 4,
                    label_right[i] ? NULL : "end");
            put(b, kind);
            put(b, "</text>");
        }
        put(b, "</g>");
    }
}

static void close_mark(tl *g)
{
    line_buffer *b = g->b;
    const report_conn *c = g->c;
    if (!c->closed || !c->close_mechanism || c->close_ts == MQTTKA_TIME_NONE) {
        /* Still open where the view ends. */
        if (g->story_end > g->a.t1 || g->story_end < g->a.t0)
            return;
        double x = ax(&g->a, g->story_end);
        put(b, "<g class=\"close open\"");
        attr_u(b, "data-conn", c->id);
        attr_s(b, "data-verdict", verdict_name(c->closed ? c->verdict : MQTTKA_V_OPEN));
        put(b, "><title>still open at ");
        rel(b, g->story_end, g->t->origin, 6);
        put(b, " s, the end of the ");
        put(b, c->closed ? "capture" : "view");
        put(b, "</title>");
        put(b, "<path class=\"torn\" d=\"M");
        num(b, x - 6);
        line_buffer_char(b, ' ');
        num(b, Y_CLIENT - 6);
        put(b, "l6 6-6 6M");
        num(b, x - 6);
        line_buffer_char(b, ' ');
        num(b, Y_SERVER - 6);
        put(b, "l6 6-6 6\"/>");
        text_at(b, "cll", x, Y_CLOSE_LABEL, "end");
        put(b, "still open \u2192</text></g>");
        return;
    }
    if (!in_window(&g->a, c->close_ts))
        return;
    double x = ax(&g->a, c->close_ts);
    const char *who = mqttka_side_name((mqttka_side)c->close_initiator);
    const char *how = mqttka_close_mechanism_name((mqttka_close_mechanism)c->close_mechanism);
    put(b, "<g class=\"close\"");
    attr_u(b, "data-conn", c->id);
    attr_s(b, "data-initiator", who ? who : "");
    attr_s(b, "data-mechanism", how ? how : "");
    attr_u(b, "data-frame", c->close_frame);
    attr_s(b, "data-verdict", verdict_name(c->verdict));
    put(b, "><title>");
    put(b, how ? how : "close");
    put(b, " by ");
    put(b, who ? who : "unknown side");
    put(b, " at ");
    rel(b, c->close_ts, g->t->origin, 6);
    put(b, " s (");
    frame_text(b, c->close_frame);
    put(b, "); verdict ");
    put(b, verdict_name(c->verdict));
    if (c->verdict_detail) {
        put(b, ": ");
        html_text(b, c->verdict_detail);
    }
    put(b, "</title>");
    line(b, "cl", x, Y_CLOSE_LABEL + 4, x, Y_BOTTOM);
    /* A block in the lane of the side that closed first. */
    double y = c->close_initiator == MQTTKA_SIDE_SERVER ? Y_SERVER : Y_CLIENT;
    put(b, "<rect class=\"clm\"");
    attr(b, "x", x - 3);
    attr(b, "y", y - LANE_HALF);
    put(b, " width=\"6\"");
    attr(b, "height", 2 * LANE_HALF);
    put(b, "/>");
    /* "FIN by client · client_closed_missing_pingresp", on the side with room. */
    static const char *const how_names[] = {"", "DISCONNECT", "WebSocket Close", "FIN", "RST"};
    const char *how_text = c->close_mechanism < 5 ? how_names[c->close_mechanism] : how;
    double width = (double)(strlen(how_text) + 4 + strlen(who ? who : "?") + 3 +
                            strlen(verdict_name(c->verdict))) * 6.3;
    bool left = x + 6 + width > TL_W - 4;
    text_at(b, "cll", left ? x - 6 : x + 6, Y_CLOSE_LABEL, left ? "end" : NULL);
    put(b, how_text);
    if (c->close_mechanism == MQTTKA_CLOSE_WS_CLOSE && c->ws_close_code >= 0) {
        line_buffer_char(b, ' ');
        line_buffer_int(b, c->ws_close_code);
    }
    put(b, " by ");
    put(b, who ? who : "?");
    put(b, " \u00b7 ");
    put(b, verdict_name(c->verdict));
    put(b, "</text></g>");
}

/* A connection the capture joined late opens on a torn edge. */
static void torn_start(tl *g)
{
    if (g->c->start_seen)
        return;
    line_buffer *b = g->b;
    double x = g->a.x0;
    put(b, "<g class=\"late-join\"><title>the capture joined this connection after its start: "
           "what came before is not known</title><path class=\"torn\" d=\"M");
    num(b, x);
    line_buffer_char(b, ' ');
    num(b, Y_TOP);
    for (int k = 1; k <= 12; k++) {
        line_buffer_char(b, ' ');
        num(b, x + (k % 2 ? 5 : 0));
        line_buffer_char(b, ' ');
        num(b, Y_TOP + k * (Y_BOTTOM - Y_TOP) / 12);
    }
    put(b, "\"/>");
    text_at(b, "cll", x + 8, Y_CLOSE_LABEL, NULL);
    put(b, "joined after start</text></g>");
}

void report_svg_timeline(line_buffer *b, const report_timeline *t)
{
    const report_conn *c = t->conn;
    tl g = {
        .b = b, .t = t, .c = c,
        .a = {t->from, t->to, TL_X0, TL_X1},
        .kae = c->effective_keepalive > 0 ? (mqttka_time)c->effective_keepalive * 1000000 : 0,
        .story_end = story_end_of(c, t->items, t->n_items, t->view_end),
    };
    if (g.a.t1 <= g.a.t0)
        g.a.t1 = report_time_add(g.a.t0, 1000);
    put(b, "<svg class=\"chart timeline\" viewBox=\"0 0 1100 ");
    line_buffer_uint(b, TL_H);
    put(b, "\" role=\"img\"");
    attr_s(b, "aria-label", t->label);
    attr_u(b, "data-conn", c->id);
    put(b, ">\n");
    lanes(&g);
    time_axis(b, &g.a, t->origin, Y_AXIS, Y_TOP, 12);
    dropped_middle(&g);
    keepalive_lane(&g);
    gaps(&g);
    put(b, "\n");
    pairs(&g);
    unanswered(&g);
    packets(&g);
    put(b, "\n");
    findings(&g);
    close_mark(&g);
    torn_start(&g);
    put(b, "</svg>\n");
}

/* ------------------------------------------------------------------------ */
/* The legend                                                                */

/* One legend entry: a 24 x 16 icon and its words. */
static void legend_icon(line_buffer *b)
{
    put(b, "<li><svg class=\"icon\" viewBox=\"0 0 24 16\" aria-hidden=\"true\">");
}

static void legend_words(line_buffer *b, const char *words)
{
    put(b, "</svg>");
    put(b, words);
    put(b, "</li>");
}

void report_svg_legend(line_buffer *b)
{
    put(b, "<ul class=\"legend\">");
    legend_icon(b);
    put(b, "<circle class=\"pq\" cx=\"12\" cy=\"8\" r=\"5.5\"/>");
    legend_words(b, "PINGREQ");
    legend_icon(b);
    put(b, "<circle class=\"pr\" cx=\"12\" cy=\"8\" r=\"5.5\"/>");
    legend_words(b, "PINGRESP + RTT");
    legend_icon(b);
    put(b, "<g class=\"pair\">");
    line(b, "", 9, 1, 15, 15);
    put(b, "</g>");
    legend_words(b, "ping pair");
    legend_icon(b);
    put(b, "<g class=\"un\">");
    line(b, "", 1, 8, 16, 8);
    put(b, "</g>");
    line(b, "unx", 16, 4, 23, 12);
    line(b, "unx", 16, 12, 23, 4);
    legend_words(b, "no PINGRESP");
    legend_icon(b);
    put(b, "<rect class=\"ctl\" x=\"7.5\" y=\"3.5\" width=\"9\" height=\"9\" rx=\"1.5\"/>");
    legend_words(b, "CONNECT, CONNACK, DISCONNECT");
    legend_icon(b);
    put(b, "<rect class=\"pk\" x=\"11\" y=\"1\" width=\"2\" height=\"14\"/>");
    legend_words(b, "other packets");
    legend_icon(b);
    put(b, "<path class=\"wsc\" d=\"M12 2l6 6-6 6-6-6z\"/>");
    legend_words(b, "WS Close");
    legend_icon(b);
    put(b, "<circle class=\"wsp\" cx=\"12\" cy=\"8\" r=\"3.5\"/>");
    legend_words(b, "WS Ping, Pong");
    legend_icon(b);
    put(b, "<rect class=\"ok\" x=\"0\" y=\"5.5\" width=\"24\" height=\"5\"/>");
    legend_words(b, "silence under KAe");
    legend_icon(b);
    put(b, "<rect class=\"late\" x=\"2\" y=\"1\" width=\"20\" height=\"14\"/>");
    legend_words(b, "past KAe");
    legend_icon(b);
    put(b, "<rect class=\"over\" x=\"2\" y=\"0\" width=\"20\" height=\"16\"/>");
    legend_words(b, "past 1.5 \u00d7 KAe");
    legend_icon(b);
    line(b, "dl1", 8, 0, 8, 16);
    line(b, "dl2", 16, 0, 16, 16);
    legend_words(b, "deadlines");
    legend_icon(b);
    finding_shape(b, MQTTKA_INFO, 12, 8);
    legend_words(b, "info");
    legend_icon(b);
    finding_shape(b, MQTTKA_WARN, 12, 8);
    legend_words(b, "warn");
    legend_icon(b);
    finding_shape(b, MQTTKA_ERROR, 12, 8.5);
    legend_words(b, "error");
    legend_icon(b);
    line(b, "cl", 12, 0, 12, 16);
    put(b, "<rect class=\"clm\" x=\"9\" y=\"3\" width=\"6\" height=\"10\"/>");
    legend_words(b, "close (by its side)");
    legend_icon(b);
    put(b, "<rect class=\"gap\" x=\"2\" y=\"0\" width=\"20\" height=\"16\"/>");
    legend_words(b, "capture gap, not drawn");
    put(b, "</ul>\n");
}

/* ------------------------------------------------------------------------ */
/* All connections, one lane each                                            */

#define LANES_X0 210.0
#define LANES_X1 1080.0
#define LANE_PITCH 20.0

static void lane_label(line_buffer *b, const report_conn *c, double y)
{
    text_at(b, "lanel", LANES_X0 - 10, y + 4, "end");
    line_buffer_char(b, '#');
    line_buffer_uint(b, c->id);
    if (c->client_id[0]) {
        line_buffer_char(b, ' ');
        size_t len = strlen(c->client_id);
        /* 26 characters fit in the label column. */
        if (len > 26) {
            html_text_n(b, c->client_id, 24);
            put(b, "\u2026");
        } else {
            html_text(b, c->client_id);
        }
    }
    put(b, "</text>");
}

void report_svg_lanes(line_buffer *b, report_conn *const *conns, const bool *detailed, size_t n,
                      mqttka_time origin, mqttka_time from, mqttka_time to, mqttka_time view_end)
{
    axis a = {from, to > from ? to : from + 1000, LANES_X0, LANES_X1};
    double height = 12 + (double)n * LANE_PITCH + 30;
    put(b, "<svg class=\"chart lanes-chart\" viewBox=\"0 0 1100 ");
    num(b, height);
    put(b, "\" role=\"img\" aria-label=\"Every connection on one time axis, coloured by verdict\">");
    double axis_y = 12 + (double)n * LANE_PITCH + 4;
    time_axis(b, &a, origin, axis_y, 6, 12);
    for (size_t i = 0; i < n; i++) {
        const report_conn *c = conns[i];
        unsigned v = c->closed ? c->verdict : MQTTKA_V_OPEN;
        double y = 12 + (double)i * LANE_PITCH + LANE_PITCH / 2;
        mqttka_time start = c->start, end = c->closed ? c->end : view_end;
        if (end == MQTTKA_TIME_NONE || end < start)
            end = start;
        put(b, "<a href=\"#");
        put(b, detailed[i] ? "c" : "row-");
        line_buffer_uint(b, c->id);
        put(b, "\"><g class=\"lane-conn v-");
        put(b, verdict_name(v));
        line_buffer_char(b, '"');
        attr_u(b, "data-conn", c->id);
        attr_s(b, "data-verdict", verdict_name(v));
        put(b, "><title>#");
        line_buffer_uint(b, c->id);
        if (c->client_id[0]) {
            put(b, " ");
            html_text(b, c->client_id);
        }
        put(b, ", ");
        rel(b, start, origin, 3);
        put(b, " s to ");
        rel(b, end, origin, 3);
        put(b, " s: ");
        put(b, verdict_name(v));
        if (c->verdict_detail) {
            put(b, " (");
            html_text(b, c->verdict_detail);
            put(b, ")");
        }
        put(b, "</title>");
        rect(b, "hover", 0, y - LANE_PITCH / 2, 1100, LANE_PITCH);
        put(b, "/>");
        lane_label(b, c, y);
        double x0 = ax(&a, start), x1 = ax(&a, end);
        rect(b, "vb", x0, y - 6, x1 - x0, 12);
        put(b, " rx=\"2\"/>");
        if (report_verdict_style_of(v)->hatched) {
            rect(b, "hatch", x0, y - 6, x1 - x0, 12);
            put(b, " rx=\"2\"/>");
        }
        if (c->closed && c->close_mechanism && c->close_ts != MQTTKA_TIME_NONE) {
            double xc = ax(&a, c->close_ts);
            line(b, "cl", xc, y - 8, xc, y + 8);
        }
        /* The verdict in words right of the bar, when there is room. */
        const char *name = verdict_name(v);
        if (x1 + 8 + (double)strlen(name) * 6 < LANES_X1 + 16) {
            text_at(b, "lanes", x1 + 8, y + 3.5, NULL);
            put(b, name);
            put(b, "</text>");
        } else if (x1 - x0 > (double)strlen(name) * 6.2 + 12) {
            text_at(b, "vlab", x1 - 6, y + 3.5, "end");
            put(b, name);
            put(b, "</text>");
        }
        put(b, "</g></a>\n");
    }
    put(b, "</svg>\n");
}

/* ------------------------------------------------------------------------ */
/* All connections, counted per time bin                                     */

#define STRIP_X0 70.0
#define STRIP_X1 1080.0
#define OPEN_TOP 14.0
#define OPEN_BASE 164.0
#define FLOW_BASE 250.0
#define FLOW_HALF 56.0
#define STRIP_AXIS 318.0

/* Per bin: connections alive (by verdict), opened, closed (by verdict). */
typedef struct strip_counts {
    uint32_t alive[REPORT_STRIP_BINS][MQTTKA_V_COUNT];
    uint32_t ends[REPORT_STRIP_BINS][MQTTKA_V_COUNT];
    uint32_t starts[REPORT_STRIP_BINS];
    uint32_t extra_starts[REPORT_STRIP_BINS];
    uint64_t below[REPORT_STRIP_BINS];
} strip_counts;

/* The verdicts bottom to top: the worst nearest the axis. */
static size_t verdict_order(unsigned *order)
{
    size_t n = 0;
    for (unsigned rank = 16; rank-- > 0;)
        for (unsigned v = 0; v < MQTTKA_V_COUNT; v++)
            if (report_verdict_rank(v, -1) == rank)
                order[n++] = v;
    return n;
}

void report_svg_strip(line_buffer *b, const report_model *m, report_conn *const *extra,
                      size_t n_extra, mqttka_time origin, mqttka_time view_end)
{
    if (m->strip_origin == MQTTKA_TIME_NONE)
        return;
    /* The bins in use: up to the view's end. */
    size_t last = report_strip_bin(m, view_end);
    for (size_t i = last + 1; i < REPORT_STRIP_BINS; i++)
        for (unsigned v = 0; v < MQTTKA_V_COUNT; v++)
            if (m->strip_starts[i][v] || m->strip_ends[i][v])
                last = i;
    size_t bins = last + 1;
    strip_counts *k = calloc(1, sizeof *k);
    if (!k)
        return;
    uint32_t (*alive)[MQTTKA_V_COUNT] = k->alive, (*ends)[MQTTKA_V_COUNT] = k->ends;
    uint32_t *starts = k->starts, *extra_starts = k->extra_starts;
    uint64_t *below = k->below;
    uint64_t running[MQTTKA_V_COUNT] = {0};
    for (size_t i = 0; i < n_extra; i++)
        extra_starts[report_strip_bin(m, extra[i]->start)]++;
    uint64_t max_alive = 1, max_flow = 1;
    for (size_t i = 0; i < bins; i++) {
        uint64_t total = 0, opened = 0, closed = 0;
        for (unsigned v = 0; v < MQTTKA_V_COUNT; v++) {
            uint64_t s = m->strip_starts[i][v] + (v == MQTTKA_V_OPEN ? extra_starts[i] : 0);
            uint64_t a = running[v] + s;
            alive[i][v] = a > UINT32_MAX ? UINT32_MAX : (uint32_t)a;
            running[v] = a - (m->strip_ends[i][v] < a ? m->strip_ends[i][v] : a);
            ends[i][v] = m->strip_ends[i][v];
            total += a;
            opened += s;
            closed += m->strip_ends[i][v];
        }
        starts[i] = opened > UINT32_MAX ? UINT32_MAX : (uint32_t)opened;
        if (total > max_alive)
            max_alive = total;
        if (opened > max_flow)
            max_flow = opened;
        if (closed > max_flow)
            max_flow = closed;
    }
    mqttka_time t0 = m->strip_origin, t1 = report_strip_bin_start(m, bins);
    axis a = {t0, t1, STRIP_X0, STRIP_X1};
    double bw = (STRIP_X1 - STRIP_X0) / (double)bins;

    put(b, "<svg class=\"chart strip\" viewBox=\"0 0 1100 346\" role=\"img\" "
           "aria-label=\"Connections over time, coloured by verdict\"");
    attr_u(b, "data-connections", m->closed + m->n_open);
    put(b, ">\n");
    time_axis(b, &a, origin, STRIP_AXIS, OPEN_TOP, 12);
    /* Scales. */
    text_at(b, "lanel", STRIP_X0 - 8, OPEN_TOP + 4, "end");
    line_buffer_uint(b, max_alive);
    put(b, "</text>");
    text_at(b, "lanel", STRIP_X0 - 8, OPEN_BASE + 4, "end");
    put(b, "0</text>");
    text_at(b, "lanes", STRIP_X0 + 4, OPEN_TOP - 2, NULL);
    put(b, "connections open, by verdict</text>");
    line(b, "zero", STRIP_X0, OPEN_BASE, STRIP_X1, OPEN_BASE);
    line(b, "zero", STRIP_X0, FLOW_BASE, STRIP_X1, FLOW_BASE);
    text_at(b, "lanel", STRIP_X0 - 8, FLOW_BASE - FLOW_HALF + 4, "end");
    line_buffer_uint(b, max_flow);
    put(b, "</text>");
    text_at(b, "lanel", STRIP_X0 - 8, FLOW_BASE + FLOW_HALF + 4, "end");
    line_buffer_uint(b, max_flow);
    put(b, "</text>");
    text_at(b, "lanes", STRIP_X0 + 4, FLOW_BASE - FLOW_HALF - 4, NULL);
    put(b, "opened per ");
    html_duration(b, m->strip_width);
    put(b, " (grey, up) and closed (by verdict, down)</text>\n");

    unsigned order[MQTTKA_V_COUNT];
    size_t n_order = verdict_order(order);
    /* Open: one stacked step area per verdict. */
    double scale = (OPEN_BASE - OPEN_TOP) / (double)max_alive;
    for (size_t j = 0; j < n_order; j++) {
        unsigned v = order[j];
        bool any = false;
        for (size_t i = 0; i < bins && !any; i++)
            any = alive[i][v] != 0;
        if (!any)
            continue;
        put(b, "<g class=\"series v-");
        put(b, verdict_name(v));
        line_buffer_char(b, '"');
        attr_s(b, "data-verdict", verdict_name(v));
        put(b, "><title>");
        put(b, verdict_name(v));
        put(b, ": ");
        line_buffer_uint(b, m->verdicts[v] + (v == MQTTKA_V_OPEN ? n_extra : 0));
        put(b, " connections</title><path class=\"vb\" d=\"M");
        num(b, STRIP_X0);
        line_buffer_char(b, ' ');
        num(b, OPEN_BASE - (double)below[0] * scale);
        for (size_t i = 0; i < bins; i++) {
            double y = OPEN_BASE - (double)(below[i] + alive[i][v]) * scale;
            put(b, "L");
            num(b, STRIP_X0 + (double)i * bw);
            line_buffer_char(b, ' ');
            num(b, y);
            put(b, "H");
            num(b, STRIP_X0 + (double)(i + 1) * bw);
        }
        for (size_t i = bins; i-- > 0;) {
            put(b, "V");
            num(b, OPEN_BASE - (double)below[i] * scale);
            put(b, "H");
            num(b, STRIP_X0 + (double)i * bw);
        }
        put(b, "Z\"/>");
        if (report_verdict_style_of(v)->hatched) {
            /* The same outline, hatched. */
            put(b, "<path class=\"hatch\" d=\"M");
            num(b, STRIP_X0);
            line_buffer_char(b, ' ');
            num(b, OPEN_BASE - (double)below[0] * scale);
            for (size_t i = 0; i < bins; i++) {
                put(b, "L");
                num(b, STRIP_X0 + (double)i * bw);
                line_buffer_char(b, ' ');
                num(b, OPEN_BASE - (double)(below[i] + alive[i][v]) * scale);
                put(b, "H");
                num(b, STRIP_X0 + (double)(i + 1) * bw);
            }
            for (size_t i = bins; i-- > 0;) {
                put(b, "V");
                num(b, OPEN_BASE - (double)below[i] * scale);
                put(b, "H");
                num(b, STRIP_X0 + (double)i * bw);
            }
            put(b, "Z\"/>");
        }
        put(b, "</g>\n");
        for (size_t i = 0; i < bins; i++)
            below[i] += alive[i][v];
    }
    /* Opened (up) and closed (down) per bin. */
    double fscale = FLOW_HALF / (double)max_flow;
    put(b, "<path class=\"opened\" d=\"");
    for (size_t i = 0; i < bins; i++)
        if (starts[i]) {
            double h = (double)starts[i] * fscale;
            put(b, "M");
            num(b, STRIP_X0 + (double)i * bw);
            line_buffer_char(b, ' ');
            num(b, FLOW_BASE - h);
            put(b, "h");
            num(b, bw > 1.2 ? bw - 0.4 : bw);
            put(b, "v");
            num(b, h);
            put(b, "h");
            num(b, -(bw > 1.2 ? bw - 0.4 : bw));
            put(b, "z");
        }
    put(b, "\"/>\n");
    memset(below, 0, REPORT_STRIP_BINS * sizeof *below);
    for (size_t j = 0; j < n_order; j++) {
        unsigned v = order[j];
        bool any = false;
        for (size_t i = 0; i < bins && !any; i++)
            any = ends[i][v] != 0;
        if (!any)
            continue;
        put(b, "<path class=\"vb v-");
        put(b, verdict_name(v));
        put(b, "\" d=\"");
        for (size_t i = 0; i < bins; i++)
            if (ends[i][v]) {
                double y = FLOW_BASE + (double)below[i] * fscale;
                double h = (double)ends[i][v] * fscale;
                put(b, "M");
                num(b, STRIP_X0 + (double)i * bw);
                line_buffer_char(b, ' ');
                num(b, y);
                put(b, "h");
                num(b, bw > 1.2 ? bw - 0.4 : bw);
                put(b, "v");
                num(b, h);
                put(b, "h");
                num(b, -(bw > 1.2 ? bw - 0.4 : bw));
                put(b, "z");
                below[i] += ends[i][v];
            }
        put(b, "\"><title>closed with verdict ");
        put(b, verdict_name(v));
        put(b, "</title></path>\n");
    }
    /* Hover columns: what each bin holds, in words. */
    for (size_t i = 0; i < bins; i++) {
        uint64_t total = 0, closed = 0;
        for (unsigned v = 0; v < MQTTKA_V_COUNT; v++) {
            total += alive[i][v];
            closed += ends[i][v];
        }
        if (!total && !closed)
            continue;
        rect(b, "hover", STRIP_X0 + (double)i * bw, OPEN_TOP, bw, FLOW_BASE + FLOW_HALF - OPEN_TOP);
        put(b, "><title>");
        rel(b, report_strip_bin_start(m, i), origin, 3);
        put(b, " s to ");
        rel(b, report_strip_bin_start(m, i + 1), origin, 3);
        put(b, " s: ");
        line_buffer_uint(b, total);
        put(b, " open, ");
        line_buffer_uint(b, starts[i]);
        put(b, " opened, ");
        line_buffer_uint(b, closed);
        put(b, " closed");
        bool first = true;
        for (size_t j = 0; j < n_order; j++)
            if (ends[i][order[j]]) {
                put(b, first ? " (" : "; ");
                line_buffer_uint(b, ends[i][order[j]]);
                line_buffer_char(b, ' ');
                put(b, verdict_name(order[j]));
                first = false;
            }
        put(b, first ? "</title></rect>" : ")</title></rect>");
        if (i % 16 == 15)
            put(b, "\n");
    }
    put(b, "</svg>\n");
    free(k);
}

/* ------------------------------------------------------------------------ */
/* The RTT histogram                                                         */

#define RTT_X0 70.0
#define RTT_X1 1080.0
#define RTT_TOP 18.0
#define RTT_BASE 116.0

static void rtt_edge_label(line_buffer *b, double us)
{
    static const char *const names[] = {"1 \u00b5s", "10 \u00b5s", "100 \u00b5s", "1 ms",
                                        "10 ms", "100 ms", "1 s", "10 s", "100 s"};
    size_t k = 0;
    for (double e = 1; e < us * 0.999 && k + 1 < sizeof names / sizeof names[0]; e *= 10)
        k++;
    put(b, names[k]);
}

void report_svg_rtt(line_buffer *b, const report_model *m)
{
    uint64_t max = 1;
    for (size_t i = 0; i < REPORT_RTT_BINS; i++)
        if (m->rtt[i] > max)
            max = m->rtt[i];
    double bw = (RTT_X1 - RTT_X0) / REPORT_RTT_BINS;
    put(b, "<svg class=\"chart rtt-hist\" viewBox=\"0 0 1100 140\" role=\"img\" "
           "aria-label=\"Histogram of the PINGREQ to PINGRESP round-trip times\"");
    attr_u(b, "data-pairs", m->rtt_pairs);
    put(b, ">\n");
    line(b, "axis", RTT_X0, RTT_BASE, RTT_X1, RTT_BASE);
    text_at(b, "lanel", RTT_X0 - 8, RTT_TOP + 4, "end");
    line_buffer_uint(b, max);
    put(b, "</text>");
    text_at(b, "lanel", RTT_X0 - 8, RTT_BASE + 4, "end");
    put(b, "0</text>");
    for (size_t i = 1; i < REPORT_RTT_BINS; i += REPORT_RTT_PER_DECADE) {
        double x = RTT_X0 + (double)i * bw;
        line(b, "grid", x, RTT_TOP, x, RTT_BASE);
        line(b, "axis", x, RTT_BASE, x, RTT_BASE + 4);
        text_at(b, "tick", x, RTT_BASE + 16, "middle");
        rtt_edge_label(b, report_rtt_bin_low(i));
        put(b, "</text>");
    }
    if (m->rtt[0]) {
        text_at(b, "tick", RTT_X0 + bw / 2, RTT_BASE + 28, "middle");
        put(b, "less</text>");
    }
    if (m->rtt[REPORT_RTT_BINS - 1]) {
        text_at(b, "tick", RTT_X1 - bw / 2, RTT_BASE + 28, "middle");
        put(b, "more</text>");
    }
    text_at(b, "lanes", RTT_X0 + 4, RTT_TOP - 6, NULL);
    put(b, "ping pairs per RTT bin (4 per decade, log scale)</text>\n");
    double scale = (RTT_BASE - RTT_TOP) / (double)max;
    for (size_t i = 0; i < REPORT_RTT_BINS; i++) {
        if (!m->rtt[i])
            continue;
        double h = (double)m->rtt[i] * scale, x = RTT_X0 + (double)i * bw;
        put(b, "<g class=\"rtt-bin\"");
        attr_u(b, "data-count", m->rtt[i]);
        put(b, "><title>");
        line_buffer_uint(b, m->rtt[i]);
        put(b, m->rtt[i] == 1 ? " pair" : " pairs");
        if (i == 0) {
            put(b, " under 1 \u00b5s");
        } else {
            put(b, " from ");
            html_duration(b, (mqttka_time)(report_rtt_bin_low(i) + 0.5));
            if (i + 1 < REPORT_RTT_BINS) {
                put(b, " to ");
                html_duration(b, (mqttka_time)(report_rtt_bin_low(i + 1) + 0.5));
            } else {
                put(b, " up");
            }
        }
        put(b, "</title>");
        rect(b, "bar", x + 1, RTT_BASE - h, bw - 2, h < 1 ? 1 : h);
        put(b, "/>");
        text_at(b, "barl", x + bw / 2, RTT_BASE - h - 3, "middle");
        line_buffer_uint(b, m->rtt[i]);
        put(b, "</text></g>\n");
    }
    put(b, "</svg>\n");
}
