/*
 * test_caps.c - one case per cap of mqttka_config (and the fixed WebSocket
 * control payload limit), through the public API only. The inflate caps'
 * compressed messages are made by zlib, as senders make them.
 *
 * Each case sets the cap small, drives it over with crafted segments, and
 * checks the contract of mqttka.h: a resource_limit finding on the
 * connection that hit it (the offending one, or for the flow table one
 * idle longest), and the rest of the run unharmed — other
 * connections go on being decoded and every connection still gets its
 * summary.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include "event_log.h"
#include "mqttka.h"
#include "test_harness.h"

/* ------------------------------------------------------------ segments -- */

/* One TCP connection from 10.0.0.2:port to 10.0.0.1:1883, tracking its
 * sequence numbers; every segment carries ACK. */
typedef struct conn {
    mqttka_analyzer *a;
    uint16_t port;
    uint32_t seq[2];
    mqttka_time ts;
    uint64_t *frame;
} conn;

/* flags as they are (push_at adds ACK) */
static void push_exact(conn *c, int dir, uint32_t seq, uint8_t flags, const void *p, size_t len)
{
    mqttka_segment s;
    memset(&s, 0, sizeof s);
    mqttka_endpoint cl = {4, {10, 0, 0, 2}, c->port};
    mqttka_endpoint sv = {4, {10, 0, 0, 1}, 1883};
    s.src = dir == 0 ? cl : sv;
    s.dst = dir == 0 ? sv : cl;
    s.seq = seq;
    s.ack = c->seq[1 - dir];
    s.tcp_flags = flags;
    s.payload = p;
    s.captured_len = s.wire_len = len;
    c->ts += 1000;
    s.ts = c->ts;
    s.tag = ++*c->frame;
    CHECK(mqttka_push(c->a, &s) == MQTTKA_OK);
}

static void push_at(conn *c, int dir, uint32_t seq, uint8_t flags, const void *p, size_t len)
{
    push_exact(c, dir, seq, (uint8_t)(flags | MQTTKA_TCP_ACK), p, len);
}

static void send_(conn *c, int dir, const void *p, size_t len)
{
    push_at(c, dir, c->seq[dir], MQTTKA_TCP_PSH, p, len);
    c->seq[dir] += (uint32_t)len;
}

static const uint8_t connect_pkt[] = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                      0x00, 0x05, 0x00, 0x04, 'c', 'a', 'p', 's'};
static const uint8_t connack_pkt[] = {0x20, 0x02, 0x00, 0x00};
static const uint8_t pingreq_pkt[] = {0xc0, 0x00};
static const uint8_t pingresp_pkt[] = {0xd0, 0x00};

static conn open_mqtt(mqttka_analyzer *a, uint16_t port, uint64_t *frame)
{
    conn c = {a, port, {1000, 9000}, (mqttka_time)1700000000 * 1000000 + port * 10000, frame};
    send_(&c, 0, connect_pkt, sizeof connect_pkt);
    send_(&c, 1, connack_pkt, sizeof connack_pkt);
    return c;
}

/* A log with each finding's detail: the detail says which cap was hit. */
static mqttka_analyzer *start(const mqttka_config *cfg, event_log *l)
{
    event_log_reset(l, true);
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, cfg, event_log_on_event, l) == MQTTKA_OK);
    return a;
}

/* --------------------------------------------------------------- cases -- */

/* A step past every time used so far (each connection below keeps its own
 * clock, 10 ms apart): eviction goes by each flow's last packet time. */
#define FLOW_ORDER_STEP_US ((mqttka_time)1000000)

/* max_flows: the least recently active connection is dropped, with its
 * summary; the others go on. */
