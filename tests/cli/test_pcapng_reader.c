/*
 * test_pcapng_reader.c - cli/pcapng_reader.c on pcapng built here block by
 * block: one case per rule of the format it reads (interfaces of different
 * link types, timestamp resolutions and offsets, both byte orders, Simple
 * and obsolete Packet Blocks, a new section) and per malformation it must
 * refuse cleanly (lengths that do not add up, an undescribed interface, an
 * unsupported resolution, too many interfaces, a block longer than the
 * file); then a valid file cut at every byte. Real multi-interface captures
 * are tested in test_multi_interface.sh; these bytes are fabricated only to
 * reach each malformed case.
 */
#define _GNU_SOURCE /* fmemopen */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_reader.h"

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                           \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

/* A file being built, in one byte order. */
typedef struct buf {
    uint8_t *b;
    size_t n, cap;
    bool big;
} buf;

static void put(buf *f, const void *p, size_t n)
{
    if (f->n + n > f->cap) {
        f->cap = (f->n + n) * 2 + 64;
        f->b = realloc(f->b, f->cap);
        if (!f->b)
            abort();
    }
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void u16(buf *f, uint16_t v)
{
    uint8_t b[2] = {f->big ? (uint8_t)(v >> 8) : (uint8_t)v, f->big ? (uint8_t)v : (uint8_t)(v >> 8)};
    put(f, b, 2);
}

static void u32(buf *f, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[f->big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    put(f, b, 4);
}

static void pad(buf *f, size_t len)
{
    static const uint8_t zeros[4];
    put(f, zeros, (4 - len % 4) % 4);
}

static void shb(buf *f)
{
    u32(f, 0x0A0D0D0A);
    u32(f, 28);
    u32(f, 0x1A2B3C4D);
    u16(f, 1);
    u16(f, 0);
    u32(f, 0xffffffff);
    u32(f, 0xffffffff);
    u32(f, 28);
}

/* An IDB with if_tsresol (when tsresol >= 0) and if_tsoffset (when offset). */
static void idb(buf *f, uint16_t linktype, int tsresol, int64_t offset, bool with_offset)
{
    uint32_t len = 20 + (tsresol >= 0 ? 8 : 0) + (with_offset ? 12 : 0) + 4;
    u32(f, 1);
    u32(f, len);
    u16(f, linktype);
    u16(f, 0);
    u32(f, 262144);
    if (tsresol >= 0) {
        u16(f, 9);
        u16(f, 1);
        uint8_t v[4] = {(uint8_t)tsresol, 0, 0, 0};
        put(f, v, 4);
    }
    if (with_offset) {
        u16(f, 14);
        u16(f, 8);
        uint64_t o = (uint64_t)offset;
        if (f->big) {
            u32(f, (uint32_t)(o >> 32));
            u32(f, (uint32_t)o);
        } else {
            u32(f, (uint32_t)o);
            u32(f, (uint32_t)(o >> 32));
        }
    }
    u16(f, 0); /* opt_endofopt */
    u16(f, 0);
    u32(f, len);
}

static void epb(buf *f, uint32_t iface, uint64_t ts, const void *data, uint32_t caplen,
                uint32_t origlen)
{
    uint32_t len = 32 + caplen + (4 - caplen % 4) % 4;
    u32(f, 6);
    u32(f, len);
    u32(f, iface);
    u32(f, (uint32_t)(ts >> 32));
    u32(f, (uint32_t)ts);
    u32(f, caplen);
    u32(f, origlen);
    put(f, data, caplen);
    pad(f, caplen);
    u32(f, len);
}

static void spb(buf *f, const void *data, uint32_t len_data)
{
    uint32_t len = 16 + len_data + (4 - len_data % 4) % 4;
    u32(f, 3);
    u32(f, len);
    u32(f, len_data);
    put(f, data, len_data);
    pad(f, len_data);
    u32(f, len);
}

static void other_block(buf *f, uint32_t type, size_t body)
{
    u32(f, type);
    u32(f, (uint32_t)(12 + body));
    for (size_t i = 0; i < body; i++)
        put(f, "\x55", 1);
    u32(f, (uint32_t)(12 + body));
}

/* Reads the whole file: the packets in pkts (up to max), the final status. */
static pcapng_status read_all(const uint8_t *b, size_t n, pcapng_packet *pkts, uint8_t *first,
                              size_t max, size_t *count, char *err, size_t err_size)
{
    FILE *in = fmemopen((void *)(uintptr_t)b, n ? n : 1, "rb");
    if (!in)
        abort();
    if (n == 0)
        fgetc(in); /* an empty stream: fmemopen needs a size */
    pcapng_reader r;
    pcapng_status st = pcapng_reader_open(&r, in, err, err_size);
    *count = 0;
    while (st == PCAPNG_PACKET) {
        pcapng_packet p;
        st = pcapng_reader_next(&r, &p, err, err_size);
        if (st != PCAPNG_PACKET)
            break;
        if (*count < max) {
            pkts[*count] = p;
            first[*count] = p.captured_len ? p.data[0] : 0;
        }
        (*count)++;
    }
    pcapng_reader_free(&r);
    fclose(in);
    return st;
}

static void test_interfaces_and_times(void)
{
    for (int big = 0; big < 2; big++) {
        buf f = {.big = big != 0};
        shb(&f);
        idb(&f, 1, 9, 0, false);          /* EN10MB, nanoseconds */
        idb(&f, 276, -1, 0, false);       /* LINUX_SLL2, default microseconds */
        idb(&f, 101, 0x80 | 10, 3600, true); /* RAW, 2^-10 s, +1 h */
        other_block(&f, 5, 24);           /* an Interface Statistics Block: skipped */
        uint8_t a[60] = {0xaa}, b[77] = {0xbb}, c[3] = {0xcc};
        epb(&f, 0, 1700000000123456789ull, a, sizeof a, 60);
        epb(&f, 1, 1700000000123456ull, b, sizeof b, 1500);
        epb(&f, 2, (uint64_t)1700000000 * 1024 + 512, c, sizeof c, 3);
        spb(&f, a, 10);
        other_block(&f, 0x40000BAD, 8); /* a custom block */
        pcapng_packet p[8];
        uint8_t first[8];
        size_t n;
        char err[256] = "";
        pcapng_status st = read_all(f.b, f.n, p, first, 8, &n, err, sizeof err);
        CHECK(st == PCAPNG_END, "big %d: status %d (%s)", big, st, err);
        CHECK(n == 4, "big %d: %zu packets", big, n);
        if (n == 4) {
            CHECK(p[0].linktype == 1 && p[0].interface_id == 0, "linktype %u", p[0].linktype);
            CHECK(p[0].ts == 1700000000123456, "ns: %lld", (long long)p[0].ts);
            CHECK(p[0].captured_len == 60 && p[0].wire_len == 60 && first[0] == 0xaa, "a");
            CHECK(p[1].linktype == 276 && p[1].ts == 1700000000123456, "us: %lld",
                  (long long)p[1].ts);
            CHECK(p[1].captured_len == 77 && p[1].wire_len == 1500 && first[1] == 0xbb, "b");
            CHECK(p[2].linktype == 101 && p[2].ts == (int64_t)(1700003600) * 1000000 + 500000,
                  "2^-10 + offset: %lld", (long long)p[2].ts);
            CHECK(p[3].interface_id == 0 && p[3].ts == p[2].ts && p[3].captured_len == 10,
                  "SPB: iface %u ts %lld len %zu", p[3].interface_id, (long long)p[3].ts,
                  p[3].captured_len);
        }
        free(f.b);
    }
}

static void test_new_section(void)
{
    buf f = {0};
    shb(&f);
    idb(&f, 1, -1, 0, false);
    idb(&f, 1, -1, 0, false);
    uint8_t a[20] = {1};
    epb(&f, 1, 5, a, sizeof a, 20);
    /* A new section in the other byte order forgets both interfaces. */
    buf g = {.big = true};
    shb(&g);
    idb(&g, 276, -1, 0, false);
    epb(&g, 0, 6, a, sizeof a, 20);
    put(&f, g.b, g.n);
    pcapng_packet p[4];
    uint8_t first[4];
    size_t n;
    char err[256] = "";
    CHECK(read_all(f.b, f.n, p, first, 4, &n, err, sizeof err) == PCAPNG_END && n == 2,
          "two sections: %zu (%s)", n, err);
    CHECK(n == 2 && p[1].linktype == 276, "second section's interface");
    /* Interface 1 of the first section is gone in the second. */
    epb(&g, 1, 7, a, sizeof a, 20);
    f.n = 0;
    shb(&f);
    idb(&f, 1, -1, 0, false);
    idb(&f, 1, -1, 0, false);
    put(&f, g.b, g.n);
    CHECK(read_all(f.b, f.n, p, first, 4, &n, err, sizeof err) == PCAPNG_DAMAGED && n == 1,
          "an interface of the last section: %zu (%s)", n, err);
    free(f.b);
    free(g.b);
}

/* One malformed block after a valid start: DAMAGED, with the packets before. */
static void expect_damaged(const char *what, void (*build)(buf *))
{
    buf f = {0};
    shb(&f);
    idb(&f, 1, -1, 0, false);
    uint8_t a[8] = {0};
    epb(&f, 0, 1, a, sizeof a, 8);
    build(&f);
    pcapng_packet p[4];
    uint8_t first[4];
    size_t n;
    char err[256] = "";
    pcapng_status st = read_all(f.b, f.n, p, first, 4, &n, err, sizeof err);
    CHECK(st == PCAPNG_DAMAGED && n == 1 && strstr(err, "damaged pcapng"),
          "%s: status %d, %zu packets, '%s'", what, st, n, err);
    free(f.b);
}

static void short_block(buf *f) { u32(f, 6); u32(f, 8); u32(f, 8); }
static void odd_length(buf *f) { other_block(f, 5, 2); }
static void trailer_mismatch(buf *f)
{
    u32(f, 5);
    u32(f, 16);
    u32(f, 0);
    u32(f, 20);
}
static void caplen_too_long(buf *f)
{
    u32(f, 6);
    u32(f, 36);
    u32(f, 0);
    u32(f, 0);
    u32(f, 0);
    u32(f, 5); /* 5 bytes of data in a block with room for 4 */
    u32(f, 5);
    u32(f, 0);
    u32(f, 36);
}
static void no_such_interface(buf *f)
{
    uint8_t a[4] = {0};
    epb(f, 3, 1, a, 4, 4);
}
static void bad_tsresol(buf *f) { idb(f, 1, 20, 0, false); }
static void bad_tsresol2(buf *f) { idb(f, 1, 0x80 | 64, 0, false); }
static void option_past_end(buf *f)
{
    u32(f, 1);
    u32(f, 24);
    u16(f, 1);
    u16(f, 0);
    u32(f, 0);
    u16(f, 2);
    u16(f, 200); /* a 200-byte if_name in a block with 4 bytes left */
    u32(f, 24);
}
static void version_2(buf *f)
{
    u32(f, 0x0A0D0D0A);
    u32(f, 28);
    u32(f, 0x1A2B3C4D);
    u16(f, 2);
    u16(f, 0);
    u32(f, 0xffffffff);
    u32(f, 0xffffffff);
    u32(f, 28);
}
static void too_many_interfaces(buf *f)
{
    for (int i = 0; i < PCAPNG_INTERFACES_MAX; i++)
        idb(f, 1, -1, 0, false);
}

static void test_malformed(void)
{
    expect_damaged("block shorter than 12 bytes", short_block);
    expect_damaged("length not a multiple of 4", odd_length);
    expect_damaged("trailing length differs", trailer_mismatch);
    expect_damaged("captured length past the block", caplen_too_long);
    expect_damaged("undescribed interface", no_such_interface);
    expect_damaged("if_tsresol 10^-20", bad_tsresol);
    expect_damaged("if_tsresol 2^-64", bad_tsresol2);
    expect_damaged("option past its block", option_past_end);
    expect_damaged("pcapng 2.0", version_2);
    expect_damaged("more than PCAPNG_INTERFACES_MAX interfaces", too_many_interfaces);
}

static void test_bounds(void)
{
    /* A block that declares 4 GiB - 4 in a small file: truncated, no
     * allocation of that size. */
    buf f = {0};
    shb(&f);
    idb(&f, 1, -1, 0, false);
    u32(&f, 6);
    u32(&f, 0xfffffffc);
    for (int i = 0; i < 64; i++)
        u32(&f, 0);
    pcapng_packet p[2];
    uint8_t first[2];
    size_t n;
    char err[256] = "";
    pcapng_status st = read_all(f.b, f.n, p, first, 2, &n, err, sizeof err);
    CHECK(st == PCAPNG_TRUNCATED && n == 0, "4 GiB block: %d %zu (%s)", st, n, err);

    /* Packets longer than PCAPNG_PACKET_MAX: cut, the block read past; one
     * whose block fits the reader's buffer (read in one piece), one whose
     * block does not (streamed). */
    for (size_t extra = 1000; extra <= 10000; extra += 9000) {
        f.n = 0;
        shb(&f);
        idb(&f, 1, -1, 0, false);
        size_t big = PCAPNG_PACKET_MAX + extra;
        uint8_t *data = calloc(1, big);
        data[0] = 0x45;
        data[PCAPNG_PACKET_MAX - 1] = 0x99;
        epb(&f, 0, 1, data, (uint32_t)big, (uint32_t)big);
        epb(&f, 0, 2, data, 4, 4);
        pcapng_packet q[2];
        FILE *in = fmemopen(f.b, f.n, "rb");
        pcapng_reader r;
        st = pcapng_reader_open(&r, in, err, sizeof err);
        if (st == PCAPNG_PACKET)
            st = pcapng_reader_next(&r, &q[0], err, sizeof err);
        CHECK(st == PCAPNG_PACKET && q[0].captured_len == PCAPNG_PACKET_MAX &&
                  q[0].wire_len == big && q[0].data[0] == 0x45 &&
                  q[0].data[PCAPNG_PACKET_MAX - 1] == 0x99,
              "long packet (+%zu): %d, %zu of %zu", extra, st, q[0].captured_len, q[0].wire_len);
        st = pcapng_reader_next(&r, &q[1], err, sizeof err);
        CHECK(st == PCAPNG_PACKET && q[1].captured_len == 4 && q[1].ts == 2,
              "after a long packet (+%zu): %d (%s)", extra, st, err);
        CHECK(pcapng_reader_next(&r, &q[1], err, sizeof err) == PCAPNG_END, "then the end");
        pcapng_reader_free(&r);
        fclose(in);
        free(data);
    }
    free(f.b);
}

/* A valid file cut at every byte: no crash; at a block boundary the clean
 * end, elsewhere truncated (or, before the first packet, refused at open);
 * the packets read are always the first ones. */
static void test_every_cut(void)
{
    buf f = {0};
    shb(&f);
    size_t header_ends[2];
    idb(&f, 1, 9, 0, false);
    header_ends[0] = f.n;
    idb(&f, 276, -1, 0, false);
    header_ends[1] = f.n;
    size_t boundaries[16], nb = 0;
    boundaries[nb++] = f.n;
    uint8_t a[41];
    for (int i = 0; i < 5; i++) {
        memset(a, 0x10 + i, sizeof a);
        epb(&f, (uint32_t)(i % 2), (uint64_t)(i + 1) * 1000000000ull, a, sizeof a, 41);
        boundaries[nb++] = f.n;
    }
    for (size_t cut = 0; cut <= f.n; cut++) {
        pcapng_packet p[8];
        uint8_t first[8];
        size_t n;
        char err[256] = "";
        pcapng_status st = read_all(f.b, cut, p, first, 8, &n, err, sizeof err);
        size_t whole = 0;
        bool at_boundary = false;
        for (size_t k = 0; k < nb; k++) {
            if (boundaries[k] <= cut)
                whole = k;
            at_boundary = at_boundary || boundaries[k] == cut;
        }
        if (cut < boundaries[0]) {
            /* Whole blocks and no packet: a capture with none. */
            bool clean = cut == 28 || cut == header_ends[0] || cut == header_ends[1];
            CHECK(st == (clean ? PCAPNG_END : PCAPNG_TRUNCATED) && n == 0,
                  "cut %zu before the first packet: %d", cut, st);
            continue;
        }
        CHECK(n == whole, "cut %zu: %zu packets, %zu whole", cut, n, whole);
        CHECK(st == (at_boundary ? PCAPNG_END : PCAPNG_TRUNCATED), "cut %zu: status %d (%s)",
              cut, st, err);
        for (size_t k = 0; k < n && k < 8; k++)
            CHECK(first[k] == 0x10 + k, "cut %zu: packet %zu holds %#x", cut, k, first[k]);
    }
    free(f.b);
}

int main(void)
{
    test_interfaces_and_times();
    test_new_section();
    test_malformed();
    test_bounds();
    test_every_cut();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
