/*
 * emit.c - events and findings to the front end (emit.h).
 */
#include "emit.h"

#include <stdarg.h>
#include <string.h>

#include "finding_kinds.h"
#include "text_format.h"

void event_init(mqttka_event *ev, const rule_ctx *at, const session *s, mqttka_event_type type,
                mqttka_direction dir)
{
    /* Filled where it lies: built apart and returned, an event would be
     * copied with wide loads of narrow stores just made, which stall (store
     * forwarding). The union is left to the caller, who sets every member
     * of the one it fills: clearing the whole event for each packet cost
     * more than the fields it sets. */
    ev->type = type;
    ev->conn = &s->conn;
    ev->dir = dir;
    ev->ts = at->ts;
    ev->tag = at->tag;
}

/* Fills everything of a finding but its detail; false when it must not be
 * reported. */
static bool finding_start(const rule_ctx *at, session *s, mqttka_finding_kind kind,
                          mqttka_severity severity, mqttka_direction dir, uint64_t about_tag,
                          bool has_value, double value, mqttka_finding *f)
{
    /* A flow not (yet) shown to be MQTT has no connection number and will
     * get no summary: nothing may be reported about it (a cap hit while a
     * WebSocket waits for its first message, say). */
    if (!s->confirmed)
        return false;
    if (!finding_kind(kind)->per_pair) {
        if (s->kind_emitted[kind] >= FINDINGS_PER_KIND_MAX)
            return false;
        s->kind_emitted[kind]++;
    }
    /* Every field set, the detail left to its writer (which ends it with
     * its NUL): clearing the 256-byte detail of every finding costs more
     * than the rest of the finding. */
    f->kind = kind;
    f->severity = severity;
    f->ts = at->ts;
    f->tag = about_tag ? about_tag : at->tag;
    f->reported_tag = at->now_tag;
    f->dir = dir;
    f->has_value = has_value;
    f->value = has_value ? value : 0.0;
    return true;
}

/* Emits a finding and keeps it for the summary. */
static void finding_finish(const rule_ctx *at, session *s, const mqttka_finding *f)
{
    mqttka_event ev;
    event_init(&ev, at, s, MQTTKA_EV_FINDING, f->dir);
    ev.u.finding = f;
    emit_event(at, &ev);
    if (!finding_kind(f->kind)->per_pair)
        session_keep_finding(at->sink->sessions, s, f, at->sink->texts, at->cfg->max_summary_findings);
}

static void finding_vformat(const rule_ctx *at, session *s, mqttka_finding_kind kind,
                            mqttka_severity severity, mqttka_direction dir, uint64_t about_tag,
                            bool has_value, double value, const char *fmt, va_list ap)
{
    mqttka_finding f;
    if (!finding_start(at, s, kind, severity, dir, about_tag, has_value, value, &f))
        return;
    text_vformat(f.detail, sizeof f.detail, fmt, ap);
    finding_finish(at, s, &f);
}

void emit_finding(const rule_ctx *at, session *s, mqttka_finding_kind kind, mqttka_direction dir,
                  uint64_t about_tag, bool has_value, double value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    finding_vformat(at, s, kind, finding_kind(kind)->severity, dir, about_tag, has_value, value,
                    fmt, ap);
    va_end(ap);
}

void emit_finding_lesser(const rule_ctx *at, session *s, mqttka_finding_kind kind,
                         mqttka_direction dir, uint64_t about_tag, bool has_value, double value,
                         const char *fmt, ...)
{
    const finding_kind_info *info = finding_kind(kind);
    va_list ap;
    va_start(ap, fmt);
    finding_vformat(at, s, kind, info->has_lesser ? info->lesser : info->severity, dir,
                    about_tag, has_value, value, fmt, ap);
    va_end(ap);
}

bool emit_finding_begin(const rule_ctx *at, session *s, mqttka_finding_kind kind,
                        mqttka_direction dir, uint64_t about_tag, bool has_value, double value,
                        mqttka_finding *f)
{
    return finding_start(at, s, kind, finding_kind(kind)->severity, dir, about_tag, has_value,
                         value, f);
}

void emit_finding_ready(const rule_ctx *at, session *s, const mqttka_finding *f)
{
    finding_finish(at, s, f);
}
