/*
 * figures.h - a session's packet counts and ping RTT figures, in as few
 * bytes as the common connection needs and exact for every other
 * (figures.c says how).
 */
#ifndef MQTTKA_FIGURES_H
#define MQTTKA_FIGURES_H

#include <stdint.h>

#include "mqttka.h"
#include "session.h"

/* A 16-bit counter wrapped to 0: carries 65536 into its high part. */
void figures_count_carry(session *s, mqttka_direction dir, uint8_t type);

/* Counts a packet of `type` (0-15) in direction `dir`: on every packet, so
 * the common case is inline, and touches only the counters' own line (the
 * high parts are looked at once in 65536 packets). */
static inline void figures_count_packet(session *s, mqttka_direction dir, uint8_t type)
{
    if (++s->packets[dir][type] == 0)
        figures_count_carry(s, dir, type);
}

void figures_packets(const session *s, uint32_t out[2][MQTTKA_MQTT_TYPES]);

/* A ping pair's RTT: count, minimum, maximum and the latest samples. */
void figures_record_rtt(session *s, mqttka_time rtt);

/* Fills out->rtt_count and, when it is not 0, the other rtt_ fields. */
void figures_rtt(const session *s, mqttka_summary *out);

#endif
