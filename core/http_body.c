/*
 * http_body.c - an HTTP/1.1 body skipped by its framing (http_body.h).
 *
 * RFC 7230 §4.1: chunk-size is hexadecimal; a chunk-ext runs to the end of
 * its line; the last chunk (size 0) is followed by trailer fields and an
 * empty line. Lines ending in a bare LF are accepted, as for headers (§3.5).
 */
#include "http_body.h"

#include <string.h>

/* Where the chunked grammar is. */
enum {
    CH_SIZE = 0,   /* chunk-size digits */
    CH_EXT,        /* a chunk-ext, up to the end of the line */
    CH_SIZE_LF,    /* the LF of the size line's CRLF */
    CH_DATA,       /* chunk-data: b->left bytes to go */
    CH_DATA_CR,    /* the CRLF after chunk-data */
    CH_DATA_LF,
    CH_TRAILER,    /* at the start of a trailer line (or of the final empty one) */
    CH_TRAILER_LINE,
    CH_END_LF,     /* the LF of the final CRLF */
};

void http_body_start(http_body *b, http_body_mode mode, uint64_t length, size_t line_cap)
{
    memset(b, 0, sizeof *b);
    b->mode = (uint8_t)mode;
    b->left = length;
    b->line_cap = line_cap;
    b->state = CH_SIZE;
    if (mode == HTTP_BODY_LENGTH && length == 0)
        b->mode = HTTP_BODY_NONE;
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (uint8_t)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A line of the chunked coding grows by one byte: false when over the cap
 * (a peer that never ends a line must not be read forever as one). */
static bool line_byte(http_body *b)
{
    return ++b->line_bytes <= b->line_cap;
}

/* The chunk-size line ended: chunk-data follows, or the trailer. */
static void size_line_done(http_body *b)
{
    b->line_bytes = 0;
    b->state = b->left ? CH_DATA : CH_TRAILER;
}

http_body_result http_body_skip(http_body *b, const uint8_t *bytes, size_t len, size_t *used)
{
    if (b->mode == HTTP_BODY_LENGTH) {
        if (len < b->left) {
            b->left -= len;
            return HTTP_BODY_MORE;
        }
        *used = (size_t)b->left;
        b->mode = HTTP_BODY_NONE;
        return HTTP_BODY_DONE;
    }
    if (b->mode != HTTP_BODY_CHUNKED) {
        *used = 0;
        return HTTP_BODY_DONE;
    }
    size_t i = 0;
    while (i < len) {
        uint8_t c = bytes[i];
        switch (b->state) {
        case CH_SIZE: {
            int v = hex_value(c);
            if (v >= 0) {
                /* Past 2^64 - 1 bytes: no real chunk, and the count would wrap. */
                if (b->left > (UINT64_MAX >> 4) || !line_byte(b))
                    return HTTP_BODY_MALFORMED;
                b->left = (b->left << 4) | (uint64_t)v;
                b->size_digits = true;
                i++;
                continue;
            }
            if (!b->size_digits)
                return HTTP_BODY_MALFORMED;
            if (c == ';' || c == ' ' || c == '\t') {
                b->state = CH_EXT;
            } else if (c == '\r') {
                b->state = CH_SIZE_LF;
            } else if (c == '\n') {
                size_line_done(b);
            } else {
                return HTTP_BODY_MALFORMED;
            }
            i++;
            continue;
        }
        case CH_EXT:
            if (c == '\n')
                size_line_done(b);
            else if (!line_byte(b))
                return HTTP_BODY_MALFORMED;
            i++;
            continue;
        case CH_SIZE_LF:
            if (c != '\n')
                return HTTP_BODY_MALFORMED;
            size_line_done(b);
            i++;
            continue;
        case CH_DATA: {
            size_t avail = len - i;
            if (avail < b->left) {
                b->left -= avail;
                return HTTP_BODY_MORE;
            }
            i += (size_t)b->left;
            b->left = 0;
            b->state = CH_DATA_CR;
            continue;
        }
        case CH_DATA_CR:
            if (c == '\r')
                b->state = CH_DATA_LF;
            else if (c != '\n')
                return HTTP_BODY_MALFORMED;
            else {
                b->state = CH_SIZE; /* a bare LF ends it too */
                b->size_digits = false;
            }
            i++;
            continue;
        case CH_DATA_LF:
            if (c != '\n')
                return HTTP_BODY_MALFORMED;
            b->state = CH_SIZE;
            b->size_digits = false;
            i++;
            continue;
        case CH_TRAILER:
            i++;
            if (c == '\n')
                goto done;
            if (c == '\r') {
                b->state = CH_END_LF;
            } else {
                b->state = CH_TRAILER_LINE;
                b->line_bytes = 1;
            }
            continue;
        case CH_TRAILER_LINE:
            if (c == '\n') {
                b->state = CH_TRAILER;
                b->line_bytes = 0;
            } else if (!line_byte(b)) {
                return HTTP_BODY_MALFORMED;
            }
            i++;
            continue;
        case CH_END_LF:
            if (c != '\n')
                return HTTP_BODY_MALFORMED;
            i++;
            goto done;
        default:
            return HTTP_BODY_MALFORMED;
        }
    }
    return HTTP_BODY_MORE;
done:
    *used = i;
    b->mode = HTTP_BODY_NONE;
    return HTTP_BODY_DONE;
}
