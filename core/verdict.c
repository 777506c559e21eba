/*
 * verdict.c - why a connection ended, and its summary figures.
 *
 * FINDINGS.md "Why the connection ended": the rules are checked in order
 * and the first that fits wins; the mechanism of the first close
 * (DISCONNECT, WebSocket Close, FIN, RST) is reported beside the verdict.
 */
#include "analyzer_internal.h"
#include "text_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECOND ((mqttka_time)1000000)

static const char *disconnect_reason_name(int32_t code)
{
    switch (code) {
    case 0x00: return "Normal disconnection";
    case 0x04: return "Disconnect with Will Message";
    case 0x80: return "Unspecified error";
    case 0x81: return "Malformed Packet";
    case 0x82: return "Protocol Error";
    case 0x87: return "Not authorized";
    case 0x89: return "Server busy";
    case 0x8B: return "Server shutting down";
    case 0x8D: return "Keep Alive timeout";
    case 0x8E: return "Session taken over";
    case 0x93: return "Receive Maximum exceeded";
    case 0x95: return "Packet too large";
    case 0x97: return "Quota exceeded";
    case 0x9C: return "Use another server";
    case 0x9D: return "Server moved";
    default: return "other reason";
    }
}

static const char *ws_close_code_name(int32_t code)
{
    switch (code) {
    case 1000: return "normal closure";
    case 1001: return "going away";
    case 1002: return "protocol error";
    case 1003: return "unsupported data";
    case 1006: return "abnormal closure";
    case 1007: return "invalid payload data";
    case 1008: return "policy violation";
    case 1009: return "message too big";
    case 1010: return "mandatory extension";
    case 1011: return "internal error";
    case -1: return "no status code";
    default: return "application code";
    }
}

/* The ping timeouts of client libraries (FINDINGS.md rule 3): which one
 * matches a client that closed `d` after its PINGREQ? Writes the names of
 * every match into buf; returns false when none does. */
static bool match_client_library(mqttka_time d, int32_t kae, char *buf, size_t size)
{
    struct candidate {
        const char *name;
        mqttka_time timeout;
    } cands[] = {
        {"paho.mqtt.golang (PingTimeout 10 s)", 10 * SECOND},
        {"MQTT.js >= 5.6 (keepalive/2)", (mqttka_time)kae * SECOND / 2},
        {"libmosquitto, paho python or MQTT.js 4 (keepalive)", (mqttka_time)kae * SECOND},
        {"paho C (1.5 x keepalive)", (mqttka_time)kae * SECOND * 3 / 2},
    };
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        mqttka_time t = cands[i].timeout;
        if (t <= 0)
            continue;
        mqttka_time window = t / 10 > SECOND ? t / 10 : SECOND;
        mqttka_time diff = d > t ? d - t : t - d;
        if (diff > window)
            continue;
        int n = text_format(buf + used, size - used, "%s%s", used ? "; " : "", cands[i].name);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    return used > 0;
}

static const char *side_word(mqttka_side s) { return s == MQTTKA_SIDE_SERVER ? "server" : "client"; }

