/*
 * test_format.c - the output's number formatting and JSON string escaping:
 * rounding from integer microseconds, negative times, and strings of every
 * kind of byte (quotes, controls, valid and invalid UTF-8); and that every
 * name the JSON output writes without escaping (json_name) needs none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/test_harness.h"
#include "format.h"
#include "format_inline.h"
#include "json_writer.h"

static void test_scaled(void)
{
    char buf[FORMAT_NUMBER_MAX];
    CHECK_EQ_STR(format_scaled(buf, 5004123, 6, 6), "5.004123");
    CHECK_EQ_STR(format_scaled(buf, 5004123, 6, 3), "5.004");
    CHECK_EQ_STR(format_scaled(buf, 5004500, 6, 3), "5.005"); /* half away from zero */
    CHECK_EQ_STR(format_scaled(buf, 5004499, 6, 3), "5.004");
    CHECK_EQ_STR(format_scaled(buf, 999999, 6, 3), "1.000");
    CHECK_EQ_STR(format_scaled(buf, 412, 3, 1), "0.4");
    CHECK_EQ_STR(format_scaled(buf, 0, 6, 6), "0.000000");
    CHECK_EQ_STR(format_scaled(buf, -1500000, 6, 6), "-1.500000");
    CHECK_EQ_STR(format_scaled(buf, -4, 6, 3), "0.000"); /* no "-0.000" */
    CHECK_EQ_STR(format_scaled(buf, 1795690476855922, 6, 6), "1795690476.855922");
    CHECK_EQ_STR(format_scaled(buf, INT64_MIN, 6, 6), "-9223372036854.775808");
    CHECK_EQ_STR(format_scaled(buf, 7, 0, 0), "7");
}

/* The digits against printf's, for the shapes the outputs use (times to the
 * microsecond, RTTs and silences to the millisecond) and every number of
 * digits: values around each power of ten, and a pseudo-random spread. */
static void reference_scaled(char *out, size_t size, int64_t value, unsigned scale,
                             unsigned shown)
{
    uint64_t m = value < 0 ? (uint64_t)(-(value + 1)) + 1 : (uint64_t)value;
    uint64_t drop = 1, unit = 1;
    for (unsigned i = shown; i < scale; i++)
        drop *= 10;
    for (unsigned i = 0; i < shown; i++)
        unit *= 10;
    uint64_t q = m / drop, r = m % drop;
    if (drop > 1 && r >= drop - r)
        q++;
    snprintf(out, size, "%s%llu.%0*llu", value < 0 && q ? "-" : "",
             (unsigned long long)(q / unit), (int)shown, (unsigned long long)(q % unit));
}

static void check_against_printf(uint64_t v)
{
    char buf[FORMAT_NUMBER_MAX], want[64];
    *format_put_uint(buf, v) = '\0';
    snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    CHECK_EQ_STR(buf, want);
    /* Right-aligned seconds: written before an end, as line heads do. */
    char column[40];
    char *from = format_put_seconds_before(column + sizeof column - 1, v);
    column[sizeof column - 1] = '\0';
    snprintf(want, sizeof want, "%llu.%06llu", (unsigned long long)(v / 1000000),
             (unsigned long long)(v % 1000000));
    CHECK_EQ_STR(from, want);
    /* The six decimals alone, as the text output's time column writes them. */
    format_inline_six_digits(column, (uint32_t)(v % 1000000));
    column[6] = '\0';
    snprintf(want, sizeof want, "%06llu", (unsigned long long)(v % 1000000));
    CHECK_EQ_STR(column, want);
    static const unsigned shapes[][2] = {{6, 6}, {3, 3}, {6, 3}, {2, 2}, {3, 1}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int64_t values[2] = {(int64_t)(v >> 1), -(int64_t)(v >> 1)};
        for (size_t j = 0; j < 2; j++) {
            reference_scaled(want, sizeof want, values[j], shapes[k][0], shapes[k][1]);
            CHECK_EQ_STR(format_scaled(buf, values[j], shapes[k][0], shapes[k][1]), want);
        }
    }
    /* The text output's own writers of two of those shapes. */
    int64_t values[2] = {(int64_t)(v >> 1), -(int64_t)(v >> 1)};
    for (size_t j = 0; j < 2; j++) {
        reference_scaled(want, sizeof want, values[j], 3, 3);
        *format_put_thousandths(buf, values[j]) = '\0';
        CHECK_EQ_STR(buf, want);
        reference_scaled(want, sizeof want, values[j], 6, 3);
        *format_put_seconds3(buf, values[j]) = '\0';
        CHECK_EQ_STR(buf, want);
        reference_scaled(want, sizeof want, values[j], 2, 2);
        *format_put_hundredths(buf, values[j]) = '\0';
        CHECK_EQ_STR(buf, want);
    }
}

