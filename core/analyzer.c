/*
 * analyzer.c - the public entry points of the core (mqttka.h).
 *
 * Segments are pushed in capture order; each is routed to its flow (created
 * on a SYN or on payload, or on the FIN or RST of a connection the capture
 * joined at its close; never on a bare ACK, so stray ACKs of forgotten
 * flows cost nothing), and the flow's pipeline (flow.c) turns it into
 * events. A flow is ended and forgotten on RST or when both sides sent FIN,
 * when the table is full and it has been idle longest, and at mqttka_finish.
 */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "core_time.h"
#include "flow.h"
#include "flow_table.h"
#include "keepalive.h"
#include "lookahead.h"

/* Address pairs whose flow ended last (their flow_table_hash), so that a
 * segment coming after its flow's end (a reset's second RST, a FIN sent
 * again, data in flight) is not taken for a connection the capture joined
 * late (flow.h: after_end). Stragglers come within a round trip of the
 * end: this many ends is far longer on any capture. A fixed ring: 4 KiB,
 * scanned only when a segment with no SYN opens a flow. */
#define ENDED_FLOWS_REMEMBERED 512

/* Flows of nothing but a close that ended before any connection proved
 * their server (flow_adoptable_later): a capture begun as connections
 * close holds their FINs and RSTs before the first connection that proves
 * the broker. They stay in the table, ended ("parked": their stragglers
 * ignored), and mqttka_finish adopts those whose server was proven by then
 * (an eviction, those proven by then). At most this many at once: a flow
 * that ends so past it is counted (close_only) at once, never adopted. It
 * bounds what a scan's RSTs with ACK keep: 64 flows. */
#define PARKED_FLOWS_MAX 64

struct mqttka_analyzer {
    flow_env env;          /* what every flow's pipeline shares */
    flow_table flows;
    mqttka_time now;       /* the latest time seen (capture or tick) */
    mqttka_counts counts;  /* of the flows ended so far */
    uint64_t ended[ENDED_FLOWS_REMEMBERED]; /* a ring, by ended_next */
    uint32_t ended_next, ended_held;
    uint32_t parked;       /* ended flows kept in the table (PARKED_FLOWS_MAX) */
    /* The context of the segment being pushed: its pointers into env made
     * once (mqttka_new), aimed at each segment (push_ctx_aim). */
    push_ctx pushing;
};

static void remember_pair(mqttka_analyzer *a, const mqttka_endpoint *x, const mqttka_endpoint *y)
{
    a->ended[a->ended_next] = flow_table_hash(x, y);
    a->ended_next = (a->ended_next + 1) % ENDED_FLOWS_REMEMBERED;
    if (a->ended_held < ENDED_FLOWS_REMEMBERED)
        a->ended_held++;
}

static void remember_end(mqttka_analyzer *a, const struct flow *f)
{
    remember_pair(a, &f->ep[0], &f->ep[1]);
}

static bool ended_lately(const mqttka_analyzer *a, const mqttka_segment *seg)
{
    uint64_t h = flow_table_hash(&seg->src, &seg->dst);
    for (uint32_t i = 0; i < a->ended_held; i++)
        if (a->ended[i] == h)
            return true;
    return false;
}

size_t analyzer_flow_count(const mqttka_analyzer *a)
{
    return a->flows.count;
}

size_t analyzer_buffered_bytes(const mqttka_analyzer *a)
{
    return a->env.total_buffered;
}

void mqttka_config_default(mqttka_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_flows = 1u << 20;
    cfg->per_pair_findings = true;
    cfg->max_ooo_segments = 64;
    cfg->max_ooo_bytes = 256 * 1024;
    cfg->max_total_buffered_bytes = 64u * 1024 * 1024;
    cfg->max_http_header_bytes = 8 * 1024;
    cfg->max_mqtt_kept_bytes = 1024;
    cfg->max_summary_findings = 32;
    cfg->max_inflated_message_bytes = 64u * 1024 * 1024;
    cfg->max_inflate_ratio = 200;
    cfg->max_inflate_memory_bytes = 256u * 1024 * 1024;
    cfg->max_tls_records = 1024;
    cfg->max_tls_memory_bytes = 64u * 1024 * 1024;
    cfg->max_tls_decrypt_memory_bytes = 64u * 1024 * 1024;
    cfg->tol_min = SECONDS(1);
    cfg->tol_percent = 2;
    cfg->grace_min = SECONDS(7);
    cfg->grace_percent = 50;
    cfg->resp_max = SECONDS(10);
    cfg->resp_percent = 50;
    cfg->idle_timeouts[0] = SECONDS(60);
    cfg->idle_timeouts[1] = SECONDS(50);
    cfg->n_idle_timeouts = 2;
    cfg->max_client_ids = 65536;
    /* mosquitto closes the older connection as it reads the newer CONNECT
     * (samples: 1 to 15 ms later); aedes does it as its registry
     * answers. */
    cfg->takeover_window = SECONDS(2);
    cfg->connack_timeout = SECONDS(10);
    cfg->storm_connections = 10;
    cfg->storm_window = SECONDS(60);
    /* a broker restart closes every connection within a second (issue
     * 14); so does a proxy's idle sweep of connections opened together */
    cfg->mass_close_connections = 5;
    cfg->mass_close_window = SECONDS(1);
}

