/*
 * verdict.c - how a connection ended and why, and its summary.
 *
 * FINDINGS.md "Why the connection ended": the rules are checked in order
 * and the first that fits wins; the mechanism of the first close
 * (DISCONNECT, WebSocket Close, FIN, RST) is reported beside the verdict.
 */
#include "verdict.h"

#include <stdlib.h>
#include <string.h>

#include "between.h"
#include "connack_name.h"
#include "core_time.h"
#include "figures.h"
#include "finding_kinds.h"
#include "keepalive_limits.h"
#include "ping_timeouts.h"
#include "text_format.h"

/* What an open connection's record says. */
static const close_record record_none = {
    .disconnect_reason = -1,
    .ws_close_code = -1,
    .server_close_ts = MQTTKA_TIME_NONE,
    .at_close = {
        .silence = MQTTKA_TIME_NONE,
        .silence_min = MQTTKA_TIME_NONE,
        .silence_max = MQTTKA_TIME_NONE,
        .oldest_ping_ts = MQTTKA_TIME_NONE,
        .last_data_ts = MQTTKA_TIME_NONE,
        .ping_hole_silence = MQTTKA_TIME_NONE,
    },
    .oldest_ping_answer_ts = MQTTKA_TIME_NONE,
    .taker_connect_ts = MQTTKA_TIME_NONE,
    .refused_code = -1,
};

/* The record, made on first use; NULL only when out of memory. */
static close_record *record_make(session *s)
{
    if (!s->end) {
        s->end = malloc(sizeof *s->end);
        if (s->end)
            *s->end = record_none;
    }
    return s->end;
}

const close_record *verdict_record_of(const session *s)
{
    return s->end ? s->end : &record_none;
}

/* The server ends the connection (its first close, or DISCONNECT 0x8E):
 * was it for a newer connection with the same client id? */
static void note_taker(const rule_ctx *at, const session *s, close_record *end)
{
    mqttka_time ts = MQTTKA_TIME_NONE;
    uint64_t taker = end->taken_over_by ? 0 : between_taker(at, s, &ts);
    if (taker) {
        end->taken_over_by = taker;
        end->taker_connect_ts = ts;
    }
}

/* Records the first close of a kind (FIN/RST/Close, DISCONNECT, WebSocket
 * Close) at this frame; false when one was recorded before. */
static bool close_event_note(close_event *e, mqttka_side side, const rule_ctx *at)
{
    if (e->seen)
        return false;
    e->seen = true;
    e->side = side;
    e->ts = at->ts;
    e->tag = at->tag;
    return true;
}

bool verdict_note_close(const rule_ctx *at, session *s, mqttka_side side,
                        mqttka_close_mechanism how)
{
    close_record *end = record_make(s);
    if (!end)
        return false;
    if (side == MQTTKA_SIDE_SERVER && !end->server_closed_any) {
        end->server_closed_any = true;
        end->server_close_ts = at->ts;
        if (!end->first_close.seen && how != MQTTKA_CLOSE_MQTT_DISCONNECT)
            note_taker(at, s, end);
    }
    if (!close_event_note(&end->first_close, side, at)) {
        /* A side's DISCONNECT decoded after its own FIN or RST was sent
         * before it (no byte follows those): its segment waited behind a
         * hole. It is how that side closed, at the time of its close. */
        if (how == MQTTKA_CLOSE_MQTT_DISCONNECT && end->first_close.side == side &&
            end->first_close_mechanism != MQTTKA_CLOSE_MQTT_DISCONNECT &&
            end->first_close_mechanism != MQTTKA_CLOSE_WS_CLOSE)
            end->first_close_mechanism = how;
        return false;
    }
    between_on_close(at, s);
    /* explained closes (a DISCONNECT, a refusal, a takeover) are not a
     * mass close's */
    if (how != MQTTKA_CLOSE_MQTT_DISCONNECT && end->refused_code < 0 && !end->taken_over_by)
        between_on_bare_close(at, s, side, how);
    end->first_close_mechanism = how;
    return true;
}

