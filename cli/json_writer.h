/*
 * json_writer.h - one JSON Lines object at a time, to a FILE.
 *
 * The writer tracks only where commas go; members are written in the order
 * called. Every string value is escaped: quotes, backslashes and control
 * characters, and any byte that is not part of well-formed UTF-8 becomes
 * \u00XX, so even a client id of raw bytes gives a line every JSON parser
 * accepts. Two kinds of text are the outputs' own and go as they are, with
 * no escaping: keys (literals, and the core's MQTT packet type names) and
 * the values of json_name (event types, directions, the core's names of
 * kinds, severities, verdicts...): printable ASCII without '"' or '\\'
 * (tests/cli/test_format.c checks every name the core has).
 *
 * The member functions are inline: most members are a literal key and a
 * number, and where the key is a literal its length is a constant. They
 * were a third of the JSON output's cost as calls that measured and
 * checked each key.
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
#include <string.h>

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

/* `len` bytes, NULs included, escaped. */
void json_string_bytes(json_writer *w, const char *key, const uint8_t *s, size_t len);

/* The comma due before a member and its `"key":` (only the comma for a
 * NULL key: an array's element). */
static inline void json_member(json_writer *w, const char *key)
{
    bool comma = false;
    if (w->depth > 0 && w->depth <= JSON_MAX_DEPTH) {
        comma = w->has_members[w->depth - 1];
        w->has_members[w->depth - 1] = true;
    }
    size_t len = key ? strlen(key) : 0;
    if (!key || len > LINE_BUFFER_SIZE - 4) {
        if (comma)
            line_buffer_char(w->line, ',');
        if (key) {
            line_buffer_char(w->line, '"');
            line_buffer_bytes(w->line, key, len);
            line_buffer_bytes(w->line, "\":", 2);
        }
        return;
    }
    char *p = line_buffer_room(w->line, len + 4);
    *p = ',';
    p += comma;
    *p++ = '"';
    memcpy(p, key, len);
    p += len;
    *p++ = '"';
    *p++ = ':';
    line_buffer_commit(w->line, p);
}

static inline void json_null(json_writer *w, const char *key)
{
    json_member(w, key);
    line_buffer_bytes(w->line, "null", 4);
}

static inline void json_bool(json_writer *w, const char *key, bool value)
{
    json_member(w, key);
    if (value)
        line_buffer_bytes(w->line, "true", 4);
    else
        line_buffer_bytes(w->line, "false", 5);
}

static inline void json_int(json_writer *w, const char *key, int64_t value)
{
    json_member(w, key);
    line_buffer_int(w->line, value);
}

static inline void json_uint(json_writer *w, const char *key, uint64_t value)
{
    json_member(w, key);
    line_buffer_uint(w->line, value);
}

/* A double with up to 6 decimals; null unless finite. */
static inline void json_double(json_writer *w, const char *key, double value)
{
    json_member(w, key);
    line_buffer_double(w->line, value);
}

/* A NUL-terminated string, escaped; NULL writes null. */
static inline void json_string(json_writer *w, const char *key, const char *s)
{
    if (!s)
        json_null(w, key);
    else
        json_string_bytes(w, key, (const uint8_t *)s, strlen(s));
}

/* One of the outputs' own names (see above), as it is; NULL writes null. */
static inline void json_name(json_writer *w, const char *key, const char *name)
{
    if (!name) {
        json_null(w, key);
        return;
    }
    size_t len = strlen(name);
    if (len > LINE_BUFFER_SIZE - 3) {
        json_string_bytes(w, key, (const uint8_t *)name, len);
        return;
    }
    json_member(w, key);
    char *p = line_buffer_room(w->line, len + 2);
    *p++ = '"';
    memcpy(p, name, len);
    p[len] = '"';
    line_buffer_commit(w->line, p + len + 1);
}

/* Microseconds since the epoch as seconds with 6 decimals; null for
 * MQTTKA_TIME_NONE. Also fits durations. */
static inline void json_seconds(json_writer *w, const char *key, mqttka_time t)
{
    if (t == MQTTKA_TIME_NONE) {
        json_null(w, key);
        return;
    }
    json_member(w, key);
    line_buffer_scaled(w->line, t, 6, 6);
}

/* Microseconds as milliseconds with 3 decimals; null for MQTTKA_TIME_NONE. */
static inline void json_millis(json_writer *w, const char *key, mqttka_time t)
{
    if (t == MQTTKA_TIME_NONE) {
        json_null(w, key);
        return;
    }
    json_member(w, key);
    line_buffer_scaled(w->line, t, 3, 3);
}

/* A frame number; null for 0, which the core uses for "end of input". */
static inline void json_frame(json_writer *w, const char *key, uint64_t frame)
{
    if (frame == 0)
        json_null(w, key);
    else
        json_uint(w, key, frame);
}

#endif
