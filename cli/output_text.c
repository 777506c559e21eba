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
 * Each event is put together in the output's line buffer and reaches stdio
 * a buffer at a time: numbers by format.c, strings by runs (line_buffer.h
 * says why). The lines of nearly every event (an MQTT packet, a finding)
 * are written by pointer into one reservation of the buffer, their bounded
 * parts each with put_literal / format_put_*, so that a piece costs its
 * copy and not also a bounds check and a store of the buffer's length.
 */
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "format_inline.h"
#include "line_buffer.h"
#include "packet_line.h"

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

/* `micros` as seconds with six decimals, as format_put_scaled(.., 6, 6)
 * writes them; the usual, not negative, inline. */
static char *put_seconds6(char *p, mqttka_time micros)
{
    if (micros < 0)
        return format_put_scaled(p, micros, 6, 6);
    uint64_t whole = (uint64_t)micros / 1000000;
    p = format_inline_uint(p, whole);
    *p++ = '.';
    format_inline_six_digits(p, (uint32_t)((uint64_t)micros - whole * 1000000));
    return p + 6;
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
    format_inline_six_digits(p, (uint32_t)micros);
    p[6] = 'Z';
    return p + 7;
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
    case TIME_EPOCH: return put_seconds6(at, t);
    case TIME_RELATIVE: break;
    }
    mqttka_time start = o->capture_start == MQTTKA_TIME_NONE ? 0 : o->capture_start;
    return put_seconds6(at, t - start);
}

static void line_relative(line_buffer *line, const output_state *o, mqttka_time t)
{
    line_buffer_commit(line, put_relative(line_buffer_room(line, FORMAT_NUMBER_MAX), o, t));
}

/* `lit`, a string literal, at `p`; returns its end. A literal's length is a
 * constant: the copy is a move or two. */
#define put_literal(p, lit) put_fixed((p), "" lit, sizeof(lit) - 1)

