/*
 * http_body.h - skipping an HTTP/1.1 message body by its framing, without
 * keeping any of it (RFC 7230 §3.3.3 and §4.1):
 *
 *   Content-Length: N        N bytes
 *   Transfer-Encoding: chunked
 *     chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *     last-chunk = 1*("0") [ chunk-ext ] CRLF
 *     trailer    = *( header-field CRLF ) CRLF
 *
 *   5\r\nhello\r\n0\r\n\r\n
 *
 * Used only to follow a keep-alive connection through plain requests to a
 * later WebSocket Upgrade (handshake.c). A length from the wire is counted
 * down, never allocated or buffered; chunk-size lines, extensions and
 * trailers are read a byte at a time with a cap on their length.
 */
#ifndef MQTTKA_HTTP_BODY_H
#define MQTTKA_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum http_body_mode {
    HTTP_BODY_NONE = 0,  /* no body: nothing to skip */
    HTTP_BODY_LENGTH,    /* Content-Length bytes */
    HTTP_BODY_CHUNKED,   /* chunked transfer coding */
} http_body_mode;

typedef struct http_body {
    uint8_t mode;        /* an http_body_mode */
    uint8_t state;       /* where in the chunked grammar (http_body.c) */
    bool size_digits;    /* the chunk-size line has a digit */
    uint64_t left;       /* body bytes (LENGTH) or chunk-data bytes (CHUNKED) to skip */
    size_t line_bytes;   /* bytes of the current chunk-size or trailer line */
    size_t line_cap;     /* their cap (the configured header block cap) */
} http_body;

typedef enum http_body_result {
    HTTP_BODY_MORE = 0,  /* all of the bytes were body: more to come */
    HTTP_BODY_DONE,      /* the body ended: *used bytes were body */
    HTTP_BODY_MALFORMED, /* not chunked coding, or a line over the cap */
} http_body_result;

/* Starts skipping a body of `mode` (`length` bytes for HTTP_BODY_LENGTH);
 * a line of the chunked coding may be `line_cap` bytes long. */
void http_body_start(http_body *b, http_body_mode mode, uint64_t length, size_t line_cap);

/* Is a body being skipped? */
static inline bool http_body_active(const http_body *b)
{
    return b->mode != HTTP_BODY_NONE;
}

/* Skips what of `bytes` belongs to the body. On DONE *used says how many
 * did (the rest follow the message) and the body is no longer active; on
 * MORE all `len` did. */
http_body_result http_body_skip(http_body *b, const uint8_t *bytes, size_t len, size_t *used);

#endif
