/*
 * output_json.c - core events as JSON Lines.
 *
 * Every event object starts with "type", "conn", "uid", "ts", "frame",
 * "dir" and ends with "client_id" (null until the CONNECT tells it); a
 * finding also has the connection's "community_id". The connection summary
 * follows the schema of issue 2 member by member (names are public
 * interface: add members, never rename one; the one exception, rtt_ms, is
 * in mqttka.1), then the fleet object and the capture object end the run.
 * Times are seconds since the epoch with 6 decimals, and every duration is
 * in seconds; "frame" is the 1-based record number of the file, null when
 * the item became known only at the end of input.
 */
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json_writer.h"


const char *output_dir_json(mqttka_direction d)
{
    return d == MQTTKA_S2C ? "s2c" : "c2s";
}

/* `lit`, a string literal, at `p`; returns its end. */
#define put_literal(p, lit) put_fixed((p), "" lit, sizeof(lit) - 1)

static inline char *put_fixed(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* The names written by pointer (event types, directions, the core's names
 * of packet types, finding kinds and severities) are shorter than
 * CORE_NAME_MAX bytes: tests/cli/test_format.c checks the core's. */
#define CORE_NAME_MAX 48

/* A name in quotes, as it is (see json_writer.h), or null. */
static char *put_name(char *p, const char *name)
{
    if (!name)
        return put_literal(p, "null");
    size_t n = strnlen(name, CORE_NAME_MAX);
    *p = '"';
    p = put_fixed(p + 1, name, n);
    *p = '"';
    return p + 1;
}

/* Seconds with 6 decimals from microseconds, or null (json_seconds). */
static char *put_seconds(char *p, mqttka_time t)
{
    if (t == MQTTKA_TIME_NONE)
        return put_literal(p, "null");
    return format_put_scaled(p, t, 6, 6);
}

/* A frame number, or null for 0 (json_frame). */
static char *put_frame(char *p, uint64_t frame)
{
    if (frame == 0)
        return put_literal(p, "null");
    return format_put_uint(p, frame);
}

/* Bytes put_uid takes at most: the key and the quoted uid. */
#define UID_MEMBER_MAX (8 + FLOW_UID_LEN + 2)

/* ,"uid":"C..." or ,"uid":null when the run has no entry for it. */
static char *put_uid(char *p, const event_extra *x)
{
    p = put_literal(p, ",\"uid\":");
    if (!x || !x->ids)
        return put_literal(p, "null");
    *p = '"';
    p = put_fixed(p + 1, x->ids->uid, FLOW_UID_LEN);
    *p = '"';
    return p + 1;
}

/* Bytes put_event_head takes at most: the keys and punctuation (40), the
 * type and direction names, a connection number, the uid, a time, a frame
 * number. */
#define EVENT_HEAD_MAX \
    (40 + 2 * (CORE_NAME_MAX + 2) + 20 + UID_MEMBER_MAX + FORMAT_NUMBER_MAX + 20)

/* "type","conn","uid","ts","frame","dir": the first members of every event. */
static char *put_event_head(char *p, const char *type, const mqttka_event *ev,
                            const event_extra *x)
{
    p = put_name(put_literal(p, "\"type\":"), type);
    p = format_put_uint(put_literal(p, ",\"conn\":"), ev->conn ? ev->conn->id : 0);
    p = put_uid(p, x);
    p = put_seconds(put_literal(p, ",\"ts\":"), ev->ts);
    p = put_frame(put_literal(p, ",\"frame\":"), ev->tag);
    return put_name(put_literal(p, ",\"dir\":"), output_dir_json(ev->dir));
}

static void event_head(json_writer *w, const char *type, const mqttka_event *ev,
                       const event_extra *x)
{
    bool comma;
    char *at = json_members_begin(w, 1 + EVENT_HEAD_MAX, &comma);
    *at = ',';
    json_members_end(w, put_event_head(at + comma, type, ev, x));
}

/* "client_id", the last member of every event: the CONNECT's, once the
 * connection has had one (it may be ""), else null. */
static void event_client_id(json_writer *w, const mqttka_connection *c)
{
    if (c && c->mqtt_level)
        json_string(w, "client_id", c->client_id);
    else
        json_null(w, "client_id");
}

/* "" from the core means "none": null in JSON. */
static void string_or_null_n(json_writer *w, const char *key, size_t key_len, const char *s)
{
    json_string_n(w, key, key_len, s && *s ? s : NULL);
}
#define string_or_null(w, key, s) string_or_null_n((w), JSON_KEY(key), (s))

/* A negative count or code means "none": null. */
static void int_or_null_n(json_writer *w, const char *key, size_t key_len, int64_t v)
{
    if (v < 0)
        json_null_n(w, key, key_len);
    else
        json_int_n(w, key, key_len, v);
}
#define int_or_null(w, key, v) int_or_null_n((w), JSON_KEY(key), (v))

/* Bytes write_mqtt's fixed members take at most, after the head: the keys
 * and punctuation (110), a name, four numbers, two times and a frame. */
#define MQTT_MEMBERS_MAX (110 + CORE_NAME_MAX + 2 + 4 * 20 + 2 * FORMAT_NUMBER_MAX + 20)

static void write_mqtt(json_writer *w, const mqttka_event *ev, const event_extra *x)
{
    const mqttka_mqtt_packet *p = &ev->u.mqtt;
    bool comma;
    char *at = json_members_begin(w, 1 + EVENT_HEAD_MAX + MQTT_MEMBERS_MAX, &comma);
    *at = ',';
    at = put_event_head(at + comma, "mqtt", ev, x);
    at = put_name(put_literal(at, ",\"packet\":"), mqttka_mqtt_type_name(p->type));
    at = format_put_uint(put_literal(at, ",\"packet_type\":"), p->type);
    at = format_put_uint(put_literal(at, ",\"flags\":"), p->flags);
    at = format_put_uint(put_literal(at, ",\"remaining_length\":"), p->remaining_length);
    at = format_put_uint(put_literal(at, ",\"stream_offset\":"), p->stream_offset);
    if (p->silence != MQTTKA_TIME_NONE)
        at = format_put_scaled(put_literal(at, ",\"silence\":"), p->silence, 6, 6);
    if (p->rtt != MQTTKA_TIME_NONE)
        at = format_put_scaled(put_literal(at, ",\"rtt_s\":"), p->rtt, 6, 6);
    if (p->pair_tag)
        at = format_put_uint(put_literal(at, ",\"pingreq_frame\":"), p->pair_tag);
    json_members_end(w, at);
    if (p->connect) {
        const mqttka_connect_info *c = p->connect;
        json_object_begin(w, "connect");
        json_string_bytes(w, "protocol_name", (const uint8_t *)c->protocol_name,
                          strnlen(c->protocol_name, sizeof c->protocol_name));
        json_uint(w, "level", c->level);
        json_name(w, "version", mqttka_mqtt_version_name(c->level));
        json_uint(w, "flags", c->flags);
        json_uint(w, "keepalive", c->keepalive);
        json_bool(w, "clean_session", c->clean_session);
        json_string(w, "client_id", c->client_id);
        json_uint(w, "client_id_len", c->client_id_len);
        json_object_end(w);
    }
    if (p->connack) {
        const mqttka_connack_info *a = p->connack;
        json_object_begin(w, "connack");
        json_uint(w, "flags", a->flags);
        json_uint(w, "code", a->code);
        int_or_null(w, "server_keepalive", a->server_keepalive);
        json_object_end(w);
    }
    if (p->reason_code >= 0)
        json_int(w, "reason_code", p->reason_code);
}

static void write_handshake(json_writer *w, const mqttka_event *ev, const event_extra *x)
{
    const mqttka_ws_handshake *h = &ev->u.handshake;
    event_head(w, "ws_handshake", ev, x);
    json_bool(w, "upgraded", h->upgraded);
    if (h->status > 0)
        json_int(w, "status", h->status);
    else
        json_null(w, "status");
    json_string(w, "path", h->path);
    string_or_null(w, "subprotocol", ev->conn ? ev->conn->ws_subprotocol : NULL);
    string_or_null(w, "extensions", ev->conn ? ev->conn->ws_extensions : NULL);
}

static const char *control_name(uint8_t opcode)
{
    const char *name = mqttka_ws_control_name(opcode);
    return name ? name : "unknown";
}

static void write_control(json_writer *w, const mqttka_event *ev, const event_extra *x)
{
    const mqttka_ws_control *c = &ev->u.control;
    event_head(w, "ws_control", ev, x);
    json_name(w, "control", control_name(c->opcode));
    json_uint(w, "opcode", c->opcode);
    json_uint(w, "payload_len", c->payload_len);
    const uint8_t *payload = c->payload_len ? c->payload : NULL;
    if (c->opcode == MQTTKA_WS_CLOSE) {
        int_or_null(w, "close_code", c->close_code);
        /* The reason follows the 2-byte code (RFC 6455 §5.5.1). */
        if (payload && c->payload_len > 2)
            json_string_bytes(w, "reason", payload + 2, c->payload_len - 2);
        else
            json_null(w, "reason");
    } else {
        json_string_bytes(w, "payload", payload ? payload : (const uint8_t *)"",
                          payload ? c->payload_len : 0);
    }
}

/* Bytes a finding's fixed members take at most: the keys and punctuation
 * (60), three names, a time and two frames. */
#define FINDING_MEMBERS_MAX (60 + 3 * (CORE_NAME_MAX + 2) + FORMAT_NUMBER_MAX + 2 * 20)

/* A finding's members after "type"/"conn" (event) or inside the summary:
 * the fixed ones written at `p`; returns their end. */
static char *put_finding_members(char *p, const mqttka_finding *f)
{
    p = put_name(put_literal(p, "\"kind\":"), mqttka_finding_name(f->kind));
    p = put_name(put_literal(p, ",\"severity\":"), mqttka_severity_name(f->severity));
    p = put_seconds(put_literal(p, ",\"ts\":"), f->ts);
    p = put_frame(put_literal(p, ",\"frame\":"), f->tag);
    p = put_frame(put_literal(p, ",\"reported_frame\":"), f->reported_tag);
    return put_name(put_literal(p, ",\"dir\":"), output_dir_json(f->dir));
}

/* The members that follow those: the escaped detail, the value. */
static void finding_detail_members(json_writer *w, const mqttka_finding *f)
{
    json_string(w, "detail", f->detail);
    if (f->has_value)
        json_double(w, "value", f->value);
}

static void finding_members(json_writer *w, const mqttka_finding *f)
{
    bool comma;
    char *at = json_members_begin(w, 1 + FINDING_MEMBERS_MAX, &comma);
    *at = ',';
    json_members_end(w, put_finding_members(at + comma, f));
    finding_detail_members(w, f);
}

/* Bytes the finding's "community_id" member takes at most. */
#define COMMUNITY_ID_MEMBER_MAX (17 + COMMUNITY_ID_LEN + 2)

static void write_finding(json_writer *w, const mqttka_event *ev, const event_extra *x)
{
    bool comma;
    char *at = json_members_begin(w, 1 + 40 + UID_MEMBER_MAX + FINDING_MEMBERS_MAX, &comma);
    *at = ',';
    at = put_literal(at + comma, "\"type\":\"finding\",\"conn\":");
    at = format_put_uint(at, ev->conn ? ev->conn->id : 0);
    at = put_uid(at, x);
    json_members_end(w, put_finding_members(put_literal(at, ","), ev->u.finding));
    finding_detail_members(w, ev->u.finding);
    at = json_members_begin(w, 1 + COMMUNITY_ID_MEMBER_MAX, &comma);
    *at = ',';
    at = put_literal(at + comma, "\"community_id\":");
    if (x && x->ids) {
        *at = '"';
        at = put_fixed(at + 1, x->ids->community_id, COMMUNITY_ID_LEN);
        *at++ = '"';
    } else {
        at = put_literal(at, "null");
    }
    json_members_end(w, at);
}

static void write_endpoint(json_writer *w, const char *key, const mqttka_endpoint *e)
{
    char buf[64];
    mqttka_endpoint_format(e, buf, sizeof buf);
    json_string_n(w, key, strlen(key), buf);
}

static void write_packet_counts(json_writer *w, const char *key, const uint32_t counts[])
{
    json_object_begin(w, key);
    for (uint8_t t = 0; t < MQTTKA_MQTT_TYPES; t++)
        if (counts[t]) {
            const char *name = mqttka_mqtt_type_name(t);
            json_uint_n(w, name, name ? strlen(name) : 0, counts[t]);
        }
    json_object_end(w);
}

/* "finding_counts": every group of the connection's findings (conn_table.h)
 * with its count, the frames of the first and last, and the range of their
 * values. */
static void write_finding_counts(json_writer *w, const conn_entry *e)
{
    json_array_begin(w, "finding_counts");
    finding_group one;
    const finding_group *groups = conn_entry_groups(e, &one);
    for (uint8_t i = 0; e && i < e->n_groups; i++) {
        const finding_group *g = &groups[i];
        json_object_begin(w, NULL);
        json_name(w, "kind", mqttka_finding_name((mqttka_finding_kind)g->kind));
        json_name(w, "severity", mqttka_severity_name((mqttka_severity)g->severity));
        json_name(w, "dir", output_dir_json((mqttka_direction)g->dir));
        json_uint(w, "count", g->count);
        json_frame(w, "first_frame", g->first_frame);
        json_frame(w, "last_frame", g->last_frame);
        if (g->has_value) {
            json_double(w, "min", g->min);
            json_double(w, "max", g->max);
        } else {
            json_null(w, "min");
            json_null(w, "max");
        }
        json_object_end(w);
    }
    json_array_end(w);
}

static const char *tls_version_name(uint16_t v);

static void write_summary(json_writer *w, const mqttka_event *ev, const event_extra *x)
{
    const mqttka_summary *s = ev->u.summary;
    const mqttka_connection *c = s->conn ? s->conn : ev->conn;
    const conn_entry *e = x ? x->conn : NULL;
    json_name(w, "type", "connection");
    json_uint(w, "conn", c->id);
    const conn_ids *ids = x ? x->ids : NULL;
    if (ids) {
        json_name(w, "uid", ids->uid);
        json_name(w, "community_id", ids->community_id);
    } else {
        json_null(w, "uid");
        json_null(w, "community_id");
    }
    write_endpoint(w, "client", &c->client);
    write_endpoint(w, "server", &c->server);
    json_name(w, "transport", c->transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp");
    if (s->tls) {
        /* only inside TLS decrypted with --tls-keylog (issue 17) */
        char hex[8];
        json_object_begin(w, "tls");
        json_string(w, "version", tls_version_name(s->tls->version));
        snprintf(hex, sizeof hex, "0x%04x", s->tls->cipher_suite);
        json_string(w, "cipher", hex);
        string_or_null(w, "sni", s->tls->sni);
        json_bool(w, "decrypted", s->tls->decrypted);
        json_uint(w, "failed_records", s->tls->failed_records);
        json_object_end(w);
    }
    string_or_null(w, "ws_subprotocol", c->ws_subprotocol);
    string_or_null(w, "ws_extensions", c->ws_extensions);
    json_name(w, "mqtt_version", mqttka_mqtt_version_name(c->mqtt_level));
    if (c->mqtt_level)
        json_string(w, "client_id", c->client_id);
    else
        json_null(w, "client_id");
    int_or_null(w, "keepalive", c->keepalive);
    int_or_null(w, "server_keepalive", c->server_keepalive);
    int_or_null(w, "effective_keepalive", c->effective_keepalive);
    int_or_null(w, "keepalive_inferred", c->keepalive_inferred);
    json_bool(w, "start_seen", c->start_seen);
    if (s->side_not_captured == MQTTKA_SIDE_NONE)
        json_null(w, "one_sided");
    else
        json_string(w, "one_sided", s->side_not_captured == MQTTKA_SIDE_SERVER ? "server_missing"
                                                                                : "client_missing");
    json_seconds(w, "start", c->start);
    json_seconds(w, "end", c->end);
    json_frame(w, "first_frame", c->first_tag);
    json_frame(w, "last_frame", c->last_tag);

    json_object_begin(w, "packets");
    write_packet_counts(w, "c2s", s->packets[MQTTKA_C2S]);
    write_packet_counts(w, "s2c", s->packets[MQTTKA_S2C]);
    json_object_end(w);
    json_uint(w, "pingreq", s->pingreq);
    json_uint(w, "pingresp", s->pingresp);
    json_uint(w, "pingreq_unanswered", s->pingreq_unanswered);
    /* only when true: the verdict's unanswered PINGREQ is one the capture
     * did not hold, inferred from the server's ACK of its size; not in the
     * counts */
    if (s->pingreq_inferred)
        json_bool(w, "pingreq_inferred", true);
    if (s->rtt_count) {
        json_object_begin(w, "rtt_s");
        json_seconds(w, "min", s->rtt_min);
        json_seconds(w, "median", s->rtt_median);
        json_seconds(w, "p95", s->rtt_p95);
        json_seconds(w, "max", s->rtt_max);
        json_uint(w, "count", s->rtt_count);
        json_object_end(w);
    } else {
        json_null(w, "rtt_s");
    }
    json_seconds(w, "max_client_silence", s->max_client_silence);

    json_object_begin(w, "close");
    json_name(w, "initiator", mqttka_side_name(s->close_initiator));
    json_name(w, "mechanism", mqttka_close_mechanism_name(s->close_mechanism));
    int_or_null(w, "ws_close_code", s->ws_close_code);
    json_seconds(w, "ts", s->close_ts);
    json_frame(w, "frame", s->close_tag);
    string_or_null(w, "reason", s->ws_close_reason);
    int_or_null(w, "disconnect_reason", s->disconnect_reason);
    /* only when true: a DISCONNECT the capture did not see (a capture of
     * the server's side only), inferred from the server's ACKs */
    if (s->close_inferred)
        json_bool(w, "inferred", true);
    json_object_end(w);

    json_name(w, "verdict", mqttka_verdict_name(s->verdict));
    json_string(w, "verdict_detail", s->verdict_detail);
    if (s->taken_over_by)
        json_uint(w, "taken_over_by", s->taken_over_by);
    else
        json_null(w, "taken_over_by");
    int_or_null(w, "connack_code", s->connack_code);
    json_array_begin(w, "findings");
    for (size_t i = 0; s->findings && i < s->n_findings; i++) {
        json_object_begin(w, NULL);
        finding_members(w, &s->findings[i]);
        json_object_end(w);
    }
    json_array_end(w);
    json_uint(w, "findings_omitted", s->findings_omitted);
    write_finding_counts(w, e);
}

/* Several files: the file that holds `frame` and the frame's number in it,
 * so that it can be found when that file alone is opened in Wireshark. */
static void write_file_of_frame(json_writer *w, const capture_reader *r, uint64_t frame)
{
    size_t file;
    uint64_t file_frame;
    if (frame && capture_reader_locate(r, frame, &file, &file_frame)) {
        json_string(w, "file", r->files[file].path);
        json_uint(w, "file_frame", file_frame);
    } else {
        json_null(w, "file");
        json_null(w, "file_frame");
    }
}

static const char *tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0301: return "TLSv1.0";
    case 0x0302: return "TLSv1.1";
    case 0x0303: return "TLSv1.2";
    case 0x0304: return "TLSv1.3";
    default: return NULL;
    }
}

