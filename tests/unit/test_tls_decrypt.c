/*
 * test_tls_decrypt.c - TLS decryption with a key log (core/tls_decrypt.c,
 * core/tls_keylog.c), issue 17.
 *
 * The key schedule against RFC 8448 §3 (the simple 1-RTT handshake: its
 * published handshake secret, transcript hash, traffic secrets, keys and
 * IVs); the TLS 1.2 PRF (P_SHA256) against the test vector published on
 * the IETF TLS WG list (msg03416: secret 9bbe..., "test label", seed
 * a0ba..., 100 bytes); the key log parser; and a TLS 1.3 session sealed by
 * tls_builder.c fed whole, byte by byte and split at every offset.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_harness.h"
#include "tls_builder.h"
#include "tls_decrypt.h"
#include "tls_keylog.h"

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2)
        out[n++] = (uint8_t)strtoul((char[]){h[0], h[1], 0}, NULL, 16);
    return n;
}

static void check_bytes(const char *what, const uint8_t *got, const char *want_hex)
{
    uint8_t want[128];
    size_t n = unhex(want_hex, want);
    bool same = memcmp(got, want, n) == 0;
    if (!same)
        fprintf(stderr, "%s differs from the published value\n", what);
    CHECK(same);
}

/* RFC 8448 §3 */
static const char hs_secret[] = "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac";
static const char th_ch_sh[] = "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8";
static const char c_hs[] = "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21";
static const char s_hs[] = "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
static const char c_ap[] = "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5";
static const char s_ap[] = "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643";

static void test_rfc8448(void)
{
    uint8_t secret[48], th[48], out[48];
    unhex(hs_secret, secret);
    unhex(th_ch_sh, th);
    /* Derive-Secret(handshake secret, label, transcript) = HKDF-Expand-Label(.., 32) */
    CHECK(tls13_hkdf_expand_label(32, secret, "c hs traffic", th, 32, out, 32));
    check_bytes("client_handshake_traffic_secret", out, c_hs);
    CHECK(tls13_hkdf_expand_label(32, secret, "s hs traffic", th, 32, out, 32));
    check_bytes("server_handshake_traffic_secret", out, s_hs);

    static const struct {
        const char *secret, *key, *iv;
    } keys[] = {
        {s_hs, "3fce516009c21727d0f2e4e86ee403bc", "5d313eb2671276ee13000b30"},
        {c_hs, "dbfaa693d1762c5b666af5d950258d01", "5bd3c71b836e0b76bb73265f"},
        {s_ap, "9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984"},
        {c_ap, "17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        unhex(keys[i].secret, secret);
        CHECK(tls13_hkdf_expand_label(32, secret, "key", NULL, 0, out, 16));
        check_bytes("traffic key", out, keys[i].key);
        CHECK(tls13_hkdf_expand_label(32, secret, "iv", NULL, 0, out, 12));
        check_bytes("traffic iv", out, keys[i].iv);
    }
}

static void test_tls12_prf(void)
{
    uint8_t secret[16], seed[16], out[100];
    unhex("9bbe436ba940f017b17652849a71db35", secret);
    unhex("a0ba9f936cda311827a6f796ffd5198c", seed);
    CHECK(tls12_prf(32, secret, 16, "test label", seed, 16, out, sizeof out));
    check_bytes("P_SHA256", out,
                "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
                "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
                "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
                "87347b66");
}

static void test_keylog(void)
{
    static const char text[] =
        "# a comment\r\n"
        "\n"
        "CLIENT_RANDOM 0101010101010101010101010101010101010101010101010101010101010101 "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
        "EXPORTER_SECRET 0202020202020202020202020202020202020202020202020202020202020202 "
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
        "CLIENT_TRAFFIC_SECRET_0 0202020202020202020202020202020202020202020202020202020202020202 "
        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
        "SERVER_TRAFFIC_SECRET_0 0202020202020202020202020202020202020202020202020202020202020202 "
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n"
        "CLIENT_RANDOM 03 aa\n"                                   /* too short */
        "CLIENT_RANDOM 0404040404040404040404040404040404040404040404040404040404040404 "
        "zz\n"                                                   /* not hex */
        "SERVER_TRAFFIC_SECRET_0 0202020202020202020202020202020202020202020202020202020202020202";
    tls_keylog k = {0};
    size_t added = 99, bad = 99;
    CHECK(tls_keylog_add(&k, text, strlen(text), &added, &bad));
    CHECK_EQ_INT(added, 3);
    CHECK_EQ_INT(bad, 3); /* the two malformed lines and the cut last one */
    CHECK_EQ_INT(k.n, 2);
    uint8_t r[32];
    memset(r, 2, 32);
    const tls_keylog_entry *e = tls_keylog_find(&k, r);
    CHECK(e && e->len[TLS_KEY_CLIENT_AP0] == 32 && e->len[TLS_KEY_SERVER_AP0] == 32 &&
          e->len[TLS_KEY_MASTER] == 0 && e->secret[TLS_KEY_SERVER_AP0][0] == 0xdd);
    memset(r, 1, 32);
    e = tls_keylog_find(&k, r);
    CHECK(e && e->len[TLS_KEY_MASTER] == 48 && e->secret[TLS_KEY_MASTER][47] == 0xaa);
    memset(r, 3, 32);
    CHECK(tls_keylog_find(&k, r) == NULL);
    tls_keylog_free(&k);
    CHECK(k.n == 0 && k.e == NULL);
}

/* ------------------------------------------------- a sealed session -- */

typedef struct plain_log {
    char text[1024];
    size_t len;
    unsigned failed[2];
} plain_log;

static void on_plain(void *ctx, mqttka_direction dir, const uint8_t *b, size_t n)
{
    plain_log *l = ctx;
    for (size_t i = 0; i < n && l->len + 4 < sizeof l->text; i++)
        l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%c%02x",
                                   i ? ' ' : (dir == MQTTKA_C2S ? '>' : '<'), b[i]);
}

