/*
 * test_mqtt_decoder.c - unit tests for core/mqtt_decoder.c.
 *
 * Rules under test: MQTT 3.1.1 §2.2 / 5.0 §2.1 (fixed header, flags),
 * 5.0 §1.5.5 (Variable Byte Integer), §2.2.2.2 (properties), §3.1 CONNECT
 * (3.1 "MQIsdp", 3.1.1, 5.0), §3.2 CONNACK (Server Keep Alive 0x13) and
 * §3.14 DISCONNECT; docs/FINDINGS.md "malformed_fixed_header" and
 * "malformed_ping".
 *
 * Stream cases are hex bytes in, an event log out. Each is fed whole, byte
 * by byte, and split at every offset into two pushes, always from heap
 * blocks of exactly the pushed size so that ASan catches an over-read; the
 * three logs must equal the expected one. Log entries:
 *   pkt TYPE rl=N off=N [f=X] [hl=N] [body=N [cut]] [decoded body];
 *   mal NAME [fatal] first=XX at=<stream bytes consumed when reported>;
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "mqtt_decoder.h"
#include "test_harness.h"

/* ASan aborts on an impossible allocation unless told to return NULL, and
 * the allocation-failure test needs malloc to fail. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_UNDER_ASAN 1
#endif
#endif
#ifdef TEST_UNDER_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

#define LOG_CAP 4096
#define INPUT_CAP 1024

static const char *const type_names[16] = {
    "TYPE0", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
    "AUTH",
};

static const char *const malformation_tags[MQTT_M_COUNT] = {
    [MQTT_M_TYPE_ZERO] = "TYPE_ZERO",
    [MQTT_M_TYPE_15_BEFORE_5] = "TYPE_15_BEFORE_5",
    [MQTT_M_BAD_FLAGS] = "BAD_FLAGS",
    [MQTT_M_QOS_3] = "QOS_3",
    [MQTT_M_LENGTH_TOO_LONG] = "LENGTH_TOO_LONG",
    [MQTT_M_LENGTH_NOT_MINIMAL] = "LENGTH_NOT_MINIMAL",
    [MQTT_M_BAD_PING] = "BAD_PING",
    [MQTT_M_TRUNCATED] = "TRUNCATED",
};

static const char *result_tag(mqtt_parse_result r)
{
    switch (r) {
    case MQTT_PARSE_OK: return "ok";
    case MQTT_PARSE_TRUNCATED: return "trunc";
    case MQTT_PARSE_INVALID: return "inval";
    }
    return "?";
}

/* ------------------------------------------------------------------------ */
/* Event log                                                                 */

typedef struct event_log {
    char text[LOG_CAP];
    size_t used;
    bool overflow;
    mqtt_stream *stream; /* to read the offset when a callback fires */
    uint8_t level;
    bool skip_after_first_packet;
    unsigned packets;
    unsigned invariant_failures;
} event_log;

static void log_init(event_log *log, mqtt_stream *s, uint8_t level)
{
    memset(log, 0, sizeof *log);
    log->stream = s;
    log->level = level;
}

static void log_append(event_log *log, const char *fmt, ...)
{
    if (log->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(log->text + log->used, LOG_CAP - log->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= LOG_CAP - log->used) {
        log->overflow = true;
        return;
    }
    log->used += (size_t)n;
}

static void describe_connect(event_log *log, const mqtt_packet_view *p)
{
    mqtt_connect c;
    memset(&c, 0, sizeof c);
    c.protocol_name[0] = '\x01'; /* never written by the parser: "left untouched" */
    mqtt_parse_result r = mqtt_parse_connect(p->body, p->body_len, &c);
    if (c.protocol_name[0] == '\x01') {
        log_append(log, " [%s]", result_tag(r));
        return;
    }
    log_append(log, " [%s/%u fl=%02x ka=%u", c.protocol_name, c.level, c.flags, c.keepalive);
    if (c.has_client_id)
        log_append(log, " id='%s' idlen=%u", c.client_id, c.client_id_len);
    if (c.server_keepalive_property)
        log_append(log, " ska!");
    if (!c.protocol_valid)
        log_append(log, " bad-protocol");
    if (c.reserved_flag_set)
        log_append(log, " reserved-flag");
    log_append(log, " %s]", result_tag(r));
}

static void describe_connack(event_log *log, const mqtt_packet_view *p)
{
    mqtt_connack c = {.server_keepalive = -2}; /* -2: left untouched */
    mqtt_parse_result r = mqtt_parse_connack(p->body, p->body_len, log->level, &c);
    if (c.server_keepalive == -2) {
        log_append(log, " [%s]", result_tag(r));
        return;
    }
    log_append(log, " [");
    if (c.flags != 0)
        log_append(log, "fl=%02x ", c.flags);
    log_append(log, "code=%u ska=%d n=%u %s]", c.code, (int)c.server_keepalive,
               c.server_keepalive_count, result_tag(r));
}

static void describe_disconnect(event_log *log, const mqtt_packet_view *p)
{
    mqtt_disconnect d = {.reason_code = -2}; /* -2: left untouched */
    mqtt_parse_result r = mqtt_parse_disconnect(p->body, p->body_len, log->level, &d);
    if (d.reason_code == -2) {
        log_append(log, " [%s]", result_tag(r));
        return;
    }
    log_append(log, " [rc=%d n=%u %s]", (int)d.reason_code, d.server_keepalive_count,
               result_tag(r));
}

static bool is_kept_type(uint8_t type)
{
    return type == MQTTKA_MQTT_CONNECT || type == MQTTKA_MQTT_CONNACK || type == MQTTKA_MQTT_DISCONNECT ||
           type == MQTTKA_MQTT_AUTH;
}

static void on_packet(void *ctx, const mqtt_packet_view *p)
{
    event_log *log = ctx;
    log->packets++;

    /* The callback fires on the packet's last byte, never later. */
    if (p->stream_offset + p->header_len + p->remaining_length != log->stream->offset)
        log->invariant_failures++;
    if (p->body_len > p->remaining_length || (!is_kept_type(p->type) && p->body != NULL))
        log->invariant_failures++;

    log_append(log, "pkt %s rl=%u off=%llu", type_names[p->type & 0x0f],
               (unsigned)p->remaining_length, (unsigned long long)p->stream_offset);
    if (p->flags != 0)
        log_append(log, " f=%x", p->flags);
    if (p->header_len != 2)
        log_append(log, " hl=%u", p->header_len);
    if (is_kept_type(p->type))
        log_append(log, " body=%zu%s", p->body_len, p->body_truncated ? " cut" : "");
    switch (p->type) {
    case MQTTKA_MQTT_CONNECT: describe_connect(log, p); break;
    case MQTTKA_MQTT_CONNACK: describe_connack(log, p); break;
    case MQTTKA_MQTT_DISCONNECT: describe_disconnect(log, p); break;
    default: break;
    }
    log_append(log, ";");
    if (log->skip_after_first_packet)
        mqtt_stream_skip(log->stream);
}

static void on_malformed(void *ctx, mqtt_malformation m, bool fatal, uint8_t first_byte)
{
    event_log *log = ctx;
    const char *tag = (unsigned)m < MQTT_M_COUNT ? malformation_tags[m] : "?";
    log_append(log, "mal %s%s first=%02x at=%llu;", tag, fatal ? " fatal" : "", first_byte,
               (unsigned long long)log->stream->offset);
}

static const mqtt_stream_callbacks callbacks = {on_packet, on_malformed};

/* ------------------------------------------------------------------------ */
/* Feeding                                                                   */

/* Parses "10 0c 'MQTT' 61*3": hex bytes, quoted ASCII, HH*N repeats a byte. */
static size_t parse_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const char *p = hex;
    while (*p != '\0') {
        if (*p == ' ') {
            p++;
        } else if (*p == '\'') {
            for (p++; *p != '\'' && *p != '\0'; p++) {
                if (n == cap)
                    abort();
                out[n++] = (uint8_t)*p;
            }
            if (*p == '\'')
                p++;
        } else {
            char *end;
            unsigned long byte = strtoul(p, &end, 16);
            if (end != p + 2 || byte > 0xff)
                abort();
            unsigned long repeat = 1;
            p = end;
            if (*p == '*') {
                repeat = strtoul(p + 1, &end, 10);
                p = end;
            }
            for (unsigned long i = 0; i < repeat; i++) {
                if (n == cap)
                    abort();
                out[n++] = (uint8_t)byte;
            }
        }
    }
    return n;
}