static const char *close_name(mqttka_close_mechanism m)
{
    return m == MQTTKA_CLOSE_FIN ? "fin" : m == MQTTKA_CLOSE_RST ? "rst" : NULL;
}

static const char *side_name(mqttka_side s)
{
    return s == MQTTKA_SIDE_CLIENT ? "client" : s == MQTTKA_SIDE_SERVER ? "server" : NULL;
}

/* A TLS connection analysed without keys (issue 17): what its records
 * tell, every figure "inferred". */
static void write_tls_inference(json_writer *w, const mqttka_event *ev)
{
    const mqttka_tls_inference *t = ev->u.tls;
    char hex[8];
    json_name(w, "type", "tls_connection");
    json_bool(w, "inferred", true);
    write_endpoint(w, "client", &t->client);
    write_endpoint(w, "server", &t->server);
    json_seconds(w, "start", t->start);
    json_seconds(w, "end", t->end);
    json_frame(w, "first_frame", t->first_tag);
    json_frame(w, "last_frame", t->last_tag);
    json_object_begin(w, "tls");
    json_string(w, "version", tls_version_name(t->version));
    if (t->cipher_suite) {
        snprintf(hex, sizeof hex, "0x%04x", t->cipher_suite);
        json_string(w, "cipher_suite", hex);
    } else {
        json_null(w, "cipher_suite");
    }
    json_bool(w, "decrypted", false);
    json_uint(w, "records_c2s", t->records[MQTTKA_C2S]);
    json_uint(w, "records_s2c", t->records[MQTTKA_S2C]);
    json_uint(w, "heartbeats", t->heartbeats);
    json_bool(w, "records_lost", t->records_lost);
    json_bool(w, "records_capped", t->records_capped);
    json_object_end(w);
    static const char *const conf[] = {"none", "low", "medium", "high"};
    json_string(w, "confidence", conf[t->confidence <= MQTTKA_TLS_CONF_HIGH ? t->confidence : 0]);
    if (t->ping_record_len) {
        json_uint(w, "ping_record_len", t->ping_record_len);
        json_uint(w, "pong_record_len", t->pong_record_len);
        json_name(w, "transport", t->websocket ? "websocket" : "tcp");
    } else {
        json_null(w, "ping_record_len");
        json_null(w, "pong_record_len");
        json_null(w, "transport");
    }
    int_or_null(w, "keepalive_inferred", t->keepalive_inferred);
    json_uint(w, "pingreq", t->pingreq);
    json_uint(w, "pingresp", t->pingresp);
    json_uint(w, "pingreq_unanswered", t->pingreq_unanswered);
    if (t->rtt_min != MQTTKA_TIME_NONE) {
        json_object_begin(w, "rtt_ms");
        json_millis(w, "min", t->rtt_min);
        json_millis(w, "max", t->rtt_max);
        json_object_end(w);
    } else {
        json_null(w, "rtt_ms");
    }
    if (t->max_client_silence != MQTTKA_TIME_NONE)
        json_seconds(w, "max_client_silence", t->max_client_silence);
    else
        json_null(w, "max_client_silence");
    json_object_begin(w, "close");
    json_string(w, "initiator", side_name(t->close_initiator));
    json_string(w, "mechanism", close_name(t->close_mechanism));
    if (t->close_ts != MQTTKA_TIME_NONE)
        json_seconds(w, "ts", t->close_ts);
    else
        json_null(w, "ts");
    json_object_end(w);
    json_array_begin(w, "findings");
    for (size_t i = 0; i < t->n_findings; i++) {
        json_object_begin(w, NULL);
        finding_members(w, &t->findings[i]);
        json_bool(w, "inferred", true);
        json_object_end(w);
    }
    json_array_end(w);
}

