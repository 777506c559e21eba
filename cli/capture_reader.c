/*
 * capture_reader.c - pcap / pcapng records from one or several files,
 * numbered and filtered.
 *
 * A file's bytes come from input_stream.c (plain, or decompressed as they
 * are read). pcap is read by libpcap; pcapng by pcapng_reader.c, since
 * libpcap 1.10 refuses a pcapng whose interfaces have different link types.
 *
 * The BPF filter is applied here with pcap_offline_filter() rather than
 * installed with pcap_setfilter(): a record that the filter drops must still
 * take its frame number, or a finding's frame would not be the one Wireshark
 * shows for the same file. A program is compiled per link type (each pcapng
 * interface may have its own). Live, the kernel filters (nothing else would
 * keep up), and the -w file holds exactly the records numbered here.
 *
 * Several files are read in the order they start: the earliest time among
 * their first CAPTURE_PROBE_RECORDS records. A file that follows the ones
 * before it is read after them, whole, in its own order (a ring of files is
 * read as the capture it was cut from). Files that overlap in time are
 * merged as mergecap merges them: the next record is the earliest of the
 * open files' next records, so a file's own order is kept and their records
 * interleave. A file counts as overlapping once a file before it reaches a
 * record CAPTURE_OVERLAP_SLACK later than the file's start: captures on
 * several interfaces or CPUs are out of time order by a fraction of a
 * second, and a ring cut from one must not be shuffled at each cut (a TCP
 * segment before the one it follows). Only files whose records are due are
 * open: one at a time for a ring.
 */
#include "capture_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/dlt.h>

#include "input_stream.h"
#include "pcap_reader.h"
#include "pcapng_reader.h"

/* How much later than a file's start a file before it may go on before the
 * two count as overlapping (microseconds). */
#define CAPTURE_OVERLAP_SLACK 2000000
/* Records looked at to find when a file starts: the earliest of their
 * times, since a capture on several interfaces writes each interface's
 * packets in turn and does not begin with its earliest record. */
#define CAPTURE_PROBE_RECORDS 1024

/* Link types with a compiled BPF program at most (each pcapng interface
 * may have its own; real captures have one to three). */
#define CAPTURE_FILTER_LINKS_MAX 16

/* ------------------------------------------------------------------------ */
/* One file                                                                  */

/* How a file is read: a classic pcap from an uncompressed regular file by our own
 * reader (pcap_reader.h: libpcap's two fread()s a record cost more than the
 * analysis of a small packet); from a pipe, or in a variant it does not
 * read, by libpcap, whose reads return each record as it arrives; pcapng
 * by the pcapng reader. */
typedef enum file_kind {
    FILE_PCAP_OWN,
    FILE_PCAP_LIBPCAP,
    FILE_PCAPNG,
} file_kind;

struct capture_file {
    input_file in;
    file_kind kind;
    pcap_reader own;         /* FILE_PCAP_OWN */
    pcap_t *pcap;            /* FILE_PCAP_LIBPCAP */
    pcapng_reader ng;        /* FILE_PCAPNG */
    int linktype;            /* pcap: the file's (DLT_) */
};

/* A pcapng LINKTYPE_ as the DLT_ value libpcap would give: they differ only
 * for a few historical values (LINKTYPE_RAW 101 is DLT_RAW, 12 or 14). */