static void test_max_flows(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_flows = 3;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c1 = open_mqtt(a, 40001, &frame);
    (void)open_mqtt(a, 40002, &frame);
    conn c3 = open_mqtt(a, 40003, &frame);
    /* A second after everything so far, #1 is the most recently active. */
    c1.ts = c3.ts + FLOW_ORDER_STEP_US;
    send_(&c1, 0, pingreq_pkt, sizeof pingreq_pkt);
    conn c4 = open_mqtt(a, 40004, &frame);          /* evicts #2 */
    send_(&c3, 0, pingreq_pkt, sizeof pingreq_pkt);
    send_(&c4, 0, pingreq_pkt, sizeof pingreq_pkt);
    send_(&c1, 1, pingresp_pkt, sizeof pingresp_pkt);
    mqttka_finish(a, c4.ts);
    mqttka_free(&a);
    /* #2's last frame was its CONNACK (4). */
    LOG_HAS(l, "[8] #2 C>S finding resource_limit warn about=4 \"flow table full (3 flows)");
    LOG_HAS(l, "[8] #2 summary 10.0.0.2:40002 -> 10.0.0.1:1883 tcp v=3.1.1 ka=5 ska=-1 kae=5 "
               "pingreq=0 pingresp=0 unanswered=0 close=-/- start_seen=0 verdict=open "
               "id=\"caps\" sub=\"\" ext=\"\" \"still open at the end of the capture\"\n"
               "[8] #4 C>S CONNECT");
    LOG_HAS(l, "[10] #3 C>S PINGREQ silence=0.002\n"
               "[11] #4 C>S PINGREQ silence=0.002\n"
               "[12] #1 S>C PINGRESP");
    LOG_HAS(l, "#1 summary");
    LOG_HAS(l, "#3 summary");
    LOG_HAS(l, "#4 summary");
    LOG_LACKS(l, "#1 C>S finding resource_limit");
    LOG_LACKS(l, "#1 S>C finding resource_limit");
}

/* In a big table the flow dropped is picked from a sample, not from a list
 * kept in activity order: it must still be an idle one. 4096 MQTT
 * connections, a quarter of them idle since their CONNECT; 256 new ones
 * must push out idle ones only. */
enum { SAMPLED_FLOWS = 4096, SAMPLED_IDLE_EVERY = 4, SAMPLED_NEW = 256 };

typedef struct drop_log {
    uint8_t dropped[SAMPLED_FLOWS + SAMPLED_NEW + 1]; /* by connection id */
    size_t drops;
} drop_log;

static void on_drop(void *user_data, const mqttka_event *ev)
{
    drop_log *d = user_data;
    if (ev->type == MQTTKA_EV_FINDING && ev->u.finding->kind == MQTTKA_F_RESOURCE_LIMIT &&
        ev->conn->id < sizeof d->dropped) {
        d->dropped[ev->conn->id] = 1;
        d->drops++;
    }
}

/* Connection i (id i + 1) from 10.0.0.2:(10000 + i): its CONNECT, or a
 * PINGREQ right after it. */
static void push_client(mqttka_analyzer *a, uint32_t i, bool ping, mqttka_time ts)
{
    mqttka_segment s;
    memset(&s, 0, sizeof s);
    s.src = (mqttka_endpoint){4, {10, 0, 0, 2}, (uint16_t)(10000 + i)};
    s.dst = (mqttka_endpoint){4, {10, 0, 0, 1}, 1883};
    s.seq = ping ? 1000 + (uint32_t)sizeof connect_pkt : 1000;
    s.tcp_flags = MQTTKA_TCP_ACK | MQTTKA_TCP_PSH;
    s.payload = ping ? pingreq_pkt : connect_pkt;
    s.captured_len = s.wire_len = ping ? sizeof pingreq_pkt : sizeof connect_pkt;
    s.ts = ts;
    s.tag = i + 1;
    CHECK(mqttka_push(a, &s) == MQTTKA_OK);
}

