/*
 * test_tcp_stream.c - reassembly of one TCP direction (core/tcp_stream.c).
 *
 * Each case is a list of steps (segments, ACKs, flushes) fed to one or two
 * streams, and the log the sink must have written: adjacent data is merged,
 * so a log is the stream's content with its gaps, whatever the segmentation,
 * e.g. "data 'hello';gap 5;data 'world';". Every payload is pushed from a
 * heap block of exactly its size, freed right after the push, so ASan
 * catches both an over-read and a queued pointer into the caller's buffer.
 * After every step the shared byte counter must equal what the streams
 * hold; after the case it must be back to 0.
 */
#include "tcp_stream.h"

#include "test_harness.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- the sink: an event log ---- */

typedef struct log_sink {
    char text[1024];
    size_t used;
    bool overflow;
    bool last_was_data;
} log_sink;

static void log_append(log_sink *log, const char *s)
{
    size_t n = strlen(s);
    if (n >= sizeof log->text - log->used) {
        log->overflow = true;
        return;
    }
    memcpy(log->text + log->used, s, n + 1);
    log->used += n;
}

static void on_data(void *ctx, const uint8_t *bytes, size_t len)
{
    log_sink *log = ctx;
    CHECK(len > 0);
    if (log->last_was_data && log->used >= 2)
        log->used -= 2; /* reopen the previous "';" */
    else
        log_append(log, "data '");
    for (size_t i = 0; i < len; i++) {
        char c[8];
        if (bytes[i] >= 0x20 && bytes[i] < 0x7f && bytes[i] != '\'' && bytes[i] != '\\')
            snprintf(c, sizeof c, "%c", bytes[i]);
        else
            snprintf(c, sizeof c, "\\x%02x", bytes[i]);
        log_append(log, c);
    }
    log_append(log, "';");
    log->last_was_data = true;
}

static void on_gap(void *ctx, uint64_t missing)
{
    log_sink *log = ctx;
    char c[40];
    CHECK(missing > 0);
    snprintf(c, sizeof c, "gap %llu;", (unsigned long long)missing);
    log_append(log, c);
    log->last_was_data = false;
}

static const tcp_stream_sink sink = {on_data, on_gap};

static void log_init(log_sink *log)
{
    memset(log, 0, sizeof *log);
}

/* ---- steps and cases ---- */

enum step_kind { STEP_END = 0, STEP_SEG, STEP_ACK, STEP_FLUSH };

typedef struct step {
    enum step_kind kind;
    int stream;         /* 0 or 1 */
    uint32_t seq;       /* STEP_SEG: sequence number; STEP_ACK: the ack */
    bool syn, fin;
    const char *bytes;  /* captured payload */
    size_t wire;        /* 0: as many as captured */
    tcp_push_result expect;
} step;

#define SEG(s, b)          {.kind = STEP_SEG, .seq = (s), .bytes = (b)}
#define SEG_R(s, b, r)     {.kind = STEP_SEG, .seq = (s), .bytes = (b), .expect = (r)}
#define SEG_B(s, b)        {.kind = STEP_SEG, .stream = 1, .seq = (s), .bytes = (b)}
#define SEG_BR(s, b, r)    {.kind = STEP_SEG, .stream = 1, .seq = (s), .bytes = (b), .expect = (r)}
#define TRUNC(s, b, w)     {.kind = STEP_SEG, .seq = (s), .bytes = (b), .wire = (w)}
#define SYN(s)             {.kind = STEP_SEG, .seq = (s), .syn = true, .bytes = ""}
#define SYN_B(s)           {.kind = STEP_SEG, .stream = 1, .seq = (s), .syn = true, .bytes = ""}
#define SYN_DATA(s, b)     {.kind = STEP_SEG, .seq = (s), .syn = true, .bytes = (b)}
#define FIN(s, b)          {.kind = STEP_SEG, .seq = (s), .fin = true, .bytes = (b)}
#define ACK(a)             {.kind = STEP_ACK, .seq = (a)}
#define FLUSH              {.kind = STEP_FLUSH}

#define GIB ((uint32_t)1 << 30)

