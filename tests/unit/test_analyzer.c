/*
 * test_analyzer.c - the whole core, from TCP segments to findings and verdicts.
 *
 * Each case is a conversation (handshake, WebSocket frames, MQTT packets,
 * closes) with capture times; it is pushed three ways — every message in
 * one segment, byte by byte, and split in two at every offset — and the
 * three event logs must be identical. Then the log is checked for what the
 * rule under test must say (FINDINGS.md). Frame tags are message numbers,
 * so a split message keeps its tag.
 */
#include "mqttka.h"
#include "test_harness.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSGS 64
#define MAX_BYTES 4096
#define LOG_MAX 16384

enum { C = 0, S = 1 }; /* who sends */

typedef struct msg {
    int from;
    double t;            /* seconds since the start */
    uint8_t flags;       /* MQTTKA_TCP_* beyond ACK */
    uint8_t bytes[MAX_BYTES];
    size_t len;
    bool no_ack;
    bool lost;           /* on the wire but not in the capture */
} msg;

typedef struct script {
    msg m[MAX_MSGS];
    size_t n;
    bool ipv6;
    uint16_t server_port;
} script;

typedef struct log_buf {
    char text[LOG_MAX];
    size_t len;
} log_buf;

static void logf_(log_buf *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(log_buf *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof l->text - l->len)
        l->len += (size_t)n;
}

static void on_event(void *user, const mqttka_event *ev)
{
    log_buf *l = user;
    const char *d = ev->dir == MQTTKA_C2S ? "C>S" : "S>C";
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE:
        logf_(l, "[%llu] handshake status=%d upgraded=%d\n", (unsigned long long)ev->tag,
              ev->u.handshake.status, ev->u.handshake.upgraded);
        break;
    case MQTTKA_EV_WS_CONTROL:
        logf_(l, "[%llu] %s ws opcode=%u code=%d\n", (unsigned long long)ev->tag, d,
              ev->u.control.opcode, (int)ev->u.control.close_code);
        break;
    case MQTTKA_EV_MQTT_PACKET: {
        const mqttka_mqtt_packet *m = &ev->u.mqtt;
        logf_(l, "[%llu] %s %s", (unsigned long long)ev->tag, d, mqttka_mqtt_type_name(m->type));
        if (m->connect)
            logf_(l, " level=%u ka=%u clean=%d id=\"%s\"", m->connect->level,
                  m->connect->keepalive, m->connect->clean_session, m->connect->client_id);
        if (m->connack)
            logf_(l, " code=%u ska=%d", m->connack->code, (int)m->connack->server_keepalive);
        if (m->silence != MQTTKA_TIME_NONE)
            logf_(l, " silence=%.3f", (double)m->silence / 1e6);
        if (m->rtt != MQTTKA_TIME_NONE)
            logf_(l, " rtt=%.3f pair=%llu", (double)m->rtt / 1e6, (unsigned long long)m->pair_tag);
        if (m->reason_code >= 0)
            logf_(l, " reason=0x%02x", (unsigned)m->reason_code);
        logf_(l, "\n");
        break;
    }
    case MQTTKA_EV_FINDING: {
        const mqttka_finding *f = ev->u.finding;
        /* The table front ends register expert infos from is the ceiling. */
        CHECK(f->severity <= mqttka_finding_severity(f->kind));
        logf_(l, "[%llu] finding %s %s about=%llu\n", (unsigned long long)ev->tag,
              mqttka_finding_name(f->kind), mqttka_severity_name(f->severity),
              (unsigned long long)f->tag);
        break;
    }
    case MQTTKA_EV_CONNECTION: {
        const mqttka_summary *s = ev->u.summary;
        char cl[64], sv[64];
        mqttka_endpoint_format(&s->conn->client, cl, sizeof cl);
        mqttka_endpoint_format(&s->conn->server, sv, sizeof sv);
        logf_(l, "summary #%llu %s -> %s %s v=%s ka=%d ska=%d kae=%d pingreq=%u pingresp=%u "
                 "unanswered=%u close=%s/%s verdict=%s id=\"%s\" sub=\"%s\" ext=\"%s\"\n",
              (unsigned long long)s->conn->id, cl, sv,
              s->conn->transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp",
              mqttka_mqtt_version_name(s->conn->mqtt_level)
                  ? mqttka_mqtt_version_name(s->conn->mqtt_level) : "null",
              (int)s->conn->keepalive, (int)s->conn->server_keepalive,
              (int)s->conn->effective_keepalive, s->pingreq, s->pingresp, s->pingreq_unanswered,
              mqttka_side_name(s->close_initiator) ? mqttka_side_name(s->close_initiator) : "-",
              mqttka_close_mechanism_name(s->close_mechanism)
                  ? mqttka_close_mechanism_name(s->close_mechanism) : "-",
              mqttka_verdict_name(s->verdict), s->conn->client_id, s->conn->ws_subprotocol,
              s->conn->ws_extensions);
        break;
    }
    }
}

/* ------------------------------------------------------ script building -- */

static msg *add(script *sc, int from, double t, const void *bytes, size_t len)
{
    if (sc->n >= MAX_MSGS || len > MAX_BYTES)
        abort();
    msg *m = &sc->m[sc->n++];
    memset(m, 0, sizeof *m);
    m->from = from;
    m->t = t;
    if (len)
        memcpy(m->bytes, bytes, len);
    m->len = len;
    return m;
}

