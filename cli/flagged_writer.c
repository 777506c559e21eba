/*
 * flagged_writer.c - held packets per TCP connection, written to a pcapng
 * file with comments once the connection is known to have a finding.
 *
 *   record -> hold: connection entry (by address pair) -> held packet, at
 *             the end of the entry's list and of a global FIFO (head packets
 *             and the others in two FIFOs)
 *          -> the core's events for that record: a warn/error finding flags
 *             the entry and becomes a comment; a summary ends the entry
 *          -> limits: per entry (tail packets, bytes) and global (bytes):
 *             the oldest packet goes, written if flagged, else dropped
 *
 * An entry's list is in capture order and is written from its front, so
 * a connection's packets come out in order: writing one packet first writes
 * every packet of its connection held before it.
 */
#include "flagged_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttka.h"
#include "pcapng_writer.h"

/* A comment's text, at most. */
#define FLAGGED_COMMENT_SIZE 512
/* Link types given an interface in the file. */
#define FLAGGED_LINK_TYPES_MAX 16

typedef struct held_packet held_packet;
typedef struct flow_entry flow_entry;

struct held_packet {
    held_packet *fifo_prev, *fifo_next; /* the global FIFO it is in */
    held_packet *prev, *next;           /* its connection's list */
    flow_entry *flow;
    uint64_t frame;
    mqttka_time ts;
    int linktype;
    uint32_t captured_len, wire_len;
    bool head;
    uint64_t gap;                       /* packets not kept just before this one */
    uint64_t gap_first, gap_last;       /* their frames */
    uint8_t n_comments;
    uint32_t comments_over;             /* findings beyond FLAGGED_COMMENTS_MAX */
    char *comments[FLAGGED_COMMENTS_MAX];
    size_t cost;
    uint8_t data[];
};

typedef struct fifo {
    held_packet *oldest, *newest;
} fifo;

struct flow_entry {
    flow_entry *hash_next;
    flow_entry *lru_prev, *lru_next;    /* least recently seen first */
    mqttka_endpoint a, b;               /* the address pair, a < b */
    held_packet *first, *last;
    size_t seen;                        /* packets held so far, up to the head's */
    size_t n_tail, tail_bytes;
    bool flagged;
    bool fin_a, fin_b, rst;             /* as the core ends a flow */
    uint64_t gap;                       /* packets not kept after the last held one */
    uint64_t gap_first, gap_last;       /* their frames */
    char *pending[FLAGGED_COMMENTS_MAX]; /* comments with no packet held yet */
    uint8_t n_pending;
};

struct flagged_writer {
    const char *path;
    FILE *file;
    pcapng_writer ng;
    int link_dlt[FLAGGED_LINK_TYPES_MAX];
    uint32_t link_id[FLAGGED_LINK_TYPES_MAX];
    size_t n_links;
    flow_entry **buckets;
    size_t n_buckets, n_entries, max_entries;
    flow_entry *lru_oldest, *lru_newest;
    fifo heads, tails;
    size_t memory;
    flow_entry *current;                /* the entry of the record being pushed */
    uint8_t current_flags;
    bool current_from_a;
    bool failed;
    int error;
    flagged_counts counts;
};

/* ------------------------------------------------------------------------ */
/* The address pair                                                          */

static int endpoint_cmp(const mqttka_endpoint *x, const mqttka_endpoint *y)
{
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    int c = memcmp(x->addr, y->addr, sizeof x->addr);
    if (c)
        return c;
    return x->port < y->port ? -1 : x->port > y->port;
}

/* Mixes an endpoint into `h`: its address as two 64-bit words, its port
 * and family (a multiply-xorshift per word: per packet, so not byte by byte). */
static uint64_t hash_endpoint(uint64_t h, const mqttka_endpoint *e)
{
    uint64_t words[2];
    memcpy(words, e->addr, sizeof words);
    uint64_t extra = ((uint64_t)e->port << 8) | e->family;
    for (int i = 0; i < 3; i++) {
        h ^= i < 2 ? words[i] : extra;
        h *= 0x9e3779b97f4a7c15ull;
        h ^= h >> 32;
    }
    return h;
}

static size_t bucket_of(const flagged_writer *w, const mqttka_endpoint *a,
                        const mqttka_endpoint *b)
{
    uint64_t h = hash_endpoint(hash_endpoint(0x243f6a8885a308d3ull, a), b);
    return (size_t)(h ^ (h >> 29)) & (w->n_buckets - 1);
}

