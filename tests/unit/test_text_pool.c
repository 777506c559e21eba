/*
 * test_text_pool.c - the text pool (core/text_pool.c) against a plain array
 * of how many holds each text should have, through many random holds and
 * releases.
 *
 * Equal texts must come back as one pointer however often they are held,
 * with the text unchanged; a text must survive until its last holder lets
 * go, and then be gone (the next hold makes a new copy, which ASan checks
 * is never read after its free); the pool's count of distinct texts must
 * match; removal's backward shift must keep every other text findable.
 */
#include "text_pool.h"
#include "test_harness.h"

#include <stdbool.h>
#include <stdint.h>

enum { TEXTS = 2000, OPS = 200000 };

/* Text i: some share long common prefixes, as finding details do; "" too. */
static void text_of(uint32_t i, char *buf, size_t size)
{
    if (i == 0)
        buf[0] = '\0';
    else if (i % 3 == 0)
        snprintf(buf, size, "MQTT 3.1.1, keepalive %u s, effective %u s", i, i);
    else
        snprintf(buf, size, "t%u", i);
}

static const char *held[TEXTS];
static unsigned holds[TEXTS];

static void hold_one(text_pool *p, uint32_t i)
{
    char buf[96];
    text_of(i, buf, sizeof buf);
    const char *t = text_pool_hold(p, buf);
    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_EQ_STR(t, buf);
    CHECK(t != buf);
    if (holds[i])
        CHECK(t == held[i]);
    held[i] = t;
    holds[i]++;
}

static void release_one(text_pool *p, uint32_t i)
{
    char buf[96];
    text_of(i, buf, sizeof buf);
    CHECK_EQ_STR(held[i], buf);
    text_pool_release(p, held[i]);
    if (--holds[i] == 0)
        held[i] = NULL;
}

static void check_count(const text_pool *p)
{
    size_t distinct = 0;
    for (uint32_t i = 0; i < TEXTS; i++)
        distinct += holds[i] > 0;
    CHECK_EQ_INT(p->count, distinct);
}

static void test_random_holds(void)
{
    text_pool p;
    text_pool_init(&p);
    CHECK(p.n_slots == 0);
    for (uint32_t op = 0; op < OPS; op++) {
        uint32_t i = (uint32_t)(th_rng() % TEXTS);
        /* More holds than releases at first, then the other way round, so
         * the table both grows and empties. */
        bool release = holds[i] && th_rng() % 100 < (op < OPS / 2 ? 40u : 70u);
        if (release)
            release_one(&p, i);
        else
            hold_one(&p, i);
        if (op % 9973 == 0)
            check_count(&p);
    }
    check_count(&p);
    /* Every text still held is still there, and equal texts still meet. */
    for (uint32_t i = 0; i < TEXTS; i++) {
        if (!holds[i])
            continue;
        hold_one(&p, i);
        release_one(&p, i);
    }
    for (uint32_t i = 0; i < TEXTS; i++)
        while (holds[i])
            release_one(&p, i);
    CHECK_EQ_INT(p.count, 0);
    text_pool_release(&p, NULL);
    text_pool_free(&p);
}

/* Freeing the pool frees texts still held. */
static void test_free_with_holders(void)
{
    text_pool p;
    text_pool_init(&p);
    const char *a = text_pool_hold(&p, "same");
    const char *b = text_pool_hold(&p, "same");
    const char *c = text_pool_hold(&p, "other");
    CHECK(a && a == b && c && c != a);
    CHECK_EQ_INT(p.count, 2);
    text_pool_release(&p, a);
    CHECK_EQ_STR(b, "same");
    text_pool_free(&p);
    CHECK(p.slots == NULL && p.count == 0);
}

int main(void)
{
    test_random_holds();
    test_free_with_holders();
    return th_report();
}