static void add_flags(script *sc, int from, double t, uint8_t flags)
{
    msg *m = add(sc, from, t, NULL, 0);
    m->flags = flags;
}

/* A WebSocket frame; client frames are masked with a fixed key. */
static size_t ws_frame(uint8_t *out, uint8_t first_byte, bool masked, const uint8_t *payload,
                       size_t len)
{
    static const uint8_t key[4] = {0x22, 0x99, 0x14, 0x7f}; /* the seed's key */
    size_t n = 0;
    out[n++] = first_byte;
    uint8_t mbit = masked ? 0x80 : 0;
    if (len < 126) {
        out[n++] = (uint8_t)(mbit | len);
    } else {
        out[n++] = (uint8_t)(mbit | 126);
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    }
    if (masked) {
        memcpy(out + n, key, 4);
        n += 4;
    }
    for (size_t i = 0; i < len; i++)
        out[n + i] = masked ? (uint8_t)(payload[i] ^ key[i % 4]) : payload[i];
    return n + len;
}

static void ws(script *sc, int from, double t, const void *mqtt, size_t len)
{
    uint8_t buf[MAX_BYTES];
    size_t n = ws_frame(buf, 0x82, from == C, mqtt, len);
    add(sc, from, t, buf, n);
}

static void tcp_open(script *sc)
{
    add_flags(sc, C, 0.0, MQTTKA_TCP_SYN);
    add_flags(sc, S, 0.0001, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);
}

static const char request[] =
    "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1882\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n";
static const char response_101[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";

static void ws_open(script *sc)
{
    tcp_open(sc);
    add(sc, C, 0.001, request, strlen(request));
    add(sc, S, 0.002, response_101, strlen(response_101));
}

static const uint8_t seed_connect[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                       0x04, 0x02, 0x00, 0x05, 0x00, 0x00};
static const uint8_t connack_ok[] = {0x20, 0x02, 0x00, 0x00};
static const uint8_t pingreq[] = {0xc0, 0x00};
static const uint8_t pingresp[] = {0xd0, 0x00};
static const uint8_t disconnect[] = {0xe0, 0x00};

/* ------------------------------------------------------------- running -- */

enum feed_mode { WHOLE, BYTEWISE, SPLIT };

/* With batch_size > 0, segments go through mqttka_push_batch in batches of
 * that many (the last one shorter), which must change nothing; with
 * batch_ahead too, each full batch pushes all but its last batch_ahead
 * segments, shown as look-ahead (mqttka_push_batch_ahead) and pushed with
 * the next batch, as the CLI does. */
#define BATCH_MAX 64
static size_t batch_size, batch_ahead;
static mqttka_segment batch[BATCH_MAX];
static uint8_t *batch_copy[BATCH_MAX];
static size_t batch_n;

static void batch_flush(mqttka_analyzer *a)
{
    if (batch_n)
        CHECK(mqttka_push_batch(a, batch, batch_n) == MQTTKA_OK);
    for (size_t i = 0; i < batch_n; i++)
        free(batch_copy[i]);
    batch_n = 0;
}

/* A full batch: all but the look-ahead pushed, the look-ahead kept. */
static void batch_flush_full(mqttka_analyzer *a)
{
    size_t keep = batch_ahead < batch_n ? batch_ahead : 0;
    size_t pushed = batch_n - keep;
    CHECK(mqttka_push_batch_ahead(a, batch, pushed, keep) == MQTTKA_OK);
    for (size_t i = 0; i < pushed; i++)
        free(batch_copy[i]);
    memmove(batch, batch + pushed, keep * sizeof batch[0]);
    memmove(batch_copy, batch_copy + pushed, keep * sizeof batch_copy[0]);
    batch_n = keep;
}

static void push_bytes(mqttka_analyzer *a, const script *sc, const msg *m, uint64_t tag,
                       uint32_t seq, uint32_t ack, const uint8_t *bytes, size_t len,
                       uint8_t flags)
{
    mqttka_segment seg;
    memset(&seg, 0, sizeof seg);
    mqttka_endpoint cl = {4, {127, 0, 0, 1}, 50000}, sv = {4, {127, 0, 0, 1}, 1882};
    if (sc->ipv6) {
        memset(cl.addr, 0, 16);
        cl.family = sv.family = 6;
        cl.addr[15] = 1;
        memcpy(sv.addr, cl.addr, 16);
    }
    if (sc->server_port)
        sv.port = sc->server_port;
    seg.src = m->from == C ? cl : sv;
    seg.dst = m->from == C ? sv : cl;
    seg.seq = seq;
    seg.ack = ack;
    seg.tcp_flags = (uint8_t)(flags | (m->no_ack ? 0 : MQTTKA_TCP_ACK));
    if (flags & MQTTKA_TCP_SYN && m->from == C)
        seg.tcp_flags = MQTTKA_TCP_SYN;
    uint8_t *copy = th_exact_copy(bytes, len);
    seg.payload = len ? copy : NULL;
    seg.captured_len = seg.wire_len = len;
    seg.ts = 1700000000000000 + (mqttka_time)(m->t * 1e6 + 0.5);
    seg.tag = tag;
    if (batch_size) {
        batch[batch_n] = seg;
        batch_copy[batch_n++] = copy;
        if (batch_n == batch_size)
            batch_flush_full(a);
        return;
    }
    CHECK(mqttka_push(a, &seg) == MQTTKA_OK);
    free(copy);
}

/* Runs a script; `split_at` is used in SPLIT mode for every message longer
 * than it. */
static void run(const script *sc, enum feed_mode mode, size_t split_at, log_buf *out,
                const mqttka_config *cfg)
{
    memset(out, 0, sizeof *out);
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, cfg, on_event, out) == MQTTKA_OK);
    uint32_t next_seq[2] = {1000, 500000}; /* ISNs; wrap tested in tcp_stream */
    for (size_t i = 0; i < sc->n; i++) {
        const msg *m = &sc->m[i];
        uint64_t tag = i + 1;
        int f = m->from;
        uint32_t ack = next_seq[1 - f];
        if (m->flags & MQTTKA_TCP_SYN) {
            push_bytes(a, sc, m, tag, next_seq[f]++, ack,
                       NULL, 0, m->flags);
            continue;
        }
        if (m->len == 0) {
            push_bytes(a, sc, m, tag, next_seq[f], ack, NULL, 0, m->flags);
            if (m->flags & MQTTKA_TCP_FIN)
                next_seq[f]++;
            continue;
        }
        if (m->lost) {
            next_seq[f] += (uint32_t)m->len;
            continue;
        }
        size_t chunk = m->len;
        if (mode == BYTEWISE)
            chunk = 1;
        else if (mode == SPLIT && split_at > 0 && split_at < m->len)
            chunk = split_at;
        size_t off = 0;
        while (off < m->len) {
            size_t n = m->len - off < chunk ? m->len - off : chunk;
            if (mode == SPLIT && off > 0)
                n = m->len - off;
            bool last = off + n == m->len;
            push_bytes(a, sc, m, tag, next_seq[f], ack, m->bytes + off, n,
                       last ? m->flags : 0);
            next_seq[f] += (uint32_t)n;
            off += n;
        }
        if (m->flags & MQTTKA_TCP_FIN)
            next_seq[f]++;
    }
    batch_flush(a);
    double end = sc->n ? sc->m[sc->n - 1].t : 0;
    mqttka_finish(a, 1700000000000000 + (mqttka_time)(end * 1e6 + 0.5));
    mqttka_free(&a);
    CHECK(a == NULL);
}

