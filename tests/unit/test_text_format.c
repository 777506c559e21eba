/*
 * test_text_format.c - text_format writes what snprintf writes, and returns
 * what it returns, for every conversion it takes on itself (text_format.h),
 * and hands the rest to snprintf: checked against glibc's snprintf on the
 * same arguments, with doubles drawn around every rounding boundary, exact
 * ties included, and every buffer size down to 0.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test_harness.h"
#include "text_format.h"

/* Cutting texts short is what test_truncation is for. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* Both formatters into buffers of `size` (at most 64) bytes; equal? */
#define SAME(size, ...)                                                                       \
    do {                                                                                      \
        char ours_[80], libc_[80];                                                            \
        memset(ours_, 0x7e, sizeof ours_);                                                    \
        memset(libc_, 0x7e, sizeof libc_);                                                    \
        int n_ours_ = text_format(ours_, (size), __VA_ARGS__);                                \
        int n_libc_ = snprintf(libc_, (size), __VA_ARGS__);                                   \
        if (n_ours_ != n_libc_ || memcmp(ours_, libc_, sizeof ours_) != 0) {                  \
            fprintf(stderr, "%s:%d: size %zu: text_format \"%.*s\" (%d), snprintf \"%.*s\" (%d)\n", \
                    __FILE__, __LINE__, (size_t)(size), (int)sizeof ours_, ours_, n_ours_,    \
                    (int)sizeof libc_, libc_, n_libc_);                                       \
            th_failed++;                                                                      \
        } else {                                                                              \
            th_passed++;                                                                      \
        }                                                                                     \
    } while (0)

static double random_double(void)
{
    uint64_t r = th_rng();
    switch (r % 6) {
    case 0: return (double)(r >> 8) / 1e6;                 /* microseconds, as the findings */
    case 1: return (double)((r >> 8) % 100000) / 1000.0 + 0.0005; /* near a %.3f boundary */
    case 2: return (double)((r >> 8) % 2000000) / 8.0;     /* exact eighths: ties at %.0f-%.2f */
    case 3: return (double)((r >> 8) % 100000000) / 16.0;  /* exact sixteenths: ties at %.3f */
    case 4: {                                              /* any bit pattern, finite */
        double d;
        uint64_t bits = th_rng();
        memcpy(&d, &bits, sizeof d);
        return isfinite(d) ? fabs(d) : 1.0;
    }
    default: return ldexp((double)(r >> 11), -(int)((r >> 3) % 60)); /* any binary fraction */
    }
}

static void test_doubles(void)
{
    for (int i = 0; i < 200000; i++) {
        double v = random_double();
        SAME(64, "%.0f", v);
        SAME(64, "%.1f", v);
        SAME(64, "%.2f", v);
        SAME(64, "%.3f", v);
    }
    static const double edges[] = {0.0, -0.0, 0.5, 1.5, 2.5, 0.25, 0.125, 0.0625, 0.0005,
                                   0.9995, 9.9995, 999999999999999.9, 1e15, 1e15 - 0.125,
                                   1e16, 1e300, -1.0, -0.0004, DBL_MIN, DBL_TRUE_MIN, DBL_MAX,
                                   INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        SAME(64, "%.0f|%.1f|%.2f|%.3f", edges[i], edges[i], edges[i], edges[i]);
        SAME(8, "x %.3f s", edges[i]);
    }
}

static void test_integers_and_strings(void)
{
    for (int i = 0; i < 100000; i++) {
        uint64_t r = th_rng();
        int d = (int)(uint32_t)r;
        SAME(64, "%d %u %x %02x %02X", d, (unsigned)(r >> 32), (unsigned)r, (unsigned)(r >> 8) & 0x1ff,
             (unsigned)(r >> 20) & 0xff);
        unsigned long long frame = th_rng();
        size_t bytes = (size_t)th_rng();
        SAME(64, "frame %llu, %zu bytes", frame, bytes);
    }
    SAME(64, "%d %d %d", INT_MIN, INT_MAX, 0);
    SAME(64, "%llu %zu %u", ULLONG_MAX, (size_t)SIZE_MAX, UINT_MAX);
    SAME(64, "%s|%s|100%%|%s", "", "mqtt", "caf\xc3\xa9");
    SAME(64, "no conversion at all");
    SAME(64, "%%%%");
}

/* Formats it does not take are snprintf's, whole: the same bytes. */
static void test_handed_over(void)
{
    SAME(64, "%s then %5.1f", "x", 2.25);
    SAME(64, "%-5s|%3d|%g", "ab", 7, 0.1);
    SAME(64, "%.3f then %e", 1.0005, 1.0005);
    const char *volatile null = NULL; /* hidden from the compiler's format check */
    SAME(64, "%s", null);
    SAME(64, "%ld %lld %hhu", 5L, -6LL, 300);
}

/* Every size from 0 up: what fits, the NUL, the untouched rest, the length. */
static void test_truncation(void)
{
    for (size_t size = 0; size <= 64; size++) {
        SAME(size, "client silent %.3f s (%.2f x keepalive %d s) until %s; frame %llu", 20.0865,
             4.0173, 5, "the end of the capture", 30100ULL);
        SAME(size, "%s sent DISCONNECT with reason 0x%02X (%s)", "client", 0x8du, "keep alive");
        SAME(size, "%.0f", 1e14);
    }
}

int main(void)
{
    test_doubles();
    test_integers_and_strings();
    test_handed_over();
    test_truncation();
    return th_report();
}
