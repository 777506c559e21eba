/*
 * gen_capture.c - writes a large, protocol-valid pcap of many concurrent
 * MQTT connections, over WebSocket and over plain TCP, for benchmarks.
 *
 *   gen_capture [-o FILE] [-n CONNECTIONS] [-c CONCURRENCY] [-d SECONDS]
 *               [-k KEEPALIVE] [-s SEED] [-p PORT] [-l en10mb|raw]
 *               [--publish-interval SECONDS] [--unanswered PROBABILITY]
 *               [--tcp SHARE] [--tcp-port PORT] [--small]
 *               [--short] [--deflate takeover|reset] [--stats]
 *
 * Every connection is what a WebSocket MQTT client and broker put on the
 * wire (RFC 793, RFC 6455, MQTT 3.1.1 / 5.0):
 *
 *   C>S SYN (MSS)          S>C SYN+ACK (MSS)       C>S ACK
 *   C>S GET /mqtt Upgrade  S>C ACK                 S>C 101 + Sec-WebSocket-Accept
 *   C>S ACK                C>S CONNECT (masked)    S>C CONNACK      C>S ACK
 *   then, until its end:
 *     PINGREQ (masked) / PINGRESP / ACK, keepalive after the client's last
 *       packet (MQTT.js's rule); with --unanswered's probability the broker
 *       only ACKs it and the client closes with a FIN one keepalive later
 *       (paho's ping timeout), the broker FINs a second after;
 *     PUBLISH client to server (QoS 0 or 1, PUBACK) and server to client,
 *       2 to 64 KiB: one WebSocket frame split into 1448-byte segments,
 *       with a pure ACK every second segment (delayed ACKs);
 *   and a close: DISCONNECT + FINs, a bare client FIN, a server FIN, a
 *   WebSocket Close 1000 echoed then FINs, or a client RST.
 *
 * --tcp SHARE: that share of the connections (chosen by connection number)
 * speak MQTT straight over TCP to --tcp-port (1883), as devices do: the same
 * script without the Upgrade, frames or masks (a WebSocket Close becomes a
 * DISCONNECT). --small: every PUBLISH payload is drawn from the small class
 * (2 to 120 bytes, one segment), for the keepalive-heavy capture of small
 * packets. Without either, the bytes are those of the generator before them.
 * --deflate: the 101 accepts permessage-deflate (RFC 7692) and every data
 * message both ways is compressed by zlib as Node's ws compresses it (raw
 * DEFLATE, level 6, a sync flush, its 00 00 ff ff cut, RSV1 set): with
 * context takeover (a compressor per direction and connection, ~260 KiB
 * each: keep the concurrency modest) or reset after every message
 * (server_ and client_no_context_takeover). A compressed PUBLISH is
 * compressed whole when it starts: the one buffer per connection this
 * mode needs. Its payload is three random digits in every eight bytes,
 * which compress about 3:1 as JSON telemetry does; --stats says how much.
 *
 * Time: the capture lasts SECONDS. CONCURRENCY connections are open at once:
 * connection n runs in slot n % CONCURRENCY, round n / CONCURRENCY, for
 * SECONDS / rounds; the first round's starts are spread over one keepalive
 * so that pings are spread too. --short is for memory runs with a million
 * connections: each connection only does its handshake and one ping, and
 * stays open to the end of the capture (all of them are concurrent).
 *
 * Deterministic: the same parameters give the same bytes (own PRNG per
 * connection, ties broken by connection number, fixed epoch).
 * Streaming: memory is proportional to the connections open at once,
 * never to the output's size; bytes of long messages are computed from
 * their offset, never buffered whole.
 */
#include "sha1.h"

#include <zlib.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPOCH_US (INT64_C(1700000000) * 1000000)
#define MSS 1448u
#define SNAPLEN 262144u
#define LINKTYPE_EN10MB 1u
#define LINKTYPE_RAW 101u
#define SERVER_IP 0xac100001u /* 172.16.0.1 */
#define CLIENT_NET 0x0a000000u /* 10.0.0.0/8 */
#define PORTS_PER_CLIENT_IP 60000u
/* Largest PUBLISH payload drawn: 64 KiB is ~46 segments. */
#define PUBLISH_MAX 65536u