static bool config_valid(const mqttka_config *c)
{
    return c->max_flows > 0 && c->max_http_header_bytes >= 16 &&
           c->max_mqtt_kept_bytes >= 16 && c->n_idle_timeouts <= MQTTKA_MAX_IDLE_TIMEOUTS &&
           c->tol_min >= 0 && c->grace_min >= 0 && c->resp_max >= 0 &&
           c->takeover_window >= 0 && c->connack_timeout >= 0 && c->storm_window >= 0 &&
           c->mass_close_window >= 0;
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
    a->env.cfg = c;
    flow_env_set_stream_limits(&a->env);
    text_pool_init(&a->env.texts);
    a->env.sink = (event_sink){fn, user_data, &a->env.texts, &a->env.sessions, 1, {0, c.max_inflate_memory_bytes},
                               {0, {0}, {{0}}}};
    session_pools_init(&a->env.sessions);
    id_table_init(&a->env.clients, c.max_client_ids);
    a->env.tls_budget = (tls_log_budget){0, c.max_tls_memory_bytes, c.max_tls_records};
    a->env.tls_decrypt_budget = (tls_log_budget){0, c.max_tls_decrypt_memory_bytes, 0};
    a->now = MQTTKA_TIME_NONE;
    a->pushing = push_ctx_make(&a->env, NULL, 0, MQTTKA_TIME_NONE, 0);
    if (!flow_table_init(&a->flows)) {
        free(a);
        return MQTTKA_ERR_NOMEM;
    }
    *out = a;
    return MQTTKA_OK;
}

mqttka_status mqttka_set_tls_keylog(mqttka_analyzer *a, const char *text, size_t len, size_t *keys,
                                    size_t *bad)
{
    if (!a || (!text && len))
        return MQTTKA_ERR_INVALID;
    size_t added = 0, n_bad = 0;
    if (!tls_keylog_add(&a->env.keylog, text, len, &added, &n_bad))
        return MQTTKA_ERR_NOMEM;
    if (keys)
        *keys = added;
    if (bad)
        *bad = n_bad;
    return added ? MQTTKA_OK : MQTTKA_ERR_INVALID;
}

/* Forgets a flow, ended or not. */
static void flow_forget(mqttka_analyzer *a, struct flow *f)
{
    flow_table_remove(&a->flows, f);
    flow_free_contents(&a->env, f);
    flow_table_put(&a->flows, f);
}

/* Counts what an ended flow came to, and forgets it. */
static void flow_account(mqttka_analyzer *a, struct flow *f, bool dropped)
{
    int outcome = flow_outcome(f, dropped);
    remember_end(a, f);
    a->counts.tcp_connections++;
    if (outcome < 0)
        a->counts.mqtt_connections++;
    else
        a->counts.not_analysed[outcome]++;
    flow_forget(a, f);
}

void mqttka_get_counts(const mqttka_analyzer *a, mqttka_counts *out)
{
    if (a && out)
        *out = a->counts;
}

void mqttka_free(mqttka_analyzer **pa)
{
    if (!pa || !*pa)
        return;
    mqttka_analyzer *a = *pa;
    size_t cursor = 0;
    for (struct flow *f; (f = flow_table_next_to_drain(&a->flows, &cursor));)
        flow_forget(a, f);
    flow_table_free(&a->flows);
    text_pool_free(&a->env.texts);
    id_table_free(&a->env.clients);
    session_pools_free(&a->env.sessions);
    tls_keylog_free(&a->env.keylog);
    free(a);
    *pa = NULL;
}

