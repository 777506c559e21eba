/*
 * keepalive.c - the MQTT keepalive rules (docs/FINDINGS.md).
 *
 * MQTT 3.1.1 §3.1.2.10 / 5.0 §3.1.2.10: the client must send some control
 * packet at least every Keep Alive seconds (MQTT-3.1.2-23 / -22); a server
 * that hears nothing for one and a half times that must close the network
 * connection (MQTT-3.1.2-24). PINGREQ must be answered by PINGRESP
 * (MQTT-3.12.4-1); answers come in order, so pairing is first in, first
 * out. The keepalive in force comes from the CONNECT and CONNACK
 * (negotiation.c) or, when the capture missed them, from the client's ping
 * cadence.
 *
 * The rules judge only what the capture shows: an interval of client
 * silence with a hole in it is not judged, a PINGREQ whose answer may be in
 * a hole of the server's stream is neither paired nor unanswered, and
 * nothing that needs the server's packets is said of a connection whose
 * server side was never captured.
 *
 * Every packet event carries what a reader needs beside it (client silence,
 * ping RTT); findings follow the packet event that triggered them.
 */
#include "keepalive.h"

#include <stdlib.h>
#include <string.h>

#include "core_time.h"
#include "decimal.h"
#include "figures.h"
#include "keepalive_limits.h"
#include "negotiation.h"
#include "text_format.h"
#include "verdict.h"

/* The keepalive the rules measure against: the one negotiated, else the one
 * inferred from the client's ping cadence; 0 or less: none. */
static int32_t rules_keepalive(const session *s)
{
    return s->conn.effective_keepalive >= 0 ? s->conn.effective_keepalive
                                            : s->conn.keepalive_inferred;
}

/* " (inferred)" after a keepalive that was not negotiated on the wire. */
static const char *inferred_note(const session *s)
{
    return s->conn.effective_keepalive < 0 && s->conn.keepalive_inferred > 0 ? " (inferred)" : "";
}

/* Timing rules apply once a keepalive is in force and every packet of the
 * interval could be seen. */
static bool timing_applies(const session *s)
{
    return !s->timing_off && rules_keepalive(s) > 0 && (!s->connack_seen || s->accepted);
}

static bool seen(const session *s, mqttka_direction dir)
{
    return (s->dirs_seen & (1u << dir)) != 0;
}

/* The longest client silence the capture saw whole, keepalive or not. */
static void note_silence(session *s, mqttka_time silence)
{
    if (s->max_client_silence == MQTTKA_TIME_NONE || silence > s->max_client_silence)
        s->max_client_silence = silence;
}

/* Judges one interval of client silence that ended at the current moment
 * (a client packet, a close, or the end of the capture). */
static void judge_silence(const rule_ctx *at, session *s, mqttka_time silence,
                          uint64_t about_tag, const char *ended_by)
{
    if (s->last_client_ts == MQTTKA_TIME_NONE || s->gap_in_silence)
        return;
    note_silence(s, silence);
    if (!timing_applies(s))
        return;
    int32_t kae = rules_keepalive(s);
    keepalive_limits l = keepalive_limits_for(at->cfg, kae);
    mqttka_time ka = (mqttka_time)kae * SECOND;
    mqttka_time ka15 = ka + ka / 2;
    double secs = us_to_s(silence);

    if (silence > ka + l.tol && !s->silence_ka_ticked) {
        emit_finding(at, s, MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE, MQTTKA_C2S, about_tag, true,
                     secs,
                     "client silent %.3f s (%.2f x keepalive %d s%s) until %s; last client "
                     "packet in frame %llu (MQTT-3.1.2-23)",
                     secs, secs / kae, kae, inferred_note(s), ended_by,
                     (unsigned long long)s->last_client_tag);
    }
    if (silence > ka15 + l.tol) {
        if (!s->silence_15_ticked) {
            emit_finding(at, s, MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE, MQTTKA_C2S, about_tag,
                         true, secs,
                         "client silent %.3f s, over 1.5 x keepalive%s = %.1f s: the server "
                         "must close the connection (MQTT-3.1.2-24)",
                         secs, inferred_note(s), us_to_s(ka15));
        }
        /* Judged apart from the finding above: live mode may have told that
         * one already, by the clock, before the server's (non-)close. Only
         * a capture of the server's side can tell whether it closed. */
        mqttka_time deadline = s->last_client_ts + ka15 + l.grace;
        const close_record *end = verdict_record_of(s);
        bool server_closed_in_time = end->server_closed_any && end->server_close_ts <= deadline;
        if (!server_closed_in_time && silence > ka15 + l.grace && !s->not_enforced_ticked &&
            seen(s, MQTTKA_S2C)) {
            emit_finding(at, s, MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED, MQTTKA_S2C, about_tag, true,
                         secs,
                         "server had not closed %.1f s after the client went quiet "
                         "(1.5 x keepalive%s %.1f s + grace %.1f s)",
                         secs, inferred_note(s), us_to_s(ka15), us_to_s(l.grace));
        }
    }
    int32_t ska = s->conn.server_keepalive, ka_client = s->conn.keepalive;
    if (ska >= 0 && ka_client > ska && !s->ska_ignored_reported) {
        keepalive_limits lc = keepalive_limits_for(at->cfg, ka_client);
        if (silence > (mqttka_time)ska * SECOND + l.tol &&
            silence <= (mqttka_time)ka_client * SECOND + lc.tol) {
            s->ska_ignored_reported = true;
            emit_finding(at, s, MQTTKA_F_SERVER_KEEPALIVE_IGNORED, MQTTKA_C2S, about_tag, true,
                         secs,
                         "client silent %.3f s: it keeps its own keepalive of %d s, not the "
                         "server's %d s (MQTT-3.2.2-21)",
                         secs, ka_client, ska);
        }
    }
}

