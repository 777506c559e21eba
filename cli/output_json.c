/*
 * output_json.c - core events as JSON Lines.
 *
 * Every event object starts with "type", "conn", "ts", "frame", "dir"; the
 * connection summary follows the schema of issue 2 member by member (names
 * are public interface: add members, never rename one). Times are seconds
 * since the epoch with 6 decimals; "frame" is the 1-based record number of
 * the file, null when the item became known only at the end of input.
 */
#include "output.h"

#include <string.h>

#include "json_writer.h"

/* WebSocket opcodes of control frames (RFC 6455 §5.5). */
enum { WS_OP_CLOSE = 8, WS_OP_PING = 9, WS_OP_PONG = 10 };

const char *output_dir_json(mqttka_direction d)
{
    return d == MQTTKA_S2C ? "s2c" : "c2s";
}

static void event_head(json_writer *w, const char *type, const mqttka_event *ev)
{
    json_string(w, "type", type);
    json_uint(w, "conn", ev->conn ? ev->conn->id : 0);
    json_seconds(w, "ts", ev->ts);
    json_frame(w, "frame", ev->tag);
    json_string(w, "dir", output_dir_json(ev->dir));
}

/* "" from the core means "none": null in JSON. */
static void string_or_null(json_writer *w, const char *key, const char *s)
{
    json_string(w, key, s && *s ? s : NULL);
}

static void int_or_null(json_writer *w, const char *key, int64_t v)
{
    if (v < 0)
        json_null(w, key);
    else
        json_int(w, key, v);
}

