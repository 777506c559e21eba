/*
 * clients.c - the per-client view (clients.h).
 */
#include "clients.h"

#include <stdlib.h>
#include <string.h>

#define CLIENT_TABLE_MIN_CAPACITY 64
#define CLIENT_ROWS_MIN 64

void client_table_init(client_table *t, size_t max_clients)
{
    memset(t, 0, sizeof *t);
    t->max = max_clients;
}

void client_table_free(client_table *t)
{
    free(t->rows);
    free(t->index);
    t->rows = NULL;
    t->index = NULL;
    t->capacity = t->n = t->cap_rows = 0;
}

/* FNV-1a over the key and whether it is an address. */
static size_t client_hash(const char *key, bool by_address)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)by_address;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return (size_t)(h ^ (h >> 29));
}

/* The index slot of (key, by_address): the one that holds its row, or the
 * free one where it goes. The index is at most half full: a probe ends. */
static uint32_t *find_slot(const client_table *t, const char *key, bool by_address)
{
    size_t i = client_hash(key, by_address) & (t->capacity - 1);
    for (;; i = (i + 1) & (t->capacity - 1)) {
        uint32_t *slot = &t->index[i];
        if (!*slot)
            return slot;
        const client_rec *r = &t->rows[*slot - 1];
        if (r->by_address == by_address && strcmp(r->key, key) == 0)
            return slot;
    }
}

/* Doubles the index and puts every row back in it. */
static bool grow_index(client_table *t)
{
    size_t capacity = t->capacity ? t->capacity * 2 : CLIENT_TABLE_MIN_CAPACITY;
    if (capacity > SIZE_MAX / sizeof(uint32_t))
        return false;
    uint32_t *index = calloc(capacity, sizeof *index);
    if (!index)
        return false;
    free(t->index);
    t->index = index;
    t->capacity = capacity;
    for (size_t i = 0; i < t->n; i++)
        *find_slot(t, t->rows[i].key, t->rows[i].by_address) = (uint32_t)(i + 1);
    return true;
}

/* Half as many rows again (realloc: a large block is moved by the kernel,
 * not copied, so the old and the new never both take memory for long). */
static bool grow_rows(client_table *t)
{
    size_t cap = t->cap_rows ? t->cap_rows + t->cap_rows / 2 : CLIENT_ROWS_MIN;
    if (cap > t->max)
        cap = t->max;
    if (cap <= t->cap_rows || cap > SIZE_MAX / sizeof(client_rec))
        return false;
    client_rec *rows = realloc(t->rows, cap * sizeof *rows);
    if (!rows)
        return false;
    t->rows = rows;
    t->cap_rows = cap;
    return true;
}

/* The client's address without the port: "1.2.3.4" or "::1". */
static void client_address(const mqttka_connection *c, char *out, size_t size)
{
    mqttka_endpoint host = c->client;
    host.port = 0;
    mqttka_endpoint_format(&host, out, size);
    char *colon = strrchr(out, ':'); /* "1.2.3.4:0", "[::1]:0" */
    if (colon)
        *colon = '\0';
    if (out[0] == '[') {
        size_t n = strlen(out);
        memmove(out, out + 1, n);
        if (n >= 2 && out[n - 2] == ']')
            out[n - 2] = '\0';
    }
}

void client_table_note(client_table *t, const mqttka_summary *s, const mqttka_connection *c,
                       const conn_entry *e)
{
    char addr[64];
    const char *key;
    bool by_address = !(c->mqtt_level && c->client_id[0]);
    if (by_address) {
        client_address(c, addr, sizeof addr);
        key = addr;
    } else {
        key = c->client_id;
    }
    uint32_t *slot = t->capacity ? find_slot(t, key, by_address) : NULL;
    client_rec *r;
    if (slot && *slot) {
        r = &t->rows[*slot - 1];
    } else {
        if (t->n >= t->max || t->n >= UINT32_MAX - 1 ||
            ((t->n + 1) * 2 > t->capacity && !grow_index(t)) ||
            (t->n == t->cap_rows && !grow_rows(t))) {
            t->untracked_connections++;
            return;
        }
        slot = find_slot(t, key, by_address);
        r = &t->rows[t->n];
        memset(r, 0, sizeof *r);
        size_t n = strnlen(key, sizeof r->key - 1);
        memcpy(r->key, key, n);
        r->key[n] = '\0';
        r->by_address = by_address;
        r->first = r->last = r->longest = MQTTKA_TIME_NONE;
        *slot = (uint32_t)(t->n + 1);
        t->n++;
    }
    r->connections++;
    if ((unsigned)s->verdict < MQTTKA_V_COUNT)
        r->verdicts[s->verdict]++;
    if (c->start != MQTTKA_TIME_NONE && (r->first == MQTTKA_TIME_NONE || c->start < r->first))
        r->first = c->start;
    if (c->end != MQTTKA_TIME_NONE && (r->last == MQTTKA_TIME_NONE || c->end > r->last))
        r->last = c->end;
    if (c->start != MQTTKA_TIME_NONE && c->end != MQTTKA_TIME_NONE &&
        (r->longest == MQTTKA_TIME_NONE || c->end - c->start > r->longest))
        r->longest = c->end - c->start;
    if (e) {
        finding_group one;
        const finding_group *groups = conn_entry_groups(e, &one);
        for (size_t i = 0; i < e->n_groups; i++) {
            const finding_group *g = &groups[i];
            if (g->kind < MQTTKA_F_COUNT)
                r->findings[g->kind] += g->count;
            if (g->severity == MQTTKA_ERROR)
                r->errors += g->count;
            else if (g->severity == MQTTKA_WARN)
                r->warnings += g->count;
        }
    }
}

uint64_t client_rec_reconnects(const client_rec *r)
{
    return r->connections ? r->connections - 1 : 0;
}

bool client_rec_troubled(const client_rec *r)
{
    return r->errors || r->warnings || r->connections > 1;
}

int client_rec_compare(const client_rec *a, const client_rec *b)
{
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

static int row_ptr_compare(const void *pa, const void *pb)
{
    return client_rec_compare(*(const client_rec *const *)pa, *(const client_rec *const *)pb);
}

size_t client_table_sorted(const client_table *t, const client_rec ***out)
{
    *out = NULL;
    if (!t->n)
        return 0;
    const client_rec **rows = malloc(t->n * sizeof *rows);
    if (!rows)
        return 0;
    size_t n = t->n;
    for (size_t i = 0; i < n; i++)
        rows[i] = &t->rows[i];
    qsort(rows, n, sizeof *rows, row_ptr_compare);
    *out = rows;
    return n;
}

/* A bounded selection: keep the `max` worst seen so far, sorted. */
static size_t select_worst(const client_table *t, const client_rec **out, size_t max,
                           bool troubled_only)
{
    if (max == 0)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const client_rec *c = &t->rows[i];
        if (troubled_only && !client_rec_troubled(c))
            continue;
        if (n == max && client_rec_compare(c, out[n - 1]) >= 0)
            continue;
        size_t at = n < max ? n++ : max - 1;
        out[at] = c;
        while (at > 0 && client_rec_compare(out[at], out[at - 1]) < 0) {
            const client_rec *tmp = out[at];
            out[at] = out[at - 1];
            out[at - 1] = tmp;
            at--;
        }
    }
    return n;
}

size_t client_table_worst(const client_table *t, const client_rec **out, size_t max)
{
    return select_worst(t, out, max, true);
}

size_t client_table_first(const client_table *t, const client_rec **out, size_t max)
{
    return select_worst(t, out, max, false);
}
