/*
 * conn_table.c - the CLI's per-connection state (conn_table.h).
 *
 * The entries lie in one dense array, in no order; an open-addressed
 * index of 32-bit slots (linear probing on the connection number, at most
 * three quarters full, backward-shift deletion: no tombstones) finds them.
 * Removing an entry moves the last one into its place, so the array holds
 * exactly the connections open now and a run that sees millions of them
 * one after the other keeps a table the size of the most open at once.
 * An index slot costs 4 bytes where a slot holding the entry itself cost
 * its whole size at a load of at most one half.
 */
#include "conn_table.h"

#include <stdlib.h>
#include <string.h>

#define CONN_TABLE_MIN_SLOTS 64
#define CONN_TABLE_MIN_ENTRIES 32
/* Slots hold 1 + an entry's index in 32 bits. */
#define CONN_TABLE_MAX_ENTRIES ((size_t)UINT32_MAX - 1)

static size_t slot_of(size_t n_slots, uint64_t id)
{
    /* Fibonacci hashing: consecutive numbers spread over the table. */
    return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & (n_slots - 1);
}

void conn_table_init(conn_table *t, uint16_t community_id_seed, bool keep_ids)
{
    memset(t, 0, sizeof *t);
    t->community_id_seed = community_id_seed;
    t->keep_ids = keep_ids;
}

void conn_table_free(conn_table *t)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->entries[i].cap_groups)
            free(t->entries[i].groups.many);
    free(t->entries);
    free(t->ids);
    free(t->slots);
    bool keep_ids = t->keep_ids;
    uint16_t seed = t->community_id_seed;
    conn_table_init(t, seed, keep_ids);
}

/* The slot that holds entry index `index` (of connection `id`). */
static size_t slot_holding(const conn_table *t, uint64_t id, size_t index)
{
    size_t mask = t->n_slots - 1;
    size_t i = slot_of(t->n_slots, id);
    while (t->slots[i] != index + 1)
        i = (i + 1) & mask;
    return i;
}