/* ------------------------------------------------------------------------ */
/* PRNG: splitmix64, one state per connection.                              */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint32_t rng_range(uint64_t *s, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(rng_next(s) % ((uint64_t)hi - lo + 1));
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------------------ */
/* Base64, for Sec-WebSocket-Accept (RFC 6455 4.2.2); SHA-1 is the core's. */

/* Writes the base64 of `len` bytes and a NUL; `out` holds 4*ceil(len/3)+1. */
static void base64(const uint8_t *in, size_t len, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Parameters                                                                */

typedef struct params {
    const char *out_path;
    uint32_t connections;
    uint32_t concurrency;
    double duration;          /* seconds */
    uint32_t keepalive;       /* seconds */
    uint64_t seed;
    uint16_t port;
    uint32_t linktype;
    double publish_interval;  /* mean seconds between client PUBLISHes; 0: none */
    double unanswered;        /* probability that a PINGREQ is never answered */
    double tcp_share;         /* share of connections over plain TCP */
    uint16_t tcp_port;        /* their broker port */
    bool small_publishes;     /* every PUBLISH payload 2-120 bytes */
    bool short_mode;
    bool stats;
    uint8_t deflate; /* DEFLATE_* */
} params;

enum { DEFLATE_NONE = 0, DEFLATE_TAKEOVER, DEFLATE_RESET };

/* ------------------------------------------------------------------------ */
/* Connection scripts: each action is one packet, preceded by a delay.     */

enum dir { C2S = 0, S2C = 1 };

typedef enum act_kind {
    A_SYN, A_SYNACK, A_ACK, A_HTTP_REQ, A_HTTP_RESP, A_CONNECT, A_CONNACK,
    A_PINGREQ, A_PINGRESP, A_PUBLISH, A_PUBACK, A_DISCONNECT, A_WS_CLOSE, A_FIN, A_RST,
    A_END_IDLE, /* back to the decision: next ping, publish or close */
    A_END_DONE, /* the connection is over */
    A_END_PARK, /* --short: nothing more until the end of the capture */
} act_kind;

typedef enum delay_kind {
    D_NONE,     /* first action of a script: its time was decided before */
    D_TINY,     /* the same host's next packet: 5-60 us */
    D_HALF_RTT, /* an ACK of what just arrived */
    D_RTT,      /* an answer from the other side */
    D_SERVER,   /* the broker's 101: mosquitto takes 1-150 ms */
    D_KA,       /* one keepalive (paho's ping timeout) */
    D_SECOND,   /* a second: the frozen broker resumed */
    D_DELACK,   /* a delayed ACK: 40 ms */
} delay_kind;

typedef struct action {
    uint8_t kind; /* act_kind */
    uint8_t dir;  /* enum dir */
    uint8_t delay; /* delay_kind */
} action;

static const action script_handshake[] = {
    {A_SYN, C2S, D_NONE},          {A_SYNACK, S2C, D_RTT},        {A_ACK, C2S, D_HALF_RTT},
    {A_HTTP_REQ, C2S, D_TINY},     {A_ACK, S2C, D_HALF_RTT},      {A_HTTP_RESP, S2C, D_SERVER},
    {A_ACK, C2S, D_HALF_RTT},      {A_CONNECT, C2S, D_TINY},      {A_CONNACK, S2C, D_RTT},
    {A_ACK, C2S, D_HALF_RTT},      {A_END_IDLE, C2S, D_NONE},
};
/* MQTT over plain TCP: the CONNECT right after the TCP handshake. */
static const action script_handshake_tcp[] = {
    {A_SYN, C2S, D_NONE},     {A_SYNACK, S2C, D_RTT},  {A_ACK, C2S, D_HALF_RTT},
    {A_CONNECT, C2S, D_TINY}, {A_CONNACK, S2C, D_RTT}, {A_ACK, C2S, D_HALF_RTT},
    {A_END_IDLE, C2S, D_NONE},
};
static const action script_ping[] = {
    {A_PINGREQ, C2S, D_NONE}, {A_PINGRESP, S2C, D_RTT}, {A_ACK, C2S, D_HALF_RTT},
    {A_END_IDLE, C2S, D_NONE},
};
/* --short: the handshake, one ping one keepalive later, then silence. */
static const action script_short[] = {
    {A_SYN, C2S, D_NONE},          {A_SYNACK, S2C, D_RTT},        {A_ACK, C2S, D_HALF_RTT},
    {A_HTTP_REQ, C2S, D_TINY},     {A_ACK, S2C, D_HALF_RTT},      {A_HTTP_RESP, S2C, D_SERVER},
    {A_ACK, C2S, D_HALF_RTT},      {A_CONNECT, C2S, D_TINY},      {A_CONNACK, S2C, D_RTT},
    {A_ACK, C2S, D_HALF_RTT},      {A_PINGREQ, C2S, D_KA},        {A_PINGRESP, S2C, D_RTT},
    {A_ACK, C2S, D_HALF_RTT},      {A_END_PARK, C2S, D_NONE},
};
/* The broker froze: its kernel ACKs the PINGREQ; the client gives up after a
 * keepalive (paho python's timeout) with a FIN; the broker FINs later. */
static const action script_short_tcp[] = {
    {A_SYN, C2S, D_NONE},     {A_SYNACK, S2C, D_RTT},   {A_ACK, C2S, D_HALF_RTT},
    {A_CONNECT, C2S, D_TINY}, {A_CONNACK, S2C, D_RTT},  {A_ACK, C2S, D_HALF_RTT},
    {A_PINGREQ, C2S, D_KA},   {A_PINGRESP, S2C, D_RTT}, {A_ACK, C2S, D_HALF_RTT},
    {A_END_PARK, C2S, D_NONE},
};
static const action script_ping_unanswered[] = {
    {A_PINGREQ, C2S, D_NONE}, {A_ACK, S2C, D_HALF_RTT}, {A_FIN, C2S, D_KA},
    {A_ACK, S2C, D_HALF_RTT}, {A_FIN, S2C, D_SECOND},   {A_ACK, C2S, D_HALF_RTT},
    {A_END_DONE, C2S, D_NONE},
};
static const action script_pub_c2s_qos0[] = {
    {A_PUBLISH, C2S, D_NONE}, {A_ACK, S2C, D_DELACK}, {A_END_IDLE, C2S, D_NONE},
};
static const action script_pub_c2s_qos1[] = {
    {A_PUBLISH, C2S, D_NONE}, {A_PUBACK, S2C, D_RTT}, {A_ACK, C2S, D_HALF_RTT},
    {A_END_IDLE, C2S, D_NONE},
};
static const action script_pub_s2c[] = {
    {A_PUBLISH, S2C, D_NONE}, {A_ACK, C2S, D_DELACK}, {A_END_IDLE, C2S, D_NONE},
};
static const action script_close_disconnect[] = {
    {A_DISCONNECT, C2S, D_NONE}, {A_FIN, C2S, D_TINY}, {A_FIN, S2C, D_RTT},
    {A_ACK, C2S, D_HALF_RTT},    {A_END_DONE, C2S, D_NONE},
};
static const action script_close_client_fin[] = {
    {A_FIN, C2S, D_NONE}, {A_FIN, S2C, D_RTT}, {A_ACK, C2S, D_HALF_RTT},
    {A_END_DONE, C2S, D_NONE},
};
static const action script_close_server_fin[] = {
    {A_FIN, S2C, D_NONE}, {A_FIN, C2S, D_RTT}, {A_ACK, S2C, D_HALF_RTT},
    {A_END_DONE, C2S, D_NONE},
};
static const action script_close_ws[] = {
    {A_WS_CLOSE, C2S, D_NONE}, {A_WS_CLOSE, S2C, D_RTT}, {A_FIN, S2C, D_TINY},
    {A_FIN, C2S, D_RTT},       {A_ACK, S2C, D_HALF_RTT}, {A_END_DONE, C2S, D_NONE},
};
static const action script_close_rst[] = {
    {A_RST, C2S, D_NONE}, {A_END_DONE, C2S, D_NONE},
};

/* ------------------------------------------------------------------------ */
/* Connections                                                               */

/* One open connection: 104 bytes, plus 16 in the heap: a million fit in 120 MB. */
typedef struct conn {
    uint64_t rng;
    int64_t next_t;       /* time of its next packet */
    int64_t end_t;        /* when it starts closing */
    int64_t last_client;  /* its last MQTT packet to the server (ping cadence) */
    int64_t next_pub[2];  /* next PUBLISH per direction */
    const action *script;
    uint32_t n;           /* connection number, from 0 */
    uint32_t seq[2];      /* next sequence number per direction */
    uint32_t rtt_us;
    uint32_t msg_total;   /* PUBLISH being sent: its WebSocket frame's bytes */
    uint32_t msg_off;     /* bytes of it sent */
    uint32_t msg_payload; /* its application payload */
    uint32_t mask;        /* its masking key (client to server) */
    uint16_t ip_id[2];
    uint16_t pkt_id;
    uint8_t pc;           /* index in script */
    uint8_t msg_qos;
    uint8_t msg_segs;     /* segments of the PUBLISH sent */
    uint8_t ack_due;      /* the receiver owes an ACK before the next segment */
    uint8_t mqtt5;
    uint8_t tcp;          /* MQTT over plain TCP, not WebSocket */
} conn;

typedef struct heap_entry {
    int64_t t;
    uint32_t slot; /* index in the connection pool */
    uint32_t n;    /* connection number: ties in time go in this order */
} heap_entry;

typedef struct gen {
    params p;
    FILE *out;
    conn *pool;
    uint32_t pool_cap, pool_used;
    uint32_t *free_slots;
    uint32_t n_free;
    heap_entry *heap;
    uint32_t heap_len;
    uint32_t rounds;
    int64_t life_us;      /* per connection, normal mode */
    int64_t stagger_us;   /* window over which a round's starts are spread */
    int64_t last_t;
    uint64_t packets, bytes, live_max;
    uint64_t frame_bytes;            /* captured lengths (link header on) */
    uint64_t tcp_conns;              /* connections over plain TCP */
    uint64_t publishes;              /* PUBLISH packets (of one or more segments) */
    uint64_t by_kind[A_END_IDLE];    /* packets by what they carry (--stats) */
    uint64_t deflate_messages, deflate_in, deflate_out; /* --deflate: for --stats */
    uint8_t pkt[16 + 14 + 60 + MSS + 64];
    /* --deflate: per connection slot, its compressors and the compressed
     * PUBLISH it is sending (NULL until needed); one compressor for all
     * when each message is compressed from a fresh context */
    struct deflate_conn **zc;
    z_stream z_reset;
    uint8_t mqtt_buf[64 + PUBLISH_MAX];
} gen;

typedef struct deflate_conn {
    z_stream z[2];   /* by direction, with context takeover */
    bool z_ready[2];
    uint8_t *msg;    /* the compressed PUBLISH being sent */
    uint32_t msg_len;
} deflate_conn;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "gen_capture: out of memory\n");
        exit(2);
    }
    return q;
}

