/*
 * emit.h - events out of the core: where they go, and the findings.
 *
 * A leaf: every stage reports through these, and they call no stage. Every
 * event goes to the front end's one callback (mqttka_event_fn) at the time
 * and frame of the segment being processed; a finding also goes into its
 * connection's summary (session_keep_finding), its severity taken from the
 * kinds' table (finding_kinds.h).
 */
#ifndef MQTTKA_EMIT_H
#define MQTTKA_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "mqttka.h"
#include "proven_servers.h"
#include "session.h"
#include "text_pool.h"
#include "ws_inflate.h"

/* Where events go, and what the stages share with them. */
typedef struct event_sink {
    mqttka_event_fn fn;
    void *user_data;
    text_pool *texts;      /* holds the details of findings kept for summaries */
    session_pools *sessions; /* the kept findings' first blocks (session_keep_finding) */
    uint64_t next_conn_id; /* the number the next connection reported gets */
    /* zlib's memory held by every connection's inflaters, and its cap
     * (mqttka_config.max_inflate_memory_bytes) */
    ws_inflate_memory inflate_memory;
    /* where connections were analysed as MQTT: a late-joined flow that
     * proves nothing by itself is MQTT when its server is one (flow.c) */
    proven_servers servers;
} event_sink;

/* What a rule sees of the moment it judges: the configuration, where its
 * findings go, and the time and frame of the segment being processed. The
 * rules get this, never the analyzer. */
struct id_table; /* between.h */

typedef struct rule_ctx {
    const mqttka_config *cfg;
    event_sink *sink;
    struct id_table *clients; /* client ids across connections (between.h) */
    mqttka_time ts;
    uint64_t tag; /* 0 while finishing at the end of input */
    /* The frame being pushed (0 at the end of input): a finding's
     * reported_tag, when it became known. `tag` may be earlier, where what
     * is decided now is told at its own frame (segments held back and
     * replayed, a gap an ACK showed); a reader that sees each frame once
     * (single-pass tshark) can only show it at the frame where it is known. */
    uint64_t now_tag;
} rule_ctx;

/* The end of input is told by frame 0: no segment has that tag. */
static inline bool rule_at_end_of_input(const rule_ctx *at)
{
    return at->tag == 0;
}

/* The connection is reported from now on: it gets its number, and its
 * server endpoint is one where MQTT is proven. Nothing is reported of a
 * session before (emit_finding drops it). */
static inline void emit_confirm(const rule_ctx *at, session *s)
{
    if (s->confirmed)
        return;
    session_confirm(s, &at->sink->next_conn_id);
    proven_servers_add(&at->sink->servers, &s->conn.server, s->conn.transport);
}

/* Makes *ev an event of `type` about session `s`, at the current segment's
 * time and frame; the caller fills the union member, every field of it
 * (event_init leaves the union as it was). */
void event_init(mqttka_event *ev, const rule_ctx *at, const session *s, mqttka_event_type type,
                mqttka_direction dir);

static inline void emit_event(const rule_ctx *at, const mqttka_event *ev)
{
    at->sink->fn(at->sink->user_data, ev);
}

/* Emits a finding of `kind`, with the severity the kinds' table gives it,
 * and keeps it for the summary. `about_tag` is the frame it concerns (0:
 * this one); the frame it is reported at is at->tag. Nothing is emitted
 * for a session not confirmed (it has no number and gets no summary), nor
 * past FINDINGS_PER_KIND_MAX of a kind on one connection. */
void emit_finding(const rule_ctx *at, session *s, mqttka_finding_kind kind, mqttka_direction dir,
                  uint64_t about_tag, bool has_value, double value, const char *fmt, ...)
    PRINTF_FORMAT(8, 9);

/* The same, with the lesser severity the table gives the kind's weaker form
 * (only for a kind that has one). */
void emit_finding_lesser(const rule_ctx *at, session *s, mqttka_finding_kind kind,
                         mqttka_direction dir, uint64_t about_tag, bool has_value, double value,
                         const char *fmt, ...) PRINTF_FORMAT(8, 9);

/* The same in two steps, for the findings made on every ping pair, whose
 * detail is written in place where formatting would cost more than the
 * analysis: emit_finding_begin fills all of *f but its detail and returns
 * true when the finding is to be reported (false: drop it); the caller then
 * writes f->detail, NUL-terminated within MQTTKA_DETAIL_MAX, and hands *f to
 * emit_finding_ready. */
bool emit_finding_begin(const rule_ctx *at, session *s, mqttka_finding_kind kind,
                        mqttka_direction dir, uint64_t about_tag, bool has_value, double value,
                        mqttka_finding *f);
void emit_finding_ready(const rule_ctx *at, session *s, const mqttka_finding *f);

#endif
