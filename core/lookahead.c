/*
 * lookahead.c - the flows of the next segments, loaded ahead (lookahead.h).
 */
#include "lookahead.h"

/* A segment that carries nothing and closes nothing touches only the flow. */
static bool touches_session(const mqttka_segment *seg)
{
    return seg->captured_len > 0 || (seg->tcp_flags & (MQTTKA_TCP_FIN | MQTTKA_TCP_RST));
}

void lookahead_start(lookahead *la, const mqttka_segment *segs, size_t seen)
{
    la->segs = segs;
    la->seen = seen;
    /* Only the first segments are read before they are looked up: their
     * hints, and the prefetches of the first ones looked up. */
    for (size_t i = 0; i < LOOKAHEAD_SESSION; i++)
        la->hint[i].generation = LOOKAHEAD_NONE;
    for (size_t i = LOOKAHEAD_SESSION; i < LOOKAHEAD_FLOW; i++)
        la->found_generation[i] = LOOKAHEAD_NONE;
    for (size_t i = 0; i < seen && i < LOOKAHEAD_SLOT; i++)
        la->hash[i] = flow_table_hash(&segs[i].src, &segs[i].dst);
}

const flow_hint *lookahead_step(lookahead *la, flow_table *t, size_t i)
{
    const mqttka_segment *segs = la->segs;
    size_t ahead = i + LOOKAHEAD_SLOT;
    if (ahead < la->seen) {
        uint64_t *h = &la->hash[ahead % LOOKAHEAD_RING];
        *h = flow_table_hash(&segs[ahead].src, &segs[ahead].dst);
        flow_table_prefetch_slot(t, *h);
    }
    size_t mid = i + LOOKAHEAD_FLOW;
    if (mid < la->seen) {
        size_t r = mid % LOOKAHEAD_RING;
        la->found[r] = flow_table_prefetch_flow(t, la->hash[r]);
        la->found_generation[r] = t->generation;
    }
    size_t near = i + LOOKAHEAD_SESSION;
    if (near < la->seen) {
        flow_hint *h = &la->hint[near % LOOKAHEAD_RING];
        const mqttka_segment *next = &segs[near];
        h->generation = t->generation;
        h->side = 0;
        size_t r = near % LOOKAHEAD_RING;
        /* (Each slot of found was written two steps before, but for the
         * first segments': LOOKAHEAD_NONE, which no generation equals.) */
        if (la->found_generation[r] == t->generation &&
            (!la->found[r] || flow_table_match(la->found[r], &next->src, &next->dst, &h->side)))
            h->flow = la->found[r];
        else
            h->flow = flow_table_find_hashed(t, la->hash[r], &next->src, &next->dst, &h->side);
        if (h->flow && touches_session(next))
            flow_prefetch_session(h->flow, h->side);
    }
    /* The first segments had no lookup ahead: their hints say so. */
    return &la->hint[i % LOOKAHEAD_RING];
}
