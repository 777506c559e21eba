/*
 * metrics.c - the Prometheus endpoint of a live capture (metrics.h).
 *
 * Exposition format: https://prometheus.io/docs/instrumenting/exposition_formats/
 * (text format 0.0.4): "# HELP" and "# TYPE" once per family before its
 * samples, label values escaped (\\, \", \n), a histogram as cumulative
 * _bucket{le=...} series ending with le="+Inf", then _sum and _count.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "format.h"
#include "microhttpd_loader.h"

/* The RTT histogram's upper bounds, in microseconds (0.1 ms to 10 s; the
 * +Inf bucket follows). */
static const uint64_t rtt_bounds_us[] = {100,    250,    500,    1000,    2500,    5000,
                                         10000,  25000,  50000,  100000,  250000,  500000,
                                         1000000, 2500000, 5000000, 10000000};
#define RTT_BOUNDS (sizeof rtt_bounds_us / sizeof rtt_bounds_us[0])

/* Connections to the HTTP server at once, and how long one may sit idle:
 * a scraper needs one; a client that opens many must not exhaust us. */
#define METRICS_HTTP_CONNECTIONS 16
#define METRICS_HTTP_TIMEOUT_S 10

typedef struct metrics_client {
    char key[MQTTKA_CLIENT_ID_SIZE]; /* the client id, or the address */
    bool by_address;
    uint64_t reconnects;
} metrics_client;

/* Everything a scrape shows: copied whole under the lock. */
typedef struct metrics_counters {
    uint64_t opened, closed;
    uint64_t verdicts[MQTTKA_V_COUNT];
    uint64_t findings[MQTTKA_F_COUNT][3];
    uint64_t pingreq, pingresp, unanswered;
    uint64_t rtt_buckets[RTT_BOUNDS + 1]; /* not cumulative; the last is +Inf */
    uint64_t rtt_count, rtt_sum_us;
    uint64_t connects, reconnects_other;
    size_t n_clients;
} metrics_counters;

struct metrics {
    pthread_mutex_t lock;
    const microhttpd_api *mhd;
    struct MHD_Daemon *daemon;
    metrics_counters c;       /* under lock */
    metrics_client *clients;  /* under lock; max_clients of them */
    unsigned max_clients;
    /* The capture thread's alone: 64-bit hashes of the client keys seen in
     * a CONNECT (open addressing, 0 = free). */
    uint64_t *seen;
    size_t seen_capacity, seen_count;
};

/* ------------------------------------------------------------ counting -- */

static uint64_t key_hash(const char *key, bool by_address)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (by_address ? 0x5a : 0);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return h ? h : 1;
}

/* Remembers `h`; true when it was there already. */
static bool seen_before(metrics *m, uint64_t h)
{
    if (m->seen_capacity) {
        for (size_t i = h & (m->seen_capacity - 1);; i = (i + 1) & (m->seen_capacity - 1)) {
            if (m->seen[i] == h)
                return true;
            if (!m->seen[i])
                break;
        }
    }
    if (m->seen_count >= METRICS_SEEN_MAX)
        return false; /* full: not remembered (metrics.h) */
    if ((m->seen_count + 1) * 2 > m->seen_capacity) {
        size_t cap = m->seen_capacity ? m->seen_capacity * 2 : 1024;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t)
            return false;
        for (size_t i = 0; i < m->seen_capacity; i++) {
            if (!m->seen[i])
                continue;
            size_t j = m->seen[i] & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = m->seen[i];
        }
        free(m->seen);
        m->seen = t;
        m->seen_capacity = cap;
    }
    size_t i = h & (m->seen_capacity - 1);
    while (m->seen[i])
        i = (i + 1) & (m->seen_capacity - 1);
    m->seen[i] = h;
    m->seen_count++;
    return false;
}

/* The client's address without its port: "127.0.0.1", "::1". */
static void client_address(const mqttka_endpoint *e, char *buf, size_t size)
{
    int af = e->family == 6 ? AF_INET6 : AF_INET;
    if (!inet_ntop(af, e->addr, buf, (socklen_t)size))
        snprintf(buf, size, "?");
}

