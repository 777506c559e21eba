/*
 * block_pool.c - blocks of one size, carved from 64-byte aligned slabs.
 */
#include "block_pool.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define BLOCK_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BLOCK_POOL_ASAN 1
#endif
#endif

#ifdef BLOCK_POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Big enough that the slab's own malloc overhead is noise, small enough
 * that a capture with a few connections does not pay for many. */
#define SLAB_BYTES ((size_t)64 * 1024)

/* A slab's first line links it to the next; its blocks follow. */
struct block_pool_slab {
    block_pool_slab *next;
};
#define SLAB_HEADER BLOCK_POOL_ALIGN

void block_pool_init(block_pool *p, size_t block_size)
{
    memset(p, 0, sizeof *p);
    p->block_size = block_size;
}

void block_pool_free(block_pool *p)
{
    /* Blocks still poisoned are fine to free: AddressSanitizer's free
     * poisons the whole allocation anew. */
    for (block_pool_slab *s = p->slabs, *next; s; s = next) {
        next = s->next;
        free(s);
    }
    block_pool_init(p, p->block_size);
}

/* Starts a new slab to carve from; false when out of memory. */
static bool slab_add(block_pool *p)
{
    /* A block larger than a slab gets a slab of its own. */
    size_t bytes = SLAB_BYTES;
    if (p->block_size > SLAB_BYTES - SLAB_HEADER)
        bytes = SLAB_HEADER + p->block_size;
    block_pool_slab *s = aligned_alloc(BLOCK_POOL_ALIGN, bytes);
    if (!s)
        return false;
    s->next = p->slabs;
    p->slabs = s;
    p->carve = (char *)s + SLAB_HEADER;
    p->carve_end = p->carve + (bytes - SLAB_HEADER) / p->block_size * p->block_size;
    POISON(p->carve, (size_t)(p->carve_end - p->carve));
    return true;
}

void *block_pool_get(block_pool *p)
{
    void *block = p->free_list;
    if (block) {
        UNPOISON(block, p->block_size);
        memcpy(&p->free_list, block, sizeof p->free_list);
        return block;
    }
    if (p->carve == p->carve_end && !slab_add(p))
        return NULL;
    block = p->carve;
    p->carve += p->block_size;
    UNPOISON(block, p->block_size);
    return block;
}

void block_pool_put(block_pool *p, void *block)
{
    if (!block)
        return;
    memcpy(block, &p->free_list, sizeof p->free_list);
    p->free_list = block;
    POISON(block, p->block_size);
}
