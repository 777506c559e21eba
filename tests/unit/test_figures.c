/*
 * test_figures.c - the summary's counts and RTT figures (core/figures.c)
 * against the plain way: every counter in 32 bits, and the median and p95
 * of the latest RTT_SAMPLES_MAX samples kept in a full ring from the start.
 *
 * The RTT sequences are random, of every length from 0 to a few rings, with
 * values past what a ring sample holds (71 minutes), so the growth of the
 * ring (4, 8, 16, 32), its wrap, its first sample kept only as min and max,
 * and the saturation rules are all compared with the reference.
 */
#include "figures.h"
#include "test_harness.h"

#include <stdint.h>

static session *session_make(void)
{
    session *s = aligned_alloc(SESSION_ALIGN, sizeof *s);
    if (!s)
        abort();
    memset(s, 0, sizeof *s);
    return s;
}

static void session_drop(session *s)
{
    free(s->rtt_ring);
    free(s->rare);
    free(s);
}

static int compare_time(const void *x, const void *y)
{
    mqttka_time a = *(const mqttka_time *)x, b = *(const mqttka_time *)y;
    return a < b ? -1 : a > b;
}

/* The figures as the session computed them before figures.c. */
static void reference_rtt(const mqttka_time *rtts, size_t count, mqttka_summary *out)
{
    out->rtt_count = (uint32_t)count;
    if (!count)
        return;
    out->rtt_min = out->rtt_max = rtts[0];
    for (size_t i = 0; i < count; i++) {
        if (rtts[i] < out->rtt_min)
            out->rtt_min = rtts[i];
        if (rtts[i] > out->rtt_max)
            out->rtt_max = rtts[i];
    }
    size_t n = count < RTT_SAMPLES_MAX ? count : RTT_SAMPLES_MAX;
    mqttka_time sorted[RTT_SAMPLES_MAX];
    for (size_t i = 0; i < n; i++) {
        mqttka_time r = rtts[count - n + i];
        sorted[i] = r > (mqttka_time)UINT32_MAX ? UINT32_MAX : r;
    }
    qsort(sorted, n, sizeof sorted[0], compare_time);
    out->rtt_median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    out->rtt_p95 = sorted[(95 * n + 99) / 100 - 1];
    if (out->rtt_median < out->rtt_min)
        out->rtt_median = out->rtt_min;
    if (out->rtt_p95 < out->rtt_median)
        out->rtt_p95 = out->rtt_median;
}

static mqttka_time random_rtt(void)
{
    switch (th_rng() % 4) {
    case 0: return (mqttka_time)(th_rng() % 1000);                 /* close to each other */
    case 1: return (mqttka_time)(th_rng() % 20000000);             /* up to 20 s */
    case 2: return (mqttka_time)UINT32_MAX - 2 + (mqttka_time)(th_rng() % 5); /* the edge */
    default: return (mqttka_time)(th_rng() % ((uint64_t)1 << 40)); /* days: saturate */
    }
}

static void test_rtt(void)
{
    enum { LONGEST = 3 * RTT_SAMPLES_MAX + 5, ROUNDS = 40 };
    mqttka_time rtts[LONGEST];
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t count = 0; count <= LONGEST; count++) {
            session *s = session_make();
            for (size_t i = 0; i < count; i++) {
                rtts[i] = random_rtt();
                figures_record_rtt(s, rtts[i]);
            }
            mqttka_summary got, want;
            memset(&got, 0, sizeof got);
            memset(&want, 0, sizeof want);
            figures_rtt(s, &got);
            reference_rtt(rtts, count, &want);
            CHECK_EQ_INT(got.rtt_count, want.rtt_count);
            CHECK_EQ_INT(got.rtt_min, want.rtt_min);
            CHECK_EQ_INT(got.rtt_max, want.rtt_max);
            CHECK_EQ_INT(got.rtt_median, want.rtt_median);
            CHECK_EQ_INT(got.rtt_p95, want.rtt_p95);
            /* No ring for none or one sample, and never more than a full one. */
            CHECK(count > 1 || s->rtt_ring == NULL);
            CHECK(s->rtt_cap <= RTT_SAMPLES_MAX);
            session_drop(s);
        }
    }
}

/* Counters stay exact past 65535, in both directions, for every type. */
static void test_packet_counts(void)
{
    session *s = session_make();
    static uint32_t want[2][MQTTKA_MQTT_TYPES];
    for (uint32_t i = 0; i < 140000; i++) {
        CHECK_EQ_INT(s->rare == NULL, want[0][12] <= UINT16_MAX);
        figures_count_packet(s, MQTTKA_C2S, 12);
        want[0][12]++;
        if (i % 7 == 0) {
            uint8_t type = (uint8_t)(th_rng() % MQTTKA_MQTT_TYPES);
            mqttka_direction dir = th_rng() % 2 ? MQTTKA_S2C : MQTTKA_C2S;
            figures_count_packet(s, dir, type);
            want[dir][type]++;
        }
    }
    uint32_t got[2][MQTTKA_MQTT_TYPES];
    figures_packets(s, got);
    for (int d = 0; d < 2; d++)
        for (int t = 0; t < MQTTKA_MQTT_TYPES; t++)
            CHECK_EQ_INT(got[d][t], want[d][t]);
    /* A count of 2^32 - 1 stays there. */
    s->packets[1][3] = UINT16_MAX;
    s->rare->packets_high[1][3] = UINT16_MAX;
    for (int i = 0; i < 3; i++) {
        figures_count_packet(s, MQTTKA_S2C, 3);
        figures_packets(s, got);
        CHECK_EQ_INT(got[1][3], UINT32_MAX);
    }
    session_drop(s);
}

int main(void)
{
    test_rtt();
    test_packet_counts();
    return th_report();
}
