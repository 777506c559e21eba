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

#define DECIMAL_U64_MAX_DIGITS 20

/* Writes `v` at `out` (no NUL); returns the number of digits written, at
 * most DECIMAL_U64_MAX_DIGITS. */
static inline size_t decimal_put_u64(char *out, uint64_t v)
{
    char tmp[DECIMAL_U64_MAX_DIGITS];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
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
