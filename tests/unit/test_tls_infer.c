/*
 * test_tls_infer.c - the TLS record follower (core/tls_infer.c) fed whole,
 * byte by byte and split at every offset, in exact-size buffers; hostile
 * lengths; the ServerHello reader; and the keepalive inference on short
 * scripted record sequences. The bytes are fabricated: a unit test of the
 * rules only (the evidence on real traffic is tests/heldout/check_tls_inferred.py).
 */
#include <stdbool.h>
#include <stdint.h>

#include "test_harness.h"
#include "tls_infer.h"

/* ------------------------------------------------------------ building -- */

typedef struct buf {
    uint8_t b[24576];
    size_t n;
} buf;

static void put(buf *o, const void *p, size_t n)
{
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put_record(buf *o, uint8_t type, uint16_t len, uint8_t fill)
{
    uint8_t h[5] = {type, 3, 3, (uint8_t)(len >> 8), (uint8_t)len};
    put(o, h, 5);
    memset(o->b + o->n, fill, len);
    o->n += len;
}

/* A ServerHello: legacy version 0x0303, a 32-byte session id, `cipher`,
 * and supported_versions = `sv` when non-zero. */
static size_t server_hello(uint8_t *b, uint16_t cipher, uint16_t sv)
{
    size_t n = 0;
    b[n++] = 2;
    n += 3; /* length, filled below */
    b[n++] = 3;
    b[n++] = 3;
    memset(b + n, 0xab, 32);
    n += 32;
    b[n++] = 32;
    memset(b + n, 0xcd, 32);
    n += 32;
    b[n++] = (uint8_t)(cipher >> 8);
    b[n++] = (uint8_t)cipher;
    b[n++] = 0;
    uint8_t ext[] = {0x00, 0x2b, 0x00, 0x02, (uint8_t)(sv >> 8), (uint8_t)sv};
    size_t ext_len = sv ? sizeof ext : 0;
    b[n++] = (uint8_t)(ext_len >> 8);
    b[n++] = (uint8_t)ext_len;
    memcpy(b + n, ext, ext_len);
    n += ext_len;
    size_t body = n - 4;
    b[1] = (uint8_t)(body >> 16);
    b[2] = (uint8_t)(body >> 8);
    b[3] = (uint8_t)body;
    return n;
}

static void put_server_hello(buf *o, uint16_t cipher, uint16_t sv)
{
    uint8_t sh[128];
    size_t n = server_hello(sh, cipher, sv);
    uint8_t h[5] = {22, 3, 3, (uint8_t)(n >> 8), (uint8_t)n};
    put(o, h, 5);
    put(o, sh, n);
}

/* ------------------------------------------------------------ follower -- */

typedef struct rec_log {
    char s[1024];
    size_t n;
    uint16_t version, cipher;
} rec_log;

static void on_rec(void *ctx, const tls_record *r)
{
    rec_log *l = ctx;
    l->n += (size_t)snprintf(l->s + l->n, sizeof l->s - l->n, "%u:%u ", r->type, r->length);
    if (r->type == 22)
        tls_parse_server_hello(r->peek, r->peek_len, &l->version, &l->cipher);
}

/* Feeds `in` in pieces cut at the offsets in cuts[0..n_cuts), each piece in
 * a heap block of its exact size. */
static bool feed(const buf *in, const size_t *cuts, size_t n_cuts, rec_log *l)
{
    tls_record_follower f;
    memset(&f, 0, sizeof f);
    memset(l, 0, sizeof *l);
    size_t at = 0;
    bool ok = true;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : in->n;
        unsigned char *piece = th_exact_copy(in->b + at, end - at);
        ok = tls_follow(&f, piece, end - at, on_rec, l) && ok;
        free(piece);
        at = end;
    }
    return ok;
}

static void check_every_way(const buf *in, const char *expected, bool expect_ok)
{
    rec_log whole, l;
    CHECK(feed(in, NULL, 0, &whole) == expect_ok);
    CHECK_EQ_STR(whole.s, expected);
    /* byte by byte */
    size_t *cuts = malloc(in->n * sizeof *cuts);
    for (size_t i = 0; i + 1 < in->n; i++)
        cuts[i] = i + 1;
    CHECK(feed(in, cuts, in->n ? in->n - 1 : 0, &l) == expect_ok);
    CHECK_EQ_STR(l.s, expected);
    free(cuts);
    /* split at every offset */
    for (size_t cut = 0; cut <= in->n; cut++) {
        feed(in, &cut, 1, &l);
        if (strcmp(l.s, expected) != 0 || l.version != whole.version || l.cipher != whole.cipher) {
            fprintf(stderr, "split at %zu: \"%s\"\n", cut, l.s);
            CHECK(false);
            return;
        }
    }
    CHECK(true);
}