static int dlt_from_linktype(uint32_t linktype)
{
    switch (linktype) {
    case 101: return DLT_RAW;
    case 102: return DLT_SLIP_BSDOS;
    case 103: return DLT_PPP_BSDOS;
    default: return (int)linktype;
    }
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

static void file_close(capture_file *f)
{
    if (!f)
        return;
    if (f->pcap) {
        pcap_close(f->pcap); /* closes the FILE */
    } else {
        pcap_reader_free(&f->own);
        pcapng_reader_free(&f->ng);
        if (f->in.fp)
            fclose(f->in.fp);
    }
    free(f->in.buffer);
    free(f);
}

static capture_file *file_open(const char *path, char *err, size_t err_size)
{
    capture_file *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (!input_open(path, &f->in, err, err_size)) {
        free(f);
        return NULL;
    }
    static const uint8_t shb[4] = {0x0a, 0x0d, 0x0d, 0x0a};
    char why[CAPTURE_ERROR_MAX];
    if (memcmp(f->in.magic, shb, 4) == 0) {
        pcapng_status st = pcapng_reader_open(&f->ng, f->in.fp, why, sizeof why);
        if (st != PCAPNG_PACKET) {
            char stream_err[CAPTURE_ERROR_MAX];
            if (input_stream_error(&f->in, stream_err, sizeof stream_err) != INPUT_OK)
                snprintf(err, err_size, "%s", stream_err);
            else if (st == PCAPNG_TRUNCATED)
                snprintf(err, err_size,
                         "not a pcap or pcapng capture, or cut short in its header (%s)", why);
            else
                snprintf(err, err_size, "%s", why);
            file_close(f);
            return NULL;
        }
        size_t n;
        const pcapng_interface *ifaces = pcapng_reader_interfaces(&f->ng, &n);
        f->linktype = n ? dlt_from_linktype(ifaces[0].linktype) : -1;
        f->kind = FILE_PCAPNG;
        return f;
    }
    if (f->in.regular && f->in.compression == INPUT_PLAIN && pcap_reader_recognises(f->in.magic)) {
        /* The reader's own buffer is the buffer: through stdio's as well,
         * every byte was copied twice. Nothing was read from the stream
         * yet (input_open looked with pread), so its buffering may still
         * change. */
        setvbuf(f->in.fp, NULL, _IONBF, 0);
        pcap_reader_status st = pcap_reader_open(&f->own, f->in.fp, why, sizeof why);
        if (st != PCAP_READER_RECORD) {
            char stream_err[CAPTURE_ERROR_MAX];
            if (input_stream_error(&f->in, stream_err, sizeof stream_err) != INPUT_OK)
                snprintf(err, err_size, "%s", stream_err);
            else
                describe_open_error(why, err, err_size);
            file_close(f);
            return NULL;
        }
        f->linktype = dlt_from_linktype(f->own.linktype);
        f->kind = FILE_PCAP_OWN;
        return f;
    }
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    f->pcap = pcap_fopen_offline_with_tstamp_precision(f->in.fp, PCAP_TSTAMP_PRECISION_MICRO,
                                                       pcap_err);
    if (!f->pcap) {
        /* On failure libpcap leaves the stream to its opener. */
        char stream_err[CAPTURE_ERROR_MAX];
        if (input_stream_error(&f->in, stream_err, sizeof stream_err) != INPUT_OK)
            snprintf(err, err_size, "%s", stream_err);
        else
            describe_open_error(pcap_err, err, err_size);
        file_close(f);
        return NULL;
    }
    f->linktype = pcap_datalink(f->pcap);
    f->kind = FILE_PCAP_LIBPCAP;
    return f;
}

/* The link types a file declares before its first record: up to `max`. */
static size_t file_link_types(const capture_file *f, int *out, size_t max)
{
    if (f->kind != FILE_PCAPNG) {
        if (max)
            out[0] = f->linktype;
        return max ? 1 : 0;
    }
    size_t n, k = 0;
    const pcapng_interface *ifaces = pcapng_reader_interfaces(&f->ng, &n);
    for (size_t i = 0; i < n && k < max; i++) {
        int dlt = dlt_from_linktype(ifaces[i].linktype);
        bool seen = false;
        for (size_t j = 0; j < k; j++)
            seen = seen || out[j] == dlt;
        if (!seen)
            out[k++] = dlt;
    }
    return k;
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

/* Damage, in the words of what saw it first: the decompressor (a
 * compressed file cut short or corrupt), else the reader. */
__attribute__((noinline)) static capture_status file_failure(const capture_file *f,
                                                             const char *why, bool truncated,
                                                             char *err, size_t err_size)
{
    char stream_err[CAPTURE_ERROR_MAX];
    switch (input_stream_error(&f->in, stream_err, sizeof stream_err)) {
    case INPUT_CUT_SHORT:
        snprintf(err, err_size, "%s", stream_err);
        return CAPTURE_TRUNCATED;
    case INPUT_DAMAGED:
    case INPUT_IO_ERROR:
        snprintf(err, err_size, "%s", stream_err);
        return CAPTURE_READ_ERROR;
    case INPUT_OK: break;
    }
    snprintf(err, err_size, "%s", why);
    return truncated ? CAPTURE_TRUNCATED : CAPTURE_READ_ERROR;
}

/* A pcapng file's next record (the slow path of file_next). */
__attribute__((noinline)) static capture_status file_next_pcapng(capture_file *f,
                                                                  capture_record *rec,
                                                                  char *err, size_t err_size)
{
    pcapng_packet pkt;
    char why[CAPTURE_ERROR_MAX];
    switch (pcapng_reader_next(&f->ng, &pkt, why, sizeof why)) {
    case PCAPNG_PACKET:
        rec->ts = pkt.ts;
        rec->data = pkt.data;
        rec->captured_len = pkt.captured_len;
        rec->wire_len = pkt.wire_len;
        rec->linktype = dlt_from_linktype(pkt.linktype);
        return CAPTURE_RECORD;
    case PCAPNG_END: return CAPTURE_END;
    case PCAPNG_TRUNCATED: return file_failure(f, why, true, err, err_size);
    case PCAPNG_DAMAGED:
    case PCAPNG_READ_ERROR: break;
    }
    return file_failure(f, why, false, err, err_size);
}

/* Why the own reader stopped (the slow path of file_next). */
__attribute__((noinline)) static capture_status file_own_failure(const capture_file *f,
                                                                  pcap_reader_status st,
                                                                  char *err, size_t err_size)
{
    if (st == PCAP_READER_END)
        return CAPTURE_END;
    char why[CAPTURE_ERROR_MAX];
    snprintf(why, sizeof why, "%s", err);
    return file_failure(f, why, st == PCAP_READER_TRUNCATED, err, err_size);
}

/* The file's next record (no frame number yet). Small, to be inlined into
 * the record loop: a pcap record is the benchmark's hot path. */
static inline capture_status file_next(capture_file *f, capture_record *rec, char *err,
                                       size_t err_size)
{
    if (f->kind == FILE_PCAP_OWN) {
        pcap_reader_record r;
        pcap_reader_status st = pcap_reader_next(&f->own, &r, err, err_size);
        if (st == PCAP_READER_RECORD) {
            rec->ts = r.ts;
            rec->data = r.data;
            rec->captured_len = r.captured_len;
            rec->wire_len = r.wire_len;
            rec->linktype = f->linktype;
            return CAPTURE_RECORD;
        }
        return file_own_failure(f, st, err, err_size);
    }
    if (f->kind == FILE_PCAPNG)
        return file_next_pcapng(f, rec, err, err_size);
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex(f->pcap, &hdr, &data);
    if (rc == 1) {
        rec->ts = record_time(hdr);
        rec->data = data;
        rec->captured_len = hdr->caplen;
        rec->wire_len = hdr->len;
        rec->linktype = f->linktype;
        return CAPTURE_RECORD;
    }
    if (rc == PCAP_ERROR_BREAK)
        return CAPTURE_END;
    /* 0 (timeout) cannot come from a file; treat it as damage too. */
    const char *why = rc == 0 ? "unexpected timeout" : pcap_geterr(f->pcap);
    return file_failure(f, why, strstr(why, "truncated") != NULL, err, err_size);
}

/* ------------------------------------------------------------------------ */
/* Filters                                                                   */

struct capture_filter_set {
    char *expression;
    size_t n;
    struct {
        int dlt;
        bool usable;
        struct bpf_program prog;
    } links[CAPTURE_FILTER_LINKS_MAX];
    int last_dlt;                 /* the last lookup, for consecutive records */
    size_t last;
};

static bool filter_compile(const char *expression, int dlt, struct bpf_program *prog,
                           char *err, size_t err_size)
{
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(dlt, CAPTURE_LIVE_SNAPLEN,
                                                        PCAP_TSTAMP_PRECISION_MICRO);
    if (!dead) {
        snprintf(err, err_size, "out of memory");
        return false;
    }
    /* optimize = 1 as tcpdump does; the netmask only matters for "broadcast". */
    bool ok = pcap_compile(dead, prog, expression, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (!ok)
        snprintf(err, err_size, "%s", pcap_geterr(dead));
    pcap_close(dead);
    return ok;
}

/* The entry for `dlt`, compiling it the first time (SIZE_MAX when the table
 * is full). */
static size_t filter_entry(capture_filter_set *fs, int dlt, bool quiet, char *err,
                           size_t err_size)
{
    if (fs->n && fs->last_dlt == dlt)
        return fs->last;
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->links[i].dlt == dlt) {
            fs->last_dlt = dlt;
            fs->last = i;
            return i;
        }
    }
    if (fs->n == CAPTURE_FILTER_LINKS_MAX)
        return SIZE_MAX;
    size_t i = fs->n++;
    fs->links[i].dlt = dlt;
    fs->links[i].usable = filter_compile(fs->expression, dlt, &fs->links[i].prog, err,
                                         err_size);
    if (!fs->links[i].usable && !quiet) {
        const char *name = pcap_datalink_val_to_name(dlt);
        fprintf(stderr,
                "mqttka: the filter '%s' does not apply to link type %d (%s): its records "
                "are left out (%s)\n",
                fs->expression, dlt, name ? name : "unknown", err);
    }
    fs->last_dlt = dlt;
    fs->last = i;
    return i;
}

static bool filter_matches(capture_filter_set *fs, const capture_record *rec)
{
    char err[CAPTURE_ERROR_MAX];
    size_t i = filter_entry(fs, rec->linktype, false, err, sizeof err);
    if (i == SIZE_MAX || !fs->links[i].usable)
        return false;
    struct pcap_pkthdr h;
    h.ts.tv_sec = 0;
    h.ts.tv_usec = 0;
    h.caplen = (bpf_u_int32)rec->captured_len;
    h.len = (bpf_u_int32)rec->wire_len;
    return pcap_offline_filter(&fs->links[i].prog, &h, rec->data) != 0;
}

static void filter_set_free(capture_filter_set *fs)
{
    if (!fs)
        return;
    for (size_t i = 0; i < fs->n; i++)
        if (fs->links[i].usable)
            pcap_freecode(&fs->links[i].prog);
    free(fs->expression);
    free(fs);
}

/* ------------------------------------------------------------------------ */
/* Several files                                                             */

typedef struct merge_slot {
    size_t file;             /* index into r->files */
    capture_file *f;
    capture_record rec;      /* its next record */
} merge_slot;

typedef struct merge_run {
    uint64_t frame;          /* merged number of the run's first record */
    uint64_t file_frame;     /* its number inside its file */
    size_t file;
} merge_run;

struct capture_merge {
    bool *done;              /* per file: read to its end (or never to be read) */
    mqttka_time *start;      /* per file: when it starts (see CAPTURE_PROBE_RECORDS) */
    size_t next_pending;     /* the next file to open, in reading order */
    merge_slot *open;        /* CAPTURE_OPEN_FILES_MAX slots */
    size_t n_open;
    size_t returned;         /* the slot whose record was returned last; SIZE_MAX none */
    merge_run *runs;
    size_t n_runs, cap_runs;
    uint64_t runs_end;       /* frames from here on cannot be located; 0: all can */
    int declared[CAPTURE_FILTER_LINKS_MAX]; /* link types the files declare */
    size_t n_declared;
};

static void file_info_failed(capture_file_info *info, capture_status st, const char *why)
{
    info->status = st;
    free(info->error);
    info->error = strdup(why);
}

static void note_declared(int *declared, size_t *n, const int *types, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        bool seen = false;
        for (size_t j = 0; j < *n; j++)
            seen = seen || declared[j] == types[i];
        if (!seen && *n < CAPTURE_FILTER_LINKS_MAX)
            declared[(*n)++] = types[i];
    }
}