static inline char *put_fixed(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* Bytes a line head takes at most: the padded time (at most
 * FORMAT_NUMBER_MAX - 1 bytes), " #", up to 20 digits, " C>S  ". */
#define HEAD_MAX (FORMAT_NUMBER_MAX + 28)

/* "<time> #<conn> <dir>  " at `p`, the time right-aligned in 11 columns
 * (17 for --time-format epoch; a UTC time is 27 wide); returns its end.
 * Every line starts so. */
static char *put_head(char *p, output_state *o, mqttka_time t, const mqttka_connection *c,
                      mqttka_direction d)
{
    mqttka_time start = o->capture_start == MQTTKA_TIME_NONE ? 0 : o->capture_start;
    if (o->time_format == TIME_RELATIVE && t != MQTTKA_TIME_NONE && t >= start &&
        t - start < PACKET_LINE_COLUMN_LIMIT) {
        /* The usual time, under 10 000 s, in its 11 columns. */
        p = packet_line_time_column(p, o, (uint64_t)(t - start));
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
    return p + 5;
}

static void line_head(line_buffer *line, output_state *o, mqttka_time t,
                      const mqttka_connection *c, mqttka_direction d)
{
    line_buffer_commit(line, put_head(line_buffer_room(line, HEAD_MAX), o, t, c, d));
}

/* Bytes put_frame takes at most: "  frame " and 20 digits and a newline. */
#define FRAME_MAX 29

/* "  frame N\n", or "  end of capture\n" for frame 0. */
static char *put_frame(char *p, uint64_t frame)
{
    if (!frame)
        return put_literal(p, "  end of capture\n");
    p = format_put_uint(put_literal(p, "  frame "), frame);
    *p = '\n';
    return p + 1;
}

static void line_frame(line_buffer *line, uint64_t frame)
{
    line_buffer_commit(line, put_frame(line_buffer_room(line, FRAME_MAX), frame));
}

/* Bytes put_keepalive_ratio takes at most: " (", a scaled number, " KA)". */
#define KEEPALIVE_RATIO_MAX (2 + FORMAT_NUMBER_MAX + 4)

/* " (1.00 KA)" after a client silence, when KAe is known and not 0. */
static char *put_keepalive_ratio(char *p, const mqttka_connection *c, mqttka_time silence)
{
    if (c && c->effective_keepalive > 0) {
        /* hundredths of KAe, rounded, from integer microseconds; divided
         * first, since a damaged timestamp can make a silence of centuries
         * whose product by 100 would overflow */
        int64_t unit = (int64_t)c->effective_keepalive * 10000;
        int64_t hundredths = silence >= 0 ? silence / unit + (silence % unit >= unit / 2)
                                          : (silence + unit / 2) / unit;
        p = format_put_hundredths(put_literal(p, " ("), hundredths);
        p = put_literal(p, " KA)");
    }
    return p;
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
        line_buffer_str(line, c->client_id_len == 1 ? " byte)" : " bytes)");
    }
}

/* " 0x8d (Keep Alive timeout)": an MQTT 5 reason code in a packet of
 * `type`, named as the spec names it when it is known. */
static void put_reason_v5(line_buffer *line, uint8_t type, uint64_t code)
{
    const char *name = mqttka_reason_code_name(type, (uint8_t)code);
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
        put_reason_v5(line, MQTTKA_MQTT_CONNACK, a->code);
    } else {
        const char *name = mqttka_connack_return_code_name(a->code);
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

/* A name from the core's tables, or "(null)" (see put_name), at `p`. The
 * names of MQTT packet types, severities and finding kinds are shorter than
 * CORE_NAME_MAX bytes ("unknown" included; tests/cli/test_format.c checks). */
#define CORE_NAME_MAX 48
static char *put_short_name(char *p, const char *name)
{
    if (!name)
        return put_literal(p, "(null)");
    size_t n = strnlen(name, CORE_NAME_MAX);
    return put_fixed(p, name, n);
}

/* Bytes text_mqtt's bounded part takes at most, after the head and the
 * name: " qos N", " (N bytes)", "  silence S.SSSs", the keepalive ratio,
 * "  rtt M.MMM ms", " (PINGREQ frame N)", the frame. */
#define MQTT_TAIL_MAX \
    (6 + 29 + 11 + FORMAT_NUMBER_MAX + KEEPALIVE_RATIO_MAX + 9 + FORMAT_NUMBER_MAX + 37 + FRAME_MAX)

static void text_mqtt(line_buffer *line, output_state *o, const mqttka_event *ev)
{
    /* Nearly every line: in one pass. */
    if (packet_line_write(o, ev))
        return;
    const mqttka_mqtt_packet *p = &ev->u.mqtt;
    char *at = line_buffer_room(line, HEAD_MAX + CORE_NAME_MAX);
    at = put_head(at, o, ev->ts, ev->conn, ev->dir);
    /* The name from the table output_start measured: a constant-size copy
     * (within the room just taken), not strnlen and a copy of its length. */
    if (p->type < MQTTKA_MQTT_TYPES && o->mqtt_type_names[p->type].len <= OUTPUT_TYPE_NAME_ROOM) {
        memcpy(at, o->mqtt_type_names[p->type].text, OUTPUT_TYPE_NAME_ROOM);
        at += o->mqtt_type_names[p->type].len;
    } else {
        at = put_short_name(at, mqttka_mqtt_type_name(p->type));
    }
    line_buffer_commit(line, at);
    if (p->connect)
        put_connect(line, p->connect);
    if (p->connack)
        put_connack(line, ev->conn, p->connack);
    if (p->reason_code >= 0) {
        line_buffer_str(line, " reason");
        put_reason_v5(line, p->type, (unsigned)p->reason_code);
    }
    at = line_buffer_room(line, MQTT_TAIL_MAX);
    if (p->type == MQTTKA_MQTT_PUBLISH) {
        at = put_literal(at, " qos ");
        *at++ = (char)('0' + ((p->flags >> 1) & 3));
    }
    /* Sizes say something of data packets, nothing of the handshake's. */
    if (p->type != MQTTKA_MQTT_CONNECT && p->type != MQTTKA_MQTT_CONNACK && p->remaining_length) {
        at = format_put_uint(put_literal(at, " ("), p->remaining_length);
        at = p->remaining_length == 1 ? put_literal(at, " byte)") : put_literal(at, " bytes)");
    }
    if (p->silence != MQTTKA_TIME_NONE) {
        at = format_put_seconds3(put_literal(at, "  silence "), p->silence);
        *at++ = 's';
        at = put_keepalive_ratio(at, ev->conn, p->silence);
    }
    if (p->rtt != MQTTKA_TIME_NONE) {
        at = format_put_thousandths(put_literal(at, "  rtt "), p->rtt);
        at = put_literal(at, " ms");
    }
    if (p->pair_tag) {
        at = format_put_uint(put_literal(at, " (PINGREQ frame "), p->pair_tag);
        *at++ = ')';
    }
    line_buffer_commit(line, put_frame(at, ev->tag));
}

/* ", subprotocol \"mqtt\", extensions \"...\"" of an upgraded connection. */
static void put_websocket_choices(line_buffer *line, const mqttka_connection *c)
{
    if (!c->ws_upgraded && !c->start_seen) {
        line_buffer_str(line, ", handshake not captured");
        return;
    }
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

static void text_handshake(line_buffer *line, output_state *o, const mqttka_event *ev)
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

static void text_control(line_buffer *line, output_state *o, const mqttka_event *ev)
{
    const mqttka_ws_control *c = &ev->u.control;
    line_head(line, o, ev->ts, ev->conn, ev->dir);
    switch (c->opcode) {
    case MQTTKA_WS_CLOSE:
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
    case MQTTKA_WS_PING:
    case MQTTKA_WS_PONG:
        line_buffer_str(line, c->opcode == MQTTKA_WS_PING ? "WebSocket Ping (" : "WebSocket Pong (");
        line_buffer_uint(line, c->payload_len);
        line_buffer_str(line, c->payload_len == 1 ? " byte)" : " bytes)");
        break;
    default:
        line_buffer_labeled_uint(line, "WebSocket control opcode ", c->opcode);
        break;
    }
    line_frame(line, ev->tag);
}

/* Bytes put_finding_head takes at most: "! ", a severity padded to 5
 * columns and a space (six spaces are written), the kind's name, ": ". */
#define FINDING_HEAD_MAX (2 + CORE_NAME_MAX + 6 + CORE_NAME_MAX + 2)

/* "! warn  kind: " at `p`. */
static char *put_finding_head(char *p, const mqttka_finding *f)
{
    p = put_literal(p, "! ");
    char *severity = p;
    p = put_short_name(p, mqttka_severity_name(f->severity)); /* "(null)" as "%s" wrote it */
    /* "%-5s ": padded to 5 columns, then the space. */
    size_t severity_len = (size_t)(p - severity);
    memset(p, ' ', 6);
    p += severity_len < 5 ? 6 - severity_len : 1;
    p = put_short_name(p, mqttka_finding_name(f->kind));
    return put_literal(p, ": ");
}

/* Bytes put_finding_tail takes at most. */
#define FINDING_TAIL_MAX (8 + 20 + 18 + 20 + 2)

/* " (frame N)\n" or " (end of capture)\n", with ", known at frame N" when
 * it became known later. */
static char *put_finding_tail(char *p, const mqttka_finding *f)
{
    if (f->tag)
        p = format_put_uint(put_literal(p, " (frame "), f->tag);
    else
        p = put_literal(p, " (end of capture");
    if (f->reported_tag && f->reported_tag != f->tag)
        p = format_put_uint(put_literal(p, ", known at frame "), f->reported_tag);
    return put_literal(p, ")\n");
}

/* "     ! warn  kind: detail (frame N)": a finding under a summary. */
static void put_finding(line_buffer *line, const mqttka_finding *f)
{
    char *at = put_literal(line_buffer_room(line, 5 + FINDING_HEAD_MAX), "     ");
    line_buffer_commit(line, put_finding_head(at, f));
    put_array_str(line, f->detail, sizeof f->detail, false);
    line_buffer_commit(line, put_finding_tail(line_buffer_room(line, FINDING_TAIL_MAX), f));
}

static void text_finding(line_buffer *line, output_state *o, const mqttka_event *ev,
                         const event_extra *x)
{
    const mqttka_finding *f = ev->u.finding;
    /* Less noise, same facts: a repeated cause and the per-ping RTT (the
     * PINGRESP line above has it) are told by the summary, unless -v. */
    if (!o->verbose && (f->kind == MQTTKA_F_PINGRESP_RTT || (x && x->repeat)))
        return;
    char *at = line_buffer_room(line, HEAD_MAX + 2 + FINDING_HEAD_MAX);
    at = put_literal(put_head(at, o, f->ts, ev->conn, f->dir), "  ");
    line_buffer_commit(line, put_finding_head(at, f));
    put_array_str(line, f->detail, sizeof f->detail, false);
    line_buffer_commit(line, put_finding_tail(line_buffer_room(line, FINDING_TAIL_MAX), f));
}

/*
 * The summary block is written as packet lines are (packet_line.c): each
 * stretch of bounded parts by pointer into one reservation of the line
 * buffer, numbers inline. Only strings that can be long (a client id, a
 * detail, a close reason) and rare parts go through the buffer's calls, each
 * after the stretch before it is committed. Each *_MAX is what its stretch
 * writes at most.
 */

/* An IPv4 address's "255.255.255.255:65535", or an IPv6 "[...]:port" as
 * mqttka_endpoint_format writes it, which gets this room and a NUL. */
#define ENDPOINT_MAX 64

/* `e` at `p`, as mqttka_endpoint_format writes it, in the reservation. */
static char *put_endpoint(char *p, const mqttka_endpoint *e)
{
    mqttka_endpoint_format(e, p, ENDPOINT_MAX);
    return p + strnlen(p, ENDPOINT_MAX);
}

/* A name of the core's (shorter than CORE_NAME_MAX), or `unknown` for NULL. */
static char *put_name_or(char *p, const char *name, const char *unknown)
{
    return put_short_name(p, name ? name : unknown);
}

/* An RTT's microseconds as milliseconds with three decimals. */
static char *put_millis3(char *p, mqttka_time micros)
{
    return micros >= 0 ? format_inline_thousandths(p, (uint64_t)micros)
                       : format_put_thousandths(p, micros);
}

/* "unknown", or 10 digits and " s". */
#define KEEPALIVE_VALUE_MAX 12

static char *put_keepalive_value(char *p, int32_t v)
{
    if (v < 0)
        return put_literal(p, "unknown");
    return put_literal(format_inline_uint(p, (uint64_t)v), " s");
}

/* ", " and a packet type's name, a space and a count. */
#define PACKET_COUNT_MAX (2 + CORE_NAME_MAX + 1 + 10)

/* "CONNECT 1, PINGREQ 2" or "none", then the newline. */
static void put_packet_counts(line_buffer *line, const output_state *o, const uint32_t counts[])
{
    bool any = false;
    for (uint8_t t = 0; t < MQTTKA_MQTT_TYPES; t++) {
        if (!counts[t])
            continue;
        char *at = line_buffer_room(line, PACKET_COUNT_MAX);
        if (any)
            at = put_literal(at, ", ");
        /* The names measured once (output.h); one longer than their room is
         * written the long way. */
        if (o->mqtt_type_names[t].len <= OUTPUT_TYPE_NAME_ROOM) {
            memcpy(at, o->mqtt_type_names[t].text, OUTPUT_TYPE_NAME_ROOM);
            at += o->mqtt_type_names[t].len;
        } else {
            at = put_short_name(at, mqttka_mqtt_type_name(t));
        }
        *at++ = ' ';
        line_buffer_commit(line, format_inline_uint(at, counts[t]));
        any = true;
    }
    if (!any)
        line_buffer_bytes(line, "none\n", 5);
    else
        line_buffer_char(line, '\n');
}

/* put_summary_time's line. */
#define SUMMARY_TIME_MAX (16 + 4 + 2 + 13 + 14 + 20 + 1 + 4 * FORMAT_NUMBER_MAX)

/* "   time         0.000000 .. 9.500000 (9.500000 s), started <UTC>, first frame N" */
static char *put_summary_time(char *p, const output_state *o, const mqttka_connection *c)
{
    p = put_relative(put_literal(p, "   time         "), o, c->start);
    p = put_relative(put_literal(p, " .. "), o, c->end);
    p = put_literal(p, " (");
    if (c->start != MQTTKA_TIME_NONE && c->end != MQTTKA_TIME_NONE)
        p = put_seconds6(p, c->end - c->start);
    else
        *p++ = '?';
    p = put_literal(p, " s), started ");
    if (c->start != MQTTKA_TIME_NONE)
        p = put_utc_at(p, c->start);
    else
        *p++ = '?';
    if (c->first_tag)
        p = format_inline_uint(put_literal(p, ", first frame "), c->first_tag);
    *p++ = '\n';
    return p;
}

/* put_summary_rtt's line. */
#define SUMMARY_RTT_MAX (20 + 12 + 9 + 9 + 5 + 20 + 8 + 4 * FORMAT_NUMBER_MAX)

static char *put_summary_rtt(char *p, const mqttka_summary *s)
{
    if (!s->rtt_count)
        return put_literal(p, "   rtt          none\n");
    p = put_millis3(put_literal(p, "   rtt          min "), s->rtt_min);
    p = put_millis3(put_literal(p, " ms, median "), s->rtt_median);
    p = put_millis3(put_literal(p, " ms, p95 "), s->rtt_p95);
    p = put_millis3(put_literal(p, " ms, max "), s->rtt_max);
    p = format_inline_uint(put_literal(p, " ms ("), s->rtt_count);
    return s->rtt_count == 1 ? put_literal(p, " pair)\n") : put_literal(p, " pairs)\n");
}

/* put_summary_close's parts before the close reason, and after it. */
#define SUMMARY_CLOSE_HEAD_MAX (16 + 36 + CORE_NAME_MAX + 21 + 4 + CORE_NAME_MAX + 7 + 20)
#define SUMMARY_CLOSE_TAIL_MAX (4 + FORMAT_NUMBER_MAX + 8 + 20 + 2)

static void put_summary_close(line_buffer *line, const output_state *o,
                              const mqttka_summary *s)
{
    char *at = put_literal(line_buffer_room(line, SUMMARY_CLOSE_HEAD_MAX + SUMMARY_CLOSE_TAIL_MAX),
                           "   close        ");
    const char *mechanism = mqttka_close_mechanism_name(s->close_mechanism);
    if (!mechanism && s->close_ts == MQTTKA_TIME_NONE) {
        line_buffer_commit(line, put_literal(at, "still open at the end of the capture\n"));
        return;
    }
    at = put_name_or(at, mechanism, "unknown");
    if (s->close_inferred)
        at = put_literal(at, " (inferred, not seen)");
    at = put_name_or(put_literal(at, " by "), mqttka_side_name(s->close_initiator),
                     "unknown side");
    if (s->ws_close_code >= 0)
        at = format_put_int(put_literal(at, ", code "), s->ws_close_code);
    if (s->ws_close_reason[0] || s->disconnect_reason >= 0) {
        line_buffer_commit(line, at);
        if (s->ws_close_reason[0]) {
            line_buffer_char(line, ' ');
            put_array_str(line, s->ws_close_reason, sizeof s->ws_close_reason, true);
        }
        if (s->disconnect_reason >= 0) {
            line_buffer_str(line, ", reason");
            put_reason_v5(line, MQTTKA_MQTT_DISCONNECT, (unsigned)s->disconnect_reason);
        }
        at = line_buffer_room(line, SUMMARY_CLOSE_TAIL_MAX);
    }
    if (s->close_ts != MQTTKA_TIME_NONE)
        at = put_relative(put_literal(at, " at "), o, s->close_ts);
    if (s->close_tag) {
        at = format_inline_uint(put_literal(at, " (frame "), s->close_tag);
        *at++ = ')';
    }
    *at++ = '\n';
    line_buffer_commit(line, at);
}

/* A finding value as the kind means it: seconds with 3 decimals, a
 * keepalive in whole seconds, bytes, an HTTP status. */
static void put_finding_value(line_buffer *line, mqttka_finding_kind kind, double v)
{
    int64_t scaled;
    switch (kind) {
    case MQTTKA_F_CAPTURE_GAP:
    case MQTTKA_F_WS_HANDSHAKE_FAILED:
    case MQTTKA_F_KEEPALIVE_NEGOTIATED:
    case MQTTKA_F_KEEPALIVE_DISABLED:
    case MQTTKA_F_KEEPALIVE_OVERRIDDEN:
    case MQTTKA_F_KEEPALIVE_INFERRED:
        line_buffer_double(line, v);
        break;
    default:
        scaled = (int64_t)(v * 1000.0 + (v >= 0 ? 0.5 : -0.5));
        line_buffer_scaled(line, scaled, 3, 3);
        break;
    }
}

static const char *finding_value_unit(mqttka_finding_kind kind)
{
    switch (kind) {
    case MQTTKA_F_CAPTURE_GAP: return " bytes";
    case MQTTKA_F_WS_HANDSHAKE_FAILED: return " (HTTP status)";
    default: return " s";
    }
}

/* "       13 in all (frames 14..98), values 6.001..6.031 s" under the first
 * finding of a group told once. */
static void put_group_line(line_buffer *line, const finding_group *g)
{
    line_buffer_labeled_uint(line, "       ", g->count);
    line_buffer_str(line, " in all");
    if (g->first_frame) {
        line_buffer_labeled_uint(line, " (frames ", g->first_frame);
        line_buffer_labeled_uint(line, "..", g->last_frame);
        line_buffer_char(line, ')');
    }
    if (g->has_value) {
        mqttka_finding_kind kind = (mqttka_finding_kind)g->kind;
        line_buffer_str(line, ", values ");
        put_finding_value(line, kind, g->min);
        line_buffer_str(line, "..");
        put_finding_value(line, kind, g->max);
        line_buffer_str(line, finding_value_unit(kind));
    }
    line_buffer_char(line, '\n');
}

/* Is findings[i] the first of the kept findings with its cause? */
static bool first_of_cause(const mqttka_summary *s, size_t i)
{
    const mqttka_finding *f = &s->findings[i];
    for (size_t j = 0; j < i; j++) {
        const mqttka_finding *g = &s->findings[j];
        if (g->kind == f->kind && g->severity == f->severity && g->dir == f->dir)
            return false;
    }
    return true;
}

/* text_summary's stretches: the head, ids, one-sided and transport lines;
 * the keepalive and time lines; pings, rtt and silence. */
#define SUMMARY_HEAD_MAX \
    (4 + 20 + 1 + ENDPOINT_MAX + 4 + ENDPOINT_MAX + 58 + 1 + 20 + FLOW_UID_LEN + 15 + \
     COMMUNITY_ID_LEN + 1 + 53 + 25)
#define SUMMARY_KEEPALIVE_MAX (19 + 6 + 6 + 11 + 24 + 1 + 4 * KEEPALIVE_VALUE_MAX)
#define SUMMARY_PINGS_MAX \
    (24 + 11 + 13 + 64 + 1 + 3 * 20 + SUMMARY_RTT_MAX + 16 + 7 + 2 + KEEPALIVE_RATIO_MAX + 1 + \
     FORMAT_NUMBER_MAX)
/* "   mqtt         " and a version; "   VERDICT      " and a verdict's name;
 * "   findings     N (and N more not kept)". */
#define SUMMARY_NAME_LINE_MAX (16 + CORE_NAME_MAX + 12)
#define SUMMARY_FINDINGS_MAX (2 + 16 + 20 + 6 + 20 + 16)

static void text_summary(line_buffer *line, const output_state *o, const mqttka_event *ev,
                         const event_extra *x)
{
    const mqttka_summary *s = ev->u.summary;
    const mqttka_connection *c = s->conn ? s->conn : ev->conn;
    const conn_entry *e = x ? x->conn : NULL;

    char *at = line_buffer_room(line, SUMMARY_HEAD_MAX);
    at = format_inline_uint(put_literal(at, "== #"), c->id);
    *at++ = ' ';
    at = put_endpoint(at, &c->client);
    at = put_endpoint(put_literal(at, " -> "), &c->server);
    if (!c->start_seen)
        at = put_literal(at, "  (joined after start: the capture began after it opened)");
    *at++ = '\n';
    const conn_ids *ids = x ? x->ids : NULL;
    if (ids) {
        at = put_fixed(put_literal(at, "   ids          uid "), ids->uid, FLOW_UID_LEN);
        at = put_fixed(put_literal(at, ", community_id "), ids->community_id, COMMUNITY_ID_LEN);
        *at++ = '\n';
    }
    if (s->side_not_captured == MQTTKA_SIDE_SERVER)
        at = put_literal(at, "   one-sided    the server's side was not captured\n");
    else if (s->side_not_captured != MQTTKA_SIDE_NONE)
        at = put_literal(at, "   one-sided    the client's side was not captured\n");
    if (c->transport == MQTTKA_TRANSPORT_WEBSOCKET)
        at = put_literal(at, "   transport    websocket");
    else
        at = put_literal(at, "   transport    tcp");
    if (c->transport == MQTTKA_TRANSPORT_WEBSOCKET || c->ws_upgraded) {
        line_buffer_commit(line, at);
        put_websocket_choices(line, c);
        at = line_buffer_room(line, 1);
    }
    *at++ = '\n';
    line_buffer_commit(line, at);
    if (s->tls) {
        /* inside TLS decrypted with --tls-keylog (issue 17) */
        char buf[160];
        const mqttka_tls_info *t = s->tls;
        snprintf(buf, sizeof buf, "   tls          %s, cipher 0x%04x, sni %s%s%s, %s",
                 t->version == 0x0304 ? "TLS 1.3" : t->version == 0x0303 ? "TLS 1.2" : "TLS ?",
                 t->cipher_suite, *t->sni ? "\"" : "", *t->sni ? t->sni : "none",
                 *t->sni ? "\"" : "", t->decrypted ? "decrypted" : "not decrypted");
        line_buffer_str(line, buf);
        if (t->failed_records) {
            snprintf(buf, sizeof buf, ", %u record%s failed", t->failed_records,
                     t->failed_records == 1 ? "" : "s");
            line_buffer_str(line, buf);
        }
        line_buffer_char(line, '\n');
    }

    at = line_buffer_room(line, SUMMARY_NAME_LINE_MAX + SUMMARY_KEEPALIVE_MAX + SUMMARY_TIME_MAX);
    at = put_name_or(put_literal(at, "   mqtt         "), mqttka_mqtt_version_name(c->mqtt_level),
                     "unknown");
    if (c->mqtt_level) {
        line_buffer_commit(line, put_literal(at, ", client id "));
        put_str(line, c->client_id, true);
        at = line_buffer_room(line, 1 + SUMMARY_KEEPALIVE_MAX + SUMMARY_TIME_MAX);
    }
    *at++ = '\n';
    at = put_keepalive_value(put_literal(at, "   keepalive    KA "), c->keepalive);
    at = put_literal(at, ", SKA ");
    if (c->server_keepalive < 0)
        at = put_literal(at, "none");
    else
        at = put_keepalive_value(at, c->server_keepalive);
    at = put_keepalive_value(put_literal(at, ", KAe "), c->effective_keepalive);
    if (c->keepalive_inferred >= 0) {
        at = put_keepalive_value(put_literal(at, "; inferred "), c->keepalive_inferred);
        at = put_literal(at, " from the client's pings");
    }
    *at++ = '\n';
    at = put_summary_time(at, o, c);
    line_buffer_commit(line, at);

    line_buffer_bytes(line, "   packets C>S  ", 16);
    put_packet_counts(line, o, s->packets[MQTTKA_C2S]);
    line_buffer_bytes(line, "   packets S>C  ", 16);
    put_packet_counts(line, o, s->packets[MQTTKA_S2C]);

    at = line_buffer_room(line, SUMMARY_PINGS_MAX);
    at = format_inline_uint(put_literal(at, "   pings        PINGREQ "), s->pingreq);
    at = format_inline_uint(put_literal(at, ", PINGRESP "), s->pingresp);
    at = format_inline_uint(put_literal(at, ", unanswered "), s->pingreq_unanswered);
    if (s->pingreq_inferred)
        at = put_literal(at, "; and 1 PINGREQ unanswered inferred, not seen (see the verdict)");
    *at++ = '\n';
    at = put_summary_rtt(at, s);
    at = put_literal(at, "   max silence  ");
    if (s->max_client_silence == MQTTKA_TIME_NONE) {
        at = put_literal(at, "unknown");
    } else {
        at = s->max_client_silence >= 0
                 ? format_inline_seconds3(at, (uint64_t)s->max_client_silence)
                 : format_put_seconds3(at, s->max_client_silence);
        at = put_keepalive_ratio(put_literal(at, " s"), c, s->max_client_silence);
    }
    *at++ = '\n';
    line_buffer_commit(line, at);
    put_summary_close(line, o, s);

    at = line_buffer_room(line, SUMMARY_NAME_LINE_MAX + SUMMARY_FINDINGS_MAX);
    at = put_short_name(put_literal(at, "   VERDICT      "), mqttka_verdict_name(s->verdict));
    if (s->verdict_detail[0]) {
        line_buffer_commit(line, put_literal(at, ": "));
        put_array_str(line, s->verdict_detail, sizeof s->verdict_detail, false);
        at = line_buffer_room(line, SUMMARY_FINDINGS_MAX);
    }
    at = format_inline_uint(put_literal(at, "\n   findings     "), s->n_findings);
    if (s->findings_omitted) {
        at = format_inline_uint(put_literal(at, " (and "), s->findings_omitted);
        at = put_literal(at, " more not kept)");
    }
    *at++ = '\n';
    line_buffer_commit(line, at);
    /* A cause told in full once, with its count and range (-v: all). */
    for (size_t i = 0; s->findings && i < s->n_findings; i++) {
        const mqttka_finding *f = &s->findings[i];
        finding_group one;
        const finding_group *g = conn_entry_group(e, f->kind, f->severity, f->dir, &one);
        bool first = !g || g->count < 2 || first_of_cause(s, i);
        if (!first && !o->verbose)
            continue;
        put_finding(line, f);
        if (g && g->count > 1 && first)
            put_group_line(line, g);
    }
    line_buffer_char(line, '\n');
}

/* A TLS connection analysed without keys (issue 17). */
static void text_tls_inference(line_buffer *line, const mqttka_event *ev)
{
    const mqttka_tls_inference *t = ev->u.tls;
    char client[64], server[64], buf[256];
    mqttka_endpoint_format(&t->client, client, sizeof client);
    mqttka_endpoint_format(&t->server, server, sizeof server);
    static const char *const conf[] = {"none", "low", "medium", "high"};
    const char *ver = t->version == 0x0304 ? "TLS 1.3" : t->version == 0x0303 ? "TLS 1.2"
                      : t->version == 0x0302 ? "TLS 1.1" : t->version == 0x0301 ? "TLS 1.0"
                                                                              : "TLS ?";
    snprintf(buf, sizeof buf, "== tls %s -> %s  (no keys: inferred from record sizes and times)\n",
             client, server);
    line_buffer_str(line, buf);
    snprintf(buf, sizeof buf, "   tls          %s, cipher 0x%04x, records %u c2s %u s2c, heartbeats %u%s%s\n",
             ver, t->cipher_suite, t->records[MQTTKA_C2S], t->records[MQTTKA_S2C], t->heartbeats,
             t->records_lost ? ", records lost" : "",
             t->records_capped ? ", record log capped" : "");
    line_buffer_str(line, buf);
    if (t->ping_record_len) {
        snprintf(buf, sizeof buf,
                 "   inferred     confidence %s, ping records %u/%u bytes (%s), keepalive ",
                 conf[t->confidence <= MQTTKA_TLS_CONF_HIGH ? t->confidence : 0],
                 t->ping_record_len, t->pong_record_len, t->websocket ? "websocket" : "tcp");
        line_buffer_str(line, buf);
        if (t->keepalive_inferred >= 0)
            snprintf(buf, sizeof buf, "%d s\n", t->keepalive_inferred);
        else
            snprintf(buf, sizeof buf, "unknown\n");
        line_buffer_str(line, buf);
        snprintf(buf, sizeof buf, "   pings        %u PINGREQ, %u PINGRESP, %u unanswered\n", t->pingreq,
                 t->pingresp, t->pingreq_unanswered);
        line_buffer_str(line, buf);
    } else {
        line_buffer_str(line, "   inferred     confidence none: no ping pair, nothing claimed\n");
    }
    if (t->max_client_silence != MQTTKA_TIME_NONE) {
        snprintf(buf, sizeof buf, "   silence      max client silence %.3f s\n",
                 (double)t->max_client_silence / 1e6);
        line_buffer_str(line, buf);
    }
    snprintf(buf, sizeof buf, "   close        %s\n",
             t->close_mechanism == MQTTKA_CLOSE_NONE ? "open"
             : t->close_initiator == MQTTKA_SIDE_CLIENT
                 ? (t->close_mechanism == MQTTKA_CLOSE_RST ? "client rst" : "client fin")
                 : (t->close_mechanism == MQTTKA_CLOSE_RST ? "server rst" : "server fin"));
    line_buffer_str(line, buf);
    for (size_t i = 0; i < t->n_findings; i++) {
        put_finding(line, &t->findings[i]);
    }
    line_buffer_char(line, '\n');
}

void output_text_mqtt(output_state *o, const mqttka_event *ev)
{
    if (o->quiet)
        return;
    text_mqtt(&o->line, o, ev);
    if (o->flush_each_event)
        line_buffer_flush(&o->line);
}

void output_text_event(output_state *o, const mqttka_event *ev, const event_extra *x)
{
    if (o->quiet && ev->type != MQTTKA_EV_CONNECTION && ev->type != MQTTKA_EV_TLS_INFERENCE)
        return;
    line_buffer *line = &o->line;
    switch (ev->type) {
    case MQTTKA_EV_WS_HANDSHAKE: text_handshake(line, o, ev); break;
    case MQTTKA_EV_WS_CONTROL: text_control(line, o, ev); break;
    case MQTTKA_EV_MQTT_PACKET: text_mqtt(line, o, ev); break;
    case MQTTKA_EV_FINDING: text_finding(line, o, ev, x); break;
    case MQTTKA_EV_CONNECTION: text_summary(line, o, ev, x); break;
    case MQTTKA_EV_TLS_INFERENCE: text_tls_inference(line, ev); break;
    default: break;
    }
    if (o->flush_each_event)
        line_buffer_flush(line);
}

/* "0.155 ms" from microseconds. */
static void put_millis(line_buffer *line, mqttka_time t)
{
    line_buffer_scaled(line, t, 3, 3);
    line_buffer_str(line, " ms");
}

/* "SEP verdict N, verdict N" for the verdicts counted non-zero; the first
 * after `sep`. */
static void put_verdict_counts(line_buffer *line, const char *sep,
                               const uint64_t counts[MQTTKA_V_COUNT])
{
    for (int v = 0; v < MQTTKA_V_COUNT; v++) {
        if (!counts[v])
            continue;
        line_buffer_str(line, sep);
        put_name(line, mqttka_verdict_name((mqttka_verdict)v));
        line_buffer_labeled_uint(line, " ", counts[v]);
        sep = ", ";
    }
}

static void put_plural(line_buffer *line, uint64_t n, const char *one, const char *many)
{
    line_buffer_uint(line, n);
    line_buffer_str(line, n == 1 ? one : many);
}

/* `n` right-aligned in `width` columns, then two spaces. */
static void put_column(line_buffer *line, uint64_t n, int width)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%*llu  ", width, (unsigned long long)n);
    line_buffer_str(line, buf);
}

/* A client's name in the table: "id" quoted, or its address. */
static size_t client_label(const client_rec *c, char *out, size_t size)
{
    int n = c->by_address ? snprintf(out, size, "%s (no id)", c->key)
                          : snprintf(out, size, "\"%s\"", c->key);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/*
 * == clients: 2, worst first
 *    CLIENT            CONNS  RECONNECTS  ERRORS  WARNINGS  LONGEST_S  FIRST .. LAST; VERDICTS; FINDINGS
 *    "sensor-1"            3           2       2         0     12.004  0.000000 .. 30.1; server_closed 2, ...; pingreq_unanswered 2
 *    ::1 (no id)           1           0       0         0      4.100  ...
 *
 * At most --client-rows rows (worst first: errors, warnings, connections);
 * the rest counted on the last line. Nothing when there is no client.
 */
void output_text_clients(output_state *o)
{
    line_buffer *line = &o->line;
    const client_table *t = &o->fleet.clients;
    if (!t->n && !t->untracked_connections)
        return;
    /* A table of a few rows picks them out of the rest; a long one sorts
     * them all. */
    const client_rec *few[CLIENT_ROWS_SELECT_MAX];
    const client_rec **rows = few, **sorted = NULL;
    size_t n = t->n, shown;
    if (o->client_rows <= CLIENT_ROWS_SELECT_MAX) {
        shown = client_table_first(t, few, o->client_rows);
    } else {
        n = client_table_sorted(t, &sorted);
        rows = sorted;
        shown = n < o->client_rows ? n : o->client_rows;
    }
    line_buffer_str(line, "== clients: ");
    line_buffer_uint(line, t->n);
    line_buffer_str(line, ", worst first\n");
    char label[MQTTKA_CLIENT_ID_SIZE + 16];
    size_t width = 6; /* "CLIENT" */
    for (size_t i = 0; i < shown; i++) {
        size_t w = client_label(rows[i], label, sizeof label);
        if (w > width)
            width = w;
    }
    if (shown) {
        line_buffer_str(line, "   CLIENT");
        for (size_t i = 6; i < width; i++)
            line_buffer_char(line, ' ');
        line_buffer_str(line, "  CONNS  RECONNECTS  ERRORS  WARNINGS  LONGEST_S  FIRST .. LAST; VERDICTS; FINDINGS\n");
    }
    for (size_t i = 0; i < shown; i++) {
        const client_rec *c = rows[i];
        size_t w = client_label(c, label, sizeof label);
        line_buffer_str(line, "   ");
        line_buffer_str(line, label);
        for (; w < width; w++)
            line_buffer_char(line, ' ');
        line_buffer_str(line, "  ");
        put_column(line, c->connections, 5);
        put_column(line, client_rec_reconnects(c), 10);
        put_column(line, c->errors, 6);
        put_column(line, c->warnings, 8);
        if (c->longest == MQTTKA_TIME_NONE) {
            line_buffer_str(line, "        ?");
        } else {
            char buf[32];
            snprintf(buf, sizeof buf, "%9.3f", (double)c->longest / 1e6);
            line_buffer_str(line, buf);
        }
        line_buffer_str(line, "  ");
        line_relative(line, o, c->first);
        line_buffer_str(line, " .. ");
        line_relative(line, o, c->last);
        const char *sep = "; ";
        put_verdict_counts(line, sep, c->verdicts);
        sep = "; ";
        for (int k = 0; k < MQTTKA_F_COUNT; k++) {
            if (!c->findings[k])
                continue;
            line_buffer_str(line, sep);
            put_name(line, mqttka_finding_name((mqttka_finding_kind)k));
            line_buffer_labeled_uint(line, " ", c->findings[k]);
            sep = ", ";
        }
        line_buffer_char(line, '\n');
    }
    if (n > shown) {
        line_buffer_labeled_uint(line, "   and ", n - shown);
        line_buffer_str(line, " more (--client-rows; --json has every client)\n");
    }
    if (t->untracked_connections) {
        line_buffer_labeled_uint(line, "   and ", t->untracked_connections);
        line_buffer_str(line, " connections of clients past --max-clients, not kept\n");
    }
    free(sorted);
    if (o->flush_each_event)
        line_buffer_flush(line);
}

/*
 * == fleet: 4 MQTT connections
 *    verdicts     mqtt_disconnect 1, ws_close 1, client_closed 1, open 1
 *    transports   websocket 3 (3.1.1 2, 5.0 1), tcp 1 (3.1.1 1)
 *    keepalive    5 s x2, 3 s x1, unknown x1
 *    rtt          p50 0.155 ms, p95 0.199 ms, p99 0.199 ms, max 0.199 ms (10 pairs)
 *    clients      4
 *    worst        "id" 3 connections, 1 error, 2 warnings; mqtt_disconnect 2, reset 1
 */
void output_text_fleet(output_state *o)
{
    line_buffer *line = &o->line;
    const fleet *f = &o->fleet;
    line_buffer_str(line, "== fleet: ");
    put_plural(line, f->connections, " MQTT connection\n", " MQTT connections\n");
    if (!f->connections) {
        if (o->flush_each_event)
            line_buffer_flush(line);
        return;
    }
    line_buffer_str(line, "   verdicts     ");
    put_verdict_counts(line, "", f->verdicts);
    const char *sep;
    line_buffer_str(line, "\n   transports   ");
    sep = "";
    for (int t = 1; t >= 0; t--) {
        uint64_t all = fleet_transport_total(f, t);
        if (!all)
            continue;
        line_buffer_str(line, sep);
        line_buffer_str(line, t ? "websocket " : "tcp ");
        line_buffer_uint(line, all);
        const char *open = " (";
        for (size_t v = 0; v < FLEET_VERSIONS; v++) {
            if (!f->transports[t][v])
                continue;
            line_buffer_str(line, open);
            line_buffer_str(line, fleet_version_name(v));
            line_buffer_labeled_uint(line, " ", f->transports[t][v]);
            open = ", ";
        }
        line_buffer_char(line, ')');
        sep = ", ";
    }
    line_buffer_str(line, "\n   keepalive    ");
    fleet_keepalive kas[FLEET_KEEPALIVES_MAX];
    size_t n = fleet_keepalives_sorted(f, kas);
    sep = "";
    for (size_t i = 0; i < n; i++) {
        line_buffer_str(line, sep);
        line_buffer_int(line, kas[i].value);
        line_buffer_labeled_uint(line, " s x", kas[i].connections);
        sep = ", ";
    }
    if (f->keepalive_other) {
        line_buffer_labeled_uint(line, sep, f->keepalive_other);
        line_buffer_str(line, " other");
        sep = ", ";
    }
    if (f->keepalive_unknown) {
        line_buffer_str(line, sep);
        line_buffer_labeled_uint(line, "unknown x", f->keepalive_unknown);
    }
    line_buffer_str(line, "\n   rtt          ");
    if (!f->rtt_count) {
        line_buffer_str(line, "none");
    } else {
        line_buffer_str(line, "p50 ");
        put_millis(line, fleet_rtt_percentile(f, 50));
        line_buffer_str(line, ", p95 ");
        put_millis(line, fleet_rtt_percentile(f, 95));
        line_buffer_str(line, ", p99 ");
        put_millis(line, fleet_rtt_percentile(f, 99));
        line_buffer_str(line, ", max ");
        put_millis(line, f->rtt_max);
        line_buffer_str(line, " (");
        put_plural(line, f->rtt_count, " pair)", " pairs)");
    }
    line_buffer_str(line, "\n   clients      ");
    line_buffer_uint(line, f->clients.n);
    if (f->clients.untracked_connections) {
        line_buffer_labeled_uint(line, " (and ", f->clients.untracked_connections);
        line_buffer_str(line, " connections of clients past the table's cap)");
    }
    line_buffer_char(line, '\n');
    const client_rec *worst[FLEET_WORST_CLIENTS];
    n = client_table_worst(&f->clients, worst, FLEET_WORST_CLIENTS);
    for (size_t i = 0; i < n; i++) {
        const client_rec *c = worst[i];
        line_buffer_str(line, i ? "                " : "   worst        ");
        if (c->by_address) {
            line_buffer_str(line, c->key);
            line_buffer_str(line, " (no client id)");
        } else {
            put_str(line, c->key, true);
        }
        line_buffer_char(line, ' ');
        put_plural(line, c->connections, " connection, ", " connections, ");
        put_plural(line, c->errors, " error, ", " errors, ");
        put_plural(line, c->warnings, " warning", " warnings");
        sep = "; ";
        put_verdict_counts(line, sep, c->verdicts);
        line_buffer_char(line, '\n');
    }
    if (o->flush_each_event)
        line_buffer_flush(line);
}

/* "connections: 12 TCP, 10 analysed as MQTT; not analysed: 1 tls, 1
 * no_payload": silence is never the answer, even with -q. */
static void put_connections(line_buffer *line, const mqttka_counts *c)
{
    line_buffer_labeled_uint(line, "connections: ", c->tcp_connections);
    line_buffer_labeled_uint(line, " TCP, ", c->mqtt_connections);
    line_buffer_str(line, " analysed as MQTT");
    const char *sep = "; not analysed: ";
    for (int r = 0; r < MQTTKA_NA_COUNT; r++) {
        if (!c->not_analysed[r])
            continue;
        line_buffer_labeled_uint(line, sep, c->not_analysed[r]);
        line_buffer_char(line, ' ');
        line_buffer_str(line, mqttka_not_analysed_name((mqttka_not_analysed)r));
        sep = ", ";
    }
    line_buffer_char(line, '\n');
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
    line_buffer *line = &o->line;
    put_connections(line, &s->counts);
    if (o->quiet) {
        if (o->flush_each_event)
            line_buffer_flush(line);
        return;
    }
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
