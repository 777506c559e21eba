/*
 * fleet.c - the fleet summary's figures (fleet.h).
 */
#include "fleet.h"

#include <stdlib.h>
#include <string.h>

void fleet_init(fleet *f, size_t max_clients)
{
    memset(f, 0, sizeof *f);
    client_table_init(&f->clients, max_clients);
    f->rtt_min = f->rtt_max = MQTTKA_TIME_NONE;
}

void fleet_free(fleet *f)
{
    client_table_free(&f->clients);
}

static size_t rtt_bucket(uint64_t v)
{
    if (v < FLEET_RTT_EXACT)
        return (size_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 2^e <= v, e >= 5 */
    size_t sub = (size_t)(v >> (e - 5)) - FLEET_RTT_SUB;
    return FLEET_RTT_EXACT + (size_t)(e - 5) * FLEET_RTT_SUB + sub;
}

/* The largest value bucket `i` holds. */
static uint64_t rtt_bucket_top(size_t i)
{
    if (i < FLEET_RTT_EXACT)
        return i;
    size_t k = i - FLEET_RTT_EXACT;
    unsigned shift = (unsigned)(k / FLEET_RTT_SUB);
    uint64_t low = (uint64_t)(FLEET_RTT_SUB + k % FLEET_RTT_SUB) << shift;
    return low + ((uint64_t)1 << shift) - 1;
}

void fleet_note_rtt(fleet *f, mqttka_time rtt)
{
    if (rtt == MQTTKA_TIME_NONE)
        return;
    if (rtt < 0)
        rtt = 0;
    f->rtt_buckets[rtt_bucket((uint64_t)rtt)]++;
    if (f->rtt_count == 0 || rtt < f->rtt_min)
        f->rtt_min = rtt;
    if (f->rtt_count == 0 || rtt > f->rtt_max)
        f->rtt_max = rtt;
    f->rtt_count++;
}

mqttka_time fleet_rtt_percentile(const fleet *f, unsigned p)
{
    /* nearest rank: the smallest value with at least p % of the samples at
     * or below it */
    uint64_t rank = (f->rtt_count * p + 99) / 100;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < FLEET_RTT_BUCKETS; i++) {
        seen += f->rtt_buckets[i];
        if (seen >= rank) {
            uint64_t top = rtt_bucket_top(i);
            return top > (uint64_t)f->rtt_max ? f->rtt_max : (mqttka_time)top;
        }
    }
    return f->rtt_max;
}

size_t fleet_version_index(uint8_t mqtt_level)
{
    switch (mqtt_level) {
    case 3: return 1;
    case 4: return 2;
    case 5: return 3;
    default: return 0;
    }
}

static void note_keepalive(fleet *f, int32_t kae)
{
    if (kae < 0) {
        f->keepalive_unknown++;
        return;
    }
    for (size_t i = 0; i < f->n_keepalives; i++)
        if (f->keepalives[i].value == kae) {
            f->keepalives[i].connections++;
            return;
        }
    if (f->n_keepalives == FLEET_KEEPALIVES_MAX) {
        f->keepalive_other++;
        return;
    }
    f->keepalives[f->n_keepalives].value = kae;
    f->keepalives[f->n_keepalives].connections = 1;
    f->n_keepalives++;
}

const char *fleet_version_name(size_t index)
{
    static const char *const names[FLEET_VERSIONS] = {"unknown", "3.1", "3.1.1", "5.0"};
    return index < FLEET_VERSIONS ? names[index] : "unknown";
}

uint64_t fleet_transport_total(const fleet *f, int transport)
{
    uint64_t all = 0;
    for (size_t v = 0; v < FLEET_VERSIONS; v++)
        all += f->transports[transport][v];
    return all;
}

void fleet_note_connection(fleet *f, const mqttka_summary *s, const mqttka_connection *c,
                           const conn_entry *e)
{
    f->connections++;
    if ((unsigned)s->verdict < MQTTKA_V_COUNT)
        f->verdicts[s->verdict]++;
    f->transports[c->transport == MQTTKA_TRANSPORT_WEBSOCKET][fleet_version_index(c->mqtt_level)]++;
    note_keepalive(f, c->effective_keepalive);

    client_table_note(&f->clients, s, c, e);
}

static int keepalive_cmp(const void *pa, const void *pb)
{
    const fleet_keepalive *a = pa, *b = pb;
    if (a->connections != b->connections)
        return a->connections > b->connections ? -1 : 1;
    return a->value < b->value ? -1 : a->value > b->value;
}

size_t fleet_keepalives_sorted(const fleet *f, fleet_keepalive *out)
{
    memcpy(out, f->keepalives, f->n_keepalives * sizeof *out);
    qsort(out, f->n_keepalives, sizeof *out, keepalive_cmp);
    return f->n_keepalives;
}