/* Does a file declare a link type mqttka decodes? Else says which it has. */
static bool file_link_supported(const capture_file *f, char *err, size_t err_size)
{
    int types[CAPTURE_FILTER_LINKS_MAX];
    size_t k = file_link_types(f, types, CAPTURE_FILTER_LINKS_MAX);
    if (k == 0)
        return true; /* a pcapng with no interface: no record either */
    for (size_t i = 0; i < k; i++)
        if (mqttka_link_name((uint32_t)types[i]))
            return true;
    const char *name = pcap_datalink_val_to_name(types[0]);
    snprintf(err, err_size, "link type %d (%s) is not supported", types[0],
             name ? name : "unknown");
    return false;
}

typedef struct probe {
    size_t given;            /* position on the command line */
    mqttka_time first_ts;    /* the file's start */
} probe;

static int by_first_record(const void *a, const void *b)
{
    const probe *x = a, *y = b;
    bool xn = x->first_ts == MQTTKA_TIME_NONE, yn = y->first_ts == MQTTKA_TIME_NONE;
    if (xn != yn)
        return xn ? 1 : -1; /* files with no record last */
    if (!xn && x->first_ts != y->first_ts)
        return x->first_ts < y->first_ts ? -1 : 1;
    return x->given < y->given ? -1 : x->given > y->given;
}