void verdict_note_facts(session *s, const close_facts *facts)
{
    if (s->end)
        s->end->at_close = *facts;
}

void verdict_note_ping_answered(const rule_ctx *at, session *s, uint64_t ping_tag)
{
    close_record *end = s->end;
    if (end && end->first_close.seen && end->at_close.oldest_ping_ts != MQTTKA_TIME_NONE &&
        end->at_close.oldest_ping_tag == ping_tag)
        end->oldest_ping_answer_ts = at->ts;
}

void verdict_close_hypotheses(const rule_ctx *at, session *s, int32_t kae)
{
    const close_record *end = s->end;
    if (!end || kae <= 0 || s->timing_off)
        return;
    const close_event *fc = &end->first_close;
    mqttka_close_mechanism how = end->first_close_mechanism;
    bool bare = how == MQTTKA_CLOSE_FIN || how == MQTTKA_CLOSE_RST;
    bool disconnect = how == MQTTKA_CLOSE_MQTT_DISCONNECT;
    /* Only after a PINGREQ left unanswered: a close after an answered one
     * falls in some library's window as often as exits do (one in seven of
     * the held-out random exits), and names the wrong library. */
    if (!fc->seen || fc->side != MQTTKA_SIDE_CLIENT || !(bare || disconnect) ||
        end->at_close.closer_stream_lost || end->at_close.oldest_ping_ts == MQTTKA_TIME_NONE)
        return;
    /* With the server's side not captured, only the client's ACKs can say
     * that nothing answered. */
    if (verdict_side_not_captured(s) == MQTTKA_SIDE_SERVER &&
        !end->at_close.no_server_bytes_since_ping)
        return;
    mqttka_time since = fc->ts - end->at_close.oldest_ping_ts;
    ping_timeout_match m = ping_timeout_find(since, kae, disconnect);
    if (!m.libraries)
        return;
    const char *closed = disconnect ? "sent DISCONNECT" : "closed";
    unsigned long long ping = (unsigned long long)end->at_close.oldest_ping_tag;
    if (!m.only) {
        emit_finding(at, s, MQTTKA_F_CLOSE_MATCHES_PING_TIMEOUT, MQTTKA_C2S, 0, true,
                     us_to_s(since),
                     "possible ping timeout: %s %.3f s after the unanswered PINGREQ in frame "
                     "%llu, in the windows of %u libraries at keepalive %d s (none singled "
                     "out); the client's log would tell",
                     closed, us_to_s(since), ping, m.libraries, kae);
        return;
    }
    emit_finding(at, s, MQTTKA_F_CLOSE_MATCHES_PING_TIMEOUT, MQTTKA_C2S, 0, true, us_to_s(since),
                 "possible ping timeout: %s %.3f s after the unanswered PINGREQ in frame %llu, "
                 "alone in %s's window %.2f-%.2f s at keepalive %d s; its log would show %s",
                 closed, us_to_s(since), ping, m.only->library, us_to_s(m.lo), us_to_s(m.hi), kae,
                 m.only->confirm);
}

void verdict_note_disconnect(const rule_ctx *at, session *s, mqttka_side side, int32_t reason)
{
    close_record *end = record_make(s);
    if (end && close_event_note(&end->disconnect, side, at)) {
        end->disconnect_reason = reason;
        if (side == MQTTKA_SIDE_SERVER && reason == 0x8E) /* Session taken over */
            note_taker(at, s, end);
    }
}

void verdict_note_inferred_disconnect(const rule_ctx *at, session *s, uint32_t bytes,
                                      mqttka_time close_after)
{
    close_record *end = record_make(s);
    if (!end || end->disconnect.seen)
        return;
    verdict_note_disconnect(at, s, MQTTKA_SIDE_CLIENT, -1);
    end->disconnect_inferred = true;
    end->inferred_bytes = bytes;
    end->inferred_close_after = close_after;
}

void verdict_note_inferred_ping(session *s, uint32_t bytes, mqttka_time ack_ts,
                                uint64_t ack_tag)
{
    close_record *end = record_make(s);
    if (!end)
        return;
    end->ping_inferred = true;
    end->inferred_ping_bytes = bytes;
    end->inferred_ping_ts = ack_ts;
    end->inferred_ping_tag = ack_tag;
}