static void test_max_flows_sampled(void)
{
    static drop_log d;
    memset(&d, 0, sizeof d);
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_flows = SAMPLED_FLOWS;
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, &cfg, on_drop, &d) == MQTTKA_OK);
    mqttka_time t = (mqttka_time)1700000000 * 1000000;
    for (uint32_t i = 0; i < SAMPLED_FLOWS; i++)
        push_client(a, i, false, t + i);
    t += 10 * 1000000;
    for (uint32_t i = 0; i < SAMPLED_FLOWS; i++)
        if (i % SAMPLED_IDLE_EVERY != 0)
            push_client(a, i, true, t + i);
    t += 10 * 1000000;
    for (uint32_t i = SAMPLED_FLOWS; i < SAMPLED_FLOWS + SAMPLED_NEW; i++)
        push_client(a, i, false, t + i);
    CHECK(d.drops == SAMPLED_NEW);
    size_t dropped_active = 0, dropped_new = 0;
    for (uint32_t i = 0; i < SAMPLED_FLOWS + SAMPLED_NEW; i++) {
        if (!d.dropped[i + 1] || (i < SAMPLED_FLOWS && i % SAMPLED_IDLE_EVERY == 0))
            continue;
        if (i < SAMPLED_FLOWS)
            dropped_active++;
        else
            dropped_new++;
    }
    /* A sample of 16 misses every idle flow when at least 3/4 of the table
     * is not idle with a chance of (3/4)^16 = 1% per drop: a handful at
     * most, where picking at random would drop about 190 active ones. */
    CHECK(dropped_active <= SAMPLED_NEW / 32);
    CHECK(dropped_new == 0);
    mqttka_finish(a, t + 1000000);
    mqttka_free(&a);
}

static void test_max_ooo_segments(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_ooo_segments = 4;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c1 = open_mqtt(a, 40001, &frame);
    conn c2 = open_mqtt(a, 40002, &frame);
    uint32_t hole = c1.seq[0];
    for (uint32_t i = 0; i < 5; i++)
        push_at(&c1, 0, hole + 10 + 2 * i, MQTTKA_TCP_PSH, pingreq_pkt, sizeof pingreq_pkt);
    send_(&c2, 0, pingreq_pkt, sizeof pingreq_pkt);
    mqttka_finish(a, c2.ts);
    mqttka_free(&a);
    LOG_HAS(l, "[9] #1 C>S finding resource_limit warn about=9 "
               "\"out-of-order queue full (max 4 segments");
    LOG_HAS(l, "#1 C>S finding capture_gap");
    LOG_HAS(l, "#2 C>S PINGREQ");
    LOG_LACKS(l, "#2 C>S finding resource_limit");
    LOG_LACKS(l, "#2 S>C finding resource_limit");
    LOG_HAS(l, "#1 summary");
    LOG_HAS(l, "#2 summary");
}

/* max_ooo_bytes: the same for bytes held per direction. */
static void test_max_ooo_bytes(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_ooo_bytes = 100;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c1 = open_mqtt(a, 40001, &frame);
    uint8_t pings[60];
    for (size_t i = 0; i < sizeof pings; i += 2)
        memcpy(pings + i, pingreq_pkt, 2);
    uint32_t hole = c1.seq[0];
    push_at(&c1, 0, hole + 2, MQTTKA_TCP_PSH, pings, sizeof pings);      /* 60 held */
    push_at(&c1, 0, hole + 62, MQTTKA_TCP_PSH, pings, sizeof pings);     /* 120: over */
    mqttka_finish(a, c1.ts);
    mqttka_free(&a);
    LOG_HAS(l, "[4] #1 C>S finding resource_limit warn about=4 "
               "\"out-of-order queue full (max 64 segments, 100 bytes");
    LOG_HAS(l, "#1 summary");
}

/* max_total_buffered_bytes: the connection whose segment would break the
 * shared budget is the one that loses; the other keeps its queue and, once
 * its hole is filled, every queued packet is decoded. */