/* ------------------------------------------------------------ cadence -- */

/* Clients ping when they have sent nothing for their keepalive
 * (libmosquitto, paho python, MQTT.js, paho C) or check every KA/4 and ping
 * once KA has passed (paho.mqtt.golang): between successive PINGREQs with
 * nothing else from the client, KA to 1.25 KA. Three such pings (two
 * intervals within 30 % of each other) give the keepalive of a connection
 * whose CONNECT the capture missed: the shortest interval, in whole
 * seconds. */
#define CADENCE_INTERVALS 2
#define CADENCE_SPREAD_PERCENT 130
/* No keepalive (65535 s at most) spaces pings further apart than 1.25
 * times that: a longer interval ends a cadence. It also keeps the products
 * below far from overflowing (timestamps may lie 2^61 us apart). */
#define CADENCE_MAX_INTERVAL ((mqttka_time)65535 * 2 * SECOND)

static void infer_keepalive(const rule_ctx *at, session *s, mqttka_time interval, bool by_acks)
{
    if (s->connect_seen || s->conn.keepalive_inferred > 0 || interval < SECOND / 2)
        return;
    session_rare *r = session_rare_of(s);
    if (!r)
        return;
    if (interval > CADENCE_MAX_INTERVAL) {
        r->cadence_pings = 0;
        return;
    }
    if (r->cadence_pings == 0 || interval * 100 > r->cadence_min * CADENCE_SPREAD_PERCENT ||
        r->cadence_max * 100 > interval * CADENCE_SPREAD_PERCENT) {
        /* the first interval, or one out of step with those before it:
         * the cadence starts over from here */
        r->cadence_pings = 1;
        r->cadence_min = r->cadence_max = interval;
    } else {
        r->cadence_pings++;
        r->cadence_min = time_min(r->cadence_min, interval);
        r->cadence_max = time_max(r->cadence_max, interval);
    }
    if (r->cadence_pings < CADENCE_INTERVALS)
        return;
    int32_t ka = (int32_t)((r->cadence_min + SECOND / 2) / SECOND);
    s->conn.keepalive_inferred = ka;
    if (by_acks) {
        /* at most 217 characters: Wireshark's expert info keeps 240 */
        emit_finding(at, s, MQTTKA_F_KEEPALIVE_INFERRED, MQTTKA_C2S, 0, true, ka,
                     "keepalive about %d s, inferred from %u PINGREQs %.3f to %.3f s apart, "
                     "told by the server's ACKs (client's side not captured): steps of %u "
                     "bytes (a PINGREQ), each answered by a PINGRESP, none other between",
                     ka, (unsigned)r->cadence_pings + 1, us_to_s(r->cadence_min),
                     us_to_s(r->cadence_max), session_pingreq_wire_bytes(s));
        return;
    }
    emit_finding(at, s, MQTTKA_F_KEEPALIVE_INFERRED, MQTTKA_C2S, 0, true, ka,
                 "keepalive about %d s, inferred from %u PINGREQs %.3f to %.3f s apart with "
                 "nothing else from the client between them (the capture missed the CONNECT); "
                 "timing findings from here use it",
                 ka, (unsigned)r->cadence_pings + 1, us_to_s(r->cadence_min),
                 us_to_s(r->cadence_max));
}

/* A capture of the server's side only: the client's PINGREQ cadence from
 * the server's ACKs. Each step forward is what the client sent since the
 * last: a PINGREQ is 2 bytes (MQTT §3.12), 8 in a masked WebSocket frame
 * (2 + 4 + 2, RFC 6455 §5.2), which no two frames make. A step of that
 * size that a PINGRESP follows before the next step is a PINGREQ (the
 * other 2-byte client packets, DISCONNECT and AUTH, and an 8-byte Pong or
 * Close get no PINGRESP); any other step is something else from the
 * client, and the cadence starts over. The ACK's time bounds when the
 * PINGREQ had come. */
void keepalive_on_client_bytes_acked(const rule_ctx *at, session *s, uint32_t bytes)
{
    session_rare *r = session_rare_of(s);
    if (!r)
        return;
    bool ping_sized = session_pingreq_sized(s, bytes);
    if (r->acked_ping_waiting || !ping_sized) {
        /* the step before got no PINGRESP, or this one is not a PINGREQ */
        r->acked_ping_waiting = false;
        r->acked_ping_last_known = false;
        r->cadence_pings = 0;
    }
    if (!ping_sized)
        return;
    r->acked_ping_waiting = true;
    r->acked_ping_ts = at->ts;
}

