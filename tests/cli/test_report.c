/*
 * test_report.c - the HTML report's model and page, fed events as the core
 * emits them: escaping of any byte, the caps (items per connection, the
 * byte budget, rows, details, clients), which connections are drawn, a
 * snapshot with connections still open, the strip chart's bins under
 * hostile times, a late-joined connection's timeline, determinism.
 *
 *   test_report [DIR]   with DIR, also writes the pages it makes there
 *                       (test_report.sh checks them with a real parser)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test_harness.h"
#include "html_out.h"
#include "report_html.h"
#include "report_model.h"
#include "report_svg.h"

static const char *out_dir;

/* ------------------------------------------------------------------------ */
/* A connection as the core would report it                                  */

typedef struct sim {
    report *r;
    mqttka_connection conn;
    char client_id[MQTTKA_CLIENT_ID_SIZE];
    mqttka_time t;
    uint64_t frame;
    uint32_t pingreq, pingresp;
    uint64_t last_pingreq_frame;
    mqttka_time last_pingreq_ts;
    mqttka_finding findings[8];
    size_t n_findings;
} sim;

static uint64_t next_frame = 1;

static void sim_start(sim *s, report *r, uint64_t id, mqttka_time start, const char *client_id,
                      int keepalive)
{
    memset(s, 0, sizeof *s);
    s->r = r;
    snprintf(s->client_id, sizeof s->client_id, "%s", client_id);
    s->conn.id = id;
    s->conn.transport = MQTTKA_TRANSPORT_WEBSOCKET;
    s->conn.ws_upgraded = true;
    s->conn.mqtt_level = 4;
    s->conn.keepalive = keepalive;
    s->conn.server_keepalive = -1;
    s->conn.effective_keepalive = keepalive;
    s->conn.start = start;
    s->conn.end = MQTTKA_TIME_NONE;
    s->conn.first_tag = next_frame;
    s->conn.client = (mqttka_endpoint){4, {10, 0, (uint8_t)(id >> 8), (uint8_t)id}, 40000};
    s->conn.server = (mqttka_endpoint){4, {10, 9, 9, 9}, 1883};
    s->conn.client_id = s->client_id;
    s->conn.ws_subprotocol = "mqtt";
    s->conn.ws_extensions = "";
    s->t = start;
}

static void sim_emit(sim *s, mqttka_event *ev)
{
    ev->conn = &s->conn;
    report_event(s->r, ev);
}

static void sim_packet(sim *s, mqttka_time at, mqttka_direction dir, uint8_t type)
{
    s->t = at;
    mqttka_event ev = {.type = MQTTKA_EV_MQTT_PACKET, .dir = dir, .ts = at, .tag = next_frame++};
    ev.u.mqtt.type = type;
    ev.u.mqtt.rtt = MQTTKA_TIME_NONE;
    ev.u.mqtt.silence = MQTTKA_TIME_NONE;
    ev.u.mqtt.reason_code = -1;
    mqttka_connect_info connect = {.level = 4, .keepalive = (uint16_t)s->conn.keepalive,
                                   .client_id = s->client_id};
    if (type == 1)
        ev.u.mqtt.connect = &connect;
    if (type == 12 && dir == MQTTKA_C2S) {
        s->pingreq++;
        s->last_pingreq_frame = ev.tag;
        s->last_pingreq_ts = at;
    }
    if (type == 13 && dir == MQTTKA_S2C) {
        s->pingresp++;
        ev.u.mqtt.rtt = at - s->last_pingreq_ts;
        ev.u.mqtt.pair_tag = s->last_pingreq_frame;
    }
    sim_emit(s, &ev);
}

static void sim_finding(sim *s, mqttka_finding_kind kind, mqttka_severity sev, uint64_t frame,
                        const char *detail)
{
    mqttka_finding *f = &s->findings[s->n_findings < 8 ? s->n_findings++ : 7];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->severity = sev;
    f->ts = s->t;
    f->tag = frame;
    f->reported_tag = next_frame - 1;
    snprintf(f->detail, sizeof f->detail, "%s", detail);
    mqttka_event ev = {.type = MQTTKA_EV_FINDING, .ts = s->t, .tag = f->reported_tag};
    ev.u.finding = f;
    sim_emit(s, &ev);
}

