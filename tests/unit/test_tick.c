/*
 * test_tick.c - mqttka_tick, the live capture's clock: findings that only
 * need time to pass come out when it passes, once, with the next deadline
 * right (one microsecond after each limit), for every connection; and a
 * later packet does not repeat what a tick told. Plain MQTT over TCP,
 * keepalive 2: tol 1 s, T_resp 1 s, G 7 s (the defaults).
 */
#include "mqttka.h"
#include "test_harness.h"

#include <stdint.h>
#include <string.h>

#define S(x) ((mqttka_time)((x) * 1000000.0 + 0.5))
#define T0 ((mqttka_time)1700000000 * 1000000)
#define MAX_SEEN 64

typedef struct seen {
    mqttka_finding_kind kind[MAX_SEEN];
    mqttka_severity severity[MAX_SEEN];
    uint64_t about[MAX_SEEN];
    uint64_t reported[MAX_SEEN];
    uint64_t conn[MAX_SEEN];
    size_t n;
} seen;

static void on_event(void *user, const mqttka_event *ev)
{
    seen *s = user;
    if (ev->type != MQTTKA_EV_FINDING || s->n == MAX_SEEN)
        return;
    const mqttka_finding *f = ev->u.finding;
    if (f->kind == MQTTKA_F_KEEPALIVE_NEGOTIATED || f->kind == MQTTKA_F_PINGRESP_RTT)
        return; /* not about time passing */
    s->kind[s->n] = f->kind;
    s->severity[s->n] = f->severity;
    s->about[s->n] = f->tag;
    s->reported[s->n] = f->reported_tag;
    s->conn[s->n] = ev->conn ? ev->conn->id : 0;
    s->n++;
}

/* One TCP connection 10.0.0.<n>:40000 -> 10.0.0.1:1883, its sequence numbers. */
typedef struct conn {
    mqttka_endpoint client, server;
    uint32_t seq[2];
} conn;

static void conn_init(conn *c, uint8_t n)
{
    memset(c, 0, sizeof *c);
    c->client.family = c->server.family = 4;
    c->client.addr[0] = c->server.addr[0] = 10;
    c->client.addr[3] = n;
    c->server.addr[3] = 1;
    c->client.port = 40000;
    c->server.port = 1883;
    c->seq[0] = 1000;
    c->seq[1] = 5000;
}

static void push(mqttka_analyzer *a, conn *c, int from_server, mqttka_time ts, uint64_t tag,
                 uint8_t flags, const uint8_t *bytes, size_t len)
{
    mqttka_segment seg;
    memset(&seg, 0, sizeof seg);
    seg.src = from_server ? c->server : c->client;
    seg.dst = from_server ? c->client : c->server;
    seg.seq = c->seq[from_server];
    seg.ack = c->seq[!from_server];
    seg.tcp_flags = flags;
    seg.payload = bytes;
    seg.captured_len = seg.wire_len = len;
    seg.ts = ts;
    seg.tag = tag;
    c->seq[from_server] += (uint32_t)len + ((flags & MQTTKA_TCP_SYN) ? 1u : 0u);
    CHECK(mqttka_push(a, &seg) == MQTTKA_OK);
}

static const uint8_t connect_ka2[] = {0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                      0x00, 0x02, 0x00, 0x01, 't'};
static const uint8_t connack_ok[] = {0x20, 0x02, 0x00, 0x00};
static const uint8_t pingreq[] = {0xc0, 0x00};
static const uint8_t pingresp[] = {0xd0, 0x00};

enum { DATA = MQTTKA_TCP_ACK | MQTTKA_TCP_PSH };

/* SYN, SYN-ACK, ACK, CONNECT (ka 2) at t0 (tag base+3), CONNACK. */
static void open_session(mqttka_analyzer *a, conn *c, mqttka_time t0, uint64_t base)
{
    push(a, c, 0, t0 - S(0.003), base, MQTTKA_TCP_SYN, NULL, 0);
    push(a, c, 1, t0 - S(0.002), base + 1, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK, NULL, 0);
    push(a, c, 0, t0 - S(0.001), base + 2, MQTTKA_TCP_ACK, NULL, 0);
    push(a, c, 0, t0, base + 3, DATA, connect_ka2, sizeof connect_ka2);
    push(a, c, 1, t0 + S(0.001), base + 4, DATA, connack_ok, sizeof connack_ok);
}

static mqttka_analyzer *start(seen *s)
{
    memset(s, 0, sizeof *s);
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, NULL, on_event, s) == MQTTKA_OK);
    return a;
}

/* Silence: KAe + tol, 1.5 x KAe + tol, 1.5 x KAe + G, each told once, each
 * deadline one microsecond past its limit; the packet that ends the silence
 * repeats none of them; then a PINGREQ is late T_resp after it. */
