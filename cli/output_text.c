/*
 * output_text.c - core events as a timeline for people.
 *
 *     <seconds since the first record> #<conn> <C>S|S>C>  <item>  frame <N>
 *     <seconds>  #<conn> <dir>    ! <severity> <kind>: <detail> (frame <N>)
 *
 * and, when a connection ends, a summary block ending with its VERDICT.
 * Everything is deterministic: relative times from integer microseconds,
 * absolute times (the summary's start) in UTC, ISO 8601.
 *
 * Each event is put together in a line buffer on the stack and written with
 * one fwrite: numbers by format.c, strings by runs (line_buffer.h says why).
 */
#include "output.h"

#include <string.h>
#include <time.h>

#include "format.h"
#include "line_buffer.h"

/* WebSocket opcodes of control frames (RFC 6455 §5.5). */
enum { WS_OP_CLOSE = 8, WS_OP_PING = 9, WS_OP_PONG = 10 };
enum { MQTT_CONNECT = 1, MQTT_CONNACK = 2, MQTT_PUBLISH = 3 };

/* MQTT 3.1 / 3.1.1 CONNACK return codes (3.1.1 §3.2.2.3). */
static const char *connack_v3_name(uint8_t code)
{
    switch (code) {
    case 0: return "accepted";
    case 1: return "unacceptable protocol version";
    case 2: return "identifier rejected";
    case 3: return "server unavailable";
    case 4: return "bad user name or password";
    case 5: return "not authorized";
    default: return NULL;
    }
}

/* MQTT 5.0 reason codes a CONNACK or DISCONNECT carries (5.0 §2.4). */
static const char *reason_v5_name(uint8_t code)
{
    switch (code) {
    case 0x00: return "success";
    case 0x04: return "disconnect with will message";
    case 0x80: return "unspecified error";
    case 0x81: return "malformed packet";
    case 0x82: return "protocol error";
    case 0x83: return "implementation specific error";
    case 0x84: return "unsupported protocol version";
    case 0x85: return "client identifier not valid";
    case 0x86: return "bad user name or password";
    case 0x87: return "not authorized";
    case 0x88: return "server unavailable";
    case 0x89: return "server busy";
    case 0x8a: return "banned";
    case 0x8b: return "server shutting down";
    case 0x8c: return "bad authentication method";
    case 0x8d: return "keep alive timeout";
    case 0x8e: return "session taken over";
    case 0x8f: return "topic filter invalid";
    case 0x90: return "topic name invalid";
    case 0x93: return "receive maximum exceeded";
    case 0x94: return "topic alias invalid";
    case 0x95: return "packet too large";
    case 0x96: return "message rate too high";
    case 0x97: return "quota exceeded";
    case 0x98: return "administrative action";
    case 0x99: return "payload format invalid";
    case 0x9a: return "retain not supported";
    case 0x9b: return "qos not supported";
    case 0x9c: return "use another server";
    case 0x9d: return "server moved";
    case 0x9e: return "shared subscriptions not supported";
    case 0x9f: return "connection rate exceeded";
    case 0xa0: return "maximum connect time";
    case 0xa1: return "subscription identifiers not supported";
    case 0xa2: return "wildcard subscriptions not supported";
    default: return NULL;
    }
}

const char *output_dir_text(mqttka_direction d)
{
    return d == MQTTKA_S2C ? "S>C" : "C>S";
}

/* Writes bytes for a terminal: printable ASCII and well-formed UTF-8 as they
 * are, everything else (controls, stray bytes) as \xNN, so that a hostile
 * client id cannot move the cursor or split a line. Quotes when asked. Each
 * run of bytes that go as they are is copied at once, then the one escape
 * that ends it. */
static void put_text(line_buffer *line, const uint8_t *s, size_t len, bool quoted)
{
    if (quoted)
        line_buffer_char(line, '"');
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        for (;;) {
            end += format_plain_ascii_run(s + end, len - end, quoted);
            if (end == len || s[end] < 0x80)
                break;
            size_t n = utf8_sequence_length(s + end, len - end);
            /* C1 controls (U+0080..U+009F) are well-formed but act on terminals. */
            if (n == 0 || (n == 2 && s[end] == 0xc2 && s[end + 1] < 0xa0))
                break;
            end += n;
        }
        line_buffer_bytes(line, s + i, end - i);
        if (end == len)
            break;
        uint8_t b = s[end];
        char *p = line_buffer_room(line, 4); /* "\xNN" */
        *p++ = '\\';
        if (quoted && (b == '"' || b == '\\')) {
            *p++ = (char)b;
        } else {
            *p++ = 'x';
            p = format_put_hex(p, b, 2);
        }
        line_buffer_commit(line, p);
        i = end + 1;
    }
    if (quoted)
        line_buffer_char(line, '"');
}

