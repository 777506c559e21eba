/*
 * flow_table.c - TCP flows by address pair.
 *
 * A chained hash table whose hash is symmetric in the two endpoints, so both
 * directions find the same flow. When max_flows is reached the analyzer
 * drops a flow that has been idle longest, which is what keeps a SYN flood
 * from growing the table without bound. That flow is chosen from a sample
 * (as Redis approximates LRU) rather than from a list kept in activity
 * order: relinking a list on every packet costs two cache misses on other
 * flows, paid by every packet of a busy capture, while a sample costs a few
 * misses only when the table is full.
 */
#include "analyzer_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_TABLE_INITIAL_BUCKETS 1024u

/* Flows compared per eviction: the chance that none of them is among the
 * idlest eighth of the table is (7/8)^16, about 12%. */
#define FLOW_EVICT_SAMPLE 16

static uint64_t endpoint_hash(const mqttka_endpoint *e)
{
    /* FNV-1a over the bytes that identify an endpoint. */
    uint64_t h = 1469598103934665603ull;
    size_t n = e->family == 6 ? 16 : 4;
    for (size_t i = 0; i < n; i++) {
        h ^= e->addr[i];
        h *= 1099511628211ull;
    }
    h ^= e->port;
    h *= 1099511628211ull;
    h ^= e->family;
    h *= 1099511628211ull;
    return h;
}

static uint64_t pair_hash(const mqttka_endpoint *x, const mqttka_endpoint *y)
{
    uint64_t a = endpoint_hash(x), b = endpoint_hash(y);
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    uint64_t h = lo * 0x9E3779B97F4A7C15ull ^ hi;
    return h ^ (h >> 29);
}

static bool endpoint_equal(const mqttka_endpoint *x, const mqttka_endpoint *y)
{
    return x->family == y->family && x->port == y->port &&
           memcmp(x->addr, y->addr, sizeof x->addr) == 0;
}

bool flow_table_init(flow_table *t)
{
    memset(t, 0, sizeof *t);
    t->buckets = calloc(FLOW_TABLE_INITIAL_BUCKETS, sizeof *t->buckets);
    if (!t->buckets)
        return false;
    t->n_buckets = FLOW_TABLE_INITIAL_BUCKETS;
    return true;
}

void flow_table_free(flow_table *t)
{
    free(t->buckets);
    memset(t, 0, sizeof *t);
}

struct flow *flow_table_find(flow_table *t, const mqttka_endpoint *src,
                             const mqttka_endpoint *dst, int *side)
{
    return flow_table_find_hashed(t, pair_hash(src, dst), src, dst, side);
}

struct flow *flow_table_find_hashed(flow_table *t, uint64_t hash, const mqttka_endpoint *src,
                                    const mqttka_endpoint *dst, int *side)
{
    size_t b = (size_t)(hash & (t->n_buckets - 1));
    for (struct flow *f = t->buckets[b]; f; f = f->hash_next) {
        if (endpoint_equal(&f->ep[0], src) && endpoint_equal(&f->ep[1], dst)) {
            *side = 0;
            return f;
        }
        if (endpoint_equal(&f->ep[1], src) && endpoint_equal(&f->ep[0], dst)) {
            *side = 1;
            return f;
        }
    }
    return NULL;
}

uint64_t flow_table_hash(const mqttka_endpoint *src, const mqttka_endpoint *dst)
{
    return pair_hash(src, dst);
}

void flow_table_prefetch_bucket(const flow_table *t, uint64_t hash)
{
    PREFETCH(&t->buckets[hash & (t->n_buckets - 1)]);
}

/* The bucket's first flow is the one wanted unless two flows share the
 * bucket. Its packet path part (up to last_tag) spans three or four cache
 * lines, depending on where malloc put it. */
void flow_table_prefetch_flow(const flow_table *t, uint64_t hash)
{
    const struct flow *f = t->buckets[hash & (t->n_buckets - 1)];
    if (!f)
        return;
    const char *p = (const char *)f;
    const size_t hot = offsetof(struct flow, last_tag) + sizeof f->last_tag;
    for (size_t at = 0; at < hot; at += 64)
        PREFETCH(p + at);
    PREFETCH(p + hot - 1);
}

/* Doubles the bucket array when the table is as full as it is wide. A failed
 * allocation just leaves longer chains: correctness does not depend on it. */
static void maybe_grow(flow_table *t)
{
    if (t->count < t->n_buckets || t->n_buckets > SIZE_MAX / 2 / sizeof *t->buckets)
        return;
    size_t n = t->n_buckets * 2;
    struct flow **nb = calloc(n, sizeof *nb);
    if (!nb)
        return;
    for (size_t i = 0; i < t->n_buckets; i++) {
        struct flow *f = t->buckets[i];
        while (f) {
            struct flow *next = f->hash_next;
            size_t b = (size_t)(pair_hash(&f->ep[0], &f->ep[1]) & (n - 1));
            f->hash_next = nb[b];
            nb[b] = f;
            f = next;
        }
    }
    free(t->buckets);
    t->buckets = nb;
    t->n_buckets = n;
}

struct flow *flow_table_insert(flow_table *t, const mqttka_endpoint *src,
                               const mqttka_endpoint *dst)
{
    maybe_grow(t);
    struct flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->ep[0] = *src;
    f->ep[1] = *dst;
    f->client_side = -1;
    tcp_stream_init(&f->tcp[0]);
    tcp_stream_init(&f->tcp[1]);
    size_t b = (size_t)(pair_hash(src, dst) & (t->n_buckets - 1));
    f->hash_next = t->buckets[b];
    t->buckets[b] = f;
    t->count++;
    return f;
}

void flow_table_remove(flow_table *t, struct flow *f)
{
    size_t b = (size_t)(pair_hash(&f->ep[0], &f->ep[1]) & (t->n_buckets - 1));
    for (struct flow **pp = &t->buckets[b]; *pp; pp = &(*pp)->hash_next) {
        if (*pp == f) {
            *pp = f->hash_next;
            break;
        }
    }
    t->count--;
}

struct flow *flow_table_pick_idle(flow_table *t)
{
    struct flow *idlest = NULL;
    size_t seen = 0;
    for (size_t walked = 0; walked < t->n_buckets && seen < FLOW_EVICT_SAMPLE; walked++) {
        size_t b = t->evict_cursor;
        t->evict_cursor = (b + 1) & (t->n_buckets - 1);
        for (struct flow *f = t->buckets[b]; f; f = f->hash_next, seen++) {
            if (!idlest || f->last_ts < idlest->last_ts)
                idlest = f;
        }
    }
    return idlest;
}

void flow_iter_start(flow_iter *it)
{
    it->bucket = 0;
    it->next = NULL;
}

struct flow *flow_iter_next(const flow_table *t, flow_iter *it)
{
    while (!it->next) {
        if (it->bucket >= t->n_buckets)
            return NULL;
        it->next = t->buckets[it->bucket++];
    }
    struct flow *f = it->next;
    it->next = f->hash_next;
    return f;
}