/* A CONNECT (the lock held). */
static void note_connect(metrics *m, const mqttka_event *ev)
{
    m->c.connects++;
    const mqttka_connect_info *ci = ev->u.mqtt.connect;
    const char *id = ci && ci->client_id ? ci->client_id : ev->conn ? ev->conn->client_id : "";
    char key[MQTTKA_CLIENT_ID_SIZE];
    bool by_address = !*id;
    if (by_address) {
        if (!ev->conn)
            return;
        client_address(&ev->conn->client, key, sizeof key);
    } else {
        size_t n = strnlen(id, sizeof key - 1);
        memcpy(key, id, n);
        key[n] = '\0';
    }
    if (!seen_before(m, key_hash(key, by_address)))
        return;
    for (size_t i = 0; i < m->c.n_clients; i++) {
        metrics_client *c = &m->clients[i];
        if (c->by_address == by_address && strcmp(c->key, key) == 0) {
            c->reconnects++;
            return;
        }
    }
    if (m->c.n_clients < m->max_clients) {
        metrics_client *c = &m->clients[m->c.n_clients++];
        memcpy(c->key, key, sizeof key);
        c->by_address = by_address;
        c->reconnects = 1;
        return;
    }
    m->c.reconnects_other++;
}

void metrics_note_event(metrics *m, const mqttka_event *ev, bool first)
{
    pthread_mutex_lock(&m->lock);
    if (first)
        m->c.opened++;
    switch (ev->type) {
    case MQTTKA_EV_MQTT_PACKET: {
        const mqttka_mqtt_packet *p = &ev->u.mqtt;
        if (p->type == MQTTKA_MQTT_PINGREQ && ev->dir == MQTTKA_C2S)
            m->c.pingreq++;
        else if (p->type == MQTTKA_MQTT_PINGRESP && ev->dir == MQTTKA_S2C)
            m->c.pingresp++;
        else if (p->type == MQTTKA_MQTT_CONNECT && ev->dir == MQTTKA_C2S)
            note_connect(m, ev);
        if (p->rtt != MQTTKA_TIME_NONE) {
            uint64_t us = p->rtt < 0 ? 0 : (uint64_t)p->rtt;
            size_t b = 0;
            while (b < RTT_BOUNDS && us > rtt_bounds_us[b])
                b++;
            m->c.rtt_buckets[b]++;
            m->c.rtt_count++;
            m->c.rtt_sum_us += us;
        }
        break;
    }
    case MQTTKA_EV_FINDING:
        if (ev->u.finding && (unsigned)ev->u.finding->kind < MQTTKA_F_COUNT &&
            (unsigned)ev->u.finding->severity < 3)
            m->c.findings[ev->u.finding->kind][ev->u.finding->severity]++;
        break;
    case MQTTKA_EV_CONNECTION:
        m->c.closed++;
        if (ev->u.summary) {
            if ((unsigned)ev->u.summary->verdict < MQTTKA_V_COUNT)
                m->c.verdicts[ev->u.summary->verdict]++;
            m->c.unanswered += ev->u.summary->pingreq_unanswered;
        }
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&m->lock);
}

/* ----------------------------------------------------------- rendering -- */

typedef struct page {
    char *buf;
    size_t len, cap;
    bool failed;
} page;

static void page_bytes(page *p, const char *s, size_t n)
{
    if (p->failed)
        return;
    if (n > p->cap - p->len) {
        size_t cap = p->cap ? p->cap : 4096;
        while (n > cap - p->len)
            cap *= 2;
        char *b = realloc(p->buf, cap);
        if (!b) {
            p->failed = true;
            return;
        }
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
}

static void page_str(page *p, const char *s)
{
    page_bytes(p, s, strlen(s));
}

static void page_uint(page *p, uint64_t v)
{
    char buf[FORMAT_NUMBER_MAX];
    page_bytes(p, buf, (size_t)(format_put_uint(buf, v) - buf));
}

/* Microseconds as seconds, 6 decimals. */
static void page_seconds(page *p, uint64_t us)
{
    char buf[FORMAT_NUMBER_MAX];
    page_bytes(p, buf, (size_t)(format_put_scaled(buf, (int64_t)us, 6, 6) - buf));
}

/* A label value: UTF-8, with \ " and newline escaped as the format asks;
 * control characters and bytes that are not UTF-8 written as the four
 * characters \xNN (their backslash escaped), so the page stays UTF-8. */
static void page_label_value(page *p, const char *s)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint8_t b = u[i];
        if (b == '\\' || b == '"') {
            char esc[2] = {'\\', (char)b};
            page_bytes(p, esc, 2);
            i++;
            continue;
        }
        if (b == '\n') {
            page_str(p, "\\n");
            i++;
            continue;
        }
        size_t k = b < 0x80 ? (b >= 0x20 && b < 0x7f) : utf8_sequence_length(u + i, len - i);
        if (k == 0) {
            char esc[6] = {'\\', '\\', 'x', 0, 0, 0};
            format_put_hex(esc + 3, b, 2);
            page_bytes(p, esc, 5);
            i++;
            continue;
        }
        page_bytes(p, s + i, k);
        i += k;
    }
}