static void test_max_total_buffered(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_ooo_bytes = 100;
    cfg.max_total_buffered_bytes = 150;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c1 = open_mqtt(a, 40001, &frame);
    conn c2 = open_mqtt(a, 40002, &frame);
    uint8_t pings[90];
    for (size_t i = 0; i < sizeof pings; i += 2)
        memcpy(pings + i, pingreq_pkt, 2);
    uint32_t hole1 = c1.seq[0], hole2 = c2.seq[0];
    push_at(&c1, 0, hole1 + 2, MQTTKA_TCP_PSH, pings, sizeof pings); /* 90 of 150 */
    push_at(&c2, 0, hole2 + 2, MQTTKA_TCP_PSH, pings, sizeof pings); /* 180: over */
    push_at(&c1, 0, hole1, MQTTKA_TCP_PSH, pingreq_pkt, sizeof pingreq_pkt); /* fills #1 */
    c1.seq[0] = hole1 + 2 + sizeof pings;
    send_(&c1, 1, pingresp_pkt, sizeof pingresp_pkt);
    mqttka_finish(a, c1.ts);
    mqttka_free(&a);
    LOG_HAS(l, "[6] #2 C>S finding resource_limit warn about=6 "
               "\"out-of-order queue full (max 64 segments, 100 bytes per "
           "direction, 150 in all)");
    LOG_LACKS(l, "#1 C>S finding resource_limit");
    LOG_LACKS(l, "#1 S>C finding resource_limit");
    LOG_LACKS(l, "#1 C>S finding capture_gap");
    LOG_LACKS(l, "#1 S>C finding capture_gap");
    /* 1 + 45 PINGREQs on #1, all decoded. */
    const char *p = l.text;
    int pings1 = 0;
    while ((p = strstr(p, "#1 C>S PINGREQ silence=")) != NULL) {
        pings1++;
        p++;
    }
    CHECK_EQ_INT(pings1, 46);
}

/* max_http_header_bytes: an answer to an MQTT Upgrade request whose header
 * block never ends within the cap: reported on that connection, which is
 * then not decoded. A request whose block overflows is not known to be MQTT
 * (its protocols were not read): nothing is reported for it. */
static void test_max_http_header(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_http_header_bytes = 256;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c1 = {a, 40001, {1000, 9000}, (mqttka_time)1700000000 * 1000000, &frame};
    static const char req[] = "GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
    send_(&c1, 0, req, strlen(req));
    static const char line[] = "X-Filler: 0123456789012345678901234567890123456789\r\n";
    send_(&c1, 1, "HTTP/1.1 101 Switching Protocols\r\n", 34);
    for (int i = 0; i < 8; i++)
        send_(&c1, 1, line, strlen(line));
    /* A request that is too long: silence. */
    conn c2 = {a, 40002, {1000, 9000}, c1.ts, &frame};
    send_(&c2, 0, "GET /mqtt HTTP/1.1\r\n", 20);
    for (int i = 0; i < 8; i++)
        send_(&c2, 0, line, strlen(line));
    /* And the run goes on. */
    conn c3 = open_mqtt(a, 40003, &frame);
    send_(&c3, 0, pingreq_pkt, sizeof pingreq_pkt);
    mqttka_finish(a, c3.ts);
    mqttka_free(&a);
    LOG_HAS(l, "[7] #1 S>C finding resource_limit warn about=7 "
               "\"HTTP response header block exceeds 256 bytes");
    LOG_HAS(l, "#1 summary");
    LOG_HAS(l, "#2 C>S CONNECT"); /* c3 is the second connection reported */
    LOG_HAS(l, "#2 C>S PINGREQ");
    LOG_LACKS(l, "#3 ");
}

/* The WebSocket control payload: 125 bytes by RFC 6455 §5.5, fixed. A Ping
 * that declares more is a framing error, is reported with its first 125
 * bytes, and the frames after it are still decoded. */
