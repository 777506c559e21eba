/*
 * clients.c - the per-client view (clients.h).
 */
#include "clients.h"

#include <stdlib.h>
#include <string.h>

#define CLIENT_TABLE_MIN_CAPACITY 64

void client_table_init(client_table *t, size_t max_clients)
{
    memset(t, 0, sizeof *t);
    t->max = max_clients;
}

void client_table_free(client_table *t)
{
    free(t->slots);
    t->slots = NULL;
    t->capacity = t->n = 0;
}

/* FNV-1a over the key and whether it is an address. */
static size_t client_hash(const char *key, bool by_address)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)by_address;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return (size_t)(h ^ (h >> 29));
}

static client_rec *probe(client_rec *slots, size_t capacity, const char *key, bool by_address)
{
    size_t i = client_hash(key, by_address) & (capacity - 1);
    for (;; i = (i + 1) & (capacity - 1)) {
        client_rec *r = &slots[i];
        if (!r->connections || (r->by_address == by_address && strcmp(r->key, key) == 0))
            return r; /* a free slot: every row has a connection */
    }
}

/* Doubles the table (at least twice as many slots as rows, so a probe ends). */
static bool grow(client_table *t)
{
    size_t capacity = t->capacity ? t->capacity * 2 : CLIENT_TABLE_MIN_CAPACITY;
    if (capacity > SIZE_MAX / sizeof(client_rec))
        return false;
    client_rec *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].connections)
            *probe(slots, capacity, t->slots[i].key, t->slots[i].by_address) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->capacity = capacity;
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
    client_rec *r = t->capacity ? probe(t->slots, t->capacity, key, by_address) : NULL;
    if (!r || !r->connections) {
        if (t->n >= t->max || ((t->n + 1) * 2 > t->capacity && !grow(t))) {
            t->untracked_connections++;
            return;
        }
        r = probe(t->slots, t->capacity, key, by_address);
        size_t n = strnlen(key, sizeof r->key - 1);
        memcpy(r->key, key, n);
        r->key[n] = '\0';
        r->by_address = by_address;
        r->first = r->last = r->longest = MQTTKA_TIME_NONE;
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
        for (size_t i = 0; i < e->n_groups; i++) {
            const finding_group *g = &e->groups[i];
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
    size_t n = 0;
    for (size_t i = 0; i < t->capacity && n < t->n; i++)
        if (t->slots[i].connections)
            rows[n++] = &t->slots[i];
    qsort(rows, n, sizeof *rows, row_ptr_compare);
    *out = rows;
    return n;
}

size_t client_table_worst(const client_table *t, const client_rec **out, size_t max)
{
    if (max == 0)
        return 0;
    /* A bounded selection: keep the `max` worst seen so far, sorted. */
    size_t n = 0;
    for (size_t i = 0; i < t->capacity; i++) {
        const client_rec *c = &t->slots[i];
        if (!c->connections || !client_rec_troubled(c))
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
