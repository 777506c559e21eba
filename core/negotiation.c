/*
 * negotiation.c - CONNECT and CONNACK: the keepalive in force.
 *
 * MQTT 3.1.1 §3.1.2.10 / 5.0 §3.1.2.10: the client's CONNECT names the Keep
 * Alive; in 5.0 a CONNACK's Server Keep Alive (property 0x13) replaces it
 * (MQTT-3.2.2-21). A CONNACK that refuses the connection puts no keepalive
 * in force.
 */
#include "negotiation.h"

#include <string.h>

#include "between.h"
#include "connack_name.h"
#include "verdict.h"
#include "core_time.h"

/* A client that closes this soon after its CONNECT may not have waited for
 * a CONNACK at all (paho python told to stop while reconnecting sends
 * CONNECT then DISCONNECT at once): a CONNACK takes a round trip and the
 * broker's checks, milliseconds on the samples' loopback, tens to hundreds
 * over the Internet. Not judged below it. */
#define CONNACK_MIN_WAIT (SECOND / 2)

void negotiation_read_connect(session *s, const mqtt_packet_view *p, connect_reading *r)
{
    mqtt_connect *c = &r->packet;
    mqttka_connect_info *info = &r->info;
    memset(c, 0, sizeof *c);
    memset(info, 0, sizeof *info);
    r->result = p->body ? mqtt_parse_connect(p->body, p->body_len, c) : MQTT_PARSE_INVALID;
    s->connect_seen = true;
    if (r->result == MQTT_PARSE_INVALID && !c->protocol_valid)
        return;
    if (c->protocol_valid) {
        s->conn.mqtt_level = c->level;
        s->conn.keepalive = c->keepalive;
        s->conn.effective_keepalive = c->keepalive;
    }
    session_set_client_id(s, c->client_id);
    info->level = c->level;
    memcpy(info->protocol_name, c->protocol_name, sizeof info->protocol_name);
    info->flags = c->flags;
    info->keepalive = c->keepalive;
    info->clean_session = (c->flags & 0x02) != 0;
    /* NULL, not "", when the CONNECT ended before its client id. */
    info->client_id = c->has_client_id ? s->conn.client_id : NULL;
    info->client_id_len = c->client_id_len;
}

void negotiation_judge_connect(const rule_ctx *at, session *s, const mqtt_packet_view *p,
                               const connect_reading *r)
{
    const mqtt_connect *c = &r->packet;
    if (r->result == MQTT_PARSE_INVALID && !c->protocol_valid) {
        emit_finding(at, s, MQTTKA_F_CONNECT_PROTOCOL_INVALID, MQTTKA_C2S, 0, false, 0,
                     "CONNECT too short to hold a keepalive (%u bytes)",
                     (unsigned)p->remaining_length);
        return;
    }
    if (!c->protocol_valid || c->reserved_flag_set) {
        emit_finding(at, s, MQTTKA_F_CONNECT_PROTOCOL_INVALID, MQTTKA_C2S, 0, false, 0,
                     "CONNECT with protocol \"%s\" level %u%s", c->protocol_name,
                     (unsigned)c->level,
                     c->reserved_flag_set ? " and the reserved flag bit set" : "");
    }
    if (c->server_keepalive_property) {
        emit_finding(at, s, MQTTKA_F_SERVER_KEEPALIVE_INVALID, MQTTKA_C2S, 0, false, 0,
                     "Server Keep Alive (0x13) sent in a CONNECT; only CONNACK may carry it");
    }
    mqttka_time after = at->ts - s->conn.start;
    s->connect_after_us = after <= 0 ? 0 : after >= UINT32_MAX ? UINT32_MAX : (uint32_t)after;
    between_on_connect(at, s);
    /* Past the keepalive, the body contradicts its own lengths (a property
     * list or the client id running past the packet's end): unless the
     * body was only cut short by max_mqtt_kept_bytes. */
    if (r->result != MQTT_PARSE_OK && !p->body_truncated) {
        if (c->has_client_id)
            emit_finding(at, s, MQTTKA_F_MALFORMED_PACKET, MQTTKA_C2S, 0, false, 0,
                         "CONNECT of %u bytes whose client id runs past its end (the id shown "
                         "is what it holds)",
                         (unsigned)p->remaining_length);
        else
            emit_finding(at, s, MQTTKA_F_MALFORMED_PACKET, MQTTKA_C2S, 0, false, 0,
                         "CONNECT of %u bytes that ends before its client id%s: the client id "
                         "is unknown",
                         (unsigned)p->remaining_length,
                         c->level == 5 ? " (its property list is malformed or runs past the end)"
                                       : "");
    }
}

/* 3.1.1 §3.2.2.3: 0 accepts; 5.0 §3.2.2.2: 0x00 Success is the one code
 * below 0x80 a CONNACK may carry, so any other refuses (a 3.1.1 CONNACK
 * answering an MQTT 5 CONNECT, as aedes sends, among them). */
static bool connack_accepted(uint8_t code)
{
    return code == 0;
}

void negotiation_read_connack(session *s, const mqtt_packet_view *p, connack_reading *r)
{
    mqtt_connack *c = &r->packet;
    mqttka_connack_info *info = &r->info;
    memset(c, 0, sizeof *c);
    memset(info, 0, sizeof *info);
    c->server_keepalive = -1;
    uint8_t level = s->conn.mqtt_level;
    r->result = p->body ? mqtt_parse_connack(p->body, p->body_len, level, c) : MQTT_PARSE_INVALID;
    s->connack_seen = true;
    info->flags = c->flags;
    info->code = c->code;
    info->server_keepalive = c->server_keepalive;
    if (r->result == MQTT_PARSE_INVALID && p->body_len < 2)
        return;
    s->accepted = connack_accepted(c->code);
    if (!s->accepted) { /* no keepalive in force on a refused connection */
        s->conn.effective_keepalive = -1;
        verdict_note_refused(s, c->code);
    }
    if (s->accepted && c->server_keepalive >= 0) {
        s->conn.server_keepalive = c->server_keepalive;
        s->conn.effective_keepalive = c->server_keepalive;
    }
}

