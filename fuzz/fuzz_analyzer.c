/*
 * fuzz_analyzer.c - the whole core (mqttka.h) fed a stream of TCP segments
 * whose boundaries, directions, sequence numbers, flags and timestamps all
 * come from the input.
 *
 * Input: 4 bytes of configuration, then records.
 *
 *   config[0] bits 0-2  max_flows = 1 << n (1..128): evictions happen
 *             bits 3-5  max_ooo_segments = n (0..7)
 *             bit 6     small byte caps: 64 bytes per direction, 128 in all
 *             bit 7     batches carry their last two records into the next
 *                       as look-ahead (mqttka_push_batch_ahead), as the CLI
 *   config[1]           max_http_header_bytes = 16 + 33 n (16..8431)
 *   config[2]           max_mqtt_kept_bytes = 16 + 4 n (16..1036)
 *   config[3] bits 0-3  max_summary_findings = n (0..15)
 *             bits 4-7  0: mqttka_push per record; n: mqttka_push_batch
 *                       with n records at a time (a tick flushes first)
 *
 *   record    byte 0  bits 0-1  flow (4 address pairs; flow 3 is IPv6)
 *                     bit 2     direction: 0 client -> server, 1 back
 *                     bits 3-4  sequence number: 0 the next in order,
 *                               1 `delta` bytes before it (retransmission,
 *                               overlap), 2 `delta` bytes after it (a hole),
 *                               3 ISN + the 32-bit value after `delta`
 *                     bit 5     snapped: the wire length is `delta` bytes more
 *                     bit 6     the ACK is `delta` bytes ahead of the peer's data
 *                     bit 7     mqttka_tick() at this record's time first
 *             byte 1          TCP flags (MQTTKA_TCP_*)
 *             bytes 2-3       time since the previous record, int16 LE, in ms
 *                             (negative: time going backwards); -32768 jumps
 *                             to the far future, 32767 to the far past (a
 *                             damaged pcapng timestamp can name any int64)
 *             byte 4          captured payload length
 *             byte 5          delta
 *             [4 bytes LE     relative sequence number, mode 3 only]
 *             payload         (what the input still holds of it)
 *
 * The ISNs of direction 1 sit just below 2^32 so that sequence numbers wrap.
 * fuzz/make_seeds.py writes the samples in this format.
 *
 * Checked: caps hold after every push (flows, buffered bytes); findings and
 * summaries are well formed; no event for a connection after its summary;
 * every connection that was reported gets exactly one summary; nothing is
 * left buffered after mqttka_finish.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyzer.h"
#include "event_log.h"
#include "fuzz_target.h"

#define FLOWS 4
#define RECORD_HEADER 6
/* The margin kept from the ends of int64 by the jumps to them. */
#define FAR ((mqttka_time)1000000000)

typedef struct run {
    const mqttka_config *cfg;
    /* Connection ids are 1, 2, ...: at most one per record. */
    uint8_t *state; /* per id: 0 unseen, 1 reported, 2 summary given */
    size_t n_ids;
    uint64_t max_id;
    bool verbose; /* FUZZ_ANALYZER_LOG set: the event log on stderr, to check seeds */
} run;

static void check_finding(const run *r, const mqttka_finding *f)
{
    (void)r;
    FUZZ_ASSERT(f->kind < MQTTKA_F_COUNT);
    FUZZ_ASSERT(f->severity <= MQTTKA_ERROR);
    FUZZ_ASSERT(f->severity <= mqttka_finding_severity(f->kind));
    FUZZ_ASSERT(memchr(f->detail, '\0', sizeof f->detail) != NULL);
    FUZZ_ASSERT(!f->has_value || !isnan(f->value));
    FUZZ_ASSERT(f->dir == MQTTKA_C2S || f->dir == MQTTKA_S2C);
}