/* Opens every file once: it must be a capture mqttka reads, and the time
 * it starts decides when it is read. */
static bool merge_probe(capture_reader *r, const char *const *paths, size_t n, char *err,
                        size_t err_size, const char **bad_path)
{
    capture_merge *m = r->merge;
    probe *probes = calloc(n, sizeof *probes);
    capture_file_info *given = calloc(n, sizeof *given);
    if (!probes || !given) {
        free(probes);
        free(given);
        snprintf(err, err_size, "out of memory for %zu files", n);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        capture_file_info *info = &given[i];
        info->path = paths[i];
        info->first_ts = info->last_ts = MQTTKA_TIME_NONE;
        info->status = CAPTURE_RECORD; /* not read yet */
        probes[i].given = i;
        probes[i].first_ts = MQTTKA_TIME_NONE;
        capture_file *f = file_open(paths[i], err, err_size);
        if (!f || !file_link_supported(f, err, err_size)) {
            *bad_path = paths[i];
            file_close(f);
            ok = false;
            break;
        }
        info->compression = input_compression_name(f->in.compression);
        int types[CAPTURE_FILTER_LINKS_MAX];
        size_t k = file_link_types(f, types, CAPTURE_FILTER_LINKS_MAX);
        note_declared(m->declared, &m->n_declared, types, k);
        if (i == 0 && k)
            r->linktype = types[0];
        capture_record rec;
        char why[CAPTURE_ERROR_MAX];
        capture_status st = CAPTURE_RECORD;
        for (size_t got = 0; got < CAPTURE_PROBE_RECORDS; got++) {
            st = file_next(f, &rec, why, sizeof why);
            if (st != CAPTURE_RECORD)
                break;
            if (probes[i].first_ts == MQTTKA_TIME_NONE || rec.ts < probes[i].first_ts)
                probes[i].first_ts = rec.ts;
        }
        /* Damage after the first record is met again when it is read. */
        if (probes[i].first_ts == MQTTKA_TIME_NONE) {
            if (st == CAPTURE_END)
                info->status = CAPTURE_END; /* no record at all */
            else
                file_info_failed(info, st, why);
        }
        file_close(f);
    }
    if (ok) {
        qsort(probes, n, sizeof *probes, by_first_record);
        for (size_t i = 0; i < n; i++) {
            r->files[i] = given[probes[i].given];
            m->start[i] = probes[i].first_ts;
            m->done[i] = r->files[i].status != CAPTURE_RECORD;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            free(given[i].error);
    }
    free(probes);
    free(given);
    return ok;
}

/* The end of a file in the merge: its status, and its slot freed. */
static void merge_close_slot(capture_reader *r, size_t slot, capture_status st,
                             const char *why)
{
    capture_merge *m = r->merge;
    merge_slot *s = &m->open[slot];
    capture_file_info *info = &r->files[s->file];
    if (st == CAPTURE_END)
        info->status = CAPTURE_END;
    else
        file_info_failed(info, st, why);
    m->done[s->file] = true;
    file_close(s->f);
    m->open[slot] = m->open[--m->n_open];
}

/* Opens r->files[i] into a new slot, with its first record. */
static bool merge_open(capture_reader *r, size_t i, char *err, size_t err_size)
{
    capture_merge *m = r->merge;
    capture_file_info *info = &r->files[i];
    char why[CAPTURE_ERROR_MAX];
    capture_file *f = file_open(info->path, why, sizeof why);
    if (!f) {
        /* Opened a moment ago, so changed since (a ring being rotated). */
        file_info_failed(info, CAPTURE_READ_ERROR, why);
        m->done[i] = true;
        return true;
    }
    if (m->n_open == CAPTURE_OPEN_FILES_MAX) {
        file_close(f);
        snprintf(err, err_size, "more than %d of the files overlap in time: merge fewer at once",
                 CAPTURE_OPEN_FILES_MAX);
        return false;
    }
    merge_slot *s = &m->open[m->n_open++];
    s->file = i;
    s->f = f;
    capture_status st = file_next(f, &s->rec, why, sizeof why);
    if (st != CAPTURE_RECORD)
        merge_close_slot(r, m->n_open - 1, st, why);
    return true;
}

static capture_status merge_next(capture_reader *r, capture_record *rec, size_t *file,
                                 char *err, size_t err_size)
{
    capture_merge *m = r->merge;
    char why[CAPTURE_ERROR_MAX];
    if (m->returned != SIZE_MAX) {
        /* The record returned last is no longer borrowed: read on. */
        merge_slot *s = &m->open[m->returned];
        capture_status st = file_next(s->f, &s->rec, why, sizeof why);
        if (st != CAPTURE_RECORD)
            merge_close_slot(r, m->returned, st, why);
        m->returned = SIZE_MAX;
    }
    for (;;) {
        /* Open the files whose first record is due. */
        while (m->next_pending < r->n_files) {
            size_t i = m->next_pending;
            if (m->done[i]) {
                m->next_pending++;
                continue;
            }
            /* Due when the files before it have ended, or have gone on past
             * its first record by more than the slack: then they overlap. */
            bool due = m->n_open == 0;
            mqttka_time first = m->start[i];
            mqttka_time until = first > INT64_MAX - CAPTURE_OVERLAP_SLACK
                                    ? INT64_MAX
                                    : first + CAPTURE_OVERLAP_SLACK;
            for (size_t k = 0; k < m->n_open && !due; k++)
                due = m->open[k].rec.ts > until;
            if (!due)
                break;
            if (!merge_open(r, i, err, err_size))
                return CAPTURE_READ_ERROR;
            m->next_pending++;
        }
        if (m->n_open == 0) {
            if (m->next_pending < r->n_files)
                continue;
            return CAPTURE_END;
        }
        size_t best = 0;
        for (size_t k = 1; k < m->n_open; k++) {
            const merge_slot *a = &m->open[k], *b = &m->open[best];
            if (a->rec.ts < b->rec.ts || (a->rec.ts == b->rec.ts && a->file < b->file))
                best = k;
        }
        *rec = m->open[best].rec;
        *file = m->open[best].file;
        m->returned = best;
        return CAPTURE_RECORD;
    }
}

/* Remembers where the merged order changes file, for capture_reader_locate. */
static void merge_note_run(capture_merge *m, size_t file, uint64_t frame, uint64_t file_frame)
{
    if (m->n_runs && m->runs[m->n_runs - 1].file == file)
        return;
    if (m->runs_end)
        return;
    if (m->n_runs == m->cap_runs) {
        size_t cap = m->cap_runs ? m->cap_runs * 2 : 64;
        if (cap > CAPTURE_RUNS_MAX)
            cap = CAPTURE_RUNS_MAX;
        merge_run *grown = cap > m->cap_runs ? realloc(m->runs, cap * sizeof *grown) : NULL;
        if (!grown) {
            m->runs_end = frame;
            return;
        }
        m->runs = grown;
        m->cap_runs = cap;
    }
    m->runs[m->n_runs++] = (merge_run){frame, file_frame, file};
}

/* ------------------------------------------------------------------------ */
/* The reader                                                                */

static void note_link_type(capture_reader *r, int dlt)
{
    for (size_t i = 0; i < r->n_link_types; i++)
        if (r->link_types[i] == dlt)
            return;
    if (r->n_link_types < CAPTURE_LINK_TYPES_MAX)
        r->link_types[r->n_link_types++] = dlt;
    else
        r->more_link_types = true;
}

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    size_t given;
} file_id;

