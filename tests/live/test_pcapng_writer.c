/*
 * test_pcapng_writer.c - the -w pcapng writer, read back by libpcap: every
 * record's time, lengths and bytes; payloads of every padding remainder;
 * the snaplen cut; a failing FILE; a long interface name. tshark opening
 * real -w files is checked by test_broker_frozen.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcapng_writer.h"

static int failures = 0;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                           \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

typedef struct record_case {
    mqttka_time ts;
    size_t captured_len;
    size_t wire_len;
} record_case;

#define SNAPLEN 300u

static const record_case cases[] = {
    {1795690000000000, 0, 0},        /* empty */
    {1795690000000001, 1, 1},        /* every padding remainder: 1, 2, 3, 0 */
    {1795690000000002, 2, 60},
    {1795690000000003, 3, 3},
    {1795690000999999, 4, 4},
    {1795690001000000, 5, 5},
    {1795690001000001, 299, 299},
    {1795690002000000, 300, 1514},   /* cut by the capture */
    {1795690003000000, 400, 400},    /* longer than the snaplen: the writer cuts */
    {0, 16, 16},                     /* the epoch */
};

static void fill(uint8_t *buf, size_t n, size_t seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 7 + seed * 13);
}

static void test_round_trip(void)
{
    FILE *fp = tmpfile();
    CHECK(fp != NULL, "tmpfile");
    if (!fp)
        return;
    pcapng_writer w;
    CHECK(pcapng_writer_begin(&w, fp, 1, SNAPLEN, "lo", "mqttka test"), "begin");
    static uint8_t data[512];
    size_t n_cases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n_cases; i++) {
        fill(data, cases[i].captured_len, i);
        CHECK(pcapng_writer_packet(&w, cases[i].ts, data, cases[i].captured_len,
                                   cases[i].wire_len),
              "packet %zu", i);
    }
    CHECK(pcapng_writer_packet(&w, -1, data, 4, 4) == false, "a negative time is refused");
    CHECK(fflush(fp) == 0, "flush");
    rewind(fp);

    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, err);
    CHECK(p != NULL, "libpcap cannot read it: %s", err);
    if (!p) {
        fclose(fp);
        return;
    }
    CHECK(pcap_datalink(p) == DLT_EN10MB, "link type %d", pcap_datalink(p));
    CHECK(pcap_snapshot(p) == (int)SNAPLEN, "snaplen %d", pcap_snapshot(p));
    struct pcap_pkthdr *h;
    const u_char *bytes;
    for (size_t i = 0; i < n_cases; i++) {
        int rc = pcap_next_ex(p, &h, &bytes);
        CHECK(rc == 1, "record %zu: %d %s", i, rc, rc < 0 ? pcap_geterr(p) : "");
        if (rc != 1)
            break;
        size_t want_cap = cases[i].captured_len > SNAPLEN ? SNAPLEN : cases[i].captured_len;
        mqttka_time ts = (mqttka_time)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        CHECK(ts == cases[i].ts, "record %zu: time %lld", i, (long long)ts);
        CHECK(h->caplen == want_cap, "record %zu: caplen %u", i, h->caplen);
        CHECK(h->len == cases[i].wire_len, "record %zu: len %u", i, h->len);
        fill(data, want_cap, i);
        CHECK(memcmp(bytes, data, want_cap) == 0, "record %zu: bytes differ", i);
    }
    CHECK(pcap_next_ex(p, &h, &bytes) == PCAP_ERROR_BREAK, "no record after the last");
    pcap_close(p); /* closes fp */
}

static void test_failing_file(void)
{
    FILE *fp = fopen("/dev/null", "rb"); /* read-only: every write fails */
    CHECK(fp != NULL, "open /dev/null");
    if (!fp)
        return;
    setvbuf(fp, NULL, _IONBF, 0);
    pcapng_writer w;
    CHECK(!pcapng_writer_begin(&w, fp, 1, SNAPLEN, "lo", NULL), "begin on a read-only FILE");
    uint8_t b[4] = {1, 2, 3, 4};
    CHECK(!pcapng_writer_packet(&w, 1, b, sizeof b, sizeof b), "packet after a failure");
    fclose(fp);
}

static void test_long_name(void)
{
    char name[PCAPNG_OPTION_MAX * 3];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    FILE *fp = tmpfile();
    if (!fp)
        return;
    pcapng_writer w;
    CHECK(pcapng_writer_begin(&w, fp, 276, 65535, name, name), "begin with long names");
    rewind(fp);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_fopen_offline(fp, err);
    CHECK(p != NULL, "long names: %s", err);
    if (p) {
        CHECK(pcap_datalink(p) == 276, "LINUX_SLL2 kept: %d", pcap_datalink(p));
        pcap_close(p);
    } else {
        fclose(fp);
    }
}

int main(void)
{
    test_round_trip();
    test_failing_file();
    test_long_name();
    CHECK(pcapng_linktype_from_dlt(DLT_RAW) == 101, "DLT_RAW -> LINKTYPE_RAW");
    CHECK(pcapng_linktype_from_dlt(DLT_LINUX_SLL2) == 276, "LINUX_SLL2 unchanged");
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    puts("all checks passed");
    return 0;
}