static void on_event(void *user_data, const mqttka_event *ev)
{
    run *r = user_data;
    if (ev->type == MQTTKA_EV_TLS_INFERENCE) { /* a TLS flow: no MQTT connection */
        const mqttka_tls_inference *t = ev->u.tls;
        FUZZ_ASSERT(ev->conn == NULL && t != NULL);
        FUZZ_ASSERT(t->n_findings <= MQTTKA_TLS_MAX_FINDINGS);
        FUZZ_ASSERT(t->pingresp <= t->pingreq && t->pingreq_unanswered <= t->pingreq);
        for (size_t i = 0; i < t->n_findings; i++)
            check_finding(r, &t->findings[i]);
        return;
    }
    FUZZ_ASSERT(ev->conn != NULL);
    uint64_t id = ev->conn->id;
    FUZZ_ASSERT(id >= 1 && id < r->n_ids);
    FUZZ_ASSERT(r->state[id] != 2); /* nothing after the summary */
    if (id > r->max_id)
        r->max_id = id;
    FUZZ_ASSERT(ev->conn->client_id && ev->conn->ws_subprotocol && ev->conn->ws_extensions);
    FUZZ_ASSERT(strlen(ev->conn->client_id) < MQTTKA_CLIENT_ID_SIZE);
    FUZZ_ASSERT(strlen(ev->conn->ws_subprotocol) < MQTTKA_WS_SUBPROTOCOL_SIZE);
    FUZZ_ASSERT(strlen(ev->conn->ws_extensions) < MQTTKA_WS_EXTENSIONS_SIZE);
    if (r->verbose) { /* before the checks of its type: a failure follows its line */
        char line[1024];
        event_log_format(ev, true, line, sizeof line);
        fputs(line, stderr);
    }
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE:
        FUZZ_ASSERT(ev->u.handshake.path != NULL);
        (void)strlen(ev->u.handshake.path);
        break;
    case MQTTKA_EV_WS_CONTROL:
        FUZZ_ASSERT(ev->u.control.payload_len <= 125);
        FUZZ_ASSERT(ev->u.control.opcode >= 8 && ev->u.control.opcode <= 10);
        break;
    case MQTTKA_EV_MQTT_PACKET: {
        const mqttka_mqtt_packet *p = &ev->u.mqtt;
        FUZZ_ASSERT(p->type >= 1 && p->type <= 15);
        FUZZ_ASSERT(p->remaining_length <= 268435455u);
        if (p->connect) {
            FUZZ_ASSERT(p->type == 1);
            FUZZ_ASSERT(memchr(p->connect->protocol_name, '\0', sizeof p->connect->protocol_name));
            /* NULL when the body ends before the client id. */
            if (p->connect->client_id)
                (void)strlen(p->connect->client_id);
        }
        if (p->connack)
            FUZZ_ASSERT(p->type == 2);
        break;
    }
    case MQTTKA_EV_FINDING:
        check_finding(r, ev->u.finding);
        break;
    case MQTTKA_EV_TLS_INFERENCE:
        break; /* handled above */
    case MQTTKA_EV_CONNECTION: {
        const mqttka_summary *s = ev->u.summary;
        FUZZ_ASSERT(s->conn == ev->conn);
        FUZZ_ASSERT(s->verdict < MQTTKA_V_COUNT);
        FUZZ_ASSERT(s->n_findings <= r->cfg->max_summary_findings);
        FUZZ_ASSERT(s->n_findings == 0 || s->findings != NULL);
        for (size_t i = 0; i < s->n_findings; i++)
            check_finding(r, &s->findings[i]);
        FUZZ_ASSERT(memchr(s->verdict_detail, '\0', sizeof s->verdict_detail) != NULL);
        FUZZ_ASSERT(memchr(s->ws_close_reason, '\0', sizeof s->ws_close_reason) != NULL);
        FUZZ_ASSERT(s->pingreq_unanswered <= s->pingreq);
        if (s->rtt_count)
            FUZZ_ASSERT(s->rtt_min <= s->rtt_median && s->rtt_median <= s->rtt_max &&
                        s->rtt_p95 <= s->rtt_max);
        r->state[id] = 2;
        return;
    }
    }
    r->state[id] = 1;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static mqttka_endpoint endpoint(int flow, bool server)
{
    mqttka_endpoint e;
    memset(&e, 0, sizeof e);
    if (flow == 3) {
        e.family = 6;
        e.addr[15] = server ? 2 : 1;
    } else {
        e.family = 4;
        e.addr[0] = 10;
        e.addr[3] = (uint8_t)(server ? 1 : 2 + flow);
    }
    /* Flows 0 and 1 share the client address: only the port tells them apart. */
    e.port = server ? 1883 : (uint16_t)(40000 + flow);
    return e;
}

static uint32_t isn(int flow, int dir)
{
    return dir ? 0xFFFFFF00u - (uint32_t)flow * 0x1000u : 1000u + (uint32_t)flow * 0x100000u;
}

/* Records queued for mqttka_push_batch, each payload in its own block. */
typedef struct batch {
    mqttka_segment seg[15];
    uint8_t *payload[15];
    size_t n, size;
    size_t ahead; /* records a full batch carries as look-ahead */
} batch;

static void check_caps(const mqttka_analyzer *a, const mqttka_config *cfg)
{
    FUZZ_ASSERT(analyzer_flow_count(a) <= cfg->max_flows);
    FUZZ_ASSERT(analyzer_buffered_bytes(a) <= cfg->max_total_buffered_bytes);
}

/* A full batch: all but `ahead` records pushed, those shown as look-ahead
 * and kept for the next batch. */
static void batch_flush_full(mqttka_analyzer *a, batch *b, const mqttka_config *cfg)
{
    size_t keep = b->ahead < b->n ? b->ahead : 0;
    size_t pushed = b->n - keep;
    FUZZ_ASSERT(mqttka_push_batch_ahead(a, b->seg, pushed, keep) == MQTTKA_OK);
    for (size_t i = 0; i < pushed; i++)
        free(b->payload[i]);
    memmove(b->seg, b->seg + pushed, keep * sizeof b->seg[0]);
    memmove(b->payload, b->payload + pushed, keep * sizeof b->payload[0]);
    b->n = keep;
    check_caps(a, cfg);
}

