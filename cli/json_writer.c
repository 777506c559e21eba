/*
 * json_writer.c - JSON members written with commas in the right places and
 * strings escaped per RFC 8259 §7.
 */
#include "json_writer.h"

#include <string.h>

#include "format.h"

static void put_escaped(FILE *out, const uint8_t *s, size_t len)
{
    putc('"', out);
    for (size_t i = 0; i < len;) {
        uint8_t b = s[i];
        if (b == '"' || b == '\\') {
            putc('\\', out);
            putc(b, out);
            i++;
        } else if (b == '\n') {
            fputs("\\n", out);
            i++;
        } else if (b == '\r') {
            fputs("\\r", out);
            i++;
        } else if (b == '\t') {
            fputs("\\t", out);
            i++;
        } else if (b < 0x20 || b == 0x7f) {
            fprintf(out, "\\u%04x", (unsigned)b);
            i++;
        } else {
            size_t n = utf8_sequence_length(s + i, len - i);
            if (n == 0) {
                /* Not UTF-8: keep the byte's value visible as U+00XX. */
                fprintf(out, "\\u%04x", (unsigned)b);
                i++;
            } else {
                fwrite(s + i, 1, n, out);
                i += n;
            }
        }
    }
    putc('"', out);
}

/* The comma and the key before a member. */
static void member_prefix(json_writer *w, const char *key)
{
    if (w->depth > 0 && w->depth <= JSON_MAX_DEPTH) {
        if (w->has_members[w->depth - 1])
            putc(',', w->out);
        w->has_members[w->depth - 1] = true;
    }
    if (key) {
        put_escaped(w->out, (const uint8_t *)key, strlen(key));
        putc(':', w->out);
    }
}

static void open_level(json_writer *w, const char *key, char bracket)
{
    if (w->depth >= JSON_MAX_DEPTH)
        return;
    member_prefix(w, key);
    putc(bracket, w->out);
    w->has_members[w->depth] = false;
    w->depth++;
}

static void close_level(json_writer *w, char bracket)
{
    if (w->depth == 0)
        return;
    putc(bracket, w->out);
    w->depth--;
}

void json_line_begin(json_writer *w, FILE *out)
{
    w->out = out;
    w->depth = 0;
    open_level(w, NULL, '{');
}

void json_line_end(json_writer *w)
{
    while (w->depth > 1)
        close_level(w, '}'); /* only reached if a caller forgot an end */
    close_level(w, '}');
    putc('\n', w->out);
}

void json_object_begin(json_writer *w, const char *key) { open_level(w, key, '{'); }
void json_object_end(json_writer *w) { close_level(w, '}'); }
void json_array_begin(json_writer *w, const char *key) { open_level(w, key, '['); }
void json_array_end(json_writer *w) { close_level(w, ']'); }

void json_null(json_writer *w, const char *key)
{
    member_prefix(w, key);
    fputs("null", w->out);
}

void json_bool(json_writer *w, const char *key, bool value)
{
    member_prefix(w, key);
    fputs(value ? "true" : "false", w->out);
}

void json_int(json_writer *w, const char *key, int64_t value)
{
    member_prefix(w, key);
    fprintf(w->out, "%lld", (long long)value);
}

void json_uint(json_writer *w, const char *key, uint64_t value)
{
    member_prefix(w, key);
    fprintf(w->out, "%llu", (unsigned long long)value);
}

void json_double(json_writer *w, const char *key, double value)
{
    char buf[FORMAT_NUMBER_MAX];
    member_prefix(w, key);
    fputs(format_double(buf, value), w->out);
}

void json_string(json_writer *w, const char *key, const char *s)
{
    if (!s) {
        json_null(w, key);
        return;
    }
    json_string_bytes(w, key, (const uint8_t *)s, strlen(s));
}

void json_string_bytes(json_writer *w, const char *key, const uint8_t *s, size_t len)
{
    member_prefix(w, key);
    put_escaped(w->out, s, len);
}

void json_seconds(json_writer *w, const char *key, mqttka_time t)
{
    char buf[FORMAT_NUMBER_MAX];
    if (t == MQTTKA_TIME_NONE) {
        json_null(w, key);
        return;
    }
    member_prefix(w, key);
    fputs(format_scaled(buf, t, 6, 6), w->out);
}

void json_millis(json_writer *w, const char *key, mqttka_time t)
{
    char buf[FORMAT_NUMBER_MAX];
    if (t == MQTTKA_TIME_NONE) {
        json_null(w, key);
        return;
    }
    member_prefix(w, key);
    fputs(format_scaled(buf, t, 3, 3), w->out);
}

void json_frame(json_writer *w, const char *key, uint64_t frame)
{
    if (frame == 0)
        json_null(w, key);
    else
        json_uint(w, key, frame);
}