static void test_digits_against_printf(void)
{
    uint64_t power = 1;
    for (int i = 0; i < 20; i++) {
        check_against_printf(power - 1);
        check_against_printf(power);
        check_against_printf(power + 1);
        power *= 10;
    }
    check_against_printf(UINT64_MAX);
    /* format_put_uint's straight-line paths (below 10^8) at every size and
     * where each ends. */
    for (uint64_t v = 0; v < 200000; v++)
        check_against_printf(v);
    for (uint64_t v = 99990000; v < 100010000; v++)
        check_against_printf(v);
    /* The digits by multiplication (format_inline.h): every value their
     * multipliers take, and the sizes beyond. */
    char buf[FORMAT_NUMBER_MAX], want[32];
    for (uint32_t v = 0; v < 1000000; v++) {
        format_inline_six_digits(buf, v);
        buf[6] = '\0';
        snprintf(want, sizeof want, "%06u", (unsigned)v);
        CHECK_EQ_STR(buf, want);
        *format_inline_uint(buf, v) = '\0';
        snprintf(want, sizeof want, "%u", (unsigned)v);
        CHECK_EQ_STR(buf, want);
    }
    for (uint32_t v = 1000000; v < 100000000; v += 997) {
        *format_inline_uint(buf, v) = '\0';
        snprintf(want, sizeof want, "%u", (unsigned)v);
        CHECK_EQ_STR(buf, want);
    }
    /* From 10^8 up, the wide path's eight-digit groups: a run of values at
     * every size to 2^64 - 1 (and pseudo-random ones, below). */
    for (uint64_t v = 100000000; v < UINT64_MAX / 2; v += v / 3 + 7) {
        for (uint64_t w = v; w < v + 200; w++) {
            *format_inline_uint(buf, w) = '\0';
            snprintf(want, sizeof want, "%llu", (unsigned long long)w);
            CHECK_EQ_STR(buf, want);
        }
    }
    static const uint64_t wide[] = {100000000, 100000001, 199999999, 10000000000000000,
                                    9999999999999999, 10000000099999999, 18446744073709551615u};
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) {
        *format_inline_uint(buf, wide[i]) = '\0';
        snprintf(want, sizeof want, "%llu", (unsigned long long)wide[i]);
        CHECK_EQ_STR(buf, want);
    }
    /* Silences and RTTs to the millisecond, and keepalive ratios, through
     * their one-multiplication paths (below 10 s, below 10 KA) and past. */
    for (int64_t micros = 0; micros < 10010000; micros += 3) {
        reference_scaled(want, sizeof want, micros, 6, 3);
        *format_put_seconds3(buf, micros) = '\0';
        CHECK_EQ_STR(buf, want);
    }
    for (int64_t v = 0; v < 20000; v++) {
        reference_scaled(want, sizeof want, v, 3, 3);
        *format_put_thousandths(buf, v) = '\0';
        CHECK_EQ_STR(buf, want);
        reference_scaled(want, sizeof want, v, 2, 2);
        *format_put_hundredths(buf, v) = '\0';
        CHECK_EQ_STR(buf, want);
    }
    uint64_t x = 88172645463325252u; /* xorshift64 */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_against_printf(x >> (x % 64));
    }
}