/* Pushes `n` bytes from a block of exactly that size. */
static void push_exact(mqtt_stream *s, uint8_t level, const uint8_t *src, size_t n,
                       event_log *log)
{
    unsigned char *copy = th_exact_copy(src, n);
    mqtt_stream_push(s, level, n ? copy : NULL, n, &callbacks, log);
    free(copy);
}

typedef struct stream_case {
    const char *name;
    uint8_t level;
    size_t max_keep;
    const char *hex;
    const char *expected;
} stream_case;

enum feed_mode { FEED_WHOLE, FEED_BYTEWISE, FEED_SPLIT };

/* Runs one case; returns false when an invariant or the offset count broke. */
static bool run_case(const stream_case *tc, const uint8_t *in, size_t len, enum feed_mode mode,
                     size_t split, event_log *log)
{
    mqtt_stream s;
    mqtt_stream_init(&s, tc->max_keep);
    log_init(log, &s, tc->level);
    switch (mode) {
    case FEED_WHOLE:
        push_exact(&s, tc->level, in, len, log);
        break;
    case FEED_BYTEWISE:
        for (size_t i = 0; i < len; i++)
            push_exact(&s, tc->level, in + i, 1, log);
        break;
    case FEED_SPLIT:
        push_exact(&s, tc->level, in, split, log);
        push_exact(&s, tc->level, in + split, len - split, log);
        break;
    }
    mqtt_stream_end(&s, &callbacks, log);
    bool sound = s.offset == len && log->invariant_failures == 0 && !log->overflow &&
                 s.keep_cap <= tc->max_keep;
    mqtt_stream_free(&s);
    CHECK(s.keep == NULL);
    return sound;
}

