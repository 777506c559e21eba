/*
 * live.c - the live capture loop.
 *
 * The core never reads a clock: findings that only need time to pass (a
 * PINGREQ still unanswered T_resp after it, a client silent past KAe and
 * 1.5 x KAe) come out of mqttka_tick(now), which also returns when it next
 * has something to say. So the loop waits, in one pselect, for whichever
 * comes first: packets on the capture's descriptor, that deadline, or a stop
 * signal (signals.c). Each wake reads the wall clock (CLOCK_REALTIME, the clock the
 * kernel stamps packets with) before reading what is waiting, so that the
 * tick's "now" never runs ahead of a packet already captured.
 *
 *   open interface -> filter -> drop root (-Z) -> open -w file -> loop:
 *     now = clock; read up to LIVE_BATCH_MAX records (save, push);
 *     tick if a deadline passed or packets may have set a new one;
 *     wait (pselect) for the capture fd, the next deadline or a stop signal
 *   -> mqttka_finish(now): every summary -> counters -> exit status
 *
 * With --report the page is written at the end, and whenever SIGUSR1 comes
 * (between two batches: the capture goes on).
 */
#include "live.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h> /* FD_SETSIZE */
#include <time.h>

#include "analysis.h"
#include "capture_reader.h"
#include "capture_writer.h"
#include "flagged_writer.h"
#include "output.h"
#include "privileges.h"
#include "signals.h"
#ifdef MQTTKA_HAVE_METRICS
#include "metrics.h"
#endif

/* Records read per wake before the clock is read again and signals are
 * looked at: a flood must not keep a deadline or Ctrl-C waiting. */
#define LIVE_BATCH_MAX 1024
/* Ticks walk every flow; after packets they run at most this often (the
 * deadlines they set are seconds away), so a busy link does not tick per
 * packet. Microseconds. */
#define LIVE_TICK_MIN_INTERVAL 20000
/* Longest wait with no deadline: bounds how long a stepped wall clock can
 * delay a tick. Microseconds. */
#define LIVE_MAX_WAIT 1000000

static mqttka_time wall_clock(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (mqttka_time)ts.tv_sec * 1000000 + (mqttka_time)(ts.tv_nsec / 1000);
}

/* Why the loop ended. */
typedef enum live_stop {
    LIVE_RUNNING = 0,
    LIVE_SIGNAL,       /* SIGINT / SIGTERM */
    LIVE_COUNT,        /* -c reached */
    LIVE_OUTPUT_FAILED,
    LIVE_SAVE_FAILED,  /* the -w file could not be written */
    LIVE_FILE_LIMIT,   /* -G -W: the last file is written */
    LIVE_CAPTURE_FAILED,
} live_stop;

typedef struct live_session {
    const cli_options *opts;
    capture_reader reader;
    capture_writer writer;
    bool saving;
    flagged_writer *flagged;  /* --write-flagged */
    output_state out;
    capture_stats stats;
    mqttka_analyzer *analyzer;
    report_file page_file;
    char capture_error[CAPTURE_ERROR_MAX];
} live_session;

/* --metrics: the HTTP server, started before -Z so that any port it may
 * bind as root is bound. Prints one line and returns false on failure. */
static bool live_metrics_start(live_session *s)
{
#ifdef MQTTKA_HAVE_METRICS
    if (!s->opts->metrics_listen)
        return true;
    char err[256];
    s->out.metrics = metrics_start(s->opts->metrics_listen, s->opts->metrics_clients, err,
                                   sizeof err);
    if (!s->out.metrics) {
        fprintf(stderr, "mqttka: --metrics %s: %s\n", s->opts->metrics_listen, err);
        return false;
    }
#else
    (void)s;
#endif
    return true;
}

static void live_metrics_stop(live_session *s)
{
#ifdef MQTTKA_HAVE_METRICS
    metrics_stop(&s->out.metrics);
#else
    (void)s;
#endif
}

/* Opens everything in the order that keeps privileges shortest: the
 * interface and its filter as root, then -Z, then the -w file as the new
 * user (as tcpdump does). Prints one line and returns false on failure. */