static void sim_close(sim *s, mqttka_time at, mqttka_verdict verdict, const char *detail)
{
    s->conn.end = at;
    s->conn.last_tag = next_frame;
    mqttka_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.conn = &s->conn;
    sum.pingreq = s->pingreq;
    sum.pingresp = s->pingresp;
    sum.pingreq_unanswered = s->pingreq > s->pingresp ? s->pingreq - s->pingresp : 0;
    sum.max_client_silence = MQTTKA_TIME_NONE;
    sum.close_initiator = MQTTKA_SIDE_CLIENT;
    sum.close_mechanism = verdict == MQTTKA_V_OPEN ? MQTTKA_CLOSE_NONE : MQTTKA_CLOSE_FIN;
    sum.close_ts = verdict == MQTTKA_V_OPEN ? MQTTKA_TIME_NONE : at;
    sum.close_tag = verdict == MQTTKA_V_OPEN ? 0 : next_frame++;
    sum.ws_close_code = -1;
    sum.disconnect_reason = -1;
    sum.verdict = verdict;
    snprintf(sum.verdict_detail, sizeof sum.verdict_detail, "%s", detail);
    sum.findings = s->findings;
    sum.n_findings = s->n_findings;
    mqttka_event ev = {.type = MQTTKA_EV_CONNECTION, .ts = at, .tag = sum.close_tag};
    ev.u.summary = &sum;
    sim_emit(s, &ev);
}

/* A healthy connection: CONNECT, CONNACK, a ping pair every KA, DISCONNECT. */
static void sim_healthy(report *r, uint64_t id, mqttka_time start, int pings)
{
    sim s;
    char name[32];
    snprintf(name, sizeof name, "healthy-%llu", (unsigned long long)id);
    sim_start(&s, r, id, start, name, 5);
    sim_packet(&s, start + 1000, MQTTKA_C2S, 1);
    sim_packet(&s, start + 1200, MQTTKA_S2C, 2);
    for (int i = 1; i <= pings; i++) {
        sim_packet(&s, start + i * 5000000, MQTTKA_C2S, 12);
        sim_packet(&s, start + i * 5000000 + 150, MQTTKA_S2C, 13);
    }
    sim_packet(&s, start + (pings + 1) * 5000000, MQTTKA_C2S, 14);
    sim_close(&s, start + (pings + 1) * 5000000 + 100, MQTTKA_V_MQTT_DISCONNECT,
              "client sent DISCONNECT");
}

/* A client that closed with a PINGREQ unanswered. */
static void sim_failed(report *r, uint64_t id, mqttka_time start)
{
    sim s;
    char name[32];
    snprintf(name, sizeof name, "failed-%llu", (unsigned long long)id);
    sim_start(&s, r, id, start, name, 3);
    sim_packet(&s, start + 1000, MQTTKA_C2S, 1);
    sim_packet(&s, start + 1200, MQTTKA_S2C, 2);
    sim_packet(&s, start + 3000000, MQTTKA_C2S, 12);
    uint64_t ping = s.last_pingreq_frame;
    sim_finding(&s, MQTTKA_F_PINGREQ_UNANSWERED, MQTTKA_ERROR, ping,
                "PINGREQ never got a PINGRESP before the client closed the connection");
    sim_close(&s, start + 6000000, MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP,
              "client closed 3 s after its unanswered PINGREQ");
}

static report *new_report(size_t detail, size_t rows, size_t budget)
{
    report_limits limits = {detail, rows, budget};
    report *r = report_new(&limits);
    if (!r)
        abort();
    return r;
}

/* The page in memory (and in out_dir/NAME when asked). */
static char *page(report *r, const char *name, mqttka_time now, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        abort();
    report_page p = {.input = name, .origin = 0, .now = now};
    CHECK(report_write(r, f, &p));
    fclose(f);
    if (out_dir) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.html", out_dir, name);
        FILE *o = fopen(path, "w");
        if (o) {
            fwrite(buf, 1, size, o);
            fclose(o);
        }
    }
    if (len)
        *len = size;
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */

static char *escaped(const char *s, size_t len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    line_buffer b;
    line_buffer_init(&b, f);
    html_text_n(&b, s, len);
    line_buffer_flush(&b);
    fclose(f);
    return buf;
}

static void test_escaping(void)
{
    struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain text 123", 14, "plain text 123"},
        {"<script>&\"'", 11, "&lt;script&gt;&amp;&quot;&#39;"},
        {"a\x01" "b\x7f", 4, "a\\x01b\\x7f"},
        {"tab\there\n", 9, "tab\\x09here\\x0a"},
        {"caf\xc3\xa9 \xe2\x86\x92", 9, "caf\xc3\xa9 \xe2\x86\x92"},     /* UTF-8 kept */
        {"\xc2\x85", 2, "\\u{0085}"},                                      /* C1 control */
        {"\xef\xb7\x90", 3, "\\u{fdd0}"},                                  /* noncharacter */
        {"\xef\xbf\xbe", 3, "\\u{fffe}"},
        {"\xf0\x9f\xbf\xbf", 4, "\\u{1ffff}"},
        {"\xff\xc3", 2, "\\xff\\xc3"},                                     /* not UTF-8 */
        {"\xc0\xaf", 2, "\\xc0\\xaf"},                                     /* overlong */
        {"\xed\xa0\x80", 3, "\\xed\\xa0\\x80"},                            /* surrogate */
        {"nul\0x", 5, "nul\\x00x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = escaped(cases[i].in, cases[i].len);
        CHECK_EQ_STR(got, cases[i].out);
        free(got);
    }
}

/* A client id from the wire with every kind of hostile byte reaches the
 * page only escaped. */
static void test_hostile_strings(void)
{
    report *r = new_report(5, 100, REPORT_ITEM_BUDGET_DEFAULT);
    sim s;
    sim_start(&s, r, 1, 1000000, "<script>alert(1)</script>\"'&\x01\xff\xc2\x85", 5);
    s.conn.ws_subprotocol = "<b>sub</b>";
    sim_packet(&s, 1001000, MQTTKA_C2S, 1);
    sim_finding(&s, MQTTKA_F_WS_FRAMING_ERROR, MQTTKA_ERROR, 3,
                "reason \"</title><script>x</script>\" <svg onload=1>");
    sim_close(&s, 2000000, MQTTKA_V_WS_CLOSE, "<img src=x onerror=alert(1)>");
    char *html = page(r, "hostile", 2000000, NULL);
    CHECK(strstr(html, "<script") == NULL);
    CHECK(strstr(html, "<img") == NULL);
    CHECK(strstr(html, "<svg onload") == NULL);
    CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\\x01\\xff\\u{0085}") != NULL);
    CHECK(strstr(html, "&lt;img src=x onerror=alert(1)&gt;") != NULL);
    CHECK(strstr(html, "&lt;b&gt;sub&lt;/b&gt;") != NULL);
    free(html);
    report_free(&r);
    CHECK(r == NULL);
}

/* One connection with 100 000 packets keeps its first and last ones only,
 * and the page says how many it left out. */
