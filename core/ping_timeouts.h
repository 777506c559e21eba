/*
 * ping_timeouts.h - when MQTT client libraries give up on an unanswered
 * PINGREQ, and the window around it in which their close lands on the wire
 * (docs/ping-timeouts.md has the sources and the measurements).
 *
 * A bare close that falls in exactly one library's window after a PINGREQ
 * is worth a hypothesis (close_matches_ping_timeout), never a verdict: a
 * process that simply exits at that moment looks the same.
 */
#ifndef MQTTKA_PING_TIMEOUTS_H
#define MQTTKA_PING_TIMEOUTS_H

#include <stdint.h>

#include "mqttka.h"

typedef struct ping_timeout {
    const char *library;   /* "paho python 1.x" */
    const char *rule;      /* "one keepalive after the PINGREQ" */
    const char *confirm;   /* what in the client's log would confirm it */
    /* the timeout: keepalive x ka_percent / 100 + constant */
    uint32_t ka_percent;
    mqttka_time constant;
    /* where the close lands around it: the library checks on a tick */
    mqttka_time early, late;
} ping_timeout;

/* The one library whose window, for keepalive `kae` seconds, holds a close
 * `since_pingreq` after a PINGREQ; NULL when none or more than one does. */
const ping_timeout *ping_timeout_match(mqttka_time since_pingreq, int32_t kae);

#endif
