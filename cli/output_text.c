/*
 * output_text.c - core events as a timeline for people.
 *
 *     <seconds since the first record> #<conn> <C>S|S>C>  <item>  frame <N>
 *     <seconds>  #<conn> <dir>    ! <severity> <kind>: <detail> (frame <N>)
 *
 * and, when a connection ends, a summary block ending with its VERDICT.
 * Everything is deterministic: relative times from integer microseconds,
 * absolute times (the summary's start) in UTC, ISO 8601.
 */
#include "output.h"

#include <string.h>
#include <time.h>

#include "format.h"

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
 * client id cannot move the cursor or split a line. Quotes when asked. */
static void put_text(FILE *out, const uint8_t *s, size_t len, bool quoted)
{
    if (quoted)
        putc('"', out);
    for (size_t i = 0; i < len;) {
        uint8_t b = s[i];
        size_t n = b >= 0x80 ? utf8_sequence_length(s + i, len - i) : 1;
        /* C1 controls (U+0080..U+009F) are well-formed but act on terminals. */
        bool c1 = n == 2 && b == 0xc2 && s[i + 1] < 0xa0;
        if (b < 0x20 || b == 0x7f || n == 0 || c1) {
            fprintf(out, "\\x%02x", (unsigned)b);
            i++;
        } else if (quoted && (b == '"' || b == '\\')) {
            putc('\\', out);
            putc(b, out);
            i++;
        } else {
            fwrite(s + i, 1, n, out);
            i += n;
        }
    }
    if (quoted)
        putc('"', out);
}

static void put_str(FILE *out, const char *s, bool quoted)
{
    put_text(out, (const uint8_t *)(s ? s : ""), s ? strlen(s) : 0, quoted);
}

static const char *relative(const output_state *o, char *buf, mqttka_time t)
{
    if (t == MQTTKA_TIME_NONE)
        return "?";
    mqttka_time start = o->capture_start == MQTTKA_TIME_NONE ? 0 : o->capture_start;
    return format_seconds6(buf, t - start);
}

/* "<time> #<conn> <dir>  " */
static void line_head(output_state *o, mqttka_time t, const mqttka_connection *c,
                      mqttka_direction d)
{
    char buf[FORMAT_NUMBER_MAX];
    fprintf(o->out, "%11s #%llu %s  ", relative(o, buf, t),
            (unsigned long long)(c ? c->id : 0), output_dir_text(d));
}

static void line_frame(output_state *o, uint64_t frame)
{
    if (frame)
        fprintf(o->out, "  frame %llu\n", (unsigned long long)frame);
    else
        fputs("  end of capture\n", o->out);
}

/* "  (1.00 KA)" after a client silence, when KAe is known and not 0. */
static void put_keepalive_ratio(FILE *out, const mqttka_connection *c, mqttka_time silence)
{
    if (c && c->effective_keepalive > 0) {
        char buf[FORMAT_NUMBER_MAX];
        /* hundredths of KAe, rounded, from integer microseconds; divided
         * first, since a damaged timestamp can make a silence of centuries
         * whose product by 100 would overflow */
        int64_t unit = (int64_t)c->effective_keepalive * 10000;
        int64_t hundredths = silence >= 0 ? silence / unit + (silence % unit >= unit / 2)
                                          : (silence + unit / 2) / unit;
        fprintf(out, " (%s KA)", format_scaled(buf, hundredths, 2, 2));
    }
}

static void put_connect(FILE *out, const mqttka_connect_info *c)
{
    const char *version = mqttka_mqtt_version_name(c->level);
    if (version) {
        fprintf(out, " v%s", version);
    } else {
        fputs(" protocol ", out);
        put_text(out, (const uint8_t *)c->protocol_name,
                 strnlen(c->protocol_name, sizeof c->protocol_name), true);
        fprintf(out, " level %u", (unsigned)c->level);
    }
    fprintf(out, " keepalive %u %s client_id ", (unsigned)c->keepalive,
            c->clean_session ? "clean" : "persistent");
    put_str(out, c->client_id, true);
    if (c->client_id && c->client_id_len > strlen(c->client_id))
        fprintf(out, " (%zu bytes)", c->client_id_len);
}

