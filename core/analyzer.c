/*
 * analyzer.c - the public entry points of the core, and event emission.
 *
 * Segments are pushed in capture order; each is routed to its flow (created
 * on a SYN or on payload, never on a bare ACK, so stray ACKs of forgotten
 * flows cost nothing), and the flow's pipeline (connection.c) turns it into
 * events. A flow is ended and forgotten on RST or when both sides sent FIN,
 * and at mqttka_finish.
 */
#include "analyzer_internal.h"
#include "text_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECONDS(n) ((mqttka_time)(n) * 1000000)

/* On the entry points that push segments and finish: each stays a function
 * of its own under link-time optimisation (neither inlined into the front
 * end nor cloned under another name), so that a profile of the CLI can tell
 * the core's share (bench/run.sh, callgrind). One call per batch costs
 * nothing worth inlining. */
#if defined(__GNUC__) && !defined(__clang__)
#define ENTRY_POINT __attribute__((noinline, noclone))
#elif defined(__GNUC__)
#define ENTRY_POINT __attribute__((noinline))
#else
#define ENTRY_POINT
#endif

/* Every time the core is given is clamped to +-TIME_LIMIT: a damaged
 * capture's timestamps must not overflow the rules' arithmetic (see
 * analyzer_internal.h). */
static mqttka_time time_clamp(mqttka_time t)
{
    return t > TIME_LIMIT ? TIME_LIMIT : t < -TIME_LIMIT ? -TIME_LIMIT : t;
}

void mqttka_config_default(mqttka_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_flows = 1u << 20;
    cfg->max_ooo_segments = 64;
    cfg->max_ooo_bytes = 256 * 1024;
    cfg->max_total_buffered_bytes = 64u * 1024 * 1024;
    cfg->max_http_header_bytes = 8 * 1024;
    cfg->max_mqtt_kept_bytes = 1024;
    cfg->max_summary_findings = 32;
    cfg->tol_min = SECONDS(1);
    cfg->tol_percent = 2;
    cfg->grace_min = SECONDS(7);
    cfg->grace_percent = 50;
    cfg->resp_max = SECONDS(10);
    cfg->resp_percent = 50;
    cfg->idle_timeouts[0] = SECONDS(60);
    cfg->idle_timeouts[1] = SECONDS(50);
    cfg->n_idle_timeouts = 2;
}

static bool config_valid(const mqttka_config *c)
{
    return c->max_flows > 0 && c->max_http_header_bytes >= 16 &&
           c->max_mqtt_kept_bytes >= 16 && c->n_idle_timeouts <= MQTTKA_MAX_IDLE_TIMEOUTS &&
           c->tol_min >= 0 && c->grace_min >= 0 && c->resp_max >= 0;
}

mqttka_status mqttka_new(mqttka_analyzer **out, const mqttka_config *cfg,
                         mqttka_event_fn fn, void *user_data)
{
    if (!out || !fn)
        return MQTTKA_ERR_INVALID;
    mqttka_config c;
    if (cfg)
        c = *cfg;
    else
        mqttka_config_default(&c);
    if (!config_valid(&c))
        return MQTTKA_ERR_INVALID;
    mqttka_analyzer *a = calloc(1, sizeof *a);
    if (!a)
        return MQTTKA_ERR_NOMEM;
    a->cfg = c;
    a->fn = fn;
    a->user_data = user_data;
    a->next_conn_id = 1;
    a->now = MQTTKA_TIME_NONE;
    text_pool_init(&a->texts);
    block_pool_init(&a->sessions, sizeof(session));
    block_pool_init(&a->ws_sessions, sizeof(ws_session));
    if (!flow_table_init(&a->flows)) {
        free(a);
        return MQTTKA_ERR_NOMEM;
    }
    *out = a;
    return MQTTKA_OK;
}

void mqttka_free(mqttka_analyzer **pa)
{
    if (!pa || !*pa)
        return;
    mqttka_analyzer *a = *pa;
    size_t cursor = 0;
    for (struct flow *f; (f = flow_table_next_to_drain(&a->flows, &cursor));)
        flow_release(a, f);
    flow_table_free(&a->flows);
    text_pool_free(&a->texts);
    block_pool_free(&a->sessions);
    block_pool_free(&a->ws_sessions);
    free(a);
    *pa = NULL;
}