/* A PINGRESP on a capture of the server's side only: the step of a
 * PINGREQ's size waiting, if any, was a PINGREQ (above). */
static void acked_ping_answered(const rule_ctx *at, session *s)
{
    session_rare *r = s->rare;
    if (!r || !r->acked_ping_waiting)
        return;
    r->acked_ping_waiting = false;
    if (r->acked_ping_last_known)
        infer_keepalive(at, s, r->acked_ping_ts - r->acked_ping_last_ts, true);
    r->acked_ping_last_ts = r->acked_ping_ts;
    r->acked_ping_last_known = true;
}

/* -------------------------------------------------------------- Pings -- */

/* The server's side not captured: do the client's ACKs show that the
 * server sent not one byte since the oldest PINGREQ waiting? (flow.c clears
 * the waiting ones when the ACKs move.) Then none of them was answered. */
static bool acks_show_no_answer(const session *s)
{
    return !seen(s, MQTTKA_S2C) && s->rare && s->rare->ping_ack_known &&
           s->rare->client_ack_known && s->rare->client_ack == s->rare->ping_ack;
}

static void pingq_pop(session *s)
{
    s->pingq_len--;
    /* Most often the one ping in flight went: nothing to move, and no
     * library call for it. */
    if (s->pingq_len)
        memmove(&s->pingq[0], &s->pingq[1], s->pingq_len * sizeof s->pingq[0]);
}

static void on_pingreq(const rule_ctx *at, session *s)
{
    s->pingreq++;
    /* A PINGRESP from here answers this PINGREQ or one seen before it: no
     * longer one that a hole in the client's stream may hold. */
    s->client_hole_unpaired = false;
    for (size_t i = 0; i < s->pingq_len && seen(s, MQTTKA_S2C); i++) {
        ping_pending *q = &s->pingq[i];
        if (ping_has(q, PING_WARNED))
            continue;
        ping_set(q, PING_WARNED);
        emit_finding_lesser(at, s, MQTTKA_F_PINGREQ_UNANSWERED, MQTTKA_C2S, q->tag, true,
                            us_to_s(at->ts - ping_ts(q)),
                            "PINGREQ in frame %llu had no PINGRESP before the next PINGREQ "
                            "(%.3f s later)",
                            (unsigned long long)q->tag, us_to_s(at->ts - ping_ts(q)));
    }
    if (s->pingq_len == 0 && s->rare) {
        s->rare->ping_ack = s->rare->client_ack;
        s->rare->ping_ack_known = s->rare->client_ack_known;
    }
    if (s->pingq_len == PINGQ_MAX) {
        /* Dropped from tracking: never answered in time. */
        if (seen(s, MQTTKA_S2C) || acks_show_no_answer(s))
            s->pingreq_unanswered++;
        pingq_pop(s);
    }
    ping_pending np = ping_make(at->ts, at->tag);
    s->pingq[s->pingq_len++] = np;
}

/* Pairs a PINGRESP with the oldest PINGREQ. Returns false when none waits. */
static bool pair_pingresp(const rule_ctx *at, session *s, ping_pending *req, mqttka_time *rtt)
{
    if (s->pingq_len == 0)
        return false;
    *req = s->pingq[0];
    pingq_pop(s);
    *rtt = time_since(ping_ts(req), at->ts);
    figures_record_rtt(s, *rtt);
    verdict_note_ping_answered(at, s, req->tag);
    return true;
}

/* The server's side has ended, or the capture (`before` says which): the
 * PINGREQs still waiting were never answered. Not said of a connection
 * whose server side was never captured, and not reported (but counted) when
 * the server's stream is no longer decoded: the answer may be in what the
 * capture missed. */
static void pings_unanswered(const rule_ctx *at, session *s, const char *before)
{
    const close_record *end = verdict_record_of(s);
    /* The server's side not captured: the client's ACKs may still show that
     * none was answered. They are counted, and the verdict says why; no
     * finding, since the answers' side is missing (one_sided). */
    bool by_acks = acks_show_no_answer(s);
    for (size_t i = 0; i < s->pingq_len && (seen(s, MQTTKA_S2C) || by_acks); i++) {
        ping_pending *q = &s->pingq[i];
        s->pingreq_unanswered++;
        if (s->timing_off || by_acks)
            continue;
        mqttka_time waited = time_since(ping_ts(q), at->ts);
        /* When the client gave up first, when it did is what a reader
         * compares with its library's ping timeout. */
        char client_closed[80] = "";
        if (end->first_close.seen && end->first_close.side == MQTTKA_SIDE_CLIENT &&
            end->first_close.ts >= ping_ts(q))
            text_format(client_closed, sizeof client_closed,
                        "; the client had closed the connection (%s) %.3f s after it",
                        mqttka_close_mechanism_name(end->first_close_mechanism),
                        us_to_s(end->first_close.ts - ping_ts(q)));
        emit_finding(at, s, MQTTKA_F_PINGREQ_UNANSWERED, MQTTKA_C2S, q->tag, true,
                     us_to_s(waited),
                     "PINGREQ in frame %llu never got a PINGRESP before %s (%.3f s later)%s",
                     (unsigned long long)q->tag, before, us_to_s(waited), client_closed);
    }
    s->pingq_len = 0;
}

