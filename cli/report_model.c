/*
 * report_model.c - the report's memory of the events: open connections
 * collecting their timelines under one byte budget, closed ones ranked by
 * trouble in two bounded heaps, and the counts behind the page's charts.
 */
#include "report_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First sizes of the growing arrays (then doubled up to their caps). */
#define HEAD_FIRST 16u
#define TAIL_FIRST 16u
#define FINDINGS_FIRST 4u
#define OPEN_FIRST 64u
#define CLIENTS_FIRST 64u

enum { HEAP_ROWS = 0, HEAP_DETAIL = 1 };

/* ------------------------------------------------------------------------ */
/* Ranking                                                                   */

unsigned report_verdict_rank(unsigned verdict, int32_t disconnect_reason)
{
    switch (verdict) {
    case MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP: return 14;
    case MQTTKA_V_SERVER_CLOSED_KEEPALIVE: return 13;
    case MQTTKA_V_MQTT_DISCONNECT:
        /* 0x8D is the server's "Keep Alive timeout"; any reason from 0x80
         * is an error (MQTT 5.0 §3.14.2.1). */
        if (disconnect_reason == 0x8D)
            return 12;
        return disconnect_reason >= 0x80 ? 9 : 2;
    case MQTTKA_V_INTERMEDIARY_IDLE_CLOSE: return 10;
    case MQTTKA_V_RESET: return 8;
    case MQTTKA_V_WS_CLOSE: return 6;
    case MQTTKA_V_SERVER_CLOSED: return 5;
    case MQTTKA_V_CLIENT_CLOSED: return 3;
    case MQTTKA_V_OPEN: return 0;
    default: return 7; /* a verdict newer than this file */
    }
}

static uint64_t saturate(uint64_t v, unsigned bits)
{
    uint64_t max = (UINT64_C(1) << bits) - 1;
    return v > max ? max : v;
}

uint64_t report_conn_score(const report_conn *c)
{
    uint64_t worst = c->severity_count[MQTTKA_ERROR] ? 2 : c->severity_count[MQTTKA_WARN] ? 1 : 0;
    uint64_t issues = (uint64_t)c->severity_count[MQTTKA_WARN] + c->severity_count[MQTTKA_ERROR];
    uint64_t rank = report_verdict_rank(c->closed ? c->verdict : MQTTKA_V_OPEN, c->disconnect_reason);
    return worst << 60 | rank << 52 | saturate(issues, 24) << 28 | saturate(c->unanswered, 28);
}

bool report_conn_worse(const report_conn *a, const report_conn *b)
{
    return a->score != b->score ? a->score > b->score : a->id < b->id;
}

/* ------------------------------------------------------------------------ */
/* The heaps: least troubled on top, each connection knowing its place.     */

static void heap_set(report_heap *h, size_t i, report_conn *c)
{
    h->a[i] = c;
    c->heap_pos[h->which] = (int32_t)i;
}

static void heap_up(report_heap *h, size_t i)
{
    report_conn *c = h->a[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!report_conn_worse(h->a[parent], c))
            break;
        heap_set(h, i, h->a[parent]);
        i = parent;
    }
    heap_set(h, i, c);
}

static void heap_down(report_heap *h, size_t i)
{
    report_conn *c = h->a[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && report_conn_worse(h->a[child], h->a[child + 1]))
            child++;
        if (!report_conn_worse(c, h->a[child]))
            break;
        heap_set(h, i, h->a[child]);
        i = child;
    }
    heap_set(h, i, c);
}

static void heap_push(report_heap *h, report_conn *c)
{
    h->a[h->n] = c;
    heap_up(h, h->n++);
}

static void heap_remove(report_heap *h, report_conn *c)
{
    size_t i = (size_t)c->heap_pos[h->which];
    c->heap_pos[h->which] = -1;
    h->n--;
    if (i == h->n)
        return;
    heap_set(h, i, h->a[h->n]);
    heap_up(h, i);
    heap_down(h, (size_t)h->a[i]->heap_pos[h->which]);
}