static void put_str(line_buffer *line, const char *s, bool quoted)
{
    put_text(line, (const uint8_t *)(s ? s : ""), s ? strlen(s) : 0, quoted);
}

/* A string kept in a fixed array of the core's: read no further than the
 * array, should its NUL be missing. */
static void put_array_str(line_buffer *line, const char *s, size_t size, bool quoted)
{
    put_text(line, (const uint8_t *)s, strnlen(s, size), quoted);
}

/* A name from the core's tables, as "%s" wrote it: glibc printed a NULL as
 * "(null)", and the output must not change. */
static void put_name(line_buffer *line, const char *name)
{
    line_buffer_str(line, name ? name : "(null)");
}

/* "2026-11-26T10:51:02.123456Z" (27 bytes); "?" when gmtime cannot say. At
 * most FORMAT_NUMBER_MAX - 1 bytes. */
static char *put_utc_at(char *at, mqttka_time t)
{
    int64_t seconds = t / 1000000, micros = t % 1000000;
    if (micros < 0) {
        micros += 1000000;
        seconds--;
    }
    char *p = format_put_utc_seconds(at, seconds);
    if (!p) {
        /* Before 1970 or after 9999: rare enough for the C library. */
        time_t tt = (time_t)seconds;
        struct tm tm;
        size_t len = gmtime_r(&tt, &tm)
                         ? strftime(at, FORMAT_NUMBER_MAX - 9, "%Y-%m-%dT%H:%M:%S", &tm)
                         : 0;
        if (len == 0) {
            *at = '?';
            return at + 1;
        }
        p = at + len;
    }
    *p++ = '.';
    p = format_put_padded_uint(p, (uint64_t)micros, 6);
    *p++ = 'Z';
    return p;
}

/* `t` as --time-format asks: seconds since the capture's first record (the
 * default), UTC, or seconds since the epoch; "?" when unknown. At most
 * FORMAT_NUMBER_MAX - 1 bytes. */
static char *put_relative(char *at, const output_state *o, mqttka_time t)
{
    if (t == MQTTKA_TIME_NONE) {
        *at = '?';
        return at + 1;
    }
    switch (o->time_format) {
    case TIME_UTC: return put_utc_at(at, t);
    case TIME_EPOCH: return format_put_scaled(at, t, 6, 6);
    case TIME_RELATIVE: break;
    }
    mqttka_time start = o->capture_start == MQTTKA_TIME_NONE ? 0 : o->capture_start;
    return format_put_scaled(at, t - start, 6, 6);
}

static void line_relative(line_buffer *line, const output_state *o, mqttka_time t)
{
    line_buffer_commit(line, put_relative(line_buffer_room(line, FORMAT_NUMBER_MAX), o, t));
}

/* "<time> #<conn> <dir>  ", the time right-aligned in 11 columns (17 for
 * --time-format epoch; a UTC time is 27 wide). Every line starts so:
 * written in one piece. */
static void line_head(line_buffer *line, const output_state *o, mqttka_time t,
                      const mqttka_connection *c, mqttka_direction d)
{
    /* The padded time (at most FORMAT_NUMBER_MAX - 1 bytes), " #", up to 20
     * digits, " C>S  ". */
    char *p = line_buffer_room(line, FORMAT_NUMBER_MAX + 28);
    mqttka_time start = o->capture_start == MQTTKA_TIME_NONE ? 0 : o->capture_start;
    if (o->time_format == TIME_RELATIVE && t != MQTTKA_TIME_NONE && t >= start &&
        t - start < (mqttka_time)10000 * 1000000) {
        /* The usual time, under 10 000 s: written right to left straight
         * into its 11 columns (formatted apart and copied, it was read back
         * in wide loads from narrow stores, which stall). */
        memset(p, ' ', 11);
        format_put_seconds_before(p + 11, (uint64_t)(t - start));
        p += 11;
    } else {
        char when[FORMAT_NUMBER_MAX];
        size_t len = (size_t)(put_relative(when, o, t) - when);
        size_t width = o->time_format == TIME_EPOCH ? 17 : 11;
        size_t pad = len < width ? width - len : 0;
        memset(p, ' ', pad);
        memcpy(p + pad, when, len);
        p += pad + len;
    }
    memcpy(p, " #", 2);
    p = format_put_uint(p + 2, c ? c->id : 0);
    *p++ = ' ';
    memcpy(p, output_dir_text(d), 3);
    memcpy(p + 3, "  ", 2);
    line_buffer_commit(line, p + 5);
}