static void test_follower(void)
{
    buf in = {.n = 0};
    put_server_hello(&in, 0x1301, 0x0304);
    put_record(&in, 20, 1, 1);
    put_record(&in, 23, 19, 0x55);
    put_record(&in, 24, 40, 0x18); /* heartbeat */
    put_record(&in, 23, 0, 0);      /* an empty record is still a record */
    put_record(&in, 23, 600, 0x77);
    uint8_t sh[128];
    char expected[128];
    snprintf(expected, sizeof expected, "22:%zu 20:1 23:19 24:40 23:0 23:600 ",
             server_hello(sh, 0x1301, 0x0304));
    check_every_way(&in, expected, true);
    rec_log l;
    feed(&in, NULL, 0, &l);
    CHECK_EQ_INT(l.version, 0x0304);
    CHECK_EQ_INT(l.cipher, 0x1301);

    /* A hostile length: 65535 declared, past TLS's 2^14 + 2048, is no TLS:
     * the stream's framing is lost there (sticky), nothing is buffered. The
     * longest legal body, 18432, is skipped whole. */
    buf h = {.n = 0};
    put_record(&h, 23, 19, 1);
    uint8_t big[5] = {23, 3, 3, 0xff, 0xff};
    put(&h, big, 5);
    memset(h.b + h.n, 9, 3000);
    h.n += 3000;
    check_every_way(&h, "23:19 ", false);
    buf m = {.n = 0};
    put_record(&m, 23, 18432, 2);
    put_record(&m, 23, 19, 1);
    check_every_way(&m, "23:18432 23:19 ", true);

    /* Not TLS: sticky, nothing reported from there. */
    buf x = {.n = 0};
    put_record(&x, 23, 19, 1);
    put(&x, "GET / HTTP/1.1\r\n", 16);
    put_record(&x, 23, 19, 1);
    check_every_way(&x, "23:19 ", false);
}

static void test_server_hello(void)
{
    uint8_t b[128];
    uint16_t v = 0, c = 0;
    size_t n = server_hello(b, 0xc02f, 0);
    CHECK(tls_parse_server_hello(b, n, &v, &c));
    CHECK_EQ_INT(v, 0x0303);
    CHECK_EQ_INT(c, 0xc02f);
    n = server_hello(b, 0x1302, 0x0304);
    CHECK(tls_parse_server_hello(b, n, &v, &c));
    CHECK_EQ_INT(v, 0x0304);
    /* cut short anywhere before the cipher: no answer, nothing written */
    for (size_t cut = 0; cut < 4 + 2 + 32 + 1 + 32 + 2; cut++) {
        v = c = 7;
        unsigned char *p = th_exact_copy(b, cut);
        CHECK(!tls_parse_server_hello(p, cut, &v, &c) && v == 7 && c == 7);
        free(p);
    }
    b[38] = 200; /* a session id longer than 32 */
    CHECK(!tls_parse_server_hello(b, n, &v, &c));
}

/* ----------------------------------------------------------- inference -- */

#define S 1000000

/* The budget of every inference below: the default per-flow cap, no total cap. */
static tls_log_budget budget = {0, SIZE_MAX, 1024};

typedef struct script {
    tls_infer *t;
} script;

static void rec_at(tls_infer *t, mqttka_direction dir, mqttka_time ts, uint8_t type, uint16_t len)
{
    buf b = {.n = 0};
    put_record(&b, type, len, 0x5a);
    tls_infer_push(t, dir, b.b, b.n, ts, 0);
}

/* Application-data records (type 23) of a script: the same records can be
 * played under several ciphers. */
typedef struct rec_step {
    mqttka_direction dir;
    mqttka_time ts;
    uint16_t len;
} rec_step;

static void play(tls_infer *t, const rec_step *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rec_at(t, r[i].dir, r[i].ts, 23, r[i].len);
}
#define PLAY(t, records) play((t), (records), sizeof(records) / sizeof(records)[0])

