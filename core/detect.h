/*
 * detect.h - what a TCP flow carries, told from its first bytes on any
 * port: a WebSocket opening handshake ("GET ", RFC 6455 §4.1), MQTT
 * straight over TCP (a CONNECT, which MQTT 3.1.1 §3.1 makes the first
 * packet), or neither.
 */
#ifndef MQTTKA_DETECT_H
#define MQTTKA_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "first_bytes.h"

typedef enum detect_result {
    DETECT_WAIT = 0, /* too few bytes to tell: they are held */
    DETECT_HTTP,     /* "GET ": an HTTP request, maybe a WebSocket Upgrade */
    DETECT_MQTT,     /* an MQTT CONNECT */
    DETECT_NONE,     /* neither: not ours (also when out of memory) */
} detect_result;

/* The first bytes of both sides of a flow, while a decision waits for more
 * (allocated only then). */
typedef struct detect_prefix {
    first_bytes side[2];
} detect_prefix;

/* Decides on a side's first bytes: those held in *prefix before and
 * `bytes`. On HTTP or MQTT, *view holds the bytes decided on, to be
 * replayed into the chosen decoder (the held ones, then the rest of
 * `bytes` from view->took); the side's held bytes are released. */
detect_result detect_push(detect_prefix **prefix, int side, const uint8_t *bytes, size_t len,
                          first_bytes_view *view);

/* Frees what *prefix holds; NULL after. */
void detect_prefix_free(detect_prefix **prefix);

#endif