/* ------------------------------------------------------------ packets -- */

/* Reads a DISCONNECT's reason into the event; true when it carries a Server
 * Keep Alive, which only a CONNACK may (reported after the event). */
static bool on_disconnect(const rule_ctx *at, session *s, mqttka_direction dir,
                          const mqtt_packet_view *p, mqttka_mqtt_packet *out)
{
    mqtt_disconnect d;
    memset(&d, 0, sizeof d);
    d.reason_code = -1;
    /* A DISCONNECT with a body is MQTT 5 even when the CONNECT was not seen. */
    if (s->conn.mqtt_level == 5 || (s->conn.mqtt_level == 0 && p->body_len > 0))
        (void)mqtt_parse_disconnect(p->body ? p->body : (const uint8_t *)"", p->body_len, 5, &d);
    out->reason_code = d.reason_code;
    verdict_note_disconnect(at, s, side_of(dir), d.reason_code);
    return d.server_keepalive_count > 0;
}

/* "PINGRESP 1.234 ms after the PINGREQ in frame 17": one per ping pair, so
 * written by hand. Microseconds are milliseconds with three decimals, the
 * same text as printf's "%.3f" of rtt * 1000 (for RTTs a double holds
 * exactly: below 2^53 us, 285 years). */
static void emit_rtt_finding(const rule_ctx *at, session *s, mqttka_direction dir,
                             mqttka_time rtt_us, uint64_t req_tag)
{
    static const char head[] = "PINGRESP ", mid[] = " ms after the PINGREQ in frame ";
    _Static_assert(sizeof head + DECIMAL_U64_MAX_DIGITS + 4 + sizeof mid +
                           DECIMAL_U64_MAX_DIGITS <= MQTTKA_DETAIL_MAX,
                   "the RTT detail fits a finding's");
    mqttka_finding f;
    if (!at->cfg->per_pair_findings)
        return;
    if (!emit_finding_begin(at, s, MQTTKA_F_PINGRESP_RTT, dir, 0, true, us_to_s(rtt_us), &f))
        return;
    char *detail = f.detail;
    uint64_t us = rtt_us < 0 ? 0 : (uint64_t)rtt_us;
    size_t n = 0;
    memcpy(detail, head, sizeof head - 1);
    n += sizeof head - 1;
    n += decimal_put_u64(detail + n, us / 1000);
    detail[n++] = '.';
    decimal_put_padded(detail + n, us % 1000, 3);
    n += 3;
    memcpy(detail + n, mid, sizeof mid - 1);
    n += sizeof mid - 1;
    n += decimal_put_u64(detail + n, req_tag);
    detail[n] = '\0';
    emit_finding_ready(at, s, &f);
}

/* A PINGRESP that pairs with no PINGREQ. */
static void on_unpaired_pingresp(const rule_ctx *at, session *s, mqttka_direction dir)
{
    if (s->pings_answer_unseen) {
        /* the late answer to a PINGREQ sent before a hole in the server's
         * stream: nothing can be told of it */
        s->pings_answer_unseen--;
        return;
    }
    if (s->client_hole_unpaired || !seen(s, MQTTKA_C2S)) {
        if (s->rare && s->rare->ping_hole && s->gap_in_silence)
            s->rare->ping_hole_answered = true;
        emit_finding_lesser(at, s, MQTTKA_F_PINGRESP_UNSOLICITED, dir, 0, false, 0,
                            "PINGRESP with no PINGREQ outstanding; its PINGREQ may be in what "
                            "the capture missed of the client's stream");
        return;
    }
    emit_finding(at, s, MQTTKA_F_PINGRESP_UNSOLICITED, dir, 0, false, 0,
                 "PINGRESP with no PINGREQ outstanding");
}