/* A connection's start: ClientHello-ish, ServerHello of version/cipher, the
 * client's first application record (its CONNECT) at 1 s, CONNACK. */
static tls_infer *start_in(tls_log_budget *in, uint16_t cipher, uint16_t sv)
{
    tls_infer *t = tls_infer_new(in);
    rec_at(t, MQTTKA_C2S, 0, 22, 200);
    buf b = {.n = 0};
    put_server_hello(&b, cipher, sv);
    tls_infer_push(t, MQTTKA_S2C, b.b, b.n, 10000, 0);
    if (sv == 0x0304)
        rec_at(t, MQTTKA_C2S, 20000, 23, 53); /* the client's Finished, encrypted */
    rec_at(t, MQTTKA_C2S, 1 * S, 23, 60);
    rec_at(t, MQTTKA_S2C, 1 * S + 5000, 23, 21);
    return t;
}

static tls_infer *start(uint16_t cipher, uint16_t sv)
{
    return start_in(&budget, cipher, sv);
}

static void finish(tls_infer *t, mqttka_time end, mqttka_tls_inference *out, mqttka_finding *fs)
{
    mqttka_config cfg;
    mqttka_config_default(&cfg);
    tls_infer_finish(t, &cfg, end, out, fs);
}

static bool has_finding(const mqttka_tls_inference *o, mqttka_finding_kind k)
{
    for (size_t i = 0; i < o->n_findings; i++)
        if (o->findings[i].kind == k)
            return true;
    return false;
}

