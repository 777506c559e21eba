/*
 * test_ws_inflate.c - permessage-deflate (core/ws_inflate.c): the 101's
 * parameters, and inflation.
 *
 * The compressed messages are made here by zlib's deflate exactly as a
 * sender makes them (RFC 7692 §7.2.1: raw DEFLATE, a sync flush at the end
 * of each message, its `00 00 ff ff` cut off; the compressor reset after
 * each message when it does not keep its context), plus the RFC's own
 * examples (§7.2.3). Every stream is inflated with its payload given whole,
 * byte by byte and split in two at every offset; every way must give back
 * the original bytes. The caps are tried on a real zip bomb made by zlib.
 */
#include "test_harness.h"
#include "ws_inflate.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MiB (1024u * 1024u)

/* ------------------------------------------------------ negotiation -- */

typedef struct parse_case {
    const char *value;
    ws_deflate_negotiation want;
    /* On WS_DEFLATE_ON: the parameters; on UNSUPPORTED: the reason. */
    bool client_nct, server_nct;
    int client_bits, server_bits;
    const char *why;
} parse_case;

static const parse_case parse_cases[] = {
    {"", WS_DEFLATE_OFF, false, false, 0, 0, NULL},
    {"  ", WS_DEFLATE_OFF, false, false, 0, 0, NULL},
    {"permessage-deflate", WS_DEFLATE_ON, false, false, 15, 15, NULL},
    {"PerMessage-Deflate", WS_DEFLATE_ON, false, false, 15, 15, NULL},
    /* What ws (Node) answers a client that offers client_max_window_bits. */
    {"permessage-deflate; client_max_window_bits=15", WS_DEFLATE_ON, false, false, 15, 15, NULL},
    {"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
     WS_DEFLATE_ON, true, true, 15, 15, NULL},
    {"permessage-deflate;client_no_context_takeover", WS_DEFLATE_ON, true, false, 15, 15, NULL},
    {"permessage-deflate; server_max_window_bits=10; client_max_window_bits=8", WS_DEFLATE_ON,
     false, false, 8, 10, NULL},
    {"permessage-deflate; server_max_window_bits=\"9\"", WS_DEFLATE_ON, false, false, 15, 9,
     NULL},
    {"permessage-deflate ; Server_No_Context_Takeover ; SERVER_MAX_WINDOW_BITS = 12 ",
     WS_DEFLATE_ON, false, true, 15, 12, NULL},
    /* §7.1.2.2: an answer's client_max_window_bits has a value; without
     * one it is read as the largest window. */
    {"permessage-deflate; client_max_window_bits", WS_DEFLATE_ON, false, false, 15, 15, NULL},
    {"permessage-deflate;", WS_DEFLATE_ON, false, false, 15, 15, NULL},
    {"permessage-deflate, ", WS_DEFLATE_ON, false, false, 15, 15, NULL},
    /* What is not decoded. */
    {"x-webkit-deflate-frame", WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "extension \"x-webkit-deflate-frame\""},
    {"permessage-deflate, x-webkit-deflate-frame", WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "extension \"x-webkit-deflate-frame\""},
    {"permessage-deflate, permessage-deflate", WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "extension accepted twice: \"permessage-deflate\""},
    {"permessage-deflate; mux", WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "permessage-deflate parameter \"mux\""},
    {"permessage-deflate; server_max_window_bits=16", WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "a window size out of 8..15: \"16\""},
    {"permessage-deflate; server_max_window_bits=7", WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "a window size out of 8..15: \"7\""},
    {"permessage-deflate; client_max_window_bits=010", WS_DEFLATE_UNSUPPORTED, false, false, 0,
     0, "a window size out of 8..15: \"010\""},
    {"permessage-deflate; client_max_window_bits=", WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "a window size out of 8..15: \"\""},
    {"permessage-deflate; server_no_context_takeover=1", WS_DEFLATE_UNSUPPORTED, false, false, 0,
     0, "a value for \"server_no_context_takeover\""},
    {"permessage-deflate; client_no_context_takeover; client_no_context_takeover",
     WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "permessage-deflate parameter given twice: \"client_no_context_takeover\""},
    {"permessage-deflate; x=\"a;b,c\"", WS_DEFLATE_UNSUPPORTED, false, false, 0, 0,
     "permessage-deflate parameter \"x\""},
};

