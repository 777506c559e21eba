/*
 * fleet.c - the fleet summary's figures (fleet.h).
 */
#include "fleet.h"

#include <stdlib.h>
#include <string.h>

void fleet_init(fleet *f)
{
    memset(f, 0, sizeof *f);
    f->rtt_min = f->rtt_max = MQTTKA_TIME_NONE;
}

void fleet_free(fleet *f)
{
    free(f->clients);
    f->clients = NULL;
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

/* FNV-1a over the key and whether it is an address. */
static size_t client_hash(const char *key, bool by_address)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)by_address;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return (size_t)(h ^ (h >> 29));
}

#define CLIENT_SLOTS (FLEET_CLIENTS_MAX * 2)

void fleet_note_client(fleet *f, const char *key, bool by_address, uint64_t connections,
                       uint64_t errors, uint64_t warnings, const uint64_t verdicts[MQTTKA_V_COUNT])
{
    if (!f->clients) {
        f->clients = calloc(CLIENT_SLOTS, sizeof *f->clients);
        if (!f->clients) {
            f->clients_untracked += connections;
            return;
        }
    }
    size_t i = client_hash(key, by_address) & (CLIENT_SLOTS - 1);
    fleet_client *c;
    for (;; i = (i + 1) & (CLIENT_SLOTS - 1)) {
        c = &f->clients[i];
        if (!c->connections)
            break; /* free: every row has a connection */
        if (c->by_address == by_address && strcmp(c->key, key) == 0)
            break;
    }
    if (!c->connections) {
        if (f->n_clients == FLEET_CLIENTS_MAX) {
            f->clients_untracked += connections;
            return;
        }
        size_t n = strnlen(key, sizeof c->key - 1);
        memcpy(c->key, key, n);
        c->key[n] = '\0';
        c->by_address = by_address;
        f->n_clients++;
    }
    c->connections += connections;
    c->errors += errors;
    c->warnings += warnings;
    for (int v = 0; v < MQTTKA_V_COUNT; v++)
        c->verdicts[v] += verdicts[v];
}

void fleet_note_connection(fleet *f, const mqttka_summary *s, const mqttka_connection *c,
                           const conn_entry *e)
{
    f->connections++;
    if ((unsigned)s->verdict < MQTTKA_V_COUNT)
        f->verdicts[s->verdict]++;
    f->transports[c->transport == MQTTKA_TRANSPORT_WEBSOCKET][fleet_version_index(c->mqtt_level)]++;
    note_keepalive(f, c->effective_keepalive);

    /* Until the core's per-client events come: one connection's figures. */
    uint64_t errors, warnings, verdicts[MQTTKA_V_COUNT];
    conn_entry_severity_counts(e, &errors, &warnings);
    memset(verdicts, 0, sizeof verdicts);
    if ((unsigned)s->verdict < MQTTKA_V_COUNT)
        verdicts[s->verdict] = 1;
    if (c->mqtt_level && c->client_id[0]) {
        fleet_note_client(f, c->client_id, false, 1, errors, warnings, verdicts);
    } else {
        /* An empty or unknown client id: the client's address stands for it. */
        char addr[64];
        mqttka_endpoint host = c->client;
        host.port = 0;
        mqttka_endpoint_format(&host, addr, sizeof addr);
        /* "1.2.3.4:0" or "[::1]:0": the port is not the client's name. */
        char *colon = strrchr(addr, ':');
        if (colon)
            *colon = '\0';
        if (addr[0] == '[') {
            size_t n = strlen(addr);
            memmove(addr, addr + 1, n);
            if (n >= 2 && addr[n - 2] == ']')
                addr[n - 2] = '\0';
        }
        fleet_note_client(f, addr, true, 1, errors, warnings, verdicts);
    }
}

/* Worse first. */
static int client_cmp(const void *pa, const void *pb)
{
    const fleet_client *a = *(const fleet_client *const *)pa;
    const fleet_client *b = *(const fleet_client *const *)pb;
    if (a->errors != b->errors)
        return a->errors > b->errors ? -1 : 1;
    if (a->warnings != b->warnings)
        return a->warnings > b->warnings ? -1 : 1;
    if (a->connections != b->connections)
        return a->connections > b->connections ? -1 : 1;
    if (a->by_address != b->by_address)
        return a->by_address ? 1 : -1;
    return strcmp(a->key, b->key);
}

size_t fleet_worst_clients(const fleet *f, const fleet_client **out, size_t max)
{
    if (!f->clients || max == 0)
        return 0;
    /* A bounded selection: keep the `max` worst seen so far, sorted. */
    size_t n = 0;
    for (size_t i = 0; i < CLIENT_SLOTS; i++) {
        const fleet_client *c = &f->clients[i];
        if (!c->connections || (!c->errors && !c->warnings && c->connections < 2))
            continue;
        if (n == max && client_cmp(&c, &out[n - 1]) >= 0)
            continue;
        size_t at = n < max ? n++ : max - 1;
        out[at] = c;
        while (at > 0 && client_cmp(&out[at], &out[at - 1]) < 0) {
            const fleet_client *t = out[at];
            out[at] = out[at - 1];
            out[at - 1] = t;
            at--;
        }
    }
    return n;
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