static bool live_open(live_session *s)
{
    const cli_options *opts = s->opts;
    char err[CAPTURE_ERROR_MAX];
    if (opts->drop_user && !privileges_user_exists(opts->drop_user, err, sizeof err)) {
        fprintf(stderr, "mqttka: %s\n", err);
        return false;
    }
    capture_live_options live = {
        .promiscuous = opts->promiscuous,
        .snaplen = opts->snaplen,
        .buffer_bytes = opts->buffer_bytes,
    };
    char warning[CAPTURE_ERROR_MAX];
    if (!capture_reader_open_live(&s->reader, opts->interface, &live, err, sizeof err, warning,
                                  sizeof warning)) {
        fprintf(stderr, "mqttka: %s\n", err);
        return false;
    }
    if (warning[0])
        fprintf(stderr, "mqttka: warning: %s\n", warning);
    if (!mqttka_link_name((uint32_t)s->reader.linktype)) {
        const char *link = pcap_datalink_val_to_name(s->reader.linktype);
        fprintf(stderr, "mqttka: %s: link type %d (%s) is not supported\n", opts->interface,
                s->reader.linktype, link ? link : "unknown");
        return false;
    }
    if (opts->filter && !capture_reader_set_filter(&s->reader, opts->filter, err, sizeof err)) {
        fprintf(stderr, "mqttka: bad filter '%s': %s\n", opts->filter, err);
        return false;
    }
    int fd = capture_reader_selectable_fd(&s->reader);
    if (fd < 0 || fd >= FD_SETSIZE) {
        fprintf(stderr, "mqttka: %s: this platform gives no descriptor to wait on\n",
                opts->interface);
        return false;
    }
    if (!live_metrics_start(s))
        return false;
    if (opts->drop_user && !privileges_drop(opts->drop_user, err, sizeof err)) {
        fprintf(stderr, "mqttka: %s\n", err);
        return false;
    }
    if (opts->write_path) {
        capture_ring ring = {
            .file_bytes = opts->ring_file_bytes,
            .seconds = opts->ring_seconds,
            .files = opts->ring_files,
        };
        if (!capture_writer_open(&s->writer, opts->write_path, &s->reader, &ring, err,
                                 sizeof err)) {
            fprintf(stderr, "mqttka: -w %s\n", err);
            return false;
        }
        s->saving = true;
    }
    if (opts->write_flagged) {
        s->flagged = flagged_writer_open(opts->write_flagged, opts->config.max_flows, err,
                                         sizeof err);
        if (!s->flagged) {
            fprintf(stderr, "mqttka: --write-flagged %s\n", err);
            return false;
        }
        s->out.flagged = s->flagged;
    }
    if (!analysis_report_open(opts, &s->page_file, &s->out))
        return false;
    if (!signals_install(opts->report_path != NULL, err, sizeof err)) {
        fprintf(stderr, "mqttka: %s\n", err);
        return false;
    }
    s->analyzer = analysis_start(opts, &s->out);
    return s->analyzer != NULL;
}

/* Reads what is waiting, up to LIVE_BATCH_MAX records. Returns how many were
 * read; sets *stop when the loop must end. */
static size_t live_drain(live_session *s, live_stop *stop)
{
    size_t n = 0;
    while (n < LIVE_BATCH_MAX) {
        capture_record rec;
        capture_status cs =
            capture_reader_next(&s->reader, &rec, s->capture_error, sizeof s->capture_error);
        if (cs == CAPTURE_NONE)
            break;
        if (cs != CAPTURE_RECORD) {
            *stop = LIVE_CAPTURE_FAILED;
            break;
        }
        n++;
        if (s->out.capture_start == MQTTKA_TIME_NONE)
            s->out.capture_start = s->reader.first_ts;
        /* Saved before it is analysed: the file holds every record a
         * finding can name. */
        if (s->saving && !capture_writer_write(&s->writer, &rec)) {
            *stop = s->writer.limit_reached ? LIVE_FILE_LIMIT : LIVE_SAVE_FAILED;
            break;
        }
        mqttka_segment seg;
        bool tcp = analysis_record_segment(rec.linktype, &rec, &s->stats, &seg);
        if (s->flagged)
            flagged_writer_hold(s->flagged, &rec, tcp ? &seg : NULL);
        if (tcp)
            (void)mqttka_push(s->analyzer, &seg); /* NOMEM: a resource_limit finding */
        if (s->flagged)
            flagged_writer_after_push(s->flagged);
        if (s->out.write_error) {
            *stop = LIVE_OUTPUT_FAILED;
            break;
        }
        if (s->opts->count && s->reader.records >= s->opts->count) {
            *stop = LIVE_COUNT;
            break;
        }
    }
    /* Whole records on disk at every wake, as tcpdump -U. */
    if (n && s->saving && !capture_writer_flush(&s->writer) && *stop == LIVE_RUNNING)
        *stop = LIVE_SAVE_FAILED;
    if (n && s->flagged && !flagged_writer_flush(s->flagged) && *stop == LIVE_RUNNING)
        *stop = LIVE_SAVE_FAILED;
    return n;
}