static int by_file_id(const void *a, const void *b)
{
    const file_id *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->given < y->given ? -1 : x->given > y->given;
}

/* The same file given twice (by two names, or by a glob and by name) would
 * be read twice, every record doubled: refused. Files that cannot be
 * looked at are left to the open, which says why. */
static bool find_file_given_twice(const char *const *paths, size_t n, char *err,
                                  size_t err_size, const char **bad_path)
{
    file_id *ids = malloc(n * sizeof *ids);
    if (!ids)
        return false; /* not worth failing for: the files are read anyway */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
            ids[k++] = (file_id){st.st_dev, st.st_ino, i};
    }
    qsort(ids, k, sizeof *ids, by_file_id);
    bool twice = false;
    for (size_t i = 1; i < k && !twice; i++) {
        if (ids[i].dev == ids[i - 1].dev && ids[i].ino == ids[i - 1].ino) {
            const char *other = paths[ids[i - 1].given];
            *bad_path = paths[ids[i].given];
            if (strcmp(other, *bad_path) == 0)
                snprintf(err, err_size, "given twice: its records would be read twice");
            else
                snprintf(err, err_size,
                         "given twice (also as %s): its records would be read twice", other);
            twice = true;
        }
    }
    free(ids);
    return twice;
}

bool capture_reader_open_files(capture_reader *r, const char *const *paths, size_t n,
                               char *err, size_t err_size, const char **bad_path)
{
    memset(r, 0, sizeof *r);
    r->kind = CAPTURE_SOURCE_FILE;
    r->first_ts = r->last_ts = MQTTKA_TIME_NONE;
    r->linktype = -1;
    r->last_linktype = -1;
    *bad_path = NULL;
    if (n == 0 || n > CAPTURE_FILES_MAX) {
        snprintf(err, err_size, "%zu files: give from 1 to %d", n, CAPTURE_FILES_MAX);
        return false;
    }
    for (size_t i = 0; n > 1 && i < n; i++) {
        if (strcmp(paths[i], "-") == 0) {
            snprintf(err, err_size, "standard input (-r -) cannot be read with other files");
            return false;
        }
    }
    if (n > 1 && find_file_given_twice(paths, n, err, err_size, bad_path))
        return false;
    r->files = calloc(n, sizeof *r->files);
    if (!r->files) {
        snprintf(err, err_size, "out of memory");
        return false;
    }
    r->n_files = n;
    if (n == 1) {
        capture_file_info *info = &r->files[0];
        info->path = paths[0];
        info->first_ts = info->last_ts = MQTTKA_TIME_NONE;
        info->status = CAPTURE_RECORD;
        r->single = file_open(paths[0], err, err_size);
        if (!r->single || !file_link_supported(r->single, err, err_size)) {
            *bad_path = paths[0];
            return false;
        }
        info->compression = input_compression_name(r->single->in.compression);
        if (r->single->kind == FILE_PCAP_OWN) {
            r->own = &r->single->own;
            r->own_linktype = r->single->linktype;
        }
        int types[1];
        if (file_link_types(r->single, types, 1))
            r->linktype = types[0];
        return true;
    }
    r->merge = calloc(1, sizeof *r->merge);
    if (r->merge) {
        r->merge->done = calloc(n, sizeof *r->merge->done);
        r->merge->start = calloc(n, sizeof *r->merge->start);
        r->merge->open = calloc(CAPTURE_OPEN_FILES_MAX, sizeof *r->merge->open);
        r->merge->returned = SIZE_MAX;
    }
    if (!r->merge || !r->merge->done || !r->merge->start || !r->merge->open) {
        snprintf(err, err_size, "out of memory");
        return false;
    }
    return merge_probe(r, paths, n, err, err_size, bad_path);
}