typedef struct test_case {
    const char *name;
    size_t max_ooo_segments, max_ooo_bytes, max_total_bytes; /* all 0: defaults */
    step steps[16];
    const char *log[2];
} test_case;

static const test_case cases[] = {
    {"in order", .steps = {SYN(1000), SEG(1001, "hello"), SEG(1006, "world")},
     .log = {"data 'helloworld';"}},
    {"SYN carrying data starts at seq + 1",
     .steps = {SYN_DATA(0, "xy"), SEG(3, "z")}, .log = {"data 'xyz';"}},
    {"out of order", .steps = {SYN(0), SEG(6, "world"), SEG(1, "hello")},
     .log = {"data 'helloworld';"}},
    {"retransmissions are trimmed",
     .steps = {SYN(0), SEG(1, "hello"), SEG(1, "hello"), SEG(6, "world"), SEG(4, "lowo"),
               SEG(1, "helloworld!")},
     .log = {"data 'helloworld!';"}},
    {"out-of-order retransmission is queued once",
     .steps = {SYN(0), SEG(6, "world"), SEG(6, "world"), SEG(1, "hello")},
     .log = {"data 'helloworld';"}},
    {"overlap with delivered data: first copy wins",
     .steps = {SYN(0), SEG(1, "hello"), SEG(1, "HELLOworld")}, .log = {"data 'helloworld';"}},
    {"overlap with queued data: first copy wins",
     .steps = {SYN(0), SEG(6, "XXXXX"), SEG(1, "abcdefgh")}, .log = {"data 'abcdeXXXXX';"}},
    {"in-order segment spanning a queued one keeps the queued bytes",
     .steps = {SYN(0), SEG(4, "QQ"), SEG(1, "abcdefgh")}, .log = {"data 'abcQQfgh';"}},
    {"queued segment spanning a queued one is split around it",
     .steps = {SYN(0), SEG(9, "CCCC"), SEG(5, "bbbbbbbbbbbbbbb"), SEG(1, "aaaa")},
     .log = {"data 'aaaabbbbCCCCbbbbbbb';"}},
    {"sequence wrap-around",
     .steps = {SYN(0xFFFFFFF0u), SEG(0, "XYZ"), SEG(0xFFFFFFF1u, "0123456789abcde"),
               SEG(0xFFFFFFFEu, "deXY"), ACK(5)},
     .log = {"data '0123456789abcdeXYZ';gap 2;"}},
    {"no SYN: the first segment with payload starts the stream",
     .steps = {SEG(100, ""), ACK(4000), SEG(5000, "world"), SEG(4995, "hello"), SEG(5005, "!")},
     .log = {"data 'world!';"}},
    {"no SYN: an ACK before the start is ignored",
     .steps = {ACK(10), SEG(1, "a"), ACK(2)}, .log = {"data 'a';"}},
    {"retransmitted SYN does not reset the stream",
     .steps = {SYN(0), SEG(1, "abc"), SYN(0), SYN(500), SEG(4, "def")},
     .log = {"data 'abcdef';"}},
    {"snaplen: in-order segment cut short",
     .steps = {SYN(0), TRUNC(1, "hel", 5), SEG(6, "world")},
     .log = {"data 'hel';gap 2;data 'world';"}},
    {"snaplen: out-of-order segment cut short",
     .steps = {SYN(0), TRUNC(6, "wor", 5), SEG(1, "hello"), SEG(11, "!")},
     .log = {"data 'hellowor';gap 2;data '!';"}},
    {"snaplen: the cut copy claims its whole range",
     .steps = {SYN(0), TRUNC(6, "wor", 5), SEG(6, "world"), SEG(1, "hello")},
     .log = {"data 'hellowor';gap 2;"}},
    {"snaplen: nothing of the payload captured",
     .steps = {SYN(0), TRUNC(1, "", 4), SEG(5, "ok")}, .log = {"gap 4;data 'ok';"}},
    {"padding captured beyond the wire length is not data",
     .steps = {SYN(0), TRUNC(1, "abcPAD", 3), SEG(4, "d")}, .log = {"data 'abcd';"}},
    {"ACK beyond a hole: gap, then the queued data",
     .steps = {SYN(0), SEG(1, "hello"), SEG(11, "late"), ACK(15), ACK(20)},
     .log = {"data 'hello';gap 5;data 'late';gap 5;"}},
    {"ACK beyond two holes",
     .steps = {SYN(0), SEG(3, "b"), SEG(6, "d"), ACK(7)},
     .log = {"gap 2;data 'b';gap 2;data 'd';"}},
    {"ACK inside a queued segment delivers all of it",
     .steps = {SYN(0), SEG(6, "world"), ACK(8)}, .log = {"gap 5;data 'world';"}},
    {"ACK of the FIN is not a missing byte",
     .steps = {SYN(0), FIN(1, "abc"), ACK(5)}, .log = {"data 'abc';"}},
    {"ACK of the FIN over a hole",
     .steps = {SYN(0), SEG(1, "ab"), FIN(5, "ef"), ACK(8)},
     .log = {"data 'ab';gap 2;data 'ef';"}},
    {"ACK exactly 1 GiB ahead is believed",
     .steps = {SYN(0), SEG(1, "a"), ACK(2 + GIB)}, .log = {"data 'a';gap 1073741824;"}},
    {"huge ACK jumps are ignored",
     .steps = {SYN(0), SEG(1, "a"), ACK(2 + GIB + 1), ACK(0x80000002u), SEG(2, "b")},
     .log = {"data 'ab';"}},
    {"segment beyond any window is ignored",
     .steps = {SYN(0), SEG(1 + GIB, "zz"), SEG(1, "a"), FLUSH}, .log = {"data 'a';"}},
    {"flush with holes, and the hole before the FIN",
     .steps = {SYN(0), SEG(3, "b"), SEG(6, "d"), FIN(8, ""), FLUSH},
     .log = {"gap 2;data 'b';gap 2;data 'd';gap 1;"}},
    {"flush twice", .steps = {SYN(0), SEG(3, "b"), FLUSH, FLUSH, SEG(4, "c")},
     .log = {"gap 2;data 'bc';"}},
    {"data after the FIN is ignored",
     .steps = {SYN(0), FIN(1, "abc"), SEG(4, "xyz"), SEG(3, "cdef"), FLUSH},
     .log = {"data 'abc';"}},
    {"a FIN drops queued data beyond it",
     .steps = {SYN(0), SEG(10, "zz"), SEG(20, "yy"), FIN(5, "ef"), SEG(1, "abcd"), FLUSH},
     .log = {"data 'abcdef';"}},
    {"a FIN clips queued data that straddles it",
     .steps = {SYN(0), SEG(3, "cdefgh"), FIN(6, ""), SEG(1, "ab"), ACK(7)},
     .log = {"data 'abcde';"}},
    {"a second FIN does not move the first",
     .steps = {SYN(0), FIN(1, "ab"), FIN(10, ""), SEG(3, "cd"), ACK(11)}, .log = {"data 'ab';"}},
    {"cap: out-of-order segments", 2, 1000, 1000,
     .steps = {SYN(0), SEG(1, "a"), SEG(3, "c"), SEG(5, "e"), SEG_R(7, "g", TCP_PUSH_LIMIT),
               FLUSH},
     .log = {"data 'a';gap 1;data 'c';gap 1;data 'e';gap 1;data 'g';"}},
    {"cap: no out-of-order segment allowed", 0, 1000, 1000,
     .steps = {SYN(0), SEG_R(3, "c", TCP_PUSH_LIMIT), SEG(4, "d")},
     .log = {"gap 2;data 'cd';"}},
    {"cap: out-of-order bytes", 100, 4, 1000,
     .steps = {SYN(0), SEG(1, "a"), SEG(3, "cc"), SEG(6, "ee"),
               SEG_R(10, "gggg", TCP_PUSH_LIMIT), FLUSH},
     .log = {"data 'a';gap 1;data 'cc';gap 1;data 'ee';gap 2;data 'gggg';"}},
    {"cap: one segment larger than the byte cap", 100, 4, 1000,
     .steps = {SYN(0), SEG_R(3, "abcdef", TCP_PUSH_LIMIT)}, .log = {"gap 2;data 'abcdef';"}},
    {"cap: total bytes shared by two streams", 100, 100, 6,
     .steps = {SYN(0), SYN_B(100), SEG(3, "AAAA"), SEG_BR(103, "bbb", TCP_PUSH_LIMIT),
               SEG_B(110, "cc"), SEG_R(9, "D", TCP_PUSH_LIMIT)},
     .log = {"gap 2;data 'AAAA';", "gap 2;data 'bbb';"}},
    {"cap: a split segment counts every piece", 2, 1000, 1000,
     .steps = {SYN(0), SEG(5, "c"), SEG_R(3, "xxxxxx", TCP_PUSH_LIMIT), FLUSH},
     .log = {"gap 2;data 'xxcxxx';"}},
};

