/*
 * fuzz_mqtt_decoder.c - the MQTT stream splitter and the body parsers
 * (core/mqtt_decoder.h).
 *
 * Input: one byte of settings, then one direction's MQTT byte stream.
 *   settings bits 0-1: the protocol level known for the connection
 *                      (0 unknown, 3, 4, 5)
 *   settings bits 2-7: max_keep, the body bytes kept for decoding, in
 *                      steps of 17 (0..1071; the default is 1024)
 *
 * The stream is split into packets twice, whole and in chunks of sizes
 * drawn from the input: both logs must be equal. Every kept body goes
 * through the parser of its type, and the whole stream goes through every
 * parser too, as a body of any length; each parse must end without reading
 * past its buffer and with NUL-terminated strings.
 */
#include <string.h>

#include "fuzz_target.h"
#include "mqtt_decoder.h"

typedef struct run {
    fuzz_hash log;
    uint8_t level;
    size_t max_keep;
    uint64_t next_offset; /* where the next packet must start */
    bool skipping;        /* a fatal malformation was reported */
    bool type_zero_skipped; /* a type 0 packet was skipped by its length
                               since the last packet: the next starts later */
} run;

static void check_str(const char *s, size_t size)
{
    FUZZ_ASSERT(memchr(s, '\0', size) != NULL);
}

static void parse_all(const uint8_t *body, size_t len, uint8_t level)
{
    uint8_t *copy = fuzz_exact_copy(body, len);

    mqtt_connect c;
    memset(&c, 0xAA, sizeof c); /* out-parameters must not depend on prior contents */
    mqtt_parse_result r = mqtt_parse_connect(copy, len, &c);
    FUZZ_ASSERT(r == MQTT_PARSE_OK || r == MQTT_PARSE_TRUNCATED || r == MQTT_PARSE_INVALID);
    if (r != MQTT_PARSE_INVALID) {
        check_str(c.protocol_name, sizeof c.protocol_name);
        check_str(c.client_id, sizeof c.client_id);
    }

    mqtt_connack k;
    r = mqtt_parse_connack(copy, len, level, &k);
    FUZZ_ASSERT(r == MQTT_PARSE_OK || r == MQTT_PARSE_TRUNCATED || r == MQTT_PARSE_INVALID);
    if (r == MQTT_PARSE_OK)
        FUZZ_ASSERT(k.server_keepalive >= -1 && k.server_keepalive <= 65535);

    mqtt_disconnect d;
    r = mqtt_parse_disconnect(copy, len, level, &d);
    FUZZ_ASSERT(r == MQTT_PARSE_OK || r == MQTT_PARSE_TRUNCATED || r == MQTT_PARSE_INVALID);
    if (r == MQTT_PARSE_OK)
        FUZZ_ASSERT(d.reason_code >= -1 && d.reason_code <= 255);

    uint32_t value = 0;
    size_t used = 0;
    if (mqtt_varint(copy, len, &value, &used) == 1)
        FUZZ_ASSERT(used >= 1 && used <= 4 && used <= len && value <= MQTT_MAX_REMAINING_LENGTH);

    int looks = mqtt_looks_like_connect(copy, len);
    FUZZ_ASSERT(looks >= -1 && looks <= 1);
    /* At most 13 bytes ever decide. */
    if (len >= 13)
        FUZZ_ASSERT(looks != -1);
    free(copy);
}

static void on_packet(void *ctx, const mqtt_packet_view *p)
{
    run *r = ctx;
    FUZZ_ASSERT(!r->skipping);
    FUZZ_ASSERT(p->type >= 1 && p->type <= 15);
    FUZZ_ASSERT(p->header_len >= 2 && p->header_len <= 5);
    FUZZ_ASSERT(p->remaining_length <= MQTT_MAX_REMAINING_LENGTH);
    if (r->type_zero_skipped)
        FUZZ_ASSERT(p->stream_offset > r->next_offset);
    else
        FUZZ_ASSERT(p->stream_offset == r->next_offset);
    r->type_zero_skipped = false;
    FUZZ_ASSERT(p->body_len <= p->remaining_length);
    FUZZ_ASSERT(p->body_len <= r->max_keep);
    bool kept = p->type == 1 || p->type == 2 || p->type == 14 || p->type == 15;
    if (kept)
        FUZZ_ASSERT(p->body_truncated == (p->body_len < p->remaining_length));
    else
        FUZZ_ASSERT(!p->body_truncated && p->body == NULL && p->body_len == 0);
    FUZZ_ASSERT(p->body_len == 0 || p->body != NULL);
    r->next_offset = p->stream_offset + p->header_len + p->remaining_length;

    fuzz_hash_u64(&r->log, 'P');
    fuzz_hash_u64(&r->log, (uint64_t)p->type << 4 | p->flags);
    fuzz_hash_u64(&r->log, p->remaining_length);
    fuzz_hash_u64(&r->log, p->stream_offset);
    fuzz_hash_u64(&r->log, p->body_len);
    if (p->body_len)
        fuzz_hash_bytes(&r->log, p->body, p->body_len);

    if (p->body_len)
        parse_all(p->body, p->body_len, r->level);
}

static void on_malformed(void *ctx, mqtt_malformation m, bool fatal, uint8_t first_byte)
{
    run *r = ctx;
    FUZZ_ASSERT(m < MQTT_M_COUNT);
    FUZZ_ASSERT(strcmp(mqtt_malformation_name(m), "unknown malformation") != 0);
    if (fatal)
        r->skipping = true;
    else if (m == MQTT_M_TYPE_ZERO)
        r->type_zero_skipped = true;
    fuzz_hash_u64(&r->log, 'M');
    fuzz_hash_u64(&r->log, (uint64_t)m << 16 | (uint64_t)fatal << 8 | first_byte);
}

static const mqtt_stream_callbacks callbacks = {on_packet, on_malformed};

static const uint8_t levels[4] = {0, 3, 4, 5};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t level = levels[data[0] & 3];
    size_t max_keep = (size_t)(data[0] >> 2) * 17;
    const uint8_t *stream = data + 1;
    size_t len = size - 1;

    mqtt_stream whole;
    run a = {{0}, level, max_keep, 0, false, false};
    fuzz_hash_init(&a.log);
    mqtt_stream_init(&whole, max_keep);
    uint8_t *copy = fuzz_exact_copy(stream, len);
    mqtt_stream_push(&whole, level, copy, len, &callbacks, &a);
    free(copy);
    mqtt_stream_end(&whole, &callbacks, &a);

    mqtt_stream split;
    run b = {{0}, level, max_keep, 0, false, false};
    fuzz_hash_init(&b.log);
    mqtt_stream_init(&split, max_keep);
    fuzz_rng rng = fuzz_rng_make(data, size);
    for (size_t done = 0; done < len;) {
        size_t n = fuzz_chunk(&rng, len - done);
        uint8_t *piece = fuzz_exact_copy(stream + done, n);
        mqtt_stream_push(&split, level, piece, n, &callbacks, &b);
        free(piece);
        done += n;
    }
    mqtt_stream_end(&split, &callbacks, &b);

    FUZZ_ASSERT(a.log.h == b.log.h);
    FUZZ_ASSERT(whole.offset == len && split.offset == len);
    FUZZ_ASSERT(whole.keep_cap <= max_keep);
    mqtt_stream_free(&whole);
    mqtt_stream_free(&split);

    parse_all(stream, len, level);
    return 0;
}