static bool heap_init(report_heap *h, size_t cap, int which)
{
    h->n = 0;
    h->cap = cap;
    h->which = which;
    h->a = cap ? calloc(cap, sizeof *h->a) : NULL;
    return !cap || h->a;
}

/* ------------------------------------------------------------------------ */
/* The budget                                                                */

static bool budget_take(report_model *m, report_conn *c, size_t bytes)
{
    if (bytes > m->limits.item_budget - m->item_bytes)
        return false;
    m->item_bytes += bytes;
    c->bytes += bytes;
    if (m->item_bytes > m->item_bytes_peak)
        m->item_bytes_peak = m->item_bytes;
    return true;
}

/* Frees a connection's timeline and findings; its row stays. */
static void conn_strip(report_model *m, report_conn *c)
{
    for (uint32_t i = 0; i < c->n_findings; i++)
        free(c->findings[i].detail);
    free(c->findings);
    free(c->head);
    free(c->tail);
    c->findings = NULL;
    c->head = c->tail = NULL;
    c->n_findings = c->cap_findings = 0;
    c->n_head = c->cap_head = c->n_tail = c->cap_tail = c->tail_start = 0;
    m->item_bytes -= c->bytes;
    c->bytes = 0;
}

static void conn_free(report_model *m, report_conn *c)
{
    conn_strip(m, c);
    free(c->verdict_detail);
    free(c);
}

/* ------------------------------------------------------------------------ */
/* Open connections by id                                                    */

static size_t open_slot(const report_model *m, uint64_t id)
{
    return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (m->open_cap - 1);
}

static report_conn *open_find(const report_model *m, uint64_t id)
{
    if (!m->open_cap)
        return NULL;
    for (size_t i = open_slot(m, id);; i = (i + 1) & (m->open_cap - 1)) {
        report_conn *c = m->open[i];
        if (!c || c->id == id)
            return c;
    }
}

static bool open_insert(report_model *m, report_conn *c)
{
    if (m->n_open + 1 > m->open_cap / 2) {
        size_t cap = m->open_cap ? m->open_cap * 2 : OPEN_FIRST;
        report_conn **old = m->open;
        size_t old_cap = m->open_cap;
        report_conn **grown = calloc(cap, sizeof *grown);
        if (!grown)
            return false;
        m->open = grown;
        m->open_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i]) {
                size_t j = open_slot(m, old[i]->id);
                while (m->open[j])
                    j = (j + 1) & (cap - 1);
                m->open[j] = old[i];
            }
        free(old);
    }
    size_t i = open_slot(m, c->id);
    while (m->open[i])
        i = (i + 1) & (m->open_cap - 1);
    m->open[i] = c;
    m->n_open++;
    return true;
}