static void test_double(void)
{
    char buf[FORMAT_NUMBER_MAX];
    CHECK_EQ_STR(format_double(buf, 5.0), "5");
    CHECK_EQ_STR(format_double(buf, 3.012751), "3.012751");
    CHECK_EQ_STR(format_double(buf, 0.00042), "0.00042");
    CHECK_EQ_STR(format_double(buf, -0.0000001), "0");
    CHECK_EQ_STR(format_double(buf, 1.0 / 0.0), "null");
    CHECK_EQ_STR(format_double(buf, 0.0 / 0.0), "null");
}

static void test_utf8(void)
{
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"a", 1), 1);
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xc3\xa9", 2), 2);
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xc3", 1), 0);       /* cut */
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xc0\xaf", 2), 0);   /* overlong */
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xe0\x80\xaf", 3), 0);
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xed\xa0\x80", 3), 0); /* surrogate */
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xe2\x82\xac", 3), 3);
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xf0\x9f\x98\x80", 4), 4);
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\xff", 1), 0);
    CHECK_EQ_INT(utf8_sequence_length((const uint8_t *)"\x80", 1), 0);
}

/* Writes one line with the writer into memory and compares it. */
static void check_line(void (*write)(json_writer *), const char *expected)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        abort();
    line_buffer line;
    line_buffer_init(&line, f);
    json_writer w;
    json_line_begin(&w, &line);
    write(&w);
    json_line_end(&w);
    line_buffer_flush(&line);
    fclose(f);
    CHECK_EQ_STR(text, expected);
    free(text);
}

static void write_strings(json_writer *w)
{
    static const uint8_t raw[] = {'a', '"', '\\', '\n', 0x01, 0x7f, 0xff, 0xc3, 0xa9, 0x00, 'z'};
    json_string(w, "plain", "mqtt");
    json_string_bytes(w, "raw", raw, sizeof raw);
    json_string(w, "none", NULL);
    json_string(w, "emoji", "\xf0\x9f\x98\x80");
    json_string(w, "cut", "\xe2\x82");
}

static void write_nesting(json_writer *w)
{
    json_string(w, "type", "connection");
    json_object_begin(w, "packets");
    json_object_begin(w, "c2s");
    json_uint(w, "CONNECT", 1);
    json_uint(w, "PINGREQ", 2);
    json_object_end(w);
    json_object_begin(w, "s2c");
    json_object_end(w);
    json_object_end(w);
    json_array_begin(w, "findings");
    json_object_begin(w, NULL);
    json_frame(w, "frame", 7);
    json_frame(w, "reported_frame", 0);
    json_object_end(w);
    json_object_begin(w, NULL);
    json_bool(w, "x", false);
    json_object_end(w);
    json_array_end(w);
    json_seconds(w, "ts", 1795690476855922);
    json_seconds(w, "none", MQTTKA_TIME_NONE);
    json_millis(w, "rtt", 174);
    json_int(w, "neg", -1);
    json_double(w, "value", 3.5);
}

/* The civil date and time of the summary's start, against gmtime_r and
 * strftime at the edges (epoch, leap days, centuries, the last second of
 * 9999) and at 100k random seconds; outside 1970-9999 it writes nothing. */
static void check_utc(int64_t seconds)
{
    char ours[32], want[40];
    char *end = format_put_utc_seconds(ours, seconds);
    time_t tt = (time_t)seconds;
    struct tm tm;
    if (!end || !gmtime_r(&tt, &tm) ||
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        fprintf(stderr, "utc %lld: not written\n", (long long)seconds);
        th_failed++;
        return;
    }
    *end = '\0';
    CHECK_EQ_STR(ours, want);
}