/* Runs all three ways, checks they agree, and returns the whole-message log. */
static void run_all_ways(const char *name, const script *sc, log_buf *out,
                         const mqttka_config *cfg)
{
    static log_buf other;
    run(sc, WHOLE, 0, out, cfg);
    run(sc, BYTEWISE, 0, &other, cfg);
    if (strcmp(out->text, other.text) != 0) {
        fprintf(stderr, "%s: byte-by-byte log differs\n--- whole\n%s--- bytewise\n%s", name,
                out->text, other.text);
        th_failed++;
    } else {
        th_passed++;
    }
    /* Batches of several sizes, the largest as long as any script. */
    static const size_t batch_sizes[] = {1, 2, 3, 5, 8, 13, BATCH_MAX};
    for (size_t b = 0; b < sizeof batch_sizes / sizeof batch_sizes[0]; b++) {
        batch_size = batch_sizes[b];
        run(sc, WHOLE, 0, &other, cfg);
        batch_size = 0;
        if (strcmp(out->text, other.text) != 0) {
            fprintf(stderr, "%s: log in batches of %zu differs\n--- one by one\n%s--- batched\n%s",
                    name, batch_sizes[b], out->text, other.text);
            th_failed++;
        } else {
            th_passed++;
        }
    }
    /* And with look-ahead carried from batch to batch (size, look-ahead). */
    static const size_t ahead_runs[][2] = {{2, 1}, {5, 2}, {8, 7}, {13, 6}, {BATCH_MAX, 6}};
    for (size_t b = 0; b < sizeof ahead_runs / sizeof ahead_runs[0]; b++) {
        batch_size = ahead_runs[b][0];
        batch_ahead = ahead_runs[b][1];
        run(sc, WHOLE, 0, &other, cfg);
        batch_size = batch_ahead = 0;
        if (strcmp(out->text, other.text) != 0) {
            fprintf(stderr,
                    "%s: log in batches of %zu with %zu ahead differs\n--- one by one\n%s"
                    "--- batched\n%s",
                    name, ahead_runs[b][0], ahead_runs[b][1], out->text, other.text);
            th_failed++;
        } else {
            th_passed++;
        }
    }
    size_t longest = 0;
    for (size_t i = 0; i < sc->n; i++)
        if (sc->m[i].len > longest)
            longest = sc->m[i].len;
    for (size_t at = 1; at < longest; at++) {
        run(sc, SPLIT, at, &other, cfg);
        if (strcmp(out->text, other.text) != 0) {
            fprintf(stderr, "%s: log split at %zu differs\n--- whole\n%s--- split\n%s", name, at,
                    out->text, other.text);
            th_failed++;
            return;
        }
    }
    th_passed++;
}

#define HAS(log, s)                                                                             \
    do {                                                                                        \
        if (strstr((log).text, (s))) {                                                          \
            th_passed++;                                                                        \
        } else {                                                                                \
            th_failed++;                                                                        \
            fprintf(stderr, "%s:%d: log lacks \"%s\":\n%s", __FILE__, __LINE__, (s), (log).text); \
        }                                                                                       \
    } while (0)