static void put_connack(FILE *out, const mqttka_connection *conn, const mqttka_connack_info *a)
{
    bool v5 = conn && conn->mqtt_level == 5;
    const char *name = v5 ? reason_v5_name(a->code) : connack_v3_name(a->code);
    fprintf(out, v5 ? " code 0x%02x" : " code %u", (unsigned)a->code);
    if (name)
        fprintf(out, " (%s)", name);
    if (a->flags & 1)
        fputs(" session present", out);
    if (a->server_keepalive >= 0)
        fprintf(out, ", Server Keep Alive %ld", (long)a->server_keepalive);
}

static void text_mqtt(output_state *o, const mqttka_event *ev)
{
    const mqttka_mqtt_packet *p = &ev->u.mqtt;
    FILE *out = o->out;
    char buf[FORMAT_NUMBER_MAX];
    line_head(o, ev->ts, ev->conn, ev->dir);
    fputs(mqttka_mqtt_type_name(p->type), out);
    if (p->connect)
        put_connect(out, p->connect);
    if (p->connack)
        put_connack(out, ev->conn, p->connack);
    if (p->reason_code >= 0) {
        const char *name = reason_v5_name((uint8_t)p->reason_code);
        fprintf(out, " reason 0x%02x", (unsigned)p->reason_code);
        if (name)
            fprintf(out, " (%s)", name);
    }
    if (p->type == MQTT_PUBLISH)
        fprintf(out, " qos %u", (unsigned)((p->flags >> 1) & 3));
    /* Sizes say something of data packets, nothing of the handshake's. */
    if (p->type != MQTT_CONNECT && p->type != MQTT_CONNACK && p->remaining_length)
        fprintf(out, " (%lu bytes)", (unsigned long)p->remaining_length);
    if (p->silence != MQTTKA_TIME_NONE) {
        fprintf(out, "  silence %ss", format_scaled(buf, p->silence, 6, 3));
        put_keepalive_ratio(out, ev->conn, p->silence);
    }
    if (p->rtt != MQTTKA_TIME_NONE)
        fprintf(out, "  rtt %s ms", format_scaled(buf, p->rtt, 3, 3));
    if (p->pair_tag)
        fprintf(out, " (PINGREQ frame %llu)", (unsigned long long)p->pair_tag);
    line_frame(o, ev->tag);
}

static void text_handshake(output_state *o, const mqttka_event *ev)
{
    const mqttka_ws_handshake *h = &ev->u.handshake;
    const mqttka_connection *c = ev->conn;
    FILE *out = o->out;
    line_head(o, ev->ts, c, ev->dir);
    if (h->upgraded)
        fprintf(out, "WebSocket handshake %d", h->status);
    else if (h->status == 0)
        fputs("WebSocket handshake never answered", out);
    else if (h->status == 101)
        fputs("WebSocket handshake 101 refused (bad Sec-WebSocket-Accept)", out);
    else
        fprintf(out, "WebSocket handshake refused: status %d", h->status);
    if (h->upgraded && c) {
        fputs(", subprotocol ", out);
        if (c->ws_subprotocol[0])
            put_str(out, c->ws_subprotocol, true);
        else
            fputs("none", out);
        if (c->ws_extensions[0]) {
            fputs(", extensions ", out);
            put_str(out, c->ws_extensions, true);
        }
    }
    if (h->path) {
        fputs(", path ", out);
        put_str(out, h->path, true);
    }
    line_frame(o, ev->tag);
}

static void text_control(output_state *o, const mqttka_event *ev)
{
    const mqttka_ws_control *c = &ev->u.control;
    FILE *out = o->out;
    line_head(o, ev->ts, ev->conn, ev->dir);
    switch (c->opcode) {
    case WS_OP_CLOSE:
        fputs("WebSocket Close", out);
        if (c->close_code >= 0)
            fprintf(out, " %ld", (long)c->close_code);
        else
            fputs(" (no code)", out);
        if (c->payload && c->payload_len > 2) {
            fputc(' ', out);
            put_text(out, c->payload + 2, c->payload_len - 2, true);
        }
        break;
    case WS_OP_PING:
    case WS_OP_PONG:
        fprintf(out, "WebSocket %s (%zu bytes)", c->opcode == WS_OP_PING ? "Ping" : "Pong",
                c->payload_len);
        break;
    default:
        fprintf(out, "WebSocket control opcode %u", (unsigned)c->opcode);
        break;
    }
    line_frame(o, ev->tag);
}