static void test_inference(void)
{
    mqttka_tls_inference o;
    mqttka_finding fs[MQTTKA_TLS_MAX_FINDINGS];

    /* TLS 1.3 AES-128-GCM, KA 5: PINGREQ/PINGRESP are 19-byte records; a
     * PUBLISH in between; then a DISCONNECT (19 bytes too) and the FIN. */
    tls_infer *t = start(0x1301, 0x0304);
    rec_at(t, MQTTKA_C2S, 6 * S, 23, 19);
    rec_at(t, MQTTKA_S2C, 6 * S + 3000, 23, 19);
    rec_at(t, MQTTKA_C2S, 11 * S, 23, 19);
    rec_at(t, MQTTKA_S2C, 11 * S + 3000, 23, 19);
    rec_at(t, MQTTKA_C2S, 16 * S, 23, 19);
    rec_at(t, MQTTKA_S2C, 16 * S + 3000, 23, 19);
    rec_at(t, MQTTKA_C2S, 17 * S, 23, 60); /* a PUBLISH */
    rec_at(t, MQTTKA_S2C, 17 * S + 100, 24, 19); /* a heartbeat: never a pong */
    rec_at(t, MQTTKA_C2S, 19 * S, 23, 19);    /* DISCONNECT */
    rec_at(t, MQTTKA_S2C, 19 * S + 200, 23, 19); /* close_notify (TLS 1.3) */
    tls_infer_close(t, MQTTKA_SIDE_SERVER, MQTTKA_CLOSE_FIN, 19 * S + 300);
    finish(t, 19 * S + 300, &o, fs);
    CHECK_EQ_INT(o.version, 0x0304);
    CHECK_EQ_INT(o.cipher_suite, 0x1301);
    CHECK_EQ_INT(o.ping_record_len, 19);
    CHECK_EQ_INT(o.pong_record_len, 19);
    CHECK(!o.websocket);
    CHECK_EQ_INT(o.pingreq, 3);
    CHECK_EQ_INT(o.pingresp, 3);
    CHECK_EQ_INT(o.pingreq_unanswered, 0);
    CHECK_EQ_INT(o.keepalive_inferred, 5);
    CHECK_EQ_INT(o.confidence, MQTTKA_TLS_CONF_HIGH);
    CHECK_EQ_INT(o.heartbeats, 1);
    CHECK_EQ_INT(o.close_initiator, MQTTKA_SIDE_SERVER);
    CHECK(has_finding(&o, MQTTKA_F_KEEPALIVE_INFERRED));
    CHECK(!has_finding(&o, MQTTKA_F_PINGREQ_UNANSWERED));
    tls_infer_free(&t);
    CHECK(t == NULL);

    /* Over WebSocket, TLS 1.2 AES-GCM: client 8 + 24, server 4 + 24 bytes;
     * the broker freezes: the last ping is unanswered, the client closes KA later. */
    t = start(0xc02f, 0);
    for (int i = 1; i <= 3; i++) {
        rec_at(t, MQTTKA_C2S, (1 + 4 * i) * S, 23, 32);
        if (i < 3)
            rec_at(t, MQTTKA_S2C, (1 + 4 * i) * S + 2000, 23, 28);
    }
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 17 * S);
    finish(t, 17 * S, &o, fs);
    CHECK_EQ_INT(o.version, 0x0303);
    CHECK(o.websocket);
    CHECK_EQ_INT(o.pingreq, 3);
    CHECK_EQ_INT(o.pingreq_unanswered, 1);
    CHECK_EQ_INT(o.keepalive_inferred, 4);
    CHECK(has_finding(&o, MQTTKA_F_PINGREQ_UNANSWERED));
    CHECK_EQ_INT(o.close_initiator, MQTTKA_SIDE_CLIENT);
    tls_infer_free(&t);

    /* HTTPS polling: requests every 3 s answered by larger responses, and
     * equal-size records whose plaintext the cipher shows to be 9 bytes: no ping. */
    t = start(0xc02f, 0);
    for (int i = 1; i <= 8; i++) {
        rec_at(t, MQTTKA_C2S, (1 + 3 * i) * S, 23, 110);
        rec_at(t, MQTTKA_S2C, (1 + 3 * i) * S + 2000, 23, 400);
        rec_at(t, MQTTKA_C2S, (2 + 3 * i) * S, 23, 33);
        rec_at(t, MQTTKA_S2C, (2 + 3 * i) * S + 2000, 23, 33);
    }
    finish(t, 40 * S, &o, fs);
    CHECK_EQ_INT(o.confidence, MQTTKA_TLS_CONF_NONE);
    CHECK_EQ_INT(o.pingreq, 0);
    CHECK_EQ_INT(o.keepalive_inferred, -1);
    CHECK_EQ_INT(o.n_findings, 0);
    tls_infer_free(&t);

    /* A cipher the sizes cannot be checked against (TLS 1.2 CBC): two
     * exchanges are not enough; four at a regular cadence are. */
    t = start(0x002f, 0);
    for (int i = 1; i <= 2; i++) {
        rec_at(t, MQTTKA_C2S, (1 + 5 * i) * S, 23, 48);
        rec_at(t, MQTTKA_S2C, (1 + 5 * i) * S + 2000, 23, 48);
    }
    finish(t, 12 * S, &o, fs);
    CHECK_EQ_INT(o.pingreq, 0);
    for (int i = 3; i <= 4; i++) {
        rec_at(t, MQTTKA_C2S, (1 + 5 * i) * S, 23, 48);
        rec_at(t, MQTTKA_S2C, (1 + 5 * i) * S + 2000, 23, 48);
    }
    finish(t, 30 * S, &o, fs);
    CHECK_EQ_INT(o.pingreq, 4);
    CHECK_EQ_INT(o.keepalive_inferred, 5);
    tls_infer_free(&t);

    /* An echo service: the first message comes back at its own size, and
     * then 2-byte messages at a steady cadence: nothing is claimed. */
    t = start(0x1301, 0x0304);
    rec_at(t, MQTTKA_S2C, 1 * S + 9000, 23, 60);
    for (int i = 1; i <= 5; i++) {
        rec_at(t, MQTTKA_C2S, (1 + 2 * i) * S, 23, 19);
        rec_at(t, MQTTKA_S2C, (1 + 2 * i) * S + 1000, 23, 19);
    }
    finish(t, 12 * S, &o, fs);
    CHECK_EQ_INT(o.pingreq, 0);
    CHECK_EQ_INT(o.confidence, MQTTKA_TLS_CONF_NONE);
    tls_infer_free(&t);

    /* A frozen client: pings, then nothing; the server closes at 1.5 x KA. */
    t = start(0x1302, 0x0304);
    rec_at(t, MQTTKA_C2S, 3 * S, 23, 19);
    rec_at(t, MQTTKA_S2C, 3 * S + 1000, 23, 19);
    rec_at(t, MQTTKA_C2S, 5 * S, 23, 19);
    rec_at(t, MQTTKA_S2C, 5 * S + 1000, 23, 19);
    tls_infer_close(t, MQTTKA_SIDE_SERVER, MQTTKA_CLOSE_FIN, 8 * S + 500000);
    finish(t, 8 * S + 500000, &o, fs);
    CHECK_EQ_INT(o.keepalive_inferred, 2);
    CHECK_EQ_INT(o.max_client_silence, 3 * S + 500000);
    CHECK(has_finding(&o, MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE));
    tls_infer_free(&t);

    /* paho's rule, one ping: KA 5, the server silent since 1.005 s, the
     * client's PUBLISH at 4 s; the ping at 6.005 s follows 2 s of client
     * silence and 5 s of server silence: KA is the longer. */
    t = start(0x1301, 0x0304);
    rec_at(t, MQTTKA_C2S, 4 * S, 23, 60);
    rec_at(t, MQTTKA_C2S, 6 * S + 5000, 23, 19);
    rec_at(t, MQTTKA_S2C, 6 * S + 8000, 23, 19);
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 7 * S);
    finish(t, 7 * S, &o, fs);
    CHECK_EQ_INT(o.pingreq, 1);
    CHECK_EQ_INT(o.keepalive_inferred, 5);
    tls_infer_free(&t);
}