static const stream_case stream_cases[] = {
    {"seed: 3.1.1 CONNECT, PINGREQ, PINGRESP in one push", 4, 64,
     "10 0c 00 04 'MQTT' 04 02 00 05 00 00 c0 00 d0 00",
     "pkt CONNECT rl=12 off=0 body=12 [MQTT/4 fl=02 ka=5 id='' idlen=0 ok];"
     "pkt PINGREQ rl=0 off=14;pkt PINGRESP rl=0 off=16;"},
    {"3.1 MQIsdp CONNECT: keepalive at offset 10", 3, 64,
     "10 12 00 06 'MQIsdp' 03 02 00 3c 00 04 'paho'",
     "pkt CONNECT rl=18 off=0 body=18 [MQIsdp/3 fl=02 ka=60 id='paho' idlen=4 ok];"},
    {"5.0 CONNECT with properties of every value type", 5, 128,
     "10 32 00 04 'MQTT' 05 02 00 1e 22 11 00 00 0e 10 21 00 14 27 00 00 10 00 17 01"
     " 26 00 01 'k' 00 01 'v' 15 00 04 'SCRM' 16 00 02 01 02 00 03 'cid'",
     "pkt CONNECT rl=50 off=0 body=50 [MQTT/5 fl=02 ka=30 id='cid' idlen=3 ok];"},
    {"5.0 CONNECT carrying Server Keep Alive (not allowed there)", 5, 64,
     "10 10 00 04 'MQTT' 05 02 00 3c 03 13 00 0a 00 00",
     "pkt CONNECT rl=16 off=0 body=16 [MQTT/5 fl=02 ka=60 id='' idlen=0 ska! ok];"},
    {"CONNECT with an unknown protocol and the reserved flag", 4, 64,
     "10 0c 00 04 'MQTX' 04 03 00 05 00 00",
     "pkt CONNECT rl=12 off=0 body=12 [MQTX/4 fl=03 ka=5 id='' idlen=0 bad-protocol "
     "reserved-flag ok];"},
    {"5.0 CONNACK: Server Keep Alive 20 after other properties", 5, 64,
     "20 16 00 00 13 22 00 0a 12 00 03 'abc' 1f 00 02 'ok' 24 01 13 00 14",
     "pkt CONNACK rl=22 off=0 body=22 [code=0 ska=20 n=1 ok];"},
    {"5.0 CONNACK: Server Keep Alive twice", 5, 64,
     "20 09 00 00 06 13 00 14 13 00 1e",
     "pkt CONNACK rl=9 off=0 body=9 [code=0 ska=20 n=2 ok];"},
    {"5.0 CONNACK: unknown property after 0x13 keeps what was found", 5, 64,
     "20 08 00 00 05 13 00 14 7f 00",
     "pkt CONNACK rl=8 off=0 body=8 [code=0 ska=20 n=1 inval];"},
    {"3.1.1 CONNACKs one after the other reuse the kept buffer", 4, 64,
     "20 02 00 00 20 02 01 05",
     "pkt CONNACK rl=2 off=0 body=2 [code=0 ska=-1 n=0 ok];"
     "pkt CONNACK rl=2 off=4 body=2 [fl=01 code=5 ska=-1 n=0 ok];"},
    {"5.0 DISCONNECT 0x8D Keep Alive timeout", 5, 64,
     "e0 01 8d",
     "pkt DISCONNECT rl=1 off=0 body=1 [rc=141 n=0 ok];"},
    {"5.0 DISCONNECT with no body is reason 0x00", 5, 64,
     "e0 00",
     "pkt DISCONNECT rl=0 off=0 body=0 [rc=0 n=0 ok];"},
    {"5.0 DISCONNECT with a Reason String and a stray 0x13", 5, 64,
     "e0 0a 8d 08 1f 00 02 'ka' 13 00 05",
     "pkt DISCONNECT rl=10 off=0 body=10 [rc=141 n=1 ok];"},
    {"3.1.1 DISCONNECT has no reason code", 4, 64,
     "e0 00",
     "pkt DISCONNECT rl=0 off=0 body=0 [rc=-1 n=0 ok];"},
    {"other bodies are skipped, not kept", 4, 64,
     "30 07 00 03 'a/b' 'hi' 82 06 00 01 00 01 'x' 00 90 03 00 01 00",
     "pkt PUBLISH rl=7 off=0;pkt SUBSCRIBE rl=6 off=9 f=2;pkt SUBACK rl=3 off=17;"},

    /* malformed_fixed_header */
    {"type 0 is skipped by its length: the packets after it are decoded", 4, 64,
     "c0 00 00 05 01 02 03 04 05 c0 00",
     "pkt PINGREQ rl=0 off=0;mal TYPE_ZERO first=00 at=9;pkt PINGREQ rl=0 off=9;"},
    {"type 15 before 5.0", 4, 64,
     "f0 00 c0 00",
     "pkt AUTH rl=0 off=0 body=0;mal TYPE_15_BEFORE_5 first=f0 at=2;pkt PINGREQ rl=0 off=2;"},
    {"type 15 in 5.0 is AUTH", 5, 64,
     "f0 02 18 00",
     "pkt AUTH rl=2 off=0 body=2;"},
    {"type 15 with the level unknown", 0, 64,
     "f0 00",
     "pkt AUTH rl=0 off=0 body=0;"},
    {"flag bits: 0010 for PUBREL, SUBSCRIBE, UNSUBSCRIBE, 0000 for the rest", 4, 64,
     "80 00 60 00 a0 00 11 00 e1 00 42 02 00 01 90 03 00 01 00 82 00 62 00 a2 00",
     "pkt SUBSCRIBE rl=0 off=0;mal BAD_FLAGS first=80 at=2;"
     "pkt PUBREL rl=0 off=2;mal BAD_FLAGS first=60 at=4;"
     "pkt UNSUBSCRIBE rl=0 off=4;mal BAD_FLAGS first=a0 at=6;"
     "pkt CONNECT rl=0 off=6 f=1 body=0 [inval];mal BAD_FLAGS first=11 at=8;"
     "pkt DISCONNECT rl=0 off=8 f=1 body=0 [rc=-1 n=0 ok];mal BAD_FLAGS first=e1 at=10;"
     "pkt PUBACK rl=2 off=10 f=2;mal BAD_FLAGS first=42 at=14;"
     "pkt SUBACK rl=3 off=14;pkt SUBSCRIBE rl=0 off=19 f=2;pkt PUBREL rl=0 off=21 f=2;"
     "pkt UNSUBSCRIBE rl=0 off=23 f=2;"},
    {"PUBLISH QoS 3 is malformed, QoS 2 with DUP and RETAIN is not", 4, 64,
     "36 02 00 00 3f 02 00 00 3d 02 00 00",
     "pkt PUBLISH rl=2 off=0 f=6;mal QOS_3 first=36 at=4;"
     "pkt PUBLISH rl=2 off=4 f=f;mal QOS_3 first=3f at=8;"
     "pkt PUBLISH rl=2 off=8 f=d;"},
    {"Remaining Length over 4 bytes is fatal at its fourth byte", 4, 64,
     "30 ff ff ff ff 01 c0 00",
     "mal LENGTH_TOO_LONG fatal first=30 at=5;"},
    {"non-minimal Remaining Length in 5.0", 5, 64,
     "c0 80 00 30 82 80 00 00 01",
     "pkt PINGREQ rl=0 off=0 hl=3;mal LENGTH_NOT_MINIMAL first=c0 at=3;"
     "pkt PUBLISH rl=2 off=3 hl=4;mal LENGTH_NOT_MINIMAL first=30 at=9;"},
    {"non-minimal Remaining Length before 5.0 is not checked", 4, 64,
     "c0 80 00 30 82 80 00 00 01",
     "pkt PINGREQ rl=0 off=0 hl=3;pkt PUBLISH rl=2 off=3 hl=4;"},
    {"minimal two-byte Remaining Length", 5, 64,
     "30 80 01 00*128 c0 00",
     "pkt PUBLISH rl=128 off=0 hl=3;pkt PINGREQ rl=0 off=131;"},
    {"stream ends in the first byte", 4, 64,
     "30",
     "mal TRUNCATED first=30 at=1;"},
    {"Remaining Length 268,435,455 then nothing", 4, 64,
     "30 ff ff ff 7f",
     "mal TRUNCATED first=30 at=5;"},
    {"stream ends in a body", 4, 64,
     "c0 00 10 05 00 04",
     "pkt PINGREQ rl=0 off=0;mal TRUNCATED first=10 at=6;"},

    /* malformed_ping */
    {"PINGREQ with flags", 4, 64,
     "c1 00",
     "pkt PINGREQ rl=0 off=0 f=1;mal BAD_PING first=c1 at=2;"},
    {"PINGRESP with a body", 4, 64,
     "d0 01 00",
     "pkt PINGRESP rl=1 off=0;mal BAD_PING first=d0 at=3;"},
    {"PINGREQ with flags and a body is reported once", 4, 64,
     "c2 01 00",
     "pkt PINGREQ rl=1 off=0 f=2;mal BAD_PING first=c2 at=3;"},

    /* the keep cap */
    {"CONNECT longer than max_keep still gives the keepalive", 4, 32,
     "10 4c 00 04 'MQTT' 04 02 00 0a 00 40 61*64 c0 00",
     "pkt CONNECT rl=76 off=0 body=32 cut [MQTT/4 fl=02 ka=10 "
     "id='aaaaaaaaaaaaaaaaaaaa...' idlen=64 trunc];pkt PINGREQ rl=0 off=78;"},
    {"max_keep shorter than the keepalive offset", 4, 8,
     "10 0c 00 04 'MQTT' 04 02 00 05 00 00 c0 00",
     "pkt CONNECT rl=12 off=0 body=8 cut [inval];pkt PINGREQ rl=0 off=14;"},
    {"max_keep 0 keeps nothing", 4, 0,
     "20 02 00 00",
     "pkt CONNACK rl=2 off=0 body=0 cut [inval];"},
    {"5.0 CONNACK cut inside its properties", 5, 8,
     "20 0b 00 00 08 22 00 0a 13 00 14 24 01",
     "pkt CONNACK rl=11 off=0 body=8 cut [code=0 ska=-1 n=0 trunc];"},
};