void emit_event(mqttka_analyzer *a, const mqttka_event *ev)
{
    a->fn(a->user_data, ev);
}

void event_init(mqttka_event *ev, const push_ctx *pc, const session *s, mqttka_event_type type,
                mqttka_direction dir)
{
    /* Filled where it lies: built apart and returned, it was copied with
     * wide loads of narrow stores just made, which stall (store forwarding),
     * on every event. Cleared by copying a zero event (wide moves), not by
     * memset (which the compiler made a `rep stos`, slow to start). */
    static const mqttka_event empty;
    *ev = empty;
    ev->type = type;
    ev->conn = &s->conn;
    ev->dir = dir;
    ev->ts = pc->ts;
    ev->tag = pc->tag;
}

/* Fills everything of a finding but its detail; false when it must not be
 * reported. */
static bool finding_start(const push_ctx *pc, session *s, mqttka_finding_kind kind,
                          mqttka_severity severity, mqttka_direction dir, uint64_t about_tag,
                          bool has_value, double value, mqttka_finding *f)
{
    /* A flow not (yet) shown to be MQTT has no connection number and will
     * get no summary: nothing may be reported about it (a cap hit while a
     * WebSocket waits for its first message, say). */
    if (!s->confirmed)
        return false;
    if (kind != MQTTKA_F_PINGRESP_RTT) {
        if (s->kind_emitted[kind] >= FINDINGS_PER_KIND_MAX)
            return false;
        s->kind_emitted[kind]++;
    }
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->severity = severity;
    f->ts = pc->ts;
    f->tag = about_tag ? about_tag : pc->tag;
    f->reported_tag = pc->tag;
    f->dir = dir;
    f->has_value = has_value;
    f->value = has_value ? value : 0.0;
    return true;
}

/* Emits a finding and keeps it for the summary. */
static void finding_finish(const push_ctx *pc, session *s, const mqttka_finding *f)
{
    mqttka_event ev;
    event_init(&ev, pc, s, MQTTKA_EV_FINDING, f->dir);
    ev.u.finding = f;
    emit_event(pc->a, &ev);

    if (f->kind == MQTTKA_F_PINGRESP_RTT)
        return;
    if (s->n_findings >= pc->a->cfg.max_summary_findings) {
        s->findings_omitted++;
        return;
    }
    if (s->n_findings == s->cap_findings) {
        /* Most connections keep one or two findings: grow from one. */
        size_t cap = s->cap_findings ? s->cap_findings * 2 : 1;
        if (cap > pc->a->cfg.max_summary_findings)
            cap = pc->a->cfg.max_summary_findings;
        stored_finding *nf = realloc(s->findings, cap * sizeof *nf);
        if (!nf) {
            s->findings_omitted++;
            return;
        }
        s->findings = nf;
        s->cap_findings = (uint16_t)cap; /* <= 2 x n_findings: see session */
    }
    const char *detail = text_pool_hold(&pc->a->texts, f->detail);
    if (!detail) {
        s->findings_omitted++;
        return;
    }
    s->findings[s->n_findings++] = (stored_finding){
        .ts = f->ts,
        .tag = f->tag,
        .reported_tag = f->reported_tag,
        .value = f->value,
        .detail = detail,
        .kind = (uint8_t)f->kind,
        .severity = (uint8_t)f->severity,
        .dir = (uint8_t)f->dir,
        .has_value = f->has_value,
    };
}

void emit_finding(const push_ctx *pc, session *s, mqttka_finding_kind kind,
                  mqttka_severity severity, mqttka_direction dir, uint64_t about_tag,
                  bool has_value, double value, const char *fmt, ...)
{
    mqttka_finding f;
    if (!finding_start(pc, s, kind, severity, dir, about_tag, has_value, value, &f))
        return;
    va_list ap;
    va_start(ap, fmt);
    text_vformat(f.detail, sizeof f.detail, fmt, ap);
    va_end(ap);
    finding_finish(pc, s, &f);
}

void emit_finding_text(const push_ctx *pc, session *s, mqttka_finding_kind kind,
                       mqttka_severity severity, mqttka_direction dir, uint64_t about_tag,
                       bool has_value, double value, const char *detail)
{
    mqttka_finding f;
    if (!finding_start(pc, s, kind, severity, dir, about_tag, has_value, value, &f))
        return;
    str_copy(f.detail, sizeof f.detail, detail);
    finding_finish(pc, s, &f);
}