static bool heap_less(const heap_entry *a, const heap_entry *b)
{
    return a->t < b->t || (a->t == b->t && a->n < b->n);
}

static void heap_push(gen *g, heap_entry e)
{
    uint32_t i = g->heap_len++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!heap_less(&e, &g->heap[parent]))
            break;
        g->heap[i] = g->heap[parent];
        i = parent;
    }
    g->heap[i] = e;
}

static heap_entry heap_pop(gen *g)
{
    heap_entry top = g->heap[0];
    heap_entry last = g->heap[--g->heap_len];
    uint32_t i = 0, n = g->heap_len;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        const heap_entry *best = &last;
        if (l < n && heap_less(&g->heap[l], best)) {
            m = l;
            best = &g->heap[l];
        }
        if (r < n && heap_less(&g->heap[r], best))
            m = r;
        if (m == i)
            break;
        g->heap[i] = g->heap[m];
        i = m;
    }
    if (n > 0)
        g->heap[i] = last;
    return top;
}

/* Start time of connection n, increasing with n. */
static int64_t conn_start(const gen *g, uint32_t n)
{
    const params *p = &g->p;
    double frac = (double)(((uint64_t)n * 0x9E3779B97F4A7C15ull) >> 40) / 16777216.0;
    if (p->short_mode)
        return (int64_t)(((double)n + frac) / p->connections * p->duration * 1e6);
    uint32_t round = n / p->concurrency, slot = n % p->concurrency;
    return (int64_t)round * g->life_us +
           (int64_t)(((double)slot + frac) / p->concurrency * (double)g->stagger_us);
}

static uint32_t client_ip(uint32_t n)
{
    return CLIENT_NET + 1 + n / PORTS_PER_CLIENT_IP;
}

static uint16_t client_port(uint32_t n)
{
    return (uint16_t)(1024 + n % PORTS_PER_CLIENT_IP);
}

/* Whether connection n speaks MQTT over plain TCP: a hash of its number,
 * apart from its PRNG, so that the other connections' bytes stay the same. */
static bool conn_is_tcp(const gen *g, uint32_t n)
{
    if (g->p.tcp_share <= 0)
        return false;
    double u = (double)(((uint64_t)n * 0xD6E8FEB86659FD93ull) >> 11) / 9007199254740992.0;
    return u < g->p.tcp_share;
}

static int64_t delay_us(gen *g, conn *c, delay_kind d)
{
    switch (d) {
    case D_NONE: return 0;
    case D_TINY: return rng_range(&c->rng, 5, 60);
    case D_HALF_RTT: return c->rtt_us / 2 + rng_range(&c->rng, 0, 20);
    case D_RTT: return c->rtt_us + rng_range(&c->rng, 0, c->rtt_us / 4 + 1);
    case D_SERVER: return rng_range(&c->rng, 1000, 150000);
    case D_KA: return (int64_t)g->p.keepalive * 1000000 + rng_range(&c->rng, 0, 2000);
    case D_SECOND: return 1000000 + rng_range(&c->rng, 0, 5000);
    case D_DELACK: return 40000 + rng_range(&c->rng, 0, 200);
    }
    return 0;
}

/* Mean-`mean` exponential wait, in microseconds. */
static int64_t exp_wait(conn *c, double mean)
{
    double u = rng_unit(&c->rng);
    return (int64_t)(-log(1.0 - u) * mean * 1e6) + 1;
}

static void conn_open(gen *g, conn *c, uint32_t n)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->rng = g->p.seed * 0xD1B54A32D192ED03ull ^ ((uint64_t)n + 1) * 0x9E3779B97F4A7C15ull;
    (void)rng_next(&c->rng);
    c->next_t = conn_start(g, n);
    c->seq[C2S] = (uint32_t)rng_next(&c->rng);
    c->seq[S2C] = (uint32_t)rng_next(&c->rng);
    c->ip_id[C2S] = (uint16_t)rng_next(&c->rng);
    c->ip_id[S2C] = (uint16_t)rng_next(&c->rng);
    c->rtt_us = rng_range(&c->rng, 50, 2000);
    c->mqtt5 = rng_range(&c->rng, 0, 9) == 0; /* one in ten speaks MQTT 5 */
    c->tcp = conn_is_tcp(g, n);
    g->tcp_conns += c->tcp;
    if (g->p.short_mode) {
        c->script = c->tcp ? script_short_tcp : script_short;
        c->end_t = INT64_MAX;
    } else {
        c->script = c->tcp ? script_handshake_tcp : script_handshake;
        /* a gap before the slot's next connection, so slots do not overlap */
        int64_t gap = g->life_us / 10 < 2000000 ? g->life_us / 10 : 2000000;
        c->end_t = c->next_t + g->life_us - gap;
    }
    double pi = g->p.publish_interval;
    c->next_pub[C2S] = pi > 0 ? c->next_t + exp_wait(c, pi) : INT64_MAX;
    c->next_pub[S2C] = pi > 0 ? c->next_t + exp_wait(c, 2 * pi) : INT64_MAX;
}

/* ------------------------------------------------------------------------ */
/* Packet building                                                           */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void putle32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n)
        sum += (uint32_t)p[i] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* MQTT Remaining Length (MQTT 3.1.1 2.2.3); returns its bytes. */
static size_t mqtt_varint(uint8_t *p, uint32_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v % 128;
        v /= 128;
        p[n++] = (uint8_t)(v ? b | 0x80 : b);
    } while (v);
    return n;
}

