/*
 * analysis.c - records into the core, events out; shared by main.c (files)
 * and live.c (interfaces).
 */
#include "analysis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/compiler.h" /* OUT_OF_LINE */
#include "flagged_writer.h"

#ifdef MQTTKA_HAVE_METRICS
#include "metrics.h"
#endif

/* A finding at or above --fail-on's level, counted by kind. */
static void fail_tally_note(fail_tally *t, const mqttka_finding *f, uint64_t conn)
{
    if ((unsigned)f->kind >= MQTTKA_F_COUNT)
        return;
    if (t->count[f->kind]++ == 0) {
        t->first_conn[f->kind] = conn;
        t->first_frame[f->kind] = f->tag;
        t->order[t->n_kinds++] = (uint8_t)f->kind;
    }
}

static bool reaches(fail_threshold t, mqttka_severity s)
{
    return (t == FAIL_ON_WARN && s >= MQTTKA_WARN) || (t == FAIL_ON_ERROR && s >= MQTTKA_ERROR);
}

/* Does every event need the connection's entry? JSON writes the uid on
 * every event; live --metrics counts connections at their first event. */
static bool every_event_needs_entry(const output_state *o)
{
    return o->metrics || o->conns.keep_ids;
}

/* A summary's entry, made only where every event needs one (else a
 * connection without findings has none), and its ids: kept for JSON, else
 * worked out here (nothing keeps them: conn_table.h). Out of the per-event
 * path, which it would otherwise slow down. */
static OUT_OF_LINE void summary_extra(output_state *o, const mqttka_connection *c, event_extra *x,
                                      bool *created)
{
    if (every_event_needs_entry(o))
        x->conn = conn_table_get(&o->conns, c, created);
    else
        x->conn = conn_table_find(&o->conns, c->id);
    x->ids = conn_table_ids(&o->conns, x->conn, c);
    if (!x->ids) {
        conn_ids_of(&o->conns, c, &o->summary_ids);
        x->ids = &o->summary_ids;
    }
}

/* A finding's severity into the run's worst and --fail-on's tally. */
static inline void note_severity(output_state *o, const mqttka_finding *f,
                                 const mqttka_connection *c)
{
    mqttka_severity sev = f->severity;
    if (!o->finding_seen || sev > o->worst_severity)
        o->worst_severity = sev;
    o->finding_seen = true;
    if (reaches(o->fail_on, sev))
        fail_tally_note(&o->fail, f, c ? c->id : 0);
}

/* Every event but the commonest kinds (see analysis_on_event). */
static OUT_OF_LINE void on_any_event(output_state *o, const mqttka_event *ev)
{
    event_extra x = {NULL, false, NULL};
    const mqttka_connection *c = ev->conn;
    if (ev->type == MQTTKA_EV_CONNECTION && ev->u.summary && ev->u.summary->conn)
        c = ev->u.summary->conn;
    bool created = false;
    if (ev->type == MQTTKA_EV_FINDING && ev->u.finding) {
        const mqttka_finding *f = ev->u.finding;
        note_severity(o, f, c);
        /* Grouped by cause, except the per-pair RTTs (conn_table.h). */
        if (f->kind != MQTTKA_F_PINGRESP_RTT) {
            x.conn = conn_table_get(&o->conns, c, &created);
            if (x.conn)
                x.repeat = conn_entry_note_finding(x.conn, f);
        }
    } else if (ev->type == MQTTKA_EV_MQTT_PACKET && ev->u.mqtt.rtt != MQTTKA_TIME_NONE) {
        fleet_note_rtt(&o->fleet, ev->u.mqtt.rtt);
    }
    if (ev->type == MQTTKA_EV_CONNECTION) {
        if (c)
            summary_extra(o, c, &x, &created);
    } else if (every_event_needs_entry(o)) {
        if (!x.conn)
            x.conn = conn_table_get(&o->conns, c, &created);
        x.ids = conn_table_ids(&o->conns, x.conn, c);
    }
#ifdef MQTTKA_HAVE_METRICS
    if (o->metrics)
        metrics_note_event(o->metrics, ev, created);
#endif
    if (ev->type == MQTTKA_EV_CONNECTION && ev->u.summary)
        fleet_note_connection(&o->fleet, ev->u.summary, c, x.conn);

    if (o->flagged)
        flagged_writer_on_event(o->flagged, ev);
    /* The page draws what the outputs write, whatever becomes of them. */
    report_event(o->report, ev);
    /* A closed pipe (`mqttka -i lo | head`) fails every later write too:
     * stop writing, and let the caller end the run. The line buffer notes
     * a failed write when it hands bytes to the FILE (within this event's
     * output, when that filled it or flushed it). */
    if (!o->write_error) {
        switch (o->format) {
        case OUTPUT_JSON: output_json_event(o, ev, &x); break;
        case OUTPUT_CSV: output_csv_event(o, ev, &x); break;
        case OUTPUT_TEXT:
        default: output_text_event(o, ev, &x); break;
        }
        o->write_error = o->line.write_error;
    }
    /* The summary is the last event about a connection. */
    if (ev->type == MQTTKA_EV_CONNECTION && c)
        conn_table_remove(&o->conns, c->id);
}