static void on_failed(void *ctx, mqttka_direction dir, uint64_t record, const char *why)
{
    (void)record;
    (void)why;
    ((plain_log *)ctx)->failed[dir]++;
}

typedef struct piece {
    mqttka_direction dir;
    uint8_t b[512];
    size_t n;
} piece;

static size_t session(piece *p, uint16_t cipher, bool tamper)
{
    static const uint8_t connect[] = {0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 5, 0, 0};
    static const uint8_t connack[] = {0x20, 2, 0, 0}, ping[] = {0xc0, 0}, pong[] = {0xd0, 0};
    uint8_t fin[64];
    size_t fin_len = tlsb_finished(fin), n = 0;
    p[n].dir = MQTTKA_C2S, p[n].n = tlsb_client_hello(p[n].b), n++;
    p[n].dir = MQTTKA_S2C, p[n].n = tlsb_server_hello(p[n].b, cipher);
    p[n].n += tlsb_seal(p[n].b + p[n].n, cipher, TLSB_SHS, 0, 22, fin, fin_len), n++;
    p[n].dir = MQTTKA_C2S, p[n].n = tlsb_seal(p[n].b, cipher, TLSB_CHS, 0, 22, fin, fin_len), n++;
    p[n].dir = MQTTKA_C2S, p[n].n = tlsb_seal(p[n].b, cipher, TLSB_CAP, 0, 23, connect, sizeof connect), n++;
    p[n].dir = MQTTKA_S2C, p[n].n = tlsb_seal(p[n].b, cipher, TLSB_SAP, 0, 23, connack, sizeof connack), n++;
    p[n].dir = MQTTKA_C2S, p[n].n = tlsb_seal(p[n].b, cipher, TLSB_CAP, 1, 23, ping, sizeof ping);
    if (tamper)
        p[n].b[7] ^= 0x40;
    n++;
    p[n].dir = MQTTKA_S2C, p[n].n = tlsb_seal(p[n].b, cipher, TLSB_SAP, 1, 23, pong, sizeof pong), n++;
    return n;
}