static void family(page *p, const char *name, const char *type, const char *help)
{
    page_str(p, "# HELP ");
    page_str(p, name);
    page_str(p, " ");
    page_str(p, help);
    page_str(p, "\n# TYPE ");
    page_str(p, name);
    page_str(p, " ");
    page_str(p, type);
    page_str(p, "\n");
}

static void sample(page *p, const char *name, uint64_t v)
{
    page_str(p, name);
    page_str(p, " ");
    page_uint(p, v);
    page_str(p, "\n");
}

static void render(page *p, const metrics_counters *c, const metrics_client *clients)
{
    family(p, "mqttka_connections_open", "gauge", "MQTT connections open now.");
    sample(p, "mqttka_connections_open", c->opened - c->closed);
    family(p, "mqttka_connections_total", "counter", "MQTT connections seen to start.");
    sample(p, "mqttka_connections_total", c->opened);
    family(p, "mqttka_connections_closed_total", "counter",
           "MQTT connections ended, by verdict (mqttka(1) VERDICTS).");
    for (int v = 0; v < MQTTKA_V_COUNT; v++) {
        page_str(p, "mqttka_connections_closed_total{verdict=\"");
        page_str(p, mqttka_verdict_name((mqttka_verdict)v));
        page_str(p, "\"} ");
        page_uint(p, c->verdicts[v]);
        page_str(p, "\n");
    }
    family(p, "mqttka_findings_total", "counter", "Findings reported, by kind and severity.");
    for (int k = 0; k < MQTTKA_F_COUNT; k++) {
        mqttka_severity usual = mqttka_finding_severity((mqttka_finding_kind)k);
        for (int s = 0; s < 3; s++) {
            /* Every kind's usual severity, even at 0; others once seen. */
            if (s != (int)usual && !c->findings[k][s])
                continue;
            page_str(p, "mqttka_findings_total{kind=\"");
            page_str(p, mqttka_finding_name((mqttka_finding_kind)k));
            page_str(p, "\",severity=\"");
            page_str(p, mqttka_severity_name((mqttka_severity)s));
            page_str(p, "\"} ");
            page_uint(p, c->findings[k][s]);
            page_str(p, "\n");
        }
    }
    family(p, "mqttka_pingreq_total", "counter", "PINGREQs sent by clients.");
    sample(p, "mqttka_pingreq_total", c->pingreq);
    family(p, "mqttka_pingresp_total", "counter", "PINGRESPs sent by servers.");
    sample(p, "mqttka_pingresp_total", c->pingresp);
    family(p, "mqttka_pingreq_unanswered_total", "counter",
           "PINGREQs never answered, counted when their connection ends.");
    sample(p, "mqttka_pingreq_unanswered_total", c->unanswered);
    family(p, "mqttka_ping_rtt_seconds", "histogram",
           "Round trip from a PINGREQ to its PINGRESP.");
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= RTT_BOUNDS; b++) {
        cumulative += c->rtt_buckets[b];
        page_str(p, "mqttka_ping_rtt_seconds_bucket{le=\"");
        if (b < RTT_BOUNDS) {
            char buf[FORMAT_NUMBER_MAX];
            page_str(p, format_double(buf, (double)rtt_bounds_us[b] / 1e6));
        } else {
            page_str(p, "+Inf");
        }
        page_str(p, "\"} ");
        page_uint(p, cumulative);
        page_str(p, "\n");
    }
    page_str(p, "mqttka_ping_rtt_seconds_sum ");
    page_seconds(p, c->rtt_sum_us);
    page_str(p, "\n");
    sample(p, "mqttka_ping_rtt_seconds_count", c->rtt_count);
    family(p, "mqttka_connects_total", "counter", "CONNECT packets.");
    sample(p, "mqttka_connects_total", c->connects);
    family(p, "mqttka_client_reconnects_total", "counter",
           "CONNECTs of a client id (the address for an empty id) seen connecting before; "
           "the first ids to reconnect, up to --metrics-clients.");
    for (size_t i = 0; i < c->n_clients; i++) {
        page_str(p, "mqttka_client_reconnects_total{client_id=\"");
        if (clients[i].by_address) {
            page_str(p, "\",client_addr=\"");
            page_label_value(p, clients[i].key);
        } else {
            page_label_value(p, clients[i].key);
        }
        page_str(p, "\"} ");
        page_uint(p, clients[i].reconnects);
        page_str(p, "\n");
    }
    family(p, "mqttka_client_reconnects_other_total", "counter",
           "Reconnects of the client ids without a series of their own.");
    sample(p, "mqttka_client_reconnects_other_total", c->reconnects_other);
}

