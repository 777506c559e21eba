/*
 * figures.c - the summary's counts and RTT figures, in as few bytes as
 * the common connection needs and exact for every other.
 *
 * Packet counters are 16 bits in the session; their high 16 bits go to a
 * table allocated when the first of them wraps, so that counting a packet
 * reads nothing but its counter. RTT samples for
 * the median and p95 (the latest RTT_SAMPLES_MAX) go to a ring that is
 * made at the second sample (one sample is the minimum and the maximum)
 * and grows 4, 8, 16, 32 as samples come, so that a connection with one
 * ping, or none, holds no ring at all. Out of memory, a counter stops at
 * 65535 and the ring keeps the samples it has room for.
 */
#include "figures.h"

#include <stdlib.h>
#include <string.h>

#define RTT_RING_FIRST 4

void figures_count_carry(session *s, mqttka_direction dir, uint8_t type)
{
    session_rare *r = session_rare_of(s);
    if (!r) {
        s->packets[dir][type] = UINT16_MAX; /* stops there */
        return;
    }
    if (r->packets_high[dir][type] == UINT16_MAX) {
        s->packets[dir][type] = UINT16_MAX; /* 2^32 - 1: stops there too */
        return;
    }
    r->packets_high[dir][type]++;
}

void figures_packets(const session *s, uint32_t out[2][MQTTKA_MQTT_TYPES])
{
    for (int d = 0; d < 2; d++)
        for (int t = 0; t < MQTTKA_MQTT_TYPES; t++)
            out[d][t] = (s->rare ? (uint32_t)s->rare->packets_high[d][t] << 16 : 0) |
                        s->packets[d][t];
}

static uint32_t rtt_sample(mqttka_time rtt)
{
    return rtt > (mqttka_time)UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
}

/* Doubles the ring (or makes the first), the samples oldest first; leaves
 * it as it was when out of memory. */
static void rtt_ring_grow(session *s)
{
    size_t cap = s->rtt_cap ? (size_t)s->rtt_cap * 2 : RTT_RING_FIRST;
    uint32_t *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return;
    /* The ring is full: its oldest sample is the next to be overwritten. */
    for (size_t i = 0; i < s->rtt_held; i++)
        ring[i] = s->rtt_ring[(s->rtt_next + i) % s->rtt_cap];
    free(s->rtt_ring);
    s->rtt_ring = ring;
    s->rtt_cap = (uint8_t)cap;
    s->rtt_next = s->rtt_held;
}

static void rtt_keep(session *s, uint32_t sample)
{
    if (s->rtt_held == s->rtt_cap && s->rtt_cap < RTT_SAMPLES_MAX)
        rtt_ring_grow(s);
    if (!s->rtt_cap)
        return;
    s->rtt_ring[s->rtt_next] = sample;
    s->rtt_next = (uint8_t)(s->rtt_next + 1 == s->rtt_cap ? 0 : s->rtt_next + 1);
    if (s->rtt_held < s->rtt_cap)
        s->rtt_held++;
}

void figures_record_rtt(session *s, mqttka_time rtt)
{
    /* The first sample was kept only as the minimum and the maximum. */
    if (s->rtt_count == 1)
        rtt_keep(s, rtt_sample(s->rtt_min));
    if (s->rtt_count >= 1)
        rtt_keep(s, rtt_sample(rtt));
    if (s->rtt_count == 0 || rtt < s->rtt_min)
        s->rtt_min = rtt;
    if (s->rtt_count == 0 || rtt > s->rtt_max)
        s->rtt_max = rtt;
    s->rtt_count++;
}

/* At most RTT_SAMPLES_MAX values, once a connection: insertion sort, where
 * glibc's qsort allocates and calls back per comparison. */
static void sort_times(mqttka_time *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        mqttka_time x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

void figures_rtt(const session *s, mqttka_summary *out)
{
    out->rtt_count = s->rtt_count;
    if (!s->rtt_count)
        return;
    out->rtt_min = s->rtt_min;
    out->rtt_max = s->rtt_max;
    size_t n = s->rtt_held;
    if (!n) {
        /* One sample (or no memory for more): it is all three. */
        out->rtt_median = out->rtt_p95 = s->rtt_min;
        return;
    }
    mqttka_time sorted[RTT_SAMPLES_MAX];
    for (size_t i = 0; i < n; i++)
        sorted[i] = s->rtt_ring[i];
    sort_times(sorted, n);
    out->rtt_median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    size_t rank = (95 * n + 99) / 100; /* nearest rank: ceil(0.95 n) */
    out->rtt_p95 = sorted[rank - 1];
    /* The samples saturate at 71 minutes, min and max are exact: an RTT of
     * hours (time jumping in a damaged capture) must not put the median
     * below the minimum. */
    if (out->rtt_median < out->rtt_min)
        out->rtt_median = out->rtt_min;
    if (out->rtt_p95 < out->rtt_median)
        out->rtt_p95 = out->rtt_median;
}