static void line_frame(line_buffer *line, uint64_t frame)
{
    if (frame) {
        line_buffer_labeled_uint(line, "  frame ", frame);
        line_buffer_char(line, '\n');
    } else {
        line_buffer_str(line, "  end of capture\n");
    }
}

/* "  (1.00 KA)" after a client silence, when KAe is known and not 0. */
static void put_keepalive_ratio(line_buffer *line, const mqttka_connection *c,
                                mqttka_time silence)
{
    if (c && c->effective_keepalive > 0) {
        /* hundredths of KAe, rounded, from integer microseconds; divided
         * first, since a damaged timestamp can make a silence of centuries
         * whose product by 100 would overflow */
        int64_t unit = (int64_t)c->effective_keepalive * 10000;
        int64_t hundredths = silence >= 0 ? silence / unit + (silence % unit >= unit / 2)
                                          : (silence + unit / 2) / unit;
        line_buffer_str(line, " (");
        line_buffer_scaled(line, hundredths, 2, 2);
        line_buffer_str(line, " KA)");
    }
}

static void put_connect(line_buffer *line, const mqttka_connect_info *c)
{
    const char *version = mqttka_mqtt_version_name(c->level);
    if (version) {
        line_buffer_str(line, " v");
        line_buffer_str(line, version);
    } else {
        line_buffer_str(line, " protocol ");
        put_array_str(line, c->protocol_name, sizeof c->protocol_name, true);
        line_buffer_labeled_uint(line, " level ", c->level);
    }
    line_buffer_labeled_uint(line, " keepalive ", c->keepalive);
    line_buffer_str(line, c->clean_session ? " clean client_id " : " persistent client_id ");
    put_str(line, c->client_id, true);
    if (c->client_id && c->client_id_len > strlen(c->client_id)) {
        line_buffer_labeled_uint(line, " (", c->client_id_len);
        line_buffer_str(line, " bytes)");
    }
}

/* " 0x8d (keep alive timeout)": an MQTT 5 reason code, named when known. */
static void put_reason_v5(line_buffer *line, uint64_t code)
{
    const char *name = reason_v5_name((uint8_t)code);
    line_buffer_str(line, " 0x");
    line_buffer_hex(line, code, 2);
    if (name) {
        line_buffer_str(line, " (");
        line_buffer_str(line, name);
        line_buffer_char(line, ')');
    }
}

static void put_connack(line_buffer *line, const mqttka_connection *conn,
                        const mqttka_connack_info *a)
{
    if (conn && conn->mqtt_level == 5) {
        line_buffer_str(line, " code");
        put_reason_v5(line, a->code);
    } else {
        const char *name = connack_v3_name(a->code);
        line_buffer_labeled_uint(line, " code ", a->code);
        if (name) {
            line_buffer_str(line, " (");
            line_buffer_str(line, name);
            line_buffer_char(line, ')');
        }
    }
    if (a->flags & 1)
        line_buffer_str(line, " session present");
    if (a->server_keepalive >= 0) {
        line_buffer_str(line, ", Server Keep Alive ");
        line_buffer_int(line, a->server_keepalive);
    }
}

