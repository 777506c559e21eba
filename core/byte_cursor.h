/*
 * byte_cursor.h - bounds-checked reads from packet bytes.
 *
 * Every decoder reads wire data through a cursor: a reader returns false and
 * leaves its out-parameter untouched when the bytes are not there, so a
 * length from the wire can never push a read past the buffer.
 */
#ifndef MQTTKA_BYTE_CURSOR_H
#define MQTTKA_BYTE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct byte_cursor {
    const uint8_t *data;
    size_t len;
    size_t pos;
} byte_cursor;

static inline byte_cursor byte_cursor_make(const uint8_t *data, size_t len)
{
    byte_cursor c = {data, len, 0};
    return c;
}

static inline size_t byte_cursor_left(const byte_cursor *c) { return c->len - c->pos; }

static inline bool byte_cursor_u8(byte_cursor *c, uint8_t *out)
{
    if (byte_cursor_left(c) < 1)
        return false;
    *out = c->data[c->pos++];
    return true;
}

static inline bool byte_cursor_be16(byte_cursor *c, uint16_t *out)
{
    if (byte_cursor_left(c) < 2)
        return false;
    *out = (uint16_t)((c->data[c->pos] << 8) | c->data[c->pos + 1]);
    c->pos += 2;
    return true;
}

static inline bool byte_cursor_be32(byte_cursor *c, uint32_t *out)
{
    if (byte_cursor_left(c) < 4)
        return false;
    const uint8_t *p = c->data + c->pos;
    *out = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    c->pos += 4;
    return true;
}

static inline bool byte_cursor_be64(byte_cursor *c, uint64_t *out)
{
    if (byte_cursor_left(c) < 8)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = (v << 8) | c->data[c->pos + i];
    c->pos += 8;
    *out = v;
    return true;
}

/* Borrows `n` bytes: *out points into the cursor's buffer. */
static inline bool byte_cursor_bytes(byte_cursor *c, size_t n, const uint8_t **out)
{
    if (byte_cursor_left(c) < n)
        return false;
    *out = c->data + c->pos;
    c->pos += n;
    return true;
}

/* Copies `n` bytes out. */
static inline bool byte_cursor_copy(byte_cursor *c, void *out, size_t n)
{
    if (byte_cursor_left(c) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)out)[i] = c->data[c->pos + i];
    c->pos += n;
    return true;
}

static inline const uint8_t *byte_cursor_here(const byte_cursor *c) { return c->data + c->pos; }

/* Narrows the cursor to the next `n` bytes (or what is left, if fewer):
 * used when an IP length says where a datagram ends inside a padded frame. */
static inline void byte_cursor_limit(byte_cursor *c, size_t n)
{
    if (n < byte_cursor_left(c))
        c->len = c->pos + n;
}

static inline bool byte_cursor_skip(byte_cursor *c, size_t n)
{
    if (byte_cursor_left(c) < n)
        return false;
    c->pos += n;
    return true;
}

#endif
