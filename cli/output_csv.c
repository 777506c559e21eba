/*
 * output_csv.c - one CSV line per connection (--format csv), for
 * spreadsheets and tools that load tables.
 *
 * RFC 4180: a header line first, then one record per connection summary in
 * the order connections end; every line ends with CRLF; a field holding a
 * comma, a double quote, CR or LF is written in double quotes with its
 * quotes doubled. Text from the wire (client ids, WebSocket close reasons,
 * details) has its control characters and bytes that are not UTF-8 written
 * as \xNN first, as the text output does, so no field holds a line break.
 * An unknown or absent value is an empty field. The columns are the
 * summary's JSON members, nested names joined with "_" (close.initiator ->
 * close_initiator); the packet counts are totals per direction, and the
 * findings a count, the errors and warnings among them, and their kinds
 * with counts ("kind=N;kind=N").
 */
#include "output.h"

#include <string.h>

#include "format.h"

static const char header[] =
    "uid,community_id,conn,client,server,transport,ws_subprotocol,ws_extensions,mqtt_version,"
    "client_id,keepalive,server_keepalive,effective_keepalive,keepalive_inferred,start_seen,"
    "one_sided,start,end,first_frame,last_frame,packets_c2s,packets_s2c,pingreq,pingresp,"
    "pingreq_unanswered,rtt_s_count,rtt_s_min,rtt_s_median,rtt_s_p95,rtt_s_max,"
    "max_client_silence,close_initiator,close_mechanism,close_ws_close_code,close_ts,"
    "close_frame,close_reason,close_disconnect_reason,verdict,verdict_detail,findings_total,"
    "errors,warnings,finding_kinds\r\n";

/* Bytes of one field after escaping, at most: every byte of the longest
 * string the core gives (MQTTKA_DETAIL_MAX) as \xNN, doubled quotes. */
#define CSV_FIELD_MAX (4 * MQTTKA_DETAIL_MAX + 2)

/* `len` bytes as a CSV field: escaped as the text output does, then quoted
 * when it holds a comma or a quote. */
