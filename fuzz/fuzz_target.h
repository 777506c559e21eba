/*
 * fuzz_target.h - what every fuzz target shares.
 *
 * A target is one LLVMFuzzerTestOneInput(). It must not leak, must not keep
 * state between inputs that changes their outcome, and checks the
 * invariants of the code under test with FUZZ_ASSERT: a broken invariant is
 * a crash, which libFuzzer saves as an input and fuzz/main.c reports.
 */
#ifndef MQTTKA_FUZZ_TARGET_H
#define MQTTKA_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                              \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* Event logs are compared through a 64-bit FNV-1a hash: the same decoder fed
 * the same bytes in other chunks must produce the same log. */
typedef struct fuzz_hash {
    uint64_t h;
} fuzz_hash;

static inline void fuzz_hash_init(fuzz_hash *fh) { fh->h = 1469598103934665603ull; }

static inline void fuzz_hash_bytes(fuzz_hash *fh, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        fh->h ^= b[i];
        fh->h *= 1099511628211ull;
    }
}

static inline void fuzz_hash_u64(fuzz_hash *fh, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        fh->h ^= (uint8_t)(v >> (8 * i));
        fh->h *= 1099511628211ull;
    }
}

/* Chunk sizes for splitting an input, drawn from a small xorshift generator
 * seeded by the input itself, so that a replay splits exactly as the run
 * that found a crash did. */
typedef struct fuzz_rng {
    uint64_t s;
} fuzz_rng;

static inline fuzz_rng fuzz_rng_make(const uint8_t *data, size_t size)
{
    fuzz_hash fh;
    fuzz_hash_init(&fh);
    fuzz_hash_bytes(&fh, data, size);
    fuzz_rng r = {fh.h | 1};
    return r;
}

static inline uint64_t fuzz_rng_next(fuzz_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

/* 1..max, mostly small: most bugs of streaming decoders sit at 1-byte
 * and few-byte boundaries. */
static inline size_t fuzz_chunk(fuzz_rng *r, size_t max)
{
    uint64_t v = fuzz_rng_next(r);
    size_t c = (v & 3) == 0 ? (size_t)(v >> 8) % 64 + 1 : (size_t)(v >> 8) % 5 + 1;
    return c < max ? c : max;
}

/* A heap copy of exactly `n` bytes, so an over-read of a piece is caught by
 * AddressSanitizer, not hidden by the rest of the input behind it. */
static inline uint8_t *fuzz_exact_copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (!c)
        abort();
    for (size_t i = 0; i < n; i++)
        c[i] = p[i];
    return c;
}

#endif