static void test_item_caps(void)
{
    report *r = new_report(5, 100, REPORT_ITEM_BUDGET_DEFAULT);
    const report_model *m = report_get_model(r);
    sim s;
    sim_start(&s, r, 7, 0, "busy", 60);
    sim_packet(&s, 100, MQTTKA_C2S, 1);
    for (int i = 0; i < 100000; i++)
        sim_packet(&s, 1000 + (mqttka_time)i * 1000, i % 2 ? MQTTKA_S2C : MQTTKA_C2S, 3);
    CHECK_EQ_INT(m->n_open, 1);
    const report_conn *c = m->open[0];
    for (size_t i = 0; !c && i < m->open_cap; i++)
        c = m->open[i];
    CHECK(c != NULL);
    CHECK_EQ_INT(c->n_head, REPORT_HEAD_ITEMS);
    CHECK_EQ_INT(c->n_tail, REPORT_TAIL_ITEMS);
    CHECK_EQ_INT(c->items_dropped, 100001 - REPORT_HEAD_ITEMS - REPORT_TAIL_ITEMS);
    CHECK(c->bytes <= (REPORT_HEAD_ITEMS + REPORT_TAIL_ITEMS) * sizeof(report_item));
    CHECK_EQ_INT(m->item_bytes, c->bytes);
    /* The tail is the last packets, in order. */
    report_item *items = malloc((c->n_head + c->n_tail) * sizeof *items);
    size_t n = report_conn_items(c, items);
    CHECK_EQ_INT(n, REPORT_HEAD_ITEMS + REPORT_TAIL_ITEMS);
    CHECK_EQ_INT(items[n - 1].ts, 1000 + (mqttka_time)99999 * 1000);
    for (size_t i = 1; i < n; i++)
        CHECK(items[i].ts > items[i - 1].ts);
    CHECK_EQ_INT(c->dropped_from, items[REPORT_HEAD_ITEMS - 1].ts + 1000);
    CHECK_EQ_INT(c->dropped_to, items[REPORT_HEAD_ITEMS].ts - 1000);
    free(items);
    sim_close(&s, 200000000, MQTTKA_V_CLIENT_CLOSED, "client closed");
    size_t len;
    char *html = page(r, "caps", 200000000, &len);
    CHECK(strstr(html, "98721 packets not drawn") != NULL);
    /* Marks: at most one per kept packet (ticks closer than 2.5 px merge). */
    CHECK(count(html, "class=\"pk\"") <= REPORT_HEAD_ITEMS + REPORT_TAIL_ITEMS);
    CHECK(len < 400000);
    free(html);
    report_free(&r);
}

/* Many open connections and a small budget: the budget holds, and the
 * connections it refused are counted. */
static void test_budget(void)
{
    size_t budget = 64 * 1024;
    report *r = new_report(5, 100, budget);
    const report_model *m = report_get_model(r);
    static sim sims[500];
    for (int i = 0; i < 500; i++) {
        sim_start(&sims[i], r, (uint64_t)i + 1, i * 1000, "budget", 5);
        for (int k = 0; k < 40; k++) {
            sim_packet(&sims[i], i * 1000 + k * 100000 + 10, MQTTKA_C2S, 3);
            CHECK(m->item_bytes <= budget);
        }
    }
    CHECK(m->starved > 0);
    CHECK(m->item_bytes_peak <= budget);
    for (int i = 0; i < 500; i++)
        sim_close(&sims[i], 10000000, MQTTKA_V_CLIENT_CLOSED, "client closed");
    CHECK_EQ_INT(m->n_open, 0);
    /* What is left is the detailed connections' timelines only. */
    size_t held = 0;
    for (size_t i = 0; i < m->detail.n; i++)
        held += m->detail.a[i]->bytes;
    CHECK_EQ_INT(m->item_bytes, held);
    char *html = page(r, "budget", 10000000, NULL);
    CHECK(strstr(html, "without a full timeline for want of budget") != NULL);
    free(html);
    report_free(&r);
}

/* 300 connections, 5 of them failed: with 3 details and 50 rows, the 3
 * drawn and the 50 listed are the most troubled (the failed ones first,
 * oldest first among equals). */