#define LACKS(log, s)                                                                           \
    do {                                                                                        \
        if (!strstr((log).text, (s))) {                                                         \
            th_passed++;                                                                        \
        } else {                                                                                \
            th_failed++;                                                                        \
            fprintf(stderr, "%s:%d: log has \"%s\":\n%s", __FILE__, __LINE__, (s), (log).text); \
        }                                                                                       \
    } while (0)

/* --------------------------------------------------------------- cases -- */

static log_buf lg;

/* The seed: a healthy MQTT 3.1.1 session over WebSocket on port 1882. */
static void test_seed_healthy(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    ws_open(&sc);
    ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);    /* 5 */
    ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);        /* 6 */
    ws(&sc, C, 5.010, pingreq, sizeof pingreq);              /* 7 */
    ws(&sc, S, 5.011, pingresp, sizeof pingresp);            /* 8 */
    ws(&sc, C, 10.010, pingreq, sizeof pingreq);             /* 9 */
    ws(&sc, S, 10.012, pingresp, sizeof pingresp);           /* 10 */
    ws(&sc, C, 12.0, disconnect, sizeof disconnect);         /* 11 */
    add_flags(&sc, C, 12.001, MQTTKA_TCP_FIN);               /* 12 */
    add_flags(&sc, S, 12.002, MQTTKA_TCP_FIN);               /* 13 */
    run_all_ways("seed_healthy", &sc, &lg, NULL);
    HAS(lg, "[4] handshake status=101 upgraded=1\n");
    HAS(lg, "[5] C>S CONNECT level=4 ka=5 clean=1 id=\"\"\n");
    HAS(lg, "[6] finding keepalive_negotiated info about=6\n");
    HAS(lg, "[7] C>S PINGREQ silence=5.000\n");
    HAS(lg, "[8] S>C PINGRESP rtt=0.001 pair=7\n");
    HAS(lg, "[10] S>C PINGRESP rtt=0.002 pair=9\n");
    HAS(lg, "[11] C>S DISCONNECT silence=1.990\n");
    HAS(lg, "summary #1 127.0.0.1:50000 -> 127.0.0.1:1882 websocket v=3.1.1 ka=5 ska=-1 kae=5 "
            "pingreq=2 pingresp=2 unanswered=0 close=client/mqtt_disconnect verdict=mqtt_disconnect");
    LACKS(lg, "warn");
    LACKS(lg, "error");
}

/* The client goes quiet; the server closes at 1.5 x keepalive. */
static void test_server_closes_silent_client(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    ws_open(&sc);
    ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    ws(&sc, C, 5.0, pingreq, sizeof pingreq);                /* 7 */
    ws(&sc, S, 5.001, pingresp, sizeof pingresp);
    add_flags(&sc, S, 12.6, MQTTKA_TCP_FIN);                 /* 9: 7.6 s of silence */
    add_flags(&sc, C, 12.7, MQTTKA_TCP_FIN);
    run_all_ways("server_closes_silent_client", &sc, &lg, NULL);
    HAS(lg, "[9] finding client_silent_over_keepalive warn about=9\n");
    LACKS(lg, "client_silent_over_1_5_keepalive"); /* 7.6 < 7.5 + tol */
    HAS(lg, "close=server/fin verdict=server_closed_keepalive");
}

/* The client is silent past 1.5 x keepalive and the server never closes. */
static void test_keepalive_not_enforced(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    ws_open(&sc);
    ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    ws(&sc, C, 20.0, pingreq, sizeof pingreq);               /* 7: 20 s of silence */
    ws(&sc, S, 20.001, pingresp, sizeof pingresp);
    run_all_ways("keepalive_not_enforced", &sc, &lg, NULL);
    HAS(lg, "[7] finding client_silent_over_keepalive warn about=7\n");
    HAS(lg, "[7] finding client_silent_over_1_5_keepalive error about=7\n");
    HAS(lg, "[7] finding server_keepalive_not_enforced warn about=7\n");
    HAS(lg, "verdict=open");
}

/* The broker freezes: the PINGREQ goes unanswered and the client closes
 * one keepalive later, as paho python does. */
static void test_broker_frozen(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    ws_open(&sc);
    ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    ws(&sc, C, 5.0, pingreq, sizeof pingreq);                /* 7 */
    add_flags(&sc, C, 10.05, MQTTKA_TCP_FIN);                /* 8 */
    run_all_ways("broker_frozen", &sc, &lg, NULL);
    HAS(lg, "[8] finding pingreq_unanswered error about=7\n"); /* at the close */
    HAS(lg, "unanswered=1 close=client/fin verdict=client_closed_missing_pingresp");
}

/* A second PINGREQ overtakes an unanswered one (warn), then the client
 * resets the connection. */
static void test_pingreq_overtaken_then_reset(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    ws_open(&sc);
    ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    ws(&sc, C, 5.0, pingreq, sizeof pingreq);                /* 7 */
    ws(&sc, C, 10.0, pingreq, sizeof pingreq);               /* 8 */
    add_flags(&sc, C, 20.0, MQTTKA_TCP_RST);                 /* 9: 15 s after the first */
    run_all_ways("pingreq_overtaken", &sc, &lg, NULL);
    HAS(lg, "[8] finding pingreq_unanswered warn about=7\n");
    HAS(lg, "finding pingreq_unanswered error about=7\n");
    HAS(lg, "finding pingreq_unanswered error about=8\n");
    HAS(lg, "close=client/rst verdict=client_closed_missing_pingresp");
}