/* RFC 6455 5.2 frame header for a FIN frame; returns its bytes. */
static size_t ws_header(uint8_t *p, uint8_t opcode, uint64_t len, bool masked, uint32_t mask)
{
    size_t n = 0;
    p[n++] = (uint8_t)(0x80 | opcode);
    uint8_t m = masked ? 0x80 : 0;
    if (len < 126) {
        p[n++] = (uint8_t)(m | len);
    } else if (len <= 0xffff) {
        p[n++] = (uint8_t)(m | 126);
        put16(p + n, (uint32_t)len);
        n += 2;
    } else {
        p[n++] = (uint8_t)(m | 127);
        for (int i = 7; i >= 0; i--)
            p[n++] = (uint8_t)(len >> (8 * i));
    }
    if (masked) {
        put32(p + n, mask);
        n += 4;
    }
    return n;
}

/* A whole WebSocket binary frame around `payload`, masked for the client. */
static size_t ws_frame(uint8_t *out, uint8_t opcode, const uint8_t *payload, size_t len,
                       bool masked, uint32_t mask)
{
    size_t h = ws_header(out, opcode, len, masked, mask);
    uint8_t key[4] = {(uint8_t)(mask >> 24), (uint8_t)(mask >> 16), (uint8_t)(mask >> 8),
                      (uint8_t)mask};
    for (size_t i = 0; i < len; i++)
        out[h + i] = masked ? payload[i] ^ key[i & 3] : payload[i];
    return h + len;
}

/* ------------------------------------------------------------ deflate -- */

static deflate_conn *deflate_of(gen *g, const conn *c)
{
    size_t slot = (size_t)(c - g->pool);
    if (!g->zc[slot]) {
        g->zc[slot] = calloc(1, sizeof(deflate_conn));
        if (!g->zc[slot]) {
            fprintf(stderr, "gen_capture: out of memory\n");
            exit(2);
        }
    }
    return g->zc[slot];
}

static void deflate_init(z_stream *z)
{
    memset(z, 0, sizeof *z);
    if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        fprintf(stderr, "gen_capture: deflateInit2 failed\n");
        exit(2);
    }
}

/* Compresses one message from `d` into `out` (at least deflateBound + 16
 * bytes) as RFC 7692 7.2.1 has it; returns its length. */
static size_t deflate_message(gen *g, conn *c, enum dir d, const uint8_t *in, size_t len,
                              uint8_t *out, size_t cap)
{
    z_stream *z = &g->z_reset;
    if (g->p.deflate == DEFLATE_TAKEOVER) {
        deflate_conn *dc = deflate_of(g, c);
        if (!dc->z_ready[d]) {
            deflate_init(&dc->z[d]);
            dc->z_ready[d] = true;
        }
        z = &dc->z[d];
    }
    z->next_in = (Bytef *)(uintptr_t)in;
    z->avail_in = (uInt)len;
    z->next_out = out;
    z->avail_out = (uInt)cap;
    if (deflate(z, Z_SYNC_FLUSH) != Z_OK || z->avail_in != 0 || cap - z->avail_out < 4) {
        fprintf(stderr, "gen_capture: deflate failed\n");
        exit(2);
    }
    size_t n = cap - z->avail_out - 4; /* the sync flush's 00 00 ff ff */
    g->deflate_messages++;
    g->deflate_in += len;
    g->deflate_out += n;
    if (g->p.deflate == DEFLATE_RESET)
        deflateReset(z);
    return n;
}

/* A connection ends: its compressors and buffer go. */
static void deflate_conn_free(gen *g, uint32_t slot)
{
    deflate_conn *dc = g->zc ? g->zc[slot] : NULL;
    if (!dc)
        return;
    for (int d = 0; d < 2; d++)
        if (dc->z_ready[d])
            deflateEnd(&dc->z[d]);
    free(dc->msg);
    free(dc);
    g->zc[slot] = NULL;
}

/* The PUBLISH's MQTT header up to its payload; returns its bytes. */
static size_t publish_header(const conn *c, bool to_server, uint8_t *p)
{
    char topic[32];
    int tl = snprintf(topic, sizeof topic, "bench/%u/%s", c->n % 1000,
                      to_server ? "up" : "down");
    uint32_t var = 2 + (uint32_t)tl + (c->msg_qos ? 2 : 0) + (c->mqtt5 ? 1 : 0);
    size_t n = 0;
    p[n++] = (uint8_t)(0x30 | c->msg_qos << 1);
    n += mqtt_varint(p + n, var + c->msg_payload);
    put16(p + n, (uint32_t)tl);
    n += 2;
    memcpy(p + n, topic, (size_t)tl);
    n += (size_t)tl;
    if (c->msg_qos) {
        put16(p + n, c->pkt_id);
        n += 2;
    }
    if (c->mqtt5)
        p[n++] = 0; /* no properties */
    return n;
}

/* Draws the next PUBLISH: 60% under 120 bytes, 30% up to 1400, 10% up to
 * 64 KiB (several segments); with --small, all under 120 bytes. Sets msg_*
 * for `dir`. */
static void publish_begin(gen *g, conn *c, enum dir d)
{
    uint32_t r = rng_range(&c->rng, 0, 99);
    if (r < 60 || g->p.small_publishes)
        c->msg_payload = rng_range(&c->rng, 2, 120);
    else if (r < 90)
        c->msg_payload = rng_range(&c->rng, 121, 1400);
    else
        c->msg_payload = rng_range(&c->rng, 1401, PUBLISH_MAX);
    c->msg_qos = d == C2S && rng_range(&c->rng, 0, 2) == 0 ? 1 : 0;
    if (c->msg_qos)
        c->pkt_id = (uint16_t)(c->pkt_id % 65535 + 1);
    c->mask = (uint32_t)rng_next(&c->rng);
    uint8_t hdr[64];
    size_t mh = publish_header(c, d == C2S, hdr);
    uint32_t ws_len = (uint32_t)mh + c->msg_payload;
    c->msg_off = 0;
    c->msg_segs = 0;
    c->ack_due = 0;
    if (g->p.deflate) {
        /* the whole message, compressed now */
        uint8_t *m = g->mqtt_buf;
        memcpy(m, hdr, mh);
        /* Not the cycle of 95 the uncompressed PUBLISHes carry, which
         * DEFLATE packs 50:1: three of every eight bytes random digits, as
         * in JSON telemetry, about 3:1. */
        uint64_t digits = rng_next(&c->rng);
        for (uint32_t q = 0; q < c->msg_payload; q++) {
            if (q % 8 < 5) {
                m[mh + q] = (uint8_t)(' ' + (q + c->n) % 95);
            } else {
                digits = digits * 6364136223846793005ull + 1442695040888963407ull;
                m[mh + q] = (uint8_t)('0' + (digits >> 33) % 10);
            }
        }
        deflate_conn *dc = deflate_of(g, c);
        size_t cap = deflateBound(NULL, ws_len) + 64;
        free(dc->msg);
        dc->msg = malloc(cap);
        if (!dc->msg) {
            fprintf(stderr, "gen_capture: out of memory\n");
            exit(2);
        }
        dc->msg_len = (uint32_t)deflate_message(g, c, d, m, ws_len, dc->msg, cap);
        ws_len = dc->msg_len;
    }
    c->msg_total = c->tcp ? ws_len : (uint32_t)ws_header(hdr, 2, ws_len, d == C2S, c->mask) + ws_len;
}

