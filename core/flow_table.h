/*
 * flow_table.h - the flows of the capture by address pair, either
 * direction finding the same flow (flow_table.c says how).
 */
#ifndef MQTTKA_FLOW_TABLE_H
#define MQTTKA_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block_pool.h"
#include "flow.h"
#include "mqttka.h"

typedef struct flow_slot {
    uint64_t hash;     /* flow_table_hash of the address pair */
    struct flow *flow; /* NULL: free */
} flow_slot;

typedef struct flow_table {
    flow_slot *slots;
    size_t n_slots; /* a power of two, at most three quarters used */
    size_t count;
    size_t evict_cursor; /* the slot where the next eviction sample starts */
    uint64_t generation; /* changes with every insertion and removal */
    /* the flows themselves, 64-byte aligned: what the packet path reads of
     * one is then two cache lines, never three */
    block_pool blocks;
} flow_table;

/* Visits every flow once, in no particular order; no flow may be removed
 * meanwhile (flow_table_next_to_drain is for emptying the table). */
typedef struct flow_iter {
    size_t slot;
} flow_iter;

bool flow_table_init(flow_table *t);
void flow_table_free(flow_table *t);

/* Finds the flow of this address pair; *side tells which side sent. */
struct flow *flow_table_find(flow_table *t, const mqttka_endpoint *src,
                             const mqttka_endpoint *dst, int *side);
/* Inserts a new flow (src as side 0, flow_init); NULL when out of memory. */
struct flow *flow_table_insert(flow_table *t, const mqttka_endpoint *src,
                               const mqttka_endpoint *dst);
void flow_table_remove(flow_table *t, struct flow *f);
/* Gives a removed flow's memory back for the next one. */
void flow_table_put(flow_table *t, struct flow *f);

/* The flow to drop when the table is full: the least recently active of
 * the FLOW_EVICT_SAMPLE or more flows found from the eviction cursor on
 * (all of them in a small table); NULL when the table is empty. */
struct flow *flow_table_pick_idle(flow_table *t);

void flow_iter_start(flow_iter *it);
struct flow *flow_iter_next(const flow_table *t, flow_iter *it);

/* A flow to remove next when emptying the table, NULL once it is empty:
 * removing it only moves later flows back to the cursor or past it, so
 * *cursor (start at 0) finds them all. */
struct flow *flow_table_next_to_drain(const flow_table *t, size_t *cursor);

/* For the look-ahead (lookahead.c): each a step closer to the state of an
 * address pair whose flow_table_hash is `hash`; the prefetches change
 * nothing and never fault. */
uint64_t flow_table_hash(const mqttka_endpoint *src, const mqttka_endpoint *dst);
void flow_table_prefetch_slot(const flow_table *t, uint64_t hash);
/* Also returns the first flow whose slot has this hash (NULL: no flow has
 * it): while the table's generation holds, the address pair's flow is that
 * one if flow_table_match says so, else found by flow_table_find_hashed. */
struct flow *flow_table_prefetch_flow(const flow_table *t, uint64_t hash);
/* Whether flow f is that of src -> dst; *side: which side sent. */
bool flow_table_match(const struct flow *f, const mqttka_endpoint *src,
                      const mqttka_endpoint *dst, int *side);
struct flow *flow_table_find_hashed(flow_table *t, uint64_t hash, const mqttka_endpoint *src,
                                    const mqttka_endpoint *dst, int *side);

#endif