static void test_worst_selection(void)
{
    report *r = new_report(3, 50, REPORT_ITEM_BUDGET_DEFAULT);
    const report_model *m = report_get_model(r);
    for (uint64_t id = 1; id <= 300; id++) {
        if (id % 60 == 0)
            sim_failed(r, id, (mqttka_time)id * 10000);
        else
            sim_healthy(r, id, (mqttka_time)id * 10000, 2);
    }
    CHECK_EQ_INT(m->closed, 300);
    CHECK_EQ_INT(m->rows.n, 50);
    CHECK_EQ_INT(m->detail.n, 3);
    CHECK_EQ_INT(m->unlisted, 250);
    for (size_t i = 0; i < m->detail.n; i++) {
        const report_conn *c = m->detail.a[i];
        CHECK(c->id == 60 || c->id == 120 || c->id == 180);
        CHECK(c->n_head + c->n_tail > 0);
    }
    /* Every row not drawn holds no timeline. */
    for (size_t i = 0; i < m->rows.n; i++) {
        const report_conn *c = m->rows.a[i];
        if (c->heap_pos[1] < 0)
            CHECK(c->head == NULL && c->tail == NULL && c->findings == NULL && c->bytes == 0);
    }
    CHECK_EQ_INT(m->verdicts[MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP], 5);
    CHECK_EQ_INT(m->verdicts[MQTTKA_V_MQTT_DISCONNECT], 295);
    CHECK_EQ_INT(m->rtt_pairs, 295 * 2);
    char *html = page(r, "worst", 4000000000, NULL);
    CHECK_EQ_INT(count(html, "<section class=\"conn card"), 3);
    /* Their unanswered PINGREQs carry an error finding: drawn in its colour. */
    CHECK_EQ_INT(count(html, "<g class=\"un\" data-conn="), 3);
    CHECK_EQ_INT(count(html, "<tr id=\"row-"), 50);
    /* Worst first: the five failed connections head the table. */
    const char *rows = strstr(html, "<tr id=\"row-");
    CHECK(rows && strncmp(rows, "<tr id=\"row-60\"", 15) == 0);
    const char *sixth = rows;
    for (int i = 0; i < 5 && sixth; i++)
        sixth = strstr(sixth + 1, "<tr id=\"row-");
    CHECK(sixth && strstr(sixth, "data-verdict=\"mqtt_disconnect\"") ==
                       strstr(sixth, "data-verdict="));
    CHECK(strstr(html, "250 more connections are counted above but not listed") != NULL);
    /* More than LANES_MAX connections: counted per time step. */
    CHECK(strstr(html, "class=\"chart strip\"") != NULL);
    CHECK(strstr(html, "data-connections=\"300\"") != NULL);
    free(html);
    report_free(&r);
}

/* The client table keeps `rows` clients; later ones are counted together. */
static void test_client_cap(void)
{
    report *r = new_report(2, 10, REPORT_ITEM_BUDGET_DEFAULT);
    const report_model *m = report_get_model(r);
    for (uint64_t id = 1; id <= 20; id++)
        sim_healthy(r, id, (mqttka_time)id * 10000, 1);
    /* The same ten ids again: counted on their entries. */
    for (uint64_t id = 1; id <= 10; id++)
        sim_healthy(r, id, (mqttka_time)id * 20000, 1);
    CHECK_EQ_INT(m->n_clients, 10);
    CHECK_EQ_INT(m->other.connections, 10);
    for (size_t i = 0; i < m->n_clients; i++)
        CHECK_EQ_INT(m->clients[i].connections, 2);
    report_free(&r);
    /* An empty client id is grouped by address. */
    sim s;
    r = new_report(2, 10, REPORT_ITEM_BUDGET_DEFAULT);
    m = report_get_model(r);
    sim_start(&s, r, 1, 0, "", 5);
    sim_packet(&s, 10, MQTTKA_C2S, 1);
    sim_close(&s, 100, MQTTKA_V_CLIENT_CLOSED, "client closed");
    CHECK_EQ_INT(m->n_clients, 1);
    CHECK(m->clients[0].by_address);
    CHECK_EQ_STR(m->clients[0].key, "10.0.0.1");
    report_free(&r);
}

/* A snapshot while connections are open lists and draws them as open;
 * after their close, the next page has their verdicts. The model is not
 * changed by writing. */
