/*
 * text_pool.c - texts kept once, with a count of their holders.
 */
#include "text_pool.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_POOL_INITIAL_SLOTS 64u

/* 8 bytes before the text: a malloc'ed copy of a short detail costs no
 * more than before, and a shared one costs a slot in the table. */
struct text_entry {
    uint32_t holders;
    uint32_t hash;
    char text[];
};

/* Eight bytes at a time (a finding detail is about a hundred, hashed once
 * per finding kept): each word is mixed in with a multiply, as in FNV, and
 * the high half folded into the low at the end. */
static uint32_t text_hash(const char *text, size_t len)
{
    const uint64_t prime = 0x9E3779B97F4A7C15ull;
    uint64_t h = 1469598103934665603ull ^ len;
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t word;
        memcpy(&word, text + i, sizeof word);
        h = (h ^ word) * prime;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    memcpy(&tail, text + i, len - i);
    h = (h ^ tail) * prime;
    h ^= h >> 32;
    return (uint32_t)h;
}

/* The entry of a text the pool handed out as const (its holders must not
 * change it; the pool may: through the address, not a cast of const away). */
static text_entry *entry_of(const char *held)
{
    return (text_entry *)(uintptr_t)(held - offsetof(text_entry, text));
}

static size_t slot_mask(const text_pool *p) { return p->n_slots - 1; }

void text_pool_init(text_pool *p)
{
    memset(p, 0, sizeof *p);
}

void text_pool_free(text_pool *p)
{
    for (size_t i = 0; i < p->n_slots; i++)
        free(p->slots[i]);
    free(p->slots);
    text_pool_init(p);
}

static void slot_put(text_entry **slots, size_t mask, text_entry *e)
{
    size_t i = e->hash & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = e;
}

/* Grows the table so that one more entry keeps it at most three quarters
 * full; false when it must grow and cannot. */
static bool make_room(text_pool *p)
{
    if ((p->count + 1) * 4 <= p->n_slots * 3)
        return true;
    size_t n = p->n_slots ? p->n_slots * 2 : TEXT_POOL_INITIAL_SLOTS;
    if (n > SIZE_MAX / sizeof *p->slots)
        return false;
    text_entry **ns = calloc(n, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < p->n_slots; i++)
        if (p->slots[i])
            slot_put(ns, n - 1, p->slots[i]);
    free(p->slots);
    p->slots = ns;
    p->n_slots = n;
    return true;
}

const char *text_pool_hold(text_pool *p, const char *text)
{
    size_t len = strlen(text);
    uint32_t hash = text_hash(text, len);
    if (p->n_slots) {
        for (size_t i = hash & slot_mask(p); p->slots[i]; i = (i + 1) & slot_mask(p)) {
            text_entry *e = p->slots[i];
            if (e->hash != hash || strcmp(e->text, text) != 0)
                continue;
            if (e->holders == UINT32_MAX)
                return NULL;
            e->holders++;
            return e->text;
        }
    }
    if (!make_room(p) || len > SIZE_MAX - sizeof(text_entry) - 1)
        return NULL;
    text_entry *e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    e->holders = 1;
    e->hash = hash;
    memcpy(e->text, text, len + 1);
    slot_put(p->slots, slot_mask(p), e);
    p->count++;
    return e->text;
}

/* Is `home` (an entry's ideal slot) cyclically within (gap, j]? Then the
 * entry at j cannot move back to `gap`: it would sit before its home. */
static bool home_between(size_t gap, size_t home, size_t j)
{
    return gap <= j ? (gap < home && home <= j) : (gap < home || home <= j);
}

void text_pool_release(text_pool *p, const char *held)
{
    if (!held)
        return;
    text_entry *e = entry_of(held);
    if (--e->holders)
        return;
    size_t mask = slot_mask(p);
    size_t gap = e->hash & mask;
    while (p->slots[gap] != e)
        gap = (gap + 1) & mask;
    for (size_t j = (gap + 1) & mask; p->slots[j]; j = (j + 1) & mask) {
        size_t home = p->slots[j]->hash & mask;
        if (home_between(gap, home, j))
            continue;
        p->slots[gap] = p->slots[j];
        gap = j;
    }
    p->slots[gap] = NULL;
    p->count--;
    free(e);
}
