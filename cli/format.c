/*
 * format.c - fixed-decimal numbers and UTF-8 checks for the outputs.
 */
#include "format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint64_t pow10_u64(unsigned n)
{
    uint64_t p = 1;
    while (n--)
        p *= 10;
    return p;
}

/* Writes `v` in decimal with at least `min_digits` digits (zero-padded);
 * returns the end. */
static char *write_digits(char *p, uint64_t v, unsigned min_digits)
{
    char tmp[20];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < min_digits)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

const char *format_scaled(char *buf, int64_t value, unsigned scale_digits,
                          unsigned shown_digits)
{
    if (scale_digits > 9)
        scale_digits = 9;
    if (shown_digits > scale_digits)
        shown_digits = scale_digits;
    int negative = value < 0;
    /* |INT64_MIN| does not fit in int64_t; it does in uint64_t. */
    uint64_t magnitude = negative ? (uint64_t)(-(value + 1)) + 1 : (uint64_t)value;
    uint64_t drop = pow10_u64(scale_digits - shown_digits);
    uint64_t remainder = magnitude % drop;
    magnitude = magnitude / drop + (drop > 1 && remainder >= drop - remainder ? 1 : 0);
    uint64_t unit = pow10_u64(shown_digits);
    /* By hand rather than snprintf: every timeline line prints a few of
     * these, and snprintf was a tenth of a text run's instructions. At most
     * 1 sign + 20 integer digits + 1 point + 9 decimals + NUL = 32 bytes. */
    char *p = buf;
    if (negative && magnitude)
        *p++ = '-';
    p = write_digits(p, magnitude / unit, 1);
    if (shown_digits > 0) {
        *p++ = '.';
        p = write_digits(p, magnitude % unit, shown_digits);
    }
    *p = '\0';
    return buf;
}

const char *format_seconds6(char *buf, int64_t micros)
{
    return format_scaled(buf, micros, 6, 6);
}

const char *format_double(char *buf, double value)
{
    if (!isfinite(value)) {
        snprintf(buf, FORMAT_NUMBER_MAX, "null");
        return buf;
    }
    /* Beyond 1e15 six decimals mean nothing and %f grows long: use %g. */
    if (value >= 1e15 || value <= -1e15) {
        snprintf(buf, FORMAT_NUMBER_MAX, "%.17g", value);
        return buf;
    }
    snprintf(buf, FORMAT_NUMBER_MAX, "%.6f", value);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, FORMAT_NUMBER_MAX, "0");
    return buf;
}

size_t utf8_sequence_length(const uint8_t *s, size_t len)
{
    if (len == 0)
        return 0;
    uint8_t b0 = s[0];
    if (b0 < 0x80)
        return 1;
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        need = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        need = 3;
        if (b0 == 0xe0)
            lo = 0xa0; /* overlong */
        else if (b0 == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        need = 4;
        if (b0 == 0xf0)
            lo = 0x90; /* overlong */
        else if (b0 == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (len < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}