void keepalive_on_packet(const rule_ctx *at, session *s, mqttka_direction dir,
                         const mqtt_packet_view *p)
{
    mqttka_event ev;
    event_init(&ev, at, s, MQTTKA_EV_MQTT_PACKET, dir);
    mqttka_mqtt_packet *m = &ev.u.mqtt;
    m->type = p->type;
    m->flags = p->flags;
    m->remaining_length = p->remaining_length;
    m->stream_offset = p->stream_offset;
    m->silence = MQTTKA_TIME_NONE;
    m->rtt = MQTTKA_TIME_NONE;
    m->pair_tag = 0;
    m->connect = NULL;
    m->connack = NULL;
    m->reason_code = -1;
    figures_count_packet(s, dir, p->type & 0x0f);

    connect_reading connect;
    connack_reading connack;
    bool is_first_connect = false, is_first_connack = false, disconnect_ska = false;
    ping_pending req = {0, 0};
    bool paired = false;
    mqttka_time silence = MQTTKA_TIME_NONE;

    if (dir == MQTTKA_C2S) {
        if (p->type == MQTTKA_MQTT_CONNECT && !s->connect_seen) {
            is_first_connect = true;
            negotiation_read_connect(s, p, &connect);
            m->connect = &connect.info;
        }
        if (s->last_client_ts != MQTTKA_TIME_NONE) {
            silence = time_since(s->last_client_ts, at->ts);
            /* Not a silence when the capture missed bytes of it. */
            if (!s->gap_in_silence) {
                m->silence = silence;
                note_silence(s, silence);
            }
        }
    } else {
        if (p->type == MQTTKA_MQTT_CONNACK && !s->connack_seen) {
            is_first_connack = true;
            negotiation_read_connack(s, p, &connack);
            m->connack = &connack.info;
        }
        if (p->type == MQTTKA_MQTT_PINGRESP) {
            s->pingresp++;
            paired = pair_pingresp(at, s, &req, &m->rtt);
            if (paired)
                m->pair_tag = req.tag;
        }
    }
    if (p->type == MQTTKA_MQTT_DISCONNECT)
        disconnect_ska = on_disconnect(at, s, dir, p, m);
    emit_event(at, &ev);

    /* Findings that follow from this packet. */
    if (is_first_connect)
        negotiation_judge_connect(at, s, p, &connect);
    if (is_first_connack)
        negotiation_judge_connack(at, s, p, &connack);
    if (disconnect_ska)
        emit_finding(at, s, MQTTKA_F_SERVER_KEEPALIVE_INVALID, dir, 0, false, 0,
                     "Server Keep Alive (0x13) sent in a DISCONNECT; only CONNACK may carry it");
    if (dir == MQTTKA_C2S) {
        bool ping_after_ping = p->type == MQTTKA_MQTT_PINGREQ &&
                               s->last_client_type == MQTTKA_MQTT_PINGREQ && !s->gap_in_silence;
        if (silence != MQTTKA_TIME_NONE)
            judge_silence(at, s, silence, at->tag, "this packet");
        s->last_client_ts = at->ts;
        s->last_client_tag = at->tag;
        s->last_client_type = p->type;
        s->gap_in_silence = false;
        s->silence_ka_ticked = s->silence_15_ticked = s->not_enforced_ticked = false;
        if (p->type == MQTTKA_MQTT_PINGREQ) {
            on_pingreq(at, s);
            if (ping_after_ping && silence != MQTTKA_TIME_NONE)
                infer_keepalive(at, s, silence, false);
        } else if (p->type == MQTTKA_MQTT_PINGRESP) {
            emit_finding(at, s, MQTTKA_F_PINGRESP_UNSOLICITED, dir, 0, false, 0,
                         "the client sent a PINGRESP; only servers answer pings");
        }
    } else if (p->type == MQTTKA_MQTT_PINGREQ) {
        emit_finding(at, s, MQTTKA_F_PINGREQ_FROM_SERVER, dir, 0, false, 0,
                     "the server sent a PINGREQ; only clients send them (MQTT 3.12)");
    } else if (p->type == MQTTKA_MQTT_PINGRESP) {
        if (!seen(s, MQTTKA_C2S))
            acked_ping_answered(at, s);
        if (!paired) {
            on_unpaired_pingresp(at, s, dir);
        } else {
            double rtt = us_to_s(m->rtt);
            emit_rtt_finding(at, s, dir, m->rtt, req.tag);
            keepalive_limits l = keepalive_limits_for(at->cfg, rules_keepalive(s));
            if (m->rtt > l.t_resp) {
                emit_finding(at, s, MQTTKA_F_PINGRESP_LATE, dir, 0, true, rtt,
                             "PINGRESP %.3f s after the PINGREQ in frame %llu (deadline %.1f s)",
                             rtt, (unsigned long long)req.tag, us_to_s(l.t_resp));
            }
        }
    }
    if (p->type == MQTTKA_MQTT_DISCONNECT)
        keepalive_on_close(at, s, side_of(dir), MQTTKA_CLOSE_MQTT_DISCONNECT);
    else if (s->connect_seen && !s->connack_seen && !verdict_record_of(s)->first_close.seen)
        (void)negotiation_check_connack(at, s, false, MQTTKA_SIDE_NONE);
}

/* ---------------------------------------------------- WebSocket control -- */

static uint64_t payload_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void keepalive_on_ws_control(const rule_ctx *at, session *s, mqttka_direction dir,
                             uint8_t opcode, const uint8_t *payload, size_t len)
{
    int32_t code = -1;
    if (opcode == MQTTKA_WS_CLOSE && len >= 2)
        code = payload[0] << 8 | payload[1];

    mqttka_event ev;
    event_init(&ev, at, s, MQTTKA_EV_WS_CONTROL, dir);
    ev.u.control.opcode = opcode;
    ev.u.control.payload = payload;
    ev.u.control.payload_len = len;
    ev.u.control.close_code = code;
    emit_event(at, &ev);

    if (opcode == MQTTKA_WS_PING) {
        session_rare *r = session_rare_of(s);
        if (!r)
            return; /* out of memory: this Ping goes unwatched */
        ws_ping_pending *w = &r->ws_ping[dir];
        if (w->outstanding) {
            emit_finding(at, s, MQTTKA_F_WS_PING_UNANSWERED, dir, w->tag, true,
                         us_to_s(at->ts - w->ts),
                         "WebSocket Ping from the %s in frame %llu got no Pong before the next "
                         "Ping (RFC 6455 §5.5.2)",
                         sender_name(dir), (unsigned long long)w->tag);
        }
        w->outstanding = true;
        w->payload_hash = payload_hash(payload, len);
        w->payload_len = len;
        w->ts = at->ts;
        w->tag = at->tag;
    } else if (opcode == MQTTKA_WS_PONG && s->rare) {
        ws_ping_pending *w = &s->rare->ws_ping[1 - dir];
        if (w->outstanding && w->payload_len == len && w->payload_hash == payload_hash(payload, len))
            w->outstanding = false;
    } else if (opcode == MQTTKA_WS_CLOSE) {
        verdict_note_ws_close(at, s, side_of(dir), code, payload, len);
        keepalive_on_close(at, s, side_of(dir), MQTTKA_CLOSE_WS_CLOSE);
    }
}

