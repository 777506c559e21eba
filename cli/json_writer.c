/*
 * json_writer.c - JSON strings escaped per RFC 8259 §7, and objects and
 * arrays opened and closed, into the writer's line buffer (the scalar
 * members are inline, in json_writer.h).
 */
#include "json_writer.h"

#include <string.h>

#include "format.h"

/* The escape of one byte that cannot go as it is: a quote, a backslash, a
 * control character, or a byte that is not part of well-formed UTF-8 (its
 * value kept visible as U+00XX). */
static void put_escape(line_buffer *line, uint8_t b)
{
    char *p = line_buffer_room(line, 6); /* "\u00XX" */
    *p++ = '\\';
    switch (b) {
    case '"':
    case '\\': *p++ = (char)b; break;
    case '\n': *p++ = 'n'; break;
    case '\r': *p++ = 'r'; break;
    case '\t': *p++ = 't'; break;
    default:
        *p++ = 'u';
        p = format_put_hex(p, b, 4);
        break;
    }
    line_buffer_commit(line, p);
}

/* The string between quotes: each run of bytes that need no escape (plain
 * ASCII and well-formed UTF-8) copied at once, then the one escape that
 * ends it. */
static void put_escaped(line_buffer *line, const uint8_t *s, size_t len)
{
    size_t end = format_plain_ascii_run(s, len, true);
    if (end == len && len <= LINE_BUFFER_SIZE - 2) {
        /* Names and numbers, nearly every string: nothing to escape. */
        char *p = line_buffer_room(line, len + 2);
        *p++ = '"';
        memcpy(p, s, len);
        p[len] = '"';
        line_buffer_commit(line, p + len + 1);
        return;
    }
    line_buffer_char(line, '"');
    size_t i = 0;
    while (i < len) {
        for (;;) {
            end += format_plain_ascii_run(s + end, len - end, true);
            if (end == len || s[end] < 0x80)
                break;
            size_t n = utf8_sequence_length(s + end, len - end);
            if (n == 0)
                break;
            end += n;
        }
        line_buffer_bytes(line, s + i, end - i);
        if (end == len)
            break;
        put_escape(line, s[end]);
        i = ++end;
    }
    line_buffer_char(line, '"');
}

static void open_level(json_writer *w, const char *key, char bracket)
{
    if (w->depth >= JSON_MAX_DEPTH)
        return;
    json_member(w, key, key ? strlen(key) : 0);
    line_buffer_char(w->line, bracket);
    w->has_members[w->depth] = false;
    w->depth++;
}

static void close_level(json_writer *w, char bracket)
{
    if (w->depth == 0)
        return;
    line_buffer_char(w->line, bracket);
    w->depth--;
}

void json_line_begin(json_writer *w, line_buffer *line)
{
    w->line = line;
    w->depth = 0;
    open_level(w, NULL, '{');
}

void json_line_end(json_writer *w)
{
    while (w->depth > 1)
        close_level(w, '}'); /* only reached if a caller forgot an end */
    close_level(w, '}');
    line_buffer_char(w->line, '\n');
}

void json_object_begin(json_writer *w, const char *key) { open_level(w, key, '{'); }
void json_object_end(json_writer *w) { close_level(w, '}'); }
void json_array_begin(json_writer *w, const char *key) { open_level(w, key, '['); }
void json_array_end(json_writer *w) { close_level(w, ']'); }

void json_string_bytes_n(json_writer *w, const char *key, size_t key_len, const uint8_t *s,
                         size_t len)
{
    json_member(w, key, key_len);
    put_escaped(w->line, s, len);
}