/* Bytes [off, off+n) of the PUBLISH frame being sent, computed (or, with
 * --deflate, taken from its compressed copy). */
static void publish_bytes(gen *g, const conn *c, bool to_server, uint32_t off, uint32_t n,
                          uint8_t *out)
{
    uint8_t ws[16], mq[64];
    size_t mh = publish_header(c, to_server, mq);
    bool masked = to_server && !c->tcp;
    uint8_t key[4] = {(uint8_t)(c->mask >> 24), (uint8_t)(c->mask >> 16),
                      (uint8_t)(c->mask >> 8), (uint8_t)c->mask};
    if (g->p.deflate) {
        const deflate_conn *dc = g->zc[c - g->pool];
        size_t wh = ws_header(ws, 2, dc->msg_len, to_server, c->mask);
        ws[0] |= 0x40; /* RSV1: compressed (RFC 7692 6) */
        for (uint32_t i = 0; i < n; i++) {
            size_t pos = (size_t)off + i;
            if (pos < wh) {
                out[i] = ws[pos];
                continue;
            }
            size_t q = pos - wh;
            out[i] = to_server ? dc->msg[q] ^ key[q & 3] : dc->msg[q];
        }
        return;
    }
    size_t wh = c->tcp ? 0 : ws_header(ws, 2, mh + c->msg_payload, to_server, c->mask);
    for (uint32_t i = 0; i < n; i++) {
        size_t pos = (size_t)off + i;
        if (pos < wh) {
            out[i] = ws[pos];
            continue;
        }
        size_t q = pos - wh;
        uint8_t b = q < mh ? mq[q] : (uint8_t)(' ' + (q - mh + c->n) % 95);
        out[i] = masked ? b ^ key[q & 3] : b;
    }
}

/* Writes one packet: link header, IPv4, TCP, payload; pcap record first. */
static void emit(gen *g, conn *c, enum dir d, uint8_t flags, const uint8_t *payload,
                 size_t len, bool mss_option)
{
    uint8_t *rec = g->pkt, *f = g->pkt + 16;
    size_t link = 0;
    uint32_t cip = client_ip(c->n), sip = SERVER_IP;
    uint32_t src = d == C2S ? cip : sip, dst = d == C2S ? sip : cip;
    uint16_t port = c->tcp ? g->p.tcp_port : g->p.port;
    uint16_t sport = d == C2S ? client_port(c->n) : port;
    uint16_t dport = d == C2S ? port : client_port(c->n);
    if (g->p.linktype == LINKTYPE_EN10MB) {
        uint8_t cmac[6] = {0x02, 0x00, (uint8_t)(cip >> 24), (uint8_t)(cip >> 16),
                           (uint8_t)(cip >> 8), (uint8_t)cip};
        uint8_t smac[6] = {0x02, 0x00, 0xac, 0x10, 0x00, 0x01};
        memcpy(f, d == C2S ? smac : cmac, 6);
        memcpy(f + 6, d == C2S ? cmac : smac, 6);
        f[12] = 0x08;
        f[13] = 0x00;
        link = 14;
    }
    uint8_t *ip = f + link, *tcp = ip + 20;
    size_t tcp_hlen = mss_option ? 24 : 20;
    size_t ip_len = 20 + tcp_hlen + len;

    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint32_t)ip_len);
    put16(ip + 4, c->ip_id[d]++);
    put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 6;
    put16(ip + 10, 0);
    put32(ip + 12, src);
    put32(ip + 16, dst);
    put16(ip + 10, csum_fold(csum_add(0, ip, 20)));

    bool syn = flags & 0x02;
    uint32_t seq = c->seq[d];
    uint32_t ack = c->seq[1 - d];
    put16(tcp, sport);
    put16(tcp + 2, dport);
    put32(tcp + 4, seq);
    put32(tcp + 8, (flags & 0x10) ? ack : 0);
    tcp[12] = (uint8_t)((tcp_hlen / 4) << 4);
    tcp[13] = flags;
    put16(tcp + 14, 502);
    put16(tcp + 16, 0);
    put16(tcp + 18, 0);
    if (mss_option) {
        tcp[20] = 2;
        tcp[21] = 4;
        put16(tcp + 22, MSS + 12); /* 1460 on a 1500 MTU */
    }
    if (len)
        memcpy(tcp + tcp_hlen, payload, len);
    uint32_t sum = 0;
    uint8_t pseudo[12];
    put32(pseudo, src);
    put32(pseudo + 4, dst);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16(pseudo + 10, (uint32_t)(tcp_hlen + len));
    sum = csum_add(sum, pseudo, 12);
    sum = csum_add(sum, tcp, tcp_hlen + len);
    put16(tcp + 16, csum_fold(sum));

    c->seq[d] += (uint32_t)len + (syn ? 1 : 0) + ((flags & 0x01) ? 1 : 0);

    int64_t t = EPOCH_US + c->next_t;
    size_t caplen = link + ip_len;
    putle32(rec, (uint32_t)(t / 1000000));
    putle32(rec + 4, (uint32_t)(t % 1000000));
    putle32(rec + 8, (uint32_t)caplen);
    putle32(rec + 12, (uint32_t)caplen);
    if (fwrite(rec, 1, 16 + caplen, g->out) != 16 + caplen) {
        fprintf(stderr, "gen_capture: write: %s\n", strerror(errno));
        exit(2);
    }
    g->packets++;
    g->bytes += 16 + caplen;
    g->frame_bytes += caplen;
    if (c->next_t < g->last_t) {
        fprintf(stderr, "gen_capture: internal error: time went back\n");
        exit(2);
    }
    g->last_t = c->next_t;
}

enum { F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10 };

static void emit_data(gen *g, conn *c, enum dir d, const uint8_t *payload, size_t len)
{
    emit(g, c, d, F_PSH | F_ACK, payload, len, false);
}

/* The WebSocket key of connection c: a function of its number and the seed,
 * so the response needs no stored copy. */
static void ws_key(const gen *g, const conn *c, uint8_t out[16])
{
    uint64_t s = g->p.seed ^ ((uint64_t)c->n << 20) ^ 0x5745424b4559ull;
    for (int i = 0; i < 16; i += 8) {
        uint64_t v = rng_next(&s);
        memcpy(out + i, &v, 8);
    }
}