static void test_snapshot(void)
{
    report *r = new_report(5, 100, REPORT_ITEM_BUDGET_DEFAULT);
    sim a, b;
    sim_start(&a, r, 1, 0, "open-a", 2);
    sim_packet(&a, 1000, MQTTKA_C2S, 1);
    sim_packet(&a, 1100, MQTTKA_S2C, 2);
    sim_packet(&a, 2000000, MQTTKA_C2S, 12);
    sim_start(&b, r, 2, 500000, "open-b", 2);
    sim_packet(&b, 501000, MQTTKA_C2S, 1);
    size_t len1, len2;
    char *first = page(r, "snapshot", 5000000, &len1);
    CHECK_EQ_INT(count(first, "<tr id=\"row-"), 2);
    CHECK_EQ_INT(count(first, "data-verdict=\"open\" data-pingreq"), 2);
    CHECK(strstr(first, "<section class=\"conn card v-open\" id=\"c1\"") != NULL);
    /* The PINGREQ of #1 is unanswered so far, with no finding yet: grey. */
    CHECK(strstr(first, "<g class=\"un n\" data-conn=\"1\" data-req-frame=\"") != NULL);
    CHECK(strstr(first, "still open \xe2\x86\x92") != NULL);
    char *again = page(r, "snapshot", 5000000, &len2);
    CHECK(len1 == len2 && memcmp(first, again, len1) == 0);
    free(again);
    sim_close(&a, 6000000, MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP, "PINGREQ unanswered");
    sim_close(&b, 6000000, MQTTKA_V_CLIENT_CLOSED, "client closed");
    char *final = page(r, "final", 6000000, NULL);
    CHECK(strstr(final, "data-verdict=\"open\" data-pingreq") == NULL);
    CHECK(strstr(final, "<tr id=\"row-1\" data-conn=\"1\" data-verdict=\"client_closed_missing_pingresp\"") != NULL);
    free(first);
    free(final);
    report_free(&r);
}

/* Times from hostile captures: backwards, and 20 years on. The bins stay
 * REPORT_STRIP_BINS wide and the page is written. */
static void test_strip_times(void)
{
    report *r = new_report(5, 100, REPORT_ITEM_BUDGET_DEFAULT);
    const report_model *m = report_get_model(r);
    sim_healthy(r, 1, 1000000000000, 1);
    sim_healthy(r, 2, 1000000000000 - 86400000000, 1);             /* a day back */
    sim_healthy(r, 3, 1000000000000 + 20 * 31557600000000LL, 1);   /* 20 years on */
    CHECK(m->strip_width > 20 * 31557600000000LL / REPORT_STRIP_BINS);
    CHECK(report_strip_bin(m, 1000000000000 + 20 * 31557600000000LL) < REPORT_STRIP_BINS);
    CHECK_EQ_INT(report_strip_bin(m, 0), 0);
    uint64_t starts = 0, ends = 0;
    for (size_t i = 0; i < REPORT_STRIP_BINS; i++)
        for (size_t v = 0; v < MQTTKA_V_COUNT; v++) {
            starts += m->strip_starts[i][v];
            ends += m->strip_ends[i][v];
        }
    CHECK_EQ_INT(starts, 3);
    CHECK_EQ_INT(ends, 3);
    char *html = page(r, "times", 1000000000000 + 20 * 31557600000000LL + 100000000, NULL);
    CHECK(strstr(html, "</html>") != NULL);
    free(html);
    report_free(&r);
    /* The extremes of a 64-bit timestamp. */
    r = new_report(5, 100, REPORT_ITEM_BUDGET_DEFAULT);
    sim_healthy(r, 1, INT64_MIN / 4, 1);
    sim_healthy(r, 2, INT64_MAX / 4, 1);
    html = page(r, "extremes", INT64_MAX / 4 + 100000000, NULL);
    CHECK(strstr(html, "</html>") != NULL);
    free(html);
    report_free(&r);
}

/* A connection the capture joined late (issue 13's start_seen false, with
 * its keepalive unknown) is drawn on a torn edge, with no deadlines. */
