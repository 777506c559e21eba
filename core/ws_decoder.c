/*
 * ws_decoder.c - RFC 6455 §5 WebSocket framing, one direction, streamed.
 *
 * Implements §5.2 (base framing), §5.3 (client-to-server masking), §5.4
 * (fragmentation) and §5.5 (control frames), plus the RSV1 rule of RFC 7692
 * §6 (permessage-deflate sets RSV1 on the first frame of a message only).
 *
 *   byte 0: |FIN|RSV1|RSV2|RSV3| opcode (4) |
 *   byte 1: |MASK| payload len (7)          |
 *   then    16-bit length if len7 == 126, 64-bit length if len7 == 127
 *           (network byte order), then the 4-byte masking key if MASK,
 *           then the payload.
 *
 * Each rule is checked at the byte that decides it:
 *   byte 0        reserved opcode, RSV bits, fragmented control frame,
 *                 stray continuation, interrupted message
 *   byte 1        mask bit against the direction
 *   last length   non-minimal length, 64-bit length with its top bit set,
 *   byte          control frame longer than 125 bytes
 * Nothing is fatal: the declared length always says where the next frame
 * starts, so the decoder keeps going after reporting.
 *
 * While a violation is reported, the ws_frame_header passed along holds only
 * the fields decided so far; the others are zero.
 */
#include "ws_decoder.h"

#include <stdlib.h>
#include <string.h>

#include "byte_cursor.h"

/* Masked payload is unmasked through a stack buffer of this size: large
 * enough to keep the number of data callbacks per megabyte low, small enough
 * to keep the stack shallow when the decoder runs deep inside a front end. */
#define WS_UNMASK_CHUNK 256
/* With a consumer that says what it skips: short enough that little is
 * unmasked past an MQTT fixed header, long enough for small packets. */
#define WS_UNMASK_ASKED_CHUNK 64

#define WS_LEN7_EXT16 126 /* §5.2: the 16-bit extended length follows */
#define WS_LEN7_EXT64 127 /* §5.2: the 64-bit extended length follows */
#define WS_MASK_KEY_LEN 4

#define WS_BIT_FIN 0x80
#define WS_BIT_MASK 0x80
#define WS_RSV1 0x4
#define WS_RSV2_RSV3 0x3

/* What becomes of a frame's payload. */
typedef enum ws_payload_kind {
    WS_PAYLOAD_DATA,    /* text, binary, continuation: streamed to `data` */
    WS_PAYLOAD_CONTROL, /* close, ping, pong: collected for `control` */
    WS_PAYLOAD_SKIP,    /* reserved opcode: meaning unknown, skipped */
} ws_payload_kind;

static const ws_decoder_callbacks ws_no_callbacks = {0};

const char *ws_violation_name(ws_violation v)
{
    switch (v) {
    case WS_V_UNMASKED_CLIENT_FRAME:
        return "unmasked client frame";
    case WS_V_MASKED_SERVER_FRAME:
        return "masked server frame";
    case WS_V_RSV_WITHOUT_EXTENSION:
        return "RSV bit without a negotiated extension";
    case WS_V_RSV1_ON_CONTROL:
        return "RSV1 on a control frame";
    case WS_V_RSV1_ON_CONTINUATION:
        return "RSV1 on a continuation frame";
    case WS_V_CONTROL_TOO_LONG:
        return "control frame longer than 125 bytes";
    case WS_V_CONTROL_FRAGMENTED:
        return "fragmented control frame";
    case WS_V_RESERVED_OPCODE:
        return "reserved opcode";
    case WS_V_NON_MINIMAL_LENGTH:
        return "payload length not in its minimal form";
    case WS_V_LENGTH_MSB_SET:
        return "64-bit payload length with its top bit set";
    case WS_V_STRAY_CONTINUATION:
        return "continuation frame with no message started";
    case WS_V_MESSAGE_INTERRUPTED:
        return "new message before the previous one finished";
    case WS_V_COUNT:
        break;
    }
    return "unknown violation";
}