/* Makes room for a new flow by ending one idle longest. */
static void evict_idle(mqttka_analyzer *a, const mqttka_segment *seg)
{
    struct flow *old = flow_table_pick_idle(&a->flows);
    if (!old)
        return;
    push_ctx pc = push_ctx_make(&a->env, old, 0, seg->ts, seg->tag);
    if (old->sess) {
        emit_finding(&pc.at, old->sess, MQTTKA_F_RESOURCE_LIMIT, MQTTKA_C2S, old->last_tag,
                     false, 0, "flow table full (%zu flows): a connection idle longest dropped",
                     a->env.cfg.max_flows);
    }
    if (flow_ended(old))
        a->parked--;
    flow_end(&pc);
    flow_account(a, old, true);
}

/* A FIN or RST of an address pair with no flow, with no SYN and no
 * payload, that is no remnant of a flow that just ended (a reset's second
 * RST, a FIN sent again): what the capture holds of a connection it joined
 * at its close. It is a TCP connection, counted (not analysed:
 * close_only) unless it proves to be a proven server's MQTT connection
 * (flow.c: adopt_by_server). A bare ACK opens nothing: every connection
 * sends one after its end and TCP keepalive probes are bare ACKs, so one
 * tells no connection apart from a straggler of a forgotten one, and a
 * flow for each would cost an entry per stray packet. */
static bool close_only_opens(const mqttka_analyzer *a, const mqttka_segment *seg)
{
    return (seg->tcp_flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST)) &&
           !(seg->tcp_flags & MQTTKA_TCP_SYN) && !seg->wire_len && !ended_lately(a, seg);
}

/* A close-only segment that finds the flow table full: counted as its
 * connection, and its address pair remembered so that the peer's FIN or
 * RST is not counted again. It makes no room, as a SYN or data does: a
 * scan's RSTs and FINs never push out the connections being followed. */
static void count_close_only(mqttka_analyzer *a, const mqttka_segment *seg)
{
    remember_pair(a, &seg->src, &seg->dst);
    a->counts.tcp_connections++;
    a->counts.not_analysed[MQTTKA_NA_CLOSE_ONLY]++;
}

/* a and seg are not NULL (the entry points check them). */
static mqttka_status push_one(mqttka_analyzer *a, const mqttka_segment *seg,
                              const flow_hint *hint)
{
    if (seg->captured_len && !seg->payload)
        return MQTTKA_ERR_INVALID;
    /* Copied only when it must be mended: a copy of the whole segment on
     * every push costs more than these two checks. */
    mqttka_segment mended;
    if (!time_in_range(seg->ts) || seg->wire_len < seg->captured_len) {
        mended = *seg;
        mended.ts = time_clamp(mended.ts);
        if (mended.wire_len < mended.captured_len)
            mended.wire_len = mended.captured_len;
        seg = &mended;
    }
    /* (A clamped time is above MQTTKA_TIME_NONE, INT64_MIN: no test for
     * "no time yet" is needed.) */
    if (seg->ts > a->now)
        a->now = seg->ts;

    int side = 0;
    struct flow *f;
    if (hint && hint->generation == a->flows.generation) {
        f = hint->flow;
        side = hint->side;
    } else {
        f = flow_table_find(&a->flows, &seg->src, &seg->dst, &side);
    }
    if (f && flow_ended(f)) {
        /* A parked flow: what comes after its end is a straggler, but for
         * a SYN, which opens a new connection on the address pair. */
        if (!(seg->tcp_flags & MQTTKA_TCP_SYN))
            return MQTTKA_OK;
        a->parked--;
        push_ctx end = push_ctx_make(&a->env, f, 0, seg->ts, seg->tag);
        flow_end(&end);
        flow_account(a, f, false);
        f = NULL;
    }
    if (!f) {
        bool opens = ((seg->tcp_flags & MQTTKA_TCP_SYN) || seg->wire_len > 0) &&
                     !(seg->tcp_flags & MQTTKA_TCP_RST);
        if (!opens) {
            if (!close_only_opens(a, seg))
                return MQTTKA_OK;
            if (a->flows.count >= a->env.cfg.max_flows) {
                count_close_only(a, seg);
                return MQTTKA_OK;
            }
        } else if (a->flows.count >= a->env.cfg.max_flows) {
            evict_idle(a, seg);
        }
        f = flow_table_insert(&a->flows, &seg->src, &seg->dst);
        if (!f)
            return MQTTKA_ERR_NOMEM;
        side = 0;
        if (!(seg->tcp_flags & MQTTKA_TCP_SYN))
            f->after_end = ended_lately(a, seg);
        f->first_ts = seg->ts;
        f->first_tag = seg->tag;
    }
    f->last_ts = seg->ts;
    f->last_tag = seg->tag;

    push_ctx *pc = &a->pushing;
    push_ctx_aim(pc, f, side, seg->ts, seg->tag);
    if (flow_push_segment(pc, seg)) {
        if (a->parked < PARKED_FLOWS_MAX && flow_adoptable_later(&a->env, f)) {
            a->parked++;
            return MQTTKA_OK;
        }
        flow_end(pc);
        flow_account(a, f, false);
    }
    return MQTTKA_OK;
}