/* Each piece pushed in chunks of `chunk` bytes (0: whole). */
static void run(const piece *p, size_t n, size_t chunk, const char *keylog, plain_log *l,
                bool *without_keys)
{
    tls_keylog k = {0};
    CHECK(tls_keylog_add(&k, keylog, strlen(keylog), NULL, NULL));
    memset(l, 0, sizeof *l);
    tls_log_budget budget = {0, SIZE_MAX, 0};
    tls_decrypt *d = tls_decrypt_new(&k, &budget);
    CHECK(d != NULL && budget.held > 2 * (16384 + 2048));
    tls_decrypt_sink sink = {on_plain, on_failed, l};
    for (size_t i = 0; i < n; i++) {
        size_t step = chunk ? chunk : p[i].n;
        for (size_t at = 0; at < p[i].n; at += step) {
            size_t m = p[i].n - at < step ? p[i].n - at : step;
            uint8_t *copy = th_exact_copy(p[i].b + at, m);
            tls_decrypt_push(d, p[i].dir, copy, m, &sink);
            free(copy);
        }
    }
    *without_keys = tls_decrypt_without_keys(d);
    mqttka_tls_info info;
    tls_decrypt_info(d, &info);
    if (!*without_keys) {
        CHECK_EQ_INT(info.version, 0x0304);
        CHECK_EQ_STR(info.sni, "broker.test");
    }
    tls_decrypt_free(&d);
    CHECK(d == NULL && budget.held == 0);
    tls_keylog_free(&k);
}

static void test_session(void)
{
    static piece p[16];
    plain_log l;
    bool without;
    static const char want[] = ">10 0c 00 04 4d 51 54 54 04 02 00 05 00 00<20 02 00 00>c0 00<d0 00";
    for (int c = 0; c < 2; c++) {
        uint16_t cipher = c ? 0x1303 : 0x1301;
        size_t n = session(p, cipher, false);
        run(p, n, 0, tlsb_keylog(), &l, &without);
        CHECK(!without);
        CHECK_EQ_STR(l.text, want);
        run(p, n, 1, tlsb_keylog(), &l, &without);
        CHECK_EQ_STR(l.text, want);
        for (size_t chunk = 2; chunk < 64; chunk += 7) {
            run(p, n, chunk, tlsb_keylog(), &l, &without);
            CHECK_EQ_STR(l.text, want);
        }
        /* a record changed in transit: that direction stops there, the other goes on */
        n = session(p, cipher, true);
        run(p, n, 0, tlsb_keylog(), &l, &without);
        CHECK_EQ_INT(l.failed[MQTTKA_C2S], 1);
        CHECK_EQ_INT(l.failed[MQTTKA_S2C], 0);
        CHECK_EQ_STR(l.text, ">10 0c 00 04 4d 51 54 54 04 02 00 05 00 00<20 02 00 00<d0 00");
    }
    /* a key log without this session: nothing decrypted, the flow is one without keys */
    size_t n = session(p, 0x1301, false);
    run(p, n, 0,
        "CLIENT_RANDOM 0101010101010101010101010101010101010101010101010101010101010101 "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        &l, &without);
    CHECK(without);
    CHECK_EQ_INT(l.len, 0);

    /* max_tls_decrypt_memory_bytes: room for one decryption, not two */
    tls_keylog k = {0};
    tls_log_budget one = {0, 40 * 1024, 0};
    tls_decrypt *a = tls_decrypt_new(&k, &one);
    CHECK(a != NULL && !tls_decrypt_fits(&one) && tls_decrypt_new(&k, &one) == NULL);
    tls_decrypt_free(&a);
    CHECK(one.held == 0 && tls_decrypt_fits(&one));
}

int main(void)
{
    test_rfc8448();
    test_tls12_prf();
    test_keylog();
    test_session();
    printf("%u passed, %u failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}