/* MQTT 5 over plain TCP on any port, with a Server Keep Alive, a late
 * PINGRESP, an unsolicited one, and the server's DISCONNECT 0x8D. */
static void test_mqtt5_tcp_server_keepalive(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    sc.server_port = 4242;
    tcp_open(&sc);
    static const uint8_t connect5[] = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
                                       0x00, 0x3c, /* ka 60 */ 0x03, 0x21, 0x00, 0x0a, /* props */
                                       0x00, 0x00};
    static const uint8_t connack5[] = {0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x14};
    static const uint8_t disconnect_8d[] = {0xe0, 0x02, 0x8d, 0x00};
    add(&sc, C, 0.01, connect5, sizeof connect5);            /* 3 */
    add(&sc, S, 0.02, connack5, sizeof connack5);            /* 4 */
    add(&sc, C, 20.0, pingreq, sizeof pingreq);              /* 5 */
    add(&sc, S, 35.0, pingresp, sizeof pingresp);            /* 6: 15 s later */
    add(&sc, S, 35.5, pingresp, sizeof pingresp);            /* 7: unsolicited */
    add(&sc, S, 70.0, disconnect_8d, sizeof disconnect_8d);  /* 8 */
    add_flags(&sc, S, 70.01, MQTTKA_TCP_FIN);
    run_all_ways("mqtt5_tcp", &sc, &lg, NULL);
    HAS(lg, "[3] C>S CONNECT level=5 ka=60");
    HAS(lg, "[4] S>C CONNACK code=0 ska=20\n");
    HAS(lg, "[4] finding keepalive_negotiated info about=4\n");
    HAS(lg, "[4] finding keepalive_overridden info about=4\n");
    HAS(lg, "[6] finding pingresp_late warn about=6\n");
    HAS(lg, "[7] finding pingresp_unsolicited warn about=7\n");
    HAS(lg, "[8] S>C DISCONNECT reason=0x8d\n");
    HAS(lg, "[8] finding client_silent_over_1_5_keepalive error about=8\n");
    HAS(lg, "tcp v=5.0 ka=60 ska=20 kae=20");
    HAS(lg, "close=server/mqtt_disconnect verdict=mqtt_disconnect");
}

/* The client keeps its own keepalive although the server set a shorter one. */
static void test_server_keepalive_ignored(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    tcp_open(&sc);
    static const uint8_t connect5[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
                                       0x00, 0x0a, /* ka 10 */ 0x00, 0x00, 0x00};
    static const uint8_t connack5[] = {0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x03};
    add(&sc, C, 0.01, connect5, sizeof connect5);
    add(&sc, S, 0.02, connack5, sizeof connack5);
    add(&sc, C, 10.0, pingreq, sizeof pingreq);              /* 5 */
    add(&sc, S, 10.001, pingresp, sizeof pingresp);
    run_all_ways("ska_ignored", &sc, &lg, NULL);
    HAS(lg, "[5] finding server_keepalive_ignored warn about=5\n");
    HAS(lg, "kae=3");
}

/* Transport hygiene: an unmasked client frame, a text frame, a framing
 * error, a WebSocket Ping never answered, a server PINGREQ, a Close. */
static void test_websocket_hygiene(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    ws_open(&sc);
    uint8_t buf[64];
    size_t n = ws_frame(buf, 0x82, false, seed_connect, sizeof seed_connect); /* unmasked */
    add(&sc, C, 0.01, buf, n);                                                  /* 5 */
    ws(&sc, S, 0.02, connack_ok, sizeof connack_ok);
    n = ws_frame(buf, 0x81, true, pingreq, sizeof pingreq);                     /* text */
    add(&sc, C, 1.0, buf, n);                                                   /* 7 */
    ws(&sc, S, 1.001, pingresp, sizeof pingresp);                               /* 8 */
    n = ws_frame(buf, 0x89, false, (const uint8_t *)"hb", 2);                   /* ping */
    add(&sc, S, 2.0, buf, n);                                                   /* 9 */
    ws(&sc, S, 3.0, pingreq, sizeof pingreq);                                   /* 10 */
    static const uint8_t publish[] = {0x30, 0x03, 0x00, 0x01, 'a'};
    n = ws_frame(buf, 0xc2, true, publish, sizeof publish);                     /* RSV1 */
    add(&sc, C, 4.0, buf, n);                                                   /* 11 */
    const uint8_t close_payload[] = {0x03, 0xe8, 'b', 'y', 'e'};
    n = ws_frame(buf, 0x88, true, close_payload, sizeof close_payload);
    add(&sc, C, 4.5, buf, n);                                                   /* 12 */
    add_flags(&sc, C, 4.6, MQTTKA_TCP_FIN);
    add_flags(&sc, S, 4.7, MQTTKA_TCP_FIN);
    run_all_ways("ws_hygiene", &sc, &lg, NULL);
    HAS(lg, "[5] finding ws_mask_violation error about=5\n");
    HAS(lg, "[7] finding mqtt_in_text_frame error about=7\n");
    HAS(lg, "[8] S>C PINGRESP rtt=0.001 pair=7\n");
    HAS(lg, "[9] S>C ws opcode=9 code=-1\n");
    HAS(lg, "[10] finding pingreq_from_server error about=10\n");
    HAS(lg, "[11] finding ws_framing_error error about=11\n[11] C>S PUBLISH");
    HAS(lg, "[12] C>S ws opcode=8 code=1000\n");
    HAS(lg, "finding ws_ping_unanswered warn about=9\n");
    HAS(lg, "close=client/ws_close verdict=ws_close");
}