static void write_mqtt(json_writer *w, const mqttka_event *ev)
{
    const mqttka_mqtt_packet *p = &ev->u.mqtt;
    event_head(w, "mqtt", ev);
    json_string(w, "packet", mqttka_mqtt_type_name(p->type));
    json_uint(w, "packet_type", p->type);
    json_uint(w, "flags", p->flags);
    json_uint(w, "remaining_length", p->remaining_length);
    json_uint(w, "stream_offset", p->stream_offset);
    if (p->silence != MQTTKA_TIME_NONE)
        json_seconds(w, "silence", p->silence);
    if (p->rtt != MQTTKA_TIME_NONE)
        json_millis(w, "rtt_ms", p->rtt);
    if (p->pair_tag)
        json_uint(w, "pingreq_frame", p->pair_tag);
    if (p->connect) {
        const mqttka_connect_info *c = p->connect;
        json_object_begin(w, "connect");
        json_string_bytes(w, "protocol_name", (const uint8_t *)c->protocol_name,
                          strnlen(c->protocol_name, sizeof c->protocol_name));
        json_uint(w, "level", c->level);
        json_string(w, "version", mqttka_mqtt_version_name(c->level));
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

static void write_handshake(json_writer *w, const mqttka_event *ev)
{
    const mqttka_ws_handshake *h = &ev->u.handshake;
    event_head(w, "ws_handshake", ev);
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
    switch (opcode) {
    case WS_OP_CLOSE: return "close";
    case WS_OP_PING: return "ping";
    case WS_OP_PONG: return "pong";
    default: return "unknown";
    }
}

static void write_control(json_writer *w, const mqttka_event *ev)
{
    const mqttka_ws_control *c = &ev->u.control;
    event_head(w, "ws_control", ev);
    json_string(w, "control", control_name(c->opcode));
    json_uint(w, "opcode", c->opcode);
    json_uint(w, "payload_len", c->payload_len);
    const uint8_t *payload = c->payload_len ? c->payload : NULL;
    if (c->opcode == WS_OP_CLOSE) {
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

/* A finding's members after "type"/"conn" (event) or inside the summary. */
static void finding_members(json_writer *w, const mqttka_finding *f)
{
    json_string(w, "kind", mqttka_finding_name(f->kind));
    json_string(w, "severity", mqttka_severity_name(f->severity));
    json_seconds(w, "ts", f->ts);
    json_frame(w, "frame", f->tag);
    json_frame(w, "reported_frame", f->reported_tag);
    json_string(w, "dir", output_dir_json(f->dir));
    json_string(w, "detail", f->detail);
    if (f->has_value)
        json_double(w, "value", f->value);
}

static void write_finding(json_writer *w, const mqttka_event *ev)
{
    json_string(w, "type", "finding");
    json_uint(w, "conn", ev->conn ? ev->conn->id : 0);
    finding_members(w, ev->u.finding);
}

static void write_endpoint(json_writer *w, const char *key, const mqttka_endpoint *e)
{
    char buf[64];
    mqttka_endpoint_format(e, buf, sizeof buf);
    json_string(w, key, buf);
}

static void write_packet_counts(json_writer *w, const char *key, const uint32_t counts[])
{
    json_object_begin(w, key);
    for (uint8_t t = 0; t < MQTTKA_MQTT_TYPES; t++)
        if (counts[t])
            json_uint(w, mqttka_mqtt_type_name(t), counts[t]);
    json_object_end(w);
}

static void write_summary(json_writer *w, const mqttka_event *ev)
{
    const mqttka_summary *s = ev->u.summary;
    const mqttka_connection *c = s->conn ? s->conn : ev->conn;
    json_string(w, "type", "connection");
    json_uint(w, "conn", c->id);
    write_endpoint(w, "client", &c->client);
    write_endpoint(w, "server", &c->server);
    json_string(w, "transport", c->transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp");
    string_or_null(w, "ws_subprotocol", c->ws_subprotocol);
    string_or_null(w, "ws_extensions", c->ws_extensions);
    json_string(w, "mqtt_version", mqttka_mqtt_version_name(c->mqtt_level));
    if (c->mqtt_level)
        json_string(w, "client_id", c->client_id);
    else
        json_null(w, "client_id");
    int_or_null(w, "keepalive", c->keepalive);
    int_or_null(w, "server_keepalive", c->server_keepalive);
    int_or_null(w, "effective_keepalive", c->effective_keepalive);
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
    if (s->rtt_count) {
        json_object_begin(w, "rtt_ms");
        json_millis(w, "min", s->rtt_min);
        json_millis(w, "median", s->rtt_median);
        json_millis(w, "p95", s->rtt_p95);
        json_millis(w, "max", s->rtt_max);
        json_uint(w, "count", s->rtt_count);
        json_object_end(w);
    } else {
        json_null(w, "rtt_ms");
    }
    json_seconds(w, "max_client_silence", s->max_client_silence);

    json_object_begin(w, "close");
    json_string(w, "initiator", mqttka_side_name(s->close_initiator));
    json_string(w, "mechanism", mqttka_close_mechanism_name(s->close_mechanism));
    int_or_null(w, "ws_close_code", s->ws_close_code);
    json_seconds(w, "ts", s->close_ts);
    json_frame(w, "frame", s->close_tag);
    string_or_null(w, "reason", s->ws_close_reason);
    int_or_null(w, "disconnect_reason", s->disconnect_reason);
    json_object_end(w);

    json_string(w, "verdict", mqttka_verdict_name(s->verdict));
    json_string(w, "verdict_detail", s->verdict_detail);
    json_array_begin(w, "findings");
    for (size_t i = 0; s->findings && i < s->n_findings; i++) {
        json_object_begin(w, NULL);
        finding_members(w, &s->findings[i]);
        json_object_end(w);
    }
    json_array_end(w);
    json_uint(w, "findings_omitted", s->findings_omitted);
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

void output_json_event(output_state *o, const mqttka_event *ev)
{
    if (o->quiet && ev->type != MQTTKA_EV_CONNECTION)
        return;
    json_writer w;
    json_line_begin(&w, &o->line);
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE: write_handshake(&w, ev); break;
    case MQTTKA_EV_WS_CONTROL: write_control(&w, ev); break;
    case MQTTKA_EV_MQTT_PACKET: write_mqtt(&w, ev); break;
    case MQTTKA_EV_FINDING: write_finding(&w, ev); break;
    case MQTTKA_EV_CONNECTION: write_summary(&w, ev); break;
    default:
        event_head(&w, "unknown", ev);
        break;
    }
    if (o->files && ev->type != MQTTKA_EV_CONNECTION)
        write_file_of_frame(&w, o->files,
                            ev->type == MQTTKA_EV_FINDING && ev->u.finding ? ev->u.finding->tag
                                                                          : ev->tag);
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
    json_string(&w, "type", "capture");
    json_string(&w, "link_type", s->link_name);
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
