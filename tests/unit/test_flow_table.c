/*
 * test_flow_table.c - the flow table against a plain array of the flows it
 * should hold, through many random inserts and removals.
 *
 * Open addressing with backward-shift deletion is easy to get subtly wrong
 * (a run that wraps around the end of the slot array, an entry moved before
 * its home slot): every flow must stay findable from both directions, no
 * removed flow may be found, iteration must visit each flow once, the
 * eviction sample must only return flows in the table, and draining must
 * empty it.
 */
#include "flow_table.h"
#include "test_harness.h"

#include <stdint.h>

enum { PAIRS = 3000, OPS = 200000 };

/* Address pair i; every tenth an IPv6 one. */
static void pair(uint32_t i, mqttka_endpoint *client, mqttka_endpoint *server)
{
    memset(client, 0, sizeof *client);
    memset(server, 0, sizeof *server);
    bool v6 = i % 10 == 0;
    client->family = server->family = v6 ? 6 : 4;
    client->addr[0] = 10;
    client->addr[v6 ? 15 : 3] = (uint8_t)(i % 250 + 2);
    client->port = (uint16_t)(20000 + i / 250);
    server->addr[0] = 10;
    server->addr[v6 ? 15 : 3] = 1;
    server->port = 1883;
}

static struct flow *present[PAIRS];

static void check_all(flow_table *t)
{
    size_t n = 0;
    for (uint32_t i = 0; i < PAIRS; i++) {
        mqttka_endpoint c, s;
        pair(i, &c, &s);
        int side = -1;
        struct flow *f = flow_table_find(t, &c, &s, &side);
        if (present[i]) {
            n++;
            CHECK(f == present[i] && side == 0);
            f = flow_table_find(t, &s, &c, &side);
            CHECK(f == present[i] && side == 1);
        } else {
            CHECK(f == NULL);
        }
    }
    CHECK_EQ_INT(t->count, n);
    /* Iteration: each flow once. */
    size_t visited = 0;
    flow_iter it;
    flow_iter_start(&it);
    for (struct flow *f; (f = flow_iter_next(t, &it));) {
        visited++;
        CHECK(f->client_side == -1);
        f->client_side = 1; /* marks it visited */
    }
    CHECK_EQ_INT(visited, n);
    for (uint32_t i = 0; i < PAIRS; i++)
        if (present[i]) {
            CHECK(present[i]->client_side == 1);
            present[i]->client_side = -1;
        }
}

static uint32_t index_of(const struct flow *f)
{
    for (uint32_t i = 0; i < PAIRS; i++)
        if (present[i] == f)
            return i;
    return UINT32_MAX;
}

int main(void)
{
    flow_table t;
    CHECK(flow_table_init(&t));
    for (int op = 0; op < OPS; op++) {
        uint32_t i = (uint32_t)(th_rng() % PAIRS);
        mqttka_endpoint c, s;
        pair(i, &c, &s);
        if (!present[i]) {
            present[i] = flow_table_insert(&t, &c, &s);
            CHECK(present[i] != NULL);
        } else if (th_rng() % 3 != 0) { /* removals a bit more likely: turnover */
            flow_table_remove(&t, present[i]);
            flow_table_put(&t, present[i]);
            present[i] = NULL;
        }
        if (op % 20000 == 0)
            check_all(&t);
        if (op % 997 == 0 && t.count) {
            struct flow *idle = flow_table_pick_idle(&t);
            CHECK(idle != NULL && index_of(idle) != UINT32_MAX);
        }
    }
    check_all(&t);
    size_t cursor = 0, drained = 0, had = t.count;
    for (struct flow *f; (f = flow_table_next_to_drain(&t, &cursor));) {
        uint32_t i = index_of(f);
        CHECK(i != UINT32_MAX);
        if (i == UINT32_MAX)
            break;
        flow_table_remove(&t, f);
        flow_table_put(&t, f);
        present[i] = NULL;
        drained++;
    }
    CHECK_EQ_INT(drained, had);
    CHECK_EQ_INT(t.count, 0);
    check_all(&t);
    flow_table_free(&t);
    printf("%u passed, %u failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}