static void text_mqtt(line_buffer *line, const output_state *o, const mqttka_event *ev)
{
    const mqttka_mqtt_packet *p = &ev->u.mqtt;
    line_head(line, o, ev->ts, ev->conn, ev->dir);
    put_name(line, mqttka_mqtt_type_name(p->type));
    if (p->connect)
        put_connect(line, p->connect);
    if (p->connack)
        put_connack(line, ev->conn, p->connack);
    if (p->reason_code >= 0) {
        line_buffer_str(line, " reason");
        put_reason_v5(line, (unsigned)p->reason_code);
    }
    if (p->type == MQTT_PUBLISH) {
        line_buffer_labeled_uint(line, " qos ", (p->flags >> 1) & 3);
    }
    /* Sizes say something of data packets, nothing of the handshake's. */
    if (p->type != MQTT_CONNECT && p->type != MQTT_CONNACK && p->remaining_length) {
        line_buffer_labeled_uint(line, " (", p->remaining_length);
        line_buffer_str(line, " bytes)");
    }
    if (p->silence != MQTTKA_TIME_NONE) {
        line_buffer_str(line, "  silence ");
        line_buffer_scaled(line, p->silence, 6, 3);
        line_buffer_char(line, 's');
        put_keepalive_ratio(line, ev->conn, p->silence);
    }
    if (p->rtt != MQTTKA_TIME_NONE) {
        line_buffer_str(line, "  rtt ");
        line_buffer_scaled(line, p->rtt, 3, 3);
        line_buffer_str(line, " ms");
    }
    if (p->pair_tag) {
        line_buffer_labeled_uint(line, " (PINGREQ frame ", p->pair_tag);
        line_buffer_char(line, ')');
    }
    line_frame(line, ev->tag);
}

/* ", subprotocol \"mqtt\", extensions \"...\"" of an upgraded connection. */
static void put_websocket_choices(line_buffer *line, const mqttka_connection *c)
{
    line_buffer_str(line, ", subprotocol ");
    if (c->ws_subprotocol[0])
        put_str(line, c->ws_subprotocol, true);
    else
        line_buffer_str(line, "none");
    if (c->ws_extensions[0]) {
        line_buffer_str(line, ", extensions ");
        put_str(line, c->ws_extensions, true);
    }
}

static void text_handshake(line_buffer *line, const output_state *o, const mqttka_event *ev)
{
    const mqttka_ws_handshake *h = &ev->u.handshake;
    const mqttka_connection *c = ev->conn;
    line_head(line, o, ev->ts, c, ev->dir);
    if (h->upgraded) {
        line_buffer_str(line, "WebSocket handshake ");
        line_buffer_int(line, h->status);
    } else if (h->status == 0) {
        line_buffer_str(line, "WebSocket handshake never answered");
    } else if (h->status == 101) {
        line_buffer_str(line, "WebSocket handshake 101 refused (bad Sec-WebSocket-Accept)");
    } else {
        line_buffer_str(line, "WebSocket handshake refused: status ");
        line_buffer_int(line, h->status);
    }
    if (h->upgraded && c)
        put_websocket_choices(line, c);
    if (h->path) {
        line_buffer_str(line, ", path ");
        put_str(line, h->path, true);
    }
    line_frame(line, ev->tag);
}

static void text_control(line_buffer *line, const output_state *o, const mqttka_event *ev)
{
    const mqttka_ws_control *c = &ev->u.control;
    line_head(line, o, ev->ts, ev->conn, ev->dir);
    switch (c->opcode) {
    case WS_OP_CLOSE:
        line_buffer_str(line, "WebSocket Close");
        if (c->close_code >= 0) {
            line_buffer_char(line, ' ');
            line_buffer_int(line, c->close_code);
        } else {
            line_buffer_str(line, " (no code)");
        }
        if (c->payload && c->payload_len > 2) {
            line_buffer_char(line, ' ');
            put_text(line, c->payload + 2, c->payload_len - 2, true);
        }
        break;
    case WS_OP_PING:
    case WS_OP_PONG:
        line_buffer_str(line, c->opcode == WS_OP_PING ? "WebSocket Ping (" : "WebSocket Pong (");
        line_buffer_uint(line, c->payload_len);
        line_buffer_str(line, " bytes)");
        break;
    default:
        line_buffer_labeled_uint(line, "WebSocket control opcode ", c->opcode);
        break;
    }
    line_frame(line, ev->tag);
}

