/*
 * conn_table.c - the CLI's per-connection state (conn_table.h).
 *
 * Open addressing with linear probing on the connection number, grown to
 * keep the load at most one half, and backward-shift deletion (no
 * tombstones), so that a run that sees millions of connections one after
 * the other keeps a table the size of the most open at once.
 */
#include "conn_table.h"

#include <stdlib.h>
#include <string.h>

#define CONN_TABLE_MIN_CAPACITY 64

static size_t slot_of(const conn_table *t, uint64_t id)
{
    /* Fibonacci hashing: consecutive numbers spread over the table. */
    return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & (t->capacity - 1);
}

void conn_table_init(conn_table *t, uint16_t community_id_seed)
{
    memset(t, 0, sizeof *t);
    t->community_id_seed = community_id_seed;
}

void conn_table_free(conn_table *t)
{
    for (size_t i = 0; i < t->capacity; i++)
        free(t->slots[i].groups);
    free(t->slots);
    t->slots = NULL;
    t->capacity = t->count = 0;
}

static bool grow(conn_table *t)
{
    size_t capacity = t->capacity ? t->capacity * 2 : CONN_TABLE_MIN_CAPACITY;
    if (capacity > SIZE_MAX / sizeof(conn_entry))
        return false;
    conn_entry *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return false;
    conn_table old = *t;
    t->slots = slots;
    t->capacity = capacity;
    for (size_t i = 0; i < old.capacity; i++) {
        if (!old.slots[i].id)
            continue;
        size_t j = slot_of(t, old.slots[i].id);
        while (t->slots[j].id)
            j = (j + 1) & (capacity - 1);
        t->slots[j] = old.slots[i];
    }
    free(old.slots);
    return true;
}

conn_entry *conn_table_find(conn_table *t, uint64_t id)
{
    if (!t->capacity || !id)
        return NULL;
    for (size_t i = slot_of(t, id);; i = (i + 1) & (t->capacity - 1)) {
        if (t->slots[i].id == id)
            return &t->slots[i];
        if (!t->slots[i].id)
            return NULL;
    }
}

conn_entry *conn_table_get(conn_table *t, const mqttka_connection *c, bool *created)
{
    if (!c || !c->id)
        return NULL;
    conn_entry *e = conn_table_find(t, c->id);
    if (e)
        return e;
    if ((t->count + 1) * 2 > t->capacity && !grow(t))
        return NULL;
    size_t i = slot_of(t, c->id);
    while (t->slots[i].id)
        i = (i + 1) & (t->capacity - 1);
    e = &t->slots[i];
    memset(e, 0, sizeof *e);
    e->id = c->id;
    t->count++;
    if (created)
        *created = true;
    return e;
}

void conn_table_remove(conn_table *t, uint64_t id)
{
    conn_entry *e = conn_table_find(t, id);
    if (!e)
        return;
    free(e->groups);
    size_t mask = t->capacity - 1;
    size_t hole = (size_t)(e - t->slots);
    /* Backward shift: move each later entry of the run into the hole when
     * its home slot does not lie (cyclically) between the hole and it. */
    for (size_t j = (hole + 1) & mask; t->slots[j].id; j = (j + 1) & mask) {
        size_t home = slot_of(t, t->slots[j].id);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    memset(&t->slots[hole], 0, sizeof t->slots[hole]);
    t->count--;
}

void conn_entry_ids(const conn_table *t, conn_entry *e, const mqttka_connection *c)
{
    if (e->ids_known)
        return;
    flow_uid(&c->client, &c->server, c->start, e->uid);
    flow_community_id(&c->client, &c->server, t->community_id_seed, e->community_id);
    e->ids_known = true;
}

bool conn_entry_note_finding(conn_entry *e, const mqttka_finding *f)
{
    finding_group *g = NULL;
    for (uint8_t i = 0; i < e->n_groups; i++) {
        finding_group *h = &e->groups[i];
        if (h->kind == f->kind && h->severity == f->severity && h->dir == f->dir) {
            g = h;
            break;
        }
    }
    if (g) {
        g->count++;
        if (f->tag && (!g->first_frame || f->tag < g->first_frame))
            g->first_frame = f->tag;
        if (f->tag > g->last_frame)
            g->last_frame = f->tag;
        if (f->has_value) {
            if (!g->has_value || f->value < g->min)
                g->min = f->value;
            if (!g->has_value || f->value > g->max)
                g->max = f->value;
            g->has_value = true;
        }
        return true;
    }
    if (e->n_groups == e->cap_groups) {
        if (e->cap_groups >= CONN_GROUPS_MAX)
            return false;
        uint8_t cap = e->cap_groups ? (uint8_t)(e->cap_groups * 2) : 2;
        finding_group *groups = realloc(e->groups, cap * sizeof *groups);
        if (!groups)
            return false;
        e->groups = groups;
        e->cap_groups = cap;
    }
    g = &e->groups[e->n_groups++];
    g->kind = (uint8_t)f->kind;
    g->severity = (uint8_t)f->severity;
    g->dir = (uint8_t)f->dir;
    g->count = 1;
    g->first_frame = g->last_frame = f->tag;
    g->has_value = f->has_value;
    g->min = g->max = f->has_value ? f->value : 0.0;
    return false;
}

const finding_group *conn_entry_group(const conn_entry *e, mqttka_finding_kind kind,
                                      mqttka_severity severity, mqttka_direction dir)
{
    for (uint8_t i = 0; e && i < e->n_groups; i++) {
        const finding_group *g = &e->groups[i];
        if (g->kind == kind && g->severity == severity && g->dir == dir)
            return g;
    }
    return NULL;
}

void conn_entry_severity_counts(const conn_entry *e, uint64_t *errors, uint64_t *warnings)
{
    *errors = *warnings = 0;
    for (uint8_t i = 0; e && i < e->n_groups; i++) {
        if (e->groups[i].severity == MQTTKA_ERROR)
            *errors += e->groups[i].count;
        else if (e->groups[i].severity == MQTTKA_WARN)
            *warnings += e->groups[i].count;
    }
}
