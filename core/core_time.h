/*
 * core_time.h - capture times in the core: microseconds since the epoch
 * (mqttka_time), and the range within which they are taken as they come.
 */
#ifndef MQTTKA_CORE_TIME_H
#define MQTTKA_CORE_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "mqttka.h"

#define SECOND ((mqttka_time)1000000)
#define SECONDS(n) ((mqttka_time)(n) * SECOND)

/* Capture times are taken as they come only within about 36,000 years of
 * the epoch: a damaged pcapng can carry any 64-bit timestamp, and the
 * difference of two times anywhere in int64 overflows. Within +-2^60 us the
 * difference of any two times is under 2^61, which leaves room for the
 * rules' arithmetic on it (a difference less a configured timeout, a time
 * plus a keepalive deadline) without overflow. The analyzer clamps every
 * time it is given to this (time_clamp). */
#define TIME_LIMIT (((mqttka_time)1 << 60) - 1)

static inline mqttka_time time_clamp(mqttka_time t)
{
    return t > TIME_LIMIT ? TIME_LIMIT : t < -TIME_LIMIT ? -TIME_LIMIT : t;
}

/* Whether time_clamp(t) is t: one comparison, the range shifted to start
 * at 0 (unsigned, so that the shift cannot overflow). */
static inline bool time_in_range(mqttka_time t)
{
    return (uint64_t)t + (uint64_t)TIME_LIMIT <= 2 * (uint64_t)TIME_LIMIT;
}

static inline mqttka_time time_max(mqttka_time a, mqttka_time b) { return a > b ? a : b; }
static inline mqttka_time time_min(mqttka_time a, mqttka_time b) { return a < b ? a : b; }

/* b - a, or 0 when time went backwards between them. */
static inline mqttka_time time_since(mqttka_time a, mqttka_time b)
{
    return b - a < 0 ? 0 : b - a;
}

static inline double us_to_s(mqttka_time t) { return (double)t / 1e6; }

#endif