/* "! warn  kind: detail (frame N)" without the line head. */
static void put_finding(line_buffer *line, const mqttka_finding *f)
{
    const char *severity = mqttka_severity_name(f->severity);
    if (!severity)
        severity = "(null)"; /* as "%s" wrote it */
    size_t severity_len = strlen(severity);
    line_buffer_str(line, "! ");
    line_buffer_bytes(line, severity, severity_len);
    /* "%-5s ": padded to 5 columns, then the space. */
    line_buffer_fill(line, ' ', severity_len < 5 ? 6 - severity_len : 1);
    put_name(line, mqttka_finding_name(f->kind));
    line_buffer_str(line, ": ");
    put_array_str(line, f->detail, sizeof f->detail, false);
    if (f->tag) {
        line_buffer_labeled_uint(line, " (frame ", f->tag);
    } else {
        line_buffer_str(line, " (end of capture");
    }
    if (f->reported_tag && f->reported_tag != f->tag) {
        line_buffer_labeled_uint(line, ", known at frame ", f->reported_tag);
    }
    line_buffer_str(line, ")\n");
}

static void text_finding(line_buffer *line, const output_state *o, const mqttka_event *ev)
{
    const mqttka_finding *f = ev->u.finding;
    line_head(line, o, f->ts, ev->conn, f->dir);
    line_buffer_str(line, "  ");
    put_finding(line, f);
}

/* "2026-11-26T10:51:02.123456Z"; "?" when gmtime cannot say. */
static void put_utc(line_buffer *line, mqttka_time t)
{
    line_buffer_commit(line, put_utc_at(line_buffer_room(line, FORMAT_NUMBER_MAX), t));
}

static void put_keepalive_value(line_buffer *line, int32_t v)
{
    if (v < 0) {
        line_buffer_str(line, "unknown");
    } else {
        line_buffer_int(line, v);
        line_buffer_str(line, " s");
    }
}

static void put_packet_counts(line_buffer *line, const uint32_t counts[])
{
    bool any = false;
    for (uint8_t t = 0; t < MQTTKA_MQTT_TYPES; t++) {
        if (!counts[t])
            continue;
        if (any)
            line_buffer_str(line, ", ");
        put_name(line, mqttka_mqtt_type_name(t));
        line_buffer_char(line, ' ');
        line_buffer_uint(line, counts[t]);
        any = true;
    }
    if (!any)
        line_buffer_str(line, "none");
    line_buffer_char(line, '\n');
}

/* "   time         0.000000 .. 9.500000 (9.500000 s), started <UTC>, first frame N" */
static void put_summary_time(line_buffer *line, const output_state *o,
                             const mqttka_connection *c)
{
    line_buffer_str(line, "   time         ");
    line_relative(line, o, c->start);
    line_buffer_str(line, " .. ");
    line_relative(line, o, c->end);
    line_buffer_str(line, " (");
    if (c->start != MQTTKA_TIME_NONE && c->end != MQTTKA_TIME_NONE)
        line_buffer_scaled(line, c->end - c->start, 6, 6);
    else
        line_buffer_char(line, '?');
    line_buffer_str(line, " s), started ");
    if (c->start != MQTTKA_TIME_NONE)
        put_utc(line, c->start);
    else
        line_buffer_char(line, '?');
    if (c->first_tag) {
        line_buffer_labeled_uint(line, ", first frame ", c->first_tag);
    }
    line_buffer_char(line, '\n');
}

static void put_summary_rtt(line_buffer *line, const mqttka_summary *s)
{
    if (!s->rtt_count) {
        line_buffer_str(line, "   rtt          none\n");
        return;
    }
    line_buffer_str(line, "   rtt          min ");
    line_buffer_scaled(line, s->rtt_min, 3, 3);
    line_buffer_str(line, " ms, median ");
    line_buffer_scaled(line, s->rtt_median, 3, 3);
    line_buffer_str(line, " ms, p95 ");
    line_buffer_scaled(line, s->rtt_p95, 3, 3);
    line_buffer_str(line, " ms, max ");
    line_buffer_scaled(line, s->rtt_max, 3, 3);
    line_buffer_labeled_uint(line, " ms (", s->rtt_count);
    line_buffer_str(line, s->rtt_count == 1 ? " pair)\n" : " pairs)\n");
}