/* Makes room for a new flow by ending one idle longest. */
static void evict_idle(mqttka_analyzer *a, const mqttka_segment *seg)
{
    struct flow *old = flow_table_pick_idle(&a->flows);
    if (!old)
        return;
    push_ctx pc = {a, old, 0, seg->ts, seg->tag};
    if (old->sess) {
        emit_finding(&pc, old->sess, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_WARN, MQTTKA_C2S,
                     old->last_tag, false, 0,
                     "flow table full (%zu flows): a connection idle longest dropped",
                     a->cfg.max_flows);
    }
    flow_end(&pc);
    flow_release(a, old);
}

/* What mqttka_push_batch already knows of a segment's flow: the lookup it
 * made ahead of time stands while the table has not changed since. */
typedef struct flow_hint {
    bool known;
    struct flow *flow; /* NULL: no flow had this address pair */
    int side;
    uint64_t generation;
} flow_hint;

static mqttka_status push_one(mqttka_analyzer *a, const mqttka_segment *seg,
                              const flow_hint *hint)
{
    if (!a || !seg || (seg->captured_len && !seg->payload))
        return MQTTKA_ERR_INVALID;
    mqttka_segment s = *seg;
    s.ts = time_clamp(s.ts);
    if (s.wire_len < s.captured_len)
        s.wire_len = s.captured_len;
    if (a->now == MQTTKA_TIME_NONE || s.ts > a->now)
        a->now = s.ts;

    int side = 0;
    struct flow *f;
    if (hint && hint->known && hint->generation == a->flows.generation) {
        f = hint->flow;
        side = hint->side;
    } else {
        f = flow_table_find(&a->flows, &s.src, &s.dst, &side);
    }
    if (!f) {
        bool opens = (s.tcp_flags & MQTTKA_TCP_SYN) || s.wire_len > 0;
        if (!opens || (s.tcp_flags & MQTTKA_TCP_RST))
            return MQTTKA_OK;
        if (a->flows.count >= a->cfg.max_flows)
            evict_idle(a, &s);
        f = flow_table_insert(&a->flows, &s.src, &s.dst);
        if (!f)
            return MQTTKA_ERR_NOMEM;
        side = 0;
        f->first_ts = s.ts;
        f->first_tag = s.tag;
    }
    f->last_ts = s.ts;
    f->last_tag = s.tag;

    push_ctx pc = {a, f, side, s.ts, s.tag};
    if (flow_push_segment(&pc, &s)) {
        flow_end(&pc);
        flow_release(a, f);
    }
    return MQTTKA_OK;
}

ENTRY_POINT mqttka_status mqttka_push(mqttka_analyzer *a, const mqttka_segment *seg)
{
    return push_one(a, seg, NULL);
}

/* How far ahead mqttka_push_batch reaches: the flow table slot of the
 * segment PREFETCH_SLOT_AHEAD places on, then (its slot in cache by now)
 * that segment's flow, then (the flow in cache) the lookup itself, kept for
 * the push, and the session's per-packet lines. Analysing a segment takes
 * about as long as a load from memory, so each step has had that long to
 * arrive before the next one reads it. */
#define PREFETCH_SLOT_AHEAD 6
#define PREFETCH_FLOW_AHEAD 4
#define PREFETCH_SESSION_AHEAD 2
#define PREFETCH_RING 8 /* a power of two above PREFETCH_SLOT_AHEAD */

/* A segment that carries nothing and closes nothing touches only the flow. */
static bool touches_session(const mqttka_segment *seg)
{
    return seg->captured_len > 0 || (seg->tcp_flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST));
}

mqttka_status mqttka_push_batch(mqttka_analyzer *a, const mqttka_segment *segs, size_t n)
{
    return mqttka_push_batch_ahead(a, segs, n, 0);
}