ENTRY_POINT mqttka_status mqttka_push(mqttka_analyzer *a, const mqttka_segment *seg)
{
    if (!a || !seg)
        return MQTTKA_ERR_INVALID;
    return push_one(a, seg, NULL);
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
    /* The look-ahead reaches into the segments of the next call too, so
     * that it does not run dry at the end of this one; their lookups are not
     * kept (the table may change before they come), only what was loaded. */
    lookahead la;
    lookahead_start(&la, segs, n + n_ahead);
    mqttka_status worst = MQTTKA_OK;
    for (size_t i = 0; i < n; i++) {
        const flow_hint *hint = lookahead_step(&la, &a->flows, i);
        mqttka_status st = push_one(a, &segs[i], hint);
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
        push_ctx pc = push_ctx_make(&a->env, f, 0, now, 0);
        flow_acks_due(&pc, now);
        if (!f->sess)
            continue; /* the gap the waiting ACK revealed ended its session */
        mqttka_time t = keepalive_tick(&pc.at, f->sess, now);
        if (t != MQTTKA_TIME_NONE && (next == MQTTKA_TIME_NONE || t < next))
            next = t;
    }
    return next;
}

/* Connections by number; the flows that are none (a TLS flow's inference
 * is told at its end) after them, by their first frame. */
static bool ends_before(const struct flow *x, const struct flow *y)
{
    uint64_t ix = x->sess ? x->sess->conn.id : UINT64_MAX;
    uint64_t iy = y->sess ? y->sess->conn.id : UINT64_MAX;
    return ix != iy ? ix < iy : x->first_tag < y->first_tag;
}

/* Moves all[i] down the max-heap of the first n. */
static void sift_down(struct flow **all, size_t i, size_t n)
{
    struct flow *f = all[i];
    for (size_t c; (c = 2 * i + 1) < n; i = c) {
        if (c + 1 < n && ends_before(all[c], all[c + 1]))
            c++;
        if (!ends_before(f, all[c]))
            break;
        all[i] = all[c];
    }
    all[i] = f;
}

/* Sorts the open flows in place (heapsort): glibc's qsort
 * sorts through a copy of the array it allocates, 8 MB at a million open
 * connections, at the moment the analyzer's memory is at its peak. */
static void sort_by_connection_id(struct flow **all, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(all, i, n);
    for (size_t end = n; end > 1; end--) {
        struct flow *top = all[0];
        all[0] = all[end - 1];
        all[end - 1] = top;
        sift_down(all, 0, end - 1);
    }
}

ENTRY_POINT void mqttka_finish(mqttka_analyzer *a, mqttka_time end)
{
    if (!a)
        return;
    end = time_clamp(end);
    if (a->now == MQTTKA_TIME_NONE || end > a->now)
        a->now = end;
    /* Summaries come out in connection order so output is deterministic;
     * the parked flows (no connection yet) after the connections, by first
     * frame, numbered as they are adopted. */
    a->parked = 0;
    size_t n = a->flows.count;
    struct flow **all = n ? malloc(n * sizeof *all) : NULL;
    if (all) {
        size_t i = 0;
        flow_iter it;
        flow_iter_start(&it);
        for (struct flow *f; i < n && (f = flow_iter_next(&a->flows, &it));)
            all[i++] = f;
        sort_by_connection_id(all, i);
        for (size_t k = 0; k < i; k++) {
            push_ctx pc = push_ctx_make(&a->env, all[k], 0, end, 0);
            flow_end(&pc);
            flow_account(a, all[k], false);
        }
        free(all);
    }
    /* Only if the sort array could not be had: in table order. */
    size_t cursor = 0;
    for (struct flow *f; (f = flow_table_next_to_drain(&a->flows, &cursor));) {
        push_ctx pc = push_ctx_make(&a->env, f, 0, end, 0);
        flow_end(&pc);
        flow_account(a, f, false);
    }
}
