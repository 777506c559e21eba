/*
 * line_buffer.h - an output's bytes gathered in a fixed buffer, then handed
 * to stdio with one fwrite.
 *
 * The outputs used to write each piece of a line with its own stdio call
 * (fprintf, fputs, putc): each call locks the FILE and copies a few bytes,
 * and together they were most of a timeline's cost. Now lines are put
 * together here (the output state holds one buffer for the whole run) and
 * reach the FILE a buffer at a time, or after each event when someone is
 * reading as they come.
 *
 * Nothing is ever cut: what does not fit in the room left is preceded by a
 * flush, and a piece longer than the whole buffer goes straight to the FILE,
 * so the bytes that reach the FILE are always those appended, in order.
 * Bytes reach the FILE only here, so this is where a failed write shows:
 * after each fwrite, the FILE's error flag is read and the first failure's
 * errno kept in `write_error` (checking the FILE after every event instead,
 * a locked call and errno's address each time, was 2 % of reading a file).
 *
 * The appending functions are inline: a bounds check and a copy, worth
 * inlining into the outputs' per-byte loops. Handing bytes to the FILE, once
 * per LINE_BUFFER_SIZE, is in line_buffer.c: out of line, so that the inline
 * paths stay small enough for the compiler to inline them everywhere.
 */
#ifndef MQTTKA_CLI_LINE_BUFFER_H
#define MQTTKA_CLI_LINE_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

/* One write(2) of a file read into a file or a pipe: main.c leaves stdout
 * unbuffered then, so that the bytes go from here to the system, not
 * first copied into stdio's buffer (and stdio locked) every few lines.
 * Longer output is written in more than one piece. */
#define LINE_BUFFER_SIZE 65536

typedef struct line_buffer {
    FILE *out;       /* borrowed */
    size_t used;     /* bytes waiting in `bytes` */
    int write_error; /* errno of the first write the FILE failed (EIO when
                      * errno did not say); 0 while none has */
    char bytes[LINE_BUFFER_SIZE];
} line_buffer;

static inline void line_buffer_init(line_buffer *b, FILE *out)
{
    b->out = out;
    b->used = 0;
    b->write_error = 0;
}

/* `len` bytes to the FILE with fwrite, then the FILE's error flag (set by
 * this write or one before) into write_error. */
void line_buffer_write(line_buffer *b, const void *s, size_t len);

/* Hands what is waiting to the FILE. */
void line_buffer_flush(line_buffer *b);

/*
 * Where to write up to `n` more bytes (n <= LINE_BUFFER_SIZE), flushing first
 * when they would not fit. Write them there, then say where they end with
 * line_buffer_commit. This is how numbers are formatted in place.
 */
static inline char *line_buffer_room(line_buffer *b, size_t n)
{
    if (n > LINE_BUFFER_SIZE - b->used)
        line_buffer_flush(b);
    return b->bytes + b->used;
}

/* `end`: one past the last byte written at line_buffer_room's pointer. */
static inline void line_buffer_commit(line_buffer *b, char *end)
{
    b->used = (size_t)(end - b->bytes);
}

static inline void line_buffer_bytes(line_buffer *b, const void *s, size_t len)
{
    if (len > LINE_BUFFER_SIZE - b->used) {
        line_buffer_flush(b);
        if (len > LINE_BUFFER_SIZE) {
            line_buffer_write(b, s, len);
            return;
        }
    }
    memcpy(b->bytes + b->used, s, len);
    b->used += len;
}

/* A NUL-terminated string, as it is (no escaping). */
static inline void line_buffer_str(line_buffer *b, const char *s)
{
    line_buffer_bytes(b, s, strlen(s));
}

static inline void line_buffer_char(line_buffer *b, char c)
{
    if (b->used == LINE_BUFFER_SIZE)
        line_buffer_flush(b);
    b->bytes[b->used++] = c;
}

/* `c` repeated `n` times: padding. */
static inline void line_buffer_fill(line_buffer *b, char c, size_t n)
{
    while (n--)
        line_buffer_char(b, c);
}

static inline void line_buffer_uint(line_buffer *b, uint64_t v)
{
    line_buffer_commit(b, format_put_uint(line_buffer_room(b, FORMAT_NUMBER_MAX), v));
}

/* A label and the number after it ("  frame 17"): most of the text
 * output's fields. */
static inline void line_buffer_labeled_uint(line_buffer *b, const char *label, uint64_t v)
{
    line_buffer_str(b, label);
    line_buffer_uint(b, v);
}

static inline void line_buffer_int(line_buffer *b, int64_t v)
{
    line_buffer_commit(b, format_put_int(line_buffer_room(b, FORMAT_NUMBER_MAX), v));
}

/* See format_put_hex. */
static inline void line_buffer_hex(line_buffer *b, uint64_t v, unsigned min_digits)
{
    line_buffer_commit(b, format_put_hex(line_buffer_room(b, FORMAT_NUMBER_MAX), v, min_digits));
}

/* See format_put_scaled. */
static inline void line_buffer_scaled(line_buffer *b, int64_t value, unsigned scale_digits,
                                      unsigned shown_digits)
{
    line_buffer_commit(b, format_put_scaled(line_buffer_room(b, FORMAT_NUMBER_MAX), value,
                                            scale_digits, shown_digits));
}

/* See format_put_double. */
static inline void line_buffer_double(line_buffer *b, double value)
{
    line_buffer_commit(b, format_put_double(line_buffer_room(b, FORMAT_NUMBER_MAX), value));
}

#endif