/* Waits for packets, `until` (a wall-clock time, or NONE) or a stop signal.
 * Returns false on an error other than a signal. */
static bool live_wait(live_session *s, mqttka_time until)
{
    mqttka_time wait = LIVE_MAX_WAIT;
    if (until != MQTTKA_TIME_NONE) {
        mqttka_time left = until - wall_clock();
        wait = left < 0 ? 0 : left < wait ? left : wait;
    }
    struct timespec timeout = {(time_t)(wait / 1000000), (long)(wait % 1000000) * 1000};
    if (signals_wait(capture_reader_selectable_fd(&s->reader), &timeout) < 0) {
        snprintf(s->capture_error, sizeof s->capture_error, "waiting for packets: %s",
                 strerror(errno));
        return false;
    }
    return true;
}

/* The page as things are now: closed connections, and the open ones
 * drawn up to `now`. A failure is told and the capture goes on. */
static bool live_write_report(live_session *s, mqttka_time now, bool snapshot)
{
    s->stats.records = s->reader.records;
    s->stats.first_ts = s->reader.first_ts;
    s->stats.last_ts = s->reader.last_ts;
    report_page page = {
        .input = s->opts->interface,
        .live = true,
        .snapshot = snapshot,
        .stats = &s->stats,
        .origin = s->reader.first_ts,
        .now = now,
    };
    return analysis_report_write(&s->page_file, &s->out, &page);
}

static mqttka_time earliest(mqttka_time a, mqttka_time b)
{
    if (a == MQTTKA_TIME_NONE)
        return b;
    if (b == MQTTKA_TIME_NONE)
        return a;
    return a < b ? a : b;
}

static live_stop live_loop(live_session *s)
{
    live_stop stop = LIVE_RUNNING;
    mqttka_time deadline = MQTTKA_TIME_NONE; /* the core's next one */
    mqttka_time last_tick = MQTTKA_TIME_NONE;
    bool untold = false; /* packets pushed since the last tick */
    for (;;) {
        if (signals_stop_requested())
            return LIVE_SIGNAL;
        mqttka_time now = wall_clock();
        if (signals_take_report_request())
            (void)live_write_report(s, now, true);
        size_t n = live_drain(s, &stop);
        if (stop != LIVE_RUNNING)
            return stop;
        untold = untold || n > 0;
        /* Packets may start or move a deadline (a PINGREQ, a CONNACK), and
         * only a tick tells the new one. */
        bool due = deadline != MQTTKA_TIME_NONE && now >= deadline;
        bool tell = untold && (last_tick == MQTTKA_TIME_NONE ||
                               now - last_tick >= LIVE_TICK_MIN_INTERVAL);
        if (due || tell) {
            deadline = mqttka_tick(s->analyzer, now);
            last_tick = now;
            untold = false;
            if (s->out.write_error)
                return LIVE_OUTPUT_FAILED;
        }
        if (n == LIVE_BATCH_MAX)
            continue; /* more is waiting */
        mqttka_time wake = deadline;
        if (untold)
            wake = earliest(wake, last_tick + LIVE_TICK_MIN_INTERVAL);
        if (!live_wait(s, wake))
            return LIVE_CAPTURE_FAILED;
    }
}