/* The client's Upgrade request, as paho python writes it. */
static void http_request(gen *g, conn *c)
{
    uint8_t key[16];
    char k64[25], req[512];
    ws_key(g, c, key);
    base64(key, 16, k64);
    int n = snprintf(req, sizeof req,
                     "GET /mqtt HTTP/1.1\r\nHost: 172.16.0.1:%u\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nOrigin: http://172.16.0.1:%u\r\n"
                     "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: %s\r\n%s\r\n",
                     g->p.port, g->p.port, k64,
                     g->p.deflate ? "Sec-WebSocket-Extensions: permessage-deflate; "
                                    "client_max_window_bits\r\n"
                                  : "");
    emit_data(g, c, C2S, (const uint8_t *)req, (size_t)n);
}

/* The broker's 101, as mosquitto (libwebsockets) writes it, with the
 * Sec-WebSocket-Accept of RFC 6455 4.2.2: base64(SHA-1(key + GUID)). */
static void http_response(gen *g, conn *c)
{
    uint8_t key_raw[16];
    ws_key(g, c, key_raw);
    char key[25], accept[29], resp[384];
    uint8_t cat[64], digest[20];
    base64(key_raw, 16, key);
    memcpy(cat, key, 24);
    memcpy(cat + 24, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    sha1(cat, 60, digest);
    base64(digest, 20, accept);
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                     "Sec-WebSocket-Protocol: mqtt\r\n%s\r\n",
                     accept,
                     g->p.deflate == DEFLATE_TAKEOVER ? "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                     : g->p.deflate == DEFLATE_RESET
                         ? "Sec-WebSocket-Extensions: permessage-deflate; "
                           "server_no_context_takeover; client_no_context_takeover\r\n"
                         : "");
    emit_data(g, c, S2C, (const uint8_t *)resp, (size_t)n);
}

/* A short MQTT packet (or WebSocket control payload) in one segment: in
 * one WebSocket frame, or as it is over plain TCP. */
static void small_frame(gen *g, conn *c, enum dir d, uint8_t opcode, const uint8_t *mqtt,
                        size_t len)
{
    if (c->tcp) {
        emit_data(g, c, d, mqtt, len);
        return;
    }
    uint8_t buf[256];
    uint32_t mask = d == C2S ? (uint32_t)rng_next(&c->rng) : 0;
    if (g->p.deflate && opcode == 2) {
        uint8_t z[128];
        size_t zn = deflate_message(g, c, d, mqtt, len, z, sizeof z);
        size_t n = ws_frame(buf, opcode, z, zn, d == C2S, mask);
        buf[0] |= 0x40; /* RSV1: compressed (RFC 7692 6) */
        emit_data(g, c, d, buf, n);
        return;
    }
    size_t n = ws_frame(buf, opcode, mqtt, len, d == C2S, mask);
    emit_data(g, c, d, buf, n);
}

static void mqtt_connect(gen *g, conn *c)
{
    char cid[24];
    int cl = snprintf(cid, sizeof cid, "bench-%u", c->n);
    uint8_t p[64];
    size_t n = 0;
    uint32_t rl = 10 + (c->mqtt5 ? 1 : 0) + 2 + (uint32_t)cl;
    p[n++] = 0x10;
    n += mqtt_varint(p + n, rl);
    memcpy(p + n, "\x00\x04MQTT", 6);
    n += 6;
    p[n++] = c->mqtt5 ? 5 : 4;
    p[n++] = 0x02; /* clean session */
    put16(p + n, g->p.keepalive);
    n += 2;
    if (c->mqtt5)
        p[n++] = 0;
    put16(p + n, (uint32_t)cl);
    n += 2;
    memcpy(p + n, cid, (size_t)cl);
    n += (size_t)cl;
    small_frame(g, c, C2S, 2, p, n);
}

/* ------------------------------------------------------------------------ */
/* The state machine                                                         */

/* At A_END_IDLE: picks what the connection does next and when. */
static void decide(gen *g, conn *c)
{
    int64_t now = c->next_t;
    int64_t t_ping = c->last_client + (int64_t)g->p.keepalive * 1000000 +
                     rng_range(&c->rng, 0, 20000);
    int64_t t = c->end_t;
    const action *next = NULL;
    if (t_ping < t) {
        t = t_ping;
        next = rng_unit(&c->rng) < g->p.unanswered ? script_ping_unanswered : script_ping;
    }
    if (c->next_pub[C2S] < t) {
        t = c->next_pub[C2S];
        next = NULL;
        publish_begin(g, c, C2S);
        next = c->msg_qos ? script_pub_c2s_qos1 : script_pub_c2s_qos0;
    } else if (c->next_pub[S2C] < t) {
        t = c->next_pub[S2C];
        publish_begin(g, c, S2C);
        next = script_pub_s2c;
    }
    if (!next) {
        uint32_t r = rng_range(&c->rng, 0, 99);
        next = r < 60   ? script_close_disconnect
               : r < 75 ? script_close_client_fin
               : r < 85 ? script_close_server_fin
               : r < 95 ? script_close_ws
                        : script_close_rst;
        if (c->tcp && next == script_close_ws)
            next = script_close_disconnect;
    }
    if (t <= now)
        t = now + 1;
    c->script = next;
    c->pc = 0;
    c->next_t = t;
}

typedef enum step_result { STEP_MORE, STEP_DONE, STEP_PARKED } step_result;