/* -------------------------------------------------------------- holes -- */

void keepalive_on_gap(const rule_ctx *at, session *s, mqttka_direction dir)
{
    (void)at;
    if (dir == MQTTKA_C2S) {
        /* The interval of silence that holds the hole cannot be judged, and
         * the hole may hold PINGREQs. Unless it is the silence's one hole,
         * the size of a PINGREQ, that began between packets and the server
         * acknowledged (flow.c, note_tail_hole): a PINGRESP after it would
         * say it was one, and when it had come (keepalive_on_close). */
        session_rare *r = s->rare;
        bool ping = !s->gap_in_silence && r && r->client_tail_hole &&
                    session_pingreq_sized(s, r->client_tail_hole_bytes);
        s->gap_in_silence = true;
        s->client_hole_unpaired = true;
        keepalive_on_undecoded(at, s, dir);
        if (ping) {
            r->ping_hole = true;
            r->ping_hole_bytes = r->client_tail_hole_bytes;
            r->ping_hole_ts = r->client_tail_hole_ts;
            r->ping_hole_tag = r->client_tail_hole_tag;
        }
        return;
    }
    /* The answers of the PINGREQs waiting now may be in the hole: neither
     * paired nor unanswered; a PINGRESP with nothing to pair may be one. */
    unsigned unseen = s->pings_answer_unseen + s->pingq_len;
    s->pings_answer_unseen = (uint8_t)(unseen > UINT8_MAX ? UINT8_MAX : unseen);
    s->pingq_len = 0;
}

void keepalive_on_server_bytes(session *s)
{
    s->pingq_len = 0;
}

void keepalive_on_undecoded(const rule_ctx *at, session *s, mqttka_direction dir)
{
    session_rare *r;
    if (dir == MQTTKA_C2S && (r = session_rare_of(s))) {
        r->client_undecoded_ts = at->ts;
        r->client_undecoded = true;
        r->ping_hole = r->ping_hole_answered = false; /* bytes after it */
    }
}

/* -------------------------------------------------------------- close -- */

