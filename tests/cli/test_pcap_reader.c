/*
 * test_pcap_reader.c - cli/pcap_reader.c against libpcap, file by file.
 *
 * mqttka reads classic pcap files with its own reader (pcap_reader.h) and
 * promises the same records libpcap would give: the same timestamps (in
 * microseconds), lengths and bytes, and the same end (the file ends, is cut
 * short, or is damaged, in the same words). This test reads every file both
 * ways and compares, on:
 *   - the files named on the command line (the samples, the capture fuzz
 *     corpus and its regressions: whatever is a classic pcap);
 *   - variants of each sample made here: the other byte order, nanosecond
 *     timestamps, versions 2.2 and 2.3 (lengths interchanged), a small
 *     snaplen, a captured length past libpcap's maximum, every cut of its
 *     first KiB, and a hundred copies with a header byte changed at
 *     random (a fixed seed).
 * Usage: test_pcap_reader [--variants] FILE_OR_DIR...  (--variants: for
 * the next argument, also the variants of each file)
 */
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcap_reader.h"

static int failures;
static unsigned long files_compared, records_compared;

/* A file's bytes, whole (the inputs are small captures). */
typedef struct bytes {
    uint8_t *p;
    size_t n;
} bytes;

static bool read_whole(const char *path, bytes *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    out->p = NULL;
    out->n = 0;
    size_t cap = 0;
    for (;;) {
        if (out->n == cap) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *p = realloc(out->p, cap);
            if (!p) {
                fclose(f);
                return false;
            }
            out->p = p;
        }
        size_t got = fread(out->p + out->n, 1, cap - out->n, f);
        out->n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    return true;
}

/* One reader's account of a file: its records, then how it ended. */
typedef struct account {
    bool opened;
    char open_error[PCAP_ERRBUF_SIZE + 64];
    int linktype;
    unsigned long records;
    bool end_ok; /* ended between records */
    char end_error[PCAP_ERRBUF_SIZE + 64];
} account;

static FILE *memory_file(const bytes *b)
{
    if (b->n)
        return fmemopen(b->p, b->n, "rb");
    /* fmemopen cannot open an empty buffer for reading everywhere. */
    FILE *f = tmpfile();
    if (!f)
        return NULL;
    if (b->n && fwrite(b->p, 1, b->n, f) != b->n) {
        fclose(f);
        return NULL;
    }
    rewind(f);
    return f;
}

static void fail(const char *name, const char *what)
{
    failures++;
    if (failures <= 40)
        fprintf(stderr, "FAIL: %s: %s\n", name, what);
}

/* Reads `b` with libpcap and with pcap_reader side by side, record by
 * record. */
static void compare(const char *name, const bytes *b)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    char msg[PCAP_ERRBUF_SIZE + 256];
    FILE *f1 = memory_file(b), *f2 = memory_file(b);
    if (!f1 || !f2) {
        fail(name, "tmpfile");
        if (f1)
            fclose(f1);
        if (f2)
            fclose(f2);
        return;
    }
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f1, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    pcap_reader r;
    char err[512] = "";
    pcap_reader_status st = pcap_reader_open(&r, f2, err, sizeof err);
    if (!p)
        fclose(f1);
    files_compared++;
    if (!p || st != PCAP_READER_RECORD) {
        if ((p != NULL) != (st == PCAP_READER_RECORD)) {
            snprintf(msg, sizeof msg, "opened by %s only (libpcap: '%s', ours: '%s')",
                     p ? "libpcap" : "pcap_reader", p ? "" : ebuf, err);
            fail(name, msg);
        }
        goto out;
    }
    /* libpcap gives a DLT_ value: the same number as the LINKTYPE_ in the
     * file for every link type but a few, of which mqttka reads RAW. */
    int dlt = (int)r.linktype == 101 ? DLT_RAW : (int)r.linktype;
    if (pcap_datalink(p) != dlt) {
        snprintf(msg, sizeof msg, "link type %d against %u", pcap_datalink(p), r.linktype);
        fail(name, msg);
    }
    for (unsigned long i = 1;; i++) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(p, &h, &data);
        pcap_reader_record rec;
        err[0] = 0;
        st = pcap_reader_next(&r, &rec, err, sizeof err);
        if (rc == 1 && st == PCAP_READER_RECORD) {
            records_compared++;
            mqttka_time ts = (mqttka_time)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
            if (ts != rec.ts || h->caplen != rec.captured_len || h->len != rec.wire_len ||
                memcmp(data, rec.data, h->caplen) != 0) {
                snprintf(msg, sizeof msg,
                         "record %lu: libpcap ts %lld caplen %u len %u, ours ts %lld caplen %u "
                         "len %u%s",
                         i, (long long)ts, h->caplen, h->len, (long long)rec.ts,
                         rec.captured_len, rec.wire_len,
                         h->caplen == rec.captured_len &&
                                 memcmp(data, rec.data, h->caplen) != 0
                             ? " (bytes differ)"
                             : "");
                fail(name, msg);
                break;
            }
            continue;
        }
        if (rc == PCAP_ERROR_BREAK && st == PCAP_READER_END)
            break;
        if (rc == PCAP_ERROR && (st == PCAP_READER_TRUNCATED || st == PCAP_READER_DAMAGED)) {
            if (strcmp(pcap_geterr(p), err) != 0) {
                snprintf(msg, sizeof msg, "after %lu records: libpcap says '%s', ours '%s'",
                         i - 1, pcap_geterr(p), err);
                fail(name, msg);
            }
            break;
        }
        snprintf(msg, sizeof msg, "record %lu: libpcap returns %d ('%s'), ours status %d ('%s')",
                 i, rc, rc == PCAP_ERROR ? pcap_geterr(p) : "", (int)st, err);
        fail(name, msg);
        break;
    }