static void batch_flush(mqttka_analyzer *a, batch *b, const mqttka_config *cfg)
{
    if (!b->n)
        return;
    FUZZ_ASSERT(mqttka_push_batch(a, b->seg, b->n) == MQTTKA_OK);
    for (size_t i = 0; i < b->n; i++)
        free(b->payload[i]);
    b->n = 0;
    check_caps(a, cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_flows = (size_t)1 << (data[0] & 7);
    cfg.max_ooo_segments = (data[0] >> 3) & 7;
    if (data[0] & 0x40) {
        cfg.max_ooo_bytes = 64;
        cfg.max_total_buffered_bytes = 128;
    }
    cfg.max_http_header_bytes = 16 + 33 * (size_t)data[1];
    cfg.max_mqtt_kept_bytes = 16 + 4 * (size_t)data[2];
    cfg.max_summary_findings = data[3] & 15;

    run r;
    memset(&r, 0, sizeof r);
    r.cfg = &cfg;
    r.verbose = getenv("FUZZ_ANALYZER_LOG") != NULL;
    r.n_ids = size / RECORD_HEADER + 2;
    r.state = calloc(r.n_ids, 1);
    if (!r.state)
        abort();

    mqttka_analyzer *a = NULL;
    FUZZ_ASSERT(mqttka_new(&a, &cfg, on_event, &r) == MQTTKA_OK);
    batch b = {.n = 0, .size = data[3] >> 4, .ahead = (data[0] & 0x80) ? 2 : 0};

    uint32_t next[FLOWS][2];
    for (int f = 0; f < FLOWS; f++)
        for (int d = 0; d < 2; d++)
            next[f][d] = isn(f, d);
    mqttka_time ts = (mqttka_time)1700000000 * 1000000;
    uint64_t frame = 0;

    size_t pos = 4;
    while (size - pos >= RECORD_HEADER) {
        const uint8_t *h = data + pos;
        pos += RECORD_HEADER;
        int flow = h[0] & 3, dir = (h[0] >> 2) & 1, mode = (h[0] >> 3) & 3;
        bool snapped = h[0] & 0x20, ack_ahead = h[0] & 0x40, tick = h[0] & 0x80;
        uint8_t flags = h[1] & 0x1f;
        int16_t dt = (int16_t)(uint16_t)(h[2] | h[3] << 8);
        size_t len = h[4];
        uint32_t delta = h[5];
        uint32_t seq = next[flow][dir];
        if (mode == 1)
            seq -= delta;
        else if (mode == 2)
            seq += delta;
        else if (mode == 3) {
            if (size - pos < 4)
                break;
            seq = isn(flow, dir) + le32(data + pos);
            pos += 4;
        }
        if (len > size - pos)
            len = size - pos;

        if (dt == INT16_MIN)
            ts = INT64_MAX - FAR;
        else if (dt == INT16_MAX)
            ts = INT64_MIN + 1 + FAR;
        else if (dt > 0 && ts > INT64_MAX - FAR)
            ts = INT64_MAX; /* saturates rather than overflow here */
        else if (dt < 0 && ts < INT64_MIN + 1 + FAR)
            ts = INT64_MIN + 1;
        else
            ts += (mqttka_time)dt * 1000;
        frame++;
        if (tick) {
            batch_flush(a, &b, &cfg);
            (void)mqttka_tick(a, ts);
        }

        mqttka_segment seg;
        memset(&seg, 0, sizeof seg);
        seg.src = endpoint(flow, dir == 1);
        seg.dst = endpoint(flow, dir == 0);
        seg.seq = seq;
        seg.ack = next[flow][1 - dir] + (ack_ahead ? delta : 0);
        seg.tcp_flags = flags;
        /* The payload in a block of its exact size: an over-read is caught. */
        uint8_t *payload = len ? fuzz_exact_copy(data + pos, len) : NULL;
        seg.payload = payload;
        seg.captured_len = len;
        seg.wire_len = len + (snapped ? delta : 0);
        seg.ts = ts;
        seg.tag = frame;
        pos += len;

        if (b.size) {
            b.seg[b.n] = seg;
            b.payload[b.n++] = payload;
            if (b.n == b.size)
                batch_flush_full(a, &b, &cfg);
        } else {
            FUZZ_ASSERT(mqttka_push(a, &seg) == MQTTKA_OK);
            free(payload);
            check_caps(a, &cfg);
        }
        /* What an endpoint would send next: after the data and a SYN or FIN. */
        uint32_t end = seq + (uint32_t)seg.wire_len + ((flags & MQTTKA_TCP_SYN) ? 1 : 0) +
                       ((flags & MQTTKA_TCP_FIN) ? 1 : 0);
        if ((int32_t)(end - next[flow][dir]) > 0)
            next[flow][dir] = end;
    }

    batch_flush(a, &b, &cfg);
    mqttka_finish(a, ts);
    FUZZ_ASSERT(analyzer_flow_count(a) == 0);
    FUZZ_ASSERT(analyzer_buffered_bytes(a) == 0);
    mqttka_free(&a);
    FUZZ_ASSERT(a == NULL);
    /* Lose nothing: every connection that was reported was summed up. */
    for (uint64_t id = 1; id <= r.max_id; id++)
        FUZZ_ASSERT(r.state[id] == 2);
    free(r.state);
    return 0;
}