void ws_decoder_init(ws_decoder *d, bool from_client, bool extension_rsv1)
{
    memset(d, 0, sizeof *d);
    d->from_client = from_client;
    d->extension_rsv1 = extension_rsv1;
}

void ws_decoder_free(ws_decoder *d)
{
    free(d->control);
    d->control = NULL;
    d->control_have = 0;
}

bool ws_decoder_mid_frame(const ws_decoder *d)
{
    return d->hdr_have > 0 || d->in_payload;
}

/* §5.5: control frames are those whose opcode has its top bit set, reserved
 * ones (0xB-0xF) included. */
static bool ws_opcode_is_control(uint8_t opcode)
{
    return (opcode & 0x8) != 0;
}

static bool ws_opcode_is_reserved(uint8_t opcode)
{
    return (opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xB;
}

static ws_payload_kind ws_payload_kind_of(uint8_t opcode)
{
    if (ws_opcode_is_reserved(opcode))
        return WS_PAYLOAD_SKIP;
    return ws_opcode_is_control(opcode) ? WS_PAYLOAD_CONTROL : WS_PAYLOAD_DATA;
}

static void ws_report(const ws_decoder *d, ws_violation v, const ws_decoder_callbacks *cb,
                      void *ctx)
{
    if (cb->violation)
        cb->violation(ctx, v, &d->cur);
}

/* Byte 0 decides FIN, RSV and the opcode, and with them every rule that
 * depends only on the frame type and the message state. The message state is
 * updated here too, so the data callback knows the message's opcode. */
static void ws_first_byte(ws_decoder *d, uint8_t b, const ws_decoder_callbacks *cb, void *ctx)
{
    memset(&d->cur, 0, sizeof d->cur);
    d->cur.fin = (b & WS_BIT_FIN) != 0;
    d->cur.rsv = (uint8_t)((b >> 4) & 0x7);
    d->cur.opcode = (uint8_t)(b & 0x0F);

    const uint8_t opcode = d->cur.opcode;
    const bool control = ws_opcode_is_control(opcode);

    if (ws_opcode_is_reserved(opcode))
        ws_report(d, WS_V_RESERVED_OPCODE, cb, ctx);

    if (!d->extension_rsv1) {
        if (d->cur.rsv != 0)
            ws_report(d, WS_V_RSV_WITHOUT_EXTENSION, cb, ctx);
    } else {
        /* RFC 7692 defines RSV1 only; RSV2 and RSV3 still need an extension
         * that nothing here negotiated. */
        if (d->cur.rsv & WS_RSV2_RSV3)
            ws_report(d, WS_V_RSV_WITHOUT_EXTENSION, cb, ctx);
        if (d->cur.rsv & WS_RSV1) {
            if (control)
                ws_report(d, WS_V_RSV1_ON_CONTROL, cb, ctx);
            else if (opcode == MQTTKA_WS_CONTINUATION)
                ws_report(d, WS_V_RSV1_ON_CONTINUATION, cb, ctx);
        }
    }

    if (control && !d->cur.fin)
        ws_report(d, WS_V_CONTROL_FRAGMENTED, cb, ctx);

    if (opcode == MQTTKA_WS_CONTINUATION) {
        if (!d->message_open) {
            /* Typically a capture that started mid-message: the payload is
             * still worth decoding, and MQTT over WebSocket is binary. */
            ws_report(d, WS_V_STRAY_CONTINUATION, cb, ctx);
            d->message_opcode = MQTTKA_WS_BINARY;
        }
        d->message_open = !d->cur.fin;
    } else if (opcode == MQTTKA_WS_TEXT || opcode == MQTTKA_WS_BINARY) {
        if (d->message_open)
            ws_report(d, WS_V_MESSAGE_INTERRUPTED, cb, ctx);
        d->message_opcode = opcode;
        d->message_open = !d->cur.fin;
    }
    /* Control frames may sit between the frames of a message (§5.4), and
     * reserved opcodes have no known meaning: neither touches the message. */
}

/* Byte 1 decides the mask bit and how long the header is. */
static void ws_second_byte(ws_decoder *d, uint8_t b, const ws_decoder_callbacks *cb, void *ctx)
{
    const uint8_t len7 = (uint8_t)(b & 0x7F);
    uint8_t header_len = 2;

    d->cur.masked = (b & WS_BIT_MASK) != 0;
    if (len7 == WS_LEN7_EXT16)
        header_len += 2;
    else if (len7 == WS_LEN7_EXT64)
        header_len += 8;
    else
        d->cur.payload_len = len7;
    if (d->cur.masked)
        header_len += WS_MASK_KEY_LEN;
    d->cur.header_len = header_len;

    if (d->from_client && !d->cur.masked)
        ws_report(d, WS_V_UNMASKED_CLIENT_FRAME, cb, ctx);
    else if (!d->from_client && d->cur.masked)
        ws_report(d, WS_V_MASKED_SERVER_FRAME, cb, ctx);
}

/* The last byte of the extended length decides the length rules. */
static void ws_extended_length_done(ws_decoder *d, const ws_decoder_callbacks *cb, void *ctx)
{
    byte_cursor hc = byte_cursor_make(d->hdr, d->hdr_have);
    const uint8_t len7 = (uint8_t)(d->hdr[1] & 0x7F);

    (void)byte_cursor_skip(&hc, 2);
    if (len7 == WS_LEN7_EXT16) {
        uint16_t len16 = 0;
        (void)byte_cursor_be16(&hc, &len16);
        d->cur.payload_len = len16;
        if (len16 < WS_LEN7_EXT16)
            ws_report(d, WS_V_NON_MINIMAL_LENGTH, cb, ctx);
    } else {
        uint64_t len64 = 0;
        (void)byte_cursor_be64(&hc, &len64);
        d->cur.payload_len = len64;
        if (len64 >> 63)
            ws_report(d, WS_V_LENGTH_MSB_SET, cb, ctx);
        else if (len64 <= UINT16_MAX)
            ws_report(d, WS_V_NON_MINIMAL_LENGTH, cb, ctx);
    }

    if (ws_opcode_is_control(d->cur.opcode) && d->cur.payload_len > WS_CONTROL_MAX)
        ws_report(d, WS_V_CONTROL_TOO_LONG, cb, ctx);
}

/* The frame's payload is all there (possibly empty): report it and get
 * ready for the next frame's header. `control`/`control_len` is a control
 * frame's whole payload, unmasked. */
static void ws_finish_frame(ws_decoder *d, const uint8_t *control, size_t control_len,
                            const ws_decoder_callbacks *cb, void *ctx)
{
    static const uint8_t empty[1];
    if (ws_payload_kind_of(d->cur.opcode) == WS_PAYLOAD_CONTROL && cb->control)
        cb->control(ctx, &d->cur, control ? control : empty, control_len);
    if (cb->frame_end)
        cb->frame_end(ctx, &d->cur);
    d->frames++;
    d->hdr_have = 0;
    d->in_payload = false;
    d->payload_done = 0;
    ws_decoder_free(d);
}

/* The header is all there: the mask key, the callback, and the payload
 * (or, for an empty one, the frame's end). */
static void ws_header_complete(ws_decoder *d, const ws_decoder_callbacks *cb, void *ctx)
{
    if (d->cur.masked)
        memcpy(d->cur.mask, d->hdr + d->cur.header_len - WS_MASK_KEY_LEN, WS_MASK_KEY_LEN);
    if (cb->frame_header)
        cb->frame_header(ctx, &d->cur);
    if (d->cur.payload_len == 0)
        ws_finish_frame(d, NULL, 0, cb, ctx);
    else
        d->in_payload = true;
}

/* Adds one header byte; completes the header when it is the last one. */
static void ws_header_byte(ws_decoder *d, uint8_t b, const ws_decoder_callbacks *cb, void *ctx)
{
    d->hdr[d->hdr_have++] = b;

    if (d->hdr_have == 1) {
        ws_first_byte(d, b, cb, ctx);
        return;
    }
    if (d->hdr_have == 2)
        ws_second_byte(d, b, cb, ctx);

    const uint8_t len7 = (uint8_t)(d->hdr[1] & 0x7F);
    if ((len7 == WS_LEN7_EXT16 && d->hdr_have == 2 + 2) ||
        (len7 == WS_LEN7_EXT64 && d->hdr_have == 2 + 8))
        ws_extended_length_done(d, cb, ctx);

    if (d->hdr_have < d->cur.header_len)
        return;
    ws_header_complete(d, cb, ctx);
}

/* The header's bytes (2 to 14) when a push holds all of it, as most do:
 * the same rules in the same order as byte by byte, at less cost. */
static size_t ws_whole_header_len(const uint8_t *p)
{
    const uint8_t len7 = (uint8_t)(p[1] & 0x7F);
    size_t len = 2;
    if (len7 == WS_LEN7_EXT16)
        len += 2;
    else if (len7 == WS_LEN7_EXT64)
        len += 8;
    if (p[1] & WS_BIT_MASK)
        len += WS_MASK_KEY_LEN;
    return len;
}

static void ws_whole_header(ws_decoder *d, const uint8_t *p, size_t len,
                            const ws_decoder_callbacks *cb, void *ctx)
{
    memcpy(d->hdr, p, len);
    d->hdr_have = 1;
    ws_first_byte(d, p[0], cb, ctx);
    d->hdr_have = 2;
    ws_second_byte(d, p[1], cb, ctx);
    d->hdr_have = (uint8_t)len;
    const uint8_t len7 = (uint8_t)(p[1] & 0x7F);
    if (len7 == WS_LEN7_EXT16 || len7 == WS_LEN7_EXT64)
        ws_extended_length_done(d, cb, ctx);
    ws_header_complete(d, cb, ctx);
}

/* Streams `len` payload bytes that start `d->payload_done` bytes into the
 * frame's payload; the mask key position follows from that offset (§5.3),
 * so a push may end anywhere. */
static void ws_payload_bytes(ws_decoder *d, const uint8_t *bytes, size_t len,
                             const ws_decoder_callbacks *cb, void *ctx)
{
    const size_t mask_phase = (size_t)(d->payload_done & 3u);
    const uint8_t *mask = d->cur.mask;

    switch (ws_payload_kind_of(d->cur.opcode)) {
    case WS_PAYLOAD_SKIP:
        return;

    case WS_PAYLOAD_CONTROL:
        return; /* ws_control_bytes */

    case WS_PAYLOAD_DATA:
        if (!cb->data)
            return;
        if (!d->cur.masked) {
            cb->data(ctx, d->message_opcode, &d->cur, bytes, len);
            return;
        }
        /* Unmasking is the decoder's hot loop (every payload byte of every
         * client frame): XOR eight bytes at a time with the key laid out from
         * the phase. Bytes the consumer will only count (a PUBLISH body)
         * are not unmasked at all; after each chunk it is asked again, so
         * chunks are short when it says how much it will skip. */
        for (size_t done = 0; done < len;) {
            if (cb->data_unread) {
                size_t unread = cb->data_unread(ctx);
                if (unread > len - done)
                    unread = len - done;
                if (unread) {
                    cb->data(ctx, d->message_opcode, &d->cur, NULL, unread);
                    done += unread;
                    continue;
                }
            }
            const size_t phase = (mask_phase + done) & 3u;
            uint8_t key8[8];
            for (size_t j = 0; j < sizeof key8; j++)
                key8[j] = mask[(phase + j) & 3u];
            uint64_t key64;
            memcpy(&key64, key8, sizeof key64);
            uint8_t plain[WS_UNMASK_CHUNK];
            size_t chunk = cb->data_unread ? WS_UNMASK_ASKED_CHUNK : sizeof plain;
            size_t n = len - done < chunk ? len - done : chunk;
            size_t i = 0;
            for (; n - i >= 8; i += 8) {
                uint64_t w;
                memcpy(&w, bytes + done + i, sizeof w);
                w ^= key64;
                memcpy(plain + i, &w, sizeof w);
            }
            for (; i < n; i++)
                plain[i] = (uint8_t)(bytes[done + i] ^ key8[i & 7u]);
            cb->data(ctx, d->message_opcode, &d->cur, plain, n);
            done += n;
        }
        return;
    }
}

/* Unmasks up to WS_CONTROL_MAX - have control payload bytes into `out`
 * (which holds `have` already); returns how many it wrote. Bytes past the
 * §5.5 limit of an oversized frame are dropped: the limit was reported, and
 * the first 125 bytes carry what matters. */
static size_t ws_unmask_control(const ws_decoder *d, const uint8_t *bytes, size_t len,
                                uint8_t *out, size_t have)
{
    const size_t mask_phase = (size_t)(d->payload_done & 3u);
    size_t room = WS_CONTROL_MAX - have;
    size_t keep = len < room ? len : room;
    for (size_t i = 0; i < keep; i++) {
        uint8_t key = d->cur.masked ? d->cur.mask[(mask_phase + i) & 3u] : 0;
        out[have + i] = (uint8_t)(bytes[i] ^ key);
    }
    return keep;
}

/* A control frame's payload bytes; `last` when they complete the frame. The
 * usual case, the whole payload in one push, needs no buffer but the stack. */
static void ws_control_bytes(ws_decoder *d, const uint8_t *bytes, size_t len, bool last,
                             const ws_decoder_callbacks *cb, void *ctx)
{
    if (last && d->payload_done == 0) {
        uint8_t whole[WS_CONTROL_MAX];
        size_t n = ws_unmask_control(d, bytes, len, whole, 0);
        d->payload_done += len;
        ws_finish_frame(d, whole, n, cb, ctx);
        return;
    }
    if (!d->control && d->payload_done == 0)
        d->control = malloc(WS_CONTROL_MAX);
    if (d->control)
        d->control_have = (uint8_t)(d->control_have +
                                    ws_unmask_control(d, bytes, len, d->control, d->control_have));
    d->payload_done += len;
    /* Without the buffer (out of memory) the payload is reported empty;
     * ws_finish_frame frees it after the callback. */
    if (last)
        ws_finish_frame(d, d->control, d->control_have, cb, ctx);
}

void ws_decoder_push(ws_decoder *d, const uint8_t *bytes, size_t len,
                     const ws_decoder_callbacks *cb, void *ctx)
{
    byte_cursor in = byte_cursor_make(bytes, len);

    if (!cb)
        cb = &ws_no_callbacks;

    while (byte_cursor_left(&in) > 0) {
        if (!d->in_payload) {
            if (d->hdr_have == 0 && byte_cursor_left(&in) >= 2) {
                const uint8_t *p = byte_cursor_here(&in);
                size_t header_len = ws_whole_header_len(p);
                if (byte_cursor_left(&in) >= header_len) {
                    (void)byte_cursor_skip(&in, header_len);
                    ws_whole_header(d, p, header_len, cb, ctx);
                    continue;
                }
            }
            /* A header split across pushes (at most 14 bytes): byte at a
             * time keeps every rule check at its own byte. */
            uint8_t b = 0;
            (void)byte_cursor_u8(&in, &b);
            ws_header_byte(d, b, cb, ctx);
            continue;
        }

        const uint64_t remaining = d->cur.payload_len - d->payload_done;
        size_t take = byte_cursor_left(&in);
        if ((uint64_t)take > remaining)
            take = (size_t)remaining;

        const uint8_t *chunk = NULL;
        (void)byte_cursor_bytes(&in, take, &chunk);
        if (ws_payload_kind_of(d->cur.opcode) == WS_PAYLOAD_CONTROL) {
            ws_control_bytes(d, chunk, take, (uint64_t)take == remaining, cb, ctx);
            continue;
        }
        ws_payload_bytes(d, chunk, take, cb, ctx);
        d->payload_done += take;
        if (d->payload_done == d->cur.payload_len)
            ws_finish_frame(d, NULL, 0, cb, ctx);
    }
}