/* A ping just before the client's process exits: answered at once by a
 * pong, then the FIN 0.46 s later (inside the closing window). It is a
 * ping; a DISCONNECT at the same place, which the server "answers" with its
 * TLS 1.3 close_notify (a pong's length) just before the close, is not. */
static void test_ping_before_close(void)
{
    mqttka_tls_inference o;
    mqttka_finding fs[MQTTKA_TLS_MAX_FINDINGS];

    /* paho over WebSocket, TLS 1.3 AES-256-GCM, KA 9: pings of 25 bytes,
     * pongs of 21; the last ping 0.46 s before the exit. */
    tls_infer *t = start(0x1302, 0x0304);
    for (int i = 1; i <= 3; i++) {
        rec_at(t, MQTTKA_C2S, (1 + 9 * i) * S, 23, 25);
        rec_at(t, MQTTKA_S2C, (1 + 9 * i) * S + 400, 23, 21);
    }
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 28 * S + 460000);
    finish(t, 28 * S + 460000, &o, fs);
    CHECK_EQ_INT(o.pingreq, 3);
    CHECK_EQ_INT(o.pingresp, 3);
    CHECK_EQ_INT(o.pingreq_unanswered, 0);
    CHECK_EQ_INT(o.keepalive_inferred, 9);
    tls_infer_free(&t);

    /* The same ping with no answer before the exit: the closing run (maybe
     * a DISCONNECT) is not counted. */
    t = start(0x1302, 0x0304);
    for (int i = 1; i <= 3; i++) {
        rec_at(t, MQTTKA_C2S, (1 + 9 * i) * S, 23, 25);
        if (i < 3)
            rec_at(t, MQTTKA_S2C, (1 + 9 * i) * S + 400, 23, 21);
    }
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 28 * S + 460000);
    finish(t, 28 * S + 460000, &o, fs);
    CHECK_EQ_INT(o.pingreq, 2);
    CHECK_EQ_INT(o.pingreq_unanswered, 0);
    tls_infer_free(&t);

    /* TLS 1.3 over TCP, KA 4: two pings, then a DISCONNECT (19 bytes) 2 s
     * later, the server's close_notify (19 bytes, outer type 23) 0.3 ms
     * after it and the client's RST 0.2 ms after that: one close_notify
     * is no pong, the DISCONNECT no ping. */
    t = start(0x1301, 0x0304);
    rec_at(t, MQTTKA_C2S, 5 * S, 23, 19);
    rec_at(t, MQTTKA_S2C, 5 * S + 300, 23, 19);
    rec_at(t, MQTTKA_C2S, 9 * S, 23, 19);
    rec_at(t, MQTTKA_S2C, 9 * S + 300, 23, 19);
    rec_at(t, MQTTKA_C2S, 11 * S, 23, 19);
    rec_at(t, MQTTKA_S2C, 11 * S + 300, 23, 19);
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_RST, 11 * S + 500);
    finish(t, 11 * S + 500, &o, fs);
    CHECK_EQ_INT(o.pingreq, 2);
    CHECK_EQ_INT(o.pingresp, 2);
    CHECK_EQ_INT(o.pingreq_unanswered, 0);
    CHECK_EQ_INT(o.keepalive_inferred, 4);
    tls_infer_free(&t);
}