static void check_accounting(const tcp_stream st[2], size_t total, const char *name, size_t i)
{
    if (total != st[0].ooo_bytes + st[1].ooo_bytes)
        fprintf(stderr, "case '%s', step %zu: total %zu, queued %zu + %zu\n", name, i, total,
                (size_t)st[0].ooo_bytes, (size_t)st[1].ooo_bytes);
    CHECK_EQ_INT(total, st[0].ooo_bytes + st[1].ooo_bytes);
}

static void run_case(const test_case *tc)
{
    size_t total = 0;
    tcp_stream_limits lim = {64, 64 * 1024, 1024 * 1024, &total};
    if (tc->max_ooo_segments || tc->max_ooo_bytes || tc->max_total_bytes) {
        lim.max_ooo_segments = tc->max_ooo_segments;
        lim.max_ooo_bytes = tc->max_ooo_bytes;
        lim.max_total_bytes = tc->max_total_bytes;
    }
    tcp_stream st[2];
    log_sink log[2];
    for (int d = 0; d < 2; d++) {
        tcp_stream_init(&st[d]);
        log_init(&log[d]);
    }

    for (size_t i = 0; i < 16 && tc->steps[i].kind != STEP_END; i++) {
        const step *sp = &tc->steps[i];
        tcp_stream *s = &st[sp->stream];
        log_sink *lg = &log[sp->stream];
        if (sp->kind == STEP_SEG) {
            size_t captured = strlen(sp->bytes);
            size_t wire = sp->wire ? sp->wire : captured;
            unsigned char *buf = th_exact_copy(sp->bytes, captured);
            tcp_push_result r = tcp_stream_push(s, &lim, sp->seq, sp->syn, sp->fin, buf,
                                                captured, wire, &sink, lg);
            free(buf);
            if (r != sp->expect)
                fprintf(stderr, "case '%s', step %zu:\n", tc->name, i);
            CHECK_EQ_INT(r, sp->expect);
        } else if (sp->kind == STEP_ACK) {
            tcp_stream_acked(s, sp->seq, &sink, lg);
        } else {
            tcp_stream_flush(s, &sink, lg, &lim);
            CHECK_EQ_INT(s->ooo_count, 0);
        }
        check_accounting(st, total, tc->name, i);
    }

    for (int d = 0; d < 2; d++) {
        tcp_stream_free(&st[d], &lim);
        CHECK(st[d].ooo == NULL);
        CHECK_EQ_INT(st[d].ooo_count, 0);
        CHECK_EQ_INT(st[d].ooo_bytes, 0);
        CHECK(!log[d].overflow);
        const char *want = tc->log[d] ? tc->log[d] : "";
        if (strcmp(log[d].text, want) != 0)
            fprintf(stderr, "case '%s', stream %d:\n", tc->name, d);
        CHECK_EQ_STR(log[d].text, want);
    }
    CHECK_EQ_INT(total, 0);
}