out:
    if (p)
        pcap_close(p);
    pcap_reader_free(&r);
    fclose(f2);
}

/* ----------------------------------------------------------- variants -- */

static uint32_t get32(const uint8_t *p, bool swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

static void put32(uint8_t *p, uint32_t v, bool swapped)
{
    if (swapped)
        v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
}

static void put16(uint8_t *p, uint16_t v, bool swapped)
{
    if (swapped)
        v = (uint16_t)(v >> 8 | v << 8);
    memcpy(p, &v, 2);
}

/* A copy of a microsecond pcap with each record transformed by `edit`
 * (given the record's header and its index), and the file header by
 * `head`. Returns false when `b` is not such a pcap. */
typedef struct variant {
    bool to_swapped;      /* write the other byte order */
    bool to_nanoseconds;  /* 0xA1B23C4D, fractions in nanoseconds */
    int major, minor;     /* version, or 0 to keep */
    bool interchange;     /* write each record's lengths interchanged */
    uint32_t snaplen;     /* or 0 to keep */
    long huge_record;     /* this record's captured length made 300000, or -1 */
} variant;

static bool make_variant(const bytes *b, const variant *v, bytes *out)
{
    if (b->n < 24)
        return false;
    uint32_t magic;
    memcpy(&magic, b->p, 4);
    bool sw;
    if (magic == 0xA1B2C3D4u)
        sw = false;
    else if (magic == 0xD4C3B2A1u)
        sw = true;
    else
        return false;
    out->p = malloc(b->n);
    if (!out->p)
        return false;
    memcpy(out->p, b->p, b->n);
    out->n = b->n;
    bool osw = v->to_swapped ? !sw : sw;
    uint8_t *h = out->p;
    uint16_t major, minor;
    memcpy(&major, b->p + 4, 2);
    memcpy(&minor, b->p + 6, 2);
    if (sw) {
        major = (uint16_t)(major >> 8 | major << 8);
        minor = (uint16_t)(minor >> 8 | minor << 8);
    }
    put32(h, v->to_nanoseconds ? 0xA1B23C4Du : 0xA1B2C3D4u, osw);
    put16(h + 4, v->major ? (uint16_t)v->major : major, osw);
    put16(h + 6, v->major ? (uint16_t)v->minor : minor, osw);
    for (int k = 8; k < 24; k += 4)
        put32(h + k, get32(b->p + k, sw), osw);
    if (v->snaplen)
        put32(h + 16, v->snaplen, osw);
    size_t at = 24;
    for (long i = 0; at + 16 <= b->n; i++) {
        uint8_t *r = out->p + at;
        const uint8_t *o = b->p + at;
        uint32_t sec = get32(o, sw), usec = get32(o + 4, sw), cap = get32(o + 8, sw),
                 len = get32(o + 12, sw);
        put32(r, sec, osw);
        put32(r + 4, v->to_nanoseconds ? usec * 1000u + (uint32_t)(i % 1000) : usec, osw);
        put32(r + 8, v->interchange ? len : cap, osw);
        put32(r + 12, v->interchange ? cap : len, osw);
        if (i == v->huge_record)
            put32(r + 8, 300000u, osw);
        at += 16 + (size_t)cap;
    }
    return true;
}

static void compare_variant(const char *path, const bytes *b, const char *what, const variant *v)
{
    bytes out;
    if (!make_variant(b, v, &out))
        return;
    char name[1024];
    snprintf(name, sizeof name, "%s [%s]", path, what);
    compare(name, &out);
    free(out.p);
}

/* xorshift: the random edits are the same on every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void variants(const char *path, const bytes *b)
{
    static const variant base = {false, false, 0, 0, false, 0, -1};
    variant v = base;
    v.to_swapped = true;
    compare_variant(path, b, "other byte order", &v);
    v = base;
    v.to_nanoseconds = true;
    compare_variant(path, b, "nanoseconds", &v);
    v.to_swapped = true;
    compare_variant(path, b, "nanoseconds, other byte order", &v);
    v = base;
    v.major = 2;
    v.minor = 2;
    v.interchange = true;
    compare_variant(path, b, "version 2.2, lengths interchanged", &v);
    v.minor = 3;
    compare_variant(path, b, "version 2.3, lengths interchanged", &v);
    v.interchange = false;
    compare_variant(path, b, "version 2.3", &v);
    v = base;
    v.major = 543;
    v.minor = 0;
    v.interchange = true;
    compare_variant(path, b, "version 543.0", &v);
    v = base;
    v.major = 3;
    compare_variant(path, b, "version 3.0", &v);
    v = base;
    v.snaplen = 60;
    compare_variant(path, b, "snaplen 60", &v);
    v.snaplen = 0x7fffffffu;
    compare_variant(path, b, "snaplen 2^31-1", &v);
    v = base;
    v.huge_record = 3;
    compare_variant(path, b, "record 4 of 300000 bytes", &v);

    /* Every cut of the first KiB: the file header, and the first records. */
    char name[1024];
    for (size_t n = 0; n <= b->n && n <= 1024; n++) {
        bytes cut = {b->p, n};
        snprintf(name, sizeof name, "%s [cut at %zu]", path, n);
        compare(name, &cut);
    }
    /* Header bytes of a record changed at random. */
    bytes m = {malloc(b->n), b->n};
    if (!m.p)
        return;
    for (int k = 0; k < 100 && b->n > 40; k++) {
        memcpy(m.p, b->p, b->n);
        size_t at = 24;
        uint64_t pick = rng() % 8;
        for (uint64_t i = 0; i < pick && at + 16 <= b->n; i++)
            at += 16 + (size_t)get32(b->p + at + 8, b->p[0] == 0xA1);
        if (at + 16 > b->n)
            continue;
        size_t off = at + rng() % 16;
        m.p[off] = (uint8_t)rng();
        if (rng() % 2)
            m.p[4 + rng() % 20] ^= (uint8_t)(1u << rng() % 8); /* the file header too */
        snprintf(name, sizeof name, "%s [byte %zu changed, try %d]", path, off, k);
        compare(name, &m);
    }
    free(m.p);
}

/* ------------------------------------------------------------ inputs -- */

static void one_file(const char *path, bool with_variants)
{
    bytes b;
    if (!read_whole(path, &b)) {
        fail(path, strerror(errno));
        return;
    }
    if (b.n >= 4 && pcap_reader_recognises(b.p)) {
        compare(path, &b);
        if (with_variants)
            variants(path, &b);
    }
    free(b.p);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void one_dir(const char *dir, bool with_variants)
{
    DIR *d = opendir(dir);
    if (!d) {
        fail(dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char **more = realloc(names, (n + 1) * sizeof *names);
        if (!more)
            break;
        names = more;
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n])
            break;
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            one_file(names[i], with_variants);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_pcap_reader [--variants] FILE_OR_DIR...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        bool with_variants = strcmp(argv[i], "--variants") == 0;
        if (with_variants && ++i == argc)
            break;
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            one_dir(argv[i], with_variants);
        else
            one_file(argv[i], with_variants);
    }
    printf("%lu files, %lu records compared with libpcap; %d failure(s)\n", files_compared,
           records_compared, failures);
    if (files_compared < 10) {
        fprintf(stderr, "FAIL: too few classic pcap files to compare\n");
        return 1;
    }
    return failures ? 1 : 0;
}