bool capture_reader_set_filter(capture_reader *r, const char *expression, char *err,
                               size_t err_size)
{
    if (r->kind == CAPTURE_SOURCE_LIVE) {
        struct bpf_program prog;
        if (pcap_compile(r->pcap, &prog, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
            pcap_setfilter(r->pcap, &prog) != 0) {
            snprintf(err, err_size, "%s", pcap_geterr(r->pcap));
            return false;
        }
        if (r->has_filter)
            pcap_freecode(&r->filter);
        r->filter = prog;
        r->has_filter = true;
        return true;
    }
    capture_filter_set *fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->expression = strdup(expression))) {
        free(fs);
        snprintf(err, err_size, "out of memory");
        return false;
    }
    int declared[CAPTURE_FILTER_LINKS_MAX];
    size_t n = 0;
    if (r->single)
        n = file_link_types(r->single, declared, CAPTURE_FILTER_LINKS_MAX);
    else if (r->merge)
        for (n = 0; n < r->merge->n_declared; n++)
            declared[n] = r->merge->declared[n];
    /* Every link type the files declare must take the filter. */
    for (size_t i = 0; i < n; i++) {
        size_t k = filter_entry(fs, declared[i], true, err, err_size);
        if (k != SIZE_MAX && !fs->links[k].usable) {
            filter_set_free(fs);
            return false;
        }
    }
    filter_set_free(r->filters);
    r->filters = fs;
    r->has_filter = true;
    return true;
}