static void decide(const push_ctx *pc, const session *s, mqttka_summary *out)
{
    const session_end *end = session_end_of(s);
    char *detail = out->verdict_detail;
    size_t dsz = sizeof out->verdict_detail;
    const close_event *fc = &end->first_close;
    const char *how = mqttka_close_mechanism_name(end->first_close_mechanism);
    int32_t kae = s->conn.effective_keepalive;
    keepalive_limits l = keepalive_limits_for(&pc->a->cfg, kae);

    /* 1. DISCONNECT */
    if (end->disconnect.seen) {
        out->verdict = MQTTKA_V_MQTT_DISCONNECT;
        if (end->disconnect_reason >= 0)
            text_format(detail, dsz, "%s sent DISCONNECT with reason 0x%02X (%s)",
                     side_word(end->disconnect.side), (unsigned)end->disconnect_reason,
                     disconnect_reason_name(end->disconnect_reason));
        else
            text_format(detail, dsz, "%s sent DISCONNECT", side_word(end->disconnect.side));
        return;
    }
    if (!fc->seen) {
        out->verdict = MQTTKA_V_OPEN;
        text_format(detail, dsz, "still open at the end of the capture");
        return;
    }
    bool timed = end->silence_at_close != MQTTKA_TIME_NONE && kae > 0;
    mqttka_time ka15 = (mqttka_time)kae * SECOND * 3 / 2;

    /* 2. the server enforced the keepalive */
    if (fc->side == MQTTKA_SIDE_SERVER && timed && end->silence_at_close >= ka15 - l.tol &&
        end->silence_at_close <= ka15 + l.grace) {
        out->verdict = MQTTKA_V_SERVER_CLOSED_KEEPALIVE;
        text_format(detail, dsz,
                 "server closed (%s) after %.3f s of client silence: keepalive %d s x 1.5 = "
                 "%.1f s",
                 how, us_to_s(end->silence_at_close), kae, us_to_s(ka15));
        return;
    }

    /* 3. the client gave up waiting for a PINGRESP */
    if (fc->side == MQTTKA_SIDE_CLIENT && !s->timing_off && kae > 0) {
        char libs[100];
        if (end->oldest_ping_at_close != MQTTKA_TIME_NONE) {
            mqttka_time d = fc->ts - end->oldest_ping_at_close;
            bool known = match_client_library(d, kae, libs, sizeof libs);
            out->verdict = MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP;
            text_format(detail, dsz,
                     "client closed (%s) %.3f s after its unanswered PINGREQ in frame %llu; "
                     "%s%s",
                     how, us_to_s(d), (unsigned long long)end->oldest_ping_tag_at_close,
                     known ? "matches the ping timeout of " : "no known client ping timeout "
                                                              "matches",
                     known ? libs : "");
            return;
        }
        /* An orderly WebSocket Close is not how a library gives up on a ping:
         * only a bare FIN or RST counts here. */
        bool abrupt = end->first_close_mechanism == MQTTKA_CLOSE_FIN ||
                      end->first_close_mechanism == MQTTKA_CLOSE_RST;
        if (abrupt && end->last_client_was_pingreq_at_close &&
            end->last_pingreq_at_close != MQTTKA_TIME_NONE) {
            mqttka_time d = fc->ts - end->last_pingreq_at_close;
            if (d > l.t_resp && match_client_library(d, kae, libs, sizeof libs)) {
                out->verdict = MQTTKA_V_CLIENT_CLOSED_DESPITE_PINGRESP;
                text_format(detail, dsz,
                         "client closed (%s) %.3f s after a PINGREQ whose PINGRESP arrived "
                         "(client stall, or loss behind the capture point); matches %s",
                         how, us_to_s(d), libs);
                return;
            }
        }
    }

    /* 4. a WebSocket Close that nothing above explains */
    if (end->ws_close.seen) {
        out->verdict = MQTTKA_V_WS_CLOSE;
        text_format(detail, dsz, "%s sent WebSocket Close first, code %d (%s)%s%s%s",
                 side_word(end->ws_close.side), (int)end->ws_close_code,
                 ws_close_code_name(end->ws_close_code), end->ws_close_reason[0] ? ", reason \"" : "",
                 end->ws_close_reason, end->ws_close_reason[0] ? "\"" : "");
        return;
    }

    /* 5. an intermediary's idle timeout */
    if (end->last_data_at_close != MQTTKA_TIME_NONE) {
        mqttka_time idle = fc->ts - end->last_data_at_close;
        for (size_t i = 0; i < pc->a->cfg.n_idle_timeouts; i++) {
            mqttka_time t = pc->a->cfg.idle_timeouts[i];
            mqttka_time diff = idle > t ? idle - t : t - idle;
            if (t > 0 && diff <= l.tol) {
                out->verdict = MQTTKA_V_INTERMEDIARY_IDLE_CLOSE;
                text_format(detail, dsz,
                         "%s side closed (%s) after %.3f s with no traffic at all: the idle "
                         "timeout of a proxy or load balancer (%.0f s)?",
                         side_word(fc->side), how, us_to_s(idle), us_to_s(t));
                return;
            }
        }
    }

    /* 6. plain closes */
    if (end->first_close_mechanism == MQTTKA_CLOSE_RST) {
        out->verdict = MQTTKA_V_RESET;
        text_format(detail, dsz, "%s reset the connection (RST) with no DISCONNECT or "
                 "WebSocket Close", side_word(fc->side));
        return;
    }
    out->verdict = fc->side == MQTTKA_SIDE_SERVER ? MQTTKA_V_SERVER_CLOSED : MQTTKA_V_CLIENT_CLOSED;
    text_format(detail, dsz, "%s closed the connection (%s) with no DISCONNECT, no WebSocket Close "
             "and no keepalive reason", side_word(fc->side), how);
}

mqttka_finding *verdict_build_summary(const push_ctx *pc, session *s, mqttka_summary *out)
{
    const session_end *end = session_end_of(s);
    memset(out, 0, sizeof *out);
    s->conn.end = pc->f->last_ts > s->conn.start ? pc->f->last_ts : s->conn.start;
    s->conn.last_tag = pc->f->last_tag;
    out->conn = &s->conn;
    figures_packets(s, out->packets);
    out->pingreq = s->pingreq;
    out->pingresp = s->pingresp;
    out->pingreq_unanswered = s->pingreq_unanswered;
    figures_rtt(s, out);
    out->max_client_silence = s->max_client_silence;
    out->close_initiator = end->first_close.seen ? end->first_close.side : MQTTKA_SIDE_NONE;
    out->close_mechanism = end->first_close.seen ? end->first_close_mechanism : MQTTKA_CLOSE_NONE;
    out->ws_close_code = end->ws_close.seen ? end->ws_close_code : -1;
    memcpy(out->ws_close_reason, end->ws_close_reason, sizeof out->ws_close_reason);
    out->disconnect_reason = end->disconnect_reason;
    out->close_ts = end->first_close.seen ? end->first_close.ts : MQTTKA_TIME_NONE;
    out->close_tag = end->first_close.seen ? end->first_close.tag : 0;
    decide(pc, s, out);
    out->findings = NULL;
    out->n_findings = 0;
    out->findings_omitted = s->findings_omitted;
    if (!s->n_findings)
        return NULL;
    mqttka_finding *all = calloc(s->n_findings, sizeof *all);
    if (!all) {
        out->findings_omitted += s->n_findings;
        return NULL;
    }
    for (size_t i = 0; i < s->n_findings; i++) {
        const stored_finding *k = &s->findings[i];
        all[i].kind = (mqttka_finding_kind)k->kind;
        all[i].severity = (mqttka_severity)k->severity;
        all[i].ts = k->ts;
        all[i].tag = k->tag;
        all[i].reported_tag = k->reported_tag;
        all[i].dir = (mqttka_direction)k->dir;
        all[i].has_value = k->has_value;
        all[i].value = k->value;
        str_copy(all[i].detail, sizeof all[i].detail, k->detail);
    }
    out->findings = all;
    out->n_findings = s->n_findings;
    return all;
}
