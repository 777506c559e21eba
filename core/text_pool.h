/*
 * text_pool.h - texts kept once, however many connections hold them.
 *
 * A broker capture has a hundred thousand connections open at once, and
 * most of them keep the same few texts for their whole life: the detail of
 * their keepalive_negotiated finding ("MQTT 3.1.1, keepalive 60 s, ..."),
 * the subprotocol "mqtt". The pool stores each distinct text once with a
 * count of its holders, and frees it when the last one lets go.
 *
 * Open addressing with linear probing over pointers to the entries, grown
 * at three quarters full; removal shifts the rest of a probe run back (no
 * tombstones), as in flow_table.c. Texts are only ever as long as the
 * analyzer's own fixed buffers (a finding detail, a header value), never a
 * length read from the wire.
 */
#ifndef MQTTKA_TEXT_POOL_H
#define MQTTKA_TEXT_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct text_entry text_entry; /* private */

typedef struct text_pool {
    text_entry **slots; /* NULL until the first text is held */
    size_t n_slots;     /* 0 or a power of two, at most three quarters used */
    size_t count;       /* distinct texts held */
} text_pool;

/* An empty pool; allocates nothing until a text is held. */
void text_pool_init(text_pool *p);

/* Frees every text, held or not, and the table; the pool is empty after
 * and may be used again. */
void text_pool_free(text_pool *p);

/* Returns a NUL-terminated copy of `text` owned by the pool, shared with
 * every other holder of an equal text, and counts the caller as one more
 * holder. The copy stays valid and unchanged until the caller gives it back
 * with text_pool_release. NULL when out of memory (or, in theory, when 2^32
 * holders share the text). */
const char *text_pool_hold(text_pool *p, const char *text);

/* Gives back one hold on `held`, a pointer text_pool_hold returned; the
 * text is freed with its last holder. NULL is ignored. */
void text_pool_release(text_pool *p, const char *held);

#endif