void analysis_on_event(void *user_data, const mqttka_event *ev)
{
    output_state *o = user_data;
    /* Most events are MQTT packets, and most runs write a timeline with
     * nothing else to feed: such an event needs no connection entry, only
     * its RTT counted and its line written, which on_any_event does too,
     * after a dozen tests and with a large function's register saves around
     * them (BENCHMARKS.md, "Small packets"). */
    bool plain_timeline = o->plain_timeline;
    if (ev->type == MQTTKA_EV_MQTT_PACKET && plain_timeline) {
        if (ev->u.mqtt.rtt != MQTTKA_TIME_NONE)
            fleet_note_rtt(&o->fleet, ev->u.mqtt.rtt);
        if (!o->write_error) {
            output_text_mqtt(o, ev);
            o->write_error = o->line.write_error;
        }
        return;
    }
    /* The next commonest, a pingresp_rtt finding after each PINGRESP: the
     * timeline writes it only with -v and groups it nowhere (conn_table.h),
     * so it counts only for the worst severity and --fail-on. */
    if (ev->type == MQTTKA_EV_FINDING && ev->u.finding &&
        ev->u.finding->kind == MQTTKA_F_PINGRESP_RTT && !o->verbose && plain_timeline) {
        note_severity(o, ev->u.finding, ev->conn);
        if (!o->write_error) {
            if (o->flush_each_event)
                line_buffer_flush(&o->line);
            o->write_error = o->line.write_error;
        }
        return;
    }
    on_any_event(o, ev);
}

void output_start(output_state *o, FILE *out, bool flush_each_event, const cli_options *opts)
{
    o->out = out;
    line_buffer_init(&o->line, out);
    o->flush_each_event = flush_each_event;
    o->format = opts->format;
    o->quiet = opts->quiet;
    o->verbose = opts->verbose;
    o->fail_on = opts->fail_on;
    o->time_format = opts->time_format;
    o->capture_start = MQTTKA_TIME_NONE;
    o->finding_seen = false;
    o->worst_severity = MQTTKA_INFO;
    o->csv_header_done = false;
    memset(&o->fail, 0, sizeof o->fail);
    conn_table_init(&o->conns, opts->community_id_seed,
                    opts->format == OUTPUT_JSON && !opts->quiet);
    fleet_init(&o->fleet, opts->max_clients);
    o->client_rows = opts->client_rows;
    o->metrics = NULL;
    o->plain_timeline = false;
    o->time_column_from = OUTPUT_TIME_COLUMN_NONE;
    for (uint8_t t = 0; t < MQTTKA_MQTT_TYPES; t++) {
        const char *name = mqttka_mqtt_type_name(t);
        size_t len = name ? strlen(name) : SIZE_MAX;
        memset(o->mqtt_type_names[t].text, 0, OUTPUT_TYPE_NAME_ROOM);
        if (len <= OUTPUT_TYPE_NAME_ROOM)
            memcpy(o->mqtt_type_names[t].text, name, len);
        o->mqtt_type_names[t].len = len;
    }
}

void output_release(output_state *o)
{
    conn_table_free(&o->conns);
    fleet_free(&o->fleet);
}

void output_flush(output_state *o)
{
    line_buffer_flush(&o->line);
}

void output_run_end(output_state *o, const capture_stats *s)
{
    switch (o->format) {
    case OUTPUT_JSON:
        output_json_clients(o);
        output_json_fleet(o);
        output_json_capture(o, s);
        break;
    case OUTPUT_CSV:
        /* One line per connection, nothing else: a header alone when none. */
        output_csv_event(o, NULL, NULL);
        break;
    case OUTPUT_TEXT:
    default:
        output_text_clients(o);
        output_text_fleet(o);
        output_text_capture(o, s);
        break;
    }
}