ENTRY_POINT mqttka_status mqttka_push_batch_ahead(mqttka_analyzer *a, const mqttka_segment *segs,
                                                  size_t n, size_t n_ahead)
{
    if (!a || ((n || n_ahead) && !segs))
        return MQTTKA_ERR_INVALID;
    /* Every stage reaches into the look-ahead segments, so the pipeline does
     * not run dry at the end of the call; their hints are not kept (the
     * table may change before they come), only what was loaded. */
    const size_t seen = n + n_ahead;
    uint64_t hash[PREFETCH_RING];
    flow_hint hint[PREFETCH_RING];
    memset(hint, 0, sizeof hint);
    mqttka_status worst = MQTTKA_OK;
    for (size_t i = 0; i < seen && i < PREFETCH_SLOT_AHEAD; i++)
        hash[i] = flow_table_hash(&segs[i].src, &segs[i].dst);
    for (size_t i = 0; i < n; i++) {
        size_t ahead = i + PREFETCH_SLOT_AHEAD;
        if (ahead < seen) {
            hash[ahead % PREFETCH_RING] = flow_table_hash(&segs[ahead].src, &segs[ahead].dst);
            flow_table_prefetch_slot(&a->flows, hash[ahead % PREFETCH_RING]);
        }
        if (i + PREFETCH_FLOW_AHEAD < seen)
            flow_table_prefetch_flow(&a->flows,
                                     hash[(i + PREFETCH_FLOW_AHEAD) % PREFETCH_RING]);
        size_t near = i + PREFETCH_SESSION_AHEAD;
        if (near < seen) {
            flow_hint *h = &hint[near % PREFETCH_RING];
            const mqttka_segment *next = &segs[near];
            h->known = true;
            h->generation = a->flows.generation;
            h->side = 0;
            h->flow = flow_table_find_hashed(&a->flows, hash[near % PREFETCH_RING], &next->src,
                                             &next->dst, &h->side);
            if (h->flow && touches_session(next))
                flow_prefetch_session(h->flow, h->side);
        }
        /* The first segments had no lookup ahead: their hints are zero. */
        mqttka_status st = push_one(a, &segs[i], &hint[i % PREFETCH_RING]);
        if (st == MQTTKA_ERR_NOMEM || (st != MQTTKA_OK && worst == MQTTKA_OK))
            worst = st;
    }
    return worst;
}

mqttka_time mqttka_tick(mqttka_analyzer *a, mqttka_time now)
{
    if (!a)
        return MQTTKA_TIME_NONE;
    now = time_clamp(now);
    if (a->now == MQTTKA_TIME_NONE || now > a->now)
        a->now = now;
    mqttka_time next = MQTTKA_TIME_NONE;
    flow_iter it;
    flow_iter_start(&it);
    for (struct flow *f; (f = flow_iter_next(&a->flows, &it));) {
        if (!f->sess)
            continue;
        push_ctx pc = {a, f, 0, now, 0};
        mqttka_time t = keepalive_tick(&pc, f->sess, now);
        if (t != MQTTKA_TIME_NONE && (next == MQTTKA_TIME_NONE || t < next))
            next = t;
    }
    return next;
}

static int by_connection_id(const void *x, const void *y)
{
    const struct flow *fx = *(const struct flow *const *)x;
    const struct flow *fy = *(const struct flow *const *)y;
    uint64_t ix = fx->sess ? fx->sess->conn.id : UINT64_MAX;
    uint64_t iy = fy->sess ? fy->sess->conn.id : UINT64_MAX;
    return ix < iy ? -1 : ix > iy;
}

ENTRY_POINT void mqttka_finish(mqttka_analyzer *a, mqttka_time end)
{
    if (!a)
        return;
    end = time_clamp(end);
    if (a->now == MQTTKA_TIME_NONE || end > a->now)
        a->now = end;
    /* Summaries come out in connection order so output is deterministic. */
    size_t n = a->flows.count;
    struct flow **all = n ? malloc(n * sizeof *all) : NULL;
    if (all) {
        size_t i = 0;
        flow_iter it;
        flow_iter_start(&it);
        for (struct flow *f; i < n && (f = flow_iter_next(&a->flows, &it));)
            all[i++] = f;
        qsort(all, i, sizeof *all, by_connection_id);
        for (size_t k = 0; k < i; k++) {
            push_ctx pc = {a, all[k], 0, end, 0};
            flow_end(&pc);
            flow_release(a, all[k]);
        }
        free(all);
    }
    /* Only if the sort array could not be had: in table order. */
    size_t cursor = 0;
    for (struct flow *f; (f = flow_table_next_to_drain(&a->flows, &cursor));) {
        push_ctx pc = {a, f, 0, end, 0};
        flow_end(&pc);
        flow_release(a, f);
    }
}