static void put_field(line_buffer *line, const uint8_t *s, size_t len)
{
    char buf[CSV_FIELD_MAX];
    size_t n = 0;
    bool quote = false;
    for (size_t i = 0; i < len && n + 8 < sizeof buf;) {
        size_t k = s[i] < 0x80 ? (s[i] >= 0x20 && s[i] < 0x7f) : utf8_sequence_length(s + i, len - i);
        /* C1 controls (U+0080..U+009F) are well-formed but act on terminals. */
        if (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
            k = 0;
        if (k == 0) {
            buf[n++] = '\\';
            buf[n++] = 'x';
            n = (size_t)(format_put_hex(buf + n, s[i], 2) - buf);
            i++;
            continue;
        }
        if (s[i] == ',' || s[i] == '"')
            quote = true;
        if (s[i] == '"')
            buf[n++] = '"';
        memcpy(buf + n, s + i, k);
        n += k;
        i += k;
    }
    if (quote)
        line_buffer_char(line, '"');
    line_buffer_bytes(line, buf, n);
    if (quote)
        line_buffer_char(line, '"');
}

static void put_str_field(line_buffer *line, const char *s, size_t max)
{
    if (s)
        put_field(line, (const uint8_t *)s, strnlen(s, max));
}

static void sep(line_buffer *line)
{
    line_buffer_char(line, ',');
}

static void put_int_or_empty(line_buffer *line, int64_t v)
{
    if (v >= 0)
        line_buffer_int(line, v);
}

static void put_seconds_or_empty(line_buffer *line, mqttka_time t)
{
    if (t != MQTTKA_TIME_NONE)
        line_buffer_scaled(line, t, 6, 6);
}

static void put_frame_or_empty(line_buffer *line, uint64_t frame)
{
    if (frame)
        line_buffer_uint(line, frame);
}

static uint64_t total(const uint32_t counts[MQTTKA_MQTT_TYPES])
{
    uint64_t n = 0;
    for (int t = 0; t < MQTTKA_MQTT_TYPES; t++)
        n += counts[t];
    return n;
}

static void csv_summary(output_state *o, const mqttka_event *ev, const event_extra *x)
{
    line_buffer *line = &o->line;
    const mqttka_summary *s = ev->u.summary;
    const mqttka_connection *c = s->conn ? s->conn : ev->conn;
    const conn_entry *e = x ? x->conn : NULL;
    char buf[64];

    const conn_ids *ids = x ? x->ids : NULL;
    if (ids) {
        line_buffer_bytes(line, ids->uid, FLOW_UID_LEN);
        sep(line);
        line_buffer_bytes(line, ids->community_id, COMMUNITY_ID_LEN);
    } else {
        sep(line);
    }
    sep(line);
    line_buffer_uint(line, c->id);
    sep(line);
    mqttka_endpoint_format(&c->client, buf, sizeof buf);
    put_str_field(line, buf, sizeof buf);
    sep(line);
    mqttka_endpoint_format(&c->server, buf, sizeof buf);
    put_str_field(line, buf, sizeof buf);
    sep(line);
    line_buffer_str(line, c->transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp");
    sep(line);
    put_str_field(line, c->ws_subprotocol, MQTTKA_WS_SUBPROTOCOL_SIZE);
    sep(line);
    put_str_field(line, c->ws_extensions, MQTTKA_WS_EXTENSIONS_SIZE);
    sep(line);
    put_str_field(line, mqttka_mqtt_version_name(c->mqtt_level), 8);
    sep(line);
    if (c->mqtt_level)
        put_str_field(line, c->client_id, MQTTKA_CLIENT_ID_SIZE);
    sep(line);
    put_int_or_empty(line, c->keepalive);
    sep(line);
    put_int_or_empty(line, c->server_keepalive);
    sep(line);
    put_int_or_empty(line, c->effective_keepalive);
    sep(line);
    put_int_or_empty(line, c->keepalive_inferred);
    sep(line);
    line_buffer_str(line, c->start_seen ? "true" : "false");
    sep(line);
    if (s->side_not_captured != MQTTKA_SIDE_NONE)
        line_buffer_str(line, s->side_not_captured == MQTTKA_SIDE_SERVER ? "server_missing"
                                                                           : "client_missing");
    sep(line);
    put_seconds_or_empty(line, c->start);
    sep(line);
    put_seconds_or_empty(line, c->end);
    sep(line);
    put_frame_or_empty(line, c->first_tag);
    sep(line);
    put_frame_or_empty(line, c->last_tag);
    sep(line);
    line_buffer_uint(line, total(s->packets[MQTTKA_C2S]));
    sep(line);
    line_buffer_uint(line, total(s->packets[MQTTKA_S2C]));
    sep(line);
    line_buffer_uint(line, s->pingreq);
    sep(line);
    line_buffer_uint(line, s->pingresp);
    sep(line);
    line_buffer_uint(line, s->pingreq_unanswered);
    sep(line);
    line_buffer_uint(line, s->rtt_count);
    sep(line);
    if (s->rtt_count) {
        put_seconds_or_empty(line, s->rtt_min);
        sep(line);
        put_seconds_or_empty(line, s->rtt_median);
        sep(line);
        put_seconds_or_empty(line, s->rtt_p95);
        sep(line);
        put_seconds_or_empty(line, s->rtt_max);
    } else {
        line_buffer_str(line, ",,,");
    }
    sep(line);
    put_seconds_or_empty(line, s->max_client_silence);
    sep(line);
    put_str_field(line, mqttka_side_name(s->close_initiator), 16);
    sep(line);
    put_str_field(line, mqttka_close_mechanism_name(s->close_mechanism), 32);
    sep(line);
    put_int_or_empty(line, s->ws_close_code);
    sep(line);
    put_seconds_or_empty(line, s->close_ts);
    sep(line);
    put_frame_or_empty(line, s->close_tag);
    sep(line);
    put_str_field(line, s->ws_close_reason, sizeof s->ws_close_reason);
    sep(line);
    put_int_or_empty(line, s->disconnect_reason);
    sep(line);
    put_str_field(line, mqttka_verdict_name(s->verdict), 64);
    sep(line);
    put_str_field(line, s->verdict_detail, sizeof s->verdict_detail);
    sep(line);
    uint64_t all = 0, errors, warnings;
    finding_group one;
    const finding_group *groups = conn_entry_groups(e, &one);
    for (uint8_t i = 0; e && i < e->n_groups; i++)
        all += groups[i].count;
    conn_entry_severity_counts(e, &errors, &warnings);
    line_buffer_uint(line, all);
    sep(line);
    line_buffer_uint(line, errors);
    sep(line);
    line_buffer_uint(line, warnings);
    sep(line);
    /* "kind=N;kind=N": by kind, whatever the severity and direction. */
    uint64_t by_kind[MQTTKA_F_COUNT];
    memset(by_kind, 0, sizeof by_kind);
    for (uint8_t i = 0; e && i < e->n_groups; i++)
        if (groups[i].kind < MQTTKA_F_COUNT)
            by_kind[groups[i].kind] += groups[i].count;
    const char *between = "";
    for (int k = 0; k < MQTTKA_F_COUNT; k++) {
        if (!by_kind[k])
            continue;
        line_buffer_str(line, between);
        line_buffer_str(line, mqttka_finding_name((mqttka_finding_kind)k));
        line_buffer_labeled_uint(line, "=", by_kind[k]);
        between = ";";
    }
    line_buffer_bytes(line, "\r\n", 2);
}

void output_csv_event(output_state *o, const mqttka_event *ev, const event_extra *x)
{
    if (!o->csv_header_done) {
        line_buffer_bytes(&o->line, header, sizeof header - 1);
        o->csv_header_done = true;
    }
    if (ev && ev->type == MQTTKA_EV_CONNECTION && ev->u.summary)
        csv_summary(o, ev, x);
    if (o->flush_each_event)
        line_buffer_flush(&o->line);
}