static void test_late_join(void)
{
    report_conn c;
    memset(&c, 0, sizeof c);
    c.id = 4;
    c.start_seen = false;
    c.keepalive = c.server_keepalive = c.effective_keepalive = -1;
    c.start = 10000000;
    c.end = 40000000;
    c.closed = true;
    c.verdict = MQTTKA_V_CLIENT_CLOSED;
    c.close_mechanism = MQTTKA_CLOSE_FIN;
    c.close_initiator = MQTTKA_SIDE_CLIENT;
    c.close_ts = 39000000;
    c.close_frame = 99;
    c.ws_close_code = c.disconnect_reason = -1;
    report_item items[4] = {
        {.ts = 15000000, .frame = 50, .kind = REPORT_ITEM_MQTT, .dir = MQTTKA_C2S, .type = 12},
        {.ts = 15000200, .frame = 51, .pair_frame = 50, .value = 200, .kind = REPORT_ITEM_MQTT,
         .dir = MQTTKA_S2C, .type = 13},
        {.ts = 25000000, .frame = 60, .kind = REPORT_ITEM_MQTT, .dir = MQTTKA_C2S, .type = 12},
        {.ts = 25000300, .frame = 61, .pair_frame = 60, .value = 300, .kind = REPORT_ITEM_MQTT,
         .dir = MQTTKA_S2C, .type = 13},
    };
    c.head = items;
    c.n_head = c.cap_head = 4;
    report_timeline t = {.conn = &c, .items = items, .n_items = 4, .origin = 0,
                         .view_end = 40000000, .label = "late"};
    report_timeline_window(&c, items, 4, 40000000, &t.from, &t.to);
    CHECK(t.from < c.start && t.to > c.close_ts);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    line_buffer b;
    line_buffer_init(&b, f);
    report_svg_timeline(&b, &t);
    line_buffer_flush(&b);
    fclose(f);
    CHECK(strstr(buf, "class=\"late-join\"") != NULL);
    CHECK(strstr(buf, "joined after start") != NULL);
    CHECK(strstr(buf, "keepalive unknown: no deadlines") != NULL);
    CHECK(strstr(buf, "class=\"dl1\"") == NULL);
    CHECK_EQ_INT(count(buf, "<g class=\"pair\""), 2);
    CHECK(strstr(buf, "<g class=\"close\" data-conn=\"4\" data-initiator=\"client\" "
                      "data-mechanism=\"fin\" data-frame=\"99\"") != NULL);
    if (out_dir) {
        char path[512];
        snprintf(path, sizeof path, "%s/late-join.html", out_dir);
        FILE *o = fopen(path, "w");
        if (o) {
            fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'\"><title>late join</title></head><body>\n", o);
            fwrite(buf, 1, size, o);
            fputs("</body></html>\n", o);
            fclose(o);
        }
    }
    free(buf);
}

/* No connection at all: still a page, which says so. */
static void test_empty(void)
{
    report *r = new_report(5, 100, REPORT_ITEM_BUDGET_DEFAULT);
    char *html = page(r, "empty", MQTTKA_TIME_NONE, NULL);
    CHECK(strstr(html, "No MQTT connection was found") != NULL);
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "</html>\n") != NULL);
    free(html);
    report_free(&r);
    report_event(NULL, NULL); /* no report: nothing happens */
}

/* The silence lane: a client silent past KAe and 1.5 x KAe is drawn with
 * both bands; one that pinged in time has neither. */
static void test_silence_bands(void)
{
    report *r = new_report(5, 100, REPORT_ITEM_BUDGET_DEFAULT);
    sim s;
    sim_start(&s, r, 1, 0, "frozen", 2);
    sim_packet(&s, 1000, MQTTKA_C2S, 1);
    sim_packet(&s, 1100, MQTTKA_S2C, 2);
    sim_packet(&s, 2000000, MQTTKA_C2S, 12); /* 1.0 KA: in time */
    sim_packet(&s, 2000100, MQTTKA_S2C, 13);
    sim_close(&s, 7000000, MQTTKA_V_SERVER_CLOSED_KEEPALIVE, "server closed after 5 s");
    char *html = page(r, "bands", 7000000, NULL);
    const char *timeline = strstr(html, "<svg class=\"chart timeline\"");
    CHECK(timeline != NULL);
    if (timeline) {
        CHECK_EQ_INT(count(timeline, "<rect class=\"late\""), 1);
        CHECK_EQ_INT(count(timeline, "<rect class=\"over\""), 1);
        CHECK(strstr(timeline, ">1.5 KAe</text>") != NULL);
    }
    free(html);
    report_free(&r);
}

int main(int argc, char **argv)
{
    out_dir = argc > 1 ? argv[1] : NULL;
    test_escaping();
    test_hostile_strings();
    test_item_caps();
    test_budget();
    test_worst_selection();
    test_client_cap();
    test_snapshot();
    test_strip_times();
    test_late_join();
    test_empty();
    test_silence_bands();
    return th_report();
}