/* Emits the connection's next packet and schedules the one after. */
static step_result step(gen *g, conn *c)
{
    const action *a = &c->script[c->pc];
    enum dir d = (enum dir)a->dir;
    bool advance = true;
    if (a->kind < A_END_IDLE) /* the packet this step writes, for --stats */
        g->by_kind[a->kind == A_PUBLISH && c->ack_due ? A_ACK : a->kind]++;
    switch ((act_kind)a->kind) {
    case A_SYN: emit(g, c, C2S, F_SYN, NULL, 0, true); break;
    case A_SYNACK: emit(g, c, S2C, F_SYN | F_ACK, NULL, 0, true); break;
    case A_ACK: emit(g, c, d, F_ACK, NULL, 0, false); break;
    case A_FIN: emit(g, c, d, F_FIN | F_ACK, NULL, 0, false); break;
    case A_RST: emit(g, c, d, F_RST | F_ACK, NULL, 0, false); break;
    case A_HTTP_REQ: http_request(g, c); break;
    case A_HTTP_RESP: http_response(g, c); break;
    case A_CONNECT:
        mqtt_connect(g, c);
        c->last_client = c->next_t;
        break;
    case A_CONNACK:
        if (c->mqtt5)
            small_frame(g, c, S2C, 2, (const uint8_t *)"\x20\x03\x00\x00\x00", 5);
        else
            small_frame(g, c, S2C, 2, (const uint8_t *)"\x20\x02\x00\x00", 4);
        break;
    case A_PINGREQ:
        small_frame(g, c, C2S, 2, (const uint8_t *)"\xc0\x00", 2);
        c->last_client = c->next_t;
        break;
    case A_PINGRESP: small_frame(g, c, S2C, 2, (const uint8_t *)"\xd0\x00", 2); break;
    case A_DISCONNECT:
        small_frame(g, c, C2S, 2, (const uint8_t *)"\xe0\x00", 2);
        c->last_client = c->next_t;
        break;
    case A_WS_CLOSE: small_frame(g, c, d, 8, (const uint8_t *)"\x03\xe8", 2); break;
    case A_PUBACK: {
        uint8_t p[4] = {0x40, 0x02, (uint8_t)(c->pkt_id >> 8), (uint8_t)c->pkt_id};
        small_frame(g, c, S2C, 2, p, 4);
        break;
    }
    case A_PUBLISH: {
        if (c->ack_due) {
            /* the receiver's ACK of the last two segments */
            emit(g, c, (enum dir)(1 - d), F_ACK, NULL, 0, false);
            c->ack_due = 0;
            advance = false;
            break;
        }
        uint32_t n = c->msg_total - c->msg_off;
        if (n > MSS)
            n = MSS;
        uint8_t buf[MSS];
        publish_bytes(g, c, d == C2S, c->msg_off, n, buf);
        emit_data(g, c, d, buf, n);
        c->msg_off += n;
        c->msg_segs++;
        if (c->msg_off < c->msg_total) {
            advance = false;
            c->ack_due = c->msg_segs % 2 == 0;
        } else {
            g->publishes++;
            if (d == C2S)
                c->last_client = c->next_t;
            double pi = g->p.publish_interval;
            c->next_pub[d] = c->next_t + exp_wait(c, d == C2S ? pi : 2 * pi);
        }
        break;
    }
    case A_END_IDLE:
    case A_END_DONE:
    case A_END_PARK: break;
    }
    if (!advance) {
        c->next_t += c->ack_due ? delay_us(g, c, D_HALF_RTT) : delay_us(g, c, D_TINY);
        return STEP_MORE;
    }
    const action *nx = &c->script[++c->pc];
    switch ((act_kind)nx->kind) {
    case A_END_DONE: return STEP_DONE;
    case A_END_PARK: return STEP_PARKED;
    case A_END_IDLE: decide(g, c); return STEP_MORE;
    default: c->next_t += delay_us(g, c, (delay_kind)nx->delay); return STEP_MORE;
    }
}

/* ------------------------------------------------------------------------ */

static uint32_t conn_alloc(gen *g)
{
    if (g->n_free)
        return g->free_slots[--g->n_free];
    if (g->pool_used == g->pool_cap) {
        uint32_t cap = g->pool_cap ? g->pool_cap * 2 : 1024;
        g->pool = xrealloc(g->pool, (size_t)cap * sizeof *g->pool);
        g->free_slots = xrealloc(g->free_slots, (size_t)cap * sizeof *g->free_slots);
        g->heap = xrealloc(g->heap, (size_t)cap * sizeof *g->heap);
        if (g->p.deflate) {
            g->zc = xrealloc(g->zc, (size_t)cap * sizeof *g->zc);
            memset(g->zc + g->pool_cap, 0, (size_t)(cap - g->pool_cap) * sizeof *g->zc);
        }
        g->pool_cap = cap;
    }
    return g->pool_used++;
}

static void write_header(gen *g)
{
    uint8_t h[24];
    putle32(h, 0xa1b2c3d4u);
    h[4] = 2;
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    putle32(h + 8, 0);
    putle32(h + 12, 0);
    putle32(h + 16, SNAPLEN);
    putle32(h + 20, g->p.linktype);
    if (fwrite(h, 1, sizeof h, g->out) != sizeof h) {
        fprintf(stderr, "gen_capture: write: %s\n", strerror(errno));
        exit(2);
    }
    g->bytes += sizeof h;
}

static void run(gen *g)
{
    write_header(g);
    uint32_t next_new = 0;
    uint64_t live = 0;
    for (;;) {
        int64_t t_new = next_new < g->p.connections ? conn_start(g, next_new) : INT64_MAX;
        if (g->heap_len == 0 && t_new == INT64_MAX)
            break;
        if (t_new != INT64_MAX && (g->heap_len == 0 || t_new < g->heap[0].t)) {
            uint32_t slot = conn_alloc(g);
            conn_open(g, &g->pool[slot], next_new);
            heap_push(g, (heap_entry){g->pool[slot].next_t, slot, next_new});
            next_new++;
            if (++live > g->live_max)
                g->live_max = live;
            continue;
        }
        heap_entry e = heap_pop(g);
        conn *c = &g->pool[e.slot];
        switch (step(g, c)) {
        case STEP_MORE: heap_push(g, (heap_entry){c->next_t, e.slot, c->n}); break;
        case STEP_DONE:
            deflate_conn_free(g, e.slot);
            g->free_slots[g->n_free++] = e.slot;
            live--;
            break;
        case STEP_PARKED: break; /* stays open, its slot stays taken */
        }
    }
}

/* --stats: the capture's shape, on standard error. */
static void print_stats(const gen *g)
{
    const params *p = &g->p;
    fprintf(stderr,
            "gen_capture: %u connections, %" PRIu64 " packets, %" PRIu64
            " bytes, %.3f s, at most %" PRIu64 " open at once\n",
            p->connections, g->packets, g->bytes, (double)g->last_t / 1e6, g->live_max);
    if (!g->packets)
        return;
    fprintf(stderr,
            "gen_capture: %.1f bytes per frame (captured length, link header included; "
            "%.1f with the pcap record header); %" PRIu64 " connections over plain TCP, %" PRIu64
            " over WebSocket\n",
            (double)g->frame_bytes / (double)g->packets, (double)g->bytes / (double)g->packets,
            g->tcp_conns, (uint64_t)p->connections - g->tcp_conns);
    static const struct {
        act_kind kind;
        const char *name;
    } kinds[] = {
        {A_PINGREQ, "PINGREQ"},       {A_PINGRESP, "PINGRESP"},
        {A_PUBLISH, "PUBLISH segments"}, {A_PUBACK, "PUBACK"},
        {A_ACK, "bare ACKs"},         {A_SYN, "SYN"},
        {A_SYNACK, "SYN+ACK"},        {A_HTTP_REQ, "HTTP requests"},
        {A_HTTP_RESP, "HTTP 101s"},   {A_CONNECT, "CONNECT"},
        {A_CONNACK, "CONNACK"},       {A_DISCONNECT, "DISCONNECT"},
        {A_WS_CLOSE, "WebSocket Closes"}, {A_FIN, "FINs"},
        {A_RST, "RSTs"},
    };
    uint64_t mqtt = g->publishes;
    static const act_kind mqtt_kinds[] = {A_CONNECT, A_CONNACK, A_PINGREQ, A_PINGRESP,
                                          A_PUBACK, A_DISCONNECT};
    for (size_t i = 0; i < sizeof mqtt_kinds / sizeof mqtt_kinds[0]; i++)
        mqtt += g->by_kind[mqtt_kinds[i]];
    fprintf(stderr, "gen_capture: %" PRIu64 " MQTT packets\n", mqtt);
    fprintf(stderr, "gen_capture: mix:");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        fprintf(stderr, "%s %s %.1f%%", i ? "," : "", kinds[i].name,
                100.0 * (double)g->by_kind[kinds[i].kind] / (double)g->packets);
    fprintf(stderr, "\n");
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gen_capture [options]\n"
            "  -o, --output FILE          pcap to write (default: standard output)\n"
            "  -n, --connections N        connections in all (default 1000)\n"
            "  -c, --concurrency N        connections open at once (default: all)\n"
            "  -d, --duration SECONDS     capture length (default 60)\n"
            "  -k, --keepalive SECONDS    CONNECT keepalive and ping cadence (default 5)\n"
            "  -s, --seed N               PRNG seed (default 1)\n"
            "  -p, --port N               WebSocket broker port (default 1882)\n"
            "  -l, --link en10mb|raw      link type (default en10mb)\n"
            "      --publish-interval S   mean seconds between a client's PUBLISHes\n"
            "                             (server to client: twice that; 0: none;\n"
            "                             default 2 x keepalive)\n"
            "      --unanswered P         probability that a PINGREQ is never answered\n"
            "                             (default 0.01)\n"
            "      --tcp SHARE            share of connections over plain TCP, not\n"
            "                             WebSocket (default 0)\n"
            "      --tcp-port N           their broker port (default 1883)\n"
            "      --small                every PUBLISH payload 2 to 120 bytes\n"
            "      --short                handshake and one ping per connection, all\n"
            "                             left open (memory runs)\n"
            "      --deflate takeover|reset\n"
            "                             permessage-deflate, every data message\n"
            "                             compressed, with context takeover or reset\n"
            "                             after each message\n"
            "      --stats                print packets, bytes, peak open connections\n"
            "                             and the packet mix\n");
}