static void test_ws_control_payload(void)
{
    static event_log l;
    mqttka_analyzer *a = start(NULL, &l);
    uint64_t frame = 0;
    conn c = {a, 40001, {1000, 9000}, (mqttka_time)1700000000 * 1000000, &frame};
    static const char req[] = "GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
    static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                               "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
    send_(&c, 0, req, strlen(req));
    send_(&c, 1, resp, strlen(resp));
    /* Server frames are unmasked: CONNACK, a 300-byte Ping, a PINGRESP. */
    uint8_t f[2 + 2 + 300];
    f[0] = 0x89;
    f[1] = 126;
    f[2] = 300 >> 8;
    f[3] = 300 & 0xff;
    memset(f + 4, 'p', 300);
    uint8_t client_connect[6 + sizeof connect_pkt];
    client_connect[0] = 0x82;
    client_connect[1] = 0x80 | (uint8_t)sizeof connect_pkt;
    memset(client_connect + 2, 0, 4); /* mask key 0: the payload as is */
    memcpy(client_connect + 6, connect_pkt, sizeof connect_pkt);
    send_(&c, 0, client_connect, sizeof client_connect);
    static const uint8_t connack_frame[] = {0x82, 0x04, 0x20, 0x02, 0x00, 0x00};
    send_(&c, 1, connack_frame, sizeof connack_frame);
    send_(&c, 1, f, sizeof f);
    static const uint8_t ping_frame[] = {0x82, 0x80, 0, 0, 0, 0, 0x82, 0x82, 0, 0, 0, 0, 0xc0, 0x00};
    send_(&c, 0, ping_frame, sizeof ping_frame);
    static const uint8_t pong_frame[] = {0x82, 0x02, 0xd0, 0x00};
    send_(&c, 1, pong_frame, sizeof pong_frame);
    mqttka_finish(a, c.ts);
    mqttka_free(&a);
    LOG_HAS(l, "[5] #1 S>C finding ws_framing_error error about=5 "
               "\"server frame (opcode 9): control frame longer than 125");
    LOG_HAS(l, "[5] #1 S>C ws ping len=125\n");
    LOG_HAS(l, "[6] #1 C>S PINGREQ silence=0.003\n");
    LOG_HAS(l, "[7] #1 S>C PINGRESP rtt=0.001 pair=6\n");
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* max_mqtt_kept_bytes: a CONNECT longer than the cap still gives its
 * keepalive (its client id truncated); a PUBLISH declaring 268,435,455
 * bytes is streamed past without memory growing. */
static void test_max_mqtt_kept(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_mqtt_kept_bytes = 32;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c = {a, 40001, {1000, 9000}, (mqttka_time)1700000000 * 1000000, &frame};
    uint8_t big_connect[3 + 214];
    static const uint8_t head[] = {0x10, 0xd6, 0x01, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                   0x04, 0x02, 0x00, 0x07, 0x00, 0xc8};
    /* Remaining Length 214 = 0xd6 0x01: 10 variable header + 2 + 200 id + 2 spare */
    memset(big_connect, 'x', sizeof big_connect);
    memcpy(big_connect, head, sizeof head);
    send_(&c, 0, big_connect, 3 + 214);
    send_(&c, 1, connack_pkt, sizeof connack_pkt);
    static const uint8_t publish_head[] = {0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 't'};
    send_(&c, 0, publish_head, sizeof publish_head);
    static uint8_t block[60000];
    memset(block, 0xa5, sizeof block);
    long before = peak_rss_kib();
    for (int i = 0; i < 512; i++) /* 30 MB */
        send_(&c, 0, block, sizeof block);
    long after = peak_rss_kib();
    mqttka_finish(a, c.ts);
    mqttka_free(&a);
    LOG_HAS(l, "[1] #1 C>S CONNECT level=4 ka=7 clean=1 id=\"xxxxxxxxxxxxxx");
    LOG_HAS(l, "...");
    if (before >= 0 && after >= 0) {
        if (after - before >= 1024)
            fprintf(stderr, "peak RSS grew by %ld KiB streaming 30 MB of PUBLISH\n",
                    after - before);
        CHECK(after - before < 1024);
    }
    LOG_HAS(l, "#1 summary");
}

/* ------------------------------------------------- permessage-deflate -- */

/* A WebSocket whose 101 accepts permessage-deflate with these parameters
 * ("mqtt" chosen), then the client's CONNECT and the server's CONNACK
 * uncompressed (RFC 7692 lets a sender leave any message uncompressed). */
static conn open_deflate(mqttka_analyzer *a, uint16_t port, uint64_t *frame, const char *params)
{
    conn c = {a, port, {1000, 9000}, (mqttka_time)1700000000 * 1000000 + port * 10000, frame};
    static const char req[] = "GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n"
                              "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
    char resp[512];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                     "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Extensions: %s\r\n\r\n",
                     params);
    send_(&c, 0, req, strlen(req));
    send_(&c, 1, resp, (size_t)n);
    uint8_t f[6 + sizeof connect_pkt];
    f[0] = 0x82;
    f[1] = 0x80 | (uint8_t)sizeof connect_pkt;
    memset(f + 2, 0, 4); /* mask key 0: the payload as is */
    memcpy(f + 6, connect_pkt, sizeof connect_pkt);
    send_(&c, 0, f, sizeof f);
    static const uint8_t connack_frame[] = {0x82, 0x04, 0x20, 0x02, 0x00, 0x00};
    send_(&c, 1, connack_frame, sizeof connack_frame);
    return c;
}