static void test_stream_cases(void)
{
    static uint8_t in[INPUT_CAP];
    event_log log, other;
    for (size_t i = 0; i < sizeof stream_cases / sizeof stream_cases[0]; i++) {
        const stream_case *tc = &stream_cases[i];
        size_t len = parse_hex(tc->hex, in, sizeof in);

        bool sound = run_case(tc, in, len, FEED_WHOLE, 0, &log);
        if (strcmp(log.text, tc->expected) != 0)
            fprintf(stderr, "case \"%s\", fed whole:\n", tc->name);
        CHECK_EQ_STR(log.text, tc->expected);
        CHECK(sound);

        sound = run_case(tc, in, len, FEED_BYTEWISE, 0, &other);
        if (strcmp(other.text, log.text) != 0)
            fprintf(stderr, "case \"%s\", byte by byte:\n", tc->name);
        CHECK_EQ_STR(other.text, log.text);
        CHECK(sound);

        bool all_splits_agree = true;
        for (size_t split = 0; split <= len && all_splits_agree; split++) {
            sound = run_case(tc, in, len, FEED_SPLIT, split, &other);
            if (strcmp(other.text, log.text) != 0 || !sound) {
                fprintf(stderr, "case \"%s\", split at %zu:\n", tc->name, split);
                CHECK_EQ_STR(other.text, log.text);
                all_splits_agree = false;
            }
        }
        CHECK(all_splits_agree);
    }
}

/* ------------------------------------------------------------------------ */
/* Stream: memory, skipping, ending                                          */

static void test_big_publish_costs_nothing(void)
{
    /* 2 MB = 0x200000: Remaining Length 80 80 80 01 */
    const uint32_t body_len = 2u * 1024u * 1024u;
    const uint8_t header[] = {0x30, 0x80, 0x80, 0x80, 0x01};
    const size_t piece = 4096;
    uint8_t *chunk = calloc(piece, 1);
    CHECK(chunk != NULL);
    if (chunk == NULL)
        return;

    mqtt_stream s;
    event_log log;
    mqtt_stream_init(&s, 64);
    log_init(&log, &s, 4);
    mqtt_stream_push(&s, 4, header, sizeof header, &callbacks, &log);
    for (uint32_t sent = 0; sent < body_len; sent += (uint32_t)piece) {
        mqtt_stream_push(&s, 4, chunk, piece, &callbacks, &log);
        if (s.keep != NULL)
            break;
    }
    CHECK(s.keep == NULL);
    CHECK_EQ_INT(s.keep_cap, 0);
    CHECK_EQ_INT(log.packets, 1);
    CHECK_EQ_STR(log.text, "pkt PUBLISH rl=2097152 off=0 hl=5;");
    CHECK_EQ_INT(s.offset, sizeof header + body_len);

    /* A CONNECT declaring the largest length allocates max_keep, no more. */
    const uint8_t huge_connect[] = {0x10, 0xff, 0xff, 0xff, 0x7f};
    mqtt_stream_push(&s, 4, huge_connect, sizeof huge_connect, &callbacks, &log);
    for (int i = 0; i < 16; i++)
        mqtt_stream_push(&s, 4, chunk, piece, &callbacks, &log);
    CHECK(s.keep != NULL);
    CHECK_EQ_INT(s.keep_cap, 64);
    CHECK_EQ_INT(s.keep_len, 64);
    CHECK_EQ_INT(log.packets, 1);
    mqtt_stream_end(&s, &callbacks, &log);
    CHECK_EQ_STR(log.text, "pkt PUBLISH rl=2097152 off=0 hl=5;"
                           "mal TRUNCATED first=10 at=2162698;");
    mqtt_stream_free(&s);
    CHECK(s.keep == NULL);
    free(chunk);
}

static void test_keep_allocation_failure(void)
{
    /* No allocator can give this many bytes: the body goes undelivered. */
    const size_t impossible = SIZE_MAX / 2;
    const uint8_t connect[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                               0x04, 0x02, 0x00, 0x05, 0x00, 0x00, 0xe0, 0x00};
    mqtt_stream s;
    event_log log;
    mqtt_stream_init(&s, impossible);
    log_init(&log, &s, 4);
    mqtt_stream_push(&s, 4, connect, sizeof connect, &callbacks, &log);
    CHECK(s.keep_failed);
    CHECK(s.keep == NULL);
    CHECK_EQ_STR(log.text, "pkt CONNECT rl=12 off=0 body=0 cut [inval];"
                           "pkt DISCONNECT rl=0 off=14 body=0 [rc=-1 n=0 ok];");
    mqtt_stream_free(&s);
}