bool analysis_record_segment(int linktype, const capture_record *rec, capture_stats *stats,
                             mqttka_segment *seg)
{
    stats->matched++;
    switch (mqttka_frame_to_segment((uint32_t)linktype, rec->data, rec->captured_len,
                                    rec->wire_len, seg)) {
    case MQTTKA_FRAME_TCP:
        seg->ts = rec->ts;
        seg->tag = rec->frame;
        stats->tcp_segments++;
        if (seg->captured_len < seg->wire_len)
            stats->payload_cut++;
        return true;
    case MQTTKA_FRAME_NOT_TCP:
    case MQTTKA_FRAME_UNSUPPORTED_LINK: stats->not_tcp++; break;
    case MQTTKA_FRAME_FRAGMENT: stats->ip_fragments++; break;
    case MQTTKA_FRAME_SNAPPED: stats->snapped++; break;
    case MQTTKA_FRAME_MALFORMED: stats->malformed++; break;
    }
    return false;
}

bool analysis_fail_threshold_reached(const cli_options *opts, const output_state *o)
{
    if (!o->finding_seen)
        return false;
    switch (opts->fail_on) {
    case FAIL_ON_WARN: return o->worst_severity >= MQTTKA_WARN;
    case FAIL_ON_ERROR: return o->worst_severity >= MQTTKA_ERROR;
    case FAIL_NEVER: break;
    }
    return false;
}

void analysis_report_fail(const cli_options *opts, const output_state *o, FILE *err)
{
    const fail_tally *t = &o->fail;
    uint64_t total = 0;
    for (size_t i = 0; i < t->n_kinds; i++)
        total += t->count[t->order[i]];
    fprintf(err, "mqttka: --fail-on %s: %llu finding%s:", opts->fail_on == FAIL_ON_WARN ? "warn" : "error",
            (unsigned long long)total, total == 1 ? "" : "s");
    for (size_t i = 0; i < t->n_kinds; i++) {
        unsigned k = t->order[i];
        fprintf(err, "%s %s x%llu (first #%llu", i ? "," : "",
                mqttka_finding_name((mqttka_finding_kind)k), (unsigned long long)t->count[k],
                (unsigned long long)t->first_conn[k]);
        if (t->first_frame[k])
            fprintf(err, " frame %llu)", (unsigned long long)t->first_frame[k]);
        else
            fputs(" end of capture)", err);
    }
    fputc('\n', err);
}

/* A key log is text of a line per session; more than this is no key log. */
#define KEYLOG_FILE_MAX (256u * 1024 * 1024)

/* Overwrites a buffer that held secrets, in a way the compiler keeps. */
static void wipe(char *p, size_t n)
{
    volatile char *b = p;
    while (n--)
        *b++ = 0;
}

/* Reads --tls-keylog and hands its text to the core; the copy read here is
 * wiped at once. The secrets are never printed: errors name the file and
 * what is wrong, never a line's content. */
static bool load_keylog(mqttka_analyzer *a, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mqttka: %s: cannot read the TLS key log (%s)\n", path, strerror(errno));
        return false;
    }
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc(cap);
    bool ok = text != NULL;
    while (ok) {
        if (len == cap) {
            char *grown = cap < KEYLOG_FILE_MAX ? malloc(cap * 2) : NULL;
            if (!grown) {
                fprintf(stderr, "mqttka: %s: the TLS key log is too big (more than %u MiB)\n", path,
                        KEYLOG_FILE_MAX / (1024 * 1024));
                ok = false;
                break;
            }
            memcpy(grown, text, len);
            wipe(text, len);
            free(text);
            text = grown;
            cap *= 2;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                fprintf(stderr, "mqttka: %s: cannot read the TLS key log (%s)\n", path,
                        strerror(errno));
                ok = false;
            }
            break;
        }
    }
    fclose(f);
    if (!text) {
        fprintf(stderr, "mqttka: %s: out of memory\n", path);
        return false;
    }
    size_t keys = 0, bad = 0;
    mqttka_status st = ok ? mqttka_set_tls_keylog(a, text, len, &keys, &bad) : MQTTKA_OK;
    wipe(text, cap);
    free(text);
    if (ok && st == MQTTKA_ERR_NOMEM) {
        fprintf(stderr, "mqttka: %s: out of memory (or libgcrypt would not start)\n", path);
        ok = false;
    } else if (ok && st != MQTTKA_OK) {
        fprintf(stderr,
                "mqttka: %s: no TLS key log line in it (NSS key log format: CLIENT_RANDOM or "
                "*_TRAFFIC_SECRET lines%s)\n",
                path, bad ? "; some were not well formed" : "");
        ok = false;
    }
    return ok;
}