void output_json_event(output_state *o, const mqttka_event *ev, const event_extra *x)
{
    if (o->quiet && ev->type != MQTTKA_EV_CONNECTION && ev->type != MQTTKA_EV_TLS_INFERENCE)
        return;
    json_writer w;
    json_line_begin(&w, &o->line);
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE: write_handshake(&w, ev, x); break;
    case MQTTKA_EV_WS_CONTROL: write_control(&w, ev, x); break;
    case MQTTKA_EV_MQTT_PACKET: write_mqtt(&w, ev, x); break;
    case MQTTKA_EV_FINDING: write_finding(&w, ev, x); break;
    case MQTTKA_EV_CONNECTION: write_summary(&w, ev, x); break;
    case MQTTKA_EV_TLS_INFERENCE: write_tls_inference(&w, ev); break;
    default:
        event_head(&w, "unknown", ev, x);
        break;
    }
    if (ev->type != MQTTKA_EV_CONNECTION && ev->type != MQTTKA_EV_TLS_INFERENCE)
        event_client_id(&w, ev->conn);
    if (o->files && ev->type != MQTTKA_EV_CONNECTION && ev->type != MQTTKA_EV_TLS_INFERENCE)
        write_file_of_frame(&w, o->files,
                            ev->type == MQTTKA_EV_FINDING && ev->u.finding ? ev->u.finding->tag
                                                                          : ev->tag);
    json_line_end(&w);
    if (o->flush_each_event)
        line_buffer_flush(&o->line);
}

