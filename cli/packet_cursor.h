/*
 * packet_cursor.h - bounds-checked reads from captured packet bytes.
 *
 * Every header of a captured record is read through a cursor. A reader
 * returns false and leaves its out-parameter untouched when the bytes are not
 * there, so a length taken from the wire can never push a read past the
 * record. (The core has its own cursor; the CLI may include only mqttka.h.)
 */
#ifndef MQTTKA_CLI_PACKET_CURSOR_H
#define MQTTKA_CLI_PACKET_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct packet_cursor {
    const uint8_t *data;
    size_t len; /* bytes readable at data */
    size_t pos;
} packet_cursor;

static inline packet_cursor packet_cursor_make(const uint8_t *data, size_t len)
{
    packet_cursor c = {data, len, 0};
    return c;
}

static inline size_t packet_cursor_left(const packet_cursor *c) { return c->len - c->pos; }

static inline const uint8_t *packet_cursor_here(const packet_cursor *c)
{
    return c->data + c->pos;
}

static inline bool packet_cursor_u8(packet_cursor *c, uint8_t *out)
{
    if (packet_cursor_left(c) < 1)
        return false;
    *out = c->data[c->pos++];
    return true;
}

static inline bool packet_cursor_be16(packet_cursor *c, uint16_t *out)
{
    if (packet_cursor_left(c) < 2)
        return false;
    *out = (uint16_t)((c->data[c->pos] << 8) | c->data[c->pos + 1]);
    c->pos += 2;
    return true;
}

static inline bool packet_cursor_be32(packet_cursor *c, uint32_t *out)
{
    if (packet_cursor_left(c) < 4)
        return false;
    const uint8_t *p = c->data + c->pos;
    *out = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    c->pos += 4;
    return true;
}

static inline bool packet_cursor_copy(packet_cursor *c, void *out, size_t n)
{
    if (packet_cursor_left(c) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)out)[i] = c->data[c->pos + i];
    c->pos += n;
    return true;
}

static inline bool packet_cursor_skip(packet_cursor *c, size_t n)
{
    if (packet_cursor_left(c) < n)
        return false;
    c->pos += n;
    return true;
}

/* Narrows the cursor to the next `n` bytes (or what is left, if fewer):
 * used when an IP length says where the datagram ends inside a padded frame. */
static inline void packet_cursor_limit(packet_cursor *c, size_t n)
{
    if (n < packet_cursor_left(c))
        c->len = c->pos + n;
}

#endif
