/*
 * test_block_pool.c - the session allocator (core/block_pool.c).
 *
 * Every block must be aligned (to a cache line, or for blocks smaller than
 * one, to what their size allows), distinct from and not overlapping any other
 * block in use (each is filled with its own byte and checked before it is
 * given back), reused once given back, and there must be as many as asked
 * for across several slabs; a block larger than a slab must work too. The
 * sanitizer build checks that nothing is read outside a block.
 */
#include "block_pool.h"
#include "test_harness.h"

#include <stdbool.h>
#include <stdint.h>

enum { BLOCKS = 3000, OPS = 100000 };

static unsigned char *in_use[BLOCKS];

static bool filled_with(const unsigned char *b, size_t size, unsigned char c)
{
    for (size_t i = 0; i < size; i++)
        if (b[i] != c)
            return false;
    return true;
}

/* What block_pool_init promises: the largest power of two that divides
 * the size, BLOCK_POOL_ALIGN at most. */
static size_t alignment_of(size_t size)
{
    size_t a = BLOCK_POOL_ALIGN;
    while (size % a)
        a /= 2;
    return a;
}

static void test_random(size_t size, uint32_t ops)
{
    block_pool p;
    block_pool_init(&p, size);
    for (uint32_t op = 0; op < ops; op++) {
        uint32_t i = (uint32_t)(th_rng() % BLOCKS);
        unsigned char mark = (unsigned char)(i * 7 + 1);
        if (in_use[i]) {
            CHECK(filled_with(in_use[i], size, mark));
            block_pool_put(&p, in_use[i]);
            in_use[i] = NULL;
            continue;
        }
        unsigned char *b = block_pool_get(&p);
        CHECK(b != NULL);
        if (!b)
            continue;
        CHECK((uintptr_t)b % alignment_of(size) == 0);
        memset(b, mark, size);
        in_use[i] = b;
    }
    for (uint32_t i = 0; i < BLOCKS; i++) {
        if (in_use[i])
            CHECK(filled_with(in_use[i], size, (unsigned char)(i * 7 + 1)));
        in_use[i] = NULL;
    }
    block_pool_free(&p);
    CHECK(p.slabs == NULL && p.free_list == NULL);
}

/* The last block given back is the next one handed out. */
static void test_reuse(void)
{
    block_pool p;
    block_pool_init(&p, 128);
    void *a = block_pool_get(&p), *b = block_pool_get(&p);
    CHECK(a && b && a != b);
    block_pool_put(&p, a);
    CHECK(block_pool_get(&p) == a);
    block_pool_put(&p, NULL);
    block_pool_free(&p);
}

int main(void)
{
    test_reuse();
    test_random(64, OPS);
    test_random(576, OPS);
    test_random(48, OPS); /* a session's first kept finding: 16-byte aligned */
    test_random(40, OPS); /* the same on a 32-bit machine */
    test_random(70 * 1024, 3000); /* larger than a slab */
    return th_report();
}