/* One client of the per-client view (clients.h). */
static void write_client(json_writer *w, const client_rec *c)
{
    json_name(w, "type", "client");
    json_string(w, "client_id", c->by_address ? NULL : c->key);
    json_string(w, "client_addr", c->by_address ? c->key : NULL);
    json_uint(w, "connections", c->connections);
    json_object_begin(w, "verdicts");
    for (int v = 0; v < MQTTKA_V_COUNT; v++)
        if (c->verdicts[v]) {
            const char *name = mqttka_verdict_name((mqttka_verdict)v);
            json_uint_n(w, name, strlen(name), c->verdicts[v]);
        }
    json_object_end(w);
    json_seconds(w, "first", c->first);
    json_seconds(w, "last", c->last);
    json_uint(w, "reconnects", client_rec_reconnects(c));
    json_seconds(w, "longest_connection", c->longest);
    json_uint(w, "errors", c->errors);
    json_uint(w, "warnings", c->warnings);
    json_object_begin(w, "findings");
    for (int k = 0; k < MQTTKA_F_COUNT; k++)
        if (c->findings[k]) {
            const char *name = mqttka_finding_name((mqttka_finding_kind)k);
            json_uint_n(w, name, strlen(name), c->findings[k]);
        }
    json_object_end(w);
}

