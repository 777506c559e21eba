/*
 * test_tick.c - mqttka_tick, the live capture's clock: findings that only
 * need time to pass come out when it passes, once, with the next deadline
 * right (one microsecond after each limit), for every connection; and a
 * later packet does not repeat what a tick told. Plain MQTT over TCP,
 * keepalive 2: tol 1 s, T_resp 1 s, G 7 s (the defaults). Each step is
 * checked by the exact lines it adds to the event log (event_log.h).
 */
#include "event_log.h"
#include "mqttka.h"
#include "test_harness.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define S(x) ((mqttka_time)((x) * 1000000.0 + 0.5))
#define T0 ((mqttka_time)1700000000 * 1000000)

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

static mqttka_analyzer *start(event_log *l)
{
    event_log_reset(l, false);
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, NULL, event_log_on_event, l) == MQTTKA_OK);
    return a;
}

/* What the log gained since *mark (event_log_since) is exactly `expected`. */
#define CHECK_NEW(l, mark, expected) CHECK_EQ_STR(event_log_since(&(l), &(mark)), (expected))

/* Silence: KAe + tol, 1.5 x KAe + tol, 1.5 x KAe + G, each told once, each
 * deadline one microsecond past its limit, at no frame ([0]: known by the
 * clock), about the client's last packet; the packet that ends the silence
 * repeats none of them; then a PINGREQ is late T_resp after it. */
static void test_silence_and_ping(void)
{
    static event_log l;
    mqttka_analyzer *a = start(&l);
    conn c;
    conn_init(&c, 2);
    open_session(a, &c, T0, 1); /* CONNECT is frame 4 */
    size_t mark = 0;
    CHECK_NEW(l, mark,
              "[4] #1 C>S CONNECT level=4 ka=2 clean=1 id=\"t\"\n"
              "[5] #1 S>C CONNACK code=0 ska=-1\n"
              "[5] #1 S>C finding keepalive_negotiated info about=5 value=2.000\n");

    CHECK_EQ_INT(mqttka_tick(a, T0 + S(0.5)), T0 + S(3) + 1); /* KA 2 + tol 1 */
    CHECK_NEW(l, mark, "");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(3)), T0 + S(3) + 1);   /* at the limit: not past it */
    CHECK_NEW(l, mark, "");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(3) + 1), T0 + S(4) + 1); /* 1.5 KA 3 + tol 1 */
    CHECK_NEW(l, mark,
              "[0] #1 C>S finding client_silent_over_keepalive warn about=4 value=3.000\n");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(3.5)), T0 + S(4) + 1); /* told once */
    CHECK_NEW(l, mark, "");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(4) + 1), T0 + S(10) + 1); /* 1.5 KA 3 + G 7 */
    CHECK_NEW(l, mark,
              "[0] #1 C>S finding client_silent_over_1_5_keepalive error about=4 value=4.000\n");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(10) + 1), MQTTKA_TIME_NONE);
    CHECK_NEW(l, mark,
              "[0] #1 S>C finding server_keepalive_not_enforced warn about=4 value=10.000\n");

    /* The client speaks again at 11 s: nothing told is told again. */
    push(a, &c, 0, T0 + S(11), 6, DATA, pingreq, sizeof pingreq);
    CHECK_NEW(l, mark, "[6] #1 C>S PINGREQ silence=11.000\n");
    /* Now the PINGREQ's deadline (T_resp 1 s) comes first. */
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(11.5)), T0 + S(12) + 1);
    CHECK_NEW(l, mark, "");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(12) + 1), T0 + S(14) + 1);
    CHECK_NEW(l, mark, "[0] #1 C>S finding pingreq_unanswered warn about=6 value=1.000\n");
    /* Its PINGRESP comes late: pingresp_late, no second unanswered. */
    push(a, &c, 1, T0 + S(12.5), 7, DATA, pingresp, sizeof pingresp);
    CHECK_NEW(l, mark,
              "[7] #1 S>C PINGRESP rtt=1.500 pair=6\n"
              "[7] #1 S>C finding pingresp_rtt info about=7 value=1.500\n"
              "[7] #1 S>C finding pingresp_late warn about=7 value=1.500\n");
    mqttka_finish(a, T0 + S(12.6));
    CHECK_NEW(l, mark,
              "[0] #1 summary 10.0.0.2:40000 -> 10.0.0.1:1883 tcp v=3.1.1 ka=2 ska=-1 kae=2 "
              "pingreq=1 pingresp=1 unanswered=0 close=-/- verdict=open id=\"t\" sub=\"\" "
              "ext=\"\"\n");
    mqttka_free(&a);
}

/* The same packets with no tick (a file): the packet that ends the silence
 * tells all three, about itself. Live and file agree on the kinds. */
