/*
 * json_writer.h - one JSON Lines object at a time, to a FILE.
 *
 * The writer tracks only where commas go; members are written in the order
 * called. Every string is escaped: quotes, backslashes and control characters,
 * and any byte that is not part of well-formed UTF-8 becomes \u00XX, so even
 * a client id of raw bytes gives a line every JSON parser accepts.
 *
 * The line is appended to a line_buffer the caller holds (line_buffer.h):
 * it reaches the FILE when the caller flushes that buffer, or in pieces when
 * the buffer fills.
 */
#ifndef MQTTKA_CLI_JSON_WRITER_H
#define MQTTKA_CLI_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "line_buffer.h"
#include "mqttka.h"

/* Nesting the outputs need (line > connection > close / packets > c2s) with
 * room to spare; deeper calls are ignored rather than overrunning. */
#define JSON_MAX_DEPTH 8

typedef struct json_writer {
    line_buffer *line; /* borrowed: where the line goes */
    unsigned depth;
    bool has_members[JSON_MAX_DEPTH]; /* at each open level: is a comma due */
} json_writer;

/* Starts a line's top-level object in `line`. */
void json_line_begin(json_writer *w, line_buffer *line);
/* Closes the top-level object and ends the line (nothing is flushed). */
void json_line_end(json_writer *w);

/* `key` names the member inside an object; NULL inside an array. */
void json_object_begin(json_writer *w, const char *key);
void json_object_end(json_writer *w);
void json_array_begin(json_writer *w, const char *key);
void json_array_end(json_writer *w);

void json_null(json_writer *w, const char *key);
void json_bool(json_writer *w, const char *key, bool value);
void json_int(json_writer *w, const char *key, int64_t value);
void json_uint(json_writer *w, const char *key, uint64_t value);
/* A double with up to 6 decimals; null unless finite. */
void json_double(json_writer *w, const char *key, double value);
/* A NUL-terminated string; NULL writes null. */
void json_string(json_writer *w, const char *key, const char *s);
/* `len` bytes, NULs included. */
void json_string_bytes(json_writer *w, const char *key, const uint8_t *s, size_t len);
/* Microseconds since the epoch as seconds with 6 decimals; null for
 * MQTTKA_TIME_NONE. Also fits durations. */
void json_seconds(json_writer *w, const char *key, mqttka_time t);
/* Microseconds as milliseconds with 3 decimals; null for MQTTKA_TIME_NONE. */
void json_millis(json_writer *w, const char *key, mqttka_time t);
/* A frame number; null for 0, which the core uses for "end of input". */
void json_frame(json_writer *w, const char *key, uint64_t frame);

#endif