static void test_parse(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *c = &parse_cases[i];
        ws_deflate_params p;
        memset(&p, 0xAA, sizeof p);
        char why[96] = "untouched";
        /* An exact-size copy: a read past the value's NUL is caught. */
        char *value = (char *)th_exact_copy(c->value, strlen(c->value) + 1);
        ws_deflate_negotiation got = ws_deflate_parse_response(value, &p, why, sizeof why);
        free(value);
        if (got != c->want)
            fprintf(stderr, "parse case \"%s\"\n", c->value);
        CHECK_EQ_INT(got, c->want);
        if (c->want == WS_DEFLATE_ON) {
            CHECK_EQ_INT(p.client.no_context_takeover, c->client_nct);
            CHECK_EQ_INT(p.server.no_context_takeover, c->server_nct);
            CHECK_EQ_INT(p.client.max_window_bits, c->client_bits);
            CHECK_EQ_INT(p.server.max_window_bits, c->server_bits);
            CHECK_EQ_STR(why, "untouched");
        } else if (c->want == WS_DEFLATE_UNSUPPORTED) {
            CHECK_EQ_STR(why, c->why);
        }
    }
    /* The reason is cut to the buffer. */
    char small[12];
    CHECK_EQ_INT(ws_deflate_parse_response("permessage-deflate; unknown_parameter", NULL, small,
                                           sizeof small),
                 WS_DEFLATE_UNSUPPORTED);
    CHECK_EQ_INT(strlen(small), sizeof small - 1);
}

/* --------------------------------------------------- what comes out -- */

typedef struct sink {
    uint8_t *bytes;
    size_t len, cap;
    size_t calls;
    size_t largest_chunk;
} sink;

static void sink_out(void *ctx, const uint8_t *bytes, size_t len)
{
    sink *k = ctx;
    k->calls++;
    if (len > k->largest_chunk)
        k->largest_chunk = len;
    if (len > k->cap - k->len) {
        size_t cap = k->cap ? k->cap : 1024;
        while (len > cap - k->len)
            cap *= 2;
        k->bytes = realloc(k->bytes, cap);
        if (!k->bytes)
            abort();
        k->cap = cap;
    }
    memcpy(k->bytes + k->len, bytes, len);
    k->len += len;
}

/* Counts without keeping (the bombs). */
static void count_out(void *ctx, const uint8_t *bytes, size_t len)
{
    sink *k = ctx;
    (void)bytes;
    k->calls++;
    k->len += len;
    if (len > k->largest_chunk)
        k->largest_chunk = len;
}

static void sink_free(sink *k)
{
    free(k->bytes);
    memset(k, 0, sizeof *k);
}

/* ----------------------------------------------------- the compressor -- */

/* A sender's compressor, as RFC 7692 §7.2.1 has it. */
typedef struct compressor {
    z_stream z;
    bool reset_each_message;
} compressor;

