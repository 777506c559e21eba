/*
 * flow_table.c - TCP flows by address pair.
 *
 * Open addressing with linear probing over {hash, flow} slots, the hash
 * symmetric in the two endpoints so both directions find the same flow. A
 * lookup compares full hashes in the slot array and touches only the flow
 * it wants, so mqttka_push_batch can prefetch exactly that flow; a chain
 * would walk (and miss on) the flows before it. Deletion shifts the rest
 * of the probe run back (no tombstones), so a table with turnover never
 * fills with dead slots.
 *
 * When max_flows is reached the analyzer drops a flow that has been idle
 * longest (flow_table_pick_idle), which keeps a SYN flood from growing the table without bound.
 * That flow is chosen from a sample (as Redis approximates LRU) rather than
 * from a list kept in activity order: relinking a list on every packet
 * costs two cache misses on other flows, paid by every packet of a busy
 * capture, while a sample costs a few misses only when the table is full.
 */
#include "flow_table.h"

#include "compiler.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_TABLE_INITIAL_SLOTS 1024u

/* Flows compared per eviction: the chance that none of them is among the
 * idlest eighth of the table is (7/8)^16, about 12%. */
#define FLOW_EVICT_SAMPLE 16

/* The endpoint's 16 address bytes (IPv4 uses 4, the rest are zero), port
 * and family folded into one word, unmixed: two loads and a multiply, where
 * a byte-wise hash costs a loop over every byte. For IPv4 (the second word
 * zero) the fold is one to one. */
static uint64_t endpoint_fold(const mqttka_endpoint *e)
{
    uint64_t lo, hi;
    memcpy(&lo, e->addr, sizeof lo);
    memcpy(&hi, e->addr + sizeof lo, sizeof hi);
    return lo ^ hi * 0xC2B2AE3D27D4EB4Full ^ ((uint64_t)e->port << 8 | e->family) << 40;
}

/* Symmetric in the two endpoints, and mixed once for the pair rather than
 * once for each endpoint. Not keyed: addresses chosen to collide make long
 * probe runs, as long as max_flows allows. */
static uint64_t pair_hash(const mqttka_endpoint *x, const mqttka_endpoint *y)
{
    uint64_t a = endpoint_fold(x), b = endpoint_fold(y);
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    uint64_t h = lo * 0x9E3779B97F4A7C15ull + hi;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 29);
}

static bool endpoint_equal(const mqttka_endpoint *x, const mqttka_endpoint *y)
{
    return x->family == y->family && x->port == y->port &&
           memcmp(x->addr, y->addr, sizeof x->addr) == 0;
}

static size_t slot_mask(const flow_table *t) { return t->n_slots - 1; }

bool flow_table_init(flow_table *t)
{
    memset(t, 0, sizeof *t);
    t->slots = calloc(FLOW_TABLE_INITIAL_SLOTS, sizeof *t->slots);
    if (!t->slots)
        return false;
    t->n_slots = FLOW_TABLE_INITIAL_SLOTS;
    block_pool_init(&t->blocks, (sizeof(struct flow) + BLOCK_POOL_ALIGN - 1) /
                                    BLOCK_POOL_ALIGN * BLOCK_POOL_ALIGN);
    return true;
}

void flow_table_free(flow_table *t)
{
    free(t->slots);
    block_pool_free(&t->blocks);
    memset(t, 0, sizeof *t);
}

uint64_t flow_table_hash(const mqttka_endpoint *src, const mqttka_endpoint *dst)
{
    return pair_hash(src, dst);
}

void flow_table_prefetch_slot(const flow_table *t, uint64_t hash)
{
    /* A probe run goes on past its first slot about half the time at the
     * table's load (linear probing), often into the next cache line: the
     * slot two on is in the same line when the first is in the first half
     * of its line (a prefetch that costs nothing), else in the next one. */
    size_t i = hash & slot_mask(t);
    PREFETCH(&t->slots[i]);
    PREFETCH(&t->slots[(i + 2) & slot_mask(t)]);
}

/* The slots were prefetched before: find the flow with this hash there and
 * load the part of it the packet path reads (up to ack_waits: two cache
 * lines, the flow being 64-byte aligned). */
struct flow *flow_table_prefetch_flow(const flow_table *t, uint64_t hash)
{
    for (size_t i = hash & slot_mask(t);; i = (i + 1) & slot_mask(t)) {
        const flow_slot *slot = &t->slots[i];
        if (!slot->flow)
            return NULL;
        if (slot->hash != hash)
            continue;
        const char *p = (const char *)slot->flow;
        const size_t hot = offsetof(struct flow, ack_waits) + sizeof slot->flow->ack_waits;
        for (size_t at = 0; at < hot; at += 64)
            PREFETCH(p + at);
        PREFETCH(p + hot - 1);
        return slot->flow;
    }
}