/* A record read: numbered, counted, and its file's place noted. */
static void account(capture_reader *r, capture_record *rec, size_t file)
{
    rec->frame = ++r->records;
    if (r->first_ts == MQTTKA_TIME_NONE)
        r->first_ts = rec->ts;
    r->last_ts = rec->ts;
    capture_file_info *info = &r->files[file];
    info->records++;
    if (!info->first_frame) {
        info->first_frame = rec->frame;
        info->first_ts = rec->ts;
    }
    info->last_frame = rec->frame;
    info->last_ts = rec->ts;
    if (rec->linktype != r->last_linktype) {
        note_link_type(r, rec->linktype);
        r->last_linktype = rec->linktype;
    }
}

/* The one file's info, brought up to date (it is not kept per record). */
static void single_sync(capture_reader *r)
{
    capture_file_info *info = &r->files[0];
    info->records = r->records;
    info->first_frame = r->records ? 1 : 0;
    info->last_frame = r->records;
    info->first_ts = r->first_ts;
    info->last_ts = r->last_ts;
}

/* Live: the interface's next record. */
static capture_status live_next(capture_reader *r, capture_record *rec, char *err,
                                size_t err_size)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex(r->pcap, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK)
        return CAPTURE_END;
    if (rc == 0)
        return CAPTURE_NONE;
    if (rc != 1) {
        snprintf(err, err_size, "%s", pcap_geterr(r->pcap));
        return CAPTURE_READ_ERROR;
    }
    rec->ts = record_time(hdr);
    rec->data = data;
    rec->captured_len = hdr->caplen;
    rec->wire_len = hdr->len;
    rec->linktype = r->linktype;
    rec->frame = ++r->records;
    if (r->first_ts == MQTTKA_TIME_NONE)
        r->first_ts = rec->ts;
    r->last_ts = rec->ts;
    return CAPTURE_RECORD;
}

