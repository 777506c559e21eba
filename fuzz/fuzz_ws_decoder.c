/*
 * fuzz_ws_decoder.c - the streaming WebSocket frame decoder (core/ws_decoder.h).
 *
 * Input: one byte of settings, then the bytes of one direction of a
 * WebSocket connection (what follows the 101 answer).
 *   settings bit 0: client side (frames must be masked)
 *   settings bit 1: permessage-deflate negotiated (RSV1 allowed)
 *
 * The stream is decoded twice: whole, then in chunks of sizes drawn from the
 * input. Both event logs must be equal (the decoder may be pushed any split
 * of the stream), and every callback's arguments must keep the decoder's
 * promises: a header of 2..14 bytes, control payloads of at most 125
 * bytes, data never beyond the declared length.
 */
#include <string.h>

#include "fuzz_target.h"
#include "ws_decoder.h"

typedef struct run {
    fuzz_hash log;
    uint64_t data_in_frame;   /* data bytes seen in the current frame */
    bool header_seen;         /* a frame header came and its end did not yet */
} run;

static void check_header(const ws_frame_header *h)
{
    FUZZ_ASSERT(h->header_len >= 2 && h->header_len <= 14);
    FUZZ_ASSERT(h->opcode <= 0xF && h->rsv <= 7);
}

static void on_frame_header(void *ctx, const ws_frame_header *h)
{
    run *r = ctx;
    check_header(h);
    FUZZ_ASSERT(!r->header_seen);
    r->header_seen = true;
    r->data_in_frame = 0;
    uint8_t tag = 'H';
    fuzz_hash_bytes(&r->log, &tag, 1);
    fuzz_hash_u64(&r->log, h->payload_len);
    fuzz_hash_u64(&r->log, (uint64_t)h->opcode << 8 | (uint64_t)h->rsv << 4 | h->fin << 1 | h->masked);
    fuzz_hash_bytes(&r->log, h->mask, sizeof h->mask);
}

static void on_data(void *ctx, uint8_t message_opcode, const ws_frame_header *h,
                    const uint8_t *bytes, size_t len)
{
    run *r = ctx;
    check_header(h);
    FUZZ_ASSERT(r->header_seen);
    FUZZ_ASSERT(len > 0);
    FUZZ_ASSERT(message_opcode == 0x1 || message_opcode == 0x2);
    FUZZ_ASSERT(len <= h->payload_len - r->data_in_frame);
    r->data_in_frame += len;
    /* The bytes, not the chunking: that may differ between the two runs. */
    fuzz_hash_bytes(&r->log, bytes, len);
}

static void on_control(void *ctx, const ws_frame_header *h, const uint8_t *payload, size_t len)
{
    run *r = ctx;
    check_header(h);
    FUZZ_ASSERT(len <= WS_CONTROL_MAX);
    FUZZ_ASSERT(len <= h->payload_len);
    FUZZ_ASSERT(len == h->payload_len || h->payload_len > WS_CONTROL_MAX);
    uint8_t tag = 'C';
    fuzz_hash_bytes(&r->log, &tag, 1);
    fuzz_hash_bytes(&r->log, payload, len);
}

static void on_frame_end(void *ctx, const ws_frame_header *h)
{
    run *r = ctx;
    check_header(h);
    FUZZ_ASSERT(r->header_seen);
    r->header_seen = false;
    uint8_t tag = 'E';
    fuzz_hash_bytes(&r->log, &tag, 1);
}

static void on_violation(void *ctx, ws_violation v, const ws_frame_header *h)
{
    run *r = ctx;
    FUZZ_ASSERT(v < WS_V_COUNT);
    FUZZ_ASSERT(h != NULL);
    FUZZ_ASSERT(strcmp(ws_violation_name(v), "unknown violation") != 0);
    uint8_t tag[2] = {'V', (uint8_t)v};
    fuzz_hash_bytes(&r->log, tag, sizeof tag);
}

/* data_unread is left out: every byte is unmasked and hashed here, and
 * fuzz_analyzer covers the skipping through the analyzer's own callback. */
static const ws_decoder_callbacks callbacks = {
    on_frame_header, on_data, on_control, on_frame_end, on_violation, NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool from_client = data[0] & 1, deflate = (data[0] & 2) != 0;
    const uint8_t *stream = data + 1;
    size_t len = size - 1;

    ws_decoder whole;
    run a = {{0}, 0, false};
    fuzz_hash_init(&a.log);
    ws_decoder_init(&whole, from_client, deflate);
    uint8_t *copy = fuzz_exact_copy(stream, len);
    ws_decoder_push(&whole, copy, len, &callbacks, &a);
    free(copy);

    ws_decoder split;
    run b = {{0}, 0, false};
    fuzz_hash_init(&b.log);
    ws_decoder_init(&split, from_client, deflate);
    fuzz_rng rng = fuzz_rng_make(data, size);
    for (size_t done = 0; done < len;) {
        size_t n = fuzz_chunk(&rng, len - done);
        uint8_t *piece = fuzz_exact_copy(stream + done, n);
        ws_decoder_push(&split, piece, n, &callbacks, &b);
        free(piece);
        done += n;
    }
    /* An empty push must change nothing. */
    ws_decoder_push(&split, NULL, 0, &callbacks, &b);

    FUZZ_ASSERT(a.log.h == b.log.h);
    FUZZ_ASSERT(whole.frames == split.frames);
    FUZZ_ASSERT(ws_decoder_mid_frame(&whole) == ws_decoder_mid_frame(&split));
    FUZZ_ASSERT(whole.hdr_have <= sizeof whole.hdr);
    FUZZ_ASSERT(!whole.in_payload || whole.payload_done < whole.cur.payload_len);
    /* The split control frame buffer exists only inside a control frame. */
    FUZZ_ASSERT(!split.control || (split.in_payload && (split.cur.opcode & 0x8)));
    ws_decoder_free(&whole);
    ws_decoder_free(&split);
    return 0;
}