/* ---- every order of the same segments gives the same log ---- */

typedef struct piece {
    uint32_t seq;
    const char *bytes;
    size_t wire; /* 0: as many as captured */
} piece;

/* Feeds SYN(0), then pieces[order[0..n)], then a flush if asked, and
 * returns whether the log matched. */
static bool feed_in_order(const piece *pieces, const size_t *order, size_t n, bool flush,
                          const char *want)
{
    size_t total = 0;
    tcp_stream_limits lim = {64, 64 * 1024, 1024 * 1024, &total};
    tcp_stream s;
    log_sink log;
    tcp_stream_init(&s);
    log_init(&log);
    CHECK_EQ_INT(tcp_stream_push(&s, &lim, 0, true, false, NULL, 0, 0, &sink, &log),
                 TCP_PUSH_OK);
    for (size_t i = 0; i < n; i++) {
        const piece *p = &pieces[order[i]];
        size_t captured = strlen(p->bytes);
        unsigned char *buf = th_exact_copy(p->bytes, captured);
        tcp_push_result r = tcp_stream_push(&s, &lim, p->seq, false, false, buf, captured,
                                            p->wire ? p->wire : captured, &sink, &log);
        free(buf);
        CHECK_EQ_INT(r, TCP_PUSH_OK);
        CHECK_EQ_INT(total, s.ooo_bytes);
    }
    if (flush)
        tcp_stream_flush(&s, &sink, &log, &lim);
    tcp_stream_free(&s, &lim);
    CHECK_EQ_INT(total, 0);
    bool same = strcmp(log.text, want) == 0;
    if (!same) {
        fprintf(stderr, "order");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %zu", order[i]);
        fprintf(stderr, ":\n");
    }
    CHECK_EQ_STR(log.text, want);
    return same;
}

