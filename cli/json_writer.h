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
 * The member functions are inline and take a literal key's length from the
 * macros below: most members are a literal key and a number. As calls that
 * measured and checked each key, they were a third of the JSON output's
 * cost.
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

/*
 * Members. Each takes its key as a string literal (`json_uint(w, "conn", 7)`):
 * the macros pass its length, a constant, so no call measures it. The _n
 * functions take a key and its length, for a key known only at run time
 * (NULL, length 0: no key, an array's element).
 */
#define JSON_KEY(key) ("" key), (sizeof(key) - 1)
#define json_null(w, key) json_null_n((w), JSON_KEY(key))
#define json_bool(w, key, value) json_bool_n((w), JSON_KEY(key), (value))
#define json_int(w, key, value) json_int_n((w), JSON_KEY(key), (value))
#define json_uint(w, key, value) json_uint_n((w), JSON_KEY(key), (value))
#define json_double(w, key, value) json_double_n((w), JSON_KEY(key), (value))
#define json_string(w, key, s) json_string_n((w), JSON_KEY(key), (s))
#define json_string_bytes(w, key, s, len) json_string_bytes_n((w), JSON_KEY(key), (s), (len))
#define json_name(w, key, name) json_name_n((w), JSON_KEY(key), (name))
#define json_seconds(w, key, t) json_seconds_n((w), JSON_KEY(key), (t))
#define json_millis(w, key, t) json_millis_n((w), JSON_KEY(key), (t))
#define json_frame(w, key, frame) json_frame_n((w), JSON_KEY(key), (frame))

/*
 * Members the caller writes itself, where their length is bounded (the
 * events' fixed members): json_members_begin returns where to write up to
 * `n` bytes (n <= LINE_BUFFER_SIZE) and says in *comma whether a comma must
 * come first; write `"key":value` pieces joined by commas (keys and names as
 * they are, as above), then say where they end with json_members_end. One
 * reservation for a run of members instead of a bounds check per piece.
 */
static inline char *json_members_begin(json_writer *w, size_t n, bool *comma)
{
    *comma = false;
    if (w->depth > 0 && w->depth <= JSON_MAX_DEPTH) {
        *comma = w->has_members[w->depth - 1];
        w->has_members[w->depth - 1] = true;
    }
    return line_buffer_room(w->line, n);
}

static inline void json_members_end(json_writer *w, char *end)
{
    line_buffer_commit(w->line, end);
}

/* `len` bytes, NULs included, escaped. */
void json_string_bytes_n(json_writer *w, const char *key, size_t key_len, const uint8_t *s,
                         size_t len);

/* The comma due before a member and its `"key":` (only the comma for a
 * NULL key). */
static inline void json_member(json_writer *w, const char *key, size_t key_len)
{
    bool comma = false;
    if (w->depth > 0 && w->depth <= JSON_MAX_DEPTH) {
        comma = w->has_members[w->depth - 1];
        w->has_members[w->depth - 1] = true;
    }
    if (!key || key_len > LINE_BUFFER_SIZE - 4) {
        if (comma)
            line_buffer_char(w->line, ',');
        if (key) {
            line_buffer_char(w->line, '"');
            line_buffer_bytes(w->line, key, key_len);
            line_buffer_bytes(w->line, "\":", 2);
        }
        return;
    }
    char *p = line_buffer_room(w->line, key_len + 4);
    *p = ',';
    p += comma;
    *p++ = '"';
    memcpy(p, key, key_len);
    p += key_len;
    *p++ = '"';
    *p++ = ':';
    line_buffer_commit(w->line, p);
}

static inline void json_null_n(json_writer *w, const char *key, size_t key_len)
{
    json_member(w, key, key_len);
    line_buffer_bytes(w->line, "null", 4);
}

static inline void json_bool_n(json_writer *w, const char *key, size_t key_len, bool value)
{
    json_member(w, key, key_len);
    if (value)
        line_buffer_bytes(w->line, "true", 4);
    else
        line_buffer_bytes(w->line, "false", 5);
}

static inline void json_int_n(json_writer *w, const char *key, size_t key_len, int64_t value)
{
    json_member(w, key, key_len);
    line_buffer_int(w->line, value);
}

static inline void json_uint_n(json_writer *w, const char *key, size_t key_len, uint64_t value)
{
    json_member(w, key, key_len);
    line_buffer_uint(w->line, value);
}

/* A double with up to 6 decimals; null unless finite. */
static inline void json_double_n(json_writer *w, const char *key, size_t key_len, double value)
{
    json_member(w, key, key_len);
    line_buffer_double(w->line, value);
}

/* A NUL-terminated string, escaped; NULL writes null. */
static inline void json_string_n(json_writer *w, const char *key, size_t key_len, const char *s)
{
    if (!s)
        json_null_n(w, key, key_len);
    else
        json_string_bytes_n(w, key, key_len, (const uint8_t *)s, strlen(s));
}

/* One of the outputs' own names (see above), as it is; NULL writes null. */
static inline void json_name_n(json_writer *w, const char *key, size_t key_len,
                               const char *name)
{
    if (!name) {
        json_null_n(w, key, key_len);
        return;
    }
    size_t len = strlen(name);
    if (len > LINE_BUFFER_SIZE - 3) {
        json_string_bytes_n(w, key, key_len, (const uint8_t *)name, len);
        return;
    }
    json_member(w, key, key_len);
    char *p = line_buffer_room(w->line, len + 2);
    *p++ = '"';
    memcpy(p, name, len);
    p[len] = '"';
    line_buffer_commit(w->line, p + len + 1);
}

/* Microseconds since the epoch as seconds with 6 decimals; null for
 * MQTTKA_TIME_NONE. Also fits durations. */
static inline void json_seconds_n(json_writer *w, const char *key, size_t key_len,
                                  mqttka_time t)
{
    if (t == MQTTKA_TIME_NONE) {
        json_null_n(w, key, key_len);
        return;
    }
    json_member(w, key, key_len);
    line_buffer_scaled(w->line, t, 6, 6);
}

/* Microseconds as milliseconds with 3 decimals; null for MQTTKA_TIME_NONE. */
static inline void json_millis_n(json_writer *w, const char *key, size_t key_len,
                                 mqttka_time t)
{
    if (t == MQTTKA_TIME_NONE) {
        json_null_n(w, key, key_len);
        return;
    }
    json_member(w, key, key_len);
    line_buffer_scaled(w->line, t, 3, 3);
}

/* A frame number; null for 0, which the core uses for "end of input". */
static inline void json_frame_n(json_writer *w, const char *key, size_t key_len,
                                uint64_t frame)
{
    if (frame == 0)
        json_null_n(w, key, key_len);
    else
        json_uint_n(w, key, key_len, frame);
}

#endif
