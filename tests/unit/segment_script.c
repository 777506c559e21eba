/*
 * segment_script.c - conversations pushed into the core every way a capture
 * may cut them (segment_script.h).
 */
#include "segment_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ script building -- */

void script_reset(script *sc)
{
    memset(sc, 0, sizeof *sc);
}

void script_on(script *sc, uint8_t conn)
{
    if (conn >= SCRIPT_MAX_CONNS)
        abort();
    sc->conn = conn;
}

script_msg *script_add(script *sc, int from, double t, const void *bytes, size_t len)
{
    if (sc->n >= SCRIPT_MAX_MSGS || len > SCRIPT_MAX_BYTES)
        abort();
    script_msg *m = &sc->m[sc->n++];
    memset(m, 0, sizeof *m);
    m->from = from;
    m->t = t;
    m->conn = sc->conn;
    if (len)
        memcpy(m->bytes, bytes, len);
    m->len = len;
    return m;
}

void script_add_flags(script *sc, int from, double t, uint8_t flags)
{
    script_msg *m = script_add(sc, from, t, NULL, 0);
    m->flags = flags;
}

size_t script_ws_frame(uint8_t *out, uint8_t first_byte, bool masked, const uint8_t *payload,
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

void script_ws(script *sc, int from, double t, const void *mqtt, size_t len)
{
    uint8_t buf[SCRIPT_MAX_BYTES];
    if (len > SCRIPT_MAX_BYTES - 8)
        abort();
    size_t n = script_ws_frame(buf, 0x82, from == SCRIPT_C, mqtt, len);
    script_add(sc, from, t, buf, n);
}

void script_tcp_open(script *sc)
{
    script_add_flags(sc, SCRIPT_C, 0.0, MQTTKA_TCP_SYN);
    script_add_flags(sc, SCRIPT_S, 0.0001, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK);
}

const char script_request[] =
    "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1882\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n";
const char script_response_101[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";

void script_ws_open(script *sc)
{
    script_tcp_open(sc);
    script_add(sc, SCRIPT_C, 0.001, script_request, strlen(script_request));
    script_add(sc, SCRIPT_S, 0.002, script_response_101, strlen(script_response_101));
}

/* ------------------------------------------------------------- running -- */

enum feed_mode { WHOLE, BYTEWISE, SPLIT };

/* One run's state. With batch_size > 0, segments go through
 * mqttka_push_batch in batches of that many (the last one shorter), which
 * must change nothing; with batch_ahead too, each full batch pushes all but
 * its last batch_ahead segments, shown as look-ahead
 * (mqttka_push_batch_ahead) and pushed with the next batch, as the CLI
 * does. */
#define BATCH_MAX 64
typedef struct runner {
    mqttka_analyzer *a;
    const script *sc;
    size_t batch_size, batch_ahead;
    mqttka_segment batch[BATCH_MAX];
    uint8_t *batch_copy[BATCH_MAX];
    size_t batch_n;
    unsigned push_errors;
} runner;

/* Copies `len` bytes into a heap block of exactly that size, so that a read
 * past the end is caught by ASan (picohttpparser's habit). */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        abort();
    if (len)
        memcpy(p, src, len);
    return p;
}

static void batch_flush(runner *r)
{
    if (r->batch_n && mqttka_push_batch(r->a, r->batch, r->batch_n) != MQTTKA_OK)
        r->push_errors++;
    for (size_t i = 0; i < r->batch_n; i++)
        free(r->batch_copy[i]);
    r->batch_n = 0;
}

/* A full batch: all but the look-ahead pushed, the look-ahead kept. */
static void batch_flush_full(runner *r)
{
    size_t keep = r->batch_ahead < r->batch_n ? r->batch_ahead : 0;
    size_t pushed = r->batch_n - keep;
    if (mqttka_push_batch_ahead(r->a, r->batch, pushed, keep) != MQTTKA_OK)
        r->push_errors++;
    for (size_t i = 0; i < pushed; i++)
        free(r->batch_copy[i]);
    memmove(r->batch, r->batch + pushed, keep * sizeof r->batch[0]);
    memmove(r->batch_copy, r->batch_copy + pushed, keep * sizeof r->batch_copy[0]);
    r->batch_n = keep;
}

static void push_bytes(runner *r, const script_msg *m, uint64_t tag, uint32_t seq, uint32_t ack,
                       const uint8_t *bytes, size_t len, uint8_t flags)
{
    const script *sc = r->sc;
    mqttka_segment seg;
    memset(&seg, 0, sizeof seg);
    mqttka_endpoint cl = {4, {127, 0, 0, 1}, (uint16_t)(50000 + m->conn)},
                    sv = {4, {127, 0, 0, 1}, 1882};
    if (sc->ipv6) {
        memset(cl.addr, 0, 16);
        cl.family = sv.family = 6;
        cl.addr[15] = 1;
        memcpy(sv.addr, cl.addr, 16);
    }
    if (sc->server_port)
        sv.port = sc->server_port;
    seg.src = m->from == SCRIPT_C ? cl : sv;
    seg.dst = m->from == SCRIPT_C ? sv : cl;
    seg.seq = seq;
    seg.ack = ack;
    seg.tcp_flags = (uint8_t)(flags | (m->no_ack ? 0 : MQTTKA_TCP_ACK));
    if (flags & MQTTKA_TCP_SYN && m->from == SCRIPT_C)
        seg.tcp_flags = MQTTKA_TCP_SYN;
    uint8_t *copy = exact_copy(bytes, len);
    seg.payload = len ? copy : NULL;
    seg.captured_len = seg.wire_len = len;
    seg.ts = 1700000000000000 + (mqttka_time)(m->t * 1e6 + 0.5);
    seg.tag = tag;
    if (r->batch_size) {
        r->batch[r->batch_n] = seg;
        r->batch_copy[r->batch_n++] = copy;
        if (r->batch_n == r->batch_size)
            batch_flush_full(r);
        return;
    }
    if (mqttka_push(r->a, &seg) != MQTTKA_OK)
        r->push_errors++;
    free(copy);
}

/* Runs a script; `split_at` is used in SPLIT mode for every message longer
 * than it. Returns false when a call of the API failed. */
static bool run(const script *sc, enum feed_mode mode, size_t split_at, size_t batch_size,
                size_t batch_ahead, event_log *out, const mqttka_config *cfg,
                mqttka_counts *counts)
{
    event_log_reset(out, false);
    runner r;
    memset(&r, 0, sizeof r);
    r.sc = sc;
    r.batch_size = batch_size;
    r.batch_ahead = batch_ahead;
    if (mqttka_new(&r.a, cfg, event_log_on_event, out) != MQTTKA_OK)
        return false;
    if (sc->keylog &&
        mqttka_set_tls_keylog(r.a, sc->keylog, strlen(sc->keylog), NULL, NULL) != MQTTKA_OK) {
        mqttka_free(&r.a);
        return false;
    }
    uint32_t seqs[SCRIPT_MAX_CONNS][2];
    for (size_t c = 0; c < SCRIPT_MAX_CONNS; c++) {
        seqs[c][0] = 1000; /* ISNs; wrap tested in tcp_stream */
        seqs[c][1] = 500000;
    }
    for (size_t i = 0; i < sc->n; i++) {
        const script_msg *m = &sc->m[i];
        uint32_t *next_seq = seqs[m->conn];
        uint64_t tag = i + 1;
        int f = m->from;
        uint32_t ack = next_seq[1 - f] + m->ack_ahead;
        if (m->flags & MQTTKA_TCP_SYN) {
            push_bytes(&r, m, tag, next_seq[f]++, ack, NULL, 0, m->flags);
            continue;
        }
        if (m->len == 0) {
            push_bytes(&r, m, tag, next_seq[f], ack, NULL, 0, m->flags);
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
            push_bytes(&r, m, tag, next_seq[f], ack, m->bytes + off, n, last ? m->flags : 0);
            next_seq[f] += (uint32_t)n;
            off += n;
        }
        if (m->flags & MQTTKA_TCP_FIN)
            next_seq[f]++;
    }
    batch_flush(&r);
    double end = sc->n ? sc->m[sc->n - 1].t : 0;
    mqttka_finish(r.a, 1700000000000000 + (mqttka_time)(end * 1e6 + 0.5));
    if (counts)
        mqttka_get_counts(r.a, counts);
    mqttka_free(&r.a);
    return r.push_errors == 0 && r.a == NULL;
}

/* One more way: false, said on stderr, when it failed or its log is not
 * the whole-message one. */
static bool same_log(const char *name, const char *way, bool ran, const event_log *whole,
                     const event_log *other)
{
    if (!ran) {
        fprintf(stderr, "%s: %s: a call of the API failed\n", name, way);
        return false;
    }
    if (other->overflow || other->severity_over_table) {
        fprintf(stderr, "%s: %s: log overflowed or a severity is over the table\n", name, way);
        return false;
    }
    if (strcmp(whole->text, other->text) != 0) {
        fprintf(stderr, "%s: %s: log differs\n--- one segment per message\n%s--- %s\n%s", name,
                way, whole->text, way, other->text);
        return false;
    }
    return true;
}

bool script_run_all_ways(const char *name, const script *sc, event_log *out,
                         const mqttka_config *cfg)
{
    static event_log other;
    char way[64];
    bool ok = run(sc, WHOLE, 0, 0, 0, out, cfg, NULL);
    if (!ok || out->overflow || out->severity_over_table) {
        fprintf(stderr, "%s: one segment per message: %s\n", name,
                !ok ? "a call of the API failed"
                    : "log overflowed or a severity is over the table");
        return false;
    }
    if (!sc->segment_starts_matter)
        ok &= same_log(name, "byte by byte", run(sc, BYTEWISE, 0, 0, 0, &other, cfg, NULL), out,
                       &other);
    /* Batches of several sizes, the largest as long as any script. */
    static const size_t batch_sizes[] = {1, 2, 3, 5, 8, 13, BATCH_MAX};
    for (size_t b = 0; b < sizeof batch_sizes / sizeof batch_sizes[0]; b++) {
        snprintf(way, sizeof way, "in batches of %zu", batch_sizes[b]);
        ok &= same_log(name, way, run(sc, WHOLE, 0, batch_sizes[b], 0, &other, cfg, NULL), out,
                       &other);
    }
    /* And with look-ahead carried from batch to batch (size, look-ahead). */
    static const size_t ahead_runs[][2] = {{2, 1}, {5, 2}, {8, 7}, {13, 6}, {BATCH_MAX, 6}};
    for (size_t b = 0; b < sizeof ahead_runs / sizeof ahead_runs[0]; b++) {
        snprintf(way, sizeof way, "in batches of %zu with %zu ahead", ahead_runs[b][0],
                 ahead_runs[b][1]);
        ok &= same_log(name, way,
                       run(sc, WHOLE, 0, ahead_runs[b][0], ahead_runs[b][1], &other, cfg, NULL), out,
                       &other);
    }
    size_t longest = 0;
    for (size_t i = 0; i < sc->n && !sc->segment_starts_matter; i++)
        if (sc->m[i].len > longest)
            longest = sc->m[i].len;
    for (size_t at = 1; at < longest; at++) {
        snprintf(way, sizeof way, "split at %zu", at);
        if (!same_log(name, way, run(sc, SPLIT, at, 0, 0, &other, cfg, NULL), out, &other))
            return false; /* one report is enough */
    }
    return ok;
}

bool script_counts(const script *sc, const mqttka_config *cfg, mqttka_counts *out)
{
    static event_log log;
    return run(sc, WHOLE, 0, 0, 0, &log, cfg, out);
}