/* Lexicographic next permutation; false after the last one. */
static bool next_permutation(size_t *a, size_t n)
{
    if (n < 2)
        return false;
    size_t i = n - 1;
    while (i > 0 && a[i - 1] >= a[i])
        i--;
    if (i == 0)
        return false;
    size_t j = n - 1;
    while (a[j] <= a[i - 1])
        j--;
    size_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
    for (size_t l = i, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return true;
}

static void every_order(const char *name, const piece *pieces, size_t n, bool flush,
                        const char *want)
{
    size_t order[8];
    size_t runs = 0, expected_runs = 1;
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        expected_runs *= i + 1;
    }
    do {
        if (!feed_in_order(pieces, order, n, flush, want))
            fprintf(stderr, "  (in '%s')\n", name);
        runs++;
    } while (next_permutation(order, n));
    CHECK_EQ_INT(runs, expected_runs);
}

static void test_permutations(void)
{
    static const piece whole[] = {
        {1, "hel", 0}, {4, "lo w", 0}, {8, "or", 4}, {12, "d!", 0}};
    every_order("four segments, one cut by the snaplen", whole, 4, false,
                "data 'hello wor';gap 2;data 'd!';");

    static const piece holed[] = {{1, "ab", 0}, {3, "cd", 0}, {7, "gh", 0}};
    every_order("three segments around a hole, flushed", holed, 3, true,
                "data 'abcd';gap 2;data 'gh';");

    static const piece overlapping[] = {
        {1, "hello", 0}, {4, "lo wo", 0}, {7, "world", 0}, {1, "hello world", 0}};
    every_order("overlapping copies of the same bytes", overlapping, 4, false,
                "data 'hello world';");
}

/* Splits one payload at every pair of offsets into three segments and feeds
 * them in every order; then byte by byte, last byte first. */
static void test_splits(void)
{
    static const char text[] = "hello world";
    const size_t len = sizeof text - 1;
    char parts[3][sizeof text];
    piece pieces[3];
    size_t cuts = 0;

    for (size_t i = 1; i < len; i++) {
        for (size_t j = i; j < len; j++) {
            size_t from[3] = {0, i, j}, to[3] = {i, j, len};
            for (size_t k = 0; k < 3; k++) {
                memcpy(parts[k], text + from[k], to[k] - from[k]);
                parts[k][to[k] - from[k]] = '\0';
                pieces[k] = (piece){(uint32_t)(1 + from[k]), parts[k], 0};
            }
            /* j == i gives an empty middle segment: a bare ACK */
            every_order("split", pieces, 3, false, "data 'hello world';");
            cuts++;
        }
    }
    CHECK_EQ_INT(cuts, len * (len - 1) / 2);

    static char bytes[sizeof text][2];
    piece one_by_one[sizeof text];
    size_t order[sizeof text];
    for (size_t i = 0; i < len; i++) {
        bytes[i][0] = text[i];
        bytes[i][1] = '\0';
        one_by_one[i] = (piece){(uint32_t)(1 + i), bytes[i], 0};
        order[i] = len - 1 - i;
    }
    feed_in_order(one_by_one, order, len, false, "data 'hello world';");
}