/* MQTT packets need not line up with frames (MQTT-6.0.0-2): a CONNECT split
 * over two frames, then two packets in one frame. */
static void test_packets_across_frames(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    ws_open(&sc);
    ws(&sc, C, 0.01, seed_connect, 5);                                  /* 5 */
    ws(&sc, C, 0.02, seed_connect + 5, sizeof seed_connect - 5);        /* 6 */
    uint8_t two[6];
    memcpy(two, connack_ok, 4);
    memcpy(two + 4, pingresp, 2);
    ws(&sc, S, 0.03, two, sizeof two);                                  /* 7 */
    run_all_ways("across_frames", &sc, &lg, NULL);
    HAS(lg, "[6] C>S CONNECT level=4 ka=5");
    HAS(lg, "[7] S>C CONNACK code=0 ska=-1\n[7] finding keepalive_negotiated info about=7\n"
            "[7] S>C PINGRESP\n[7] finding pingresp_unsolicited warn about=7\n");
}

/* One request longer than cfg's header cap (frame 3), then FINs from both
 * sides when `closed`, run every way into *out. */
static void run_long_request(const char *name, const char *request_text, bool closed,
                             const mqttka_config *cfg, log_buf *out)
{
    static script sc;
    CHECK(strlen(request_text) > cfg->max_http_header_bytes);
    memset(&sc, 0, sizeof sc);
    tcp_open(&sc);
    add(&sc, C, 0.001, request_text, strlen(request_text));
    if (closed) {
        add_flags(&sc, C, 1.0, MQTTKA_TCP_FIN);
        add_flags(&sc, S, 1.1, MQTTKA_TCP_FIN);
    }
    run_all_ways(name, &sc, out, cfg);
}