void negotiation_judge_connack(const rule_ctx *at, session *s, const mqtt_packet_view *p,
                               const connack_reading *r)
{
    const mqtt_connack *c = &r->packet;
    uint8_t level = s->conn.mqtt_level;
    if (r->result == MQTT_PARSE_INVALID && p->body_len < 2)
        return;
    if (c->server_keepalive_count > 1) {
        emit_finding(at, s, MQTTKA_F_SERVER_KEEPALIVE_INVALID, MQTTKA_S2C, 0, false, 0,
                     "CONNACK carries Server Keep Alive (0x13) %u times",
                     c->server_keepalive_count);
    }
    if (!s->accepted) {
        const char *name = connack_code_name(level, c->code);
        if (level == 5 && c->code >= 0x80)
            emit_finding(at, s, MQTTKA_F_CONNECT_REFUSED, MQTTKA_S2C, 0, true, c->code,
                         "CONNACK refused the connection: reason 0x%02X (%s)", (unsigned)c->code,
                         name);
        else
            emit_finding(at, s, MQTTKA_F_CONNECT_REFUSED, MQTTKA_S2C, 0, true, c->code,
                         "CONNACK refused the connection: return code %u (%s)%s",
                         (unsigned)c->code, name,
                         level == 5 ? ", a 3.1.1 code in answer to an MQTT 5 CONNECT" : "");
        bool id_is_the_cause = s->conn.client_id[0] == '\0' && s->connect_seen;
        if (level < 5 && c->code == 2 && !id_is_the_cause) {
            emit_finding(at, s, MQTTKA_F_KEEPALIVE_DISABLED, MQTTKA_S2C, 0, true,
                         s->conn.keepalive,
                         "CONNACK refused keepalive %d s with return code 2: mosquitto answers "
                         "so when a 3.x client's keepalive exceeds max_keepalive",
                         s->conn.keepalive);
        }
        return;
    }
    int32_t kae = s->conn.effective_keepalive;
    if (kae < 0)
        return;
    emit_finding(at, s, MQTTKA_F_KEEPALIVE_NEGOTIATED, MQTTKA_S2C, 0, true, kae,
                 "MQTT %s, keepalive %d s%s, effective %d s; the server must close after "
                 "%.1f s of client silence",
                 mqttka_mqtt_version_name(level) ? mqttka_mqtt_version_name(level) : "?",
                 s->conn.keepalive, c->server_keepalive >= 0 ? ", server keepalive set" : "",
                 kae, 1.5 * kae);
    if (kae == 0) {
        emit_finding(at, s, MQTTKA_F_KEEPALIVE_DISABLED, MQTTKA_S2C, 0, true, 0,
                     "keepalive 0: no keepalive checks for this connection");
    }
    if (c->server_keepalive >= 0 && c->server_keepalive != s->conn.keepalive) {
        emit_finding(at, s, MQTTKA_F_KEEPALIVE_OVERRIDDEN, MQTTKA_S2C, 0, true,
                     c->server_keepalive,
                     "server keepalive %d s replaces the client's %d s (MQTT-3.2.2-21)",
                     c->server_keepalive, s->conn.keepalive);
    }
}

mqttka_time negotiation_check_connack(const rule_ctx *at, session *s, bool closing,
                                      mqttka_side side)
{
    /* Only where the server's side is captured and decoded: else the
     * CONNACK may be in what the capture missed. */
    if (!s->connect_seen || s->connack_seen || (s->between_flags & BETWEEN_CONNACK_TOLD) ||
        !s->confirmed || !(s->dirs_seen & (1u << MQTTKA_S2C)) || s->dirs[MQTTKA_S2C].lost)
        return MQTTKA_TIME_NONE;
    mqttka_time connect_ts = s->conn.start + (mqttka_time)s->connect_after_us;
    if (s->last_client_type == MQTTKA_MQTT_CONNECT && s->last_client_ts != MQTTKA_TIME_NONE)
        connect_ts = s->last_client_ts; /* exact */
    mqttka_time waited = at->ts - connect_ts;
    uint64_t about = s->last_client_type == MQTTKA_MQTT_CONNECT ? s->last_client_tag : 0;
    if (closing) {
        if (side == MQTTKA_SIDE_CLIENT && waited < CONNACK_MIN_WAIT)
            return MQTTKA_TIME_NONE;
        s->between_flags |= BETWEEN_CONNACK_TOLD;
        emit_finding(at, s, MQTTKA_F_CONNACK_MISSING, MQTTKA_S2C, about, true, us_to_s(waited),
                     "no CONNACK before the %s closed the connection, %.3f s after the CONNECT",
                     side == MQTTKA_SIDE_SERVER ? "server" : "client", us_to_s(waited));
        return MQTTKA_TIME_NONE;
    }
    if (waited <= at->cfg->connack_timeout)
        return connect_ts + at->cfg->connack_timeout + 1;
    s->between_flags |= BETWEEN_CONNACK_TOLD;
    emit_finding(at, s, MQTTKA_F_CONNACK_MISSING, MQTTKA_S2C, about, true, us_to_s(waited),
                 "no CONNACK %.3f s after the CONNECT (over %.1f s)", us_to_s(waited),
                 us_to_s(at->cfg->connack_timeout));
    return MQTTKA_TIME_NONE;
}
