/*
 * capture_writer.c - -w: pcap through libpcap, pcapng through pcapng_writer.
 */
#include "capture_writer.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

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

bool capture_writer_open(capture_writer *w, const char *path, capture_reader *source,
                         char *err, size_t err_size)
{
    memset(w, 0, sizeof *w);
    w->path = path;
    w->pcapng = capture_writer_wants_pcapng(path);
    if (!w->pcapng) {
        w->dumper = pcap_dump_open(source->pcap, path);
        if (!w->dumper) {
            snprintf(err, err_size, "%s: %s", path, pcap_geterr(source->pcap));
            return false;
        }
        return true;
    }
    w->file = fopen(path, "wb");
    if (!w->file) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return false;
    }
    int snaplen = pcap_snapshot(source->pcap);
    errno = 0;
    if (!pcapng_writer_begin(&w->ng, w->file, pcapng_linktype_from_dlt(source->linktype),
                             snaplen > 0 ? (uint32_t)snaplen : 0, source->interface,
                             "mqttka " MQTTKA_VERSION) ||
        fflush(w->file) != 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno ? errno : EIO));
        fclose(w->file);
        w->file = NULL;
        return false;
    }
    return true;
}

bool capture_writer_write(capture_writer *w, const capture_record *rec)
{
    if (w->failed)
        return false;
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
    if (w->file) {
        errno = 0;
        if (fclose(w->file) != 0)
            note_failure(w);
        w->file = NULL;
    }
    if (w->dumper) {
        pcap_dump_close(w->dumper);
        w->dumper = NULL;
    }
    if (w->failed) {
        snprintf(err, err_size, "%s: cannot write the capture: %s", w->path ? w->path : "?",
                 strerror(w->error));
        return false;
    }
    return true;
}