static void put_summary_close(line_buffer *line, const output_state *o,
                              const mqttka_summary *s)
{
    line_buffer_str(line, "   close        ");
    const char *mechanism = mqttka_close_mechanism_name(s->close_mechanism);
    const char *initiator = mqttka_side_name(s->close_initiator);
    if (!mechanism && s->close_ts == MQTTKA_TIME_NONE) {
        line_buffer_str(line, "still open at the end of the capture");
    } else {
        line_buffer_str(line, mechanism ? mechanism : "unknown");
        line_buffer_str(line, " by ");
        line_buffer_str(line, initiator ? initiator : "unknown side");
        if (s->ws_close_code >= 0) {
            line_buffer_str(line, ", code ");
            line_buffer_int(line, s->ws_close_code);
        }
        if (s->ws_close_reason[0]) {
            line_buffer_char(line, ' ');
            put_array_str(line, s->ws_close_reason, sizeof s->ws_close_reason, true);
        }
        if (s->disconnect_reason >= 0) {
            line_buffer_str(line, ", reason");
            put_reason_v5(line, (unsigned)s->disconnect_reason);
        }
        if (s->close_ts != MQTTKA_TIME_NONE) {
            line_buffer_str(line, " at ");
            line_relative(line, o, s->close_ts);
        }
        if (s->close_tag) {
            line_buffer_labeled_uint(line, " (frame ", s->close_tag);
            line_buffer_char(line, ')');
        }
    }
    line_buffer_char(line, '\n');
}

static void text_summary(line_buffer *line, const output_state *o, const mqttka_event *ev)
{
    const mqttka_summary *s = ev->u.summary;
    const mqttka_connection *c = s->conn ? s->conn : ev->conn;
    char client[64], server[64];
    mqttka_endpoint_format(&c->client, client, sizeof client);
    mqttka_endpoint_format(&c->server, server, sizeof server);

    line_buffer_labeled_uint(line, "== #", c->id);
    line_buffer_char(line, ' ');
    line_buffer_bytes(line, client, strnlen(client, sizeof client));
    line_buffer_str(line, " -> ");
    line_buffer_bytes(line, server, strnlen(server, sizeof server));
    line_buffer_char(line, '\n');

    line_buffer_str(line, c->transport == MQTTKA_TRANSPORT_WEBSOCKET
                              ? "   transport    websocket"
                              : "   transport    tcp");
    if (c->transport == MQTTKA_TRANSPORT_WEBSOCKET || c->ws_upgraded)
        put_websocket_choices(line, c);
    line_buffer_char(line, '\n');

    const char *version = mqttka_mqtt_version_name(c->mqtt_level);
    line_buffer_str(line, "   mqtt         ");
    line_buffer_str(line, version ? version : "unknown");
    if (c->mqtt_level) {
        line_buffer_str(line, ", client id ");
        put_str(line, c->client_id, true);
    }
    line_buffer_char(line, '\n');

    line_buffer_str(line, "   keepalive    KA ");
    put_keepalive_value(line, c->keepalive);
    line_buffer_str(line, ", SKA ");
    if (c->server_keepalive < 0)
        line_buffer_str(line, "none");
    else
        put_keepalive_value(line, c->server_keepalive);
    line_buffer_str(line, ", KAe ");
    put_keepalive_value(line, c->effective_keepalive);
    line_buffer_char(line, '\n');

    put_summary_time(line, o, c);
    line_buffer_str(line, "   packets C>S  ");
    put_packet_counts(line, s->packets[MQTTKA_C2S]);
    line_buffer_str(line, "   packets S>C  ");
    put_packet_counts(line, s->packets[MQTTKA_S2C]);
    line_buffer_labeled_uint(line, "   pings        PINGREQ ", s->pingreq);
    line_buffer_labeled_uint(line, ", PINGRESP ", s->pingresp);
    line_buffer_labeled_uint(line, ", unanswered ", s->pingreq_unanswered);
    line_buffer_char(line, '\n');
    put_summary_rtt(line, s);

    line_buffer_str(line, "   max silence  ");
    if (s->max_client_silence == MQTTKA_TIME_NONE) {
        line_buffer_str(line, "unknown");
    } else {
        line_buffer_scaled(line, s->max_client_silence, 6, 3);
        line_buffer_str(line, " s");
        put_keepalive_ratio(line, c, s->max_client_silence);
    }
    line_buffer_char(line, '\n');
    put_summary_close(line, o, s);

    line_buffer_str(line, "   VERDICT      ");
    put_name(line, mqttka_verdict_name(s->verdict));
    if (s->verdict_detail[0]) {
        line_buffer_str(line, ": ");
        put_array_str(line, s->verdict_detail, sizeof s->verdict_detail, false);
    }
    line_buffer_char(line, '\n');
    line_buffer_labeled_uint(line, "   findings     ", s->n_findings);
    if (s->findings_omitted) {
        line_buffer_labeled_uint(line, " (and ", s->findings_omitted);
        line_buffer_str(line, " more not kept)");
    }
    line_buffer_char(line, '\n');
    for (size_t i = 0; s->findings && i < s->n_findings; i++) {
        line_buffer_str(line, "     ");
        put_finding(line, &s->findings[i]);
    }
    line_buffer_char(line, '\n');
}