/* Compresses `len` bytes, then `zeros` zero bytes, as one permessage-deflate
 * message with zlib (raw DEFLATE, level 9, a sync flush, its 00 00 ff ff
 * cut) and sends it from `dir` in one frame of several segments. A fresh
 * compressor each time: as from a sender without context takeover. */
static void send_deflated_zeros(conn *c, int dir, const uint8_t *bytes, size_t len, size_t zeros)
{
    static uint8_t zero_block[1 << 16];
    static uint8_t out[1 << 17];
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t n = 0;
    for (size_t done = 0;;) {
        size_t take = zeros - done < sizeof zero_block ? zeros - done : sizeof zero_block;
        bool first = z.total_in == 0 && len > 0;
        z.next_in = first ? (Bytef *)(uintptr_t)bytes : zero_block;
        z.avail_in = (uInt)(first ? len : take);
        if (!first)
            done += take;
        bool last = !first && done >= zeros;
        z.next_out = out + n;
        z.avail_out = (uInt)(sizeof out - n);
        if (deflate(&z, last ? Z_SYNC_FLUSH : Z_NO_FLUSH) != Z_OK || z.avail_in)
            abort();
        n = sizeof out - z.avail_out;
        if (last)
            break;
    }
    deflateEnd(&z);
    n -= 4;
    uint8_t head[14];
    size_t h = 0;
    head[h++] = 0xc2; /* FIN, RSV1, binary */
    uint8_t mask = dir == 0 ? 0x80 : 0;
    if (n < 126) {
        head[h++] = (uint8_t)(mask | n);
    } else {
        head[h++] = (uint8_t)(mask | 126);
        head[h++] = (uint8_t)(n >> 8);
        head[h++] = (uint8_t)n;
    }
    if (mask) {
        memset(head + h, 0, 4);
        h += 4;
    }
    send_(c, dir, head, h);
    for (size_t at = 0; at < n; at += 1448)
        send_(c, dir, out + at, n - at < 1448 ? n - at : 1448);
}

static void send_deflated(conn *c, int dir, const uint8_t *bytes, size_t len)
{
    send_deflated_zeros(c, dir, bytes, len, 0);
}

/* A PUBLISH on "t" declaring the largest Remaining Length (268,435,455). */
static const uint8_t publish_max_head[] = {0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 't'};

/* max_inflated_message_bytes: a PUBLISH of 64 MiB of zeros in one message
 * (about 64 KiB compressed) against a 1 MiB cap is cut there, having cost
 * no memory; the
 * client resets its context every message, so its next PINGREQ is decoded;
 * the server keeps its own and goes on too. */