static void test_file_says_the_same_kinds(void)
{
    static event_log l;
    mqttka_analyzer *a = start(&l);
    conn c;
    conn_init(&c, 2);
    open_session(a, &c, T0, 1);
    size_t mark = l.len;
    push(a, &c, 0, T0 + S(11), 6, DATA, pingreq, sizeof pingreq);
    CHECK_NEW(l, mark,
              "[6] #1 C>S PINGREQ silence=11.000\n"
              "[6] #1 C>S finding client_silent_over_keepalive warn about=6 value=11.000\n"
              "[6] #1 C>S finding client_silent_over_1_5_keepalive error about=6 value=11.000\n"
              "[6] #1 S>C finding server_keepalive_not_enforced warn about=6 value=11.000\n");
    mqttka_free(&a);
}

/* Every connection is ticked, and the earliest deadline of all is returned;
 * a connection with no CONNACK yet has none; a closed one has none. */
static void test_every_connection(void)
{
    static event_log l;
    mqttka_analyzer *a = start(&l);
    conn c1, c2, c3;
    conn_init(&c1, 2);
    conn_init(&c2, 3);
    conn_init(&c3, 4);
    open_session(a, &c1, T0, 1);
    open_session(a, &c2, T0 + S(1), 11);
    push(a, &c3, 0, T0, 21, MQTTKA_TCP_SYN, NULL, 0); /* no CONNECT: no deadline */
    size_t mark = l.len;
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(0.1)), T0 + S(3) + 1);
    CHECK_NEW(l, mark, "");
    /* c1's client speaks at 2.5 s: c2's deadline (4 s) is now the first. */
    push(a, &c1, 0, T0 + S(2.5), 6, DATA, pingreq, sizeof pingreq);
    push(a, &c1, 1, T0 + S(2.6), 7, DATA, pingresp, sizeof pingresp);
    CHECK_NEW(l, mark,
              "[6] #1 C>S PINGREQ silence=2.500\n"
              "[7] #1 S>C PINGRESP rtt=0.100 pair=6\n"
              "[7] #1 S>C finding pingresp_rtt info about=7 value=0.100\n");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(2.7)), T0 + S(4) + 1);
    CHECK_NEW(l, mark, "");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(4) + 1), T0 + S(5) + 1);
    CHECK_NEW(l, mark,
              "[0] #2 C>S finding client_silent_over_keepalive warn about=14 value=3.000\n");
    /* c2's client closes (FIN): only c1 has deadlines left. */
    push(a, &c2, 0, T0 + S(4.5), 16, MQTTKA_TCP_FIN | MQTTKA_TCP_ACK, NULL, 0);
    mark = l.len;
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(4.6)), T0 + S(5.5) + 1);
    CHECK_NEW(l, mark, "");
    mqttka_finish(a, T0 + S(4.6));
    mqttka_free(&a);
}

/* A CONNECT the server never answers (its side ACKs it), connack_timeout
 * 5 s: connack_missing once 5 s have passed, by the clock, between the
 * silence findings of keepalive 2 on their own deadlines; told once. */
static void test_connack_wait(void)
{
    static event_log l;
    event_log_reset(&l, false);
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    cfg.connack_timeout = S(5);
    mqttka_analyzer *a = NULL;
    CHECK(mqttka_new(&a, &cfg, event_log_on_event, &l) == MQTTKA_OK);
    conn c;
    conn_init(&c, 3);
    push(a, &c, 0, T0 - S(0.003), 1, MQTTKA_TCP_SYN, NULL, 0);
    push(a, &c, 1, T0 - S(0.002), 2, MQTTKA_TCP_SYN | MQTTKA_TCP_ACK, NULL, 0);
    push(a, &c, 0, T0 - S(0.001), 3, MQTTKA_TCP_ACK, NULL, 0);
    push(a, &c, 0, T0, 4, DATA, connect_ka2, sizeof connect_ka2);
    push(a, &c, 1, T0 + S(0.001), 5, MQTTKA_TCP_ACK, NULL, 0);
    size_t mark = 0;
    CHECK_NEW(l, mark, "[4] #1 C>S CONNECT level=4 ka=2 clean=1 id=\"t\"\n");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(0.5)), T0 + S(3) + 1); /* KA 2 + tol 1 first */
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(3) + 1), T0 + S(4) + 1);
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(4) + 1), T0 + S(5) + 1); /* the CONNACK's 5 s */
    CHECK_NEW(l, mark,
              "[0] #1 C>S finding client_silent_over_keepalive warn about=4 value=3.000\n"
              "[0] #1 C>S finding client_silent_over_1_5_keepalive error about=4 value=4.000\n");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(5)), T0 + S(5) + 1); /* at the limit: not past it */
    CHECK_NEW(l, mark, "");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(5) + 1), T0 + S(10) + 1); /* then G: 1.5 KA + 7 */
    CHECK_NEW(l, mark, "[0] #1 S>C finding connack_missing error about=4 value=5.000\n");
    CHECK_EQ_INT(mqttka_tick(a, T0 + S(6)), T0 + S(10) + 1); /* told once */
    CHECK_NEW(l, mark, "");
    mqttka_finish(a, T0 + S(6));
    CHECK(strstr(event_log_since(&l, &mark), "connack_missing") == NULL);
    mqttka_free(&a);
}

int main(void)
{
    test_connack_wait();
    test_silence_and_ping();
    test_file_says_the_same_kinds();
    test_every_connection();
    return th_report();
}
