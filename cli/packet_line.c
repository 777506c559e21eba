/*
 * packet_line.c - an MQTT packet's timeline line of the common shape in one
 * pass (packet_line.h says why). Every part is written by pointer into one
 * reservation of the line buffer; literals are constant-size copies.
 */
#include "packet_line.h"

#include "format_inline.h"
#include "line_buffer.h"

#define put_literal(p, lit) (memcpy((p), "" lit, sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* The most one line takes: the head (16 bytes copied for the 11 time
 * columns, " #", 20 digits, " C>S  "), the name's 16-byte copy, then
 * " qos N", " (N bytes)", "  silence S.SSSs", " (R.RR KA)", "  rtt M.MMM ms",
 * " (PINGREQ frame N)" and "  frame N\n", each number given
 * FORMAT_NUMBER_MAX. */
#define PACKET_LINE_MAX (16 + 2 + 20 + 6 + 16 + 6 + 9 + 10 + 1 + 6 + 4 + 6 + 3 + 16 + 1 + \
                         9 + 7 * FORMAT_NUMBER_MAX)

bool packet_line_write(output_state *o, const mqttka_event *ev)
{
    const mqttka_mqtt_packet *pk = &ev->u.mqtt;
    mqttka_time start = o->capture_start == MQTTKA_TIME_NONE ? 0 : o->capture_start;
    /* One unsigned comparison for "known, not before the start, under the
     * limit": a time before the start, or MQTTKA_TIME_NONE (INT64_MIN),
     * wraps to more than the limit (the start is a capture time, far below
     * INT64_MAX - PACKET_LINE_COLUMN_LIMIT). */
    uint64_t since_start = (uint64_t)ev->ts - (uint64_t)start;
    if (o->time_format != TIME_RELATIVE || since_start >= (uint64_t)PACKET_LINE_COLUMN_LIMIT ||
        pk->type >= MQTTKA_MQTT_TYPES ||
        o->mqtt_type_names[pk->type].len > OUTPUT_TYPE_NAME_ROOM || pk->connect ||
        pk->connack || pk->reason_code >= 0)
        return false;
    const mqttka_connection *c = ev->conn;
    line_buffer *line = &o->line;
    char *at = line_buffer_room(line, PACKET_LINE_MAX);

    at = packet_line_time_column(at, o, since_start);
    at = format_inline_uint(put_literal(at, " #"), c ? c->id : 0);
    /* 8 bytes copied, 6 kept: one move, where 6 bytes are two. */
    static const char direction_columns[2][8] = {" C>S  ", " S>C  "};
    memcpy(at, direction_columns[ev->dir == MQTTKA_S2C], 8);
    at += 6;
    memcpy(at, o->mqtt_type_names[pk->type].text, OUTPUT_TYPE_NAME_ROOM);
    at += o->mqtt_type_names[pk->type].len;

    if (pk->type == MQTTKA_MQTT_PUBLISH) {
        at = put_literal(at, " qos ");
        *at++ = (char)('0' + ((pk->flags >> 1) & 3));
    }
    /* Sizes say something of data packets, nothing of the handshake's. */
    if (pk->remaining_length && pk->type != MQTTKA_MQTT_CONNECT &&
        pk->type != MQTTKA_MQTT_CONNACK) {
        at = format_inline_uint(put_literal(at, " ("), pk->remaining_length);
        at = pk->remaining_length == 1 ? put_literal(at, " byte)") : put_literal(at, " bytes)");
    }
    if (pk->silence != MQTTKA_TIME_NONE) {
        at = put_literal(at, "  silence ");
        at = pk->silence >= 0 ? format_inline_seconds3(at, (uint64_t)pk->silence)
                              : format_put_seconds3(at, pk->silence);
        *at++ = 's';
        /* " (1.00 KA)": hundredths of KAe, rounded, from integer
         * microseconds; divided first, since a damaged timestamp can make a
         * silence of centuries whose product by 100 would overflow. */
        if (c && c->effective_keepalive > 0) {
            int64_t unit = (int64_t)c->effective_keepalive * 10000;
            int64_t silence = pk->silence;
            at = put_literal(at, " (");
            if (silence >= 0) {
                at = format_inline_hundredths(at, (uint64_t)(silence / unit +
                                                             (silence % unit >= unit / 2)));
            } else {
                at = format_put_hundredths(at, (silence + unit / 2) / unit);
            }
            at = put_literal(at, " KA)");
        }
    }
    if (pk->rtt != MQTTKA_TIME_NONE) {
        at = put_literal(at, "  rtt ");
        at = pk->rtt >= 0 ? format_inline_thousandths(at, (uint64_t)pk->rtt)
                          : format_put_thousandths(at, pk->rtt);
        at = put_literal(at, " ms");
    }
    if (pk->pair_tag) {
        at = format_inline_uint(put_literal(at, " (PINGREQ frame "), pk->pair_tag);
        *at++ = ')';
    }
    if (ev->tag) {
        at = format_inline_uint(put_literal(at, "  frame "), ev->tag);
        *at++ = '\n';
    } else {
        at = put_literal(at, "  end of capture\n");
    }
    line_buffer_commit(line, at);
    return true;
}