static void test_max_inflated_message(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_inflated_message_bytes = 1u << 20;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c = open_deflate(a, 40001, &frame, "permessage-deflate; client_no_context_takeover");
    long before = peak_rss_kib();
    send_deflated_zeros(&c, 0, publish_max_head, sizeof publish_max_head, (size_t)64 << 20);
    long after = peak_rss_kib();
    send_deflated(&c, 0, pingreq_pkt, sizeof pingreq_pkt);
    send_deflated(&c, 1, pingresp_pkt, sizeof pingresp_pkt);
    mqttka_finish(a, c.ts);
    mqttka_free(&a);
    LOG_HAS(l, "#1 C>S finding resource_limit warn");
    LOG_HAS(l, "client compressed message inflates past 1048576 bytes "
               "(max_inflated_message_bytes); decoding resumes at a message that starts a packet");
    LOG_HAS(l, "#1 C>S PINGREQ");
    LOG_HAS(l, "#1 S>C PINGRESP rtt=");
    if (before >= 0 && after >= 0) {
        if (after - before >= 1024)
            fprintf(stderr, "peak RSS grew by %ld KiB inflating a 64 MiB bomb\n", after - before);
        CHECK(after - before < 1024);
    }
    LOG_HAS(l, "#1 summary");
}

/* max_inflate_ratio: PUBLISHes of 1 MiB of zeros (about 1 KiB each) under
 * the message cap: once past its first MiB the direction may inflate 50
 * times what it read. The second is cut; the third and fourth, each from a
 * fresh context, are cut as soon as they pass 50 times their own size; the
 * PINGREQ after them is decoded. */
static void test_max_inflate_ratio(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_inflate_ratio = 50;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c = open_deflate(a, 40001, &frame, "permessage-deflate; client_no_context_takeover");
    static const uint8_t publish_1mib[] = {0x30, 0x83, 0x80, 0x40, 0x00, 0x01, 't'};
    for (int i = 0; i < 4; i++) /* Remaining Length 3 + 2^20 */
        send_deflated_zeros(&c, 0, publish_1mib, sizeof publish_1mib, (size_t)1 << 20);
    send_deflated(&c, 0, pingreq_pkt, sizeof pingreq_pkt);
    mqttka_finish(a, c.ts);
    mqttka_free(&a);
    const char *cut = "client compressed messages inflate to more than 50 times their size after "
                      "their first 1048576 bytes (max_inflate_ratio: ";
    size_t cuts = 0;
    for (const char *p = l.text; (p = strstr(p, cut)) != NULL; p++)
        cuts++;
    CHECK_EQ_INT(cuts, 3);
    LOG_HAS(l, "decoding resumes at a message that starts a packet");
    LOG_HAS(l, "#1 C>S PUBLISH");
    LOG_HAS(l, "#1 C>S PINGREQ");
    LOG_HAS(l, "#1 summary");
}

/* max_inflate_memory_bytes: room for one direction's zlib stream (its state
 * and the page of its window a PINGREQ writes, about 11 KiB) but not for a
 * second one's state (about 7 KiB). The client's stream, kept for its context,
 * takes it; the server's first compressed message finds none. Once the
 * first connection is gone its memory is back: a second connection's
 * server is decoded. */
static void test_max_inflate_memory(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_inflate_memory_bytes = 16 * 1024;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c1 = open_deflate(a, 40001, &frame, "permessage-deflate");
    send_deflated(&c1, 0, pingreq_pkt, sizeof pingreq_pkt);
    send_deflated(&c1, 1, pingresp_pkt, sizeof pingresp_pkt);
    push_at(&c1, 0, c1.seq[0], MQTTKA_TCP_FIN, NULL, 0);
    push_at(&c1, 1, c1.seq[1], MQTTKA_TCP_FIN, NULL, 0);
    conn c2 = open_deflate(a, 40002, &frame, "permessage-deflate");
    send_(&c2, 0, (const uint8_t[]){0x82, 0x82, 0, 0, 0, 0, 0xc0, 0x00}, 8);
    send_deflated(&c2, 1, pingresp_pkt, sizeof pingresp_pkt);
    mqttka_finish(a, c2.ts);
    mqttka_free(&a);
    LOG_HAS(l, "#1 C>S PINGREQ");
    LOG_HAS(l, "#1 S>C finding resource_limit warn");
    LOG_HAS(l, "no memory to inflate server messages (max_inflate_memory_bytes 16384 for all "
               "connections, or the system's); this direction is not decoded further");
    LOG_LACKS(l, "#1 S>C PINGRESP");
    LOG_HAS(l, "#2 C>S PINGREQ");
    LOG_HAS(l, "#2 S>C PINGRESP rtt=");
    LOG_LACKS(l, "#2 S>C finding resource_limit");
}