/* "! warn  kind: detail (frame N)" without the line head. */
static void put_finding(FILE *out, const mqttka_finding *f)
{
    fprintf(out, "! %-5s %s: ", mqttka_severity_name(f->severity), mqttka_finding_name(f->kind));
    put_str(out, f->detail, false);
    if (f->tag)
        fprintf(out, " (frame %llu", (unsigned long long)f->tag);
    else
        fputs(" (end of capture", out);
    if (f->reported_tag && f->reported_tag != f->tag)
        fprintf(out, ", known at frame %llu", (unsigned long long)f->reported_tag);
    fputs(")\n", out);
}

static void text_finding(output_state *o, const mqttka_event *ev)
{
    const mqttka_finding *f = ev->u.finding;
    line_head(o, f->ts, ev->conn, f->dir);
    fputs("  ", o->out);
    put_finding(o->out, f);
}

/* "2026-11-26T10:51:02.123456Z"; "?" when gmtime cannot say. */
static void put_utc(FILE *out, mqttka_time t)
{
    int64_t seconds = t / 1000000, micros = t % 1000000;
    if (micros < 0) {
        micros += 1000000;
        seconds--;
    }
    time_t tt = (time_t)seconds;
    struct tm tm;
    char buf[40];
    if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm)) {
        fputs("?", out);
        return;
    }
    fprintf(out, "%s.%06ldZ", buf, (long)micros);
}

static void put_keepalive_value(FILE *out, int32_t v)
{
    if (v < 0)
        fputs("unknown", out);
    else
        fprintf(out, "%ld s", (long)v);
}

static void put_packet_counts(FILE *out, const uint32_t counts[])
{
    bool any = false;
    for (uint8_t t = 0; t < MQTTKA_MQTT_TYPES; t++) {
        if (!counts[t])
            continue;
        fprintf(out, "%s%s %lu", any ? ", " : "", mqttka_mqtt_type_name(t),
                (unsigned long)counts[t]);
        any = true;
    }
    if (!any)
        fputs("none", out);
    putc('\n', out);
}