/* A ping answered 1 ms before the client exits 18 ms later, the client's
 * only one: learned and counted in TLS 1.2, whose close_notify is a record
 * of type 21; in TLS 1.3 the same records could be a DISCONNECT and the
 * server's close_notify, and nothing is claimed. */
static void test_only_ping_before_exit(void)
{
    mqttka_tls_inference o;
    mqttka_finding fs[MQTTKA_TLS_MAX_FINDINGS];

    /* mosquitto_pub, TLS 1.2 ChaCha20-Poly1305, KA 7: PUBLISH at 2.1 s,
     * PUBACK, the ping at 9.1 s (18 bytes: 2 + 16), its pong, the FIN. */
    tls_infer *t = start(0xcca8, 0);
    rec_at(t, MQTTKA_C2S, 2 * S + 100000, 23, 200);
    rec_at(t, MQTTKA_S2C, 2 * S + 100500, 23, 20);
    rec_at(t, MQTTKA_C2S, 9 * S + 106000, 23, 18);
    rec_at(t, MQTTKA_S2C, 9 * S + 107000, 23, 18);
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 9 * S + 125000);
    finish(t, 9 * S + 125000, &o, fs);
    CHECK_EQ_INT(o.pingreq, 1);
    CHECK_EQ_INT(o.pingresp, 1);
    CHECK_EQ_INT(o.keepalive_inferred, 7);
    tls_infer_free(&t);

    t = start(0x1303, 0x0304);
    rec_at(t, MQTTKA_C2S, 2 * S + 100000, 23, 200);
    rec_at(t, MQTTKA_S2C, 2 * S + 100500, 23, 21);
    rec_at(t, MQTTKA_C2S, 9 * S + 106000, 23, 19);
    rec_at(t, MQTTKA_S2C, 9 * S + 107000, 23, 19);
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 9 * S + 125000);
    finish(t, 9 * S + 125000, &o, fs);
    CHECK_EQ_INT(o.pingreq, 0);
    CHECK_EQ_INT(o.keepalive_inferred, -1);
    tls_infer_free(&t);
}

/* A ping 80 ms after the client's previous record (paho's PUBACK): too
 * soon after it for a ping by silence alone, but answered at once by a
 * pong-sized record of the learned pair; while the last piece of a
 * WebSocket write, answered by a record of its own length, teaches no
 * pair (it would be smaller than the pings'). */
static void test_ping_soon_after(void)
{
    mqttka_tls_inference o;
    mqttka_finding fs[MQTTKA_TLS_MAX_FINDINGS];

    /* paho over WebSocket, TLS 1.3, KA 2: a forwarded PUBLISH at 4.8 s,
     * its PUBACK at once, a ping 80 ms later, then four more every 2 s. */
    tls_infer *t = start(0x1302, 0x0304);
    rec_at(t, MQTTKA_S2C, 4 * S + 800000, 23, 23);
    rec_at(t, MQTTKA_C2S, 4 * S + 800500, 23, 27);
    for (int i = 0; i < 5; i++) {
        rec_at(t, MQTTKA_C2S, (4 + 2 * i) * S + 880000, 23, 25);
        rec_at(t, MQTTKA_S2C, (4 + 2 * i) * S + 880400, 23, 21);
    }
    finish(t, 14 * S, &o, fs);
    CHECK_EQ_INT(o.pingreq, 5);
    CHECK_EQ_INT(o.pingresp, 5);
    CHECK_EQ_INT(o.keepalive_inferred, 2);
    tls_infer_free(&t);

    /* MQTT.js over WebSocket, TLS 1.2 GCM: a SUBSCRIBE written as frames
     * of 31, 32, 45 and a last one of 31 bytes (1 byte of MQTT), answered by
     * a SUBACK of 31; then pings of 32 answered by 28 every 7 s. The pair
     * is (32, 28) and the last piece is no ping. */
    t = start(0xc02f, 0);
    rec_at(t, MQTTKA_C2S, 2 * S, 23, 31);
    rec_at(t, MQTTKA_C2S, 2 * S + 500, 23, 32);
    rec_at(t, MQTTKA_C2S, 2 * S + 900, 23, 45);
    rec_at(t, MQTTKA_C2S, 2 * S + 1300, 23, 31);
    rec_at(t, MQTTKA_S2C, 2 * S + 130000, 23, 31);
    for (int i = 1; i <= 2; i++) {
        rec_at(t, MQTTKA_C2S, (2 + 7 * i) * S + 130000, 23, 32);
        rec_at(t, MQTTKA_S2C, (2 + 7 * i) * S + 140000, 23, 28);
    }
    finish(t, 20 * S, &o, fs);
    CHECK_EQ_INT(o.ping_record_len, 32);
    CHECK_EQ_INT(o.pong_record_len, 28);
    CHECK_EQ_INT(o.pingreq, 2);
    CHECK_EQ_INT(o.pingreq_unanswered, 0);
    CHECK_EQ_INT(o.keepalive_inferred, 7);
    tls_infer_free(&t);
}