static void test_skip(void)
{
    const uint8_t bytes[] = {0xc0, 0x00, 0xd0, 0x00};
    mqtt_stream s;
    event_log log;

    /* Lost bytes: nothing more is decoded, and the cut is not reported. */
    mqtt_stream_init(&s, 64);
    log_init(&log, &s, 4);
    mqtt_stream_push(&s, 4, bytes, 3, &callbacks, &log);
    mqtt_stream_skip(&s);
    mqtt_stream_push(&s, 4, bytes, sizeof bytes, &callbacks, &log);
    mqtt_stream_end(&s, &callbacks, &log);
    CHECK_EQ_STR(log.text, "pkt PINGREQ rl=0 off=0;");
    CHECK_EQ_INT(s.offset, 3 + sizeof bytes);
    mqtt_stream_free(&s);

    /* A callback may give up on the stream in the middle of a push. */
    mqtt_stream_init(&s, 64);
    log_init(&log, &s, 4);
    log.skip_after_first_packet = true;
    mqtt_stream_push(&s, 4, bytes, sizeof bytes, &callbacks, &log);
    CHECK_EQ_STR(log.text, "pkt PINGREQ rl=0 off=0;");
    CHECK_EQ_INT(s.offset, sizeof bytes);
    mqtt_stream_free(&s);

    /* init starts over after a fatal malformation */
    const uint8_t too_long[] = {0xc0, 0xff, 0xff, 0xff, 0xff};
    mqtt_stream_init(&s, 64);
    log_init(&log, &s, 4);
    mqtt_stream_push(&s, 4, too_long, sizeof too_long, &callbacks, &log);
    mqtt_stream_free(&s);
    mqtt_stream_init(&s, 64);
    log.stream = &s;
    mqtt_stream_push(&s, 4, bytes, 2, &callbacks, &log);
    CHECK_EQ_STR(log.text, "mal LENGTH_TOO_LONG fatal first=c0 at=5;pkt PINGREQ rl=0 off=0;");
    mqtt_stream_free(&s);

    /* restart resumes a stream that gave up, and one stopped mid-packet, at
     * the boundary the caller proved */
    mqtt_stream_init(&s, 64);
    log_init(&log, &s, 4);
    mqtt_stream_push(&s, 4, too_long, sizeof too_long, &callbacks, &log);
    mqtt_stream_push(&s, 4, bytes, 2, &callbacks, &log); /* skipped */
    mqtt_stream_restart(&s);
    mqtt_stream_push(&s, 4, bytes, 2, &callbacks, &log);
    const uint8_t connect_head[] = {0x10, 0x20, 0x00};
    mqtt_stream_push(&s, 4, connect_head, sizeof connect_head, &callbacks, &log);
    mqtt_stream_restart(&s);
    mqtt_stream_push(&s, 4, bytes, 2, &callbacks, &log);
    CHECK_EQ_STR(log.text, "mal LENGTH_TOO_LONG fatal first=c0 at=5;pkt PINGREQ rl=0 off=7;"
                           "pkt PINGREQ rl=0 off=12;");
    mqtt_stream_free(&s);
}

static void test_end(void)
{
    const uint8_t half_ping[] = {0xc0};
    mqtt_stream s;
    event_log log;
    mqtt_stream_init(&s, 64);
    log_init(&log, &s, 4);
    mqtt_stream_end(&s, &callbacks, &log); /* between packets: nothing to say */
    mqtt_stream_push(&s, 4, half_ping, sizeof half_ping, &callbacks, &log);
    mqtt_stream_end(&s, &callbacks, &log);
    mqtt_stream_end(&s, &callbacks, &log); /* said once */
    CHECK_EQ_STR(log.text, "mal TRUNCATED first=c0 at=1;");

    /* callbacks are optional */
    mqtt_stream_push(&s, 4, half_ping, sizeof half_ping, NULL, NULL);
    mqtt_stream_end(&s, NULL, NULL);
    const mqtt_stream_callbacks none = {NULL, NULL};
    const uint8_t ping[] = {0xc1, 0x00};
    mqtt_stream_push(&s, 4, ping, sizeof ping, &none, NULL);
    CHECK_EQ_INT(s.offset, 4);
    CHECK_EQ_INT(s.hdr_have, 0);
    mqtt_stream_free(&s);
    mqtt_stream_free(&s); /* free leaves nothing to free twice */
}

static void test_malformation_names(void)
{
    for (int m = 0; m < MQTT_M_COUNT; m++) {
        const char *name = mqtt_malformation_name((mqtt_malformation)m);
        CHECK(name != NULL && name[0] != '\0');
        for (int other = 0; other < m; other++)
            CHECK(strcmp(name, mqtt_malformation_name((mqtt_malformation)other)) != 0);
    }
    CHECK(mqtt_malformation_name(MQTT_M_COUNT) != NULL);
}

/* ------------------------------------------------------------------------ */
/* mqtt_varint and mqtt_looks_like_connect                                   */