/* Removes by backward shift, so that no tombstones accumulate. */
static void open_remove(report_model *m, const report_conn *c)
{
    size_t mask = m->open_cap - 1;
    size_t i = open_slot(m, c->id);
    while (m->open[i] != c)
        i = (i + 1) & mask;
    size_t hole = i;
    for (size_t j = (hole + 1) & mask; m->open[j]; j = (j + 1) & mask) {
        size_t home = open_slot(m, m->open[j]->id);
        /* m->open[j] may move to the hole if its home is not in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            m->open[hole] = m->open[j];
            hole = j;
        }
    }
    m->open[hole] = NULL;
    m->n_open--;
}

size_t report_model_open(const report_model *m, report_conn **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->open_cap && n < max; i++)
        if (m->open[i])
            out[n++] = m->open[i];
    return n;
}

/* ------------------------------------------------------------------------ */
/* Clients                                                                   */

static uint64_t hash_key(const char *key, bool by_address)
{
    uint64_t h = by_address ? UINT64_C(1469598103934665603) ^ 0xff : UINT64_C(1469598103934665603);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return h;
}

static bool client_index_grow(report_model *m)
{
    size_t cap = m->client_index_cap ? m->client_index_cap * 2 : CLIENTS_FIRST * 2;
    uint32_t *index = calloc(cap, sizeof *index);
    if (!index)
        return false;
    for (size_t e = 0; e < m->n_clients; e++) {
        size_t i = (size_t)hash_key(m->clients[e].key, m->clients[e].by_address) & (cap - 1);
        while (index[i])
            i = (i + 1) & (cap - 1);
        index[i] = (uint32_t)e + 1;
    }
    free(m->client_index);
    m->client_index = index;
    m->client_index_cap = cap;
    return true;
}

/* The entry of a key, added when there is room; REPORT_CLIENT_OTHER when
 * the table is full (or memory is). */
static int32_t client_lookup(report_model *m, const char *key, bool by_address)
{
    size_t cap_entries = m->limits.rows;
    if (cap_entries == 0)
        return REPORT_CLIENT_OTHER;
    if (!m->client_index_cap && !client_index_grow(m))
        return REPORT_CLIENT_OTHER;
    uint64_t h = hash_key(key, by_address);
    size_t mask = m->client_index_cap - 1;
    size_t i = (size_t)h & mask;
    for (; m->client_index[i]; i = (i + 1) & mask) {
        report_client *e = &m->clients[m->client_index[i] - 1];
        if (e->by_address == by_address && strcmp(e->key, key) == 0)
            return (int32_t)(m->client_index[i] - 1);
    }
    if (m->n_clients >= cap_entries)
        return REPORT_CLIENT_OTHER;
    if (m->n_clients == m->cap_clients) {
        size_t cap = m->cap_clients ? m->cap_clients * 2 : CLIENTS_FIRST;
        if (cap > cap_entries)
            cap = cap_entries;
        report_client *grown = realloc(m->clients, cap * sizeof *grown);
        if (!grown) {
            m->out_of_memory = true;
            return REPORT_CLIENT_OTHER;
        }
        m->clients = grown;
        m->cap_clients = cap;
    }
    if ((m->n_clients + 1) * 2 > m->client_index_cap) {
        if (!client_index_grow(m)) {
            m->out_of_memory = true;
            return REPORT_CLIENT_OTHER;
        }
        /* The free slot the key probes to in the grown index. */
        mask = m->client_index_cap - 1;
        i = (size_t)h & mask;
        while (m->client_index[i])
            i = (i + 1) & mask;
    }
    report_client *e = &m->clients[m->n_clients];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    e->by_address = by_address;
    e->first = e->last = MQTTKA_TIME_NONE;
    m->client_index[i] = (uint32_t)++m->n_clients;
    return (int32_t)(m->n_clients - 1);
}

static report_client *client_of(report_model *m, const report_conn *c)
{
    return c->client_index >= 0 ? &m->clients[c->client_index] : &m->other;
}

/* Counts the connection for its client: once it has a client id (its
 * CONNECT), or at its close when it never had one. */
static void client_count(report_model *m, report_conn *c)
{
    if (c->client_index != REPORT_CLIENT_NONE)
        return;
    char key[MQTTKA_CLIENT_ID_SIZE];
    bool by_address = c->client_id[0] == '\0';
    if (by_address) {
        mqttka_endpoint host = c->client;
        host.port = 0;
        mqttka_endpoint_format(&host, key, sizeof key);
        /* "1.2.3.4:0" -> "1.2.3.4"; "[::1]:0" -> "[::1]" */
        char *colon = strrchr(key, ':');
        if (colon)
            *colon = '\0';
    } else {
        snprintf(key, sizeof key, "%s", c->client_id);
    }
    c->client_index = client_lookup(m, key, by_address);
    report_client *e = client_of(m, c);
    e->connections++;
    e->open++;
    if (e->first == MQTTKA_TIME_NONE || c->start < e->first)
        e->first = c->start;
    if (e->last == MQTTKA_TIME_NONE || c->start > e->last)
        e->last = c->start;
}

static void client_close(report_model *m, report_conn *c)
{
    client_count(m, c);
    report_client *e = client_of(m, c);
    if (e->open)
        e->open--;
    if (c->verdict < MQTTKA_V_COUNT)
        e->verdicts[c->verdict]++;
    e->unanswered += c->unanswered;
    e->warn += c->severity_count[MQTTKA_WARN];
    e->error += c->severity_count[MQTTKA_ERROR];
    if (!e->worst_conn || c->score > e->worst_score ||
        (c->score == e->worst_score && c->id < e->worst_conn)) {
        e->worst_score = c->score;
        e->worst_conn = c->id;
    }
}

/* ------------------------------------------------------------------------ */
/* Strip chart bins and the RTT histogram                                    */

static void strip_merge(report_model *m)
{
    for (size_t i = 0; i < REPORT_STRIP_BINS / 2; i++)
        for (size_t v = 0; v < MQTTKA_V_COUNT; v++) {
            m->strip_starts[i][v] = m->strip_starts[2 * i][v] + m->strip_starts[2 * i + 1][v];
            m->strip_ends[i][v] = m->strip_ends[2 * i][v] + m->strip_ends[2 * i + 1][v];
        }
    memset(m->strip_starts + REPORT_STRIP_BINS / 2, 0,
           REPORT_STRIP_BINS / 2 * sizeof *m->strip_starts);
    memset(m->strip_ends + REPORT_STRIP_BINS / 2, 0, REPORT_STRIP_BINS / 2 * sizeof *m->strip_ends);
    m->strip_width *= 2;
}

size_t report_strip_bin(const report_model *m, mqttka_time t)
{
    if (m->strip_origin == MQTTKA_TIME_NONE || t == MQTTKA_TIME_NONE || t <= m->strip_origin)
        return 0;
    uint64_t offset = (uint64_t)t - (uint64_t)m->strip_origin;
    uint64_t bin = offset / (uint64_t)m->strip_width;
    return bin >= REPORT_STRIP_BINS ? REPORT_STRIP_BINS - 1 : (size_t)bin;
}

mqttka_time report_strip_bin_start(const report_model *m, size_t bin)
{
    return report_time_add(m->strip_origin, (mqttka_time)bin * m->strip_width);
}

/* Widens the bins until `t` falls inside them (times going backwards fall
 * in the first; a width that would overflow stops growing, and the last
 * bin takes the rest). */
static void strip_cover(report_model *m, mqttka_time t)
{
    if (t == MQTTKA_TIME_NONE || t <= m->strip_origin)
        return;
    uint64_t offset = (uint64_t)t - (uint64_t)m->strip_origin;
    while (offset / (uint64_t)m->strip_width >= REPORT_STRIP_BINS &&
           m->strip_width <= INT64_MAX / (4 * (mqttka_time)REPORT_STRIP_BINS))
        strip_merge(m);
}

void report_model_extend(report_model *m, mqttka_time t)
{
    if (m->strip_origin != MQTTKA_TIME_NONE)
        strip_cover(m, t);
}

static void strip_add(report_model *m, const report_conn *c)
{
    if (!m->strip_starts)
        return;
    if (m->strip_origin == MQTTKA_TIME_NONE)
        m->strip_origin = c->start;
    mqttka_time end = c->end != MQTTKA_TIME_NONE ? c->end : c->start;
    strip_cover(m, end);
    unsigned v = c->verdict < MQTTKA_V_COUNT ? c->verdict : MQTTKA_V_OPEN;
    m->strip_starts[report_strip_bin(m, c->start)][v]++;
    m->strip_ends[report_strip_bin(m, end)][v]++;
}

/* 10^(k/4) for k = 0..3, the edges of one decade. */
static const double rtt_quarter_decade[REPORT_RTT_PER_DECADE] = {
    1.0, 1.7782794100389228, 3.1622776601683795, 5.6234132519034912,
};

double report_rtt_bin_low(size_t bin)
{
    if (bin == 0)
        return 0.0;
    size_t k = bin - 1;
    double decade = 1.0;
    for (size_t d = 0; d < k / REPORT_RTT_PER_DECADE; d++)
        decade *= 10.0;
    return decade * rtt_quarter_decade[k % REPORT_RTT_PER_DECADE];
}

size_t report_rtt_bin(mqttka_time rtt)
{
    if (rtt < 1)
        return 0;
    size_t bin = 1;
    while (bin + 1 < REPORT_RTT_BINS && (double)rtt >= report_rtt_bin_low(bin + 1))
        bin++;
    return bin;
}

/* ------------------------------------------------------------------------ */
/* Collecting                                                                */

static void note_dropped(report_conn *c, mqttka_time ts)
{
    if (!c->items_dropped++)
        c->dropped_from = ts;
    c->dropped_to = ts;
}

static bool grow_items(report_model *m, report_conn *c, report_item **items, uint32_t *cap,
                       uint32_t first, uint32_t max)
{
    uint32_t grown_cap = *cap ? *cap * 2 : first;
    if (grown_cap > max)
        grown_cap = max;
    if (grown_cap <= *cap || !budget_take(m, c, (size_t)(grown_cap - *cap) * sizeof **items))
        return false;
    report_item *grown = realloc(*items, (size_t)grown_cap * sizeof *grown);
    if (!grown) {
        m->item_bytes -= (size_t)(grown_cap - *cap) * sizeof **items;
        c->bytes -= (size_t)(grown_cap - *cap) * sizeof **items;
        m->out_of_memory = true;
        return false;
    }
    *items = grown;
    *cap = grown_cap;
    return true;
}

static void conn_add_item(report_model *m, report_conn *c, const report_item *it)
{
    /* The head fills first, and only until the tail has begun. */
    if (c->n_tail == 0 && !c->items_dropped && c->n_head < REPORT_HEAD_ITEMS) {
        if (c->n_head < c->cap_head ||
            grow_items(m, c, &c->head, &c->cap_head, HEAD_FIRST, REPORT_HEAD_ITEMS)) {
            c->head[c->n_head++] = *it;
            return;
        }
    }
    if (c->n_tail == c->cap_tail && c->cap_tail < REPORT_TAIL_ITEMS) {
        /* Grow the ring: put it in order first (it is full, so it holds
         * cap_tail items starting at tail_start). */
        if (c->tail_start) {
            report_item *ordered = malloc((size_t)c->cap_tail * sizeof *ordered);
            if (ordered) {
                uint32_t first_part = c->cap_tail - c->tail_start;
                memcpy(ordered, c->tail + c->tail_start, first_part * sizeof *ordered);
                memcpy(ordered + first_part, c->tail, c->tail_start * sizeof *ordered);
                free(c->tail);
                c->tail = ordered;
                c->tail_start = 0;
            }
        }
        if (!c->tail_start)
            (void)grow_items(m, c, &c->tail, &c->cap_tail, TAIL_FIRST, REPORT_TAIL_ITEMS);
    }
    if (c->cap_tail == 0) {
        c->detail_starved = true;
        note_dropped(c, it->ts);
        return;
    }
    if (c->n_tail < c->cap_tail) {
        c->tail[(c->tail_start + c->n_tail) % c->cap_tail] = *it;
        c->n_tail++;
        return;
    }
    /* Full: the oldest of the tail falls into the dropped middle. */
    note_dropped(c, c->tail[c->tail_start].ts);
    c->tail[c->tail_start] = *it;
    c->tail_start = (c->tail_start + 1) % c->cap_tail;
}

size_t report_conn_items(const report_conn *c, report_item *out)
{
    size_t n = 0;
    for (uint32_t i = 0; i < c->n_head; i++)
        out[n++] = c->head[i];
    for (uint32_t i = 0; i < c->n_tail; i++)
        out[n++] = c->tail[(c->tail_start + i) % c->cap_tail];
    return n;
}

static void conn_add_finding(report_model *m, report_conn *c, const mqttka_finding *f)
{
    if (f->severity <= MQTTKA_ERROR)
        c->severity_count[f->severity]++;
    if (c->n_findings == c->cap_findings) {
        uint32_t cap = c->cap_findings ? c->cap_findings * 2 : FINDINGS_FIRST;
        if (cap > REPORT_FINDINGS_MAX)
            cap = REPORT_FINDINGS_MAX;
        report_finding *grown = NULL;
        size_t more = (size_t)(cap - c->cap_findings) * sizeof *grown;
        if (cap > c->cap_findings && budget_take(m, c, more)) {
            grown = realloc(c->findings, (size_t)cap * sizeof *grown);
            if (grown) {
                c->findings = grown;
                c->cap_findings = cap;
            } else {
                m->item_bytes -= more;
                c->bytes -= more;
                m->out_of_memory = true;
            }
        }
        if (!grown) {
            c->findings_dropped++;
            return;
        }
    }
    size_t len = strnlen(f->detail, sizeof f->detail);
    char *detail = NULL;
    if (budget_take(m, c, len + 1)) {
        detail = malloc(len + 1);
        if (detail) {
            memcpy(detail, f->detail, len);
            detail[len] = '\0';
        } else {
            m->item_bytes -= len + 1;
            c->bytes -= len + 1;
            m->out_of_memory = true;
        }
    }
    if (!detail) {
        c->findings_dropped++;
        return;
    }
    report_finding *kept = &c->findings[c->n_findings++];
    kept->ts = f->ts;
    kept->frame = f->tag;
    kept->reported_frame = f->reported_tag;
    kept->kind = (uint16_t)f->kind;
    kept->severity = (uint8_t)f->severity;
    kept->dir = (uint8_t)f->dir;
    kept->detail = detail;
}

/* Who the connection is, as the core knows it now. */
static void conn_identity(report_conn *c, const mqttka_connection *k)
{
    c->client = k->client;
    c->server = k->server;
    c->transport = (uint8_t)k->transport;
    c->ws_upgraded = k->ws_upgraded;
    c->mqtt_level = k->mqtt_level;
    c->keepalive = k->keepalive;
    c->server_keepalive = k->server_keepalive;
    c->effective_keepalive = k->effective_keepalive;
    c->start_seen = k->start_seen; /* false: joined after it began */
    if (k->start != MQTTKA_TIME_NONE)
        c->start = k->start;
    if (k->first_tag)
        c->first_frame = k->first_tag;
    if (k->client_id && k->client_id[0])
        snprintf(c->client_id, sizeof c->client_id, "%s", k->client_id);
    if (k->ws_subprotocol && k->ws_subprotocol[0])
        snprintf(c->ws_subprotocol, sizeof c->ws_subprotocol, "%s", k->ws_subprotocol);
}

static report_conn *conn_new(report_model *m, const mqttka_connection *k)
{
    report_conn *c = calloc(1, sizeof *c);
    if (!c) {
        m->out_of_memory = true;
        return NULL;
    }
    c->id = k->id;
    c->start = c->end = MQTTKA_TIME_NONE;
    c->close_ts = MQTTKA_TIME_NONE;
    c->max_client_silence = MQTTKA_TIME_NONE;
    c->last_client_packet = MQTTKA_TIME_NONE;
    c->ws_close_code = -1;
    c->disconnect_reason = -1;
    c->client_index = REPORT_CLIENT_NONE;
    c->heap_pos[0] = c->heap_pos[1] = -1;
    conn_identity(c, k);
    if (!open_insert(m, c)) {
        free(c);
        m->out_of_memory = true;
        return NULL;
    }
    if (m->strip_origin == MQTTKA_TIME_NONE && c->start != MQTTKA_TIME_NONE)
        m->strip_origin = c->start;
    report_model_extend(m, c->start);
    return c;
}

static int32_t saturated_us(mqttka_time t)
{
    if (t < 0)
        return 0;
    return t > INT32_MAX ? INT32_MAX : (int32_t)t;
}

static void on_mqtt(report_model *m, report_conn *c, const mqttka_event *ev)
{
    const mqttka_mqtt_packet *p = &ev->u.mqtt;
    report_item it = {
        .ts = ev->ts, .frame = ev->tag, .kind = REPORT_ITEM_MQTT,
        .dir = (uint8_t)ev->dir, .type = p->type, .flags = p->flags,
    };
    c->packets[ev->dir == MQTTKA_S2C]++;
    if (ev->dir == MQTTKA_C2S) {
        c->last_client_packet = ev->ts;
        if (p->type == 12)
            c->pingreq++;
    } else if (p->type == 13) {
        c->pingresp++;
        if (p->rtt != MQTTKA_TIME_NONE) {
            it.pair_frame = p->pair_tag;
            it.value = saturated_us(p->rtt);
            m->rtt[report_rtt_bin(p->rtt)]++;
            if (!m->rtt_pairs || p->rtt < m->rtt_min)
                m->rtt_min = p->rtt;
            if (!m->rtt_pairs || p->rtt > m->rtt_max)
                m->rtt_max = p->rtt;
            m->rtt_pairs++;
        }
    }
    conn_add_item(m, c, &it);
    if (p->connect)
        client_count(m, c);
}

static void on_summary(report_model *m, report_conn *c, const mqttka_summary *s)
{
    if (s->conn)
        conn_identity(c, s->conn);
    c->end = s->conn ? s->conn->end : c->end;
    c->last_frame = s->conn ? s->conn->last_tag : c->last_frame;
    c->closed = true;
    c->packets[0] = c->packets[1] = 0;
    for (size_t t = 0; t < MQTTKA_MQTT_TYPES; t++) {
        c->packets[0] += s->packets[MQTTKA_C2S][t];
        c->packets[1] += s->packets[MQTTKA_S2C][t];
    }
    c->pingreq = s->pingreq;
    c->pingresp = s->pingresp;
    c->unanswered = s->pingreq_unanswered;
    c->rtt_count = s->rtt_count;
    c->rtt_min = s->rtt_min;
    c->rtt_median = s->rtt_median;
    c->rtt_p95 = s->rtt_p95;
    c->rtt_max = s->rtt_max;
    c->max_client_silence = s->max_client_silence;
    c->close_initiator = (uint8_t)s->close_initiator;
    c->close_mechanism = (uint8_t)s->close_mechanism;
    c->ws_close_code = s->ws_close_code;
    c->disconnect_reason = s->disconnect_reason;
    c->close_ts = s->close_ts;
    c->close_frame = s->close_tag;
    c->verdict = (uint8_t)s->verdict;
    size_t len = strnlen(s->verdict_detail, sizeof s->verdict_detail);
    c->verdict_detail = malloc(len + 1);
    if (c->verdict_detail) {
        memcpy(c->verdict_detail, s->verdict_detail, len);
        c->verdict_detail[len] = '\0';
    } else {
        m->out_of_memory = true;
    }
    c->score = report_conn_score(c);

    open_remove(m, c);
    m->closed++;
    if (c->verdict < MQTTKA_V_COUNT)
        m->verdicts[c->verdict]++;
    m->pingreq += c->pingreq;
    m->pingresp += c->pingresp;
    m->unanswered += c->unanswered;
    strip_add(m, c);
    client_close(m, c);

    /* Listed? */
    if (m->rows.n == m->rows.cap) {
        report_conn *least = m->rows.n ? m->rows.a[0] : NULL;
        if (!least || !report_conn_worse(c, least)) {
            m->unlisted++;
            conn_free(m, c);
            return;
        }
        heap_remove(&m->rows, least);
        if (least->heap_pos[HEAP_DETAIL] >= 0)
            heap_remove(&m->detail, least);
        m->unlisted++;
        conn_free(m, least);
    }
    heap_push(&m->rows, c);
    /* Drawn? */
    if (m->detail.n == m->detail.cap) {
        report_conn *least = m->detail.n ? m->detail.a[0] : NULL;
        if (!least || !report_conn_worse(c, least)) {
            conn_strip(m, c);
            return;
        }
        heap_remove(&m->detail, least);
        conn_strip(m, least);
    }
    heap_push(&m->detail, c);
}

void report_model_event(report_model *m, const mqttka_event *ev)
{
    const mqttka_connection *k = ev->conn;
    if (ev->type == MQTTKA_EV_CONNECTION && ev->u.summary && ev->u.summary->conn)
        k = ev->u.summary->conn;
    if (!k)
        return;
    if (ev->ts != MQTTKA_TIME_NONE) {
        if (m->first_ts == MQTTKA_TIME_NONE || ev->ts < m->first_ts)
            m->first_ts = ev->ts;
        if (m->last_ts == MQTTKA_TIME_NONE || ev->ts > m->last_ts)
            m->last_ts = ev->ts;
    }
    report_conn *c = open_find(m, k->id);
    if (!c) {
        c = conn_new(m, k);
        if (!c)
            return;
    }
    bool starved_before = c->detail_starved;
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE: {
        conn_identity(c, k);
        report_item it = {
            .ts = ev->ts, .frame = ev->tag, .kind = REPORT_ITEM_HANDSHAKE,
            .dir = (uint8_t)ev->dir, .value = ev->u.handshake.status,
            .flags = ev->u.handshake.upgraded,
        };
        conn_add_item(m, c, &it);
        break;
    }
    case MQTTKA_EV_WS_CONTROL: {
        report_item it = {
            .ts = ev->ts, .frame = ev->tag, .kind = REPORT_ITEM_WS_CONTROL,
            .dir = (uint8_t)ev->dir, .type = ev->u.control.opcode,
            .value = ev->u.control.close_code,
        };
        conn_add_item(m, c, &it);
        break;
    }
    case MQTTKA_EV_MQTT_PACKET:
        if (ev->u.mqtt.connect || ev->u.mqtt.connack)
            conn_identity(c, k);
        on_mqtt(m, c, ev);
        break;
    case MQTTKA_EV_FINDING: {
        const mqttka_finding *f = ev->u.finding;
        if (!f)
            break;
        if ((size_t)f->kind < MQTTKA_F_COUNT)
            m->kinds[f->kind]++;
        if (f->severity <= MQTTKA_ERROR)
            m->severities[f->severity]++;
        /* Per-ping RTTs are drawn as the ping pairs they describe. */
        if (f->kind != MQTTKA_F_PINGRESP_RTT)
            conn_add_finding(m, c, f);
        break;
    }
    case MQTTKA_EV_CONNECTION:
        if (ev->u.summary)
            on_summary(m, c, ev->u.summary);
        return;
    default:
        break;
    }
    if (!starved_before && c->detail_starved)
        m->starved++;
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                                */

bool report_model_init(report_model *m, const report_limits *limits)
{
    memset(m, 0, sizeof *m);
    m->limits = *limits;
    if (m->limits.detail > m->limits.rows)
        m->limits.detail = m->limits.rows;
    m->strip_origin = MQTTKA_TIME_NONE;
    m->strip_width = REPORT_STRIP_FIRST_WIDTH;
    m->first_ts = m->last_ts = MQTTKA_TIME_NONE;
    m->other.first = m->other.last = MQTTKA_TIME_NONE;
    m->strip_starts = calloc(REPORT_STRIP_BINS, sizeof *m->strip_starts);
    m->strip_ends = calloc(REPORT_STRIP_BINS, sizeof *m->strip_ends);
    if (!m->strip_starts || !m->strip_ends || !heap_init(&m->rows, m->limits.rows, HEAP_ROWS) ||
        !heap_init(&m->detail, m->limits.detail, HEAP_DETAIL)) {
        report_model_release(m);
        return false;
    }
    return true;
}

void report_model_release(report_model *m)
{
    for (size_t i = 0; i < m->open_cap; i++)
        if (m->open[i])
            conn_free(m, m->open[i]);
    for (size_t i = 0; i < m->rows.n; i++)
        conn_free(m, m->rows.a[i]);
    free(m->open);
    free(m->rows.a);
    free(m->detail.a);
    free(m->clients);
    free(m->client_index);
    free(m->strip_starts);
    free(m->strip_ends);
    memset(m, 0, sizeof *m);
}
