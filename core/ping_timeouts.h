/*
 * ping_timeouts.h - when MQTT client libraries give up on an unanswered
 * PINGREQ, and the window around it in which their close lands on the wire
 * (docs/ping-timeouts.md has the sources and the measurements;
 * tests/heldout/ping-timeouts/windows.tsv is the same table for programs).
 *
 * A close that falls in one library's window after an unanswered PINGREQ is
 * worth a hypothesis (close_matches_ping_timeout), never a verdict: a
 * process that simply exits at that moment looks the same.
 */
#ifndef MQTTKA_PING_TIMEOUTS_H
#define MQTTKA_PING_TIMEOUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "mqttka.h"

typedef struct ping_timeout {
    const char *library;  /* "MQTT.js 5.6 or later": as the finding names it */
    const char *family;   /* windows.tsv's family: rows of one library share it */
    const char *confirm;  /* what in the client's own log would confirm it */
    bool disconnect_first; /* it sends DISCONNECT before closing (paho C) */
    int32_t ka_min, ka_max; /* the keepalives (s) the row holds for */
    /* window(KA) = [lo_permille x KA / 1000 + lo_ms, hi_permille x KA / 1000
     * + hi_ms], from the PINGREQ to the close */
    int32_t lo_permille, lo_ms;
    int32_t hi_permille, hi_ms;
} ping_timeout;

typedef struct ping_timeout_match {
    unsigned libraries;        /* how many libraries' windows hold the close */
    const ping_timeout *only;  /* the one when libraries == 1, else NULL */
    mqttka_time lo, hi;        /* its window, when `only` */
} ping_timeout_match;

/* The libraries whose window, for keepalive `kae` seconds and the close's
 * kind, holds a close `since_pingreq` after a PINGREQ. */
ping_timeout_match ping_timeout_find(mqttka_time since_pingreq, int32_t kae,
                                     bool disconnect_first);

#endif
