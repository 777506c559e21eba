/*
 * format.c - decimal and fixed-decimal numbers and UTF-8 checks for the
 * outputs, written by hand (see format.h for why).
 */
#include "format.h"
#include "format_inline.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const uint64_t powers_of_ten[10] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

/* v / 10^digits and its remainder (digits <= 9). A case per power, so each
 * divisor is a constant the compiler turns into a multiplication: a 64-bit
 * division by a variable costs more than the rest of a time stamp. */
static uint64_t divide_by_power_of_ten(uint64_t v, unsigned digits, uint64_t *remainder)
{
    uint64_t q;
    switch (digits) {
    case 0: q = v; break;
    case 1: q = v / 10; break;
    case 2: q = v / 100; break;
    case 3: q = v / 1000; break;
    case 4: q = v / 10000; break;
    case 5: q = v / 100000; break;
    case 6: q = v / 1000000; break;
    case 7: q = v / 10000000; break;
    case 8: q = v / 100000000; break;
    default: q = v / 1000000000; break;
    }
    *remainder = v - q * powers_of_ten[digits > 9 ? 9 : digits];
    return q;
}

/* Exactly `digits` decimal digits of `v` (< 10^digits), zero-padded,
 * written from the last. */
static char *put_fixed_digits(char *at, uint64_t v, unsigned digits)
{
    char *p = at + digits;
    while (p - at >= 2) {
        p -= 2;
        memcpy(p, format_digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (p > at)
        *--p = (char)('0' + v % 10);
    return at + digits;
}

char *format_put_uint(char *at, uint64_t v)
{
    return format_inline_uint(at, v);
}

/* The six digits of `fraction` (< 10^6), zero-padded, as three pairs. */
static void put_six_digits(char *at, uint64_t fraction)
{
    memcpy(at, format_digit_pairs + 2 * (fraction / 10000), 2);
    memcpy(at + 2, format_digit_pairs + 2 * (fraction / 100 % 100), 2);
    memcpy(at + 4, format_digit_pairs + 2 * (fraction % 100), 2);
}

char *format_put_seconds_before(char *end, uint64_t micros)
{
    uint64_t whole = micros / 1000000;
    char *p = end - 6;
    put_six_digits(p, micros - whole * 1000000);
    *--p = '.';
    while (whole >= 100) {
        p -= 2;
        memcpy(p, format_digit_pairs + 2 * (whole % 100), 2);
        whole /= 100;
    }
    if (whole >= 10) {
        p -= 2;
        memcpy(p, format_digit_pairs + 2 * whole, 2);
    } else {
        *--p = (char)('0' + whole);
    }
    return p;
}

char *format_put_int(char *at, int64_t v)
{
    if (v >= 0)
        return format_put_uint(at, (uint64_t)v);
    *at++ = '-';
    /* |INT64_MIN| does not fit in int64_t; it does in uint64_t. */
    return format_put_uint(at, (uint64_t)(-(v + 1)) + 1);
}

char *format_put_utc_seconds(char *at, int64_t seconds)
{
    if (seconds < 0 || seconds >= INT64_C(253402300800)) /* 10000-01-01 */
        return NULL;
    uint64_t days = (uint64_t)seconds / 86400, in_day = (uint64_t)seconds % 86400;
    /* The civil date of a day count, as H. Hinnant's civil_from_days finds
     * it: eras of 400 years (146097 days), each year counted from March, so
     * that a leap day is the last day of its year. */
    uint64_t from_march_0 = days + 719468;
    uint64_t era = from_march_0 / 146097;
    uint64_t day_of_era = from_march_0 - era * 146097;
    uint64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    uint64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    uint64_t month_from_march = (5 * day_of_year + 2) / 153;
    uint64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    uint64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    uint64_t year = year_of_era + era * 400 + (month <= 2);
    put_fixed_digits(at, year, 4);
    at[4] = '-';
    memcpy(at + 5, format_digit_pairs + 2 * month, 2);
    at[7] = '-';
    memcpy(at + 8, format_digit_pairs + 2 * day, 2);
    at[10] = 'T';
    memcpy(at + 11, format_digit_pairs + 2 * (in_day / 3600), 2);
    at[13] = ':';
    memcpy(at + 14, format_digit_pairs + 2 * (in_day / 60 % 60), 2);
    at[16] = ':';
    memcpy(at + 17, format_digit_pairs + 2 * (in_day % 60), 2);
    return at + 19;
}

char *format_put_hex(char *at, uint64_t v, unsigned min_digits)
{
    static const char hex_digits[] = "0123456789abcdef";
    unsigned n = 1;
    while (n < 16 && v >> (4 * n))
        n++;
    if (n < min_digits)
        n = min_digits > 16 ? 16 : min_digits;
    for (unsigned i = n; i > 0; i--) {
        at[i - 1] = hex_digits[v & 0xf];
        v >>= 4;
    }
    return at + n;
}

char *format_put_padded_uint(char *at, uint64_t v, unsigned min_digits)
{
    if (min_digits == 0)
        min_digits = 1;
    if (min_digits > 9)
        min_digits = 9;
    if (v >= powers_of_ten[min_digits])
        return format_put_uint(at, v);
    return put_fixed_digits(at, v, min_digits);
}

char *format_put_thousandths(char *at, int64_t value)
{
    if (value < 0)
        return format_put_scaled(at, value, 3, 3);
    return format_inline_thousandths(at, (uint64_t)value);
}

char *format_put_seconds3(char *at, int64_t micros)
{
    if (micros < 0)
        return format_put_scaled(at, micros, 6, 3);
    return format_inline_seconds3(at, (uint64_t)micros);
}

char *format_put_hundredths(char *at, int64_t value)
{
    if (value < 0)
        return format_put_scaled(at, value, 2, 2);
    return format_inline_hundredths(at, (uint64_t)value);
}

char *format_put_scaled(char *at, int64_t value, unsigned scale_digits, unsigned shown_digits)
{
    if (scale_digits > 9)
        scale_digits = 9;
    if (shown_digits > scale_digits)
        shown_digits = scale_digits;
    bool negative = value < 0;
    uint64_t magnitude = negative ? (uint64_t)(-(value + 1)) + 1 : (uint64_t)value;
    unsigned dropped_digits = scale_digits - shown_digits;
    if (dropped_digits > 0) {
        uint64_t drop = powers_of_ten[dropped_digits], remainder;
        magnitude = divide_by_power_of_ten(magnitude, dropped_digits, &remainder);
        magnitude += remainder >= drop - remainder ? 1 : 0;
    }
    uint64_t fraction, whole;
    /* 1 sign + 20 integer digits + 1 point + 9 decimals = 31 bytes at most. */
    if (negative && magnitude)
        *at++ = '-';
    switch (shown_digits) {
    case 6: /* times in seconds: every line starts with one */
        whole = magnitude / 1000000;
        fraction = magnitude - whole * 1000000;
        at = format_put_uint(at, whole);
        *at++ = '.';
        put_six_digits(at, fraction);
        return at + 6;
    case 3: /* milliseconds and seconds to the millisecond */
        whole = magnitude / 1000;
        fraction = magnitude - whole * 1000;
        at = format_put_uint(at, whole);
        *at++ = '.';
        *at = (char)('0' + fraction / 100);
        memcpy(at + 1, format_digit_pairs + 2 * (fraction % 100), 2);
        return at + 3;
    case 2: /* keepalive ratios */
        whole = magnitude / 100;
        fraction = magnitude - whole * 100;
        at = format_put_uint(at, whole);
        *at++ = '.';
        memcpy(at, format_digit_pairs + 2 * fraction, 2);
        return at + 2;
    default:
        whole = divide_by_power_of_ten(magnitude, shown_digits, &fraction);
        at = format_put_uint(at, whole);
        if (shown_digits > 0) {
            *at++ = '.';
            at = put_fixed_digits(at, fraction, shown_digits);
        }
        return at;
    }
}

/*
 * The six decimals "%.6f" shows of `fraction` (0 <= fraction < 1), rounded as
 * glibc rounds: on the exact binary value, half to even. May return 1000000
 * (the rounding carries into the units). A double fraction is m / 2^shift
 * with m < 2^53 and shift >= 53, so fraction * 10^6 is m * 10^6 (< 2^73,
 * kept as two 64-bit halves) shifted right: exact, where multiplying the
 * double by 1e6 would round before we do.
 */
static uint64_t rounded_micros(double fraction)
{
    if (fraction == 0.0)
        return 0;
    /* Doubling is exact; in [2^52, 2^53) every double is an integer, so
     * there `scaled` is m. (Not frexp/ldexp: they are libm's, which the
     * programs that compile this file do not all link.) */
    double scaled = fraction * 9007199254740992.0; /* 2^53 */
    unsigned shift = 53;
    while (scaled < 4503599627370496.0) {          /* 2^52 */
        scaled *= 2;
        shift++;
        /* Then fraction < 2^-21 and fraction * 10^6 < 0.48: rounds to 0. */
        if (shift >= 74)
            return 0;
    }
    uint64_t m = (uint64_t)scaled;
    uint64_t low_product = (m & 0xffffffffu) * 1000000u; /* < 2^52 */
    uint64_t high_product = (m >> 32) * 1000000u;        /* < 2^41 */
    uint64_t lo = low_product + (high_product << 32);
    uint64_t hi = (high_product >> 32) + (lo < low_product ? 1 : 0);

    uint64_t micros, rest_hi, rest_lo, half_hi, half_lo;
    if (shift < 64) {
        micros = (hi << (64 - shift)) | (lo >> shift);
        rest_hi = 0;
        rest_lo = lo & ((UINT64_C(1) << shift) - 1);
        half_hi = 0;
        half_lo = UINT64_C(1) << (shift - 1);
    } else {
        unsigned s = shift - 64; /* 0..9 */
        micros = hi >> s;
        rest_hi = hi & ((UINT64_C(1) << s) - 1);
        rest_lo = lo;
        half_hi = s ? UINT64_C(1) << (s - 1) : 0;
        half_lo = s ? 0 : UINT64_C(1) << 63;
    }
    bool above = rest_hi > half_hi || (rest_hi == half_hi && rest_lo > half_lo);
    bool tie = rest_hi == half_hi && rest_lo == half_lo;
    if (above || (tie && (micros & 1)))
        micros++;
    return micros;
}

char *format_put_double(char *at, double value)
{
    if (!isfinite(value)) {
        memcpy(at, "null", 4);
        return at + 4;
    }
    /* Beyond 1e15 six decimals mean nothing and %f grows long: use %g. No
     * finding carries such a value but a damaged one; snprintf for it
     * rather than a second exact converter. */
    if (value >= 1e15 || value <= -1e15) {
        char buf[FORMAT_NUMBER_MAX];
        int n = snprintf(buf, sizeof buf, "%.17g", value);
        size_t len = n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
        memcpy(at, buf, len);
        return at + len;
    }
    bool negative = signbit(value);
    double magnitude = negative ? -value : value;
    uint64_t units = (uint64_t)magnitude; /* exact: below 2^50 */
    /* Exact too: taking the integer part off drops bits, adds none. */
    uint64_t micros = rounded_micros(magnitude - (double)units);
    if (micros == 1000000) {
        units++;
        micros = 0;
    }
    /* "%.6f" gives "-0.000000" for small negatives; dropping the zeros
     * leaves "-0", which was always written "0". */
    if (negative && (units || micros))
        *at++ = '-';
    at = format_put_uint(at, units);
    if (micros) {
        unsigned decimals = 6;
        while (micros % 10 == 0) {
            micros /= 10;
            decimals--;
        }
        *at++ = '.';
        at = put_fixed_digits(at, micros, decimals);
    }
    return at;
}

const char *format_scaled(char *buf, int64_t value, unsigned scale_digits,
                          unsigned shown_digits)
{
    *format_put_scaled(buf, value, scale_digits, shown_digits) = '\0';
    return buf;
}

const char *format_seconds6(char *buf, int64_t micros)
{
    return format_scaled(buf, micros, 6, 6);
}

const char *format_double(char *buf, double value)
{
    *format_put_double(buf, value) = '\0';
    return buf;
}

/* Which bytes plain_ascii() lets through, one load per byte: bit 0 outside
 * quotes (0x20..0x7e), bit 1 inside them (the same but '"' and '\\'). */
enum { PLAIN_UNQUOTED = 1, PLAIN_QUOTED = 2 };
static const uint8_t plain_ascii_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    3, 3, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x20 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x30 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x40 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 3, 3, 3, /* 0x50 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x60 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, /* 0x70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xa0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xb0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xc0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xd0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xe0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xf0 */
};

static bool plain_ascii(uint8_t b, bool quoted)
{
    return plain_ascii_class[b] & (quoted ? PLAIN_QUOTED : PLAIN_UNQUOTED);
}

/* Does any of the eight bytes in `x` fall outside plain_ascii()? The usual
 * tests for "a byte less than n / more than n / equal to c" on a whole word;
 * each is exact as a yes or no, which is all that is asked. */
static bool word_needs_a_look(uint64_t x, bool quoted)
{
    const uint64_t ones = UINT64_C(0x0101010101010101);
    const uint64_t highs = UINT64_C(0x8080808080808080);
    uint64_t below_space = (x - ones * 0x20) & ~x;
    uint64_t above_tilde = (x + ones * (0x7f - 0x7e)) | x;
    uint64_t flagged = below_space | above_tilde;
    if (quoted) {
        uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
        flagged |= ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash);
    }
    return (flagged & highs) != 0;
}

size_t format_plain_ascii_run(const uint8_t *s, size_t len, bool quoted)
{
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (word_needs_a_look(x, quoted))
            break;
    }
    while (i < len && plain_ascii(s[i], quoted))
        i++;
    return i;
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
