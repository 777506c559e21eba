/*
 * test_packet_line.c - the one-pass MQTT packet line (packet_line.c)
 * against the general text writer (output_text.c) on the same events: the
 * two must write the same bytes. The general path is taken by marking the
 * type's name too long for the table (output_text.c then writes the same
 * name from mqttka_mqtt_type_name), so that only the writer differs. The
 * events reach every extreme the fields allow: 64-bit frame numbers and
 * connection ids, the largest Remaining Length, silences and RTTs negative,
 * of centuries and at each rounding edge, keepalives of 1 s to 2^31 - 1 s,
 * times at each end of the cached column.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../unit/test_harness.h"
#include "format.h"
#include "line_buffer.h"
#include "output.h"
#include "packet_line.h"

static output_state o;
static FILE *sink;

/* The bytes the line buffer wrote since the last call, into buf. */
static void take_written(char *buf, size_t cap)
{
    line_buffer_flush(&o.line);
    fflush(sink);
    long end = ftell(sink);
    rewind(sink);
    size_t n = end > 0 ? (size_t)end : 0;
    if (n >= cap)
        n = cap - 1;
    n = fread(buf, 1, n, sink);
    buf[n] = '\0';
    rewind(sink);
}

static const uint8_t types[] = {MQTTKA_MQTT_PUBLISH, MQTTKA_MQTT_PUBACK, MQTTKA_MQTT_SUBSCRIBE,
                                MQTTKA_MQTT_PINGREQ, MQTTKA_MQTT_PINGRESP,
                                MQTTKA_MQTT_DISCONNECT, MQTTKA_MQTT_UNSUBSCRIBE};
static const uint32_t lengths[] = {0, 1, 2, 99999999, 100000000, 268435455, UINT32_MAX};
static const int64_t times[] = {MQTTKA_TIME_NONE, 0, 1, 499, 500, 999, 9999, 9999499,
                                5000, 25000, 300000, 2525000, 9999500, 10000000, 123456789,
                                INT64_MAX, -1, -499, -500,
                                -501, -10000000, INT64_MIN + 1};
static const uint64_t tags[] = {0, 1, 9, 10, 99999999, 100000000, 18446744073709551615u};
static const int32_t keepalives[] = {-1, 0, 1, 5, 60, 65535, 2147483647};
static const int64_t stamps[] = {0, 1, 999999, 1000000, 1000001, 5014649, 9999999999};

#define PICK(table, x) table[(x) % (sizeof table / sizeof table[0])]

int main(void)
{
    sink = tmpfile();
    CHECK(sink != NULL);
    if (!sink)
        return th_report();
    line_buffer_init(&o.line, sink);
    o.time_format = TIME_RELATIVE;
    o.capture_start = 1000;
    o.time_column_from = OUTPUT_TIME_COLUMN_NONE;
    for (uint8_t t = 0; t < MQTTKA_MQTT_TYPES; t++) {
        const char *name = mqttka_mqtt_type_name(t);
        size_t len = name ? strlen(name) : SIZE_MAX;
        if (len <= OUTPUT_TYPE_NAME_ROOM)
            memcpy(o.mqtt_type_names[t].text, name, len);
        o.mqtt_type_names[t].len = len;
    }

    mqttka_connection conn;
    memset(&conn, 0, sizeof conn);
    char fast[1024], general[1024];
    uint64_t x = 88172645463325252u; /* xorshift64 */
    unsigned differ = 0, taken = 0;
    for (int i = 0; i < 50000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* every table's every value in the first rounds, then mixed */
        uint64_t k = i < 64 ? (uint64_t)i : x;
        mqttka_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = MQTTKA_EV_MQTT_PACKET;
        conn.id = PICK(tags, k >> 3);
        conn.effective_keepalive = PICK(keepalives, k >> 9);
        ev.conn = (k >> 12) % 5 ? &conn : NULL;
        ev.dir = (k >> 15) & 1 ? MQTTKA_S2C : MQTTKA_C2S;
        ev.ts = o.capture_start + PICK(stamps, i < 64 ? k : k >> 16);
        ev.tag = PICK(tags, i < 64 ? k : k >> 20);
        mqttka_mqtt_packet *p = &ev.u.mqtt;
        p->type = PICK(types, i < 64 ? k : k >> 24);
        p->flags = (uint8_t)((k >> 27) & 0xf);
        p->remaining_length = PICK(lengths, i < 64 ? k : k >> 31);
        p->silence = PICK(times, i < 64 ? k : k >> 35);
        p->rtt = PICK(times, i < 64 ? k + 7 : k >> 40);
        p->pair_tag = PICK(tags, i < 64 ? k + 3 : k >> 45);
        p->reason_code = -1;

        bool one_pass = packet_line_write(&o, &ev);
        take_written(fast, sizeof fast);
        size_t len = o.mqtt_type_names[p->type].len;
        o.mqtt_type_names[p->type].len = OUTPUT_TYPE_NAME_ROOM + 1; /* the general path */
        output_text_mqtt(&o, &ev);
        o.mqtt_type_names[p->type].len = len;
        take_written(general, sizeof general);
        taken += one_pass;
        if (!one_pass || strcmp(fast, general) != 0) {
            if (differ++ < 5)
                CHECK_EQ_STR(fast, general);
        }
    }
    CHECK_EQ_INT(differ, 0);
    CHECK_EQ_INT(taken, 50000);
    fclose(sink);
    return th_report();
}
