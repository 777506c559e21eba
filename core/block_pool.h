/*
 * block_pool.h - blocks of one size, carved from 64-byte aligned slabs.
 *
 * Sessions are laid out in cache lines (session.h), so they must
 * start on a line. aligned_alloc gives that at a price: glibc takes the
 * size plus the alignment plus a minimum chunk from the heap and gives the
 * slack back in pieces the program's other allocations rarely fit, about
 * a hundred bytes a session, a hundred thousand times in a broker capture.
 * Carving same-size blocks from 64 KiB slabs costs nothing per block. A
 * freed block is kept for the next one (last in, first out); slabs go back
 * only when the pool is freed, so the pool's memory is the most blocks ever
 * in use at once. The same saves malloc's header and rounding on small
 * blocks that many connections hold (a session's first kept finding).
 * Under AddressSanitizer a free block is poisoned, so a
 * use after block_pool_put is still caught.
 */
#ifndef MQTTKA_BLOCK_POOL_H
#define MQTTKA_BLOCK_POOL_H

#include <stddef.h>

#define BLOCK_POOL_ALIGN 64

typedef struct block_pool_slab block_pool_slab; /* private */

typedef struct block_pool {
    size_t block_size;      /* a multiple of 8, or of BLOCK_POOL_ALIGN for lines */
    void *free_list;        /* blocks given back, linked through their first bytes */
    block_pool_slab *slabs; /* every slab, newest first */
    char *carve, *carve_end; /* the newest slab's blocks never handed out */
} block_pool;

/* An empty pool of blocks of `block_size` bytes, a non-zero multiple of 8:
 * each block is aligned to the largest power of two, at most
 * BLOCK_POOL_ALIGN, that divides block_size (a multiple of BLOCK_POOL_ALIGN
 * gives cache lines). Allocates nothing until the first block. */
void block_pool_init(block_pool *p, size_t block_size);

/* Frees every slab, blocks in use or not; the pool is empty after. */
void block_pool_free(block_pool *p);

/* A block of block_size bytes, aligned as block_pool_init says, contents
 * undefined, owned by the caller until block_pool_put; NULL when out of
 * memory. */
void *block_pool_get(block_pool *p);

/* Gives back a block block_pool_get returned. NULL is ignored. */
void block_pool_put(block_pool *p, void *block);

#endif