/* The counters, as tcpdump prints them when it stops. */
static void print_counters(const live_session *s)
{
    fprintf(stderr, "mqttka: %llu packets captured", (unsigned long long)s->reader.records);
    if (s->stats.have_counters)
        fprintf(stderr, ", %llu received by filter, %llu dropped by kernel, "
                        "%llu dropped by interface",
                (unsigned long long)s->stats.received, (unsigned long long)s->stats.dropped,
                (unsigned long long)s->stats.if_dropped);
    fputc('\n', stderr);
}

int live_run(const cli_options *opts)
{
    live_session s;
    memset(&s, 0, sizeof s);
    s.opts = opts;
    output_start(&s.out, stdout, true, opts);
    char err[CAPTURE_ERROR_MAX];
    if (!live_open(&s)) {
        if (s.saving)
            (void)capture_writer_close(&s.writer, err, sizeof err);
        (void)flagged_writer_close(&s.flagged, NULL, err, sizeof err);
        (void)analysis_report_close(&s.page_file, &s.out);
        capture_reader_close(&s.reader);
        live_metrics_stop(&s);
        output_release(&s.out);
        return EXIT_TROUBLE;
    }
    s.stats.link_name = mqttka_link_name((uint32_t)s.reader.linktype);
    s.stats.interface = opts->interface;
    fprintf(stderr, "mqttka: listening on %s, link type %s, snapshot length %d bytes\n",
            opts->interface, s.stats.link_name, pcap_snapshot(s.reader.pcap));

    live_stop stop = live_loop(&s);

    /* The capture ends now, not at its last packet: silences run to here. */
    mqttka_time end = wall_clock();
    if (s.reader.last_ts != MQTTKA_TIME_NONE && s.reader.last_ts > end)
        end = s.reader.last_ts;
    mqttka_finish(s.analyzer, end);
    mqttka_get_counts(s.analyzer, &s.stats.counts);
    mqttka_free(&s.analyzer);

    s.stats.records = s.reader.records;
    s.stats.first_ts = s.reader.first_ts;
    s.stats.last_ts = s.reader.last_ts;
    s.stats.complete = stop != LIVE_CAPTURE_FAILED;
    s.stats.have_counters = capture_reader_live_stats(&s.reader, &s.stats.received,
                                                      &s.stats.dropped, &s.stats.if_dropped);
    if (!s.out.write_error) {
        output_run_end(&s.out, &s.stats);
        errno = 0;
        output_flush(&s.out);
        if (fflush(stdout) != 0 || ferror(stdout))
            s.out.write_error = errno ? errno : EIO;
    }
    print_counters(&s);

    if (stop == LIVE_FILE_LIMIT)
        fprintf(stderr, "mqttka: maximum file limit reached: %u\n", (unsigned)opts->ring_files);

    int status = EXIT_DONE;
    if (analysis_fail_threshold_reached(opts, &s.out)) {
        analysis_report_fail(opts, &s.out, stderr);
        status = EXIT_FINDINGS;
    }
    if (s.page_file.path) {
        bool written = live_write_report(&s, end, false);
        if (!analysis_report_close(&s.page_file, &s.out) || !written)
            status = EXIT_TROUBLE;
    }
    if (s.saving && !capture_writer_close(&s.writer, err, sizeof err)) {
        fprintf(stderr, "mqttka: -w %s\n", err);
        status = EXIT_TROUBLE;
    }
    if (s.flagged) {
        flagged_counts counts;
        if (flagged_writer_close(&s.flagged, &counts, err, sizeof err)) {
            analysis_flagged_report(opts->write_flagged, &counts);
        } else {
            fprintf(stderr, "mqttka: --write-flagged %s\n", err);
            status = EXIT_TROUBLE;
        }
    }
    /* A reader that went away (`| head`) is the normal end of a pipeline;
     * any other failed write loses findings and says so. */
    if (s.out.write_error && s.out.write_error != EPIPE) {
        fprintf(stderr, "mqttka: cannot write the output: %s\n", strerror(s.out.write_error));
        status = EXIT_TROUBLE;
    }
    if (stop == LIVE_CAPTURE_FAILED) {
        fprintf(stderr, "mqttka: %s: capture failed after %llu records (%s)\n", opts->interface,
                (unsigned long long)s.reader.records, s.capture_error);
        status = EXIT_TROUBLE;
    }
    capture_reader_close(&s.reader);
    live_metrics_stop(&s);
    output_release(&s.out);
    return status;
}