static void test_varint(void)
{
    static const struct {
        const char *hex;
        int result;
        uint32_t value;
        size_t used;
    } cases[] = {
        {"00", 1, 0, 1},
        {"7f", 1, 127, 1},
        {"80 01", 1, 128, 2},
        {"ff 7f", 1, 16383, 2},
        {"80 80 01", 1, 16384, 3},
        {"ff ff 7f", 1, 2097151, 3},
        {"80 80 80 01", 1, 2097152, 4},
        {"ff ff ff 7f", 1, MQTT_MAX_REMAINING_LENGTH, 4},
        {"05 ff", 1, 5, 1},
        {"80 00", 1, 0, 2},
        {"", 0, 0, 0},
        {"80", 0, 0, 0},
        {"ff ff ff", 0, 0, 0},
        {"ff ff ff ff", -1, 0, 0},
        {"ff ff ff ff 01", -1, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t in[8];
        size_t len = parse_hex(cases[i].hex, in, sizeof in);
        unsigned char *exact = th_exact_copy(in, len);
        uint32_t value = 0xdeadbeef;
        size_t used = 99;
        int r = mqtt_varint(exact, len, &value, &used);
        CHECK_EQ_INT(r, cases[i].result);
        CHECK_EQ_INT(value, r == 1 ? cases[i].value : 0xdeadbeef);
        CHECK_EQ_INT(used, r == 1 ? cases[i].used : 99);
        free(exact);
    }
    uint32_t value = 7;
    size_t used = 7;
    CHECK_EQ_INT(mqtt_varint(NULL, 0, &value, &used), 0);
    CHECK_EQ_INT(value, 7);
}

/* Checks every prefix of `hex`: -1 up to `decided_at` bytes, then `verdict`. */
static void check_looks_like_connect(const char *hex, size_t decided_at, int verdict)
{
    uint8_t in[32];
    size_t len = parse_hex(hex, in, sizeof in);
    for (size_t k = 0; k <= len; k++) {
        unsigned char *exact = th_exact_copy(in, k);
        int r = mqtt_looks_like_connect(exact, k);
        int expected = k < decided_at ? -1 : verdict;
        if (r != expected)
            fprintf(stderr, "looks_like_connect \"%s\", %zu bytes:\n", hex, k);
        CHECK_EQ_INT(r, expected);
        free(exact);
    }
}

static void test_looks_like_connect(void)
{
    check_looks_like_connect("10 0c 00 04 'MQTT' 04 02 00 05 00 00", 8, 1);
    check_looks_like_connect("10 12 00 06 'MQIsdp' 03 02 00 3c", 10, 1);
    check_looks_like_connect("10 ff ff ff 7f 00 06 'MQIsdp'", 13, 1);
    check_looks_like_connect("10 80 01 00 04 'MQTT'", 9, 1);
    check_looks_like_connect("30 0c 00 04 'MQTT'", 1, 0);
    check_looks_like_connect("'GET / HTTP/1.1'", 1, 0);
    check_looks_like_connect("10 ff ff ff ff 7f", 5, 0);
    check_looks_like_connect("10 0c 01 04", 3, 0);
    check_looks_like_connect("10 0c 00 05", 4, 0);
    check_looks_like_connect("10 0c 00 04 'MQTX'", 8, 0);
    check_looks_like_connect("10 0c 00 06 'MQIsdp'", 4, 0); /* 12 bytes cannot hold MQIsdp + 4 */
    check_looks_like_connect("10 0e 00 06 'MQIsdP'", 10, 0);
    check_looks_like_connect("10 09 00 04 'MQTT'", 2, 0); /* too short for any CONNECT */
}

/* ------------------------------------------------------------------------ */
/* Body parsers                                                              */

typedef struct connect_body {
    const char *hex;
    size_t keepalive_end; /* shorter bodies are INVALID */
    uint16_t keepalive;
    uint8_t level;
    const char *client_id;
} connect_body;

static const connect_body connect_bodies[] = {
    {"00 04 'MQTT' 04 02 00 05 00 00", 10, 5, 4, ""},
    {"00 06 'MQIsdp' 03 02 00 3c 00 04 'paho'", 12, 60, 3, "paho"},
    {"00 04 'MQTT' 05 02 00 1e 22 11 00 00 0e 10 21 00 14 27 00 00 10 00 17 01"
     " 26 00 01 'k' 00 01 'v' 15 00 04 'SCRM' 16 00 02 01 02 00 03 'cid'",
     10, 30, 5, "cid"},
    {"00 04 'MQTT' 05 c2 ff ff 00 00 05 'alice'", 10, 65535, 5, "alice"},
};

static void test_parse_connect_prefixes(void)
{
    for (size_t i = 0; i < sizeof connect_bodies / sizeof connect_bodies[0]; i++) {
        const connect_body *cb = &connect_bodies[i];
        uint8_t in[128];
        size_t len = parse_hex(cb->hex, in, sizeof in);
        for (size_t k = 0; k <= len; k++) {
            unsigned char *exact = th_exact_copy(in, k);
            mqtt_connect c;
            memset(&c, 0x5a, sizeof c);
            mqtt_parse_result r = mqtt_parse_connect(exact, k, &c);
            mqtt_parse_result expected = k < cb->keepalive_end ? MQTT_PARSE_INVALID
                                         : k < len             ? MQTT_PARSE_TRUNCATED
                                                               : MQTT_PARSE_OK;
            if (r != expected)
                fprintf(stderr, "CONNECT body %zu, prefix %zu:\n", i, k);
            CHECK_EQ_INT(r, expected);
            if (r == MQTT_PARSE_INVALID) {
                CHECK_EQ_INT(c.keepalive, 0x5a5a); /* untouched */
            } else {
                CHECK_EQ_INT(c.keepalive, cb->keepalive);
                CHECK_EQ_INT(c.level, cb->level);
                CHECK(c.protocol_valid);
                CHECK(!c.server_keepalive_property);
            }
            if (r == MQTT_PARSE_OK) {
                CHECK(c.has_client_id);
                CHECK_EQ_STR(c.client_id, cb->client_id);
            }
            free(exact);
        }
    }
    mqtt_connect c;
    CHECK_EQ_INT(mqtt_parse_connect(NULL, 0, &c), MQTT_PARSE_INVALID);
}

static mqtt_parse_result parse_connect_hex(const char *hex, mqtt_connect *c)
{
    uint8_t in[256];
    size_t len = parse_hex(hex, in, sizeof in);
    unsigned char *exact = th_exact_copy(in, len);
    memset(c, 0, sizeof *c);
    mqtt_parse_result r = mqtt_parse_connect(exact, len, c);
    free(exact);
    return r;
}

static void test_parse_connect_fields(void)
{
    mqtt_connect c;

    /* connect_protocol_invalid: name and level must agree */
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 03 02 00 05 00 00", &c), MQTT_PARSE_OK);
    CHECK(!c.protocol_valid);
    CHECK_EQ_INT(parse_connect_hex("00 06 'MQIsdp' 04 02 00 05 00 00", &c), MQTT_PARSE_OK);
    CHECK(!c.protocol_valid);
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 06 02 00 05 00 00", &c), MQTT_PARSE_OK);
    CHECK(!c.protocol_valid);
    CHECK_EQ_INT(parse_connect_hex("00 04 'mqtt' 04 02 00 05 00 00", &c), MQTT_PARSE_OK);
    CHECK(!c.protocol_valid);
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 04 01 00 05 00 00", &c), MQTT_PARSE_OK);
    CHECK(c.protocol_valid);
    CHECK(c.reserved_flag_set);

    /* a long, unprintable protocol name is copied short and safe */
    CHECK_EQ_INT(parse_connect_hex("00 0a 'ABC' 0a 'DEFGHI' 04 02 00 05 00 00", &c),
                 MQTT_PARSE_OK);
    CHECK_EQ_STR(c.protocol_name, "ABC?DEF");
    CHECK_EQ_INT(c.protocol_name_len, 10);
    CHECK_EQ_INT(c.keepalive, 5);

    /* client ids: 47 bytes fit whole, 48 become 44 + "..." */
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 04 02 00 05 00 2f 62*47", &c), MQTT_PARSE_OK);
    CHECK_EQ_INT(strlen(c.client_id), 47);
    CHECK_EQ_INT(c.client_id_len, 47);
    CHECK(c.client_id[46] == 'b');
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 04 02 00 05 00 30 62*48", &c), MQTT_PARSE_OK);
    CHECK_EQ_STR(c.client_id, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...");
    CHECK_EQ_INT(c.client_id_len, 48);
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 04 02 00 05 ff ff 62*200", &c),
                 MQTT_PARSE_TRUNCATED);
    CHECK_EQ_INT(c.client_id_len, 65535);
    CHECK_EQ_STR(c.client_id, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...");
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 04 02 00 05 00 05 'a' 00 1b 7f 'z'", &c),
                 MQTT_PARSE_OK);
    CHECK_EQ_STR(c.client_id, "a???z");
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 04 02 00 05 00 05 'ab'", &c),
                 MQTT_PARSE_TRUNCATED);
    CHECK(c.has_client_id);
    CHECK_EQ_STR(c.client_id, "ab...");
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 04 02 00 05 00", &c), MQTT_PARSE_TRUNCATED);
    CHECK(!c.has_client_id);
    CHECK_EQ_STR(c.client_id, "");

    /* 5.0 properties: Server Keep Alive is recorded as a violation */
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 05 02 00 3c 03 13 00 0a 00 01 'x'", &c),
                 MQTT_PARSE_OK);
    CHECK(c.server_keepalive_property);
    CHECK_EQ_STR(c.client_id, "x");
    /* an unknown property: INVALID, but the keepalive was read */
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 05 02 00 3c 02 7f 00 00 00", &c),
                 MQTT_PARSE_INVALID);
    CHECK_EQ_INT(c.keepalive, 60);
    CHECK(!c.has_client_id);
    /* a property overrunning the Property Length */
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 05 02 00 3c 02 21 00 14 00 00", &c),
                 MQTT_PARSE_INVALID);
    /* a Property Length over 4 bytes */
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 05 02 00 3c ff ff ff ff 01", &c),
                 MQTT_PARSE_INVALID);
    /* a Property Length beyond the body: the cap cut it */
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 05 02 00 3c 40 21 00 14", &c),
                 MQTT_PARSE_TRUNCATED);
    /* the 3.1.1 layout has no properties even when a byte looks like one */
    CHECK_EQ_INT(parse_connect_hex("00 04 'MQTT' 04 02 00 3c 00 03 'abc'", &c), MQTT_PARSE_OK);
    CHECK_EQ_STR(c.client_id, "abc");
}