static bool parse_u32(const char *s, uint32_t *out, uint32_t min)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || v < min || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_double(const char *s, double *out, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"connections", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'},
        {"keepalive", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'},
        {"port", required_argument, NULL, 'p'},
        {"link", required_argument, NULL, 'l'},
        {"publish-interval", required_argument, NULL, 'P'},
        {"unanswered", required_argument, NULL, 'U'},
        {"tcp", required_argument, NULL, 'C'},
        {"tcp-port", required_argument, NULL, 'D'},
        {"small", no_argument, NULL, 'M'},
        {"short", no_argument, NULL, 'S'},
        {"deflate", required_argument, NULL, 'Z'},
        {"stats", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gen g;
    memset(&g, 0, sizeof g);
    params *p = &g.p;
    p->connections = 1000;
    p->duration = 60;
    p->keepalive = 5;
    p->seed = 1;
    p->port = 1882;
    p->linktype = LINKTYPE_EN10MB;
    p->publish_interval = -1;
    p->unanswered = 0.01;
    p->tcp_port = 1883;
    uint32_t v;
    int opt;
    while ((opt = getopt_long(argc, argv, "o:n:c:d:k:s:p:l:h", longopts, NULL)) != -1) {
        bool ok = true;
        switch (opt) {
        case 'o': p->out_path = optarg; break;
        case 'n': ok = parse_u32(optarg, &p->connections, 1); break;
        case 'c': ok = parse_u32(optarg, &p->concurrency, 1); break;
        case 'd': ok = parse_double(optarg, &p->duration, 0.001, 1e7); break;
        case 'k':
            ok = parse_u32(optarg, &p->keepalive, 1) && p->keepalive <= 65535;
            break;
        case 's':
            ok = parse_u32(optarg, &v, 0);
            p->seed = v;
            break;
        case 'p':
            ok = parse_u32(optarg, &v, 1) && v <= 65535;
            p->port = (uint16_t)v;
            break;
        case 'l':
            if (strcmp(optarg, "en10mb") == 0)
                p->linktype = LINKTYPE_EN10MB;
            else if (strcmp(optarg, "raw") == 0)
                p->linktype = LINKTYPE_RAW;
            else
                ok = false;
            break;
        case 'P': ok = parse_double(optarg, &p->publish_interval, 0, 1e7); break;
        case 'U': ok = parse_double(optarg, &p->unanswered, 0, 1); break;
        case 'C': ok = parse_double(optarg, &p->tcp_share, 0, 1); break;
        case 'D':
            ok = parse_u32(optarg, &v, 1) && v <= 65535;
            p->tcp_port = (uint16_t)v;
            break;
        case 'M': p->small_publishes = true; break;
        case 'S': p->short_mode = true; break;
        case 'Z':
            if (strcmp(optarg, "takeover") == 0)
                p->deflate = DEFLATE_TAKEOVER;
            else if (strcmp(optarg, "reset") == 0)
                p->deflate = DEFLATE_RESET;
            else
                ok = false;
            break;
        case 'T': p->stats = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (!ok) {
            fprintf(stderr, "gen_capture: bad value for -%c: '%s'\n", opt, optarg);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (p->concurrency == 0 || p->concurrency > p->connections)
        p->concurrency = p->connections;
    if (p->connections / PORTS_PER_CLIENT_IP >= 0xffffffu) {
        fprintf(stderr, "gen_capture: too many connections for 10.0.0.0/8\n");
        return 2;
    }
    if (p->publish_interval < 0)
        p->publish_interval = 2.0 * p->keepalive;
    if (p->short_mode)
        p->publish_interval = 0;
    g.rounds = (p->connections + p->concurrency - 1) / p->concurrency;
    g.life_us = (int64_t)(p->duration * 1e6 / g.rounds);
    g.stagger_us = (int64_t)p->keepalive * 1000000;
    if (g.stagger_us > g.life_us / 4)
        g.stagger_us = g.life_us / 4;

    if (p->out_path && strcmp(p->out_path, "-") != 0) {
        g.out = fopen(p->out_path, "wb");
        if (!g.out) {
            fprintf(stderr, "gen_capture: %s: %s\n", p->out_path, strerror(errno));
            return 2;
        }
    } else {
        g.out = stdout;
    }
    static char obuf[1 << 20];
    setvbuf(g.out, obuf, _IOFBF, sizeof obuf);
    if (p->deflate == DEFLATE_RESET)
        deflate_init(&g.z_reset);
    run(&g);
    if (fflush(g.out) != 0 || (g.out != stdout && fclose(g.out) != 0)) {
        fprintf(stderr, "gen_capture: write: %s\n", strerror(errno));
        return 2;
    }
    if (p->stats)
        print_stats(&g);
    if (p->stats && p->deflate)
        fprintf(stderr,
                "gen_capture: %" PRIu64 " messages compressed, %" PRIu64 " bytes into %" PRIu64
                "\n",
                g.deflate_messages, g.deflate_in, g.deflate_out);
    for (uint32_t i = 0; g.zc && i < g.pool_used; i++)
        deflate_conn_free(&g, i);
    if (p->deflate == DEFLATE_RESET)
        deflateEnd(&g.z_reset);
    free(g.zc);
    free(g.pool);
    free(g.free_slots);
    free(g.heap);
    return 0;
}