static void test_silence_and_ping(void)
{
    seen s;
    mqttka_analyzer *a = start(&s);
    conn c;
    conn_init(&c, 2);
    open_session(a, &c, T0, 1); /* CONNECT is frame 4 */

    CHECK_EQ_INT(mqttka_tick(a, T0 + S(0.5)), T0 + S(3) + 1); /* KA 2 + tol 1 */
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(3)), T0 + S(3) + 1);   /* at the limit: not past it */
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(3) + 1), T0 + S(4) + 1); /* 1.5 KA 3 + tol 1 */
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.kind[0], MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE);
    CHECK_EQ_INT(s.about[0], 4);
    CHECK_EQ_INT(s.reported[0], 0); /* known by the clock, at no frame */
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(3.5)), T0 + S(4) + 1); /* told once */
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(4) + 1), T0 + S(10) + 1); /* 1.5 KA 3 + G 7 */
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_INT(s.kind[1], MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE);
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(10) + 1), MQTTKA_TIME_NONE);
    CHECK_EQ_INT(s.n, 3);
    CHECK_EQ_INT(s.kind[2], MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED);
    CHECK_EQ_INT(s.about[2], 4);

    /* The client speaks again at 11 s: nothing told is told again. */
    push(a, &c, 0, T0 + S(11), 6, DATA, pingreq, sizeof pingreq);
    CHECK_EQ_INT(s.n, 3);
    /* Now the PINGREQ's deadline (T_resp 1 s) comes first. */
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(11.5)), T0 + S(12) + 1);
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(12) + 1), T0 + S(14) + 1);
    CHECK_EQ_INT(s.n, 4);
    CHECK_EQ_INT(s.kind[3], MQTTKA_F_PINGREQ_UNANSWERED);
    CHECK_EQ_INT(s.severity[3], MQTTKA_WARN);
    CHECK_EQ_INT(s.about[3], 6);
    CHECK_EQ_INT(s.reported[3], 0);
    /* Its PINGRESP comes late: pingresp_late, no second unanswered. */
    push(a, &c, 1, T0 + S(12.5), 7, DATA, pingresp, sizeof pingresp);
    CHECK_EQ_INT(s.n, 5);
    CHECK_EQ_INT(s.kind[4], MQTTKA_F_PINGRESP_LATE);
    mqttka_finish(a, T0 + S(12.6));
    CHECK_EQ_INT(s.n, 5);
    mqttka_free(&a);
}

/* The same packets with no tick (a file): the packet that ends the silence
 * tells all three, about itself. Live and file agree on the kinds. */
static void test_file_says_the_same_kinds(void)
{
    seen s;
    mqttka_analyzer *a = start(&s);
    conn c;
    conn_init(&c, 2);
    open_session(a, &c, T0, 1);
    push(a, &c, 0, T0 + S(11), 6, DATA, pingreq, sizeof pingreq);
    CHECK_EQ_INT(s.n, 3);
    CHECK_EQ_INT(s.kind[0], MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE);
    CHECK_EQ_INT(s.kind[1], MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE);
    CHECK_EQ_INT(s.kind[2], MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED);
    CHECK_EQ_INT(s.about[2], 6);
    mqttka_free(&a);
}

/* Every connection is ticked, and the earliest deadline of all is returned;
 * a connection with no CONNACK yet has none; a closed one has none. */
static void test_every_connection(void)
{
    seen s;
    mqttka_analyzer *a = start(&s);
    conn c1, c2, c3;
    conn_init(&c1, 2);
    conn_init(&c2, 3);
    conn_init(&c3, 4);
    open_session(a, &c1, T0, 1);
    open_session(a, &c2, T0 + S(1), 11);
    push(a, &c3, 0, T0, 21, MQTTKA_TCP_SYN, NULL, 0); /* no CONNECT: no deadline */
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(0.1)), T0 + S(3) + 1);
    /* c1's client speaks at 2.5 s: c2's deadline (4 s) is now the first. */
    push(a, &c1, 0, T0 + S(2.5), 6, DATA, pingreq, sizeof pingreq);
    push(a, &c1, 1, T0 + S(2.6), 7, DATA, pingresp, sizeof pingresp);
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(2.7)), T0 + S(4) + 1);
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(4) + 1), T0 + S(5) + 1);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.conn[0], 2);
    CHECK_EQ_INT(s.kind[0], MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE);
    /* c2's client closes (FIN): only c1 has deadlines left. */
    push(a, &c2, 0, T0 + S(4.5), 16, MQTTKA_TCP_FIN | MQTTKA_TCP_ACK, NULL, 0);
    size_t before = s.n;
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(4.6)), T0 + S(5.5) + 1);
    CHECK_EQ_INT(s.n, before);
    mqttka_finish(a, T0 + S(4.6));
    mqttka_free(&a);
}

int main(void)
{
    test_silence_and_ping();
    test_file_says_the_same_kinds();
    test_every_connection();
    printf("%u passed, %u failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}