static bool grow_slots(conn_table *t)
{
    size_t n = t->n_slots ? t->n_slots * 2 : CONN_TABLE_MIN_SLOTS;
    if (n > SIZE_MAX / sizeof(uint32_t))
        return false;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    for (size_t k = 0; k < t->count; k++) {
        size_t i = slot_of(n, t->entries[k].id);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)(k + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->n_slots = n;
    return true;
}

static bool grow_entries(conn_table *t)
{
    size_t cap = t->cap_entries ? t->cap_entries * 2 : CONN_TABLE_MIN_ENTRIES;
    if (cap > CONN_TABLE_MAX_ENTRIES)
        cap = CONN_TABLE_MAX_ENTRIES;
    if (cap <= t->cap_entries || cap > SIZE_MAX / sizeof(conn_entry))
        return false;
    conn_entry *entries = realloc(t->entries, cap * sizeof *entries);
    if (!entries)
        return false;
    t->entries = entries;
    if (t->keep_ids) {
        conn_ids *ids = realloc(t->ids, cap * sizeof *ids);
        if (!ids)
            return false; /* entries grew: cap_entries catches up next time */
        t->ids = ids;
    }
    t->cap_entries = cap;
    return true;
}

conn_entry *conn_table_find(conn_table *t, uint64_t id)
{
    if (!t->n_slots || !id)
        return NULL;
    size_t mask = t->n_slots - 1;
    for (size_t i = slot_of(t->n_slots, id);; i = (i + 1) & mask) {
        uint32_t s = t->slots[i];
        if (!s)
            return NULL;
        if (t->entries[s - 1].id == id)
            return &t->entries[s - 1];
    }
}

conn_entry *conn_table_get(conn_table *t, const mqttka_connection *c, bool *created)
{
    if (!c || !c->id)
        return NULL;
    conn_entry *e = conn_table_find(t, c->id);
    if (e)
        return e;
    if (t->count >= CONN_TABLE_MAX_ENTRIES)
        return NULL;
    if ((t->count + 1) * 4 > t->n_slots * 3 && !grow_slots(t))
        return NULL;
    if (t->count == t->cap_entries && !grow_entries(t))
        return NULL;
    size_t i = slot_of(t->n_slots, c->id);
    while (t->slots[i])
        i = (i + 1) & (t->n_slots - 1);
    t->slots[i] = (uint32_t)(t->count + 1);
    e = &t->entries[t->count];
    memset(e, 0, sizeof *e);
    e->id = c->id;
    if (t->keep_ids)
        t->ids[t->count].uid[0] = '\0'; /* not worked out yet */
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
    if (e->cap_groups)
        free(e->groups.many);
    size_t index = (size_t)(e - t->entries);
    size_t mask = t->n_slots - 1;
    size_t hole = slot_holding(t, id, index);
    /* Backward shift: move each later slot of the run into the hole when
     * its home slot does not lie (cyclically) between the hole and it. */
    for (size_t j = (hole + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t home = slot_of(t->n_slots, t->entries[t->slots[j] - 1].id);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole] = 0;
    /* The last entry fills the gap, and its slot follows it. */
    size_t last = t->count - 1;
    if (index != last) {
        t->slots[slot_holding(t, t->entries[last].id, last)] = (uint32_t)(index + 1);
        t->entries[index] = t->entries[last];
        if (t->keep_ids)
            t->ids[index] = t->ids[last];
    }
    t->count--;
}

void conn_ids_of(const conn_table *t, const mqttka_connection *c, conn_ids *out)
{
    flow_uid(&c->client, &c->server, c->start, out->uid);
    flow_community_id(&c->client, &c->server, t->community_id_seed, out->community_id);
}

const conn_ids *conn_table_ids(conn_table *t, const conn_entry *e, const mqttka_connection *c)
{
    if (!t->keep_ids || !e)
        return NULL;
    conn_ids *ids = &t->ids[e - t->entries];
    if (!ids->uid[0])
        conn_ids_of(t, c, ids);
    return ids;
}

const finding_group *conn_entry_groups(const conn_entry *e, finding_group *scratch)
{
    if (!e)
        return NULL;
    if (e->cap_groups)
        return e->groups.many;
    memset(scratch, 0, sizeof *scratch);
    if (e->n_groups) {
        scratch->kind = e->kind;
        scratch->severity = e->severity;
        scratch->dir = e->dir;
        scratch->has_value = e->has_value;
        scratch->count = 1;
        scratch->first_frame = scratch->last_frame = e->groups.one.frame;
        scratch->min = scratch->max = e->groups.one.value;
    }
    return scratch;
}

/* A second finding: the one in the entry becomes the first of an array. */
static bool make_array(conn_entry *e)
{
    finding_group one;
    conn_entry_groups(e, &one);
    finding_group *many = malloc(2 * sizeof *many);
    if (!many)
        return false;
    many[0] = one;
    e->groups.many = many;
    e->cap_groups = 2;
    return true;
}

bool conn_entry_note_finding(conn_entry *e, const mqttka_finding *f)
{
    if (e->n_groups == 0) {
        e->kind = (uint8_t)f->kind;
        e->severity = (uint8_t)f->severity;
        e->dir = (uint8_t)f->dir;
        e->has_value = f->has_value;
        e->groups.one.frame = f->tag;
        e->groups.one.value = f->has_value ? f->value : 0.0;
        e->n_groups = 1;
        return false;
    }
    if (!e->cap_groups && !make_array(e))
        return false;
    finding_group *groups = e->groups.many;
    finding_group *g = NULL;
    for (uint8_t i = 0; i < e->n_groups; i++) {
        finding_group *h = &groups[i];
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
        /* Arrays of 2, 4, ... CONN_GROUPS_MAX. */
        if (e->cap_groups >= CONN_GROUPS_MAX)
            return false;
        uint8_t cap = (uint8_t)(e->cap_groups * 2);
        finding_group *more = realloc(groups, cap * sizeof *more);
        if (!more)
            return false;
        e->groups.many = groups = more;
        e->cap_groups = cap;
    }
    g = &groups[e->n_groups++];
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
                                      mqttka_severity severity, mqttka_direction dir,
                                      finding_group *scratch)
{
    const finding_group *groups = conn_entry_groups(e, scratch);
    for (uint8_t i = 0; e && i < e->n_groups; i++) {
        const finding_group *g = &groups[i];
        if (g->kind == kind && g->severity == severity && g->dir == dir)
            return g;
    }
    return NULL;
}

void conn_entry_severity_counts(const conn_entry *e, uint64_t *errors, uint64_t *warnings)
{
    *errors = *warnings = 0;
    finding_group one;
    const finding_group *groups = conn_entry_groups(e, &one);
    for (uint8_t i = 0; e && i < e->n_groups; i++) {
        if (groups[i].severity == MQTTKA_ERROR)
            *errors += groups[i].count;
        else if (groups[i].severity == MQTTKA_WARN)
            *warnings += groups[i].count;
    }
}

/* What the memory figures in conn_table.h count on (x86-64 and the like). */
_Static_assert(sizeof(void *) != 8 || sizeof(conn_entry) == 32, "conn_entry is 32 bytes");