/* libmosquitto pings right behind its PUBLISH when it has heard nothing
 * for KA: the ping comes in the same instant as the PUBLISH, the client's
 * only one. The cipher (TLS 1.2 AES-256-GCM: 24 bytes) shows it and its
 * answer to be two 2-byte packets: learned and counted. Over WebSocket a
 * 7-byte piece answered by 7 bytes is no such pair (test_ping_soon_after). */
static void test_ping_behind_publish(void)
{
    mqttka_tls_inference o;
    mqttka_finding fs[MQTTKA_TLS_MAX_FINDINGS];
    static const rec_step records[] = {
        {MQTTKA_C2S, 4 * S + 880000, 81},
        {MQTTKA_C2S, 13 * S + 749000, 642},
        {MQTTKA_C2S, 13 * S + 749100, 26},
        {MQTTKA_S2C, 13 * S + 749400, 26},
    };
    tls_infer *t = start(0xc030, 0);
    PLAY(t, records);
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 19 * S + 757000);
    finish(t, 19 * S + 757000, &o, fs);
    CHECK_EQ_INT(o.ping_record_len, 26);
    CHECK_EQ_INT(o.pingreq, 1);
    CHECK_EQ_INT(o.pingresp, 1);
    CHECK_EQ_INT(o.pingreq_unanswered, 0);
    tls_infer_free(&t);

    /* the same records under a cipher whose expansion is unknown (TLS 1.2
     * CBC): a record right behind another proves nothing */
    t = start(0x002f, 0);
    PLAY(t, records);
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 19 * S + 757000);
    finish(t, 19 * S + 757000, &o, fs);
    CHECK_EQ_INT(o.pingreq, 0);
    tls_infer_free(&t);
}

/* MQTT.js restarts its ping timer when an acknowledgement arrives, not on
 * a PUBLISH: KA 6, a QoS 1 PUBLISH at 4.2 s acknowledged at once (PUBACK,
 * 2 bytes more than a PINGRESP), a QoS 0 PUBLISH at 7.6 s the broker
 * forwards back, and the only ping at 10.22 s, 6 s after the PUBACK. The
 * client was silent 4.2 s before (so KA is at least ~4 s): the 2.6 s
 * since the PUBLISH are not the keepalive, the time since the PUBACK is. */