/* Handshakes that fail, and HTTP that is not ours. */
static void test_handshakes(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    tcp_open(&sc);
    add(&sc, C, 0.001, request, strlen(request));
    static const char not_found[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    add(&sc, S, 0.002, not_found, strlen(not_found));                   /* 4 */
    run_all_ways("handshake_404", &sc, &lg, NULL);
    HAS(lg, "[4] handshake status=404 upgraded=0\n[4] finding ws_handshake_failed error about=4\n");

    memset(&sc, 0, sizeof sc);
    tcp_open(&sc);
    add(&sc, C, 0.001, request, strlen(request));                       /* 3 */
    add_flags(&sc, C, 30.0, MQTTKA_TCP_FIN);
    add_flags(&sc, S, 30.1, MQTTKA_TCP_FIN);
    run_all_ways("handshake_unanswered", &sc, &lg, NULL);
    HAS(lg, "finding ws_handshake_failed error about=3\n");
    HAS(lg, "verdict=client_closed");

    memset(&sc, 0, sizeof sc);
    tcp_open(&sc);
    static const char plain[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    add(&sc, C, 0.001, plain, strlen(plain));
    add(&sc, S, 0.002, ok, strlen(ok));
    run_all_ways("plain_http", &sc, &lg, NULL);
    CHECK_EQ_INT(lg.len, 0);

    /* A request longer than the header cap (a big cookie, say): one that
     * offers MQTT is reported (resource_limit, and its summary); one that
     * does not stays silent. */
    mqttka_config small;
    mqttka_config_default(&small);
    small.max_http_header_bytes = 128;
    static const char long_mqtt[] =
        "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1882\r\nSec-WebSocket-Protocol: mqtt\r\n"
        "Cookie: session=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    run_long_request("request_over_cap", long_mqtt, true, &small, &lg);
    HAS(lg, "finding resource_limit warn");
    HAS(lg, "summary #1 127.0.0.1:50000 -> 127.0.0.1:1882 websocket");

    static const char long_plain[] =
        "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Version: 13\r\n\r\n";
    run_long_request("request_over_cap_not_mqtt", long_plain, false, &small, &lg);
    CHECK_EQ_INT(lg.len, 0);
}

/* The connection's strings are cut where their fixed arrays used to end:
 * the client id at 47 bytes with "...", the server's subprotocol at 31 and
 * its extensions at 63; none of them is ever NULL. */
static void test_connection_strings(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    tcp_open(&sc);
    add(&sc, C, 0.001, request, strlen(request));
    static const char answer[] =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "Sec-WebSocket-Protocol: mqtt-0123456789012345678901234567890123456789\r\n"
        "Sec-WebSocket-Extensions: x-0123456789012345678901234567890123456789"
        "012345678901234567890123456789\r\n\r\n";
    add(&sc, S, 0.002, answer, strlen(answer));
    uint8_t connect[14 + 58] = {0x10, 70, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                0x04, 0x02, 0x00, 0x05, 0x00, 58};
    memset(connect + 14, 'c', 58);
    ws(&sc, C, 0.01, connect, 14 + 58);
    ws(&sc, S, 0.02, connack_ok, sizeof connack_ok);
    run_all_ways("connection_strings", &sc, &lg, NULL);
    HAS(lg, " id=\"cccccccccccccccccccccccccccccccccccccccccccc...\""
            " sub=\"mqtt-01234567890123456789012345\""
            " ext=\"x-0123456789012345678901234567890123456789012345678901234567890\"\n");

    /* Nothing known: empty strings, not NULL. */
    memset(&sc, 0, sizeof sc);
    tcp_open(&sc);
    add(&sc, C, 0.001, seed_connect, sizeof seed_connect);
    run_all_ways("connection_strings_empty", &sc, &lg, NULL);
    HAS(lg, " id=\"\" sub=\"\" ext=\"\"\n");
}

/* The capture misses bytes the receiver acknowledged: a gap, and no timing
 * verdicts across it. */
static void test_capture_gap(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    ws_open(&sc);
    ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    ws(&sc, S, 0.011, connack_ok, sizeof connack_ok);
    ws(&sc, C, 5.0, pingreq, sizeof pingreq);                           /* 7 */
    sc.m[sc.n - 1].lost = true;
    ws(&sc, S, 5.001, pingresp, sizeof pingresp);                       /* 8: ACKs it */
    ws(&sc, C, 20.0, pingreq, sizeof pingreq);                          /* 9 */
    add_flags(&sc, C, 30.0, MQTTKA_TCP_FIN);
    run_all_ways("capture_gap", &sc, &lg, NULL);
    HAS(lg, "[8] finding capture_gap info about=8\n");
    LACKS(lg, "client_silent");
    LACKS(lg, "[9] C>S PINGREQ"); /* the client stream is not decoded past a hole */
}

/* Segments out of order and retransmitted give the events of the clean
 * stream. */
static void test_reordered_segments(void)
{
    log_buf clean, messy;
    mqttka_analyzer *a = NULL;
    for (int pass = 0; pass < 2; pass++) {
        log_buf *out = pass ? &messy : &clean;
        memset(out, 0, sizeof *out);
        CHECK(mqttka_new(&a, NULL, on_event, out) == MQTTKA_OK);
        mqttka_endpoint cl = {4, {10, 0, 0, 1}, 40000}, sv = {4, {10, 0, 0, 2}, 1883};
        uint8_t stream[sizeof seed_connect + 2 * sizeof pingreq];
        memcpy(stream, seed_connect, sizeof seed_connect);
        memcpy(stream + sizeof seed_connect, pingreq, 2);
        memcpy(stream + sizeof seed_connect + 2, pingreq, 2);
        /* pieces: [0,6) [6,14) [14,16) [16,18) */
        size_t cuts[5] = {0, 6, 14, 16, 18};
        int order_clean[] = {0, 1, 2, 3}, order_messy[] = {1, 0, 0, 3, 2, 3};
        const int *order = pass ? order_messy : order_clean;
        size_t count = pass ? 6 : 4;
        for (size_t i = 0; i < count; i++) {
            int p = order[i];
            mqttka_segment seg;
            memset(&seg, 0, sizeof seg);
            seg.src = cl;
            seg.dst = sv;
            seg.seq = 7u + (uint32_t)cuts[p];
            seg.tcp_flags = MQTTKA_TCP_ACK;
            seg.payload = stream + cuts[p];
            seg.captured_len = seg.wire_len = cuts[p + 1] - cuts[p];
            seg.ts = 1000000;
            seg.tag = 1;
            if (pass == 0 || i == 0) {
                seg.tcp_flags |= (uint8_t)(i == 0 ? MQTTKA_TCP_SYN : 0);
            }
            if (i == 0) {
                /* a SYN starts the stream at seq 6 */
                mqttka_segment syn = seg;
                syn.seq = 6;
                syn.payload = NULL;
                syn.captured_len = syn.wire_len = 0;
                syn.tcp_flags = MQTTKA_TCP_SYN;
                CHECK(mqttka_push(a, &syn) == MQTTKA_OK);
                seg.tcp_flags = MQTTKA_TCP_ACK;
            }
            CHECK(mqttka_push(a, &seg) == MQTTKA_OK);
        }
        mqttka_finish(a, 2000000);
        mqttka_free(&a);
    }
    CHECK_EQ_STR(messy.text, clean.text);
    HAS(clean, "C>S CONNECT level=4 ka=5");
    HAS(clean, "pingreq=2");
}

/* A stream that declares a 2^63-1 byte WebSocket frame and then sends
 * 64 MiB: the analyzer must not buffer it (memory measured from /proc). */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void count_events(void *user, const mqttka_event *ev)
{
    (void)ev;
    (*(size_t *)user)++;
}

static void test_huge_frame_bounded_memory(void)
{
    size_t events = 0;
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, NULL, count_events, &events) == MQTTKA_OK);
    mqttka_endpoint cl = {4, {127, 0, 0, 1}, 50001}, sv = {4, {127, 0, 0, 1}, 1882};
    uint32_t cseq = 100, sseq = 9000;
    mqttka_segment seg;
#define PUSH(from_client, bytes, len, flags)                                                   \
    do {                                                                                       \
        memset(&seg, 0, sizeof seg);                                                           \
        seg.src = (from_client) ? cl : sv;                                                     \
        seg.dst = (from_client) ? sv : cl;                                                     \
        seg.seq = (from_client) ? cseq : sseq;                                                 \
        seg.tcp_flags = (uint8_t)(flags);                                                      \
        seg.payload = (const uint8_t *)(bytes);                                                \
        seg.captured_len = seg.wire_len = (len);                                               \
        seg.ts = 1000000;                                                                      \
        seg.tag = 1;                                                                           \
        CHECK(mqttka_push(a, &seg) == MQTTKA_OK);                                              \
        if (from_client)                                                                       \
            cseq += (uint32_t)(len);                                                           \
        else                                                                                   \
            sseq += (uint32_t)(len);                                                           \
    } while (0)
    PUSH(true, request, strlen(request), MQTTKA_TCP_ACK);
    PUSH(false, response_101, strlen(response_101), MQTTKA_TCP_ACK);
    static const uint8_t huge[14] = {0x82, 0xff, 0x7f, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
    PUSH(true, huge, sizeof huge, MQTTKA_TCP_ACK);
    static uint8_t block[65536];
    memset(block, 0xa5, sizeof block);
    long before = peak_rss_kib();
    for (int i = 0; i < 1024; i++) /* 64 MiB */
        PUSH(true, block, sizeof block, MQTTKA_TCP_ACK);
    long after = peak_rss_kib();
#undef PUSH
    if (before >= 0 && after >= 0) {
        if (after - before >= 1024)
            fprintf(stderr, "peak RSS grew by %ld KiB while streaming 64 MiB\n", after - before);
        CHECK(after - before < 1024);
    }
    mqttka_finish(a, 2000000);
    mqttka_free(&a);
    CHECK(events >= 2); /* the handshake and the summary at least */
}

/* The flow table cap drops the least recently active connection. */
static void test_flow_cap(void)
{
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_flows = 2;
    log_buf out;
    memset(&out, 0, sizeof out);
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, &cfg, on_event, &out) == MQTTKA_OK);
    for (uint16_t i = 0; i < 3; i++) {
        mqttka_segment seg;
        memset(&seg, 0, sizeof seg);
        seg.src = (mqttka_endpoint){4, {127, 0, 0, 1}, (uint16_t)(40000 + i)};
        seg.dst = (mqttka_endpoint){4, {127, 0, 0, 1}, 1883};
        seg.seq = 1;
        seg.tcp_flags = MQTTKA_TCP_ACK;
        seg.payload = seed_connect;
        seg.captured_len = seg.wire_len = sizeof seed_connect;
        seg.ts = 1000000 + i;
        seg.tag = (uint64_t)i + 1;
        CHECK(mqttka_push(a, &seg) == MQTTKA_OK);
    }
    mqttka_finish(a, 2000000);
    mqttka_free(&a);
    HAS(out, "[3] finding resource_limit warn about=1\n");
    HAS(out, "summary #1 127.0.0.1:40000");
    HAS(out, "summary #3 127.0.0.1:40002");
}