/* In-order data reaches the sink straight from the caller's buffer. */
typedef struct pointer_sink {
    const uint8_t *first;
    size_t calls;
} pointer_sink;

static void on_data_pointer(void *ctx, const uint8_t *bytes, size_t len)
{
    pointer_sink *p = ctx;
    (void)len;
    if (p->calls++ == 0)
        p->first = bytes;
}

static void test_no_copy(void)
{
    size_t total = 0;
    tcp_stream_limits lim = {64, 64 * 1024, 1024 * 1024, &total};
    tcp_stream_sink ps = {on_data_pointer, NULL}; /* a NULL callback is skipped */
    pointer_sink got = {NULL, 0};
    tcp_stream s;
    tcp_stream_init(&s);
    tcp_stream_push(&s, &lim, 0, true, false, NULL, 0, 0, &ps, &got);
    unsigned char *buf = th_exact_copy("hello", 5);
    tcp_stream_push(&s, &lim, 1, false, false, buf, 5, 5, &ps, &got);
    CHECK(got.first == buf);
    CHECK_EQ_INT(got.calls, 1);
    CHECK_EQ_INT(s.next_seq, 6);
    free(buf);
    /* a snaplen gap with no gap callback is still skipped over */
    buf = th_exact_copy("ab", 2);
    tcp_stream_push(&s, &lim, 6, false, false, buf, 2, 4, &ps, &got);
    free(buf);
    CHECK_EQ_INT(s.next_seq, 10);
    tcp_stream_free(&s, &lim);
}

/* The queue holds each sequence number once: an overlapping segment keeps
 * only the parts nothing queued covers, so memory stays within the caps. */
static void test_queue_holds_each_byte_once(void)
{
    static const piece in[] = {{9, "CCCC", 0}, {5, "bbbbbbbbbbbbbbb", 0}, {9, "DDDDDD", 0}};
    size_t total = 0;
    tcp_stream_limits lim = {64, 64 * 1024, 1024 * 1024, &total};
    tcp_stream s;
    log_sink log;
    tcp_stream_init(&s);
    log_init(&log);
    tcp_stream_push(&s, &lim, 0, true, false, NULL, 0, 0, &sink, &log);
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(in[i].bytes);
        unsigned char *buf = th_exact_copy(in[i].bytes, n);
        CHECK_EQ_INT(tcp_stream_push(&s, &lim, in[i].seq, false, false, buf, n, n, &sink, &log),
                     TCP_PUSH_OK);
        free(buf);
    }
    CHECK_EQ_INT(s.ooo_count, 3); /* [5,9) [9,13) [13,20) */
    CHECK_EQ_INT(s.ooo_bytes, 15);
    CHECK_EQ_INT(total, 15);
    tcp_stream_free(&s, &lim);
    CHECK_EQ_INT(total, 0);
    CHECK_EQ_STR(log.text, "");
}

/* Limits may be NULL: nothing can be queued, every hole is a gap at once. */
static void test_no_limits(void)
{
    tcp_stream s;
    log_sink log;
    tcp_stream_init(&s);
    log_init(&log);
    tcp_stream_push(&s, NULL, 0, true, false, NULL, 0, 0, &sink, &log);
    unsigned char *buf = th_exact_copy("c", 1);
    CHECK_EQ_INT(tcp_stream_push(&s, NULL, 3, false, false, buf, 1, 1, &sink, &log),
                 TCP_PUSH_LIMIT);
    free(buf);
    CHECK_EQ_STR(log.text, "gap 2;data 'c';");
    tcp_stream_free(&s, NULL);
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
    test_permutations();
    test_splits();
    test_no_copy();
    test_queue_holds_each_byte_once();
    test_no_limits();
    return th_report();
}
