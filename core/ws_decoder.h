/*
 * ws_decoder.h - streaming WebSocket frame decoder for one direction.
 *
 * RFC 6455 §5.2 base framing:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  | |1|2|3|       |K|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *  +-------------------------------- - - - - - - - - - - - - - - - +
 *
 * The header (at most 14 bytes) is collected into a fixed array; the payload
 * is streamed, unmasked in small chunks, and never buffered whole, so a frame
 * declaring 2^63 bytes costs nothing but the time to skip what arrives.
 * Control frame payloads (at most 125 bytes by §5.5) are reported whole, so
 * that a Close code or a Ping payload can be read; one split across pushes
 * is collected in a buffer that exists only until the frame completes.
 */
#ifndef MQTTKA_WS_DECODER_H
#define MQTTKA_WS_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttka.h" /* the opcodes, MQTTKA_WS_* */

#define WS_CONTROL_MAX 125 /* RFC 6455 §5.5 */

typedef struct ws_frame_header {
    bool fin;
    uint8_t rsv;           /* the three RSV bits, RSV1 = 0x4 */
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t payload_len;  /* as declared; may be huge */
    uint8_t header_len;    /* 2..14 */
} ws_frame_header;

/* Rule violations, each reported when the byte that decides it arrives. */
typedef enum ws_violation {
    WS_V_UNMASKED_CLIENT_FRAME = 0, /* §5.1: client frames must be masked */
    WS_V_MASKED_SERVER_FRAME,       /* §5.1: server frames must not be */
    WS_V_RSV_WITHOUT_EXTENSION,     /* §5.2: RSV bits need a negotiated extension */
    WS_V_RSV1_ON_CONTROL,           /* RFC 7692 §6: RSV1 only on a message's first frame */
    WS_V_RSV1_ON_CONTINUATION,
    WS_V_CONTROL_TOO_LONG,          /* §5.5: > 125 bytes */
    WS_V_CONTROL_FRAGMENTED,        /* §5.5: FIN clear on a control frame */
    WS_V_RESERVED_OPCODE,           /* §5.2: 3-7, 0xB-0xF */
    WS_V_NON_MINIMAL_LENGTH,        /* §5.2: "the minimal number of bytes MUST be used" */
    WS_V_LENGTH_MSB_SET,            /* §5.2: 64-bit length with its top bit set */
    WS_V_STRAY_CONTINUATION,        /* continuation with no message started */
    WS_V_MESSAGE_INTERRUPTED,       /* new data frame while a message is unfinished */
    WS_V_COUNT
} ws_violation;

typedef struct ws_decoder_callbacks {
    /* A frame header is complete (called before any of its payload). */
    void (*frame_header)(void *ctx, const ws_frame_header *h);
    /* Unmasked payload bytes of a data frame (text, binary, continuation),
     * in order, in chunks; `message_opcode` is the opcode of the message's
     * first frame (text or binary). `bytes` is NULL for masked bytes that
     * data_unread said would not be read. May be NULL. */
    void (*data)(void *ctx, uint8_t message_opcode, const ws_frame_header *h,
                 const uint8_t *bytes, size_t len);
    /* A complete control frame, payload unmasked (truncated to 125 bytes when
     * a frame broke the §5.5 limit). */
    void (*control)(void *ctx, const ws_frame_header *h, const uint8_t *payload, size_t len);
    /* The end of a frame's payload (after its last data chunk). May be NULL. */
    void (*frame_end)(void *ctx, const ws_frame_header *h);
    void (*violation)(void *ctx, ws_violation v, const ws_frame_header *h);
    /* How many of the next data payload bytes `data` will not read (may be
     * NULL: all are read). Masked ones among them are not unmasked: `data`
     * gets them as NULL `bytes` with their length. */
    size_t (*data_unread)(void *ctx);
} ws_decoder_callbacks;

/* 64 bytes, one cache line: a broker capture has tens of thousands of these,
 * so they are rarely in cache, and a push should cost one miss. */
typedef struct ws_decoder {
    ws_frame_header cur;
    uint64_t payload_done;
    /* A control frame's payload split across pushes waits here: allocated
     * when that happens (rarely: control frames are small) and freed when
     * the frame completes, so an idle decoder holds no buffer. */
    uint8_t *control;
    bool in_payload;
    bool from_client;           /* frames must be masked */
    bool extension_rsv1;        /* permessage-deflate negotiated: RSV1 allowed on first frames */
    bool message_open;          /* a fragmented data message awaits continuation */
    uint8_t message_opcode;
    uint8_t hdr_have;
    uint8_t hdr[14];
    uint8_t control_have;
    uint16_t frames;            /* frames completed (wraps) */
} ws_decoder;

const char *ws_violation_name(ws_violation v); /* short English phrase */

void ws_decoder_init(ws_decoder *d, bool from_client, bool extension_rsv1);
/* Releases the split control frame buffer, if a stream ended inside one. */
void ws_decoder_free(ws_decoder *d);

/* Consumes all `len` bytes, calling back as frames are decoded. Allocates
 * only the WS_CONTROL_MAX-byte buffer of a control frame split across pushes
 * (without it, that frame is reported with an empty payload). Violations are reported and decoding goes on: the declared
 * length still tells where the next frame starts. */
void ws_decoder_push(ws_decoder *d, const uint8_t *bytes, size_t len,
                     const ws_decoder_callbacks *cb, void *ctx);

/* true when the stream stopped inside a frame (header or payload). */
bool ws_decoder_mid_frame(const ws_decoder *d);

#endif
