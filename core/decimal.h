/*
 * decimal.h - unsigned decimal numbers written without printf.
 *
 * For text made on every packet (endpoints, the per-ping RTT finding), where
 * snprintf's format parsing costs more than the analysis around it.
 */
#ifndef MQTTKA_DECIMAL_H
#define MQTTKA_DECIMAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DECIMAL_U64_MAX_DIGITS 20

/* "00" "01" ... "99": two digits a step halve the divisions. */
static const char decimal_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes the `n` digits of `v` ending at `end` (v < 10^n, no NUL). */
static inline void decimal_put_ending(char *end, uint64_t v)
{
    while (v >= 100) {
        end -= 2;
        memcpy(end, decimal_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10)
        memcpy(end - 2, decimal_pairs + 2 * v, 2);
    else
        end[-1] = (char)('0' + v);
}

/* Writes `v` at `out` (no NUL); returns the number of digits written, at
 * most DECIMAL_U64_MAX_DIGITS. */
static inline size_t decimal_put_u64(char *out, uint64_t v)
{
    size_t n = 1;
    for (uint64_t p = 10; n < DECIMAL_U64_MAX_DIGITS && v >= p; p *= 10)
        n++;
    decimal_put_ending(out + n, v);
    return n;
}

/* Writes `v` with exactly `width` digits, zero-padded (v < 10^width). */
static inline void decimal_put_padded(char *out, uint64_t v, size_t width)
{
    for (size_t i = width; i-- > 0;) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

#endif