/* The entry of the pair (either order); NULL when none. */
static flow_entry *lookup(const flagged_writer *w, const mqttka_endpoint *x,
                          const mqttka_endpoint *y)
{
    const mqttka_endpoint *a = x, *b = y;
    if (endpoint_cmp(x, y) > 0) {
        a = y;
        b = x;
    }
    for (flow_entry *e = w->buckets[bucket_of(w, a, b)]; e; e = e->hash_next)
        if (endpoint_cmp(&e->a, a) == 0 && endpoint_cmp(&e->b, b) == 0)
            return e;
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Lists                                                                     */

static void fifo_push(fifo *f, held_packet *p)
{
    p->fifo_prev = f->newest;
    p->fifo_next = NULL;
    if (f->newest)
        f->newest->fifo_next = p;
    else
        f->oldest = p;
    f->newest = p;
}

static void fifo_unlink(fifo *f, held_packet *p)
{
    if (p->fifo_prev)
        p->fifo_prev->fifo_next = p->fifo_next;
    else
        f->oldest = p->fifo_next;
    if (p->fifo_next)
        p->fifo_next->fifo_prev = p->fifo_prev;
    else
        f->newest = p->fifo_prev;
}

static void lru_unlink(flagged_writer *w, flow_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        w->lru_oldest = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        w->lru_newest = e->lru_prev;
}

static void lru_touch(flagged_writer *w, flow_entry *e)
{
    if (w->lru_newest == e)
        return;
    lru_unlink(w, e);
    e->lru_prev = w->lru_newest;
    e->lru_next = NULL;
    if (w->lru_newest)
        w->lru_newest->lru_next = e;
    else
        w->lru_oldest = e;
    w->lru_newest = e;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

static void note_failure(flagged_writer *w)
{
    if (!w->failed) {
        w->failed = true;
        w->error = errno ? errno : EIO;
    }
}

/* The file's interface for a link type, described the first time. */
static bool interface_for(flagged_writer *w, int dlt, uint32_t *id)
{
    for (size_t i = 0; i < w->n_links; i++) {
        if (w->link_dlt[i] == dlt) {
            *id = w->link_id[i];
            return true;
        }
    }
    if (w->n_links == FLAGGED_LINK_TYPES_MAX)
        return false;
    if (!pcapng_writer_interface(&w->ng, pcapng_linktype_from_dlt(dlt), CAPTURE_LIVE_SNAPLEN,
                                 NULL, id)) {
        note_failure(w);
        return false;
    }
    w->link_dlt[w->n_links] = dlt;
    w->link_id[w->n_links++] = *id;
    return true;
}

static void free_packet(flagged_writer *w, held_packet *p)
{
    w->memory -= p->cost;
    for (size_t i = 0; i < p->n_comments; i++)
        free(p->comments[i]);
    free(p);
}

/* Takes `p` off its connection's list and its FIFO. */
static void unlink_packet(flagged_writer *w, held_packet *p)
{
    flow_entry *e = p->flow;
    if (p->prev)
        p->prev->next = p->next;
    else
        e->first = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        e->last = p->prev;
    fifo_unlink(p->head ? &w->heads : &w->tails, p);
    if (!p->head) {
        e->n_tail--;
        e->tail_bytes -= p->captured_len;
    }
}

static void write_packet(flagged_writer *w, held_packet *p)
{
    const char *comments[FLAGGED_COMMENTS_MAX + 2];
    size_t n = 0;
    char gap[FLAGGED_COMMENT_SIZE], over[96];
    if (p->gap) {
        snprintf(gap, sizeof gap,
                 "mqttka: %llu packets of this connection before this one (frames %llu..%llu "
                 "of the input) were not kept: --write-flagged keeps the first %d and the "
                 "last %d packets of a connection until it has a finding",
                 (unsigned long long)p->gap, (unsigned long long)p->gap_first,
                 (unsigned long long)p->gap_last, FLAGGED_HEAD_PACKETS, FLAGGED_TAIL_PACKETS);
        comments[n++] = gap;
        w->counts.not_kept += p->gap;
    }
    for (size_t i = 0; i < p->n_comments; i++)
        comments[n++] = p->comments[i];
    if (p->comments_over) {
        snprintf(over, sizeof over, "mqttka: and %u more findings about this packet",
                 (unsigned)p->comments_over);
        comments[n++] = over;
    }
    uint32_t id;
    if (!w->failed && interface_for(w, p->linktype, &id)) {
        errno = 0;
        if (pcapng_writer_packet_on(&w->ng, id, p->ts < 0 ? 0 : p->ts, p->data,
                                    p->captured_len, p->wire_len, comments, n))
            w->counts.written++;
        else
            note_failure(w);
    }
    w->counts.comments += p->n_comments + p->comments_over;
}

/* Adds `n` packets, frames first..last, to a gap (the frames it spans). */
static void note_gap(uint64_t *gap, uint64_t *gap_first, uint64_t *gap_last, uint64_t n,
                     uint64_t first, uint64_t last)
{
    if (!*gap || first < *gap_first)
        *gap_first = first;
    if (!*gap || last > *gap_last)
        *gap_last = last;
    *gap += n;
}

/* Lets `p` go: written with every packet of its connection held before it
 * when the connection is flagged, else dropped (and counted in the gap). */
static void release(flagged_writer *w, held_packet *p)
{
    flow_entry *e = p->flow;
    if (e->flagged) {
        held_packet *q;
        do {
            q = e->first;
            unlink_packet(w, q);
            write_packet(w, q);
            free_packet(w, q);
        } while (q != p);
        return;
    }
    /* Dropped: the packet after it says what is missing before it. */
    uint64_t gap = p->gap + 1;
    uint64_t first = p->gap ? p->gap_first : p->frame;
    held_packet *next = p->next;
    unlink_packet(w, p);
    note_gap(next ? &next->gap : &e->gap, next ? &next->gap_first : &e->gap_first,
             next ? &next->gap_last : &e->gap_last, gap, first, p->frame);
    w->counts.comments_lost += p->n_comments + p->comments_over;
    free_packet(w, p);
}

/* The entry's end: everything written (flagged) or dropped, then gone. */
static void finish_entry(flagged_writer *w, flow_entry *e)
{
    if (e->flagged) {
        if (e->last)
            release(w, e->last);
        w->counts.connections++;
    } else {
        while (e->first) {
            held_packet *p = e->first;
            unlink_packet(w, p);
            free_packet(w, p);
        }
    }
    w->counts.comments_lost += e->n_pending;
    if (e->flagged)
        w->counts.not_kept += e->gap;
    for (size_t i = 0; i < e->n_pending; i++)
        free(e->pending[i]);
    flow_entry **at = &w->buckets[bucket_of(w, &e->a, &e->b)];
    while (*at != e)
        at = &(*at)->hash_next;
    *at = e->hash_next;
    lru_unlink(w, e);
    w->n_entries--;
    if (w->current == e)
        w->current = NULL;
    free(e);
}

/* ------------------------------------------------------------------------ */
/* Holding                                                                   */

static bool grow_buckets(flagged_writer *w)
{
    size_t n = w->n_buckets * 2;
    flow_entry **b = calloc(n, sizeof *b);
    if (!b)
        return false;
    flow_entry **old = w->buckets;
    size_t old_n = w->n_buckets;
    w->buckets = b;
    w->n_buckets = n;
    for (size_t i = 0; i < old_n; i++) {
        for (flow_entry *e = old[i], *next; e; e = next) {
            next = e->hash_next;
            size_t k = bucket_of(w, &e->a, &e->b);
            e->hash_next = b[k];
            b[k] = e;
        }
    }
    free(old);
    return true;
}

static flow_entry *new_entry(flagged_writer *w, const mqttka_endpoint *x,
                             const mqttka_endpoint *y)
{
    if (w->n_entries >= w->max_entries && w->lru_oldest)
        finish_entry(w, w->lru_oldest); /* as the core drops a flow when full */
    if (w->n_entries >= w->n_buckets && !grow_buckets(w) && w->n_entries >= w->n_buckets * 4)
        return NULL;
    flow_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (endpoint_cmp(x, y) <= 0) {
        e->a = *x;
        e->b = *y;
    } else {
        e->a = *y;
        e->b = *x;
    }
    size_t k = bucket_of(w, &e->a, &e->b);
    e->hash_next = w->buckets[k];
    w->buckets[k] = e;
    e->lru_prev = w->lru_newest;
    if (w->lru_newest)
        w->lru_newest->lru_next = e;
    else
        w->lru_oldest = e;
    w->lru_newest = e;
    w->n_entries++;
    return e;
}

/* Attaches a comment to `p`, or counts it when the packet has enough. */
static void add_comment(held_packet *p, char *text, size_t *memory)
{
    if (p->n_comments == FLAGGED_COMMENTS_MAX) {
        p->comments_over++;
        free(text);
        return;
    }
    size_t len = strlen(text) + 1;
    p->comments[p->n_comments++] = text;
    p->cost += len;
    *memory += len;
}

/* Within the limits again: the entry's window, then the global budget. */
static void enforce_limits(flagged_writer *w, flow_entry *e)
{
    while (e->n_tail > FLAGGED_TAIL_PACKETS || e->tail_bytes > FLAGGED_TAIL_BYTES) {
        held_packet *oldest_tail = e->first;
        while (oldest_tail && oldest_tail->head)
            oldest_tail = oldest_tail->next;
        if (!oldest_tail)
            break;
        release(w, oldest_tail);
    }
    while (w->memory > FLAGGED_MEMORY_MAX) {
        held_packet *p = w->tails.oldest ? w->tails.oldest : w->heads.oldest;
        if (!p)
            break;
        release(w, p);
    }
}

void flagged_writer_hold(flagged_writer *w, const capture_record *rec,
                         const mqttka_segment *segment)
{
    w->current = NULL;
    if (!segment)
        return;
    const mqttka_segment seg = *segment;
    flow_entry *e = lookup(w, &seg.src, &seg.dst);
    if (!e) {
        /* As the core opens a flow: a SYN or data, never a lone RST. */
        bool opens = (seg.tcp_flags & MQTTKA_TCP_SYN) || seg.wire_len > 0;
        if (!opens || (seg.tcp_flags & MQTTKA_TCP_RST))
            return;
        e = new_entry(w, &seg.src, &seg.dst);
        if (!e)
            return;
    }
    lru_touch(w, e);
    size_t bytes = rec->captured_len > CAPTURE_LIVE_SNAPLEN ? CAPTURE_LIVE_SNAPLEN
                                                            : rec->captured_len;
    held_packet *p = malloc(sizeof *p + bytes);
    if (p) {
        memset(p, 0, sizeof *p);
        memcpy(p->data, rec->data, bytes);
        p->flow = e;
        p->frame = rec->frame;
        p->ts = rec->ts;
        p->linktype = rec->linktype;
        p->captured_len = (uint32_t)bytes;
        p->wire_len = rec->wire_len > UINT32_MAX ? UINT32_MAX : (uint32_t)rec->wire_len;
        p->head = e->seen < FLAGGED_HEAD_PACKETS;
        p->cost = sizeof *p + bytes;
        if (e->seen < FLAGGED_HEAD_PACKETS)
            e->seen++;
        p->prev = e->last;
        if (e->last)
            e->last->next = p;
        else
            e->first = p;
        e->last = p;
        fifo_push(p->head ? &w->heads : &w->tails, p);
        w->memory += p->cost;
        if (!p->head) {
            e->n_tail++;
            e->tail_bytes += bytes;
        }
        for (size_t i = 0; i < e->n_pending; i++)
            add_comment(p, e->pending[i], &w->memory);
        e->n_pending = 0;
        /* What was not kept since the last packet held comes before this one. */
        p->gap = e->gap;
        p->gap_first = e->gap_first;
        p->gap_last = e->gap_last;
        e->gap = 0;
    } else {
        note_gap(&e->gap, &e->gap_first, &e->gap_last, 1, rec->frame, rec->frame);
    }
    w->current = e;
    w->current_flags = seg.tcp_flags;
    w->current_from_a = endpoint_cmp(&seg.src, &e->a) == 0;
    enforce_limits(w, e);
}

void flagged_writer_after_push(flagged_writer *w)
{
    flow_entry *e = w->current;
    w->current = NULL;
    if (!e)
        return;
    if (w->current_flags & MQTTKA_TCP_FIN) {
        if (w->current_from_a)
            e->fin_a = true;
        else
            e->fin_b = true;
    }
    if (w->current_flags & MQTTKA_TCP_RST)
        e->rst = true;
    /* The core has ended this flow (an MQTT connection's summary would
     * have ended the entry already): nothing more will flag it. */
    if ((e->fin_a && e->fin_b) || e->rst)
        finish_entry(w, e);
}

/* "mqttka: error pingreq_unanswered: <detail> (frame 18 of the input, known
 * at frame 20)"; "(about frame 18 ...)" on another packet than its own. */
static char *comment_text(const mqttka_finding *f, bool about_other)
{
    char *text = malloc(FLAGGED_COMMENT_SIZE);
    if (!text)
        return NULL;
    const char *kind = mqttka_finding_name(f->kind);
    const char *severity = mqttka_severity_name(f->severity);
    int n = snprintf(text, FLAGGED_COMMENT_SIZE, "mqttka: %s %s: %.*s (", severity ? severity : "?",
                     kind ? kind : "?", (int)strnlen(f->detail, sizeof f->detail), f->detail);
    if (n < 0 || n >= FLAGGED_COMMENT_SIZE)
        return text;
    size_t used = (size_t)n;
    if (f->tag)
        n = snprintf(text + used, FLAGGED_COMMENT_SIZE - used, "%sframe %llu of the input",
                     about_other ? "about " : "", (unsigned long long)f->tag);
    else
        n = snprintf(text + used, FLAGGED_COMMENT_SIZE - used, "at the end of the input");
    if (n < 0 || (size_t)n >= FLAGGED_COMMENT_SIZE - used)
        return text;
    used += (size_t)n;
    if (f->reported_tag && f->reported_tag != f->tag)
        snprintf(text + used, FLAGGED_COMMENT_SIZE - used, ", known at frame %llu)",
                 (unsigned long long)f->reported_tag);
    else if (!f->reported_tag && f->tag)
        snprintf(text + used, FLAGGED_COMMENT_SIZE - used, ", known later with no packet)");
    else
        snprintf(text + used, FLAGGED_COMMENT_SIZE - used, ")");
    return text;
}

static void on_finding(flagged_writer *w, const mqttka_connection *c, const mqttka_finding *f)
{
    if (f->severity < MQTTKA_WARN)
        return;
    flow_entry *e = lookup(w, &c->client, &c->server);
    if (!e) {
        w->counts.comments_lost++;
        return;
    }
    e->flagged = true;
    held_packet *on = NULL;
    for (held_packet *p = e->last; p && !on; p = p->prev)
        if (p->frame == f->tag)
            on = p;
    char *text = comment_text(f, on == NULL);
    if (!text) {
        w->counts.comments_lost++;
        return;
    }
    if (!on)
        on = e->last; /* its packet is gone: the newest one held carries it */
    if (on) {
        add_comment(on, text, &w->memory);
    } else if (e->n_pending < FLAGGED_COMMENTS_MAX) {
        e->pending[e->n_pending++] = text;
    } else {
        w->counts.comments_lost++;
        free(text);
    }
}

void flagged_writer_on_event(flagged_writer *w, const mqttka_event *ev)
{
    if (!ev->conn)
        return;
    if (ev->type == MQTTKA_EV_FINDING && ev->u.finding) {
        on_finding(w, ev->conn, ev->u.finding);
    } else if (ev->type == MQTTKA_EV_CONNECTION) {
        flow_entry *e = lookup(w, &ev->conn->client, &ev->conn->server);
        if (e)
            finish_entry(w, e);
    }
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                 */

flagged_writer *flagged_writer_open(const char *path, size_t max_flows, char *err,
                                    size_t err_size)
{
    flagged_writer *w = calloc(1, sizeof *w);
    if (w) {
        w->n_buckets = 1024;
        w->buckets = calloc(w->n_buckets, sizeof *w->buckets);
    }
    if (!w || !w->buckets) {
        if (w)
            free(w->buckets);
        free(w);
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    w->path = path;
    w->max_entries = max_flows ? max_flows : 1;
    errno = 0;
    w->file = fopen(path, "wb");
    if (!w->file || !pcapng_writer_begin_section(&w->ng, w->file, "mqttka " MQTTKA_VERSION) ||
        fflush(w->file) != 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno ? errno : EIO));
        if (w->file)
            fclose(w->file);
        free(w->buckets);
        free(w);
        return NULL;
    }
    return w;
}

bool flagged_writer_flush(flagged_writer *w)
{
    errno = 0;
    if (!w->failed && fflush(w->file) != 0)
        note_failure(w);
    return !w->failed;
}

bool flagged_writer_close(flagged_writer **wp, flagged_counts *counts, char *err,
                          size_t err_size)
{
    flagged_writer *w = *wp;
    if (!w)
        return true;
    while (w->lru_oldest)
        finish_entry(w, w->lru_oldest);
    errno = 0;
    if (fflush(w->file) != 0)
        note_failure(w);
    if (fclose(w->file) != 0)
        note_failure(w);
    bool ok = !w->failed;
    if (!ok)
        snprintf(err, err_size, "%s: cannot write the capture: %s", w->path,
                 strerror(w->error));
    if (counts)
        *counts = w->counts;
    free(w->buckets);
    free(w);
    *wp = NULL;
    return ok;
}