void output_text_event(output_state *o, const mqttka_event *ev)
{
    if (o->quiet && ev->type != MQTTKA_EV_CONNECTION)
        return;
    line_buffer *line = &o->line;
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE: text_handshake(line, o, ev); break;
    case MQTTKA_EV_WS_CONTROL: text_control(line, o, ev); break;
    case MQTTKA_EV_MQTT_PACKET: text_mqtt(line, o, ev); break;
    case MQTTKA_EV_FINDING: text_finding(line, o, ev); break;
    case MQTTKA_EV_CONNECTION: text_summary(line, o, ev); break;
    default: break;
    }
    if (o->flush_each_event)
        line_buffer_flush(line);
}

/* Several files: where each one's records are among the frames. */
static void put_files(line_buffer *line, const capture_stats *s)
{
    line_buffer_labeled_uint(line, "capture: ", s->n_files);
    line_buffer_str(line, " files read as one, in order of time; frames count across them\n");
    for (size_t i = 0; i < s->n_files; i++) {
        const capture_file_info *f = &s->files[i];
        line_buffer_labeled_uint(line, "capture: file ", i + 1);
        line_buffer_char(line, ' ');
        put_str(line, f->path, false);
        if (f->compression) {
            line_buffer_str(line, " (");
            line_buffer_str(line, f->compression);
            line_buffer_char(line, ')');
        }
        if (f->records == 0) {
            line_buffer_str(line, ": no record");
        } else if (f->last_frame - f->first_frame + 1 == f->records) {
            line_buffer_labeled_uint(line, ": frames ", f->first_frame);
            line_buffer_labeled_uint(line, "..", f->last_frame);
            line_buffer_labeled_uint(line, " are its 1..", f->records);
        } else {
            line_buffer_labeled_uint(line, ": ", f->records);
            line_buffer_labeled_uint(line, " records among frames ", f->first_frame);
            line_buffer_labeled_uint(line, "..", f->last_frame);
            line_buffer_str(line, ", interleaved by time with other files");
        }
        if (f->status == CAPTURE_TRUNCATED)
            line_buffer_str(line, "; cut short");
        else if (f->status == CAPTURE_READ_ERROR)
            line_buffer_str(line, "; damaged");
        line_buffer_char(line, '\n');
    }
}

void output_text_capture(output_state *o, const capture_stats *s)
{
    if (o->quiet)
        return;
    line_buffer *line = &o->line;
    line_buffer_labeled_uint(line, "capture: ", s->records);
    line_buffer_str(line, " records (");
    line_buffer_str(line, s->link_name ? s->link_name : "?");
    line_buffer_char(line, ')');
    if (s->matched != s->records) {
        line_buffer_labeled_uint(line, ", ", s->matched);
        line_buffer_str(line, " matched the filter");
    }
    line_buffer_labeled_uint(line, ", ", s->tcp_segments);
    line_buffer_labeled_uint(line, " TCP segments; skipped ", s->not_tcp);
    line_buffer_labeled_uint(line, " not TCP, ", s->ip_fragments);
    line_buffer_labeled_uint(line, " IP fragments, ", s->snapped);
    line_buffer_labeled_uint(line, " cut by snaplen, ", s->malformed);
    line_buffer_str(line, s->complete ? " malformed\n" : " malformed; input cut short\n");
    if (s->payload_cut) {
        /* A capture made with a small snaplen (tcpdump -s 64) decodes no
         * MQTT at all: say why, or the silence looks like no traffic. */
        line_buffer_labeled_uint(line, "capture: ", s->payload_cut);
        line_buffer_str(line, " TCP segments have their payload cut by the snaplen; the streams "
                               "are not decoded past a cut (capture with a larger snaplen, "
                               "e.g. tcpdump -s 0)\n");
    }
    if (s->n_files)
        put_files(line, s);
    if (o->flush_each_event)
        line_buffer_flush(line);
}
