/*
 * test_harness.h - the few macros the unit tests share.
 *
 * Each test binary calls its cases, counts checks, prints one line per
 * failure with file:line, and ends with "N passed, N failed". Its exit status
 * is non-zero when anything failed, which is what meson test reads.
 */
#ifndef MQTTKA_TEST_HARNESS_H
#define MQTTKA_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned th_passed, th_failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            th_passed++;                                                               \
        } else {                                                                       \
            th_failed++;                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                             \
    do {                                                                               \
        long long th_a = (long long)(a), th_b = (long long)(b);                        \
        if (th_a == th_b) {                                                            \
            th_passed++;                                                               \
        } else {                                                                       \
            th_failed++;                                                               \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,      \
                    __LINE__, #a, th_a, #b, th_b);                                     \
        }                                                                              \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                             \
    do {                                                                               \
        const char *th_a = (a), *th_b = (b);                                           \
        if (th_a && th_b && strcmp(th_a, th_b) == 0) {                                 \
            th_passed++;                                                               \
        } else {                                                                       \
            th_failed++;                                                               \
            fprintf(stderr, "%s:%d: %s:\n  got      \"%s\"\n  expected \"%s\"\n",      \
                    __FILE__, __LINE__, #a, th_a ? th_a : "(null)",                    \
                    th_b ? th_b : "(null)");                                           \
        }                                                                              \
    } while (0)

/* Copies `len` bytes into a heap block of exactly that size, so that a read
 * past the end is caught by ASan (picohttpparser's habit). Free with free(). */
static inline unsigned char *th_exact_copy(const void *src, size_t len)
{
    unsigned char *p = malloc(len ? len : 1);
    if (!p)
        abort();
    if (len)
        memcpy(p, src, len);
    return p;
}

/* A fixed pseudo-random sequence (xorshift64) for randomised tests: the
 * same numbers on every run, so a failure repeats. */
static inline uint64_t th_rng(void)
{
    static uint64_t state = 0x9e3779b97f4a7c15ull;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static inline int th_report(void)
{
    printf("%u passed, %u failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}

#endif