capture_status capture_reader_read(capture_reader *r, capture_record *rec, char *err,
                                   size_t err_size)
{
    if (r->single) {
        /* One file: the hot path, each record numbered and timed, nothing
         * more (its info is brought up to date at its end). */
        for (;;) {
            capture_status st = file_next(r->single, rec, err, err_size);
            if (st != CAPTURE_RECORD) {
                single_sync(r);
                if (r->files[0].status == CAPTURE_RECORD) {
                    if (st == CAPTURE_END)
                        r->files[0].status = CAPTURE_END;
                    else
                        file_info_failed(&r->files[0], st, err);
                }
                return st;
            }
            rec->frame = ++r->records;
            if (r->first_ts == MQTTKA_TIME_NONE)
                r->first_ts = rec->ts;
            r->last_ts = rec->ts;
            if (rec->linktype != r->last_linktype) {
                note_link_type(r, rec->linktype);
                r->last_linktype = rec->linktype;
            }
            if (r->filters && !filter_matches(r->filters, rec))
                continue;
            return CAPTURE_RECORD;
        }
    }
    if (r->kind == CAPTURE_SOURCE_LIVE)
        return live_next(r, rec, err, err_size);
    for (;;) {
        size_t file = 0;
        capture_status st = merge_next(r, rec, &file, err, err_size);
        if (st != CAPTURE_RECORD)
            return st;
        account(r, rec, file);
        merge_note_run(r->merge, file, rec->frame, r->files[file].records);
        if (r->filters && !filter_matches(r->filters, rec))
            continue;
        return CAPTURE_RECORD;
    }
}

bool capture_reader_locate(const capture_reader *r, uint64_t frame, size_t *file,
                           uint64_t *file_frame)
{
    if (frame == 0 || frame > r->records)
        return false;
    if (!r->merge) {
        *file = 0;
        *file_frame = frame;
        return true;
    }
    const capture_merge *m = r->merge;
    if (m->n_runs == 0 || (m->runs_end && frame >= m->runs_end))
        return false;
    /* The last run that starts at or before the frame. */
    size_t lo = 0, hi = m->n_runs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->runs[mid].frame <= frame)
            lo = mid;
        else
            hi = mid;
    }
    *file = m->runs[lo].file;
    *file_frame = m->runs[lo].file_frame + (frame - m->runs[lo].frame);
    return true;
}

void capture_reader_link_names(const capture_reader *r, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    int first[1] = {r->linktype};
    const int *types = r->n_link_types ? r->link_types : first;
    size_t n = r->n_link_types ? r->n_link_types : (r->linktype >= 0 ? 1 : 0);
    for (size_t i = 0; i < n; i++) {
        const char *name = mqttka_link_name((uint32_t)types[i]);
        if (!name)
            name = pcap_datalink_val_to_name(types[i]);
        int k = name ? snprintf(out + used, size - used, "%s%s", i ? "," : "", name)
                     : snprintf(out + used, size - used, "%s%d", i ? "," : "", types[i]);
        if (k < 0 || (size_t)k >= size - used)
            break;
        used += (size_t)k;
    }
    if (r->more_link_types && used + 4 < size)
        memcpy(out + used, ",...", 5);
}

void capture_reader_close(capture_reader *r)
{
    if (r->has_filter && r->kind == CAPTURE_SOURCE_LIVE)
        pcap_freecode(&r->filter);
    r->has_filter = false;
    filter_set_free(r->filters);
    r->filters = NULL;
    if (r->pcap) {
        pcap_close(r->pcap);
        r->pcap = NULL;
    }
    file_close(r->single);
    r->single = NULL;
    r->own = NULL;
    if (r->merge) {
        for (size_t i = 0; i < r->merge->n_open; i++)
            file_close(r->merge->open[i].f);
        free(r->merge->open);
        free(r->merge->done);
        free(r->merge->start);
        free(r->merge->runs);
        free(r->merge);
        r->merge = NULL;
    }
    for (size_t i = 0; i < r->n_files; i++)
        free(r->files[i].error);
    free(r->files);
    r->files = NULL;
    r->n_files = 0;
}