void keepalive_on_close(const rule_ctx *at, session *s, mqttka_side side,
                        mqttka_close_mechanism how)
{
    /* The first close is the verdict's evidence: what the rules knew then.
     * Later ones (the other side's FIN after a DISCONNECT, say) are only
     * recorded. */
    bool first = verdict_note_close(at, s, side, how);
    close_facts facts = {
        .silence = MQTTKA_TIME_NONE,
        .silence_min = MQTTKA_TIME_NONE,
        .silence_max = MQTTKA_TIME_NONE,
        .oldest_ping_ts = MQTTKA_TIME_NONE,
        .last_data_ts = s->last_data_ts,
        .closer_stream_lost = s->dirs[side == MQTTKA_SIDE_CLIENT ? MQTTKA_C2S : MQTTKA_S2C].lost,
        .any_stream_lost = s->dirs[MQTTKA_C2S].lost || s->dirs[MQTTKA_S2C].lost,
        /* the client's own ACKs: not a byte from the server since its
         * oldest PINGREQ waiting */
        .no_server_bytes_since_ping = s->rare && s->rare->ping_ack_known &&
                                      s->rare->client_ack_known &&
                                      s->rare->client_ack == s->rare->ping_ack,
        .acked_silence = MQTTKA_TIME_NONE,
        .ping_hole_silence = MQTTKA_TIME_NONE,
    };
    if (first && s->pingq_len) {
        facts.oldest_ping_ts = ping_ts(&s->pingq[0]);
        facts.oldest_ping_tag = s->pingq[0].tag;
    }
    /* A WebSocket Ping can be answered until the side that owes the Pong
     * closes. */
    mqttka_direction closer = side == MQTTKA_SIDE_CLIENT ? MQTTKA_C2S : MQTTKA_S2C;
    ws_ping_pending *w = s->rare ? &s->rare->ws_ping[1 - closer] : NULL;
    if (w && w->outstanding) {
        w->outstanding = false;
        emit_finding(at, s, MQTTKA_F_WS_PING_UNANSWERED, (mqttka_direction)(1 - closer), w->tag,
                     true, us_to_s(time_since(w->ts, at->ts)),
                     "WebSocket Ping from the %s in frame %llu got no Pong before the %s closed "
                     "the connection (%s)",
                     sender_name((mqttka_direction)(1 - closer)), (unsigned long long)w->tag,
                     sender_name(closer), mqttka_close_mechanism_name(how));
    }
    /* A PINGREQ can be answered until the server's side ends: its close, or
     * a reset from either side. */
    if (s->pingq_len && (side == MQTTKA_SIDE_SERVER || how == MQTTKA_CLOSE_RST)) {
        char before[64];
        text_format(before, sizeof before, "the %s %s the connection (%s)", sender_name(closer),
                    how == MQTTKA_CLOSE_RST ? "reset" : "closed",
                    mqttka_close_mechanism_name(how));
        pings_unanswered(at, s, before);
    }
    if (!first)
        return;
    (void)negotiation_check_connack(at, s, true, side);
    bool seen_whole = s->last_client_ts != MQTTKA_TIME_NONE && !s->gap_in_silence;
    mqttka_time silence = seen_whole ? time_since(s->last_client_ts, at->ts) : MQTTKA_TIME_NONE;
    if (seen_whole && timing_applies(s))
        facts.silence = silence;
    /* A silence that holds a hole lasted at least since the client's last
     * undecoded bytes, at most since its last decoded packet. */
    if (!seen_whole && s->last_client_ts != MQTTKA_TIME_NONE && s->rare &&
        s->rare->client_undecoded && timing_applies(s)) {
        facts.silence_min = time_since(s->rare->client_undecoded_ts, at->ts);
        facts.silence_max = time_since(s->last_client_ts, at->ts);
    }
    /* The client's side not captured: the server's own close, after its ACK
     * last moved, with every byte of its stream captured (an ACK that
     * moved in a segment the capture missed would be told later than it
     * moved, and the time would say less). */
    const session_rare *r = s->rare;
    if (side == MQTTKA_SIDE_SERVER && !seen(s, MQTTKA_C2S) && seen(s, MQTTKA_S2C) && r &&
        r->server_ack_known && r->hole[MQTTKA_S2C].holes == 0 && !r->hole[MQTTKA_S2C].open &&
        !s->dirs[MQTTKA_S2C].lost && timing_applies(s) && at->ts >= r->server_ack_step_ts) {
        facts.acked_silence = at->ts - r->server_ack_step_ts;
        facts.acked_silence_tag = r->server_ack_step_tag;
    }
    /* The server closes a silence whose one hole was a PINGREQ it
     * answered (keepalive_on_gap): the client's last bytes had come by the
     * server's ACK of them, so the silence lasted at least since then, and
     * more by no more than the time they took to reach the server. */
    if (side == MQTTKA_SIDE_SERVER && !seen_whole && r && r->ping_hole &&
        r->ping_hole_answered && timing_applies(s) && at->ts >= r->ping_hole_ts) {
        facts.ping_hole_silence = at->ts - r->ping_hole_ts;
        facts.ping_hole_bytes = r->ping_hole_bytes;
        facts.ping_hole_tag = r->ping_hole_tag;
    }
    verdict_note_facts(s, &facts);
    verdict_close_hypotheses(at, s, rules_keepalive(s));
    /* A client's DISCONNECT ends its silence by its own choice. */
    if (seen_whole && (how != MQTTKA_CLOSE_MQTT_DISCONNECT || side != MQTTKA_SIDE_CLIENT))
        judge_silence(at, s, silence, at->tag, "the connection closed");
}

void keepalive_on_end(const rule_ctx *at, session *s, bool end_of_input, uint64_t last_tag)
{
    const close_record *end = verdict_record_of(s);
    bool still_open = !end->first_close.seen;
    if (still_open && end_of_input && s->last_client_ts != MQTTKA_TIME_NONE) {
        mqttka_time silence = time_since(s->last_client_ts, at->ts);
        judge_silence(at, s, silence, last_tag, "the end of the capture");
    }
    if (still_open)
        (void)negotiation_check_connack(at, s, false, MQTTKA_SIDE_NONE);
    if (seen(s, MQTTKA_C2S) != seen(s, MQTTKA_S2C)) {
        bool client = seen(s, MQTTKA_C2S);
        emit_finding(at, s, MQTTKA_F_ONE_SIDED, client ? MQTTKA_S2C : MQTTKA_C2S, 0, false, 0,
                     "only the %s direction was captured (no segment from the %s): %s",
                     client ? "client to server" : "server to client",
                     client ? "server" : "client",
                     client ? "the server's answers and close are told only from the "
                              "client's ACKs"
                            : "the client's silences and pings are told only from the "
                              "server's ACKs");
    }
    /* PINGREQs the server's close did not settle: unanswered, unless the
     * capture ended, the connection still open, before an answer was due. */
    keepalive_limits l = keepalive_limits_for(at->cfg, rules_keepalive(s));
    size_t due = 0;
    for (size_t i = 0; i < s->pingq_len; i++) {
        if (!end_of_input || !still_open || at->ts - ping_ts(&s->pingq[i]) > l.t_resp)
            s->pingq[due++] = s->pingq[i];
    }
    s->pingq_len = (uint8_t)due;
    if (due) {
        pings_unanswered(at, s, end_of_input ? "the end of the capture"
                                             : "mqttka stopped following the connection");
    }
    s->pingq_len = 0;
    for (int d = 0; d < 2 && s->rare; d++) {
        ws_ping_pending *w = &s->rare->ws_ping[d];
        if (!w->outstanding)
            continue;
        if (still_open && at->ts - w->ts <= l.t_resp)
            continue;
        w->outstanding = false;
        if (!seen(s, (mqttka_direction)(1 - d)))
            continue;
        emit_finding(at, s, MQTTKA_F_WS_PING_UNANSWERED, (mqttka_direction)d, w->tag, false, 0,
                     "WebSocket Ping from the %s in frame %llu got no Pong before %s",
                     sender_name((mqttka_direction)d), (unsigned long long)w->tag,
                     still_open ? "the end of the capture" : "the connection closed");
    }
}