static void test_ipv6_endpoints(void)
{
    static script sc;
    memset(&sc, 0, sizeof sc);
    sc.ipv6 = true;
    ws_open(&sc);
    ws(&sc, C, 0.010, seed_connect, sizeof seed_connect);
    run_all_ways("ipv6", &sc, &lg, NULL);
    HAS(lg, "summary #1 [::1]:50000 -> [::1]:1882 websocket");
}

static void test_api_errors(void)
{
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(NULL, NULL, on_event, NULL) == MQTTKA_ERR_INVALID);
    CHECK(mqttka_new(&a, NULL, NULL, NULL) == MQTTKA_ERR_INVALID);
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_flows = 0;
    CHECK(mqttka_new(&a, &cfg, on_event, NULL) == MQTTKA_ERR_INVALID);
    CHECK(a == NULL);
    CHECK(mqttka_push(NULL, NULL) == MQTTKA_ERR_INVALID);
    mqttka_free(NULL);
    mqttka_free(&a);
    CHECK_EQ_STR(mqttka_finding_name(MQTTKA_F_PINGREQ_UNANSWERED), "pingreq_unanswered");
    CHECK_EQ_STR(mqttka_verdict_name(MQTTKA_V_SERVER_CLOSED_KEEPALIVE), "server_closed_keepalive");
    CHECK_EQ_INT(mqttka_finding_severity(MQTTKA_F_PINGREQ_UNANSWERED), MQTTKA_ERROR);
    CHECK_EQ_INT(mqttka_finding_severity(MQTTKA_F_PINGRESP_RTT), MQTTKA_INFO);
    for (int k = 0; k < MQTTKA_F_COUNT; k++)
        CHECK(strcmp(mqttka_finding_name((mqttka_finding_kind)k), "unknown") != 0);
}

int main(void)
{
    test_seed_healthy();
    test_server_closes_silent_client();
    test_keepalive_not_enforced();
    test_broker_frozen();
    test_pingreq_overtaken_then_reset();
    test_mqtt5_tcp_server_keepalive();
    test_server_keepalive_ignored();
    test_websocket_hygiene();
    test_packets_across_frames();
    test_handshakes();
    test_connection_strings();
    test_capture_gap();
    test_reordered_segments();
    test_huge_frame_bounded_memory();
    test_flow_cap();
    test_ipv6_endpoints();
    test_api_errors();
    return th_report();
}