static void test_ka_since_ack(void)
{
    mqttka_tls_inference o;
    mqttka_finding fs[MQTTKA_TLS_MAX_FINDINGS];
    tls_infer *t = start(0x1301, 0x0304);
    rec_at(t, MQTTKA_C2S, 1 * S + 110000, 23, 36); /* SUBSCRIBE */
    rec_at(t, MQTTKA_S2C, 1 * S + 130000, 23, 22); /* SUBACK */
    rec_at(t, MQTTKA_C2S, 5 * S + 280000, 23, 47); /* PUBLISH QoS 1 */
    rec_at(t, MQTTKA_S2C, 5 * S + 280500, 23, 47); /* forwarded back */
    rec_at(t, MQTTKA_S2C, 5 * S + 281000, 23, 21); /* PUBACK */
    rec_at(t, MQTTKA_C2S, 5 * S + 282000, 23, 21); /* its PUBACK */
    rec_at(t, MQTTKA_C2S, 8 * S + 710000, 23, 73); /* PUBLISH QoS 0 */
    rec_at(t, MQTTKA_S2C, 8 * S + 711000, 23, 73); /* forwarded back */
    rec_at(t, MQTTKA_C2S, 11 * S + 299000, 23, 19);
    rec_at(t, MQTTKA_S2C, 11 * S + 299400, 23, 19);
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 16 * S);
    finish(t, 16 * S, &o, fs);
    CHECK_EQ_INT(o.pingreq, 1);
    CHECK_EQ_INT(o.keepalive_inferred, 6);
    tls_infer_free(&t);

    /* paho's rule, kept: the same records with no silence longer than the
     * ping's own before it (no QoS 1 exchange at 5.28 s): the estimate is
     * the longer of the two silences before the ping, 2.6 s -> 3. */
    t = start(0x1301, 0x0304);
    rec_at(t, MQTTKA_C2S, 1 * S + 110000, 23, 36);
    rec_at(t, MQTTKA_S2C, 1 * S + 130000, 23, 22);
    rec_at(t, MQTTKA_C2S, 3 * S + 710000, 23, 73);
    rec_at(t, MQTTKA_S2C, 3 * S + 711000, 23, 73);
    rec_at(t, MQTTKA_C2S, 6 * S + 299000, 23, 19);
    rec_at(t, MQTTKA_S2C, 6 * S + 299400, 23, 19);
    tls_infer_close(t, MQTTKA_SIDE_CLIENT, MQTTKA_CLOSE_FIN, 9 * S);
    finish(t, 9 * S, &o, fs);
    CHECK_EQ_INT(o.pingreq, 1);
    CHECK_EQ_INT(o.keepalive_inferred, 3);
    tls_infer_free(&t);
}

/* The record log's caps (max_tls_records, max_tls_memory_bytes): a flow
 * of pings past the per-flow cap keeps the first records, says so, counts
 * no unanswered ping it cannot see answered; the total cap stops a second
 * flow's log from growing; every byte comes back when they are freed. */
static void test_log_caps(void)
{
    mqttka_tls_inference o;
    mqttka_finding fs[MQTTKA_TLS_MAX_FINDINGS];
    tls_log_budget small = {0, SIZE_MAX, 40};
    tls_infer *t = start_in(&small, 0x1301, 0x0304); /* 3 small records */
    for (int i = 1; i <= 100; i++) {
        rec_at(t, MQTTKA_C2S, (mqttka_time)i * 5 * S, 23, 19);
        rec_at(t, MQTTKA_S2C, (mqttka_time)i * 5 * S + 3000, 23, 19);
    }
    CHECK_EQ_INT(small.held, tls_infer_log_bytes(40));
    finish(t, 501 * S, &o, fs);
    CHECK(o.records_capped);
    CHECK(has_finding(&o, MQTTKA_F_RESOURCE_LIMIT));
    CHECK_EQ_INT(o.pingreq, 19);   /* the 40 records kept: 3 of the opening, 18 pairs and a ping */
    CHECK_EQ_INT(o.pingresp, 18);
    CHECK_EQ_INT(o.pingreq_unanswered, 0);
    CHECK_EQ_INT(o.keepalive_inferred, 5);
    CHECK_EQ_INT(o.records[MQTTKA_C2S], 102); /* counted whole: Finished, CONNECT, 100 */
    tls_infer_free(&t);
    CHECK_EQ_INT(small.held, 0);

    /* All flows: room for one first log (32 records), not a second. */
    tls_log_budget total = {0, tls_infer_log_bytes(32) + 10, 1024};
    tls_infer *a = tls_infer_new(&total), *b = tls_infer_new(&total);
    rec_at(a, MQTTKA_C2S, 1 * S, 23, 19);
    rec_at(b, MQTTKA_C2S, 1 * S, 23, 19);
    CHECK_EQ_INT(total.held, tls_infer_log_bytes(32));
    finish(b, 2 * S, &o, fs);
    CHECK(o.records_capped);
    finish(a, 2 * S, &o, fs);
    CHECK(!o.records_capped);
    tls_infer_free(&a);
    tls_infer_free(&b);
    CHECK_EQ_INT(total.held, 0);
}

int main(void)
{
    test_follower();
    test_server_hello();
    test_inference();
    test_ping_before_close();
    test_only_ping_before_exit();
    test_ping_soon_after();
    test_ping_behind_publish();
    test_ka_since_ack();
    test_log_caps();
    printf("%u passed, %u failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}