bool flow_table_match(const struct flow *f, const mqttka_endpoint *src,
                      const mqttka_endpoint *dst, int *side)
{
    if (endpoint_equal(&f->ep[0], src) && endpoint_equal(&f->ep[1], dst)) {
        *side = 0;
        return true;
    }
    if (endpoint_equal(&f->ep[1], src) && endpoint_equal(&f->ep[0], dst)) {
        *side = 1;
        return true;
    }
    return false;
}

struct flow *flow_table_find(flow_table *t, const mqttka_endpoint *src,
                             const mqttka_endpoint *dst, int *side)
{
    return flow_table_find_hashed(t, pair_hash(src, dst), src, dst, side);
}

struct flow *flow_table_find_hashed(flow_table *t, uint64_t hash, const mqttka_endpoint *src,
                                    const mqttka_endpoint *dst, int *side)
{
    for (size_t i = hash & slot_mask(t);; i = (i + 1) & slot_mask(t)) {
        struct flow *f = t->slots[i].flow;
        if (!f)
            return NULL;
        if (t->slots[i].hash == hash && flow_table_match(f, src, dst, side))
            return f;
    }
}

static void slot_put(flow_slot *slots, size_t mask, uint64_t hash, struct flow *f)
{
    size_t i = hash & mask;
    while (slots[i].flow)
        i = (i + 1) & mask;
    slots[i].hash = hash;
    slots[i].flow = f;
}

/* Doubles the slot array when it is three quarters full, so probe runs stay
 * short. False when it must grow and cannot: the caller does not insert. */
static bool make_room(flow_table *t)
{
    if ((t->count + 1) * 4 <= t->n_slots * 3)
        return true;
    if (t->n_slots > SIZE_MAX / 2 / sizeof *t->slots)
        return false;
    size_t n = t->n_slots * 2;
    flow_slot *ns = calloc(n, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < t->n_slots; i++)
        if (t->slots[i].flow)
            slot_put(ns, n - 1, t->slots[i].hash, t->slots[i].flow);
    free(t->slots);
    t->slots = ns;
    t->n_slots = n;
    t->evict_cursor &= n - 1;
    return true;
}

struct flow *flow_table_insert(flow_table *t, const mqttka_endpoint *src,
                               const mqttka_endpoint *dst)
{
    if (!make_room(t))
        return NULL;
    struct flow *f = block_pool_get(&t->blocks);
    if (!f)
        return NULL;
    flow_init(f, src, dst);
    slot_put(t->slots, slot_mask(t), pair_hash(src, dst), f);
    t->count++;
    t->generation++;
    return f;
}

void flow_table_put(flow_table *t, struct flow *f)
{
    block_pool_put(&t->blocks, f);
}

/* Is `home` (an entry's ideal slot) cyclically within (gap, j]? Then the
 * entry at j cannot move back to `gap`: it would sit before its home. */
static bool home_between(size_t gap, size_t home, size_t j)
{
    return gap <= j ? (gap < home && home <= j) : (gap < home || home <= j);
}

void flow_table_remove(flow_table *t, struct flow *f)
{
    size_t mask = slot_mask(t);
    size_t gap = pair_hash(&f->ep[0], &f->ep[1]) & mask;
    while (t->slots[gap].flow != f) {
        if (!t->slots[gap].flow)
            return; /* not in the table */
        gap = (gap + 1) & mask;
    }
    /* Backward shift: pull later entries of the run into the gap when that
     * does not put them before their home slot. */
    for (size_t j = (gap + 1) & mask; t->slots[j].flow; j = (j + 1) & mask) {
        size_t home = t->slots[j].hash & mask;
        if (home_between(gap, home, j))
            continue;
        t->slots[gap] = t->slots[j];
        gap = j;
    }
    t->slots[gap].flow = NULL;
    t->slots[gap].hash = 0;
    t->count--;
    t->generation++;
}

struct flow *flow_table_pick_idle(flow_table *t)
{
    struct flow *idlest = NULL;
    size_t seen = 0;
    for (size_t walked = 0; walked < t->n_slots && seen < FLOW_EVICT_SAMPLE; walked++) {
        struct flow *f = t->slots[t->evict_cursor].flow;
        t->evict_cursor = (t->evict_cursor + 1) & slot_mask(t);
        if (!f)
            continue;
        seen++;
        if (!idlest || f->last_ts < idlest->last_ts)
            idlest = f;
    }
    return idlest;
}

void flow_iter_start(flow_iter *it)
{
    it->slot = 0;
}

struct flow *flow_iter_next(const flow_table *t, flow_iter *it)
{
    while (it->slot < t->n_slots) {
        struct flow *f = t->slots[it->slot++].flow;
        if (f)
            return f;
    }
    return NULL;
}

struct flow *flow_table_next_to_drain(const flow_table *t, size_t *cursor)
{
    if (!t->count)
        return NULL;
    while (!t->slots[*cursor].flow)
        *cursor = (*cursor + 1) & slot_mask(t);
    return t->slots[*cursor].flow;
}
