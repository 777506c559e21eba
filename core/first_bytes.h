/*
 * first_bytes.h - the first bytes of a stream, held while they are too few
 * to decide what the stream carries.
 *
 * Nearly always the first segment decides, and then nothing is held: the
 * decision is made on the segment where it lies. Only a stream whose first
 * segment is shorter than the decision needs keeps its bytes here.
 */
#ifndef MQTTKA_FIRST_BYTES_H
#define MQTTKA_FIRST_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Longest prefix needed to recognise a stream: "GET " or an MQTT CONNECT
 * up to its protocol name (mqtt_looks_like_connect needs at most 13). */
#define FIRST_BYTES_MAX 16

typedef struct first_bytes {
    uint8_t bytes[FIRST_BYTES_MAX];
    uint8_t len;
} first_bytes;

/* The bytes to decide on, and how to replay them once decided: `held` came
 * before this segment, `took` from its start. */
typedef struct first_bytes_view {
    uint8_t bytes[FIRST_BYTES_MAX];
    size_t len;  /* held + took */
    size_t held;
    size_t took;
} first_bytes_view;

/* What was held (NULL: nothing) and as much of `bytes` as fits. */
static inline void first_bytes_collect(const first_bytes *held, const uint8_t *bytes, size_t len,
                                       first_bytes_view *out)
{
    out->held = held ? held->len : 0;
    if (out->held)
        memcpy(out->bytes, held->bytes, out->held);
    out->took = len < FIRST_BYTES_MAX - out->held ? len : FIRST_BYTES_MAX - out->held;
    memcpy(out->bytes + out->held, bytes, out->took);
    out->len = out->held + out->took;
}

/* Holds the view's bytes until more arrive. */
static inline void first_bytes_hold(first_bytes *held, const first_bytes_view *v)
{
    memcpy(held->bytes, v->bytes, v->len);
    held->len = (uint8_t)v->len;
}

#endif
