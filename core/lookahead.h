/*
 * lookahead.h - looking up the flows of the next segments while the current
 * one is analysed, so that their state is in the CPU cache when they come.
 *
 * A broker capture has tens of thousands of connections open: each
 * segment's flow and session are far apart in memory and rarely cached, and
 * analysing a segment takes about as long as a load from memory. So the
 * look-ahead reaches a few segments ahead in steps, each starting the load
 * that the next step needs: the flow table slot of the segment
 * LOOKAHEAD_SLOT segments on, then (its slot in cache by now) that
 * segment's flow, then (the flow in cache) the lookup itself, kept for the
 * push, and the session lines the segment will touch.
 */
#ifndef MQTTKA_LOOKAHEAD_H
#define MQTTKA_LOOKAHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_table.h"
#include "mqttka.h"

#define LOOKAHEAD_SLOT 6
#define LOOKAHEAD_FLOW 4
#define LOOKAHEAD_SESSION 2
#define LOOKAHEAD_RING 8 /* a power of two above LOOKAHEAD_SLOT */

/* A generation no flow table reaches (it counts insertions and removals
 * from 0): what the look-ahead has not looked up is marked with it, so
 * that the one comparison with the table's generation also says whether
 * there is a lookup at all. */
#define LOOKAHEAD_NONE UINT64_MAX

/* What the look-ahead found of a segment's flow: the lookup stands while
 * the table has not changed since (its generation; LOOKAHEAD_NONE when
 * there was no lookup). */
typedef struct flow_hint {
    struct flow *flow; /* NULL: no flow had this address pair */
    int side;
    uint64_t generation;
} flow_hint;

typedef struct lookahead {
    const mqttka_segment *segs;
    size_t seen; /* segments whose addresses may be read */
    uint64_t hash[LOOKAHEAD_RING];
    flow_hint hint[LOOKAHEAD_RING];
    /* what the flow's prefetch found (flow_table_prefetch_flow), and the
     * table's generation then (LOOKAHEAD_NONE: not prefetched): the lookup
     * does not walk the probe run again while it holds */
    struct flow *found[LOOKAHEAD_RING];
    uint64_t found_generation[LOOKAHEAD_RING];
} lookahead;

/* Starts over segs[0 .. seen). */
void lookahead_start(lookahead *la, const mqttka_segment *segs, size_t seen);

/* Steps the look-ahead before segment i is pushed, and returns what it
 * knows of segment i's flow (nothing for the first few). */
const flow_hint *lookahead_step(lookahead *la, flow_table *t, size_t i);

#endif