static void test_utc(void)
{
    static const int64_t edges[] = {0, 59, 86399, 86400, 951782400 /* 2000-02-29 */,
                                    951868800, 4107542400 /* 2100-03-01 */, 4107456000,
                                    1700000000, 253402300799};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check_utc(edges[i]);
    for (int i = 0; i < 100000; i++)
        check_utc((int64_t)(th_rng() % 253402300800u));
    char buf[32] = "untouched";
    CHECK(format_put_utc_seconds(buf, -1) == NULL);
    CHECK(format_put_utc_seconds(buf, 253402300800) == NULL);
    CHECK_EQ_STR(buf, "untouched");
}

/* A name json_name writes as it is: NULL (written null), or printable
 * ASCII without '"' or '\\'; and shorter than the 48 bytes the text output
 * reserves for a packet type, severity or finding kind name. */
static void check_plain_name(const char *what, unsigned value, const char *name)
{
    if (name && format_plain_ascii_run((const uint8_t *)name, strlen(name), true) != strlen(name)) {
        fprintf(stderr, "%s %u: name \"%s\" would need escaping\n", what, value, name);
        th_failed++;
    }
    if (name && strlen(name) >= 48) {
        fprintf(stderr, "%s %u: name \"%s\" is 48 bytes or longer\n", what, value, name);
        th_failed++;
    }
}

/* Every value of every enum the core names, and one past the end (the core
 * answers "unknown", "INVALID" or NULL there). */
static void test_names_plain(void)
{
    for (unsigned k = 0; k <= MQTTKA_F_COUNT; k++)
        check_plain_name("finding kind", k, mqttka_finding_name((mqttka_finding_kind)k));
    for (unsigned v = 0; v <= MQTTKA_ERROR + 1; v++)
        check_plain_name("severity", v, mqttka_severity_name((mqttka_severity)v));
    for (unsigned v = 0; v <= MQTTKA_V_COUNT; v++)
        check_plain_name("verdict", v, mqttka_verdict_name((mqttka_verdict)v));
    for (unsigned m = 0; m <= MQTTKA_CLOSE_RST + 1; m++)
        check_plain_name("close mechanism", m,
                         mqttka_close_mechanism_name((mqttka_close_mechanism)m));
    for (unsigned s = 0; s <= MQTTKA_SIDE_SERVER + 1; s++)
        check_plain_name("side", s, mqttka_side_name((mqttka_side)s));
    for (unsigned r = 0; r <= MQTTKA_NA_COUNT; r++)
        check_plain_name("not analysed", r, mqttka_not_analysed_name((mqttka_not_analysed)r));
    for (unsigned t = 0; t <= 255; t++)
        check_plain_name("MQTT packet type", t, mqttka_mqtt_type_name((uint8_t)t));
    for (unsigned l = 0; l <= 255; l++)
        check_plain_name("MQTT level", l, mqttka_mqtt_version_name((uint8_t)l));
    for (unsigned l = 0; l <= 300; l++)
        check_plain_name("link type", l, mqttka_link_name(l));
}

int main(void)
{
    test_names_plain();
    test_scaled();
    test_digits_against_printf();
    test_double();
    test_utf8();
    test_utc();
    check_line(write_strings,
               "{\"plain\":\"mqtt\",\"raw\":\"a\\\"\\\\\\n\\u0001\\u007f\\u00ff\xc3\xa9\\u0000z\","
               "\"none\":null,\"emoji\":\"\xf0\x9f\x98\x80\",\"cut\":\"\\u00e2\\u0082\"}\n");
    check_line(write_nesting,
               "{\"type\":\"connection\",\"packets\":{\"c2s\":{\"CONNECT\":1,\"PINGREQ\":2},"
               "\"s2c\":{}},\"findings\":[{\"frame\":7,\"reported_frame\":null},{\"x\":false}],"
               "\"ts\":1795690476.855922,\"none\":null,\"rtt\":0.174,\"neg\":-1,\"value\":3.5}\n");
    return th_report();
}