void verdict_note_ws_close(const rule_ctx *at, session *s, mqttka_side side, int32_t code,
                           const uint8_t *payload, size_t len)
{
    close_record *end = record_make(s);
    if (!end || !close_event_note(&end->ws_close, side, at))
        return;
    end->ws_close_code = code;
    /* The reason follows the 2-byte code (RFC 6455 §5.5.1); kept printable. */
    size_t rlen = len > 2 ? len - 2 : 0;
    if (rlen > sizeof end->ws_close_reason - 1)
        rlen = sizeof end->ws_close_reason - 1;
    for (size_t i = 0; i < rlen; i++) {
        uint8_t c = payload[2 + i];
        end->ws_close_reason[i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    end->ws_close_reason[rlen] = '\0';
}

void verdict_note_refused(session *s, uint8_t code)
{
    close_record *end = record_make(s);
    if (end)
        end->refused_code = code;
}

/* "Normal disconnection": the reason's name, as the packet line has it. */
static const char *disconnect_reason_name(int32_t code)
{
    const char *name = mqttka_reason_code_name(MQTTKA_MQTT_DISCONNECT, (uint8_t)code);
    return name ? name : "other reason";
}

mqttka_side verdict_side_not_captured(const session *s)
{
    bool client = (s->dirs_seen & (1u << MQTTKA_C2S)) != 0;
    bool server = (s->dirs_seen & (1u << MQTTKA_S2C)) != 0;
    return client == server ? MQTTKA_SIDE_NONE : client ? MQTTKA_SIDE_SERVER : MQTTKA_SIDE_CLIENT;
}

static const char *side_word(mqttka_side s) { return s == MQTTKA_SIDE_SERVER ? "server" : "client"; }

/* Whether a client silence that lasted at least `least` and at most `most`
 * is a server enforcing the keepalive: 1.5 x KAe, less the tolerance, plus
 * the broker's grace. */
static bool is_keepalive_close(mqttka_time least, mqttka_time most, mqttka_time ka15,
                               keepalive_limits l)
{
    return least != MQTTKA_TIME_NONE && least >= ka15 - l.tol && most <= ka15 + l.grace;
}

static void decide(const rule_ctx *at, const session *s, mqttka_summary *out)
{
    const close_record *end = verdict_record_of(s);
    /* A capture of one side only: nothing about the other is claimed. */
    mqttka_side unseen = verdict_side_not_captured(s);
    mqttka_side seen_side = unseen == MQTTKA_SIDE_SERVER ? MQTTKA_SIDE_CLIENT : MQTTKA_SIDE_SERVER;
    char *detail = out->verdict_detail;
    size_t dsz = sizeof out->verdict_detail;
    const close_event *fc = &end->first_close;
    const char *how = mqttka_close_mechanism_name(end->first_close_mechanism);
    /* the keepalive negotiated, else the one inferred from the pings */
    int32_t kae = s->conn.effective_keepalive >= 0 ? s->conn.effective_keepalive
                                                   : s->conn.keepalive_inferred;
    const char *inferred = s->conn.effective_keepalive < 0 && kae > 0 ? " (inferred)" : "";
    keepalive_limits l = keepalive_limits_for(at->cfg, kae);

    /* 0. a refusal explains the end, whoever closed (the broker and the
     * client race to) */
    if (end->refused_code >= 0) {
        out->verdict = MQTTKA_V_CONNECT_REFUSED;
        uint8_t code = (uint8_t)end->refused_code;
        const char *name = connack_code_name(s->conn.mqtt_level, code);
        char closed[64] = "";
        if (fc->seen)
            text_format(closed, sizeof closed, "; then the %s closed (%s)", side_word(fc->side),
                        how);
        if (s->conn.mqtt_level == 5 && code >= 0x80)
            text_format(detail, dsz, "CONNACK refused it: reason 0x%02X (%s)%s", (unsigned)code,
                        name, closed);
        else
            text_format(detail, dsz, "CONNACK refused it: return code %u (%s)%s", (unsigned)code,
                        name, closed);
        return;
    }
    /* 0b. the server dropped it for a newer connection with its client id
     * (MQTT-3.1.4-2 / -3): DISCONNECT 0x8E, or the server's bare close
     * right after that connection's CONNECT */
    bool dis_8e = end->disconnect.seen && end->disconnect.side == MQTTKA_SIDE_SERVER &&
                  end->disconnect_reason == 0x8E;
    bool first_is_server = fc->seen && fc->side == MQTTKA_SIDE_SERVER;
    if ((dis_8e && first_is_server) ||
        (first_is_server && end->taken_over_by &&
         end->first_close_mechanism != MQTTKA_CLOSE_MQTT_DISCONNECT)) {
        out->verdict = MQTTKA_V_SESSION_TAKEN_OVER;
        char by[96] = "";
        if (end->taken_over_by)
            text_format(by, sizeof by, " %.3f s after connection %llu presented client id",
                        us_to_s(fc->ts - end->taker_connect_ts),
                        (unsigned long long)end->taken_over_by);
        else
            text_format(by, sizeof by, " (the connection that presented client id");
        text_format(detail, dsz, "server closed it (%s)%s \"%s\"%s (%s)",
                    dis_8e ? "DISCONNECT 0x8E Session taken over" : how, by, s->conn.client_id,
                    end->taken_over_by ? "" : " is not in the capture)",
                    s->conn.mqtt_level == 5 ? "MQTT-3.1.4-3" : "MQTT-3.1.4-2");
        return;
    }

    /* 1. DISCONNECT */
    if (end->disconnect.seen) {
        out->verdict = MQTTKA_V_MQTT_DISCONNECT;
        if (end->disconnect_inferred)
            text_format(detail, dsz, "client sent DISCONNECT (inferred, not seen: the client's "
                        "side was not captured; the server acknowledged %u bytes from it, the "
                        "size of a DISCONNECT%s, sent nothing back and closed %.3f s later)",
                        (unsigned)end->inferred_bytes,
                        s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET ? " in a masked frame"
                                                                        : "",
                        us_to_s(end->inferred_close_after));
        else if (end->disconnect_reason >= 0)
            text_format(detail, dsz, "%s sent DISCONNECT with reason 0x%02X (%s)",
                     side_word(end->disconnect.side), (unsigned)end->disconnect_reason,
                     disconnect_reason_name(end->disconnect_reason));
        else
            text_format(detail, dsz, "%s sent DISCONNECT", side_word(end->disconnect.side));
        return;
    }
    if (!fc->seen) {
        out->verdict = MQTTKA_V_OPEN;
        if (unseen)
            text_format(detail, dsz, "no close from the %s's side by the end of the capture; "
                        "the %s's side was not captured", side_word(seen_side),
                        side_word(unseen));
        else
            text_format(detail, dsz, "still open at the end of the capture");
        return;
    }
    bool timed = end->at_close.silence != MQTTKA_TIME_NONE && kae > 0;
    mqttka_time ka15 = (mqttka_time)kae * SECOND * 3 / 2;

    /* 2. the server enforced the keepalive */
    if (fc->side == MQTTKA_SIDE_SERVER && timed &&
        is_keepalive_close(end->at_close.silence, end->at_close.silence, ka15, l)) {
        out->verdict = MQTTKA_V_SERVER_CLOSED_KEEPALIVE;
        text_format(detail, dsz,
                 "server closed (%s) after %.3f s of client silence: keepalive %d s%s x 1.5 = "
                 "%.1f s",
                 how, us_to_s(end->at_close.silence), kae, inferred, us_to_s(ka15));
        return;
    }
    /* The same on a capture of the server's side only: the client's
     * silence is the time the server's ACK stood still before its close
     * (keepalive.c). It lasted at least that long: the client's last bytes
     * had come by the ACK. Not where the server's stream missed bytes, even
     * those told only after the close (its FIN beyond them): an ACK may
     * have moved in them. */
    const session_rare *rare = s->rare;
    bool server_whole = !s->dirs[MQTTKA_S2C].lost &&
                        !(rare && (rare->hole[MQTTKA_S2C].holes || rare->hole[MQTTKA_S2C].open));
    if (fc->side == MQTTKA_SIDE_SERVER && unseen == MQTTKA_SIDE_CLIENT && kae > 0 && server_whole &&
        is_keepalive_close(end->at_close.acked_silence, end->at_close.acked_silence, ka15, l)) {
        out->verdict = MQTTKA_V_SERVER_CLOSED_KEEPALIVE;
        text_format(detail, dsz,
                    "server closed (%s) %.3f s after its ACK last moved, in frame %llu (the "
                    "client's side was not captured: its silence is told by the server's ACKs): "
                    "keepalive %d s%s x 1.5 = %.1f s",
                    how, us_to_s(end->at_close.acked_silence),
                    (unsigned long long)end->at_close.acked_silence_tag, kae,
                    s->conn.effective_keepalive < 0 ? " (inferred from the PINGREQs it "
                                                      "acknowledged)"
                                                    : "",
                    us_to_s(ka15));
        return;
    }
    /* The same where the silence held a hole: when all it can have lasted
     * fits, the verdict stands; it says how little is known. */
    if (fc->side == MQTTKA_SIDE_SERVER && kae > 0 &&
        is_keepalive_close(end->at_close.silence_min, end->at_close.silence_max, ka15, l)) {
        out->verdict = MQTTKA_V_SERVER_CLOSED_KEEPALIVE;
        text_format(detail, dsz,
                    "server closed (%s) after %.3f to %.3f s of client silence (the capture "
                    "missed part of the client's stream in it): keepalive %d s%s x 1.5 = %.1f s",
                    how, us_to_s(end->at_close.silence_min), us_to_s(end->at_close.silence_max),
                    kae, inferred, us_to_s(ka15));
        return;
    }
    /* The same where the silence's one hole was a PINGREQ the server
     * acknowledged and answered (keepalive.c): the silence lasted at least
     * since that ACK, and longer only by the PINGREQ's way to the server. */
    if (fc->side == MQTTKA_SIDE_SERVER && kae > 0 &&
        is_keepalive_close(end->at_close.ping_hole_silence, end->at_close.ping_hole_silence, ka15,
                           l)) {
        out->verdict = MQTTKA_V_SERVER_CLOSED_KEEPALIVE;
        text_format(detail, dsz,
                    "server closed (%s) after %.3f s of client silence, since its ACK in "
                    "frame %llu of a PINGREQ inferred (%u bytes missed, then a PINGRESP): "
                    "keepalive %d s%s x 1.5 = %.1f s",
                    how, us_to_s(end->at_close.ping_hole_silence),
                    (unsigned long long)end->at_close.ping_hole_tag,
                    (unsigned)end->at_close.ping_hole_bytes, kae, inferred, us_to_s(ka15));
        return;
    }

    /* 3. the client closed with a PINGREQ unanswered: a fact. Why (a ping
     * timeout, an exit) is for close_matches_ping_timeout to suggest. Only
     * a capture of the server's side shows that no PINGRESP came. */
    bool acked_nothing = unseen == MQTTKA_SIDE_SERVER && end->at_close.no_server_bytes_since_ping;
    /* A PINGREQ the capture did not hold, told by the server's ACK of its
     * size (flow.c, infer_pingreq): only where none seen was waiting. */
    bool ping_inferred = end->ping_inferred && end->at_close.oldest_ping_ts == MQTTKA_TIME_NONE;
    if (fc->side == MQTTKA_SIDE_CLIENT && !s->timing_off && ping_inferred) {
        out->verdict = MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP;
        out->pingreq_inferred = true;
        text_format(detail, dsz,
                    "client closed (%s) %.3f s or more after its PINGREQ (inferred, not seen: "
                    "%s; the server acknowledged %u bytes from it in frame %llu, the size of a "
                    "PINGREQ%s, and sent nothing after), which had no PINGRESP",
                    how, us_to_s(fc->ts - end->inferred_ping_ts),
                    unseen == MQTTKA_SIDE_CLIENT ? "the client's side was not captured"
                                                 : "the capture missed the client's last bytes",
                    (unsigned)end->inferred_ping_bytes,
                    (unsigned long long)end->inferred_ping_tag,
                    s->conn.transport == MQTTKA_TRANSPORT_WEBSOCKET ? " in a masked frame" : "");
        return;
    }
    if (fc->side == MQTTKA_SIDE_CLIENT && !s->timing_off &&
        (unseen != MQTTKA_SIDE_SERVER || acked_nothing) &&
        end->at_close.oldest_ping_ts != MQTTKA_TIME_NONE) {
        mqttka_time d = fc->ts - end->at_close.oldest_ping_ts;
        char late[64] = "";
        if (end->oldest_ping_answer_ts != MQTTKA_TIME_NONE)
            text_format(late, sizeof late, "; its PINGRESP came %.3f s after the close",
                        us_to_s(end->oldest_ping_answer_ts - fc->ts));
        out->verdict = MQTTKA_V_CLIENT_CLOSED_MISSING_PINGRESP;
        text_format(detail, dsz,
                    "client closed (%s) %.3f s after its PINGREQ in frame %llu, which had no "
                    "PINGRESP%s%s",
                    how, us_to_s(d), (unsigned long long)end->at_close.oldest_ping_tag, late,
                    acked_nothing ? " (the server's side was not captured; the client's ACKs "
                                    "show it sent nothing after the PINGREQ)"
                                  : "");
        return;
    }

    /* 4. a WebSocket Close that nothing above explains */
    if (end->ws_close.seen) {
        out->verdict = MQTTKA_V_WS_CLOSE;
        char code[48];
        if (end->ws_close_code >= 0)
            text_format(code, sizeof code, "code %d (%s)", (int)end->ws_close_code,
                        mqttka_ws_close_code_name(end->ws_close_code));
        else
            text_format(code, sizeof code, "with no status code");
        /* A protocol error that follows the peer's mask violation is an
         * answer to it (RFC 6455 §5.1: the receiver must fail the
         * connection): say which. */
        char cause[96] = "";
        mqttka_direction peer = end->ws_close.side == MQTTKA_SIDE_SERVER ? MQTTKA_C2S : MQTTKA_S2C;
        for (size_t i = 0; i < s->n_findings && end->ws_close_code == 1002; i++) {
            const stored_finding *k = &s->findings[i];
            if (k->kind == MQTTKA_F_WS_MASK_VIOLATION && k->dir == peer) {
                text_format(cause, sizeof cause, ", after the %s's %s frame in frame %llu "
                            "(ws_mask_violation)", side_word(side_of(peer)),
                            peer == MQTTKA_C2S ? "unmasked" : "masked",
                            (unsigned long long)k->tag);
                break;
            }
        }
        /* Where the other side was not captured, its DISCONNECT or Close
         * may have come before this Close, which then answered it. */
        char before[128] = "";
        if (unseen && unseen != end->ws_close.side)
            text_format(before, sizeof before, "; the %s's side was not captured, so whether "
                        "its DISCONNECT or Close came first is unknown", side_word(unseen));
        text_format(detail, dsz, "%s sent WebSocket Close%s, %s%s%s%s%s%s",
                    side_word(end->ws_close.side), unseen ? "" : " first", code,
                    end->ws_close_reason[0] ? ", reason \"" : "", end->ws_close_reason,
                    end->ws_close_reason[0] ? "\"" : "", cause, before);
        return;
    }

    /* 5. an intermediary's idle timeout: a proxy's timer knows nothing of
     * the keepalive, so the tolerance is the floor one (tol_min). Not when
     * a stream was not decoded: the traffic may be in what was missed. */
    if (end->at_close.last_data_ts != MQTTKA_TIME_NONE && !end->at_close.any_stream_lost &&
        !unseen) {
        mqttka_time idle = fc->ts - end->at_close.last_data_ts;
        for (size_t i = 0; i < at->cfg->n_idle_timeouts; i++) {
            mqttka_time t = at->cfg->idle_timeouts[i];
            mqttka_time diff = idle > t ? idle - t : t - idle;
            if (t > 0 && diff <= at->cfg->tol_min) {
                out->verdict = MQTTKA_V_INTERMEDIARY_IDLE_CLOSE;
                text_format(detail, dsz,
                         "%s side closed (%s) after %.3f s with no traffic at all: the idle "
                         "timeout of a proxy or load balancer (%.0f s)?",
                         side_word(fc->side), how, us_to_s(idle), us_to_s(t));
                return;
            }
        }
    }

    /* 6. plain closes. Where the closing side's stream was not being
     * decoded, a DISCONNECT or a Close may be in what was missed: not
     * claimed absent. */
    bool blind = end->at_close.closer_stream_lost;
    if (end->first_close_mechanism == MQTTKA_CLOSE_RST) {
        out->verdict = MQTTKA_V_RESET;
        if (blind)
            text_format(detail, dsz, "%s reset the connection (RST); the capture did not decode "
                        "the last of its stream, which may hold a DISCONNECT or WebSocket Close",
                        side_word(fc->side));
        else
            text_format(detail, dsz, "%s reset the connection (RST) with no DISCONNECT or "
                        "WebSocket Close", side_word(fc->side));
        return;
    }
    out->verdict = fc->side == MQTTKA_SIDE_SERVER ? MQTTKA_V_SERVER_CLOSED : MQTTKA_V_CLIENT_CLOSED;
    if (unseen && fc->side == unseen)
        text_format(detail, dsz, "%s closed the connection (%s, told by the %s's "
                    "acknowledgment); the %s's side was not captured, so whether a DISCONNECT "
                    "or WebSocket Close came first is unknown", side_word(fc->side), how,
                    side_word(seen_side), side_word(unseen));
    else if (unseen)
        text_format(detail, dsz, "%s closed the connection (%s) with no DISCONNECT or WebSocket "
                    "Close of its own; the %s's side was not captured, so what led to it is "
                    "unknown", side_word(fc->side), how, side_word(unseen));
    else if (blind)
        text_format(detail, dsz, "%s closed the connection (%s); the capture did not decode the "
                    "last of its stream, which may hold a DISCONNECT or WebSocket Close",
                    side_word(fc->side), how);
    else if (fc->side == MQTTKA_SIDE_SERVER && (kae <= 0 || !timed))
        /* Whether the keepalive ran out needs both the keepalive and the
         * whole of the client's last silence. */
        text_format(detail, dsz, "server closed the connection (%s) with no DISCONNECT or "
                    "WebSocket Close; %s, so whether the client's keepalive ran out cannot be "
                    "told", how,
                    kae <= 0 ? "the keepalive is unknown (the capture missed the CONNECT)"
                             : "the capture missed part of the client's last silence");
    else
        text_format(detail, dsz, "%s closed the connection (%s) with no DISCONNECT, no WebSocket "
                    "Close and no keepalive reason", side_word(fc->side), how);
}

mqttka_finding *verdict_build_summary(const rule_ctx *at, session *s, mqttka_time last_ts,
                                      uint64_t last_tag, mqttka_summary *out)
{
    const close_record *end = verdict_record_of(s);
    memset(out, 0, sizeof *out);
    s->conn.end = last_ts > s->conn.start ? last_ts : s->conn.start;
    s->conn.last_tag = last_tag;
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
    out->close_inferred = end->first_close.seen &&
                          end->first_close_mechanism == MQTTKA_CLOSE_MQTT_DISCONNECT &&
                          end->disconnect_inferred;
    out->side_not_captured = verdict_side_not_captured(s);
    decide(at, s, out);
    out->taken_over_by = out->verdict == MQTTKA_V_SESSION_TAKEN_OVER ? end->taken_over_by : 0;
    out->connack_code = s->connack_seen && s->accepted ? 0 : end->refused_code;
    between_on_verdict(at, s, out->verdict);
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
