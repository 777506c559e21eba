/*
 * capture_reader.c - pcap / pcapng records through libpcap, numbered and
 * filtered.
 *
 * From a file, the BPF filter is applied here with pcap_offline_filter()
 * rather than installed with pcap_setfilter(): a record that the filter drops
 * must still take its frame number, or a finding's frame would not be the one
 * Wireshark shows for the same file. Live, the kernel filters (nothing else
 * would keep up), and the -w file holds exactly the records numbered here.
 */
#include "capture_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The stdio buffer a capture file is read through. */
#define CAPTURE_READ_BUFFER (64 * 1024)

/* The first four bytes of every format libpcap reads, in file order:
 * pcap (micro- and nanosecond, both byte orders, Kuznetzov's variant) and the
 * pcapng Section Header Block type. */
static bool is_capture_magic(const uint8_t m[4])
{
    static const uint8_t magics[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, /* pcap, microseconds */
        {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, /* pcap, nanoseconds */
        {0x34, 0xcd, 0xb2, 0xa1}, {0xa1, 0xb2, 0xcd, 0x34}, /* pcap, Kuznetzov */
        {0x0a, 0x0d, 0x0d, 0x0a},                           /* pcapng SHB */
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (memcmp(m, magics[i], 4) == 0)
            return true;
    return false;
}

/* Says why `fp` cannot be a capture, before libpcap gives a vaguer reason.
 * Returns true when the stream may be read on; leaves `fp` where it was. */
static bool precheck_stream(FILE *fp, char *err, size_t err_size)
{
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
        snprintf(err, err_size, "%s", strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "is a directory");
        return false;
    }
    if (S_ISREG(st.st_mode)) {
        uint8_t magic[4];
        size_t got = fread(magic, 1, sizeof magic, fp);
        if (ferror(fp)) {
            snprintf(err, err_size, "%s", strerror(errno));
            return false;
        }
        if (got == 0) {
            snprintf(err, err_size, "empty file, not a pcap or pcapng capture");
            return false;
        }
        if (got < sizeof magic || !is_capture_magic(magic)) {
            snprintf(err, err_size, "not a pcap or pcapng capture");
            return false;
        }
        if (fseek(fp, 0L, SEEK_SET) != 0) {
            snprintf(err, err_size, "cannot seek back: %s", strerror(errno));
            return false;
        }
        return true;
    }
    /* A pipe: one byte of push-back is all stdio guarantees, enough to tell
     * an empty input from a short one. */
    int first = getc(fp);
    if (first == EOF) {
        if (ferror(fp))
            snprintf(err, err_size, "%s", strerror(errno));
        else
            snprintf(err, err_size, "empty input, not a pcap or pcapng capture");
        return false;
    }
    if (ungetc(first, fp) == EOF) {
        snprintf(err, err_size, "cannot push back the first byte");
        return false;
    }
    return true;
}

/* libpcap's open errors, in the words the man page promises. */
static void describe_open_error(const char *pcap_err, char *err, size_t err_size)
{
    if (strstr(pcap_err, "unknown file format"))
        snprintf(err, err_size, "not a pcap or pcapng capture");
    else if (strstr(pcap_err, "truncated"))
        snprintf(err, err_size, "not a pcap or pcapng capture, or cut short in its header (%s)",
                 pcap_err);
    else
        snprintf(err, err_size, "%s", pcap_err);
}

/* Gives up on a stream not handed to libpcap: standard input stays open,
 * and keeps its buffer (stdio may still use it), freed with the process. */
static void close_unread(FILE *fp, bool from_stdin, char *buffer)
{
    if (!from_stdin) {
        fclose(fp);
        free(buffer);
    }
}

bool capture_reader_open_file(capture_reader *r, const char *path, char *err,
                              size_t err_size)
{
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *fp = from_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        snprintf(err, err_size, "%s", strerror(errno));
        return false;
    }
    /* libpcap reads a record at a time through stdio, whose buffer is the
     * file system's block (4 KiB): a read() per 4 KiB costs more in system
     * calls than the copying. Set before any read (glibc takes a size only
     * with a buffer); without the memory, stdio's own buffer does. */
    char *buffer = malloc(CAPTURE_READ_BUFFER);
    if (buffer && setvbuf(fp, buffer, _IOFBF, CAPTURE_READ_BUFFER) != 0) {
        free(buffer);
        buffer = NULL;
    }
    if (!precheck_stream(fp, err, err_size)) {
        close_unread(fp, from_stdin, buffer);
        return false;
    }
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO,
                                                         pcap_err);
    if (!p) {
        /* On failure libpcap leaves the stream to its opener. */
        describe_open_error(pcap_err, err, err_size);
        close_unread(fp, from_stdin, buffer);
        return false;
    }
    memset(r, 0, sizeof *r);
    r->read_buffer = buffer;
    r->kind = CAPTURE_SOURCE_FILE;
    r->pcap = p;
    r->linktype = pcap_datalink(p);
    r->has_filter = false;
    r->records = 0;
    r->first_ts = MQTTKA_TIME_NONE;
    r->last_ts = MQTTKA_TIME_NONE;
    return true;
}