static void compressor_init(compressor *c, int window_bits, bool reset_each_message)
{
    memset(c, 0, sizeof *c);
    c->reset_each_message = reset_each_message;
    if (deflateInit2(&c->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
}

static void compressor_free(compressor *c)
{
    deflateEnd(&c->z);
}

/* Compresses one message into a new buffer, its length in *out_len: a sync
 * flush, and the flush's `00 00 ff ff` cut off (§7.2.1). With `final`, the
 * message ends in a final block instead (§7.2.3.3), and a compressor that
 * keeps its context starts the next over the same window. */
static uint8_t *compress_message(compressor *c, const uint8_t *in, size_t len, bool final,
                                 size_t *out_len)
{
    size_t cap = deflateBound(&c->z, (uLong)len) + 64;
    uint8_t *out = malloc(cap);
    if (!out)
        abort();
    c->z.next_in = (Bytef *)(uintptr_t)in;
    c->z.avail_in = (uInt)len;
    c->z.next_out = out;
    c->z.avail_out = (uInt)cap;
    int rc = deflate(&c->z, final ? Z_FINISH : Z_SYNC_FLUSH);
    if (c->z.avail_in != 0 || (final ? rc != Z_STREAM_END : rc != Z_OK))
        abort();
    size_t n = cap - c->z.avail_out;
    if (!final) {
        if (n < 4 || memcmp(out + n - 4, "\x00\x00\xff\xff", 4) != 0)
            abort();
        n -= 4;
    }
    if (c->reset_each_message) {
        deflateReset(&c->z);
    } else if (final) {
        uint8_t window[32768];
        uInt have = sizeof window;
        if (deflateGetDictionary(&c->z, window, &have) != Z_OK)
            abort();
        deflateReset(&c->z);
        if (have && deflateSetDictionary(&c->z, window, have) != Z_OK)
            abort();
    }
    *out_len = n;
    return out;
}

/* ------------------------------------------------------ the messages -- */

/* A conversation's messages: MQTT-sized ones that repeat each other (so
 * context takeover matters), a large compressible one, and one whose
 * repeats lie 20 000 bytes apart (so the window size matters). */
#define N_MESSAGES 8
static uint8_t *message[N_MESSAGES];
static size_t message_len[N_MESSAGES];

static void make_messages(void)
{
    static const uint8_t connect[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                      0x04, 0x02, 0x00, 0x05, 0x00, 0x00};
    static const uint8_t pingreq[] = {0xc0, 0x00};
    const char *json = "{\"sensor\":\"kitchen\",\"temperature\":21.5,\"unit\":\"C\"}";
    uint8_t publish[128];
    size_t jl = strlen(json);
    publish[0] = 0x30;
    publish[1] = (uint8_t)(2 + 4 + jl);
    memcpy(publish + 2, "\x00\x04home", 6);
    memcpy(publish + 8, json, jl);
    size_t publish_len = 8 + jl;

    const uint8_t *small[4] = {connect, pingreq, publish, publish};
    size_t small_len[4] = {sizeof connect, sizeof pingreq, publish_len, publish_len};
    for (int i = 0; i < 4; i++) {
        message[i] = th_exact_copy(small[i], small_len[i]);
        message_len[i] = small_len[i];
    }
    /* 6 000 bytes of text-like, compressible content. */
    message_len[4] = 6000;
    message[4] = malloc(message_len[4]);
    for (size_t i = 0; i < message_len[4]; i++)
        message[4][i] = (uint8_t)("mqttka keepalive "[(i * 7 + i / 97) % 17]);
    /* 4 096 random bytes, then the same again 20 000 bytes later. */
    message_len[5] = 40000;
    message[5] = malloc(message_len[5]);
    for (size_t i = 0; i < message_len[5]; i++)
        message[5][i] = (uint8_t)th_rng();
    memcpy(message[5] + 24096, message[5], 4096);
    message[6] = th_exact_copy(pingreq, sizeof pingreq);
    message_len[6] = sizeof pingreq;
    message[7] = th_exact_copy(message[4], 3000); /* the window reaches back */
    message_len[7] = 3000;
}

/* The messages compressed by a sender with these settings. */
typedef struct stream {
    uint8_t *payload[N_MESSAGES];
    size_t len[N_MESSAGES];
} stream;

static void stream_make(stream *st, int window_bits, bool reset_each_message, bool final)
{
    compressor c;
    /* zlib cannot compress raw DEFLATE at windowBits 8: deflateInit2 says
     * so, and senders use 9 (ws_inflate.c). */
    compressor_init(&c, window_bits < 9 ? 9 : window_bits, reset_each_message);
    for (int i = 0; i < N_MESSAGES; i++)
        st->payload[i] = compress_message(&c, message[i], message_len[i], final, &st->len[i]);
    compressor_free(&c);
}

static void stream_free(stream *st)
{
    for (int i = 0; i < N_MESSAGES; i++)
        free(st->payload[i]);
}

static const ws_inflate_limits roomy = {64u * MiB, 0};

/* Set while a stream is read in a way that must fail: no report. */
static bool expect_failure;

/* Inflates every message of `st`, each payload cut into pieces: whole
 * (step 0), `step` bytes at a time, or in two at `split`. Checks each
 * message's bytes. Returns the inflater's memory after the last message
 * (before it is freed) through *held. */
static bool inflate_stream(const stream *st, const ws_deflate_sender *sender, size_t step,
                           size_t split, size_t *held)
{
    ws_inflate_memory mem = {0, SIZE_MAX};
    ws_inflater w;
    ws_inflater_init(&w, sender, &mem);
    bool ok = true;
    for (int i = 0; i < N_MESSAGES && ok; i++) {
        sink k = {0};
        ok = ws_inflate_message_begin(&w);
        /* exact-size copy: an over-read of the payload is caught */
        uint8_t *p = th_exact_copy(st->payload[i], st->len[i]);
        size_t n = st->len[i];
        if (step) {
            for (size_t at = 0; at < n && ok; at += step)
                ok = ws_inflate_message_data(&w, &roomy, p + at, n - at < step ? n - at : step,
                                             sink_out, &k) == WS_INFLATE_OK;
        } else if (split && split < n) {
            ok = ws_inflate_message_data(&w, &roomy, p, split, sink_out, &k) == WS_INFLATE_OK &&
                 ws_inflate_message_data(&w, &roomy, p + split, n - split, sink_out, &k) ==
                     WS_INFLATE_OK;
        } else {
            ok = ws_inflate_message_data(&w, &roomy, p, n, sink_out, &k) == WS_INFLATE_OK;
        }
        free(p);
        ok = ok && ws_inflate_message_end(&w, &roomy, sink_out, &k) == WS_INFLATE_OK;
        ok = ok && k.len == message_len[i] && memcmp(k.bytes, message[i], k.len) == 0;
        ok = ok && k.largest_chunk <= WS_INFLATE_CHUNK;
        if (!ok && !expect_failure)
            fprintf(stderr, "  message %d (step %zu, split %zu): %zu bytes out of %zu%s\n", i,
                    step, split, k.len, message_len[i], w.error ? w.error : "");
        sink_free(&k);
    }
    if (held)
        *held = mem.held;
    ws_inflater_free(&w);
    ok = ok && mem.held == 0; /* every byte zlib took was given back */
    return ok;
}

/* ------------------------------------------------------------ cases -- */

/* RFC 7692 §7.2.3's examples, all "Hello". */
static void test_rfc_examples(void)
{
    static const uint8_t hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    static const uint8_t hello_again[] = {0xf2, 0x00, 0x11, 0x00, 0x00}; /* §7.2.3.2 */
    static const uint8_t hello_final[] = {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00};
    static const uint8_t hello_stored[] = {0x00, 0x05, 0x00, 0xfa, 0xff, 0x48,
                                           0x65, 0x6c, 0x6c, 0x6f, 0x00};
    static const uint8_t empty[] = {0x00}; /* §7.2.3.6 */
    struct {
        const uint8_t *p;
        size_t len;
        const char *want;
    } seq[] = {
        {hello, sizeof hello, "Hello"},
        {hello_again, sizeof hello_again, "Hello"}, /* refers to the first */
        {hello_final, sizeof hello_final, "Hello"},
        {hello_stored, sizeof hello_stored, "Hello"},
        {empty, sizeof empty, ""},
        {hello_again, sizeof hello_again, "Hello"}, /* the window survived */
        {NULL, 0, ""},                              /* no payload at all */
        {hello, sizeof hello, "Hello"},
    };
    ws_inflate_memory mem = {0, SIZE_MAX};
    ws_deflate_sender takeover = {false, 15};
    ws_inflater w;
    ws_inflater_init(&w, &takeover, &mem);
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        sink k = {0};
        CHECK(ws_inflate_message_begin(&w));
        CHECK_EQ_INT(ws_inflate_message_data(&w, &roomy, seq[i].p, seq[i].len, sink_out, &k),
                     WS_INFLATE_OK);
        CHECK_EQ_INT(ws_inflate_message_end(&w, &roomy, sink_out, &k), WS_INFLATE_OK);
        CHECK_EQ_INT(k.len, strlen(seq[i].want));
        CHECK(k.len == 0 || memcmp(k.bytes, seq[i].want, k.len) == 0);
        sink_free(&k);
        /* zlib's state (about 7 KiB) and the one page of the 32 KiB window
         * that 25 bytes have written */
        CHECK(mem.held > 7 * 1024 && mem.held < 8 * 1024 + 4096);
    }
    ws_inflater_free(&w);
    CHECK_EQ_INT(mem.held, 0);

    /* Without context takeover the second example cannot be read: it
     * points back into a window the receiver has dropped. */
    ws_deflate_sender reset = {true, 15};
    ws_inflater_init(&w, &reset, &mem);
    sink k = {0};
    CHECK(ws_inflate_message_begin(&w));
    CHECK_EQ_INT(ws_inflate_message_data(&w, &roomy, hello, sizeof hello, sink_out, &k),
                 WS_INFLATE_OK);
    CHECK_EQ_INT(ws_inflate_message_end(&w, &roomy, sink_out, &k), WS_INFLATE_OK);
    CHECK_EQ_INT(mem.held, 0); /* freed at the message's end */
    CHECK(ws_inflate_message_begin(&w));
    ws_inflate_result r =
        ws_inflate_message_data(&w, &roomy, hello_again, sizeof hello_again, sink_out, &k);
    if (r == WS_INFLATE_OK)
        r = ws_inflate_message_end(&w, &roomy, sink_out, &k);
    CHECK_EQ_INT(r, WS_INFLATE_CORRUPT);
    CHECK_EQ_STR(w.error, "invalid distance too far back");
    sink_free(&k);
    ws_inflater_free(&w);
    CHECK_EQ_INT(mem.held, 0);
}

/* Every window size, with and without context takeover, with sync-flushed
 * and final-block messages, every way of cutting the payloads. */
static void test_streams(void)
{
    /* zlib refuses raw DEFLATE at windowBits 8 (what makes senders use 9). */
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK_EQ_INT(deflateInit2(&z, 6, Z_DEFLATED, -8, 8, Z_DEFAULT_STRATEGY), Z_STREAM_ERROR);

    for (int bits = 8; bits <= 15; bits++) {
        for (int nct = 0; nct < 2; nct++) {
            for (int final = 0; final < 2; final++) {
                stream st;
                stream_make(&st, bits, nct, final);
                ws_deflate_sender sender = {nct != 0, (uint8_t)bits};
                size_t held = 0;
                bool whole = inflate_stream(&st, &sender, 0, 0, &held);
                if (!whole)
                    fprintf(stderr, "window %d, %s, %s: whole\n", bits,
                            nct ? "no context takeover" : "context takeover",
                            final ? "final blocks" : "sync flush");
                CHECK(whole);
                /* Memory: none between messages without takeover; with
                 * it, the state and the 32 KiB window, all written (the
                 * messages inflate to 55 KB), whatever the window promised. */
                if (nct)
                    CHECK_EQ_INT(held, 0);
                else
                    CHECK(held > 32768 + 7 * 1024 && held < 32768 + 8 * 1024);
                CHECK(inflate_stream(&st, &sender, 1, 0, NULL));
                CHECK(inflate_stream(&st, &sender, 7, 0, NULL));
                stream_free(&st);
            }
        }
    }

    /* Split in two at every offset: the small messages' stream, where
     * every offset is cheap. */
    for (int nct = 0; nct < 2; nct++) {
        stream st;
        stream_make(&st, 15, nct, false);
        ws_deflate_sender sender = {nct != 0, 15};
        size_t longest = 0;
        for (int i = 0; i < N_MESSAGES; i++)
            if (st.len[i] > longest && st.len[i] < 4096)
                longest = st.len[i];
        bool all = true;
        for (size_t split = 1; split < longest && all; split++)
            all = inflate_stream(&st, &sender, 0, split, NULL);
        CHECK(all);
        stream_free(&st);
    }

    /* A sender over its promised window (20 000 bytes back where it
     * promised 2^14) is read as zlib-based peers read it: every stream is
     * inflated with a 32 KiB window (ws_inflate.c). The context does
     * matter: a stream read as if the sender reset it fails. */
    stream st;
    stream_make(&st, 15, false, false);
    ws_deflate_sender narrow = {false, 14};
    CHECK(inflate_stream(&st, &narrow, 0, 0, NULL));
    CHECK(inflate_stream(&st, &narrow, 1, 0, NULL));
    expect_failure = true;
    ws_deflate_sender forgetful = {true, 15};
    CHECK(!inflate_stream(&st, &forgetful, 0, 0, NULL));
    CHECK(!inflate_stream(&st, &forgetful, 1, 0, NULL));
    expect_failure = false;
    stream_free(&st);
}

/* A message whose payload is not DEFLATE: reported with zlib's reason;
 * after it, a sender that keeps its context is not read again, and one
 * that resets it is, from its next message. */
static void test_corrupt(void)
{
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff}; /* block type 3: reserved */
    for (int nct = 0; nct < 2; nct++) {
        stream st;
        stream_make(&st, 15, nct, false);
        ws_inflate_memory mem = {0, SIZE_MAX};
        ws_deflate_sender sender = {nct != 0, 15};
        ws_inflater w;
        ws_inflater_init(&w, &sender, &mem);
        sink k = {0};
        CHECK(ws_inflate_fresh_context(&w));
        CHECK(ws_inflate_message_begin(&w));
        CHECK_EQ_INT(ws_inflate_message_data(&w, &roomy, st.payload[0], st.len[0], sink_out, &k),
                     WS_INFLATE_OK);
        CHECK_EQ_INT(ws_inflate_message_end(&w, &roomy, sink_out, &k), WS_INFLATE_OK);
        CHECK(ws_inflate_message_begin(&w));
        CHECK_EQ_INT(ws_inflate_message_data(&w, &roomy, garbage, sizeof garbage, sink_out, &k),
                     WS_INFLATE_CORRUPT);
        CHECK_EQ_STR(w.error, "invalid block type");
        CHECK_EQ_INT(mem.held, 0); /* given up: nothing held */
        CHECK(ws_inflate_skipping(&w));
        CHECK_EQ_INT(ws_inflate_message_data(&w, &roomy, st.payload[1], st.len[1], sink_out, &k),
                     WS_INFLATE_SKIPPED);
        CHECK_EQ_INT(ws_inflate_message_end(&w, &roomy, sink_out, &k), WS_INFLATE_SKIPPED);
        size_t before = k.len;
        CHECK_EQ_INT(ws_inflate_fresh_context(&w), nct != 0);
        CHECK_EQ_INT(ws_inflate_message_begin(&w), nct != 0);
        ws_inflate_result r =
            ws_inflate_message_data(&w, &roomy, st.payload[2], st.len[2], sink_out, &k);
        CHECK_EQ_INT(r, nct ? WS_INFLATE_OK : WS_INFLATE_SKIPPED);
        CHECK_EQ_INT(ws_inflate_message_end(&w, &roomy, sink_out, &k),
                     nct ? WS_INFLATE_OK : WS_INFLATE_SKIPPED);
        if (nct)
            CHECK(k.len - before == message_len[2] &&
                  memcmp(k.bytes + before, message[2], message_len[2]) == 0);
        else
            CHECK_EQ_INT(k.len, before);
        sink_free(&k);
        ws_inflater_free(&w);
        CHECK_EQ_INT(mem.held, 0);
        stream_free(&st);
    }

    /* A message cut short by a new one (its end never came): the context
     * is lost. */
    stream st;
    stream_make(&st, 15, false, false);
    ws_inflate_memory mem = {0, SIZE_MAX};
    ws_deflate_sender takeover = {false, 15};
    ws_inflater w;
    ws_inflater_init(&w, &takeover, &mem);
    sink k = {0};
    CHECK(ws_inflate_message_begin(&w));
    CHECK_EQ_INT(ws_inflate_message_data(&w, &roomy, st.payload[4], st.len[4] / 2, sink_out, &k),
                 WS_INFLATE_OK);
    CHECK(!ws_inflate_message_begin(&w));
    CHECK(w.context_lost);
    sink_free(&k);
    ws_inflater_free(&w);
    CHECK_EQ_INT(mem.held, 0);
    stream_free(&st);
}