static void text_summary(output_state *o, const mqttka_event *ev)
{
    const mqttka_summary *s = ev->u.summary;
    const mqttka_connection *c = s->conn ? s->conn : ev->conn;
    FILE *out = o->out;
    char a[FORMAT_NUMBER_MAX], b[FORMAT_NUMBER_MAX], d[FORMAT_NUMBER_MAX];
    char client[64], server[64];
    mqttka_endpoint_format(&c->client, client, sizeof client);
    mqttka_endpoint_format(&c->server, server, sizeof server);

    fprintf(out, "== #%llu %s -> %s\n", (unsigned long long)c->id, client, server);
    fprintf(out, "   transport    %s",
            c->transport == MQTTKA_TRANSPORT_WEBSOCKET ? "websocket" : "tcp");
    if (c->transport == MQTTKA_TRANSPORT_WEBSOCKET || c->ws_upgraded) {
        fputs(", subprotocol ", out);
        if (c->ws_subprotocol[0])
            put_str(out, c->ws_subprotocol, true);
        else
            fputs("none", out);
        if (c->ws_extensions[0]) {
            fputs(", extensions ", out);
            put_str(out, c->ws_extensions, true);
        }
    }
    putc('\n', out);
    const char *version = mqttka_mqtt_version_name(c->mqtt_level);
    fprintf(out, "   mqtt         %s", version ? version : "unknown");
    if (c->mqtt_level) {
        fputs(", client id ", out);
        put_str(out, c->client_id, true);
    }
    putc('\n', out);
    fputs("   keepalive    KA ", out);
    put_keepalive_value(out, c->keepalive);
    fputs(", SKA ", out);
    if (c->server_keepalive < 0)
        fputs("none", out);
    else
        put_keepalive_value(out, c->server_keepalive);
    fputs(", KAe ", out);
    put_keepalive_value(out, c->effective_keepalive);
    putc('\n', out);
    fprintf(out, "   time         %s .. %s (%s s), started ", relative(o, a, c->start),
            relative(o, b, c->end),
            c->start != MQTTKA_TIME_NONE && c->end != MQTTKA_TIME_NONE
                ? format_seconds6(d, c->end - c->start)
                : "?");
    if (c->start != MQTTKA_TIME_NONE)
        put_utc(out, c->start);
    else
        fputs("?", out);
    if (c->first_tag)
        fprintf(out, ", first frame %llu", (unsigned long long)c->first_tag);
    putc('\n', out);
    fputs("   packets C>S  ", out);
    put_packet_counts(out, s->packets[MQTTKA_C2S]);
    fputs("   packets S>C  ", out);
    put_packet_counts(out, s->packets[MQTTKA_S2C]);
    fprintf(out, "   pings        PINGREQ %lu, PINGRESP %lu, unanswered %lu\n",
            (unsigned long)s->pingreq, (unsigned long)s->pingresp,
            (unsigned long)s->pingreq_unanswered);
    if (s->rtt_count) {
        char e[FORMAT_NUMBER_MAX];
        fprintf(out, "   rtt          min %s ms, median %s ms, p95 %s ms, max %s ms (%lu %s)\n",
                format_scaled(a, s->rtt_min, 3, 3), format_scaled(b, s->rtt_median, 3, 3),
                format_scaled(d, s->rtt_p95, 3, 3), format_scaled(e, s->rtt_max, 3, 3),
                (unsigned long)s->rtt_count, s->rtt_count == 1 ? "pair" : "pairs");
    } else {
        fputs("   rtt          none\n", out);
    }
    fputs("   max silence  ", out);
    if (s->max_client_silence == MQTTKA_TIME_NONE) {
        fputs("unknown", out);
    } else {
        fprintf(out, "%s s", format_scaled(a, s->max_client_silence, 6, 3));
        put_keepalive_ratio(out, c, s->max_client_silence);
    }
    putc('\n', out);

    fputs("   close        ", out);
    const char *mechanism = mqttka_close_mechanism_name(s->close_mechanism);
    const char *initiator = mqttka_side_name(s->close_initiator);
    if (!mechanism && s->close_ts == MQTTKA_TIME_NONE) {
        fputs("still open at the end of the capture", out);
    } else {
        fprintf(out, "%s by %s", mechanism ? mechanism : "unknown",
                initiator ? initiator : "unknown side");
        if (s->ws_close_code >= 0)
            fprintf(out, ", code %ld", (long)s->ws_close_code);
        if (s->ws_close_reason[0]) {
            fputs(" ", out);
            put_str(out, s->ws_close_reason, true);
        }
        if (s->disconnect_reason >= 0) {
            const char *name = reason_v5_name((uint8_t)s->disconnect_reason);
            fprintf(out, ", reason 0x%02x", (unsigned)s->disconnect_reason);
            if (name)
                fprintf(out, " (%s)", name);
        }
        if (s->close_ts != MQTTKA_TIME_NONE)
            fprintf(out, " at %s", relative(o, a, s->close_ts));
        if (s->close_tag)
            fprintf(out, " (frame %llu)", (unsigned long long)s->close_tag);
    }
    putc('\n', out);
    fprintf(out, "   VERDICT      %s", mqttka_verdict_name(s->verdict));
    if (s->verdict_detail[0]) {
        fputs(": ", out);
        put_str(out, s->verdict_detail, false);
    }
    putc('\n', out);
    fprintf(out, "   findings     %zu", s->n_findings);
    if (s->findings_omitted)
        fprintf(out, " (and %zu more not kept)", s->findings_omitted);
    putc('\n', out);
    for (size_t i = 0; s->findings && i < s->n_findings; i++) {
        fputs("     ", out);
        put_finding(out, &s->findings[i]);
    }
    putc('\n', out);
}

void output_text_event(output_state *o, const mqttka_event *ev)
{
    if (o->quiet && ev->type != MQTTKA_EV_CONNECTION)
        return;
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE: text_handshake(o, ev); break;
    case MQTTKA_EV_WS_CONTROL: text_control(o, ev); break;
    case MQTTKA_EV_MQTT_PACKET: text_mqtt(o, ev); break;
    case MQTTKA_EV_FINDING: text_finding(o, ev); break;
    case MQTTKA_EV_CONNECTION: text_summary(o, ev); break;
    default: break;
    }
}

void output_text_capture(output_state *o, const capture_stats *s)
{
    if (o->quiet)
        return;
    fprintf(o->out, "capture: %llu records (%s)", (unsigned long long)s->records,
            s->link_name ? s->link_name : "?");
    if (s->matched != s->records)
        fprintf(o->out, ", %llu matched the filter", (unsigned long long)s->matched);
    fprintf(o->out,
            ", %llu TCP segments; skipped %llu not TCP, %llu IP fragments, "
            "%llu cut by snaplen, %llu malformed%s\n",
            (unsigned long long)s->tcp_segments, (unsigned long long)s->not_tcp,
            (unsigned long long)s->ip_fragments, (unsigned long long)s->snapped,
            (unsigned long long)s->malformed, s->complete ? "" : "; input cut short");
}