bool capture_reader_set_filter(capture_reader *r, const char *expression, char *err,
                               size_t err_size)
{
    struct bpf_program prog;
    /* optimize = 1 as tcpdump does; the netmask only matters for "broadcast". */
    if (pcap_compile(r->pcap, &prog, expression, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, err_size, "%s", pcap_geterr(r->pcap));
        return false;
    }
    if (r->kind == CAPTURE_SOURCE_LIVE && pcap_setfilter(r->pcap, &prog) != 0) {
        snprintf(err, err_size, "%s", pcap_geterr(r->pcap));
        pcap_freecode(&prog);
        return false;
    }
    if (r->has_filter)
        pcap_freecode(&r->filter);
    r->filter = prog;
    r->has_filter = true;
    return true;
}

/* Seconds beyond which microseconds no longer fit in an int64 mqttka_time,
 * leaving room for a classic pcap's microsecond field (any 32-bit value). */
#define RECORD_SEC_MAX ((INT64_MAX - (int64_t)UINT32_MAX) / 1000000 - 1)

static mqttka_time record_time(const struct pcap_pkthdr *h)
{
    /* A pcapng timestamp is any 64-bit count: a damaged or hostile one names
     * a second whose microseconds overflow. Clamped, such a record still
     * counts and its frame number stays right. */
    int64_t sec = (int64_t)h->ts.tv_sec;
    if (sec > RECORD_SEC_MAX)
        sec = RECORD_SEC_MAX;
    else if (sec < -RECORD_SEC_MAX)
        sec = -RECORD_SEC_MAX;
    return (mqttka_time)sec * 1000000 + (mqttka_time)h->ts.tv_usec;
}

capture_status capture_reader_next(capture_reader *r, capture_record *rec, char *err,
                                   size_t err_size)
{
    for (;;) {
        struct pcap_pkthdr *hdr;
        const u_char *data;
        int rc = pcap_next_ex(r->pcap, &hdr, &data);
        if (rc == PCAP_ERROR_BREAK)
            return CAPTURE_END;
        if (rc == 0 && r->kind == CAPTURE_SOURCE_LIVE)
            return CAPTURE_NONE;
        if (rc != 1) {
            /* 0 (timeout) cannot come from a file; treat it as damage too. */
            const char *why = rc == 0 ? "unexpected timeout" : pcap_geterr(r->pcap);
            snprintf(err, err_size, "%s", why);
            return strstr(why, "truncated") ? CAPTURE_TRUNCATED : CAPTURE_READ_ERROR;
        }
        r->records++;
        mqttka_time ts = record_time(hdr);
        if (r->first_ts == MQTTKA_TIME_NONE)
            r->first_ts = ts;
        r->last_ts = ts;
        if (r->kind == CAPTURE_SOURCE_FILE && r->has_filter &&
            pcap_offline_filter(&r->filter, hdr, data) == 0)
            continue;
        rec->frame = r->records;
        rec->ts = ts;
        rec->data = data;
        rec->captured_len = hdr->caplen;
        rec->wire_len = hdr->len;
        return CAPTURE_RECORD;
    }
}

void capture_reader_close(capture_reader *r)
{
    if (r->has_filter) {
        pcap_freecode(&r->filter);
        r->has_filter = false;
    }
    if (r->pcap) {
        /* Closes the FILE too, standard input included: nothing reads it after. */
        pcap_close(r->pcap);
        r->pcap = NULL;
    }
    free(r->read_buffer);
    r->read_buffer = NULL;
}