/* A TLS connection from its SYN: a handshake record each way, the client's
 * first application record (60 bytes) answered by a 21-byte one. */
static conn open_tls(mqttka_analyzer *a, uint16_t port, uint64_t *frame)
{
    conn c = {a, port, {1000, 9000}, (mqttka_time)1700000000 * 1000000 + port * 10000, frame};
    push_exact(&c, 0, c.seq[0]++, MQTTKA_TCP_SYN, NULL, 0);
    push_at(&c, 1, c.seq[1]++, MQTTKA_TCP_SYN, NULL, 0);
    static const uint8_t hello[] = {22, 3, 1, 0, 4, 1, 0, 0, 0};
    send_(&c, 0, hello, sizeof hello);
    send_(&c, 1, hello, sizeof hello);
    uint8_t rec[5 + 60] = {23, 3, 3, 0, 60};
    send_(&c, 0, rec, sizeof rec);
    rec[4] = 21;
    send_(&c, 1, rec, 5 + 21);
    return c;
}

/* max_tls_records: a TLS flow's record log stops at the cap; its inference
 * rests on the records before and says so; a second flow is not harmed.
 * max_tls_memory_bytes: with room for one first log (32 records of 24
 * bytes) and not two, the second flow's log is capped at once. */
static void tls_pings(conn *c, int n)
{
    uint8_t rec[5 + 19] = {23, 3, 3, 0, 19};
    for (int i = 0; i < n; i++) {
        c->ts += 5000000;
        send_(c, 0, rec, sizeof rec);
        send_(c, 1, rec, sizeof rec);
    }
}

static void test_max_tls_records(void)
{
    static event_log l;
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.max_tls_records = 8;
    mqttka_analyzer *a = start(&cfg, &l);
    uint64_t frame = 0;
    conn c1 = open_tls(a, 40001, &frame);
    tls_pings(&c1, 20);
    mqttka_finish(a, c1.ts + 1000000);
    mqttka_free(&a);
    LOG_HAS(l, "pingreq=3 pingresp=3 unanswered=0");
    LOG_HAS(l, "resource_limit");

    cfg.max_tls_records = 1024;
    cfg.max_tls_memory_bytes = 32 * 24 + 100;
    a = start(&cfg, &l);
    frame = 0;
    c1 = open_tls(a, 40001, &frame);
    conn c2 = open_tls(a, 40002, &frame);
    tls_pings(&c1, 10);
    tls_pings(&c2, 10);
    mqttka_finish(a, c2.ts + 1000000);
    mqttka_free(&a);
    LOG_HAS(l, "ka=5 pingreq=10 pingresp=10 unanswered=0 close=0/0 keepalive_inferred\n");
    LOG_HAS(l, "ka=-1 pingreq=0 pingresp=0 unanswered=0 close=0/0 resource_limit\n");
}

int main(void)
{
    test_max_flows();
    test_max_flows_sampled();
    test_max_ooo_segments();
    test_max_ooo_bytes();
    test_max_total_buffered();
    test_max_http_header();
    test_ws_control_payload();
    test_max_mqtt_kept();
    test_max_inflated_message();
    test_max_inflate_ratio();
    test_max_inflate_memory();
    test_max_tls_records();
    printf("%u passed, %u failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}