/* Whether anything of the run uses the pingresp_rtt findings: not a text
 * run without -v that writes nothing else, where analysis_on_event would
 * only count their severity, info, which reaches no --fail-on threshold. */
static bool pair_findings_used(const cli_options *opts)
{
    return opts->format != OUTPUT_TEXT || opts->verbose || opts->metrics_listen ||
           opts->write_flagged || opts->report_path;
}

mqttka_analyzer *analysis_start(const cli_options *opts, output_state *out)
{
    mqttka_analyzer *analyzer = NULL;
    mqttka_config config = opts->config;
    config.per_pair_findings = pair_findings_used(opts);
    /* Every output and consumer is known by now (flagged, report, metrics
     * are set before the analyzer starts), and none changes until it ends. */
    out->plain_timeline = out->format == OUTPUT_TEXT && !every_event_needs_entry(out) &&
                          !out->flagged && !out->report;
    mqttka_status st = mqttka_new(&analyzer, &config, analysis_on_event, out);
    if (st != MQTTKA_OK) {
        fprintf(stderr, "mqttka: cannot start the analyzer: %s\n",
                st == MQTTKA_ERR_NOMEM ? "out of memory" : "invalid configuration");
        return NULL;
    }
    if (opts->tls_keylog_path && !load_keylog(analyzer, opts->tls_keylog_path)) {
        mqttka_free(&analyzer);
        return NULL;
    }
    return analyzer;
}

/* What --write-flagged wrote, in one line on standard error. */
void analysis_flagged_report(const char *path, const flagged_counts *c)
{
    fprintf(stderr,
            "mqttka: --write-flagged %s: %llu packets of %llu flagged connections, %llu "
            "findings as comments",
            path, (unsigned long long)c->written, (unsigned long long)c->connections,
            (unsigned long long)c->comments);
    if (c->not_kept)
        fprintf(stderr, ", %llu packets not kept", (unsigned long long)c->not_kept);
    if (c->comments_lost)
        fprintf(stderr, ", %llu findings with no packet to carry them",
                (unsigned long long)c->comments_lost);
    fputc('\n', stderr);
}

bool analysis_report_open(const cli_options *opts, report_file *rf, output_state *o)
{
    rf->path = opts->report_path;
    rf->direct = NULL;
    o->report = NULL;
    if (!rf->path)
        return true;
    FILE *f = fopen(rf->path, "w");
    if (!f) {
        fprintf(stderr, "mqttka: --report %s: %s\n", rf->path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode))
        rf->direct = f;
    else
        fclose(f);
    report_limits limits = {
        .detail = opts->report_detail,
        .rows = opts->report_rows,
        .item_budget = REPORT_ITEM_BUDGET_DEFAULT,
    };
    o->report = report_new(&limits);
    if (!o->report) {
        fprintf(stderr, "mqttka: --report %s: out of memory\n", rf->path);
        (void)analysis_report_close(rf, o);
        return false;
    }
    return true;
}

/* The page into `f`; false on a write error. */
static bool write_page(output_state *o, FILE *f, const report_page *page)
{
    return report_write(o->report, f, page) && fflush(f) == 0;
}

bool analysis_report_write(report_file *rf, output_state *o, const report_page *page)
{
    if (!rf->path || !o->report)
        return true;
    errno = 0;
    bool ok;
    if (rf->direct) {
        ok = write_page(o, rf->direct, page);
        clearerr(rf->direct);
    } else {
        /* Beside the file, then over it; where no file can be made beside
         * it (a folder we may not write to), in place. */
        char partial[4096];
        int n = snprintf(partial, sizeof partial, "%s.partial", rf->path);
        FILE *f = n > 0 && (size_t)n < sizeof partial ? fopen(partial, "w") : NULL;
        if (f) {
            ok = write_page(o, f, page);
            ok = fclose(f) == 0 && ok;
            ok = ok && rename(partial, rf->path) == 0;
            if (!ok)
                (void)remove(partial);
        } else {
            f = fopen(rf->path, "w");
            ok = f && write_page(o, f, page);
            ok = f && fclose(f) == 0 && ok;
        }
    }
    if (!ok)
        fprintf(stderr, "mqttka: --report %s: cannot write the report: %s\n", rf->path,
                errno ? strerror(errno) : "write error");
    return ok;
}

bool analysis_report_close(report_file *rf, output_state *o)
{
    bool ok = true;
    if (rf->direct && fclose(rf->direct) != 0) {
        fprintf(stderr, "mqttka: --report %s: %s\n", rf->path, strerror(errno));
        ok = false;
    }
    rf->direct = NULL;
    report_free(&o->report);
    return ok;
}