/* Live capture: report what time alone has decided. */
mqttka_time keepalive_tick(const rule_ctx *at, session *s, mqttka_time now)
{
    if (verdict_record_of(s)->first_close.seen)
        return MQTTKA_TIME_NONE;
    /* the CONNACK's wait runs before any keepalive is in force */
    mqttka_time connack_due = negotiation_check_connack(at, s, false, MQTTKA_SIDE_NONE);
    if (!timing_applies(s) || s->gap_in_silence)
        return connack_due;
    int32_t kae = rules_keepalive(s);
    keepalive_limits l = keepalive_limits_for(at->cfg, kae);
    mqttka_time ka = (mqttka_time)kae * SECOND, ka15 = ka + ka / 2;
    mqttka_time next = MQTTKA_TIME_NONE;
    if (s->last_client_ts != MQTTKA_TIME_NONE) {
        mqttka_time silence = now - s->last_client_ts;
        mqttka_time t1 = s->last_client_ts + ka + l.tol, t2 = s->last_client_ts + ka15 + l.tol;
        /* The server must have closed by 1.5 x KAe + G (judge_silence's rule). */
        mqttka_time t3 = s->last_client_ts + ka15 + time_max(l.grace, l.tol);
        if (!s->silence_ka_ticked && silence > ka + l.tol) {
            s->silence_ka_ticked = true;
            emit_finding(at, s, MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE, MQTTKA_C2S,
                         s->last_client_tag, true, us_to_s(silence),
                         "client silent for %.3f s so far, over keepalive %d s%s; last client "
                         "packet in frame %llu",
                         us_to_s(silence), kae, inferred_note(s),
                         (unsigned long long)s->last_client_tag);
        }
        if (!s->silence_15_ticked && silence > ka15 + l.tol) {
            s->silence_15_ticked = true;
            emit_finding(at, s, MQTTKA_F_CLIENT_SILENT_OVER_1_5_KEEPALIVE, MQTTKA_C2S,
                         s->last_client_tag, true, us_to_s(silence),
                         "client silent for %.3f s so far, over 1.5 x keepalive%s: the server "
                         "must close the connection",
                         us_to_s(silence), inferred_note(s));
        }
        /* The first server close ends the ticks (first_close), so here the
         * server has not closed at all, if its side is captured. */
        if (!s->not_enforced_ticked && now > t3 && seen(s, MQTTKA_S2C)) {
            s->not_enforced_ticked = true;
            emit_finding(at, s, MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED, MQTTKA_S2C,
                         s->last_client_tag, true, us_to_s(silence),
                         "server has not closed %.1f s after the client went quiet "
                         "(1.5 x keepalive%s %.1f s + grace %.1f s)",
                         us_to_s(silence), inferred_note(s), us_to_s(ka15), us_to_s(l.grace));
        }
        /* Each finding fires once `now` is past its limit: the next call that
         * can emit is one microsecond after it. */
        if (!s->silence_ka_ticked)
            next = t1 + 1;
        else if (!s->silence_15_ticked)
            next = t2 + 1;
        else if (!s->not_enforced_ticked && seen(s, MQTTKA_S2C))
            next = t3 + 1;
    }
    for (size_t i = 0; i < s->pingq_len && seen(s, MQTTKA_S2C); i++) {
        ping_pending *q = &s->pingq[i];
        if (ping_has(q, PING_WARNED))
            continue;
        if (now - ping_ts(q) > l.t_resp) {
            ping_set(q, PING_WARNED);
            emit_finding_lesser(at, s, MQTTKA_F_PINGREQ_UNANSWERED, MQTTKA_C2S, q->tag, true,
                                us_to_s(now - ping_ts(q)),
                                "PINGREQ in frame %llu has had no PINGRESP for %.3f s "
                                "(deadline %.1f s)",
                                (unsigned long long)q->tag, us_to_s(now - ping_ts(q)),
                                us_to_s(l.t_resp));
        } else if (next == MQTTKA_TIME_NONE || ping_ts(q) + l.t_resp < next) {
            next = ping_ts(q) + l.t_resp + 1;
        }
    }
    if (connack_due != MQTTKA_TIME_NONE && (next == MQTTKA_TIME_NONE || connack_due < next))
        next = connack_due;
    return next;
}
