/*
 * test_between.c - the client id table (core/between.c) against a plain
 * array of the keys it should hold, through many random lookups and
 * insertions under a small cap.
 *
 * The table forgets an entry (backward-shift deletion) whenever a new key
 * comes at its cap: every key it holds must stay findable, a forgotten one
 * must not be found, the count must never pass the cap, the slots never
 * grow past what the cap needs, and each forgetting must be reported.
 */
#include "between.h"
#include "test_harness.h"

#include <stdint.h>

enum { KEYS = 5000, OPS = 200000, CAP = 700 };

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Key i of the test: the ids "id0".."id4999" at two servers. */
static uint64_t key_of(uint32_t i)
{
    char id[16];
    int n = snprintf(id, sizeof id, "id%u", (unsigned)(i / 2));
    mqttka_endpoint server = {4, {10, 0, 0, (uint8_t)(1 + i % 2)}, 1883};
    return client_key_id(id, (size_t)n, &server);
}

int main(void)
{
    static uint64_t keys[KEYS];
    static bool held[KEYS];
    for (uint32_t i = 0; i < KEYS; i++)
        keys[i] = key_of(i);
    /* distinct keys, none 0 */
    for (uint32_t i = 0; i < KEYS; i++) {
        CHECK(keys[i] != 0);
        for (uint32_t j = i + 1; j < KEYS && j < i + 3; j++)
            CHECK(keys[i] != keys[j]);
    }
    /* the port does not matter, the address does */
    mqttka_endpoint a = {4, {10, 0, 0, 1}, 1883}, b = {4, {10, 0, 0, 1}, 1882};
    CHECK(client_key_id("x", 1, &a) == client_key_id("x", 1, &b));
    CHECK(client_key_id("x", 1, &a) != client_key_addr(&a, &a));

    id_table t;
    id_table_init(&t, CAP);
    size_t count = 0, forgets = 0, bad_find = 0, bad_count = 0;
    for (uint32_t op = 0; op < OPS; op++) {
        uint32_t i = (uint32_t)(next() % KEYS);
        id_entry *e = id_table_find(&t, keys[i]);
        if ((e != NULL) != held[i])
            bad_find++;
        bool made, forgot;
        e = id_table_get(&t, keys[i], &made, &forgot);
        if (!e || e->key != keys[i] || made == held[i])
            bad_find++;
        e->last_connect = (mqttka_time)op; /* the oldest is forgotten first */
        if (forgot)
            forgets++;
        if (made) {
            held[i] = true;
            count++;
        }
        if (forgot) {
            /* exactly one held key is gone */
            size_t gone = 0;
            for (uint32_t k = 0; k < KEYS; k++)
                if (held[k] && k != i && !id_table_find(&t, keys[k])) {
                    held[k] = false;
                    gone++;
                }
            if (gone != 1)
                bad_find++;
            count--;
        }
        if (t.count != count || t.count > CAP)
            bad_count++;
    }
    CHECK_EQ_INT(bad_find, 0);
    CHECK_EQ_INT(bad_count, 0);
    CHECK(forgets > 0);
    CHECK_EQ_INT(t.forgotten, forgets);
    CHECK(t.n_slots <= 1024); /* 700 entries at most three quarters full */
    /* everything held is found with its own key */
    size_t found = 0;
    for (uint32_t k = 0; k < KEYS; k++)
        if (held[k] && id_table_find(&t, keys[k]))
            found++;
    CHECK_EQ_INT(found, t.count);
    id_table_free(&t);
    CHECK(t.slots == NULL);

    /* a cap of 0 keeps nothing */
    id_table_init(&t, 0);
    bool made, forgot;
    CHECK(id_table_get(&t, keys[0], &made, &forgot) == NULL);
    id_table_free(&t);

    printf("test_between: %u passed, %u failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}
