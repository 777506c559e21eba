/*
 * event_log.c - the tests' one text form of the core's events (event_log.h
 * shows the format).
 */
#include "event_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A line under construction: appends stop at the end of the buffer, the
 * length goes on counting (as snprintf's). */
typedef struct line {
    char *buf;
    size_t size;
    size_t len;
} line;

static void put(line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = l->len < l->size ? l->buf + l->len : NULL;
    size_t room = l->len < l->size ? l->size - l->len : 0;
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n;
}

static const char *dir_name(mqttka_direction d) { return d == MQTTKA_C2S ? "C>S" : "S>C"; }

static double seconds(mqttka_time t) { return (double)t / 1e6; }

static void put_control(line *l, const mqttka_ws_control *c)
{
    switch (c->opcode) {
    case 8: put(l, " ws close len=%zu code=%d", c->payload_len, (int)c->close_code); break;
    case 9: put(l, " ws ping len=%zu", c->payload_len); break;
    case 10: put(l, " ws pong len=%zu", c->payload_len); break;
    default: put(l, " ws opcode=%u len=%zu", (unsigned)c->opcode, c->payload_len); break;
    }
}

static void put_mqtt(line *l, const mqttka_mqtt_packet *m)
{
    const char *type = mqttka_mqtt_type_name(m->type);
    put(l, " %s", type ? type : "?");
    if (m->connect) {
        put(l, " level=%u ka=%u clean=%d", (unsigned)m->connect->level,
            (unsigned)m->connect->keepalive, (int)m->connect->clean_session);
        if (m->connect->client_id)
            put(l, " id=\"%s\"", m->connect->client_id);
        else
            put(l, " id=(none)");
    }
    if (m->connack)
        put(l, " code=%u ska=%d", (unsigned)m->connack->code, (int)m->connack->server_keepalive);
    if (m->silence != MQTTKA_TIME_NONE)
        put(l, " silence=%.3f", seconds(m->silence));
    if (m->rtt != MQTTKA_TIME_NONE)
        put(l, " rtt=%.3f pair=%llu", seconds(m->rtt), (unsigned long long)m->pair_tag);
    if (m->reason_code >= 0)
        put(l, " reason=0x%02x", (unsigned)m->reason_code);
}

static void put_finding(line *l, const mqttka_event *ev, bool details)
{
    const mqttka_finding *f = ev->u.finding;
    put(l, " finding %s %s about=%llu", mqttka_finding_name(f->kind),
        mqttka_severity_name(f->severity), (unsigned long long)f->tag);
    if (f->has_value)
        put(l, " value=%.3f", f->value);
    if (f->reported_tag != ev->tag)
        put(l, " reported=%llu", (unsigned long long)f->reported_tag);
    if (details)
        put(l, " \"%s\"", f->detail);
}

static const char *or_dash(const char *s) { return s ? s : "-"; }

static void put_summary(line *l, const mqttka_summary *s, bool details)
{
    const mqttka_connection *c = s->conn;
    char client[64], server[64];
    mqttka_endpoint_format(&c->client, client, sizeof client);
    mqttka_endpoint_format(&c->server, server, sizeof server);
    const char *version = mqttka_mqtt_version_name(c->mqtt_level);
    put(l, " summary %s -> %s %s v=%s ka=%d ska=%d kae=%d pingreq=%u pingresp=%u unanswered=%u"
           " close=%s/%s",
        client, server, c->transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp",
        version ? version : "null", (int)c->keepalive, (int)c->server_keepalive,
        (int)c->effective_keepalive, (unsigned)s->pingreq, (unsigned)s->pingresp,
        (unsigned)s->pingreq_unanswered, or_dash(mqttka_side_name(s->close_initiator)),
        or_dash(mqttka_close_mechanism_name(s->close_mechanism)));
    if (s->ws_close_code >= 0)
        put(l, " ws_close=%d \"%s\"", (int)s->ws_close_code, s->ws_close_reason);
    if (s->disconnect_reason >= 0)
        put(l, " disconnect=0x%02x", (unsigned)s->disconnect_reason);
    if (s->close_inferred)
        put(l, " inferred_at=%llu", (unsigned long long)s->close_tag);
    if (s->pingreq_inferred)
        put(l, " pingreq_inferred=1");
    /* Said only when they differ from a connection seen whole. */
    if (!c->start_seen)
        put(l, " start_seen=0");
    if (c->keepalive_inferred >= 0)
        put(l, " ka_inferred=%d", (int)c->keepalive_inferred);
    if (s->taken_over_by)
        put(l, " taken_over_by=%llu", (unsigned long long)s->taken_over_by);
    put(l, " verdict=%s id=\"%s\" sub=\"%s\" ext=\"%s\"", mqttka_verdict_name(s->verdict),
        c->client_id, c->ws_subprotocol, c->ws_extensions);
    if (details)
        put(l, " \"%s\"", s->verdict_detail);
}

size_t event_log_format(const mqttka_event *ev, bool details, char *buf, size_t size)
{
    line l = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    put(&l, "[%llu] #%llu", (unsigned long long)ev->tag,
        (unsigned long long)(ev->conn ? ev->conn->id : 0));
    if (ev->type != MQTTKA_EV_CONNECTION)
        put(&l, " %s", dir_name(ev->dir));
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE:
        put(&l, " handshake status=%d upgraded=%d path=\"%s\"", ev->u.handshake.status,
            (int)ev->u.handshake.upgraded, ev->u.handshake.path ? ev->u.handshake.path : "");
        break;
    case MQTTKA_EV_WS_CONTROL: put_control(&l, &ev->u.control); break;
    case MQTTKA_EV_MQTT_PACKET: put_mqtt(&l, &ev->u.mqtt); break;
    case MQTTKA_EV_FINDING: put_finding(&l, ev, details); break;
    case MQTTKA_EV_CONNECTION: put_summary(&l, ev->u.summary, details); break;
    case MQTTKA_EV_TLS_INFERENCE: {
        const mqttka_tls_inference *t = ev->u.tls;
        put(&l, " tls version=0x%04x cipher=0x%04x conf=%d ping=%u/%u ka=%d pingreq=%u pingresp=%u"
                " unanswered=%u close=%d/%d",
            (unsigned)t->version, (unsigned)t->cipher_suite, (int)t->confidence,
            (unsigned)t->ping_record_len, (unsigned)t->pong_record_len, (int)t->keepalive_inferred,
            (unsigned)t->pingreq, (unsigned)t->pingresp, (unsigned)t->pingreq_unanswered,
            (int)t->close_initiator, (int)t->close_mechanism);
        for (size_t i = 0; i < t->n_findings; i++)
            put(&l, " %s", mqttka_finding_name(t->findings[i].kind));
        break;
    }
    default: put(&l, " event type %d", (int)ev->type); break;
    }
    put(&l, "\n");
    return l.len;
}

void event_log_reset(event_log *l, bool details)
{
    l->text[0] = '\0';
    l->len = 0;
    l->details = details;
    l->overflow = false;
    l->severity_over_table = 0;
}

void event_log_on_event(void *user_data, const mqttka_event *ev)
{
    event_log *l = user_data;
    if (ev->type == MQTTKA_EV_FINDING &&
        ev->u.finding->severity > mqttka_finding_severity(ev->u.finding->kind))
        l->severity_over_table++;
    if (l->overflow)
        return;
    size_t room = sizeof l->text - l->len;
    size_t n = event_log_format(ev, l->details, l->text + l->len, room);
    if (n >= room) {
        l->text[l->len] = '\0'; /* no half line */
        l->overflow = true;
        return;
    }
    l->len += n;
}

const char *event_log_since(const event_log *l, size_t *mark)
{
    const char *from = l->text + (*mark <= l->len ? *mark : l->len);
    *mark = l->len;
    return from;
}