/* A zip bomb made by zlib: `total` zero bytes in one message, compressed
 * at level 9 (about 1 000 : 1). Returns its payload. */
static uint8_t *make_bomb(size_t total, size_t *len)
{
    compressor c;
    compressor_init(&c, 15, false);
    static uint8_t zeros[1 << 16];
    size_t cap = total / 900 + 4096, n = 0;
    uint8_t *out = malloc(cap);
    if (!out)
        abort();
    deflateParams(&c.z, 9, Z_DEFAULT_STRATEGY);
    for (size_t done = 0; done < total; done += sizeof zeros) {
        c.z.next_in = zeros;
        c.z.avail_in = sizeof zeros;
        bool last = done + sizeof zeros >= total;
        do {
            c.z.next_out = out + n;
            c.z.avail_out = (uInt)(cap - n);
            if (deflate(&c.z, last ? Z_SYNC_FLUSH : Z_NO_FLUSH) == Z_STREAM_ERROR)
                abort();
            n = cap - c.z.avail_out;
        } while (c.z.avail_in != 0);
    }
    compressor_free(&c);
    *len = n - 4; /* the flush's tail */
    return out;
}

static void test_caps(void)
{
    /* 1 GiB of zeros in about 1 MiB: the first cap stops it after 1 MiB
     * of output, having read about a thousandth of it. */
    size_t bomb_len = 0;
    uint8_t *bomb = make_bomb((size_t)1 << 30, &bomb_len);
    CHECK(bomb_len < (size_t)2 * MiB);
    ws_inflate_memory mem = {0, SIZE_MAX};
    ws_deflate_sender sender = {false, 15};
    ws_inflater w;
    ws_inflater_init(&w, &sender, &mem);
    ws_inflate_limits message_cap = {1 * MiB, 0};
    sink k = {0};
    CHECK(ws_inflate_message_begin(&w));
    /* fed 1 KiB at a time, as frames would come */
    ws_inflate_result r = WS_INFLATE_OK;
    size_t fed = 0;
    while (fed < bomb_len && r == WS_INFLATE_OK) {
        size_t n = bomb_len - fed < 1024 ? bomb_len - fed : 1024;
        r = ws_inflate_message_data(&w, &message_cap, bomb + fed, n, count_out, &k);
        fed += n;
    }
    CHECK_EQ_INT(r, WS_INFLATE_MESSAGE_LIMIT);
    CHECK_EQ_INT(k.len, 1 * MiB); /* exactly up to the cap */
    CHECK(fed <= 4 * 1024);       /* 1 MiB of zeros is ~1 KiB of DEFLATE */
    CHECK_EQ_INT(mem.held, 0);
    CHECK(ws_inflate_skipping(&w));
    CHECK_EQ_INT(ws_inflate_message_end(&w, &message_cap, count_out, &k), WS_INFLATE_SKIPPED);
    ws_inflater_free(&w);

    /* The ratio cap: the same bomb as many small messages with the
     * default message cap; the direction's output stops at its allowance
     * plus max_ratio times what it read. The message cut is skipped; a
     * sender without context takeover is read again from its next
     * message, which may inflate to max_ratio times its own size, and
     * another bomb is cut at once. */
    memset(&k, 0, sizeof k);
    ws_deflate_sender reset = {true, 15};
    ws_inflater_init(&w, &reset, &mem);
    ws_inflate_limits ratio_cap = {64u * MiB, 100};
    size_t piece_len = 0;
    uint8_t *piece = make_bomb((size_t)1 << 20, &piece_len); /* 1 MiB in ~1 KiB */
    int messages = 0;
    r = WS_INFLATE_OK;
    while (r == WS_INFLATE_OK && messages < 100) {
        CHECK(ws_inflate_message_begin(&w));
        r = ws_inflate_message_data(&w, &ratio_cap, piece, piece_len, count_out, &k);
        if (r == WS_INFLATE_OK)
            r = ws_inflate_message_end(&w, &ratio_cap, count_out, &k);
        messages++;
    }
    CHECK_EQ_INT(r, WS_INFLATE_RATIO_LIMIT);
    CHECK_EQ_INT(messages, 2); /* the allowance took the first whole */
    CHECK_EQ_INT(k.len, (uint64_t)100 * w.total_in + WS_INFLATE_RATIO_ALLOWANCE);
    CHECK_EQ_INT(ws_inflate_message_end(&w, &ratio_cap, count_out, &k), WS_INFLATE_SKIPPED);
    stream st;
    stream_make(&st, 15, true, false);
    sink again = {0};
    CHECK(ws_inflate_message_begin(&w));
    CHECK_EQ_INT(ws_inflate_message_data(&w, &ratio_cap, st.payload[4], st.len[4], sink_out,
                                         &again),
                 WS_INFLATE_OK);
    CHECK_EQ_INT(ws_inflate_message_end(&w, &ratio_cap, sink_out, &again), WS_INFLATE_OK);
    CHECK(again.len == message_len[4] && memcmp(again.bytes, message[4], again.len) == 0);
    sink_free(&again);
    stream_free(&st);
    size_t before = k.len;
    CHECK(ws_inflate_message_begin(&w));
    CHECK_EQ_INT(ws_inflate_message_data(&w, &ratio_cap, piece, piece_len, count_out, &k),
                 WS_INFLATE_RATIO_LIMIT);
    CHECK(k.len - before <= (size_t)100 * piece_len + 100 * 1000);
    ws_inflater_free(&w);
    CHECK_EQ_INT(mem.held, 0);

    /* The memory cap: zlib's first allocation is refused. */
    ws_inflate_memory tight = {0, 4096};
    ws_inflater_init(&w, &sender, &tight);
    CHECK(ws_inflate_message_begin(&w));
    CHECK_EQ_INT(ws_inflate_message_data(&w, &roomy, piece, piece_len, count_out, &k),
                 WS_INFLATE_NOMEM);
    CHECK_EQ_INT(tight.held, 0);
    ws_inflater_free(&w);
    /* ... and with room for the state but not for the window */
    tight.cap = 12 * 1024;
    ws_inflater_init(&w, &sender, &tight);
    CHECK(ws_inflate_message_begin(&w));
    CHECK_EQ_INT(ws_inflate_message_data(&w, &roomy, piece, piece_len, count_out, &k),
                 WS_INFLATE_NOMEM);
    CHECK_EQ_INT(tight.held, 0);
    ws_inflater_free(&w);

    free(piece);
    free(bomb);
}

int main(void)
{
    make_messages();
    test_parse();
    test_rfc_examples();
    test_streams();
    test_corrupt();
    test_caps();
    for (int i = 0; i < N_MESSAGES; i++)
        free(message[i]);
    return th_report();
}