/* --------------------------------------------------------------- HTTP -- */

static enum MHD_Result answer(const microhttpd_api *mhd, struct MHD_Connection *conn,
                              unsigned status, const char *type, char *body, size_t len)
{
    struct MHD_Response *r = mhd->create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    mhd->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = mhd->queue_response(conn, status, r);
    mhd->destroy_response(r);
    return ret;
}

static enum MHD_Result answer_text(const microhttpd_api *mhd, struct MHD_Connection *conn,
                                   unsigned status, const char *text)
{
    size_t n = strlen(text);
    char *body = malloc(n + 1);
    if (!body)
        return MHD_NO;
    memcpy(body, text, n + 1);
    return answer(mhd, conn, status, "text/plain; charset=utf-8", body, n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    (void)upload_data;
    metrics *m = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer_text(m->mhd, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n");
    /* A GET has no body; the first call is the whole request. */
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    (void)req_cls;
    if (strcmp(url, "/metrics") != 0)
        return answer_text(m->mhd, conn, MHD_HTTP_NOT_FOUND, "mqttka serves /metrics\n");

    metrics_counters c;
    metrics_client *clients = NULL;
    pthread_mutex_lock(&m->lock);
    c = m->c;
    if (c.n_clients) {
        clients = malloc(c.n_clients * sizeof *clients);
        if (clients)
            memcpy(clients, m->clients, c.n_clients * sizeof *clients);
        else
            c.n_clients = 0;
    }
    pthread_mutex_unlock(&m->lock);

    page p = {NULL, 0, 0, false};
    render(&p, &c, clients);
    free(clients);
    if (p.failed) {
        free(p.buf);
        return answer_text(m->mhd, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    return answer(m->mhd, conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", p.buf, p.len);
}

/* "ADDR:PORT" or "[ADDR6]:PORT", numeric. */
static bool parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || !colon[1])
        return false;
    char host[64];
    const char *h = listen;
    size_t hlen = (size_t)(colon - listen);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof host)
        return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || port > 65535 || colon[1] < '0' || colon[1] > '9')
        return false;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *v6 = true;
        return true;
    }
    return false;
}

metrics *metrics_start(const char *listen, unsigned max_clients, char *err, size_t err_size)
{
    struct sockaddr_storage ss;
    bool v6 = false;
    if (!parse_listen(listen, &ss, &v6)) {
        snprintf(err, err_size, "not a numeric ADDR:PORT (127.0.0.1:9464, [::1]:9464)");
        return NULL;
    }
    const microhttpd_api *mhd = microhttpd_load(err, err_size);
    if (!mhd)
        return NULL;
    metrics *m = calloc(1, sizeof *m);
    if (!m || (max_clients && !(m->clients = calloc(max_clients, sizeof *m->clients)))) {
        free(m);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    m->mhd = mhd;
    m->max_clients = max_clients;
    pthread_mutex_init(&m->lock, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | (v6 ? MHD_USE_IPv6 : 0);
    errno = 0;
    m->daemon = mhd->start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
                                  (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
                                  (unsigned)METRICS_HTTP_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                                  (unsigned)METRICS_HTTP_TIMEOUT_S, MHD_OPTION_END);
    if (!m->daemon) {
        snprintf(err, err_size, "cannot serve there%s%s", errno ? ": " : "",
                 errno ? strerror(errno) : "");
        metrics_stop(&m);
        return NULL;
    }
    const union MHD_DaemonInfo *info = mhd->get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char host[INET6_ADDRSTRLEN];
    if (v6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
    fprintf(stderr, "mqttka: metrics at http://%s%s%s:%u/metrics\n", v6 ? "[" : "", host,
            v6 ? "]" : "", port);
    return m;
}

void metrics_stop(metrics **pm)
{
    metrics *m = *pm;
    if (!m)
        return;
    if (m->daemon)
        m->mhd->stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->lock);
    free(m->clients);
    free(m->seen);
    free(m);
    *pm = NULL;
}
