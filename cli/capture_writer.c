/*
 * capture_writer.c - -w: pcap through libpcap, pcapng through pcapng_writer,
 * rotated as tcpdump rotates (capture_writer.h).
 */
#include "capture_writer.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mqttka.h"

bool capture_writer_wants_pcapng(const char *path)
{
    static const char suffix[] = ".pcapng";
    size_t len = strlen(path), n = sizeof suffix - 1;
    return len > n && strcasecmp(path + len - n, suffix) == 0;
}

static void note_failure(capture_writer *w)
{
    if (!w->failed) {
        w->failed = true;
        w->error = errno ? errno : EIO;
    }
}

/* tcpdump's file names: the -w name (through strftime with -G), then the
 * count zero-padded to `width` digits unless both are 0. False when the
 * name does not fit. */
static bool make_name(capture_writer *w, uint32_t count, int width)
{
    char base[PATH_MAX + 1];
    if (w->ring.seconds) {
        time_t t = (time_t)w->rotated_at;
        struct tm tm;
        /* The user's template, as tcpdump -G takes it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        size_t len = localtime_r(&t, &tm) ? strftime(base, sizeof base, w->path, &tm) : 0;
#pragma GCC diagnostic pop
        if (len == 0)
            return false;
    } else {
        if (strlen(w->path) >= sizeof base)
            return false;
        strcpy(base, w->path);
    }
    int n = count == 0 && width == 0
                ? snprintf(w->current, sizeof w->current, "%s", base)
                : snprintf(w->current, sizeof w->current, "%s%0*u", base, width, (unsigned)count);
    return n > 0 && (size_t)n < sizeof w->current;
}

/* Opens w->current. */
static bool open_current(capture_writer *w, char *err, size_t err_size)
{
    capture_reader *source = w->source;
    if (!w->pcapng) {
        w->dumper = pcap_dump_open(source->pcap, w->current);
        if (!w->dumper) {
            snprintf(err, err_size, "%s: %s", w->current, pcap_geterr(source->pcap));
            return false;
        }
        return true;
    }
    w->file = fopen(w->current, "wb");
    if (!w->file) {
        snprintf(err, err_size, "%s: %s", w->current, strerror(errno));
        return false;
    }
    int snaplen = source->pcap ? pcap_snapshot(source->pcap) : CAPTURE_LIVE_SNAPLEN;
    errno = 0;
    if (!pcapng_writer_begin(&w->ng, w->file, pcapng_linktype_from_dlt(source->linktype),
                             snaplen > 0 ? (uint32_t)snaplen : 0, source->interface,
                             "mqttka " MQTTKA_VERSION) ||
        fflush(w->file) != 0) {
        snprintf(err, err_size, "%s: %s", w->current, strerror(errno ? errno : EIO));
        fclose(w->file);
        w->file = NULL;
        return false;
    }
    return true;
}

static void close_current(capture_writer *w)
{
    if (w->file) {
        errno = 0;
        if (fflush(w->file) != 0 || fclose(w->file) != 0)
            note_failure(w);
        w->file = NULL;
    }
    if (w->dumper) {
        errno = 0;
        if (pcap_dump_flush(w->dumper) != 0)
            note_failure(w);
        pcap_dump_close(w->dumper);
        w->dumper = NULL;
    }
}

/* Digits of n - 1, as tcpdump pads the count with -W n. */
static int digits_for(uint32_t files)
{
    int c = 0;
    for (uint32_t x = files ? files - 1 : 0; x > 0; x /= 10)
        c++;
    return c;
}

bool capture_writer_open(capture_writer *w, const char *path, capture_reader *source,
                         const capture_ring *ring, char *err, size_t err_size)
{
    memset(w, 0, sizeof *w);
    w->path = path;
    w->source = source;
    w->pcapng = capture_writer_wants_pcapng(path);
    if (ring)
        w->ring = *ring;
    w->width = w->ring.file_bytes ? digits_for(w->ring.files) : 0;
    w->rotated_at = (int64_t)time(NULL);
    if (!make_name(w, 0, w->width)) {
        snprintf(err, err_size, "%s: the file name is too long", path);
        return false;
    }
    return open_current(w, err, err_size);
}

/* Current size of the file being written. */
static int64_t current_size(capture_writer *w)
{
    if (w->file)
        return (int64_t)ftello(w->file);
    if (w->dumper)
        return (int64_t)pcap_dump_ftell64(w->dumper);
    return -1;
}

/* The next file, named for `count`; a failure to open it is a write
 * failure (errno kept). */
static bool rotate(capture_writer *w, uint32_t count, int width)
{
    close_current(w);
    char err[CAPTURE_ERROR_MAX];
    if (w->failed || !make_name(w, count, width)) {
        note_failure(w);
        return false;
    }
    errno = 0;
    if (!open_current(w, err, sizeof err)) {
        note_failure(w);
        return false;
    }
    return true;
}

bool capture_writer_write(capture_writer *w, const capture_record *rec)
{
    if (w->failed || w->limit_reached)
        return false;
    if (w->ring.seconds) {
        int64_t now = rec->ts / 1000000;
        if (now - w->rotated_at >= (int64_t)w->ring.seconds) {
            w->rotated_at = now;
            w->time_count++;
            if (!w->ring.file_bytes && w->ring.files && w->time_count >= w->ring.files) {
                close_current(w);
                w->limit_reached = true;
                return false;
            }
            w->size_count = 0;
            if (!rotate(w, 0, w->ring.file_bytes ? w->width : 0))
                return false;
        }
    }
    if (w->ring.file_bytes) {
        int64_t size = current_size(w);
        if (size < 0) {
            note_failure(w);
            return false;
        }
        if ((uint64_t)size > w->ring.file_bytes) {
            w->size_count++;
            if (w->ring.files && w->size_count >= w->ring.files)
                w->size_count = 0;
            if (!rotate(w, w->size_count, w->width))
                return false;
        }
    }
    errno = 0;
    if (w->pcapng) {
        if (!w->file || !pcapng_writer_packet(&w->ng, rec->ts, rec->data, rec->captured_len,
                                              rec->wire_len))
            note_failure(w);
        return !w->failed;
    }
    if (!w->dumper)
        return false;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(rec->ts / 1000000);
    h.ts.tv_usec = (suseconds_t)(rec->ts % 1000000);
    h.caplen = (bpf_u_int32)rec->captured_len;
    h.len = (bpf_u_int32)rec->wire_len;
    pcap_dump((u_char *)w->dumper, &h, rec->data);
    if (ferror(pcap_dump_file(w->dumper)))
        note_failure(w);
    return !w->failed;
}

bool capture_writer_flush(capture_writer *w)
{
    if (w->failed)
        return false;
    errno = 0;
    if ((w->pcapng && w->file && fflush(w->file) != 0) ||
        (!w->pcapng && w->dumper && pcap_dump_flush(w->dumper) != 0))
        note_failure(w);
    return !w->failed;
}

bool capture_writer_close(capture_writer *w, char *err, size_t err_size)
{
    (void)capture_writer_flush(w);
    close_current(w);
    if (w->failed) {
        snprintf(err, err_size, "%s: cannot write the capture: %s",
                 w->current[0] ? w->current : w->path ? w->path : "?", strerror(w->error));
        return false;
    }
    return true;
}