/* The 5.0 §2.2.2.2 table, written out again independently of the decoder:
 * a value for each identifier, by its type. */
static const struct {
    uint8_t id;
    const char *value_hex;
} property_samples[] = {
    {0x01, "01"},          {0x02, "00 00 00 3c"}, {0x03, "00 01 't'"},
    {0x08, "00 01 't'"},   {0x09, "00 02 01 02"}, {0x0B, "ff ff ff 7f"},
    {0x11, "00 00 0e 10"}, {0x12, "00 01 'c'"},   {0x13, "00 2a"},
    {0x15, "00 01 'm'"},   {0x16, "00 00"},       {0x17, "01"},
    {0x18, "00 00 00 05"}, {0x19, "01"},          {0x1A, "00 01 'r'"},
    {0x1C, "00 01 's'"},   {0x1F, "00 02 'ok'"},  {0x21, "00 0a"},
    {0x22, "00 0a"},       {0x23, "00 01"},       {0x24, "01"},
    {0x25, "01"},          {0x26, "00 01 'k' 00 01 'v'"}, {0x27, "00 01 00 00"},
    {0x28, "01"},          {0x29, "01"},          {0x2A, "01"},
};

static bool is_sampled_property(unsigned id)
{
    for (size_t i = 0; i < sizeof property_samples / sizeof property_samples[0]; i++)
        if (property_samples[i].id == id)
            return true;
    return false;
}

static void test_property_table(void)
{
    /* All known properties in one CONNACK, then each one alone in every prefix. */
    uint8_t props[256];
    size_t props_len = 0;
    for (size_t i = 0; i < sizeof property_samples / sizeof property_samples[0]; i++) {
        props[props_len++] = property_samples[i].id;
        props_len += parse_hex(property_samples[i].value_hex, props + props_len,
                               sizeof props - props_len);
    }
    CHECK(props_len < 128); /* one-byte Property Length below */
    uint8_t body[260] = {0x00, 0x00, (uint8_t)props_len};
    memcpy(body + 3, props, props_len);
    unsigned char *exact = th_exact_copy(body, 3 + props_len);
    mqtt_connack ack;
    CHECK_EQ_INT(mqtt_parse_connack(exact, 3 + props_len, 5, &ack), MQTT_PARSE_OK);
    CHECK_EQ_INT(ack.server_keepalive, 42);
    CHECK_EQ_INT(ack.server_keepalive_count, 1);
    free(exact);

    for (size_t i = 0; i < sizeof property_samples / sizeof property_samples[0]; i++) {
        uint8_t one[16] = {0x00, 0x00, 0x00, property_samples[i].id};
        size_t value_len = parse_hex(property_samples[i].value_hex, one + 4, sizeof one - 4);
        one[2] = (uint8_t)(1 + value_len);
        size_t len = 4 + value_len;
        for (size_t k = 2; k <= len; k++) {
            exact = th_exact_copy(one, k);
            mqtt_parse_result r = mqtt_parse_connack(exact, k, 5, &ack);
            CHECK_EQ_INT(r, k < len ? MQTT_PARSE_TRUNCATED : MQTT_PARSE_OK);
            free(exact);
        }
    }

    /* Every other one-byte identifier is unknown: INVALID. */
    for (unsigned id = 0; id < 0x100; id++) {
        if (is_sampled_property(id))
            continue;
        uint8_t unknown[] = {0x00, 0x00, 0x03, (uint8_t)id, 0x00, 0x00};
        exact = th_exact_copy(unknown, sizeof unknown);
        mqtt_parse_result r = mqtt_parse_connack(exact, sizeof unknown, 5, &ack);
        if (r != MQTT_PARSE_INVALID)
            fprintf(stderr, "property id 0x%02x:\n", id);
        CHECK_EQ_INT(r, MQTT_PARSE_INVALID);
        free(exact);
    }

    /* A Subscription Identifier over 4 bytes is invalid, even when cut. */
    const uint8_t long_varint[] = {0x00, 0x00, 0x06, 0x0b, 0xff, 0xff, 0xff, 0xff};
    exact = th_exact_copy(long_varint, sizeof long_varint);
    CHECK_EQ_INT(mqtt_parse_connack(exact, sizeof long_varint, 5, &ack), MQTT_PARSE_INVALID);
    free(exact);
}