void output_json_clients(output_state *o)
{
    const client_rec **rows;
    size_t n = client_table_sorted(&o->fleet.clients, &rows);
    for (size_t i = 0; i < n && !o->write_error; i++) {
        json_writer w;
        json_line_begin(&w, &o->line);
        write_client(&w, rows[i]);
        json_line_end(&w);
    }
    free(rows);
    if (o->flush_each_event)
        line_buffer_flush(&o->line);
}

void output_json_fleet(output_state *o)
{
    const fleet *f = &o->fleet;
    json_writer w;
    json_line_begin(&w, &o->line);
    json_name(&w, "type", "fleet");
    json_uint(&w, "connections", f->connections);
    json_object_begin(&w, "verdicts");
    for (int v = 0; v < MQTTKA_V_COUNT; v++)
        if (f->verdicts[v]) {
            const char *name = mqttka_verdict_name((mqttka_verdict)v);
            json_uint_n(&w, name, strlen(name), f->verdicts[v]);
        }
    json_object_end(&w);
    json_object_begin(&w, "transports");
    for (int t = 1; t >= 0; t--) {
        if (!fleet_transport_total(f, t))
            continue;
        json_object_begin(&w, t ? "websocket" : "tcp");
        for (size_t v = 0; v < FLEET_VERSIONS; v++) {
            const char *version = fleet_version_name(v);
            if (f->transports[t][v])
                json_uint_n(&w, version, strlen(version), f->transports[t][v]);
        }
        json_object_end(&w);
    }
    json_object_end(&w);
    fleet_keepalive kas[FLEET_KEEPALIVES_MAX];
    size_t n = fleet_keepalives_sorted(f, kas);
    json_array_begin(&w, "keepalives");
    for (size_t i = 0; i < n; i++) {
        json_object_begin(&w, NULL);
        json_int(&w, "effective_keepalive", kas[i].value);
        json_uint(&w, "connections", kas[i].connections);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_uint(&w, "keepalive_other", f->keepalive_other);
    json_uint(&w, "keepalive_unknown", f->keepalive_unknown);
    if (f->rtt_count) {
        json_object_begin(&w, "rtt_s");
        json_uint(&w, "count", f->rtt_count);
        json_seconds(&w, "min", f->rtt_min);
        json_seconds(&w, "p50", fleet_rtt_percentile(f, 50));
        json_seconds(&w, "p95", fleet_rtt_percentile(f, 95));
        json_seconds(&w, "p99", fleet_rtt_percentile(f, 99));
        json_seconds(&w, "max", f->rtt_max);
        json_object_end(&w);
    } else {
        json_null(&w, "rtt_s");
    }
    json_uint(&w, "clients", f->clients.n);
    json_uint(&w, "clients_untracked", f->clients.untracked_connections);
    const client_rec *worst[FLEET_WORST_CLIENTS];
    n = client_table_worst(&f->clients, worst, FLEET_WORST_CLIENTS);
    json_array_begin(&w, "worst_clients");
    for (size_t i = 0; i < n; i++) {
        const client_rec *c = worst[i];
        json_object_begin(&w, NULL);
        json_string(&w, "client_id", c->by_address ? NULL : c->key);
        json_string(&w, "client_addr", c->by_address ? c->key : NULL);
        json_uint(&w, "connections", c->connections);
        json_uint(&w, "errors", c->errors);
        json_uint(&w, "warnings", c->warnings);
        json_object_begin(&w, "verdicts");
        for (int v = 0; v < MQTTKA_V_COUNT; v++)
            if (c->verdicts[v]) {
                const char *name = mqttka_verdict_name((mqttka_verdict)v);
                json_uint_n(&w, name, strlen(name), c->verdicts[v]);
            }
        json_object_end(&w);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_line_end(&w);
    if (o->flush_each_event)
        line_buffer_flush(&o->line);
}

void output_json_capture(output_state *o, const capture_stats *s)
{
    if (o->quiet)
        return;
    json_writer w;
    json_line_begin(&w, &o->line);
    json_name(&w, "type", "capture");
    json_name(&w, "link_type", s->link_name);
    json_uint(&w, "records", s->records);
    json_uint(&w, "matched", s->matched);
    json_uint(&w, "tcp_segments", s->tcp_segments);
    json_uint(&w, "not_tcp", s->not_tcp);
    json_uint(&w, "ip_fragments", s->ip_fragments);
    json_uint(&w, "snapped", s->snapped);
    json_uint(&w, "payload_cut", s->payload_cut);
    json_uint(&w, "malformed", s->malformed);
    json_seconds(&w, "start", s->first_ts);
    json_seconds(&w, "end", s->last_ts);
    json_bool(&w, "complete", s->complete);
    json_uint(&w, "tcp_connections", s->counts.tcp_connections);
    json_uint(&w, "mqtt_connections", s->counts.mqtt_connections);
    json_object_begin(&w, "not_analysed");
    for (int r = 0; r < MQTTKA_NA_COUNT; r++) {
        /* The core's names, which need no escaping (test_format checks). */
        const char *name = mqttka_not_analysed_name((mqttka_not_analysed)r);
        json_uint_n(&w, name, strlen(name), s->counts.not_analysed[r]);
    }
    json_object_end(&w);
    if (s->n_files) {
        /* Several files: where each one's records are among the frames. */
        json_array_begin(&w, "files");
        for (size_t i = 0; i < s->n_files; i++) {
            const capture_file_info *f = &s->files[i];
            json_object_begin(&w, NULL);
            json_string(&w, "path", f->path);
            json_string(&w, "compression", f->compression);
            json_uint(&w, "records", f->records);
            json_frame(&w, "first_frame", f->first_frame);
            json_frame(&w, "last_frame", f->last_frame);
            json_seconds(&w, "start", f->first_ts);
            json_seconds(&w, "end", f->last_ts);
            json_bool(&w, "complete",
                      f->status == CAPTURE_END || f->status == CAPTURE_RECORD);
            json_object_end(&w);
        }
        json_array_end(&w);
    }
    if (s->interface) {
        /* Live: where, and what libpcap says it passed and lost. */
        json_string(&w, "interface", s->interface);
        if (s->have_counters) {
            json_uint(&w, "packets_received", s->received);
            json_uint(&w, "packets_dropped", s->dropped);
            json_uint(&w, "packets_if_dropped", s->if_dropped);
        } else {
            json_null(&w, "packets_received");
            json_null(&w, "packets_dropped");
            json_null(&w, "packets_if_dropped");
        }
    }
    json_line_end(&w);
    if (o->flush_each_event)
        line_buffer_flush(&o->line);
}