static void test_parse_connack(void)
{
    static const struct {
        const char *hex;
        uint8_t level;
        mqtt_parse_result result;
        int code;          /* -1: out left untouched */
        int server_keepalive;
        unsigned count;
    } cases[] = {
        {"00 00", 4, MQTT_PARSE_OK, 0, -1, 0},
        {"01 02", 4, MQTT_PARSE_OK, 2, -1, 0},
        {"00 05", 3, MQTT_PARSE_OK, 5, -1, 0},
        {"00", 4, MQTT_PARSE_INVALID, -1, 0, 0},
        {"", 5, MQTT_PARSE_INVALID, -1, 0, 0},
        {"00 00 00", 5, MQTT_PARSE_OK, 0, -1, 0},
        {"00 00", 5, MQTT_PARSE_TRUNCATED, 0, -1, 0}, /* 3.x answer to a 5.0 CONNECT */
        {"00 87 03 13 00 00", 5, MQTT_PARSE_OK, 0x87, 0, 1},
        {"00 00 06 13 00 14 13 00 1e", 5, MQTT_PARSE_OK, 0, 20, 2},
        {"00 00 05 7f 00 13 00 14", 5, MQTT_PARSE_INVALID, 0, -1, 0},
        {"00 00 05 13 00 14 7f 00", 5, MQTT_PARSE_INVALID, 0, 20, 1},
        {"00 00 02 13 00 14", 5, MQTT_PARSE_INVALID, 0, -1, 0}, /* overruns its length */
        /* the level unknown: a body longer than 3.x allows is read as 5.0 */
        {"00 00", 0, MQTT_PARSE_OK, 0, -1, 0},
        {"00 00 03 13 00 0f", 0, MQTT_PARSE_OK, 0, 15, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t in[32];
        size_t len = parse_hex(cases[i].hex, in, sizeof in);
        unsigned char *exact = th_exact_copy(in, len);
        mqtt_connack ack = {.flags = 0xee, .code = 0xee, .server_keepalive = -7,
                            .server_keepalive_count = 7};
        mqtt_parse_result r = mqtt_parse_connack(exact, len, cases[i].level, &ack);
        if (r != cases[i].result)
            fprintf(stderr, "CONNACK case %zu:\n", i);
        CHECK_EQ_INT(r, cases[i].result);
        if (cases[i].code < 0) {
            CHECK_EQ_INT(ack.code, 0xee);
            CHECK_EQ_INT(ack.server_keepalive, -7);
        } else {
            CHECK_EQ_INT(ack.code, cases[i].code);
            CHECK_EQ_INT(ack.server_keepalive, cases[i].server_keepalive);
            CHECK_EQ_INT(ack.server_keepalive_count, cases[i].count);
        }
        free(exact);
    }

    /* every prefix of a CONNACK with properties before Server Keep Alive */
    uint8_t in[32];
    size_t len = parse_hex("00 00 0d 22 00 0a 1f 00 02 'ok' 24 01 13 00 14", in, sizeof in);
    for (size_t k = 0; k <= len; k++) {
        unsigned char *exact = th_exact_copy(in, k);
        mqtt_connack ack;
        mqtt_parse_result r = mqtt_parse_connack(exact, k, 5, &ack);
        CHECK_EQ_INT(r, k < 2 ? MQTT_PARSE_INVALID
                        : k < len ? MQTT_PARSE_TRUNCATED
                                  : MQTT_PARSE_OK);
        if (k >= 2)
            CHECK_EQ_INT(ack.server_keepalive, k == len ? 20 : -1);
        free(exact);
    }
}

static void test_parse_disconnect(void)
{
    static const struct {
        const char *hex;
        uint8_t level;
        mqtt_parse_result result;
        int reason_code;
        unsigned count;
    } cases[] = {
        {"", 4, MQTT_PARSE_OK, -1, 0},
        {"", 3, MQTT_PARSE_OK, -1, 0},
        {"", 0, MQTT_PARSE_OK, -1, 0},
        {"", 5, MQTT_PARSE_OK, 0x00, 0},
        {"8d", 5, MQTT_PARSE_OK, 0x8d, 0},
        {"8d 00", 5, MQTT_PARSE_OK, 0x8d, 0},
        {"8d", 0, MQTT_PARSE_OK, 0x8d, 0}, /* only 5.0 has a body */
        {"04 03 13 00 05", 5, MQTT_PARSE_OK, 0x04, 1},
        {"04 04 0b 81 01 17", 5, MQTT_PARSE_INVALID, 0x04, 0},
        {"04 03 0b 81 01", 5, MQTT_PARSE_OK, 0x04, 0},
        {"8d 02 99 00", 5, MQTT_PARSE_INVALID, 0x8d, 0},
        {"8d 10 1f 00", 5, MQTT_PARSE_TRUNCATED, 0x8d, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t in[32];
        size_t len = parse_hex(cases[i].hex, in, sizeof in);
        unsigned char *exact = th_exact_copy(in, len);
        mqtt_disconnect d = {.reason_code = -7, .server_keepalive_count = 7};
        mqtt_parse_result r = mqtt_parse_disconnect(exact, len, cases[i].level, &d);
        if (r != cases[i].result)
            fprintf(stderr, "DISCONNECT case %zu:\n", i);
        CHECK_EQ_INT(r, cases[i].result);
        CHECK_EQ_INT(d.reason_code, cases[i].reason_code);
        CHECK_EQ_INT(d.server_keepalive_count, cases[i].count);
        free(exact);
    }
    mqtt_disconnect d;
    CHECK_EQ_INT(mqtt_parse_disconnect(NULL, 0, 5, &d), MQTT_PARSE_OK);
    CHECK_EQ_INT(d.reason_code, 0);

    /* every prefix: the reason code survives a cut in the properties */
    uint8_t in[32];
    size_t len = parse_hex("8d 08 1f 00 02 'ka' 13 00 05", in, sizeof in);
    for (size_t k = 0; k <= len; k++) {
        unsigned char *exact = th_exact_copy(in, k);
        mqtt_parse_result r = mqtt_parse_disconnect(exact, k, 5, &d);
        CHECK_EQ_INT(r, (k < 2 || k == len) ? MQTT_PARSE_OK : MQTT_PARSE_TRUNCATED);
        CHECK_EQ_INT(d.reason_code, k == 0 ? 0 : 0x8d);
        CHECK_EQ_INT(d.server_keepalive_count, k == len ? 1 : 0);
        free(exact);
    }
}

int main(void)
{
    test_stream_cases();
    test_big_publish_costs_nothing();
    test_keep_allocation_failure();
    test_skip();
    test_end();
    test_malformation_names();
    test_varint();
    test_looks_like_connect();
    test_parse_connect_prefixes();
    test_parse_connect_fields();
    test_property_table();
    test_parse_connack();
    test_parse_disconnect();
    return th_report();
}
